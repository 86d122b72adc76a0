"""Crash safety: kill `newsarchive import` with SIGKILL at random moments, check, resume.

    python bench/crash.py                       # 5 runs x 12 kills, 3,000 records (a few minutes)
    python bench/crash.py --runs 1 --kills 6 --records 300     # about what the test suite does
    python bench/crash.py --engine tantivy      # the same on a collection made with --engine tantivy

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

Then, for every writer (add, new version, edit, rm, import of each format -- JSONL, CSV,
CSL-JSON, BibTeX, RIS, a folder, a WARC of new versions --, reindex, export), each run from a
copy of a small prepared collection:

* random kills: SIGKILL after a random moment;
* placed kills: ``$NEWSARCHIVE_CRASH_AT`` makes the process kill itself at each commit point
  (staged, committed, half applied; a removal renamed away);

after each, the next writer (``reindex``) must recover and ``verify`` must find nothing wrong
(no damage, no leftover, index in step); the entry a kill hit is in its old or its new state.

Last, a byte-flip sweep over every kind of stored file (snapshot, text, WARC, entry.json,
history.jsonl, manifest): flip sampled byte positions one at a time, check the entry
(fixity.check_entry, what ``verify`` uses), count flips not detected; also each file deleted
and a file added.

Prints runs, kills, kills that landed in the middle of a batch, records, writer kills (random,
placed), unrecovered, flips, undetected, problems found. Exit status 1 when any problem was found.

    python bench/crash.py --runs 0 --writer-kills 3 --flip-samples 300   # writers and flips only
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


def _init(root: Path, engine: str) -> None:
    subprocess.run([*CLI, "init", str(root), "--engine", engine], check=True, capture_output=True)


def crash_run(work: Path, records: Path, titles: list[str], *, kills: int, rng: random.Random,
              figures: Figures, min_delay: float = 0.3, max_delay: float = 4.0,
              reindex_every: int = 4, engine: str = "whoosh", log=print) -> None:
    root = work / "coll"
    shutil.rmtree(root, ignore_errors=True)
    _init(root, engine)
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
        _init(root, engine)
    r = run(root, "import", str(records), "--format", "json")
    if r.returncode != 0 or _traceback(r):
        figures.problems.append(f"final import ended with {r.returncode}: {r.stderr.strip()[-300:]}")
    check(root, wanted, figures, f"run {figures.runs + 1} final", final=True)
    r = run(root, "import", str(records), "--format", "json")
    counts = json.loads(r.stdout)["counts"] if r.returncode == 0 else {}
    if counts.get("duplicate") != len(titles) or r.returncode != 0:
        figures.problems.append(f"re-import of a complete collection: {counts or r.stderr.strip()[-300:]}")
    status = json.loads(run(root, "status", "--format", "json").stdout)
    if status["entries"] != len(titles) or status["indexed"] != len(titles) or status["index"] != "ok" \
            or status.get("engine") != engine:
        figures.problems.append(f"status after the run: {status}")
    figures.runs += 1
    figures.records += len(titles)


# --------------------------------------------------------------------------- every writer

CRASH_POINTS = ("create-staged", "commit-staged", "commit-renamed", "commit-applying", "remove-renamed",
                "index-older-committed")  # the last: between the older-versions and the current index commit
SAMPLE_HTML = ("<html><head><title>SAMPLE {n}: bench headline {tag}</title></head><body><article>"
               "<h1>SAMPLE {n}: bench headline {tag}</h1><p>{words}</p></article></body></html>")


def _page(n: int, tag: str, rng: random.Random) -> str:
    words = " ".join(rng.choice(WORDS) for _ in range(120))
    return SAMPLE_HTML.format(n=n, tag=tag, words=f"Paragraph {tag} {n}. {words}")


def _warc(path: Path, pages: list[tuple[str, str]]) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as fh:
        w = WARCWriter(fh, gzip=True)
        for url, html in pages:
            body = html.encode("utf-8")
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            w.write_record(w.create_warc_record(url, "response", payload=__import__("io").BytesIO(body),
                                                http_headers=headers))


def make_inputs(work: Path, n: int, rng: random.Random) -> dict[str, Path]:
    """One small input of each import format (new entries), a WARC of new versions of the base
    collection's pages, and single pages for add / new version."""
    inp = work / "inputs"
    inp.mkdir()
    files: dict[str, Path] = {}
    (inp / "new.jsonl").write_text("".join(json.dumps({"title": f"JSONL import {i}", "url": f"https://jsonl.example/{i}",
                                                         "text": f"JSONL text {i}. " + " ".join(rng.choice(WORDS) for _ in range(80))}) + "\n"
                                           for i in range(n)), "utf-8")
    files["import-jsonl"] = inp / "new.jsonl"
    (inp / "new.csv").write_text("title,url,published,authors\n" + "".join(
        f"CSV import {i},https://csv.example/{i},2024-0{1 + i % 9}-1{i % 9},Author {i}\n" for i in range(n)), "utf-8")
    files["import-csv"] = inp / "new.csv"
    (inp / "new.json").write_text(json.dumps([{"type": "article-newspaper", "title": f"CSL import {i}",
                                                "URL": f"https://csl.example/{i}", "issued": {"date-parts": [[2024, 1 + i % 12]]}}
                                               for i in range(n)]), "utf-8")
    files["import-csl-json"] = inp / "new.json"
    (inp / "new.bib").write_text("".join(f"@article{{bib{i},\n  title = {{BibTeX import {i}}},\n  journal = {{Bench Times}},\n"
                                         f"  year = {{2024}},\n  url = {{https://bib.example/{i}}}\n}}\n\n" for i in range(n)), "utf-8")
    files["import-bibtex"] = inp / "new.bib"
    (inp / "new.ris").write_text("".join(f"TY  - NEWS\nTI  - RIS import {i}\nPY  - 2024\nUR  - https://ris.example/{i}\nER  - \n\n"
                                         for i in range(n)), "utf-8")
    files["import-ris"] = inp / "new.ris"
    folder = inp / "pages"
    folder.mkdir()
    for i in range(n):
        (folder / f"page{i}.html").write_text(_page(i, "folder", rng), "utf-8")
    files["import-folder"] = folder
    _warc(inp / "new.warc.gz", [(f"https://warc.example/{i}", _page(i, "warc", rng)) for i in range(n)])
    files["import-warc"] = inp / "new.warc.gz"
    _warc(inp / "versions.warc.gz", [(f"https://base.example/{i}", _page(i, "second", rng)) for i in range(n)])
    files["import-warc-versions"] = inp / "versions.warc.gz"
    (inp / "one.html").write_text(_page(999, "single", rng), "utf-8")
    files["page"] = inp / "one.html"
    (inp / "v2.html").write_text(_page(0, "version-two", rng), "utf-8")
    files["page-v2"] = inp / "v2.html"
    return files


