"""A bulk import by two builds side by side in one run (A B A B ...), with CPU time per process.

    python bench/import_ab.py before=/work/main/src after=src [--jsonl FILE] [--rounds 3]

Each side is NAME=SRC (the ``src`` folder of a checkout, put first on ``PYTHONPATH``). Per
round and side, one child process runs ``api.ingest_records`` of the whole file into a fresh
tantivy collection (as ``newsarchive import FILE`` does, without printing). Printed per side,
medians over the rounds: wall time, the import process's CPU (user + system; a loaded machine
stretches it less than wall time), the CPU of its writer process, and the ratios to the first
side. The outcome counts of both sides must be equal. The load average is printed too (the
machine is shared). The collections are deleted only at the end (see the comment at the
deletion): give ``--root-dir`` room for all of them.
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
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from newsarchive import api
root, src, engine = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
if len(sys.argv) > 4 and sys.argv[4] == "0":  # no writer process (as on one processor)
    from newsarchive import store_queue
    store_queue.available = lambda: False
api.init(root, engine=engine)
t = time.perf_counter()
counts = {}
for o in api.ingest_records(root, api.open_source(src)):
    counts[o.status] = counts.get(o.status, 0) + 1
wall = time.perf_counter() - t
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "self": me.ru_utime + me.ru_stime, "user": me.ru_utime, "self_sys": me.ru_stime,
                  "writer": kids.ru_utime + kids.ru_stime, "writer_user": kids.ru_utime, "counts": counts,
                  "rss_mb": me.ru_maxrss / 1024}))
"""


def run_child(root: Path, jsonl: Path, engine: str, env: dict, *, name: str, writer: bool = True) -> dict:
    """One import into a fresh collection at ``root``, in a child process: its figures. The
    collection is kept (the caller deletes its folder at the end: ext4 does not hand out the
    inodes of files deleted in the last 60-360 s and scans past them, so deleting a collection
    before the next import would bill that import for the scan, up to several times its
    kernel time)."""
    out = subprocess.run([sys.executable, "-c", CHILD, str(root), str(jsonl), engine, "1" if writer else "0"],
                         capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise SystemExit(f"{name} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def parse_args(ap: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """The options of an import benchmark (corpus, engine, rounds, where the collections go),
    parsed; the corpus must exist."""
    ap.add_argument("--jsonl", type=Path, default=HERE / "data" / "reuters.jsonl")
    ap.add_argument("--engine", default="tantivy")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--root-dir", type=Path, default=None, help="where the collections go (default: a temp folder)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the collections (delete them later, after the last run: a deletion slows the "
                         "file creation of imports in the next minutes)")
    args = ap.parse_args(argv)
    if not args.jsonl.exists():
        raise SystemExit(f"no corpus at {args.jsonl} (bench/reuters.py or bench/synthetic.py make one)")
    return args


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sides", nargs="+", help="NAME=SRC")
    args = parse_args(ap, argv)
    sides = [s.split("=", 1) for s in args.sides]
    work = Path(tempfile.mkdtemp(prefix="bench-import-ab-", dir=args.root_dir))
    got: dict[str, list[dict]] = {name: [] for name, _ in sides}
    loads = [os.getloadavg()[0]]
    try:
        for r in range(args.rounds):
            for i, (name, src) in enumerate(sides if r % 2 == 0 else sides[::-1]):
                env = {**os.environ, "PYTHONPATH": str(Path(src).resolve())}
                env.pop("PYTHONDONTWRITEBYTECODE", None)
                got[name].append(run_child(work / f"c-{r}-{i}", args.jsonl, args.engine, env, name=name))
                loads.append(os.getloadavg()[0])
                print(name, got[name][-1], file=sys.stderr, flush=True)
    finally:
        if args.keep:
            print(f"collections kept in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    counts = {name: rows[0]["counts"] for name, rows in got.items()}
    if len({json.dumps(c, sort_keys=True) for c in counts.values()}) != 1:
        raise SystemExit(f"the sides' outcomes differ: {counts}")
    keys = ("wall", "self", "user", "writer", "writer_user", "rss_mb")
    med = {name: {k: statistics.median(row[k] for row in rows) for k in keys} for name, rows in got.items()}
    first = med[sides[0][0]]
    n = sum(next(iter(counts.values())).values())
    print(f"\n{args.jsonl.name} ({n:,} records: {next(iter(counts.values()))}), engine {args.engine}, "
          f"{args.rounds} rounds in turn, {os.cpu_count()} CPUs, load average {min(loads):.1f}-{max(loads):.1f}\n")
    print("| side | wall | import process CPU (user) | writer CPU (user) | total CPU | peak RSS | wall ratio | import CPU ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, m in med.items():
        print(f"| {name} | {m['wall']:.2f} s | {m['self']:.2f} s ({m['user']:.2f} s) | {m['writer']:.2f} s ({m['writer_user']:.2f} s) | "
              f"{m['self'] + m['writer']:.2f} s | {m['rss_mb']:.0f} MB | {m['wall'] / first['wall']:.2f} | "
              f"{m['self'] / first['self']:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
