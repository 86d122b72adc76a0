"""The older-versions index of the tantivy backend (``tv-<stamp>/`` beside ``t-<stamp>/``, named by
the ``older`` key of ``tantivy.json``; see :mod:`..layout`): writing older versions, finding the
entries that match only in one, and their fingerprints for ``verify``.

One document per older version: the entry as that version showed it, that version's text, and
``"<version>:<fingerprint>"`` in the fingerprint slot (:func:`..documents.build_version`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from .. import documents
from .schema import _schema, _tv, stored, to_document

if TYPE_CHECKING:  # pragma: no cover
    from ...model import Entry

PREFIX = "tv"
HEAP = 64_000_000


def all_hits(searcher, query) -> list[tuple[float, Any]]:
    n = searcher.search(query, 1).count
    if not n:
        return []
    return searcher.search(query, n, count=False).hits


def create(gen: Path):
    """A new, empty index in the folder ``gen``."""
    return _tv().Index(_schema(), path=str(gen), reuse=False)


def replace(index, older: dict[str, list[tuple["Entry", int, str]]]) -> None:
    """Replace the older versions of these entries in the older-versions ``index`` (one commit;
    no writer is opened when there is nothing to delete or add)."""
    searcher = index.searcher()
    present = [eid for eid in older if searcher.doc_freq("id", eid)]
    if not present and not any(older.values()):
        return
    w = index.writer(HEAP, 1)
    try:
        for eid in present:
            w.delete_documents_by_term("id", eid)
        for versions in older.values():
            for entry, version, text in versions:
                w.add_document(to_document(documents.build_version(entry, version, text)))
        w.commit()
    except BaseException:
        w.rollback()
        raise
    w.wait_merging_threads()


def write_all(index, versions: Iterable[tuple["Entry", int, str]]) -> int:
    """Add ``versions`` to a new older-versions ``index`` (one commit); returns how many."""
    w = index.writer(HEAP, 1)
    n = 0
    try:
        for entry, version, text in versions:
            w.add_document(to_document(documents.build_version(entry, version, text)))
            n += 1
        w.commit()
    except BaseException:
        w.rollback()
        raise
    w.wait_merging_threads()
    return n


def in_memory(older_versions: Iterable[tuple["Entry", int, str]]):
    """(searcher, texts) of a throwaway in-memory index of ``older_versions`` (the path every
    query took before the older-versions index; kept for comparisons). None when empty."""
    versions = list(older_versions)
    if not versions:
        return None
    ram = _tv().Index(_schema())
    w = ram.writer(HEAP, 1)
    texts: dict[tuple[str, int], str] = {}
    for entry, version, text in versions:
        w.add_document(to_document(documents.build(entry, text or "", str(version))))
        texts[(entry.id, version)] = text or ""
    w.commit()
    w.wait_merging_threads()
    ram.reload()
    return ram.searcher(), texts


def best(searcher, tree, rs, texts: dict[tuple[str, int], str] | None) -> dict[Any, tuple[float, int, str | None, Any]]:
    """Main doc key -> (score, version, text or None, main address) for entries that match in an
    older version (searched with ``rs``) but not in the main index (``searcher``): the best
    version (the highest score; the earliest of equal ones)."""
    from .translate import to_tantivy  # here: writers never translate queries

    tv = _tv()
    schema = _schema()
    main_q = to_tantivy(tree, schema, searcher)
    best_of: dict[Any, tuple[float, int, str | None, Any]] = {}
    found: dict[str, Any] = {}
    for score, a in all_hits(rs, to_tantivy(tree, schema, rs)):
        entry_id, st, _facets = stored(rs, a)
        version = documents.version_of(st.fingerprint)
        if entry_id not in found:
            own = all_hits(searcher, tv.Query.term_query(schema, "id", entry_id))
            if not own:
                found[entry_id] = None  # gone from the archive
            else:
                both = tv.Query.boolean_query([(tv.Occur.Must, main_q),
                                               (tv.Occur.Must, tv.Query.term_query(schema, "id", entry_id))])
                found[entry_id] = None if searcher.search(both, 1).count else own[0][1]
        addr = found[entry_id]
        if addr is None:
            continue  # the newest version matches anyway
        key = (addr.segment_ord, addr.doc)
        old = best_of.get(key)
        if old is None or (score, -version) > (old[0], -old[1]):
            best_of[key] = (score, version, texts[(entry_id, version)] if texts is not None else None, addr)
    return best_of


def fingerprints(rs) -> dict[str, dict[int, str]]:
    """entry id -> {version: fingerprint} of every document of an older-versions searcher."""
    out: dict[str, dict[int, str]] = {}
    for _sc, a in all_hits(rs, _tv().Query.all_query()):
        entry_id, st, _facets = stored(rs, a)
        out.setdefault(entry_id, {})[documents.version_of(st.fingerprint)] = documents.version_fingerprint(st.fingerprint)
    return out