def make_base(work: Path, n: int, rng: random.Random, *, engine: str = "whoosh") -> Path:
    """A small collection: N pages from a WARC (snapshot, text, WARC each), indexed."""
    base = work / "base"
    _init(base, engine)
    _warc(work / "base.warc.gz", [(f"https://base.example/{i}", _page(i, "first", rng)) for i in range(n)])
    r = run(base, "import", str(work / "base.warc.gz"))
    if r.returncode != 0:
        raise SystemExit(f"cannot prepare the base collection: {r.stderr}")
    return base


def writer_commands(files: dict[str, Path], ids: list[str], out: Path) -> dict[str, list[str]]:
    return {
        "add": ["add", str(files["page"]), "--url", "https://single.example/new"],
        "new-version": ["add", str(files["page-v2"]), "--url", "https://base.example/0"],
        "edit": ["edit", ids[0], "--set", "section=Bench", "--add-tag", "crash"],
        "rm": ["rm", "--yes", ids[1]],
        **{name: ["import", str(path)] for name, path in files.items() if name.startswith("import-")},
        "reindex": ["reindex"],
        "export-jsonl": ["export", "--to", "jsonl", "-o", str(out / "out.jsonl")],
        "export-bagit": ["export", "--to", "bagit", "-o", str(out / "bag")],
    }


@dataclass
class WriterFigures:
    random_kills: int = 0
    placed_kills: int = 0
    finished_first: int = 0  # the command ended before the kill
    checks: int = 0
    unrecovered: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"writer kills: {self.random_kills} random, {self.placed_kills} placed "
                f"({self.finished_first} commands ended before their kill), checks: {self.checks}, "
                f"unrecovered: {len(self.unrecovered)}")


def _state(root: Path, entry_id: str) -> tuple | None:
    folder = root / "archive" / entry_id
    if not folder.exists():
        return None
    entry = json.loads((folder / "entry.json").read_text("utf-8"))
    history = [json.loads(x)["action"] for x in (folder / "history.jsonl").read_text("utf-8").splitlines()]
    return entry.get("section"), len(entry["snapshots"]), tuple(history)


