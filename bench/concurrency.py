"""Concurrent writers: processes adding and importing into one collection at once, with searches.

    python bench/concurrency.py                       # 4 writers, 1,000 records, 2 searchers
    python bench/concurrency.py --records 200 --json  # a short run (what the test suite does)
    python bench/concurrency.py --engine tantivy      # the same on a tantivy collection

Half the writers import their share as several small JSONL files (`newsarchive import`, one
process per file, one after the other); the other half add their records one by one through
the library (`api.add`, one lock per record) and every tenth one through `newsarchive add`.
All records share a handful of title words and authors, so their citation keys clash and
must be made unique under the lock. Meanwhile searcher processes run queries without pause.

At the end: every record present once (by URL), IDs and citekeys unique, the index holding
exactly the archive (`verify` clean), no traceback from any process, no failed search. Lock
waits that ran out (`Error: another newsarchive process is writing ...`) are counted apart:
they must be clear one-line messages, and with the default 30 s timeout there should be none.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

CLI = [sys.executable, "-m", "newsarchive"]
WORDS = "serbia sanctions election border energy".split()
AUTHORS = ["Jovana Gec", "Dušan Stojanović", "Associated Press"]
TRACEBACK = "Traceback (most recent call last)"


def record(i: int) -> dict:
    word = WORDS[i % len(WORDS)]
    return {"title": f"{word.capitalize()} story number {i}", "authors": [AUTHORS[i % len(AUTHORS)]],
            "published": "2024-09-04", "outlet": "Concurrent News", "url": f"https://concurrent.example/{i}",
            "text": f"{word.capitalize()} story number {i}.\n\nBody of record {i} about {word} and "
                    f"{WORDS[(i * 7) % len(WORDS)]}, written by writer process number {i % 4}."}


# --------------------------------------------------------------------------- worker processes

def _tally(proc: subprocess.CompletedProcess, out: dict, label: str) -> None:
    """Count a finished CLI process: a traceback, a lock timeout, or another failure."""
    if TRACEBACK in proc.stderr + proc.stdout:
        out["tracebacks"] += 1
        out["errors"].append(proc.stderr[-500:])
    elif proc.returncode != 0:
        if "another newsarchive process is writing" in proc.stderr:
            out["lock_timeouts"] += 1
        else:
            out["errors"].append(f"{label}: exit {proc.returncode}: {proc.stderr.strip()[-300:]}")


def worker_import(root: Path, files: list[Path], lock_timeout: float) -> dict:
    out = {"records": 0, "tracebacks": 0, "lock_timeouts": 0, "errors": []}
    for f in files:
        proc = subprocess.run([*CLI, "--root", str(root), "import", str(f), "--format", "jsonl",
                               "--lock-timeout", str(lock_timeout)], capture_output=True, text=True)
        _tally(proc, out, f"import {f.name}")
        out["records"] += sum(1 for line in proc.stdout.splitlines() if line.strip())
    return out


def worker_add(root: Path, file: Path, lock_timeout: float) -> dict:
    from newsarchive import api
    from newsarchive.errors import LockTimeout, NewsArchiveError

    out = {"records": 0, "tracebacks": 0, "lock_timeouts": 0, "errors": []}
    for n, line in enumerate(file.read_text("utf-8").splitlines()):
        rec = json.loads(line)
        text = rec.pop("text")
        out["records"] += 1
        if n % 10 == 0:  # through the command line, as a user types it
            src = file.with_name(f"{file.stem}-{n}.txt")
            src.write_text(text, "utf-8")
            args = [*CLI, "--root", str(root), "add", str(src), "--title", rec["title"], "--url", rec["url"],
                    "--outlet", rec["outlet"], "--published", rec["published"],
                    "--lock-timeout", str(lock_timeout)]
            for a in rec["authors"]:
                args += ["--author", a]
            proc = subprocess.run(args, capture_output=True, text=True)
            _tally(proc, out, f"add {n}")
            continue
        try:
            api.add(root, data=text.encode("utf-8"), source=f"{file.name}:{n}", fields=rec,
                    media_type="text/plain", lock_timeout=lock_timeout)
        except LockTimeout:
            out["lock_timeouts"] += 1
        except NewsArchiveError as exc:
            out["errors"].append(f"add {n}: {exc}")
        except Exception:  # noqa: BLE001 - would reach the user as a traceback
            out["tracebacks"] += 1
            out["errors"].append(traceback.format_exc()[-800:])
    return out


def worker_search(root: Path, stop: Path) -> dict:
    from newsarchive import api
    from newsarchive.errors import NewsArchiveError

    rng = random.Random(os.getpid())
    out = {"searches": 0, "failed": 0, "tracebacks": 0, "errors": []}
    while not stop.exists():
        q = " ".join(rng.sample(WORDS, rng.randint(1, 2)))
        if rng.random() < 0.3:
            q = f'"{q}"' if rng.random() < 0.5 else f"title:{q.split()[0]} OR body:record"
        out["searches"] += 1
        if out["searches"] % 15 == 0:
            proc = subprocess.run([*CLI, "--root", str(root), "search", q, "--format", "ids"],
                                  capture_output=True, text=True)
            if TRACEBACK in proc.stderr:
                out["tracebacks"] += 1
                out["errors"].append(proc.stderr[-500:])
            elif proc.returncode != 0:
                out["failed"] += 1
                out["errors"].append(f"search {q!r}: exit {proc.returncode}: {proc.stderr.strip()[-300:]}")
            continue
        try:
            api.search(root, q, limit=10, facets=("outlet",))
        except NewsArchiveError as exc:
            out["failed"] += 1
            out["errors"].append(f"search {q!r}: {exc}")
        except Exception:  # noqa: BLE001
            out["tracebacks"] += 1
            out["errors"].append(traceback.format_exc()[-800:])
    return out


# --------------------------------------------------------------------------- the harness

def run_concurrency(work: Path, *, records: int = 1000, writers: int = 4, searchers: int = 2,
                    chunk: int = 50, lock_timeout: float = 30.0, engine: str = "whoosh", log=print) -> dict:
    from newsarchive import api

    root = api.init(work / "coll", engine=engine)
    shares: list[list[int]] = [list(range(w, records, writers)) for w in range(writers)]
    procs = []
    stop = work / "stop"
    started = time.monotonic()
    for s in range(searchers):
        procs.append(("search", subprocess.Popen([sys.executable, __file__, "--worker", "search", str(root), str(stop)],
                                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    writer_procs = []
    for w, share in enumerate(shares):
        folder = work / f"w{w}"
        folder.mkdir()
        if w % 2 == 0:
            files = []
            for k in range(0, len(share), chunk):
                f = folder / f"part{k // chunk}.jsonl"
                f.write_text("".join(json.dumps(record(i), ensure_ascii=False) + "\n" for i in share[k:k + chunk]), "utf-8")
                files.append(str(f))
            args = ["import", str(root), str(lock_timeout), *files]
        else:
            f = folder / "adds.jsonl"
            f.write_text("".join(json.dumps(record(i), ensure_ascii=False) + "\n" for i in share), "utf-8")
            args = ["add", str(root), str(lock_timeout), str(f)]
        p = subprocess.Popen([sys.executable, __file__, "--worker", *args],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        writer_procs.append(p)
        procs.append(("writer", p))
    results = {"writers": [], "searchers": []}
    crashed = []
    for p in writer_procs:
        stdout, stderr = p.communicate()
        if p.returncode != 0 or not stdout.strip():
            crashed.append(stderr[-800:])
            continue
        results["writers"].append(json.loads(stdout.strip().splitlines()[-1]))
    write_seconds = time.monotonic() - started
    stop.write_text("stop")
    for kind, p in procs:
        if kind == "search":
            stdout, stderr = p.communicate()
            if p.returncode != 0 or not stdout.strip():
                crashed.append(stderr[-800:])
                continue
            results["searchers"].append(json.loads(stdout.strip().splitlines()[-1]))
    problems: list[str] = [f"worker process crashed: {c}" for c in crashed]
    for r in results["writers"] + results["searchers"]:
        problems += r["errors"]
    # the collection afterwards
    entries = [json.loads((d / "entry.json").read_text("utf-8"))
               for d in (root / "archive").iterdir() if not d.name.startswith(".")]
    urls = [e["url"] for e in entries]
    want = {record(i)["url"] for i in range(records)}
    lock_timeouts = sum(r["lock_timeouts"] for r in results["writers"])
    missing = want - set(urls)
    if len(missing) > 0 and not lock_timeouts:
        problems.append(f"{len(missing)} records missing, e.g. {sorted(missing)[:3]}")
    if len(urls) != len(set(urls)):
        problems.append(f"{len(urls) - len(set(urls))} records archived more than once")
    if set(urls) - want:
        problems.append(f"entries that are not input records: {sorted(set(urls) - want)[:3]}")
    ids = [e["id"] for e in entries]
    keys = [e["citekey"] for e in entries]
    if len(set(ids)) != len(ids):
        problems.append("duplicate IDs")
    if len(set(keys)) != len(keys):
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        problems.append(f"duplicate citekeys: {dupes[:5]}")
    checked, found, _ = api.verify(root)
    problems += [f"verify: {p.kind} {p.id or p.path}: {p.detail}" for p in found]
    st = api.status(root)
    if st.indexed != len(entries) or st.index_state != "ok" or st.engine != engine:
        problems.append(f"status: {st.to_json()}")
    figures = {
        "engine": engine, "writers": writers, "records": records, "entries": len(entries), "unique_urls": len(set(urls)),
        "unique_ids": len(set(ids)), "unique_citekeys": len(set(keys)), "indexed": st.indexed,
        "searches": sum(r["searches"] for r in results["searchers"]),
        "failed_searches": sum(r["failed"] for r in results["searchers"]),
        "lock_timeouts": lock_timeouts,
        "tracebacks": sum(r["tracebacks"] for r in results["writers"] + results["searchers"]) + len(crashed),
        "seconds": round(write_seconds, 1), "problems": problems,
    }
    return figures


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--worker":
        mode, root = argv[1], Path(argv[2])
        if mode == "search":
            out = worker_search(root, Path(argv[3]))
        elif mode == "import":
            out = worker_import(root, [Path(a) for a in argv[4:]], float(argv[3]))
        else:
            out = worker_add(root, Path(argv[4]), float(argv[3]))
        print(json.dumps(out))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=1000)
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--searchers", type=int, default=2)
    ap.add_argument("--chunk", type=int, default=50, help="records per imported JSONL file")
    ap.add_argument("--lock-timeout", type=float, default=30.0)
    ap.add_argument("--engine", choices=("whoosh", "tantivy"), default="whoosh",
                    help="search engine of the collection")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="newsarchive-concurrency-"))
    try:
        fig = run_concurrency(work, records=args.records, writers=args.writers, searchers=args.searchers,
                              chunk=args.chunk, lock_timeout=args.lock_timeout, engine=args.engine)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(fig))
    else:
        for p in fig["problems"][:30]:
            print(f"problem: {p}")
        print(f"engine: {fig['engine']}, writers: {fig['writers']}, records: {fig['records']}, entries: {fig['entries']} "
              f"(unique URLs {fig['unique_urls']}, IDs {fig['unique_ids']}, citekeys {fig['unique_citekeys']}), "
              f"indexed: {fig['indexed']}, searches: {fig['searches']} ({fig['failed_searches']} failed), "
              f"lock timeouts: {fig['lock_timeouts']}, tracebacks: {fig['tracebacks']}, "
              f"problems: {len(fig['problems'])}; {fig['seconds']} s")
    return 1 if fig["problems"] or fig["tracebacks"] else 0


if __name__ == "__main__":
    sys.exit(main())
