"""Full-text search over the collection."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator

from .. import fields as registry
from .. import store as st
from ..catalog import Catalog, OnSkip, read_or_skip
from ..errors import UsageError
from ..model import Entry
from .collection import Collection, as_collection
from .indexing import body_text, ensure_index, ensure_older
from .versions import _as_of, version_text

SORTS = registry.search_sorts()
FACETS = registry.facets()


def search(root: Path | Collection, query: str, *, limit: int = 20, offset: int = 0, sort: str = "relevance",
           facets: Iterable[str] = (), snippets: bool = True, all_versions: bool = False,
           on_skip: OnSkip | None = None):
    """Full-text search. Builds the index first when there is none (a fresh clone). A hit whose
    entry cannot be read any more is shown as the index has it, without a snippet, and reported
    through ``on_skip``. ``all_versions`` searches the older versions too, in the older-versions
    index (built first when the index was made before older versions were indexed)."""
    if sort not in SORTS:
        raise UsageError(f"unknown sort {sort!r} (one of: {', '.join(SORTS)})")
    facets = tuple(facets)
    for f in facets:
        if f not in FACETS:
            raise UsageError(f"unknown facet {f!r} (one of: {', '.join(FACETS)})")
    if limit < 0 or offset < 0:
        raise UsageError("--limit and --offset cannot be negative")
    coll = as_collection(root)
    store = coll.store
    ensure_index(store)
    if all_versions:
        ensure_older(store, lock_timeout=coll.lock_timeout)

    def load_body(entry_id: str) -> str:
        entry = read_or_skip(store, entry_id, on_skip)
        return body_text(store, entry) if entry is not None else ""

    def load_version(entry_id: str, version: int) -> str:
        entry = read_or_skip(store, entry_id, on_skip)
        return version_text(store, entry, version) if entry is not None else ""

    return coll.backend.search(
        query, limit=limit, offset=offset, sort=sort, facets=facets, snippets=snippets,
        body_loader=load_body if snippets else None, all_versions=all_versions,
        version_loader=load_version if snippets else None)


def _older_versions(store: st.Store, on_skip: OnSkip | None = None) -> Iterator[tuple[Entry, int, str]]:
    """Every version but the newest of every entry that has several, as that version showed it:
    what ``search --all-versions`` indexed in memory at each query before the older-versions
    index (``backend.search(older_versions=...)``; bench/versions.py compares the two)."""
    catalog = Catalog(store)
    catalog.refresh(store, on_skip=on_skip)
    ids = catalog.ids_with_versions()
    catalog.close()
    for entry_id in ids:
        entry = read_or_skip(store, entry_id, on_skip)
        if entry is None:
            continue
        for n, snap in enumerate(entry.snapshots[:-1], 1):
            yield _as_of(entry, snap), n, version_text(store, entry, n)
