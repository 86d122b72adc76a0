"""The Whoosh backend: a thin adapter over :mod:`newsarchive.index` (no behaviour of its own)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Iterable

from .. import index
from ..errors import SearchIndexError


class WhooshBackend:
    name = "whoosh"

    def __init__(self, index_dir: Path):
        self.index_dir = Path(index_dir)

    @property
    def schema_version(self) -> int:  # type: ignore[override]
        return index.SCHEMA_VERSION

    def exists(self) -> bool:
        return index.exists(self.index_dir)

    def present(self) -> bool:
        return (self.index_dir / index.META_NAME).exists()

    def writer(self, *, timeout: float = 30.0):
        return index.writer(self.index_dir, timeout=timeout)

    def rebuild(self, docs: Iterable[tuple[Any, str]], *, timeout: float = 30.0) -> int:
        try:
            index._read_meta(self.index_dir)
        except SearchIndexError:  # a garbled index.json would stop the rebuild that replaces it
            (self.index_dir / index.META_NAME).unlink(missing_ok=True)
        return index.rebuild(self.index_dir, docs, timeout=timeout)

    def search(self, query, **kw: Any):
        return index.search(self.index_dir, query, **kw)

    def ids(self) -> set[str]:
        return index.ids(self.index_dir)

    def count(self) -> int:
        return index.count(self.index_dir)

    def stored_fingerprints(self) -> dict[str, str]:
        return index.stored_fingerprints(self.index_dir)

    def stored_stamps(self) -> dict[str, Any]:
        """entry id -> the stamp of its entry.json when it was indexed (see api.entry_stamp)."""
        return index.stored_stamps(self.index_dir)

    def fingerprint(self, entry: Any, body_text: str) -> str:
        return index.fingerprint(entry, body_text)

    def state(self) -> dict[str, Any]:
        return {"engine": self.name, "schema_version": index.SCHEMA_VERSION, "exists": self.exists()}

    def remove(self) -> None:
        index._forget(self.index_dir)
        (self.index_dir / index.META_NAME).unlink(missing_ok=True)
        for p in self.index_dir.glob("g-*"):
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
