"""The protocol every search engine implements (one object per collection index folder).

The use cases (:mod:`newsarchive.api`) reach the index only through an object of this shape,
obtained from :func:`newsarchive.search.engines.for_store`. Results are
:class:`newsarchive.search.result.SearchResult` whatever the engine.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any, Callable, ContextManager, Iterable, Protocol, runtime_checkable

if TYPE_CHECKING:  # pragma: no cover
    from .result import SearchResult
    from ..model import Entry
    from ..query import Node


class IndexWriterSession(Protocol):
    """Buffered changes, applied as one commit when the ``with`` block ends normally."""

    def upsert(self, entry: "Entry", body_text: str = "", *, fingerprint: str | None = None) -> None: ...

    def delete(self, entry_id: str) -> None: ...


@runtime_checkable
class SearchBackend(Protocol):
    #: the registry name ("whoosh", "tantivy")
    name: str
    #: bumped when the engine's schema or analysis changes; an older index asks for a reindex
    schema_version: int

    def exists(self) -> bool:
        """A usable index of the current schema version is there."""

    def present(self) -> bool:
        """Some index of this engine is there (maybe outdated or damaged)."""

    def writer(self, *, timeout: float = 30.0) -> ContextManager[IndexWriterSession]:
        """``with backend.writer() as w: w.upsert(entry, text); w.delete(id)``."""

    def rebuild(self, docs: Iterable[tuple["Entry", str]], *, timeout: float = 30.0) -> int:
        """Build a fresh index beside the current one, then swap it in. Returns the count."""

    def search(self, query: "str | Node", *, limit: int = 20, offset: int = 0, sort: str = "relevance",
               facets: Iterable[str] = (), snippets: bool = True,
               body_loader: Callable[[str], str] | None = None, today: _dt.date | None = None,
               all_versions: bool = False,
               older_versions: Iterable[tuple["Entry", int, str]] = ()) -> "SearchResult": ...

    def ids(self) -> set[str]: ...

    def count(self) -> int: ...

    def stored_fingerprints(self) -> dict[str, str]:
        """entry id -> :func:`fingerprint` recorded when it was indexed."""

    def fingerprint(self, entry: "Entry", body_text: str) -> str: ...

    def state(self) -> dict[str, Any]:
        """{"engine": name, "schema_version": N, "exists": bool, ...} for status."""

    def condition(self) -> str:
        """"ok", "missing", "outdated" (an older schema: reindex) or "damaged", for status."""

    def sweep(self) -> int:
        """Remove what a killed rebuild left behind (not while a rebuild runs); returns how many."""

    def remove(self) -> None:
        """Delete this engine's files from the index folder (after a switch to another engine)."""
