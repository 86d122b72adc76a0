"""Where an import's memory goes (issue 12: peak RSS of the 100,000-article import <= 300 MB).

    python bench/memory.py bench/data/synthetic-20000.jsonl                # tantivy engine
    python bench/memory.py FILE --engine whoosh --every 0.5 --trace       # + the samples

Runs ``newsarchive init DIR --engine E`` and ``newsarchive import FILE --format json`` in a
fresh temporary collection, each a separate process, and samples the import's
``/proc/PID/status`` every ``--every`` seconds: VmRSS (resident), RssAnon (heap: Python objects,
tantivy's writer arena, SQLite's cache), RssFile (mapped files: index segments tantivy reads
while merging, shared libraries) and VmHWM (the kernel's peak). Prints the peak of each, the
import's wall and CPU seconds and its status counts; ``--trace`` also prints the samples (one
line every few seconds) so that what grows, and when, shows. ``--runs N`` repeats the import
(each into a fresh collection) and prints every run and the medians.

``--against SRC`` gives the same-run baseline: SRC is the ``src`` folder of another checkout
(e.g. ``git archive main src | tar -x -C /tmp/main``); its import and this one alternate, N runs
each, and both medians are printed. ``--outputs DIR`` keeps each run's ``--format json`` output
(to compare the outcomes of the two).

The kernel's VmHWM is the figure the target is about (``/usr/bin/time``'s ``%M`` says the same);
RssAnon and RssFile are read from the samples and can miss a short peak between two of them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FIELDS = ("VmRSS", "RssAnon", "RssFile", "VmHWM")


def status_of(pid: int) -> dict[str, int] | None:
    """The memory figures of ``/proc/PID/status`` in MB (None once the process is gone)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    out = {}
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name in FIELDS:
            out[name] = int(value.split()[0]) // 1024
    return out if len(out) == len(FIELDS) else None


def one_run(source: Path, engine: str, every: float, trace: bool, *, src: Path | None = None,
            output: Path | None = None) -> dict:
    env = dict(os.environ)
    if src is not None:  # another checkout's code
        env["PYTHONPATH"] = os.pathsep.join([str(src), *filter(None, [env.get("PYTHONPATH")])])
    with tempfile.TemporaryDirectory(prefix="na-mem-") as tmp:
        root = Path(tmp) / "coll"
        cli = [sys.executable, "-m", "newsarchive"]
        subprocess.run([*cli, "init", str(root), "--engine", engine], check=True, capture_output=True, env=env)
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            started = time.monotonic()
            cmd = [*cli, "--root", str(root), "import", str(source), "--format", "json"]
            pid = os.posix_spawn(sys.executable, cmd, env,
                                 file_actions=[(os.POSIX_SPAWN_DUP2, out.fileno(), 1),
                                               (os.POSIX_SPAWN_DUP2, err.fileno(), 2)])
            peak = dict.fromkeys(FIELDS, 0)
            last_shown = -1e9
            while True:
                done, status, usage = os.wait4(pid, os.WNOHANG)
                if done:
                    break
                s = status_of(pid)
                if s:
                    for k in FIELDS:
                        peak[k] = max(peak[k], s[k])
                    now = time.monotonic() - started
                    if trace and now - last_shown >= 5:
                        last_shown = now
                        print(f"  {now:7.1f} s  " + "  ".join(f"{k} {s[k]:4d}" for k in FIELDS), flush=True)
                time.sleep(every)
            wall = time.monotonic() - started
            out.seek(0)
            err.seek(0)
            code = os.waitstatus_to_exitcode(status)
            text = out.read().decode("utf-8", "replace")
            if code != 0:
                sys.exit(f"import failed ({code}): {err.read().decode('utf-8', 'replace')[-2000:]}")
            counts = json.loads(text).get("counts", {}) if text.strip() else {}
            if output is not None:
                output.write_text(text, encoding="utf-8")
            return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "hwm_mb": usage.ru_maxrss / 1024,
                    "peak": peak, "counts": counts}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("source", type=Path)
    ap.add_argument("--engine", default="tantivy")
    ap.add_argument("--every", type=float, default=0.5)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--trace", action="store_true")
    ap.add_argument("--against", type=Path, help="the src folder of the baseline's code")
    ap.add_argument("--outputs", type=Path, help="keep each run's JSON output in this folder")
    args = ap.parse_args()
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    print(f"{args.source.name}, engine {args.engine}, load {load:.1f}")
    kinds = [("baseline", args.against.resolve()), ("this", None)] if args.against else [("this", None)]
    if args.outputs:
        args.outputs.mkdir(parents=True, exist_ok=True)
    runs: dict[str, list[dict]] = {k: [] for k, _src in kinds}
    for i in range(args.runs):
        for kind, src in kinds:
            out = args.outputs / f"{kind}-{i + 1}.json" if args.outputs else None
            r = one_run(args.source.resolve(), args.engine, args.every, args.trace, src=src, output=out)
            runs[kind].append(r)
            p = r["peak"]
            print(f"{kind} run {i + 1}: wall {r['wall']:.1f} s  cpu {r['cpu']:.1f} s  peak RSS {r['hwm_mb']:.0f} MB "
                  f"(sampled: anon {p['RssAnon']} MB, file {p['RssFile']} MB)  {r['counts']}", flush=True)
    for kind, done in runs.items():
        if len(done) > 1 or len(runs) > 1:
            med = lambda key: statistics.median(r[key] for r in done)  # noqa: E731
            print(f"{kind} median of {len(done)}: wall {med('wall'):.1f} s  cpu {med('cpu'):.1f} s  "
                  f"peak RSS {med('hwm_mb'):.0f} MB")


if __name__ == "__main__":
    main()
