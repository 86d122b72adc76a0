"""`newsarchive add` of one short text, two builds side by side in one run (A B A B ...).

    python bench/add_ab.py before=/work/main/.venv/bin/python:/tmp/c100k-main \\
                           after=.venv/bin/python:/tmp/c100k --runs 9

Each side is NAME=PYTHON:COLLECTION (a Python whose ``newsarchive`` is the build to time, and a
collection of its own: a build that does not know the other's lock-file mark would make it
sweep). Per run and side: ``newsarchive --version`` (the start-up baseline) and one ``add`` of a
fresh short text, each a new process from compiled bytecode; the order of the sides alternates.
Prints the medians of wall time and of the ``add``'s CPU time (user + system, which a loaded
machine stretches less than wall time), with the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(cmd: list[str]) -> tuple[float, float]:
    """(wall s, CPU s) of one child process; a failure stops the run."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read() if proc.stderr else b""
    if proc.stderr:
        proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {err[-800:].decode('utf-8', 'replace')}")
    return wall, usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sides", nargs=2, metavar="NAME=PYTHON:COLLECTION")
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args(argv)
    sides = []
    for spec in args.sides:
        name, _, rest = spec.partition("=")
        python, _, root = rest.partition(":")
        if not (name and python and root):
            ap.error(f"{spec!r}: give NAME=PYTHON:COLLECTION")
        sides.append((name, python, root))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    os.environ.clear()
    os.environ.update(env)  # timed as an installed package runs: from compiled bytecode
    for _name, python, _root in sides:
        code = "import compileall, newsarchive, os; compileall.compile_dir(os.path.dirname(newsarchive.__file__), quiet=1)"
        subprocess.run([python, "-c", code], check=False, capture_output=True)
    figures = {name: {"version": [], "add": [], "cpu": []} for name, _p, _r in sides}
    loads = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory(prefix="bench-add-") as work:
        for i in range(args.runs):
            for name, python, root in (sides if i % 2 == 0 else sides[::-1]):
                cli = [python, "-m", "newsarchive"]
                figures[name]["version"].append(timed(cli + ["--version"])[0])
                sample = Path(work) / f"{name}-{i}.txt"
                sample.write_text(f"Sample bench article {name} {i} {time.time_ns()}.\n\nA short body for the benchmark.\n")
                wall, cpu = timed(cli + ["--root", root, "add", str(sample), "--title", f"Bench sample {i}"])
                figures[name]["add"].append(wall)
                figures[name]["cpu"].append(cpu)
    loads.append(os.getloadavg()[0])
    print(f"`add` of one short text, {args.runs} runs per side in turn; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
          f"load average {min(loads):.1f}-{max(loads):.1f}")
    print("| build | `add` wall, median | `add` CPU, median | `newsarchive --version` wall, median |")
    print("|---|---:|---:|---:|")
    for name, f in figures.items():
        print(f"| {name} | {statistics.median(f['add']) * 1000:.0f} ms | {statistics.median(f['cpu']) * 1000:.0f} ms "
              f"| {statistics.median(f['version']) * 1000:.0f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
