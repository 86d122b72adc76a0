"""The Whoosh backend (pure Python, the default engine); the only package that imports Whoosh.

:class:`WhooshBackend` implements :class:`~newsarchive.search.backend.SearchBackend` over the
functions of :mod:`.storage` (layout, generations), :mod:`.writing` (batched writes, merge
policy, rebuilds), :mod:`.reading` (searcher cache, search, facets) and :mod:`.translate`
(query tree -> Whoosh query). :mod:`.schema` is the Whoosh schema and how a document is
stored (packed facet column, stored tuple); nothing outside this package sees either.

Whoosh is imported inside functions only, so importing this package stays cheap.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Iterable

from ...errors import SearchIndexError
from .. import documents, layout
from . import reading, storage, writing
from .reading import count, ids, search, stored_fingerprints, stored_stamps
from .schema import SCHEMA_VERSION
from .storage import META_NAME, exists, sweep
from .writing import IndexWriter, optimize, rebuild, writer

__all__ = ["WhooshBackend", "SCHEMA_VERSION", "META_NAME", "IndexWriter", "writer", "rebuild", "optimize",
           "search", "ids", "count", "stored_fingerprints", "stored_stamps", "exists", "sweep"]


class WhooshBackend:
    name = "whoosh"
    schema_version = SCHEMA_VERSION

    def __init__(self, index_dir: Path):
        self.index_dir = Path(index_dir)

    def exists(self) -> bool:
        return storage.exists(self.index_dir)

    def present(self) -> bool:
        return (self.index_dir / META_NAME).exists()

    def writer(self, *, timeout: float = 30.0) -> IndexWriter:
        return writing.writer(self.index_dir, timeout=timeout)

    def rebuild(self, docs: Iterable[tuple[Any, ...]], *, timeout: float = 30.0,
                older: Callable[[Any], Iterable[tuple[Any, int, str]]] | None = None) -> int:
        try:
            storage.read_meta(self.index_dir)
        except SearchIndexError:  # a garbled index.json would stop the rebuild that replaces it
            (self.index_dir / META_NAME).unlink(missing_ok=True)
        return writing.rebuild(self.index_dir, docs, timeout=timeout, older=older)

    def build_older(self, versions: Iterable[tuple[Any, int, str]], *, timeout: float = 30.0) -> int:
        return writing.build_older(self.index_dir, versions, timeout=timeout)

    def older_condition(self) -> str:
        return layout.older_condition(self.index_dir, META_NAME, schema=SCHEMA_VERSION)

    def older_fingerprints(self) -> dict[str, dict[int, str]]:
        return reading.older_fingerprints(self.index_dir)

    def search(self, query, **kw: Any):
        return reading.search(self.index_dir, query, **kw)

    def ids(self) -> set[str]:
        return reading.ids(self.index_dir)

    def count(self) -> int:
        return reading.count(self.index_dir)

    def stored_fingerprints(self) -> dict[str, str]:
        return reading.stored_fingerprints(self.index_dir)

    def commit_token(self) -> str:
        """What changes at each commit (Whoosh writes a new TOC file per generation)."""
        return layout.file_token(storage.current(self.index_dir),
                                 lambda gen: [n for n in os.listdir(gen) if n.endswith(".toc")])

    def stored_stamps(self) -> dict[str, Any]:
        """entry id -> the stamp of its entry.json when it was indexed (see catalog.entry_stamp)."""
        return reading.stored_stamps(self.index_dir)

    def fingerprint(self, entry: Any, body_text: str) -> str:
        return documents.fingerprint(entry, body_text)

    def state(self) -> dict[str, Any]:
        return {"engine": self.name, "schema_version": SCHEMA_VERSION, "exists": self.exists()}

    def sweep(self) -> int:
        """Remove what a killed rebuild left (generation folders other than the current one)."""
        return storage.sweep(self.index_dir)

    def condition(self) -> str:
        """"ok", "missing", "outdated" or "damaged" (see :func:`..layout.condition`)."""
        return layout.condition(self.index_dir, META_NAME, usable=self.exists())

    def remove(self) -> None:
        reading.forget(self.index_dir)
        (self.index_dir / META_NAME).unlink(missing_ok=True)
        layout.remove_generations(self.index_dir, storage.PREFIX)
        layout.remove_generations(self.index_dir, storage.OLDER_PREFIX)
