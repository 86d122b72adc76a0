"""Fixity: is what the archive stores still what it recorded?

One function answers it for one entry folder, so ``verify``, the exporters and ``status`` share
a single definition of "damaged". It reads only ``archive/`` (never the index) and never writes.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import store as st
from .errors import EntryNotFound, StoreError
from .model import Entry


@dataclass(frozen=True)
class Problem:
    kind: str  # corrupt | missing | extra | invalid | stale-index | not-indexed | extra-in-index
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


def check_entry(store: st.Store, entry_id: str) -> tuple[Entry | None, list[Problem]]:
    """Check one entry folder against what it recorded. Returns the entry when its metadata could
    be read (even if other files are damaged) and every problem found, each naming its file."""
    folder = store.entry_dir(entry_id)
    problems: list[Problem] = []
    try:
        entry = store.read(entry_id)
    except (StoreError, EntryNotFound) as exc:
        kind = "missing" if isinstance(exc, EntryNotFound) else "invalid"
        return None, [Problem(kind, entry_id, str(folder / st.ENTRY_FILE), str(exc))]
    expected = {st.ENTRY_FILE, st.HISTORY_FILE}
    for n, s in enumerate(entry.snapshots, 1):
        for rel, sha in ((s.path, s.sha256), (s.text_path, s.text_sha256), (s.warc_path, None)):
            if not rel:
                continue
            expected.add(rel)
            path = folder / rel
            if not path.is_file():
                problems.append(Problem("missing", entry_id, str(path), f"version {n}: file is missing"))
                continue
            if sha is not None:
                actual = hash_file(path)
                if actual != sha:
                    problems.append(Problem("corrupt", entry_id, str(path),
                                            f"version {n}: SHA-256 {actual[:16]}… does not match recorded {sha[:16]}…"))
            if rel == s.path and path.stat().st_size != s.size:
                problems.append(Problem("corrupt", entry_id, str(path),
                                        f"version {n}: {path.stat().st_size} bytes, recorded {s.size}"))
    if st.HISTORY_FILE in os.listdir(folder):
        try:
            store.read_history(entry_id)
        except StoreError as exc:
            problems.append(Problem("invalid", entry_id, str(folder / st.HISTORY_FILE), str(exc)))
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and rel not in expected:
            problems.append(Problem("extra", entry_id, str(path), "file not referenced by entry.json"))
    return entry, problems
