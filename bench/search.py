"""Search benchmark: newsarchive's index layer against SQLite FTS5 on the same articles and queries.

    python bench/search.py                      # Reuters-21578 (converted on first run)
    python bench/search.py --synthetic 100000   # synthetic 600-word articles
    python bench/search.py --cold-cmd 'newsarchive --collection {root} search {query}'

Measures index throughput, index size, warm query latency (p50/p95, with and without
snippets), the wall time of a separate process doing one search (cold), and top-1 accuracy
of queries made from titles (2-4 distinctive words of an article's title; the answer should
be that article). FTS5 (Python's sqlite3, ``porter unicode61 remove_diacritics 2``) gets the
same articles and the same queries. Medians everywhere: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shlex
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "src"))

from newsarchive.search import whoosh as index  # noqa: E402
from newsarchive.model import Entry, PartialDate, normalise_tags, parse_name  # noqa: E402

_WORD = re.compile(r"[^\W\d_]{3,}")
# Words the query maker skips (both engines would match them almost everywhere).
_SKIP = set("""the and for with from that this was were are has have had its will said says
not but after over new into than more about says inc corp ltd co""".split())


# --------------------------------------------------------------------------- corpus


def load_corpus(args) -> tuple[str, list[dict]]:
    data = HERE / "data"
    if args.synthetic:
        path = data / f"synthetic-{args.synthetic}.jsonl"
        if not path.exists():
            import synthetic

            synthetic.main([str(args.synthetic), "-o", str(path)])
        name = f"synthetic {args.synthetic}"
    else:
        path = args.jsonl or data / "reuters.jsonl"
        if not path.exists():
            import reuters

            reuters.main(["-o", str(path)] + ([str(args.reuters)] if args.reuters else []))
        name = "Reuters-21578"
    docs = [json.loads(line) for line in path.open(encoding="utf-8")]
    if args.limit:
        docs = docs[: args.limit]
    return name, docs


def to_entries(docs: list[dict]) -> list[tuple[Entry, str]]:
    out = []
    for i, d in enumerate(docs):
        e = Entry(
            id=f"b{i:07d}",
            citekey=f"bench{i}",
            title=d.get("title"),
            authors=tuple(parse_name(a) for a in d.get("authors") or ()),
            outlet=d.get("outlet"),
            kind=d.get("kind"),
            published=PartialDate.from_iso(d["published"]) if d.get("published") else None,
            tags=normalise_tags(d.get("tags") or ()),
        )
        out.append((e, d.get("text") or ""))
    return out


def make_queries(docs: list[dict], n: int, seed: int) -> list[tuple[int, str]]:
    """(doc index, query): 2-4 distinctive words of a title, in title order.

    The words are the title's rarest (by document frequency); k is drawn from 2-4, and more
    words are added (up to 4) until no other title contains them all, so that the query has
    one right answer. Titles where even 4 words are not enough are skipped (duplicated and
    near-duplicated titles such as "XYZ CORP 1ST QTR NET").
    """
    df: Counter[str] = Counter()
    title_words = []
    for d in docs:
        tw = {w.lower() for w in _WORD.findall(d["title"])}
        title_words.append(tw)
        df.update(set(_WORD.findall((d["title"] + " " + d["text"]).lower())))
    by_word: dict[str, set[int]] = {}
    for i, tw in enumerate(title_words):
        for w in tw:
            by_word.setdefault(w, set()).add(i)
    rng = random.Random(seed)
    order = list(range(len(docs)))
    rng.shuffle(order)
    out = []
    for i in order:
        words = []
        for w in _WORD.findall(docs[i]["title"]):
            if w.lower() not in _SKIP and w.lower() not in (x.lower() for x in words):
                words.append(w)
        if len(words) < 2:
            continue
        ranked = sorted(words, key=lambda w: df[w.lower()])
        k = min(len(words), rng.randint(2, 4))
        while True:
            chosen = ranked[:k]
            titles = set.intersection(*(by_word[w.lower()] for w in chosen))
            if titles == {i} or k >= min(4, len(words)):
                break
            k += 1
        if titles != {i}:
            continue
        out.append((i, " ".join(w for w in words if w in chosen)))
        if len(out) >= n:
            break
    return out


# --------------------------------------------------------------------------- helpers


def pct(values: list[float], p: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, max(0, math.ceil(p / 100 * len(v)) - 1))]


def dir_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def timed(fn, *a, **kw) -> float:
    t = time.perf_counter()
    fn(*a, **kw)
    return time.perf_counter() - t


# --------------------------------------------------------------------------- newsarchive


def index_articles(index_dir: Path, entries, batch: int, procs: int) -> float:
    """Index through the index layer; returns seconds.

    HOOK (lead): replace this with the full ``newsarchive import`` path once it exists, e.g.
    ``subprocess.run(["newsarchive", "--collection", root, "import", jsonl])`` and time that.
    """
    t = time.perf_counter()
    if batch:
        for k in range(0, len(entries), batch):
            with index.writer(index_dir) as w:
                for e, body in entries[k:k + batch]:
                    w.upsert(e, body)
    else:
        index.rebuild(index_dir, entries, procs=procs)
    return time.perf_counter() - t


def run_ours(index_dir: Path, queries, bodies_dir: Path, repeat: int):
    def loader(entry_id: str) -> str:
        return (bodies_dir / f"{entry_id}.txt").read_text("utf-8")

    top1 = 0
    for i, q in queries:  # warm-up + accuracy
        r = index.search(index_dir, q, limit=10, snippets=False)
        top1 += bool(r.hits) and r.hits[0].id == f"b{i:07d}"
    plain, snip = [], []
    for _ in range(repeat):
        for _, q in queries:
            plain.append(timed(index.search, index_dir, q, limit=10, snippets=False))
            snip.append(timed(index.search, index_dir, q, limit=10, snippets=True, body_loader=loader))
    return top1 / len(queries), plain, snip


# --------------------------------------------------------------------------- FTS5


def fts_build(db: Path, entries) -> float:
    t = time.perf_counter()
    con = sqlite3.connect(db)
    con.execute("CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body, "
                "tokenize = 'porter unicode61 remove_diacritics 2')")
    with con:
        con.executemany("INSERT INTO docs(id, title, body) VALUES (?, ?, ?)",
                        ((e.id, e.title or "", body) for e, body in entries))
    con.close()
    return time.perf_counter() - t


def fts_query(q: str) -> str:
    return " ".join('"' + w.replace('"', '""') + '"' for w in q.split())


FTS_SQL = "SELECT id, title FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, 0, 2.5, 1.0) LIMIT 10"
FTS_SNIP = ("SELECT id, title, snippet(docs, 2, '<b>', '</b>', '…', 32) FROM docs WHERE docs MATCH ? "
            "ORDER BY bm25(docs, 0, 2.5, 1.0) LIMIT 10")
FTS_COUNT = "SELECT count(*) FROM docs WHERE docs MATCH ?"


def run_fts(db: Path, queries, repeat: int):
    con = sqlite3.connect(db)

    def one(sql: str, q: str):
        rows = con.execute(sql, (fts_query(q),)).fetchall()
        con.execute(FTS_COUNT, (fts_query(q),)).fetchone()  # we report a total too
        return rows

    top1 = 0
    for i, q in queries:
        rows = one(FTS_SQL, q)
        top1 += bool(rows) and rows[0][0] == f"b{i:07d}"
    plain, snip = [], []
    for _ in range(repeat):
        for _, q in queries:
            plain.append(timed(one, FTS_SQL, q))
            snip.append(timed(one, FTS_SNIP, q))
    con.close()
    return top1 / len(queries), plain, snip


# --------------------------------------------------------------------------- cold process


def cold_runs(cmd: list[str], runs: int, env=None) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True, env=env)
        out.append(time.perf_counter() - t)
        if p.returncode != 0:
            raise SystemExit(f"cold command failed ({p.returncode}): {shlex.join(cmd)}\n{p.stderr}")
    return out


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--synthetic", type=int, metavar="N", help="use N synthetic articles")
    ap.add_argument("--reuters", type=Path, help="Reuters-21578 SGML directory")
    ap.add_argument("--jsonl", type=Path, help="any JSONL corpus in the import format")
    ap.add_argument("--limit", type=int, help="use only the first N articles")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3, help="timed passes over the queries")
    ap.add_argument("--batch", type=int, default=1000,
                    help="index through index.writer() in batches of N (0: one index.rebuild())")
    ap.add_argument("--procs", type=int, default=2, help="processes for index.rebuild")
    ap.add_argument("--no-rebuild", action="store_true", help="skip the index.rebuild timing")
    ap.add_argument("--cold-runs", type=int, default=9)
    ap.add_argument("--cold-cmd", default=None,
                    help="command for the cold search, with {root}, {index} and {query} "
                         "placeholders (default: python -c 'index.search(...)')")
    ap.add_argument("--workdir", type=Path, help="keep the built index here (default: temp dir)")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)

    name, docs = load_corpus(args)
    entries = to_entries(docs)
    queries = make_queries(docs, args.queries, args.seed)
    words = statistics.mean(len(b.split()) for _, b in entries)
    print(f"corpus: {name}, {len(entries)} articles, {words:.0f} words on average; "
          f"{len(queries)} title queries", flush=True)

    work = args.workdir or Path(tempfile.mkdtemp(prefix="na-bench-"))
    if work.exists():
        shutil.rmtree(work)
    root = work / "collection"
    index_dir, bodies, db = root / "index", work / "bodies", work / "fts5.db"
    bodies.mkdir(parents=True)
    for e, body in entries:
        (bodies / f"{e.id}.txt").write_text(body, "utf-8")

    how = f"writer batches of {args.batch}" if args.batch else f"rebuild, procs={args.procs}"
    print(f"indexing ({how}) ...", flush=True)
    t_ours = index_articles(index_dir, entries, args.batch, args.procs)
    t_rebuild = None
    if args.batch and not args.no_rebuild:
        print(f"reindexing (index.rebuild, procs={args.procs}) ...", flush=True)
        t_rebuild = index_articles(work / "rebuilt", entries, 0, args.procs)
        shutil.rmtree(work / "rebuilt", ignore_errors=True)
    print("indexing (FTS5) ...", flush=True)
    t_fts = fts_build(db, entries)

    print("querying ...", flush=True)
    acc_ours, plain_ours, snip_ours = run_ours(index_dir, queries, bodies, args.repeat)
    acc_fts, plain_fts, snip_fts = run_fts(db, queries, args.repeat)

    print("cold processes ...", flush=True)
    q0 = queries[0][1]
    if args.cold_cmd:
        cmd = [c.format(root=root, index=index_dir, query=q0) for c in shlex.split(args.cold_cmd)]
    else:
        cmd = [sys.executable, "-c",
               "import sys; from newsarchive.search import whoosh as index; "
               "r = index.search(sys.argv[1], sys.argv[2], limit=10, snippets=False); "
               "print(r.total, r.hits[0].title if r.hits else None)", str(index_dir), q0]
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    cold_ours = cold_runs(cmd, args.cold_runs, env)
    fts_cmd = [sys.executable, "-c",
               "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
               f"print(c.execute({FTS_SQL!r}, (sys.argv[2],)).fetchall()[:1])",
               str(db), fts_query(q0)]
    cold_fts = cold_runs(fts_cmd, args.cold_runs)

    n = len(entries)
    ms = 1000.0
    rows = [
        ("index throughput (articles/s)", n / t_ours, n / t_fts, "{:,.0f}"),
        ("index time (s)", t_ours, t_fts, "{:.1f}"),
    ]
    if t_rebuild:
        rows.append(("reindex throughput (articles/s)", n / t_rebuild, n / t_fts, "{:,.0f}"))
    rows += [
        ("index size (MB)", dir_size(index_dir) / 1e6, dir_size(db) / 1e6, "{:.1f}"),
        ("warm p50, no snippets (ms)", statistics.median(plain_ours) * ms,
         statistics.median(plain_fts) * ms, "{:.2f}"),
        ("warm p95, no snippets (ms)", pct(plain_ours, 95) * ms, pct(plain_fts, 95) * ms, "{:.2f}"),
        ("warm p50, snippets (ms)", statistics.median(snip_ours) * ms,
         statistics.median(snip_fts) * ms, "{:.2f}"),
        ("warm p95, snippets (ms)", pct(snip_ours, 95) * ms, pct(snip_fts, 95) * ms, "{:.2f}"),
        ("cold search process, median (ms)", statistics.median(cold_ours) * ms,
         statistics.median(cold_fts) * ms, "{:.0f}"),
        ("top-1 accuracy (%)", acc_ours * 100, acc_fts * 100, "{:.1f}"),
    ]
    print()
    print(f"{'':36} {'newsarchive':>12} {'FTS5':>10} {'ratio':>8}")
    for label, ours, fts, fmt in rows:
        ratio = ours / fts if fts else float("nan")
        print(f"{label:36} {fmt.format(ours):>12} {fmt.format(fts):>10} {ratio:>7.2f}x")
    print(f"\n(ratio = newsarchive / FTS5; warm figures over {len(plain_ours)} searches, "
          f"limit 10, total counted; cold = {args.cold_runs} runs of: {shlex.join(cmd)[:110]})")
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
