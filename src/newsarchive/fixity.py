"""Fixity: is what the archive stores still what it recorded?

One function answers it for one entry folder, so ``verify``, the exporters and ``status`` share
a single definition of "damaged". It reads only ``archive/`` (never the index) and never writes.

What is recorded, and checked:

* ``manifest-sha256.txt``: the SHA-256 of every other file in the folder (``entry.json``,
  ``history.jsonl``, every snapshot, text and WARC file, and any file added later). A changed
  byte, a missing file or a file that is not listed is a problem naming the file.
* ``entry.json``: each snapshot's ``sha256``/``size``, ``text_sha256`` and ``warc_sha256``.
* ``history.jsonl``: a hash chain (each line's ``prev`` is the SHA-256 of the line before).

An entry written by an older version has no manifest; it is checked against ``entry.json``
alone, and :func:`sealed` tells ``verify`` to say so (``verify --seal`` adds the manifest).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import store as st
from .errors import EntryNotFound, StoreError
from .model import Entry


@dataclass(frozen=True)
class Problem:
    # corrupt | missing | extra | invalid | stale-index | not-indexed | extra-in-index, and
    # "note" (not damage: e.g. an entry without a manifest, written by an older version)
    kind: str
    id: str | None
    path: str | None
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "path": self.path, "detail": self.detail}


def hash_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sealed(store: st.Store, entry_id: str) -> bool:
    """Whether the entry folder has a manifest (every entry written by this version has one)."""
    return (store.entry_dir(entry_id) / st.MANIFEST_FILE).exists()


def metadata_ok(store: st.Store, entry_id: str) -> bool:
    """Cheap check for derived data (the index): False when the manifest records a different
    SHA-256 for ``entry.json``, or is unreadable. True for entries without a manifest."""
    folder = store.entry_dir(entry_id)
    try:
        data = (folder / st.MANIFEST_FILE).read_bytes()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    hashes, bad = st.parse_manifest(data)
    if bad or st.ENTRY_FILE not in hashes:
        return False
    try:
        return hash_file(folder / st.ENTRY_FILE) == hashes[st.ENTRY_FILE]
    except OSError:
        return False


def _files(folder: Path) -> list[str]:
    out = []
    for path in folder.rglob("*"):
        if path.is_file() or path.is_symlink():
            out.append(path.relative_to(folder).as_posix())
    return sorted(out)


def _wait_for_commit(store: st.Store, entry_id: str, *, timeout: float = 2.0) -> set[str]:
    """A writer may be applying a change to this entry right now (its ``.commit-*`` journal
    exists): wait for it briefly rather than report a half-applied state as damage. Returns the
    tokens of changes still being staged (their files are not the entry's yet)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        try:
            names = [n for n in os.listdir(store.archive)
                     if n.endswith(".json") and n.startswith((st.COMMIT_PREFIX + entry_id + "-", f".tmp-{entry_id}-"))]
        except OSError:
            return set()
        if not any(n.startswith(st.COMMIT_PREFIX) for n in names) or time.monotonic() >= deadline:
            return {n[:-5].rsplit("-", 1)[-1] for n in names if n.startswith(".tmp-")}
        time.sleep(0.02)


def _staged_by(rel: str, tokens: set[str]) -> bool:
    """Whether a file is one a change in progress staged (``.v2-<token>/...``, ``.entry.json.<token>.tmp``)."""
    if not tokens or not rel.startswith("."):
        return False
    top = rel.split("/", 1)[0]
    return any(top.endswith("-" + t) or top.endswith(f".{t}.tmp") for t in tokens)


def check_history(path: Path) -> list[str]:
    """Problems with a history file: unreadable lines, a broken hash chain, a torn last line."""
    data = path.read_bytes()
    complete, torn = st.split_history(data)
    out = []
    lines = complete.splitlines()
    if torn:
        try:
            json.loads(torn)
            lines.append(torn)
        except (UnicodeDecodeError, json.JSONDecodeError):
            out.append(f"last line is cut short ({len(torn)} bytes, an interrupted write); "
                       "the next change to this entry removes it")
    chained = False
    previous = None
    broken: list[tuple[int, str]] = []  # one problem for the chain, naming the first broken link
    for n, line in enumerate(lines, 1):
        try:
            event = json.loads(line)
        except (UnicodeDecodeError, json.JSONDecodeError):
            out.append(f"line {n} is not valid JSON")
            previous = line
            continue
        if not isinstance(event, dict):
            out.append(f"line {n} is not a JSON object")
        elif "prev" in event:
            chained = True
            want = hashlib.sha256(previous).hexdigest() if previous is not None else st.EMPTY_SHA256
            if event["prev"] != want:
                broken.append((n, "a line before it was changed, removed or reordered"))
        elif chained:
            broken.append((n, "line has no 'prev'"))
        previous = line
    if broken:
        (n, why), rest = broken[0], [str(b[0]) for b in broken[1:]]
        more = f"; also at line{'s' if len(rest) > 1 else ''} {', '.join(rest)}" if rest else ""
        out.append(f"line {n}: hash chain broken ({why}){more}")
    return out


def check_entry(store: st.Store, entry_id: str, *, tsa_roots: list[Any] | None = None) -> tuple[Entry | None, list[Problem]]:
    """Check one entry folder against what it recorded. Returns the entry when its metadata could
    be read and matches its recorded hash (even if other files are damaged), and every problem
    found, each naming its file. An ``entry.json`` that fails its recorded hash gives no entry:
    damaged metadata is never taken as the truth. ``tsa_roots``: the root certificates trusted
    for trusted timestamps (else each token's stored chain)."""
    folder = store.entry_dir(entry_id)
    problems: list[Problem] = []

    def add(kind: str, rel: str, detail: str) -> None:
        problems.append(Problem(kind, entry_id, str(folder / rel), detail))

    if not folder.is_dir():
        return None, [Problem("missing", entry_id, str(folder), f"no entry {entry_id!r}")]
    in_flight = _wait_for_commit(store, entry_id)
    present = [rel for rel in _files(folder) if not _staged_by(rel, in_flight)]
    recorded: dict[str, str] | None = None
    manifest_path = folder / st.MANIFEST_FILE
    if st.MANIFEST_FILE in present:
        try:
            hashes, bad = st.parse_manifest(manifest_path.read_bytes())
        except OSError as exc:
            hashes, bad = {}, [f"cannot read it ({exc.strerror})"]
        for b in bad:
            add("corrupt", st.MANIFEST_FILE, f"manifest: {b}")
        recorded = hashes
    cached: dict[str, str] = {}

    def actual(rel: str) -> str | None:
        if rel not in cached:
            try:
                cached[rel] = hash_file(folder / rel)
            except OSError:
                return None
        return cached[rel]

    metadata_damaged = False
    if recorded is not None:
        for rel, want in sorted(recorded.items()):
            if rel not in present:
                add("missing", rel, "listed in the manifest but missing")
                continue
            got = actual(rel)
            if got != want:
                add("corrupt", rel, f"SHA-256 {str(got)[:16]}… does not match the manifest's {want[:16]}…")
                if rel == st.ENTRY_FILE:
                    metadata_damaged = True
        if st.ENTRY_FILE not in recorded:
            add("corrupt", st.MANIFEST_FILE, "manifest does not list entry.json")
            metadata_damaged = True
    try:
        entry = store.read(entry_id)
    except (StoreError, EntryNotFound) as exc:
        kind = "missing" if isinstance(exc, EntryNotFound) else "invalid"
        if not any(p.path == str(folder / st.ENTRY_FILE) and p.kind == kind for p in problems):
            add(kind, st.ENTRY_FILE, str(exc))
        entry = None
    expected = {st.ENTRY_FILE, st.HISTORY_FILE, st.MANIFEST_FILE}
    if entry is not None:
        for n, s in enumerate(entry.snapshots, 1):
            for rel, sha in ((s.path, s.sha256), (s.text_path, s.text_sha256), (s.warc_path, s.warc_sha256)):
                if not rel:
                    continue
                expected.add(rel)
                if rel not in present:
                    if not any(p.path == str(folder / rel) for p in problems):
                        add("missing", rel, f"version {n}: file is missing")
                    continue
                if sha is not None and actual(rel) != sha:
                    if not any(p.path == str(folder / rel) and p.kind == "corrupt" for p in problems):
                        add("corrupt", rel, f"version {n}: SHA-256 {str(actual(rel))[:16]}… does not match recorded {sha[:16]}…")
                if rel == s.path and (folder / rel).stat().st_size != s.size:
                    add("corrupt", rel, f"version {n}: {(folder / rel).stat().st_size} bytes, recorded {s.size}")
        for n, s in enumerate(entry.snapshots, 1):
            if s.timestamp:  # checked offline against its own manifest and the TSA's chain
                from .evidence.timestamp import check_snapshot

                expected.update(str(s.timestamp[k]) for k in ("token", "manifest", "chain", "history")
                                if s.timestamp.get(k))
                for kind, rel, detail in check_snapshot(folder, n, s.timestamp, roots=tsa_roots):
                    if not any(p.path == str(folder / rel) for p in problems):
                        add(kind, rel, detail)
    if st.HISTORY_FILE in present:
        try:
            for detail in check_history(folder / st.HISTORY_FILE):
                if not any(p.path == str(folder / st.HISTORY_FILE) and p.kind == "corrupt" for p in problems):
                    add("invalid", st.HISTORY_FILE, detail)
        except OSError as exc:
            add("invalid", st.HISTORY_FILE, f"cannot read it ({exc.strerror})")
    if recorded is None and st.HISTORY_FILE in present:
        try:
            first = (folder / st.HISTORY_FILE).read_bytes().split(b"\n", 1)[0]
            chained = f'"prev": "{st.EMPTY_SHA256}"'.encode() in first
        except OSError:
            chained = False
        if chained:  # created by a version that always writes a manifest: it was deleted
            add("missing", st.MANIFEST_FILE, "the manifest is missing (this entry was written with one)")
    listed = set(recorded or ()) | {st.MANIFEST_FILE}
    for rel in present:
        if recorded is not None:
            if rel not in listed:
                add("extra", rel, "file not in the manifest" + ("" if rel in expected else " nor referenced by entry.json"))
        elif rel not in expected:
            add("extra", rel, "file not referenced by entry.json (left by an interrupted write of an older "
                              "version? the next new version of this entry replaces it, or delete it)")
    if metadata_damaged:
        return None, problems
    return entry, problems
