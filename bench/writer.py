"""The import's writer process (store_queue.py) against writing in the import's own process,
in turn, on the same corpus, in one run.

    python bench/writer.py [--jsonl FILE] [--engine tantivy] [--rounds 3] [--root-dir DIR]

Each import runs in a child process of its own (``api.ingest_records`` of the whole file into a
fresh collection, as ``newsarchive import FILE`` does); the in-process side is told that no
writer process is available (as on one processor or another system than Linux). Printed per side: wall time, the import process's own CPU
(user + system) and its writer's CPU (the children's), medians over the rounds, and the ratio
of the medians. The load average is printed with the figures (the machine is shared).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from import_ab import parse_args, run_child  # noqa: E402 - the same child, with or without the writer


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argparse.ArgumentParser(description=__doc__.splitlines()[0]), argv)
    env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    work = Path(tempfile.mkdtemp(prefix="bench-writer-", dir=args.root_dir))
    got: dict[str, list[dict]] = {"in-process": [], "writer process": []}
    loads = [os.getloadavg()[0]]
    try:
        for r in range(args.rounds):
            for side, flag in (("in-process", "0"), ("writer process", "1")):
                got[side].append(run_child(work / f"c-{r}-{flag}", args.jsonl, args.engine, env, name=side,
                                           writer=flag == "1"))
                loads.append(os.getloadavg()[0])
                print(side, got[side][-1], file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    counts = {side: rows[0]["counts"] for side, rows in got.items()}
    assert counts["in-process"] == counts["writer process"], counts
    med = {side: {k: statistics.median(row[k] for row in rows) for k in ("wall", "self", "self_sys", "writer")}
           for side, rows in got.items()}
    print(f"\n{args.jsonl.name} ({sum(counts['in-process'].values()):,} records: {counts['in-process']}), "
          f"engine {args.engine}, {args.rounds} rounds in turn, {os.cpu_count()} CPUs, "
          f"load average {min(loads):.1f}-{max(loads):.1f}\n")
    print("| | wall | import process CPU (system) | writer process CPU | total CPU |")
    print("|---|---:|---:|---:|---:|")
    for side, m in med.items():
        print(f"| {side} | {m['wall']:.1f} s | {m['self']:.1f} s ({m['self_sys']:.1f} s) | {m['writer']:.1f} s | "
              f"{m['self'] + m['writer']:.1f} s |")
    a, b = med["in-process"], med["writer process"]
    print(f"\nwriter process / in-process: wall {b['wall'] / a['wall']:.2f}, "
          f"total CPU {(b['self'] + b['writer']) / (a['self'] + a['writer']):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
