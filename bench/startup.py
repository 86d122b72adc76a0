"""Cold start-up of the CLI: median wall time of `newsarchive --help`, `show` and `search`.

    python bench/startup.py [--runs 21]

Runs each command as a fresh process in the repository's sample collection and prints the
median and the spread. Python's own start-up (`python -c pass`) is printed for reference.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(cmd: list[str], runs: int) -> list[float]:
    env = {**os.environ, "NEWSARCHIVE_ROOT": str(ROOT)}
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=env, cwd=ROOT)
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=21)
    args = ap.parse_args()
    exe = str(Path(sys.executable).with_name("newsarchive"))
    first = sorted(p.name for p in (ROOT / "archive").iterdir() if not p.name.startswith("."))[0]
    subprocess.run([exe, "reindex"], env={**os.environ, "NEWSARCHIVE_ROOT": str(ROOT)},
                   stdout=subprocess.DEVNULL, check=True)
    cases = [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("newsarchive --help", [exe, "--help"]),
        ("newsarchive show ID", [exe, "show", first]),
        ("newsarchive list", [exe, "list", "--format", "csv"]),
        ("newsarchive search 'vucic sanctions'", [exe, "search", "vucic sanctions"]),
    ]
    print(f"{'command':40} {'median ms':>10} {'min ms':>8} {'max ms':>8}  ({args.runs} runs each)")
    for label, cmd in cases:
        times = timed(cmd, args.runs)
        print(f"{label:40} {statistics.median(times) * 1000:10.0f} {min(times) * 1000:8.0f} {max(times) * 1000:8.0f}")


if __name__ == "__main__":
    main()
