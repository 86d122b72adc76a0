"""Issue 12's targets, each with its baseline, from one run (tantivy engine by default).

    python bench/targets.py                               # Reuters-21578 (bench/data/reuters.jsonl)
    python bench/targets.py --synthetic 100000            # 100,000 synthetic 600-word articles
    python bench/targets.py --synthetic 100000 --engine-only 1000000   # + raw tantivy at 1M docs
    python bench/targets.py --root COLL --no-import       # commands on a collection imported before

Measured, in separate processes as a user runs them:

- ``newsarchive import`` of the whole corpus into a fresh collection: wall time, CPU time of
  the process, peak RSS (``wait4`` rusage); baseline: raw SQLite FTS5 indexing the same texts;
- on the imported collection: cold ``newsarchive search`` (median), ``add`` of one small
  text, ``status``, ``list --limit 20`` (each the median of a few runs);
- warm ``api.search`` p50/p95 with snippets and five facets (in this process);
- ``--engine-only N``: raw tantivy over N synthetic documents (no newsarchive code), warm
  top-10 query p50.

The machine is shared: the load average is printed with the figures; CPU times stretch less
than wall times when the machine is loaded.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from search import fts_build, make_queries, pct, to_entries  # noqa: E402

FACETS = ("outlet", "year", "tag", "author", "kind")
PY = [sys.executable, "-m", "newsarchive"]


def run(cmd: list[str], **kw) -> tuple[float, float, int, subprocess.CompletedProcess | None]:
    """(wall s, CPU s, peak RSS bytes) of one child process. The command runs under GNU
    ``time`` when there is one: a child spawned straight from this (large) process reports
    this process's peak RSS as its own when that is higher (the high-water mark survives exec)."""
    gnu_time = shutil.which("time") or ("/usr/bin/time" if os.path.exists("/usr/bin/time") else None)
    rss_file = None
    if gnu_time:
        fd, rss_file = tempfile.mkstemp(suffix=".rss")
        os.close(fd)
        cmd = [gnu_time, "-o", rss_file, "-f", "%M", *cmd]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)
    _pid, status, ru = os.wait4(proc.pid, 0)
    if rss_file:
        try:
            ru_rss = int(Path(rss_file).read_text().split()[-1]) * 1024
        except (OSError, ValueError, IndexError):
            ru_rss = ru.ru_maxrss * 1024
        os.unlink(rss_file)
    else:
        ru_rss = ru.ru_maxrss * 1024
    wall = time.perf_counter() - t
    err = proc.stderr.read() if proc.stderr else b""
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({code}): {err[-1500:].decode('utf-8', 'replace')}")
    return wall, ru.ru_utime + ru.ru_stime, ru_rss, None


def median_run(cmd: list[str], n: int) -> float:
    return statistics.median(run(cmd)[0] for _ in range(n))