def recover_and_check(root: Path, when: str, wf: WriterFigures, ids: list[str], before: dict) -> None:
    """The next writer recovers; verify must then find nothing; touched entries are whole."""
    from newsarchive import api

    wf.checks += 1
    bad = wf.unrecovered.append
    r = run(root, "reindex")
    if r.returncode != 0 or _traceback(r):
        bad(f"{when}: reindex after the kill failed: {r.stderr.strip()[-300:]}")
        return
    left = [n for n in os.listdir(root / "archive") if n.startswith(".") and n != ".lock"]
    if left:
        bad(f"{when}: left after recovery: {left}")
    try:
        problems = api.verify(root)[1]
    except Exception as exc:  # noqa: BLE001
        bad(f"{when}: verify raised {exc.__class__.__name__}: {exc}")
        return
    for p in problems:
        bad(f"{when}: {p.kind} {p.path or p.id}: {p.detail}")
    for entry_id in ids[:2]:
        now = _state(root, entry_id)
        old = before[entry_id]
        if now is None or old is None or now == old:
            continue
        section, versions, history = now
        # a changed entry is a whole change: its history says exactly what happened
        if section != old[0] and history != old[2] + ("set", "set"):
            bad(f"{when}: {entry_id}: section changed, history {history}")
        if versions != old[1] and not (versions == old[1] + 1 and history[:len(old[2]) + 1] == old[2] + ("new-version",)):
            bad(f"{when}: {entry_id}: {versions} versions, history {history}")


