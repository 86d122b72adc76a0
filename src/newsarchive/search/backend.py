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


#: one older version of an entry: (the entry as that version showed it, its version number
#: counted from 1, that version's text)
OlderVersion = tuple["Entry", int, str]


class IndexWriterSession(Protocol):
    """Buffered changes, applied as one commit when the ``with`` block ends normally.

    Every engine keeps two indexes: the *current* one (one document per entry, its newest
    version: what a plain search ranks) and the *older-versions* one (one document per older
    version, for ``search --all-versions``), kept apart so that plain searches rank by the
    statistics of the newest versions alone. A writer changes both; an index built before older
    versions were indexed has no older-versions index, and its writers leave them out
    (``older_condition`` says "missing" until ``build_older`` or ``rebuild``)."""

    def upsert(self, entry: "Entry", body_text: str = "", *, fingerprint: str | None = None,
               stamp: Any = None, older: Iterable[OlderVersion] | None = None) -> None:
        """Index ``entry`` with ``body_text`` (its newest text). ``older``: all its older
        versions, replacing those in the older-versions index (``[]``: it has none); None
        leaves them as they are."""

    def delete(self, entry_id: str) -> None:
        """Remove the entry and its older versions."""


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

    def rebuild(self, docs: Iterable[tuple["Entry", str]], *, timeout: float = 30.0,
                older: Callable[["Entry"], Iterable[OlderVersion]] | None = None) -> int:
        """Build a fresh index beside the current one, then swap it in. Returns the count.
        ``docs``: (entry, newest text[, entry.json stamp]). With ``older`` (entry -> its older
        versions) the older-versions index is built too and swapped in by the same metadata
        write (a kill at any moment leaves the old pair or the new one); without, the new index
        has no older-versions index."""

    def build_older(self, versions: Iterable[OlderVersion], *, timeout: float = 30.0) -> int:
        """Build the older-versions index from every older version of every entry, beside the
        current index, and record it in the engine's metadata (for an index built before older
        versions were indexed). Writers wait meanwhile. Returns how many versions."""

    def older_condition(self) -> str:
        """"ok", "missing" (no index, or one without an older-versions index) or "damaged"."""

    def older_fingerprints(self) -> dict[str, dict[int, str]]:
        """entry id -> {version: fingerprint of (entry as that version showed it, its text)}
        for every older version indexed, for ``verify``. SearchIndexError when missing."""

    def search(self, query: "str | Node", *, limit: int = 20, offset: int = 0, sort: str = "relevance",
               facets: Iterable[str] = (), snippets: bool = True,
               body_loader: Callable[[str], str] | None = None, today: _dt.date | None = None,
               all_versions: bool = False, version_loader: Callable[[str, int], str] | None = None,
               older_versions: Iterable[OlderVersion] | None = None) -> "SearchResult":
        """One page of hits. ``all_versions``: an entry whose newest version does not match but
        an older one does is a hit too, with ``version`` set to the best-matching older version
        (searched in the older-versions index; SearchIndexError when there is none); its snippet
        comes from ``version_loader(entry_id, version)``. Given ``older_versions``, those are
        searched instead, in a throwaway in-memory index (the way before the older-versions
        index; kept to compare with it)."""

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