def engine_only(n: int, queries: int, repeat: int, work: Path) -> dict:
    import synthetic
    import tantivy

    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    sb.add_text_field("title", tokenizer_name="en_stem")
    sb.add_text_field("body", tokenizer_name="en_stem")
    path = work / "raw-tantivy-1m"
    path.mkdir()
    ix = tantivy.Index(sb.build(), path=str(path))
    w = ix.writer(300_000_000, 2)
    titles = []
    t = time.perf_counter()
    for i, doc in enumerate(synthetic.generate(n, words=120)):
        w.add_document(tantivy.Document(id=str(i), title=doc["title"], body=doc["text"]))
        if len(titles) < queries and i % max(1, n // queries) == 0:
            titles.append(" ".join(doc["title"].split()[:3]))
    w.commit()
    w.wait_merging_threads()
    build = time.perf_counter() - t
    ix.reload()
    s = ix.searcher()
    times = []
    for _ in range(repeat + 1):
        for q in titles:
            query = ix.parse_query(" ".join(f"+{x}" for x in q.split() if x.isalnum()) or q, ["title", "body"],
                                   {"title": 2.5})
            t = time.perf_counter()
            r = s.search(query, 10)
            for _score, addr in r.hits:
                s.doc(addr)
            times.append(time.perf_counter() - t)
    times = times[len(titles):]  # the first round warms up
    return {"docs": n, "build_s": build, "p50": pct(times, 50) * 1000, "p95": pct(times, 95) * 1000}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--synthetic", type=int, metavar="N")
    ap.add_argument("--engine", default="tantivy")
    ap.add_argument("--root", type=Path, help="collection to use (imported into unless --no-import)")
    ap.add_argument("--no-import", action="store_true")
    ap.add_argument("--engine-only", type=int, metavar="N", help="raw tantivy warm query p50 at N synthetic docs")
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--runs", type=int, default=5, help="runs of each cold command")
    args = ap.parse_args(argv)

    from types import SimpleNamespace

    from engines import corpus  # the same corpus files (made once in bench/data) as bench/engines.py

    _label, jsonl = corpus(SimpleNamespace(synthetic=args.synthetic, jsonl=None, reuters=None))
    name = f"{args.synthetic:,} synthetic 600-word articles" if args.synthetic else "Reuters-21578"
    docs = [json.loads(line) for line in jsonl.open(encoding="utf-8")]
    queries = [q for _i, q in make_queries(docs, args.queries, 7)]
    # the cold commands are timed as an installed package runs them: from compiled bytecode (an
    # environment with PYTHONDONTWRITEBYTECODE set would otherwise compile every module each run)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(HERE.parent / "src" / "newsarchive")],
                   check=False, capture_output=True)
    work = Path(tempfile.mkdtemp(prefix="bench-targets-"))
    root = args.root or work / "coll"
    rows: list[tuple[str, str, str, str]] = []
    loads = [os.getloadavg()[0]]
    try:
        # baseline: raw FTS5 on the same texts (in this process)
        entries = to_entries(docs)
        fts = fts_build(work / "fts.db", entries)
        del entries
        if not args.no_import:
            if not args.root or not root.exists():
                subprocess.run(PY + ["init", str(root), "--engine", args.engine], check=True, capture_output=True)
            wall, cpu, rss, _ = run(PY + ["--root", str(root), "import", str(jsonl), "--format", "json"])
            loads.append(os.getloadavg()[0])
            rows.append((f"full import ({name})", f"{wall:.1f} s wall, {cpu:.1f} s CPU, peak RSS {rss / 2**20:.0f} MB",
                         f"raw FTS5 indexing the same texts: {fts:.2f} s ({wall / fts:.1f}x; CPU {cpu / fts:.0f}x)",
                         "Reuters <= 15 s, within 25x of FTS5; 100k <= 6 min, <= 300 MB"))
            print(rows[-1], file=sys.stderr, flush=True)
        n = subprocess.run(PY + ["--root", str(root), "status", "-f", "json"], capture_output=True, text=True)
        count = json.loads(n.stdout)["entries"] if n.stdout.strip().startswith("{") else "?"
        cold = statistics.median(run(PY + ["--root", str(root), "search", q, "--limit", "10"])[0]
                                 for q in queries[: args.runs])
        startup = median_run(PY + ["--version"], args.runs)
        rows.append((f"cold `search` at {count} entries", f"{cold * 1000:.0f} ms",
                     f"`newsarchive --version`: {startup * 1000:.0f} ms", "<= 200 ms"))
        status = median_run(PY + ["--root", str(root), "status"], args.runs)
        rows.append((f"`status` at {count} entries", f"{status * 1000:.0f} ms", "", "<= 300 ms"))
        lst = median_run(PY + ["--root", str(root), "list", "--limit", "20"], args.runs)
        rows.append((f"`list --limit 20` at {count} entries", f"{lst * 1000:.0f} ms", "", "<= 300 ms"))
        adds = []
        for i in range(args.runs):
            sample = work / f"sample-{i}.txt"
            sample.write_text(f"Sample bench article {i} {time.time_ns()}.\n\nA short body written for the benchmark.\n")
            adds.append(run(PY + ["--root", str(root), "add", str(sample), "--title", f"Bench sample {i}"])[0])
        rows.append((f"`add` at {count} entries", f"{statistics.median(adds) * 1000:.0f} ms", "", "<= 250 ms"))
        from newsarchive import api

        fn = lambda q: api.search(root, q, limit=10, snippets=True, facets=FACETS)  # noqa: E731
        for q in queries:
            fn(q)
        times = []
        for _ in range(args.repeat):
            for q in queries:
                t = time.perf_counter()
                fn(q)
                times.append(time.perf_counter() - t)
        rows.append((f"warm search, snippets + 5 facets, at {count} entries",
                     f"p50 {pct(times, 50) * 1000:.1f} ms, p95 {pct(times, 95) * 1000:.1f} ms", "", "p50 <= 2 ms"))
        if args.engine_only:
            e = engine_only(args.engine_only, args.queries, args.repeat, work)
            rows.append((f"raw tantivy, {e['docs']:,} synthetic docs (120 words), warm top-10",
                         f"p50 {e['p50']:.2f} ms, p95 {e['p95']:.2f} ms", f"built in {e['build_s']:.0f} s",
                         "p50 <= 10 ms"))
        loads.append(os.getloadavg()[0])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{name}, engine {args.engine}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
          f"{os.cpu_count()} CPUs; load average during the run {min(loads):.1f}-{max(loads):.1f}\n")
    print("| measure | figure | baseline (same run) | target |")
    print("|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
