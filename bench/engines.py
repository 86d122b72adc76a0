"""Search engines side by side (issue 12): raw SQLite FTS5, raw tantivy, and newsarchive on each engine.

    python bench/engines.py                         # Reuters-21578 (bench/data/reuters.jsonl, converted on first run)
    python bench/engines.py --synthetic 100000      # synthetic 600-word articles (bench/synthetic.py)
    python bench/engines.py --engines tantivy       # only some newsarchive engines
    python bench/engines.py --no-import             # engine-level figures only (no archive writes)

For every corpus, on the same texts and the same queries (2-4 distinctive title words, as in
bench/search.py):

- raw FTS5 (Python's sqlite3, ``porter unicode61 remove_diacritics 2``) and raw tantivy (its
  ``en_stem`` tokenizer, no newsarchive code): build time, index size, warm top-10 query with a
  total count (FTS5 also with ``snippet()``);
- newsarchive on each engine, engine level (``backend.rebuild`` from Entry objects, what
  ``reindex`` does after reading the archive): build time, index size;
- newsarchive on each engine, the whole product: ``newsarchive init --engine E`` then
  ``newsarchive import corpus.jsonl`` in a separate process (archive writes + index, wall time),
  then warm ``api.search`` with snippets (bodies read from the archive) and facets (outlet,
  year, tag, author, kind), p50/p95, and a cold ``newsarchive search`` process (median).

Medians and percentiles everywhere: the machine is shared. Prints one table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "src"))

from search import (dir_size, fts_build, fts_query, make_queries, pct, to_entries)  # noqa: E402

FACETS = ("outlet", "year", "tag", "author", "kind")


def corpus(args) -> tuple[str, Path]:
    data = HERE / "data"
    data.mkdir(exist_ok=True)
    if args.synthetic:
        path = data / f"synthetic-{args.synthetic}.jsonl"
        if not path.exists():
            import synthetic

            with open(path, "w", encoding="utf-8") as fh:
                for doc in synthetic.generate(args.synthetic):
                    fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
        return f"synthetic {args.synthetic:,}", path
    path = args.jsonl or data / "reuters.jsonl"
    if not path.exists():
        import reuters

        with open(path, "w", encoding="utf-8") as fh:
            for doc in reuters.convert(args.reuters or reuters.DEFAULT_SRC):
                fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return ("Reuters-21578" if path.name == "reuters.jsonl" else path.stem), path


def lat(fn, queries, repeat: int) -> tuple[float, float]:
    for q in queries:  # warm-up
        fn(q)
    times = []
    for _ in range(repeat):
        for q in queries:
            t = time.perf_counter()
            fn(q)
            times.append(time.perf_counter() - t)
    return pct(times, 50) * 1000, pct(times, 95) * 1000


# --------------------------------------------------------------------------- raw engines


def raw_fts(work: Path, entries, queries, repeat: int) -> dict:
    db = work / "fts.db"
    build = fts_build(db, entries)
    con = sqlite3.connect(db)

    def one(q: str):
        m = fts_query(q)
        con.execute("SELECT id, title, snippet(docs, 2, '<b>', '</b>', '…', 32) FROM docs WHERE docs MATCH ? "
                    "ORDER BY bm25(docs, 0, 2.5, 1.0) LIMIT 10", (m,)).fetchall()
        con.execute("SELECT count(*) FROM docs WHERE docs MATCH ?", (m,)).fetchone()

    p50, p95 = lat(one, queries, repeat)
    con.close()
    return {"build_s": build, "size": dir_size(db), "p50": p50, "p95": p95, "note": "top 10 + count + snippet()"}


def raw_tantivy(work: Path, entries, queries, repeat: int) -> dict:
    import tantivy

    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    sb.add_text_field("title", tokenizer_name="en_stem")
    sb.add_text_field("body", tokenizer_name="en_stem")
    schema = sb.build()
    path = work / "raw-tantivy"
    path.mkdir()
    t = time.perf_counter()
    ix = tantivy.Index(schema, path=str(path))
    w = ix.writer(256_000_000, 2)
    for e, body in entries:
        w.add_document(tantivy.Document(id=e.id, title=e.title or "", body=body))
    w.commit()
    w.wait_merging_threads()
    build = time.perf_counter() - t
    ix.reload()
    s = ix.searcher()

    def one(q: str):
        query = ix.parse_query(" ".join(f"+{w}" for w in q.split()), ["title", "body"], {"title": 2.5})
        r = s.search(query, 10)
        for _score, addr in r.hits:
            s.doc(addr)

    p50, p95 = lat(one, queries, repeat)
    return {"build_s": build, "size": dir_size(path), "p50": p50, "p95": p95, "note": "top 10 + count, stored ids"}


# --------------------------------------------------------------------------- newsarchive


def engine_build(kind: str, work: Path, entries, queries, repeat: int) -> dict:
    """The engine alone: rebuild from Entry objects, then warm searches with snippets (bodies
    from memory) and the five facets."""
    from newsarchive.search import engines

    d = work / f"engine-{kind}"
    b = engines.backend(kind, d)
    t, c = time.perf_counter(), time.process_time()
    b.rebuild(iter(entries))
    out = {"build_s": time.perf_counter() - t, "build_cpu": time.process_time() - c, "size": dir_size(d)}
    bodies = {e.id: body for e, body in entries}
    out["p50"], out["p95"] = lat(lambda q: b.search(q, limit=10, snippets=True, facets=FACETS,
                                                   body_loader=bodies.get), queries, repeat)
    return out


def product(kind: str, work: Path, jsonl: Path, queries, repeat: int, cold_runs: int) -> dict:
    root = work / f"coll-{kind}"
    py = [sys.executable, "-m", "newsarchive"]
    subprocess.run(py + ["init", str(root), "--engine", kind], check=True, capture_output=True)
    t = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(py + ["--root", str(root), "import", str(jsonl), "--format", "json"],
                       capture_output=True, text=True)
    imp = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    imp_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if p.returncode not in (0, 1):
        raise SystemExit(f"import failed on {kind}: {p.stderr[-2000:]}")
    from newsarchive import api

    p50, p95 = lat(lambda q: api.search(root, q, limit=10, snippets=True, facets=FACETS), queries, repeat)
    colds = []
    for q in queries[:cold_runs]:
        t = time.perf_counter()
        subprocess.run(py + ["--root", str(root), "search", q, "--limit", "10"], check=True, capture_output=True)
        colds.append(time.perf_counter() - t)
    return {"import_s": imp, "import_cpu": imp_cpu, "index_size": dir_size(root / "index"), "p50": p50, "p95": p95,
            "cold_s": statistics.median(colds) if colds else float("nan")}


def mb(n: int) -> str:
    return f"{n / 2**20:,.1f} MB"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--synthetic", type=int, metavar="N")
    ap.add_argument("--reuters", type=Path, help="Reuters-21578 SGML directory")
    ap.add_argument("--jsonl", type=Path, help="any JSONL corpus in the import format")
    ap.add_argument("--engines", default="whoosh,tantivy")
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cold-runs", type=int, default=5)
    ap.add_argument("--no-import", action="store_true", help="skip the CLI import (archive writes)")
    ap.add_argument("--workdir", type=Path)
    args = ap.parse_args(argv)

    name, jsonl = corpus(args)
    docs = [json.loads(line) for line in jsonl.open(encoding="utf-8")]
    entries = to_entries(docs)
    queries = [q for _i, q in make_queries(docs, args.queries, 7)]
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-engines-"))
    work.mkdir(parents=True, exist_ok=True)
    kinds = [k.strip() for k in args.engines.split(",") if k.strip()]
    print(f"{name}: {len(entries):,} articles, {len(queries)} queries x {args.repeat}; work in {work}",
          file=sys.stderr, flush=True)
    rows = []
    try:
        r = raw_fts(work, entries, queries, args.repeat)
        rows.append(("raw SQLite FTS5", f"{r['build_s']:.1f}", r["size"], None, None, r["p50"], r["p95"], None, r["note"]))
        print(rows[-1], file=sys.stderr, flush=True)
        r = raw_tantivy(work, entries, queries, args.repeat)
        rows.append(("raw tantivy", f"{r['build_s']:.1f}", r["size"], None, None, r["p50"], r["p95"], None, r["note"]))
        print(rows[-1], file=sys.stderr, flush=True)
        for kind in kinds:
            e = engine_build(kind, work, entries, queries, args.repeat)
            rows.append((f"{kind} engine only", f"{e['build_s']:.1f} (CPU {e['build_cpu']:.1f})", e["size"], None,
                         None, e["p50"], e["p95"], None, "backend.search, snippets + 5 facets"))
            print(rows[-1], file=sys.stderr, flush=True)
            p = {"import_s": None, "import_cpu": None, "index_size": None, "p50": None, "p95": None, "cold_s": None}
            if not args.no_import:
                p = product(kind, work, jsonl, queries, args.repeat, args.cold_runs)
            imp = None if p["import_s"] is None else f"{p['import_s']:.1f} (CPU {p['import_cpu']:.1f})"
            if args.no_import:
                continue
            rows.append((f"newsarchive {kind}", "-", None, imp, p["index_size"],
                         p["p50"], p["p95"], p["cold_s"], "api.search, snippets from the archive + 5 facets"))
            print(rows[-1], file=sys.stderr, flush=True)
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)

    def f(v, fmt):
        return "-" if v is None else fmt.format(v)

    print(f"\n{name}, {len(entries):,} articles, {len(queries)} queries\n")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (2 cores; wall times stretch with it, CPU times do not)\n")
    print("| engine | index build s | index size | full import s (CLI) | index size after import "
          "| warm query p50 ms | p95 ms | cold CLI search s | queries measured |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for label, build, size, imp, isize, p50, p95, cold, note in rows:
        print(f"| {label} | {build} | {f(size and size / 2**20, '{:,.1f} MB')} | {f(imp, '{}')} | {f(isize and isize / 2**20, '{:,.1f} MB')} "
              f"| {f(p50, '{:.2f}')} | {f(p95, '{:.2f}')} | {f(cold, '{:.2f}')} | {note} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