def writers_run(work: Path, *, kills: int, rng: random.Random, wf: WriterFigures, records: int = 8,
                engine: str = "whoosh", log=print) -> None:
    files = make_inputs(work, records, rng)
    base = make_base(work, records, rng, engine=engine)
    from newsarchive.store import Store

    ids = Store(base).ids()
    # the entries the commands touch come first: new version of base.example/0, edit, rm
    first = json.loads(run(base, "show", "https://base.example/0", "--format", "json").stdout or "{}").get("id")
    if first:
        ids.remove(first)
        ids.insert(0, first)
    before = {i: _state(base, i) for i in ids[:2]}
    coll = work / "coll"
    out = work / "out"

    def fresh() -> None:
        shutil.rmtree(coll, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        shutil.copytree(base, coll)

    commands = writer_commands(files, ids, out)
    for name, args in commands.items():
        # how long the command takes uninterrupted: random kills land within that
        fresh()
        started = time.monotonic()
        r = run(coll, *args)
        took = time.monotonic() - started
        if r.returncode != 0 or _traceback(r):
            wf.unrecovered.append(f"{name}: failed without a kill: {r.stderr.strip()[-300:]}")
        recover_and_check(coll, f"{name} (no kill)", wf, ids, before)
        for k in range(kills):
            fresh()
            proc = subprocess.Popen([*CLI, "--root", str(coll), *args], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            delay = rng.uniform(0.2, max(0.3, took))
            try:
                proc.wait(timeout=delay)
                wf.finished_first += 1
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                wf.random_kills += 1
            recover_and_check(coll, f"{name} random kill {k + 1} at {delay:.2f} s", wf, ids, before)
        for point in CRASH_POINTS:
            fresh()
            env = {**os.environ, "NEWSARCHIVE_CRASH_AT": point}
            proc = subprocess.run([*CLI, "--root", str(coll), *args], capture_output=True, text=True, env=env)
            if proc.returncode != -signal.SIGKILL:
                continue  # this writer never passes that point
            wf.placed_kills += 1
            recover_and_check(coll, f"{name} killed at {point}", wf, ids, before)
        log(f"  {name}: {wf.line()}")


# --------------------------------------------------------------------------- byte flips

@dataclass
class FlipFigures:
    flips: dict[str, int] = field(default_factory=dict)
    undetected: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)

    def count(self, kind: str, detected: bool, what: str) -> None:
        self.flips[kind] = self.flips.get(kind, 0) + 1
        if not detected:
            self.undetected[kind] = self.undetected.get(kind, 0) + 1
            if len(self.examples) < 20:
                self.examples.append(f"{kind}: {what} not detected")

    def line(self) -> str:
        parts = ", ".join(f"{k} {self.undetected.get(k, 0)}/{n}" for k, n in sorted(self.flips.items()))
        return (f"flips: {sum(self.flips.values())}, undetected: {sum(self.undetected.values())} "
                f"(undetected/tried by kind: {parts})")


def flip_sweep(work: Path, *, samples: int, rng: random.Random, ff: FlipFigures, log=print) -> None:
    """Flip sampled bytes of every kind of stored file, one at a time; count what check_entry misses."""
    from newsarchive import api, fixity
    from newsarchive.store import Store

    root = work / "flips"
    api.init(root)
    warc = work / "flip.warc.gz"
    _warc(warc, [("https://flip.example/a", _page(1, "flip", rng))])
    out = api.add(root, data=_page(1, "flip", rng).encode(), source="flip.html",
                  fields={"url": "https://flip.example/a"}, warc=warc.read_bytes())
    entry_id = out.entry.id
    api.add(root, data=_page(1, "flip-two", rng).encode(), source="flip2.html",
            fields={"url": "https://flip.example/a"}, warc=warc.read_bytes())  # a second version
    api.edit(root, entry_id, set_fields={"section": "Flips"}, add_tags=["bench"])
    store = Store(root)
    folder = store.entry_dir(entry_id)
    entry, problems = fixity.check_entry(store, entry_id)
    if problems:
        raise SystemExit(f"the flip collection is not clean to start with: {problems}")
    kinds = {"snapshot": "v1/original.html", "snapshot-v2": "v2/original.html", "text": "v1/text.txt",
             "warc": "v1/capture.warc.gz", "entry.json": "entry.json", "history.jsonl": "history.jsonl",
             "manifest": "manifest-sha256.txt"}
    for kind, rel in kinds.items():
        path = folder / rel
        original = path.read_bytes()
        positions = list(range(len(original)))
        if len(positions) > samples:
            positions = sorted(rng.sample(positions, samples))
        for pos in positions:
            data = bytearray(original)
            data[pos] ^= rng.randrange(1, 256)
            path.write_bytes(bytes(data))
            _entry, found = fixity.check_entry(store, entry_id)
            ff.count(kind, bool(found), f"{rel} byte {pos}")
        path.write_bytes(original)
        path.unlink()  # the whole file deleted
        _entry, found = fixity.check_entry(store, entry_id)
        ff.count(f"{kind} deleted", any(p.path == str(path) for p in found), f"{rel} deleted")
        path.write_bytes(original)
        log(f"  {kind}: {ff.line()}")
    for rel in ("added.txt", "v1/added.bin"):
        extra = folder / rel
        extra.write_bytes(b"not recorded")
        _entry, found = fixity.check_entry(store, entry_id)
        ff.count("file added", any(p.kind == "extra" and p.path == str(extra) for p in found), rel)
        extra.unlink()
    # history lines removed or swapped (not just flipped)
    hist = folder / "history.jsonl"
    original = hist.read_bytes()
    lines = original.splitlines(keepends=True)
    for i in range(len(lines)):
        hist.write_bytes(b"".join(lines[:i] + lines[i + 1:]))
        ff.count("history line removed", bool(fixity.check_entry(store, entry_id)[1]), f"line {i + 1} removed")
    for i in range(len(lines) - 1):
        swapped = lines[:i] + [lines[i + 1], lines[i]] + lines[i + 2:]
        hist.write_bytes(b"".join(swapped))
        ff.count("history lines swapped", bool(fixity.check_entry(store, entry_id)[1]), f"lines {i + 1}/{i + 2} swapped")
    hist.write_bytes(original)
    if fixity.check_entry(store, entry_id)[1]:
        raise SystemExit("the flip sweep did not restore the collection")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--kills", type=int, default=12, help="SIGKILLs per run")
    ap.add_argument("--records", type=int, default=3000)
    ap.add_argument("--max-delay", type=float, default=4.0, help="longest wait before a kill (s)")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--engine", choices=("whoosh", "tantivy"), default="whoosh",
                    help="search engine of the collections (the writers' and the kill runs')")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("--writer-kills", type=int, default=3, help="random SIGKILLs per writer command (0: skip writers)")
    ap.add_argument("--writer-records", type=int, default=8, help="records per import input and base entries")
    ap.add_argument("--flip-samples", type=int, default=300, help="byte positions flipped per file (0: skip flips)")
    args = ap.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="newsarchive-crash-"))
    started = time.monotonic()
    figures = Figures()
    try:
        records = work / "records.jsonl"
        titles = make_records(records, args.records, seed=seed)
        print(f"seed {seed}; engine {args.engine}; {args.runs} runs of {args.kills} kills over "
              f"{args.records} records in {work}")
        for n in range(args.runs):
            print(f"run {n + 1}")
            crash_run(work, records, titles, kills=args.kills, rng=rng, figures=figures,
                      max_delay=args.max_delay, engine=args.engine)
            print(f"  {figures.line()}")
        wf, ff = WriterFigures(), FlipFigures()
        if args.writer_kills or args.writer_kills == 0 and args.writer_records:
            print("writers")
            (work / "writers").mkdir()
            writers_run(work / "writers", kills=args.writer_kills, rng=rng, wf=wf, records=args.writer_records,
                        engine=args.engine)
        if args.flip_samples:
            print("byte flips")
            (work / "flipwork").mkdir()
            flip_sweep(work / "flipwork", samples=args.flip_samples, rng=rng, ff=ff)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    for p in (figures.problems + wf.unrecovered)[:50]:
        print(f"problem: {p}")
    for p in ff.examples:
        print(f"undetected: {p}")
    print(figures.line() + f"; {time.monotonic() - started:.0f} s")
    print(wf.line())
    print(ff.line())
    return 1 if figures.problems or wf.unrecovered or ff.undetected else 0


if __name__ == "__main__":
    sys.exit(main())
