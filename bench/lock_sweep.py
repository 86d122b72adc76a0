"""What the collection lock costs a writer, with and without the "left clean" mark.

    python bench/lock_sweep.py --root /tmp/c100k            # an existing collection (nothing written)
    python bench/lock_sweep.py --entries 20000              # a scratch collection of N empty entries

Takes and releases the lock ``--runs`` times each way, in turn: after a writer that left the
mark (the next one skips the sweep), and with the mark removed first (the next one lists the
archive folder, as every writer did before the mark). Prints the medians; the baseline is the
same lock taken with the mark, in the same run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))


def scratch(n: int, work: Path) -> Path:
    from newsarchive import store as st

    st.init_collection(work)
    archive = work / "archive"
    for i in range(n):
        (archive / f"{i:08x}").mkdir()
    return work


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", type=Path, help="an existing collection (only its lock is taken)")
    ap.add_argument("--entries", type=int, default=20000, help="entries of a scratch collection (without --root)")
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args(argv)

    from newsarchive import store as st

    work = None
    if args.root is None:
        work = Path(tempfile.mkdtemp(prefix="bench-lock-"))
        root = scratch(args.entries, work / "coll")
    else:
        root = args.root
    store = st.Store(root)
    lock_file = store.archive / ".lock"
    n = sum(1 for _ in os.scandir(store.archive))
    marked, swept = [], []
    try:
        with store.lock():
            pass
        for _ in range(args.runs):
            t = time.perf_counter()
            with store.lock():
                pass
            marked.append(time.perf_counter() - t)
            os.truncate(lock_file, 0)  # as after a killed writer: the next one sweeps
            t = time.perf_counter()
            with store.lock():
                pass
            swept.append(time.perf_counter() - t)
    finally:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
    print(f"lock taken and released, {n:,} names in the archive folder, {args.runs} runs each, in turn; "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"  after a writer that left the mark (no sweep): median {statistics.median(marked) * 1000:.2f} ms")
    print(f"  without the mark (the sweep lists the folder): median {statistics.median(swept) * 1000:.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
