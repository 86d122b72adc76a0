"""What the fixity check costs an export: every exported entry's files are read and hashed
(``fixity.check_entry``) before they are copied or cited.

    python bench/export_check.py --bbc ../shared/fixtures/bbc [--collection DIR] [--formats jsonl,bibtex,bagit]

Imports the BBC folder into a temporary collection (or uses ``--collection``), then exports the
whole collection to each format twice per mode, each run a separate process: once as shipped
(checked) and once with the check replaced by a no-op (what exports cost before it existed).
Prints, per format, the best CPU time (user + system of the child: steadier than wall time on a
shared machine) and wall time of each mode, the difference, and the peak RSS of the checked run
(``ru_maxrss`` of the child).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import sys
from pathlib import Path
from newsarchive import api
root, fmt, out, mode = sys.argv[1:5]
if mode == "unchecked":
    api.damage.check_entry = lambda store, entry_id: (store.read(entry_id), [])  # a read, no check
n = api.export(Path(root), to=fmt, out=Path(out))
print(n)
"""


def run(args: list[str]) -> tuple[float, int, str, float]:
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(args)}\n{err}")
    return wall, usage.ru_maxrss, out.strip(), usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bbc", type=Path)
    ap.add_argument("--collection", type=Path)
    ap.add_argument("--formats", default="jsonl,csv,bibtex,csl-json,warc,bagit")
    ap.add_argument("--repeat", type=int, default=2)
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="export-check-"))
    try:
        root = a.collection
        if root is None:
            if a.bbc is None:
                raise SystemExit("give --bbc DIR or --collection DIR")
            root = tmp / "coll"
            run([sys.executable, "-m", "newsarchive", "init", str(root)])
            wall, _rss, _, _cpu = run([sys.executable, "-m", "newsarchive", "--root", str(root), "import", str(a.bbc)])
            print(f"imported {a.bbc} in {wall:.1f} s")
        entries = sum(1 for p in (root / "archive").iterdir() if not p.name.startswith("."))
        size = sum(f.stat().st_size for f in (root / "archive").rglob("*") if f.is_file())
        print(f"collection: {entries} entries, {size / 1e6:.1f} MB of files")
        print(f"{'format':<9} {'CPU unchecked s':>15} {'CPU checked s':>13} {'CPU cost s':>10} "
              f"{'ms/entry':>8} {'wall unchecked s':>16} {'wall checked s':>14} {'RSS MB':>7}")
        for fmt in a.formats.split(","):
            best, cpu = {}, {}
            rss = 0
            for _ in range(a.repeat):
                for mode in ("unchecked", "checked"):
                    out = tmp / f"out-{fmt}-{mode}"
                    shutil.rmtree(out, ignore_errors=True)
                    if out.exists():
                        out.unlink()
                    shutil.rmtree(tmp / f"out-{fmt}-{mode}.files", ignore_errors=True)
                    wall, peak, _n, used = run([sys.executable, "-c", CHILD, str(root), fmt, str(out), mode])
                    best[mode] = min(best.get(mode, wall), wall)
                    cpu[mode] = min(cpu.get(mode, used), used)
                    if mode == "checked":
                        rss = max(rss, peak)
            cost = cpu["checked"] - cpu["unchecked"]
            print(f"{fmt:<9} {cpu['unchecked']:>15.2f} {cpu['checked']:>13.2f} {cost:>10.2f} "
                  f"{1000 * cost / max(entries, 1):>8.2f} {best['unchecked']:>16.2f} {best['checked']:>14.2f} "
                  f"{rss / 1024:>7.0f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
