"""Crash safety: kill `newsarchive import` with SIGKILL at random moments, check, resume.

    python bench/crash.py                       # 5 runs x 12 kills, 3,000 records (a few minutes)
    python bench/crash.py --runs 1 --kills 6 --records 300     # about what the test suite does

Each run starts from an empty collection and a JSONL file of N records (inline text, so every
record has distinct bytes), then repeats: start `newsarchive import FILE`, wait a random
moment, SIGKILL it, and check the collection:

* `verify` finds no corrupt, missing or invalid entry and no snapshot whose hash disagrees;
* no record is archived twice, and nothing is archived that is not in the input;
* a search still answers (exit 0, no traceback) even though the index may lag the archive;
* every few kills, `reindex` brings the index in step (`verify` then reports nothing at all).

After the last kill the import runs to its end; then `verify` must be clean without a
reindex (the next writer re-synced what the killed ones left in the index journal), the
collection must hold every record exactly once, and one more import must change nothing.

Prints runs, kills, kills that landed in the middle of a batch, records, problems found.
Exit status 1 when any problem was found.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

CLI = [sys.executable, "-m", "newsarchive"]
WORDS = ("serbia russia sanctions minister election border trade energy court parliament "
         "vote deal talks prices bank police report city security health").split()
ARCHIVE_KINDS = {"corrupt", "missing", "invalid"}
INDEX_KINDS = {"not-indexed", "stale-index", "extra-in-index"}


def make_records(path: Path, n: int, *, seed: int = 1) -> list[str]:
    """N JSONL records with inline text; returns their titles (each unique)."""
    rng = random.Random(seed)
    titles = []
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            title = f"Crash record {i} on {rng.choice(WORDS)} and {rng.choice(WORDS)}"
            titles.append(title)
            text = f"{title}.\n\n" + " ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 200)))
            fh.write(json.dumps({"title": title, "authors": [f"Author {i % 37}"], "outlet": "Crash Times",
                                 "published": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}",
                                 "url": f"https://crash.example/{i}", "tags": ["crash"],
                                 "text": text}, ensure_ascii=False) + "\n")
    return titles


def run(root: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, "--root", str(root), *args], capture_output=True, text=True, timeout=timeout)


@dataclass
class Figures:
    runs: int = 0
    kills: int = 0
    mid_batch: int = 0  # kills after which the archive had grown and the index journal was pending
    records: int = 0
    checks: int = 0
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"runs: {self.runs}, kills: {self.kills} ({self.mid_batch} in the middle of a batch), "
                f"records: {self.records}, checks: {self.checks}, problems found: {len(self.problems)}")


def _traceback(proc: subprocess.CompletedProcess) -> bool:
    return "Traceback (most recent call last)" in (proc.stderr or "") + (proc.stdout or "")


def check(root: Path, titles: set[str], figures: Figures, when: str, *, final: bool = False) -> None:
    """Verify the collection after a kill (or at the end, with ``final``), in this process."""
    from newsarchive import api

    figures.checks += 1
    bad = figures.problems.append
    try:
        _checked, problems, _ = api.verify(root)
    except Exception as exc:  # noqa: BLE001 - any exception here is a finding
        bad(f"{when}: verify raised {exc.__class__.__name__}: {exc}")
        return
    for p in problems:
        if p.kind in ARCHIVE_KINDS:
            bad(f"{when}: {p.kind} {p.path}: {p.detail}")
        elif p.kind == "extra" and p.id is not None:
            bad(f"{when}: stray file in an entry: {p.path}")
        elif final:  # the last import ran to its end: the index must be in step, no temp left
            bad(f"{when}: after a complete import: {p.kind} {p.id or p.path}")
    seen: dict[str, int] = {}
    for entry_dir in (root / "archive").iterdir():
        if entry_dir.name.startswith("."):
            continue
        try:
            entry = json.loads((entry_dir / "entry.json").read_text("utf-8"))
        except (OSError, ValueError) as exc:
            bad(f"{when}: {entry_dir.name}: unreadable entry.json ({exc})")
            continue
        seen[entry["title"]] = seen.get(entry["title"], 0) + 1
    for title, n in seen.items():
        if n > 1:
            bad(f"{when}: {title!r} archived {n} times")
        if title not in titles:
            bad(f"{when}: {title!r} is not an input record")
    if final and len(seen) != len(titles):
        bad(f"{when}: {len(seen)} entries for {len(titles)} records")
    try:
        api.search(root, "crash record", limit=5)
    except Exception as exc:  # noqa: BLE001
        bad(f"{when}: search raised {exc.__class__.__name__}: {exc}")


def _count(root: Path) -> int:
    return sum(1 for p in (root / "archive").iterdir() if not p.name.startswith("."))


def crash_run(work: Path, records: Path, titles: list[str], *, kills: int, rng: random.Random,
              figures: Figures, min_delay: float = 0.3, max_delay: float = 4.0,
              reindex_every: int = 4, log=print) -> None:
    root = work / "coll"
    shutil.rmtree(root, ignore_errors=True)
    subprocess.run([*CLI, "init", str(root)], check=True, capture_output=True)
    wanted = set(titles)
    killed = 0
    while killed < kills:
        before = _count(root)
        proc = subprocess.Popen([*CLI, "--root", str(root), "import", str(records), "--format", "json"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        delay = rng.uniform(min_delay, max_delay)
        try:
            _, err = proc.communicate(timeout=delay)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.communicate()
            killed += 1
            figures.kills += 1
            n = _count(root)
            if n > before and (root / "index" / "journal").exists():
                figures.mid_batch += 1
            log(f"  kill {killed} after {delay:.2f} s: {n} entries")
            check(root, wanted, figures, f"run {figures.runs + 1} kill {killed}")
            if killed % reindex_every == 0:
                r = run(root, "reindex")
                if r.returncode != 0:
                    figures.problems.append(f"reindex failed: {r.stderr.strip()[-300:]}")
                from newsarchive import api

                left = [p for p in api.verify(root)[1] if p.kind != "extra"]
                if left:
                    figures.problems.append(f"run {figures.runs + 1} kill {killed}: verify after reindex: "
                                            f"{[p.to_json() for p in left][:3]}")
            continue
        # the import finished before the kill: start again from an empty collection
        if proc.returncode != 0 or "Traceback" in err:
            figures.problems.append(f"import ended with {proc.returncode}: {err.strip()[-300:]}")
        log(f"  import finished within {delay:.2f} s; starting the collection again")
        shutil.rmtree(root)
        subprocess.run([*CLI, "init", str(root)], check=True, capture_output=True)
    r = run(root, "import", str(records), "--format", "json")
    if r.returncode != 0 or _traceback(r):
        figures.problems.append(f"final import ended with {r.returncode}: {r.stderr.strip()[-300:]}")
    check(root, wanted, figures, f"run {figures.runs + 1} final", final=True)
    r = run(root, "import", str(records), "--format", "json")
    counts = json.loads(r.stdout)["counts"] if r.returncode == 0 else {}
    if counts.get("duplicate") != len(titles) or r.returncode != 0:
        figures.problems.append(f"re-import of a complete collection: {counts or r.stderr.strip()[-300:]}")
    status = json.loads(run(root, "status", "--format", "json").stdout)
    if status["entries"] != len(titles) or status["indexed"] != len(titles) or status["index"] != "ok":
        figures.problems.append(f"status after the run: {status}")
    figures.runs += 1
    figures.records += len(titles)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--kills", type=int, default=12, help="SIGKILLs per run")
    ap.add_argument("--records", type=int, default=3000)
    ap.add_argument("--max-delay", type=float, default=4.0, help="longest wait before a kill (s)")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    args = ap.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="newsarchive-crash-"))
    started = time.monotonic()
    figures = Figures()
    try:
        records = work / "records.jsonl"
        titles = make_records(records, args.records, seed=seed)
        print(f"seed {seed}; {args.runs} runs of {args.kills} kills over {args.records} records in {work}")
        for n in range(args.runs):
            print(f"run {n + 1}")
            crash_run(work, records, titles, kills=args.kills, rng=rng, figures=figures,
                      max_delay=args.max_delay)
            print(f"  {figures.line()}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    for p in figures.problems[:50]:
        print(f"problem: {p}")
    print(figures.line() + f"; {time.monotonic() - started:.0f} s")
    return 1 if figures.problems else 0


if __name__ == "__main__":
    sys.exit(main())
