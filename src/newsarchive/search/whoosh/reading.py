"""Reading a Whoosh index: a cached searcher per index folder, ids and fingerprints for
``status``/``verify``, and search (ranking, tie order, facets, older versions)."""

from __future__ import annotations

import datetime as _dt
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from ... import query as Q
from .. import documents, order
from ..result import SearchResult, make_hits, prepare
from . import storage
from .schema import schema, stored, to_fields, unpack_facets

if TYPE_CHECKING:  # pragma: no cover
    from ...model import Entry


_cache_lock = threading.RLock()
_searchers: dict[str, tuple[str, Any]] = {}


def forget(index_dir: Path) -> None:
    with _cache_lock:
        item = _searchers.pop(str(Path(index_dir).resolve()), None)
    if item is not None:
        try:
            item[1].close()
        except Exception:  # pragma: no cover
            pass


def searcher(index_dir: Path):
    """A cached, up-to-date Whoosh searcher for ``index_dir`` (call under ``_cache_lock``)."""
    from whoosh import scoring

    key = str(index_dir.resolve())
    gen = storage.current(index_dir)
    cached = _searchers.get(key)
    if cached is not None and cached[0] == gen.name:
        s = cached[1]
        try:
            if not s.up_to_date():
                s = s.refresh()
                _searchers[key] = (gen.name, s)
            return s
        except Exception:
            forget(index_dir)
    last: Exception | None = None
    for attempt in range(4):
        # a commit may delete a segment between reading the TOC and opening it, and a rebuild
        # may swap generations between reading index.json and opening: read both again
        if attempt:
            time.sleep(0.05 * attempt)
            gen = storage.current(index_dir)
        try:
            ix = storage.open_index(gen)
            s = ix.searcher(weighting=scoring.BM25F(B=0.75, K1=1.2))
            _searchers[key] = (gen.name, s)
            return s
        except Exception as exc:  # EmptyIndexError, a truncated TOC or segment, ...
            last = exc
    raise storage.damaged(index_dir, last or RuntimeError("cannot open"))


def _reading(fn):
    """Readers report a damaged index as one SearchIndexError naming the repair."""
    import functools

    @functools.wraps(fn)
    def wrapper(index_dir, *args, **kwargs):
        from ...errors import NewsArchiveError

        try:
            return fn(index_dir, *args, **kwargs)
        except (NewsArchiveError, MemoryError):
            raise
        except Exception as exc:
            with _cache_lock:
                forget(Path(index_dir))
            raise storage.damaged(Path(index_dir), exc) from None

    return wrapper


@_reading
def ids(index_dir: str | os.PathLike) -> set[str]:
    """All entry ids in the index."""
    with _cache_lock:
        r = searcher(Path(index_dir)).reader()
        return {f["id"] for _, f in r.iter_docs()}


@_reading
def count(index_dir: str | os.PathLike) -> int:
    with _cache_lock:
        return searcher(Path(index_dir)).doc_count()


@_reading
def stored_fingerprints(index_dir: str | os.PathLike) -> dict[str, str]:
    """entry id -> ``fingerprint(entry, body)`` recorded when it was indexed."""
    with _cache_lock:
        r = searcher(Path(index_dir)).reader()
        return {f["id"]: stored(f["meta"]).fingerprint for _, f in r.iter_docs()}


@_reading
def stored_stamps(index_dir: str | os.PathLike) -> dict[str, tuple | None]:
    """entry id -> the stamp of its entry.json when it was indexed (None: not recorded)."""
    with _cache_lock:
        r = searcher(Path(index_dir)).reader()
        return {f["id"]: stored(f["meta"]).stamp for _, f in r.iter_docs()}




def _facet_counts(reader, docnums: Iterable[int], names: tuple[str, ...]) -> dict[str, list[tuple[str, int]]]:
    counts: dict[str, dict[str, int]] = {n: {} for n in names}
    docnums = list(docnums)
    if not docnums:  # an empty index has no columns (Whoosh's EmptyReader raises)
        return {n: [] for n in names}
    col = reader.column_reader("facets")
    for d in docnums:
        documents.count_facets(counts, unpack_facets(col[d]))
    return documents.sorted_facets(counts)


def _older_matches(s, wq, older_versions: Iterable[tuple["Entry", int, str]]) -> dict[int, tuple[float, int, str]]:
    """Search older versions in a throwaway in-memory index. Returns, for entries that match
    there but not in the main index, main docnum -> (score, version, text) of the best version."""
    from whoosh import scoring
    from whoosh.filedb.filestore import RamStorage

    versions = list(older_versions)
    if not versions:
        return {}
    ram = RamStorage().create_index(schema())
    w = ram.writer()
    texts: dict[tuple[str, int], str] = {}
    for entry, version, text in versions:
        w.add_document(**to_fields(documents.build(entry, text or "", str(version))))
        texts[(entry.id, version)] = text or ""
    w.commit()
    best: dict[int, tuple[float, int, str]] = {}
    main_matches = set(s.docs_for_query(wq))
    with ram.searcher(weighting=scoring.BM25F(B=0.75, K1=1.2)) as rs:
        for hit in rs.search(wq, limit=None):
            entry_id, version = hit["id"], int(stored(hit["meta"]).fingerprint)
            docnum = s.document_number(id=entry_id)
            if docnum is None or docnum in main_matches:
                continue  # gone from the archive, or the newest version matches anyway
            if docnum not in best or hit.score > best[docnum][0]:
                best[docnum] = (hit.score, version, texts[(entry_id, version)])
    return best


def _scored_matches(s, wq) -> list[tuple[float, int]]:
    """(-score, docnum) of every match, in one pass (gives the total and facets too)."""
    ctx = s.context(needs_current=False, weighting=s.weighting)
    out: list[tuple[float, int]] = []
    append = out.append
    for sub, offset in s.leaf_searchers():
        m = wq.matcher(sub, ctx)
        while m.is_active():
            append((-m.score(), offset + m.id()))
            m.next()
    return out


def search(index_dir: str | os.PathLike, query: str | Q.Node, *, limit: int = 20, offset: int = 0,
           sort: str = "relevance", facets: Iterable[str] = (), snippets: bool = True,
           body_loader: Callable[[str], str] | None = None, today: _dt.date | None = None,
           all_versions: bool = False,
           older_versions: Iterable[tuple["Entry", int, str]] = ()) -> SearchResult:
    """Run a query; ``total`` and ``facets`` count all matches, ``hits`` is one page.

    ``query`` is a query string (raises ``QueryError`` when malformed) or a parsed tree.
    Snippets come from ``body_loader(entry_id)`` (the index does not store bodies); without a
    loader hits have no snippet. ``sort``: "relevance", "published" (oldest first) or
    "-published" (newest first; undated entries last either way).

    The index holds the newest version of each entry. With ``all_versions``, the older versions
    given as ``older_versions`` ((entry as that version showed it, version number, its text))
    are searched too, in a temporary in-memory index: an entry that matches only in an older
    version is a hit with ``version`` set to the best-matching one.
    """
    t0 = time.perf_counter()
    tree, facets, limit, offset = prepare(query, sort=sort, facets=facets, limit=limit, offset=offset, today=today)
    rows = _search(index_dir, tree, limit=limit, offset=offset, sort=sort, facets=facets,
                   all_versions=all_versions, older_versions=older_versions)
    page, total, facet_counts = rows
    hits = make_hits(page, tree, snippets=snippets, body_loader=body_loader)
    return SearchResult(hits=hits, total=total, facets=facet_counts, query=tree,
                        took=time.perf_counter() - t0)


@_reading
def _search(index_dir, tree, *, limit, offset, sort, facets, all_versions, older_versions):
    from .translate import to_whoosh

    wq = to_whoosh(tree)
    with _cache_lock:
        s = searcher(Path(index_dir))
        reader = s.reader()
        alldocs: list[int] | None = None
        older = _older_matches(s, wq, older_versions) if all_versions else {}
        col = reader.column_reader("sortdate") if reader.doc_count_all() else None  # none when empty
        date_of = (lambda d: col[d]) if col is not None else (lambda d: None)  # noqa: E731
        id_of = lambda d: reader.stored_fields(d)["id"]  # noqa: E731  (equal keys only: search/order.py)
        if sort == "relevance":
            scored = _scored_matches(s, wq)
            if older:
                matched = {d for _, d in scored}
                scored += [(-sc, d) for d, (sc, _v, _t) in older.items() if d not in matched]
            total = len(scored)
            page = order.relevance_page([(-neg, d) for neg, d in scored], offset, limit,
                                        date_of=date_of, id_of=id_of)
            if facets:
                alldocs = [d for _, d in scored]
        else:
            alldocs = list(s.docs_for_query(wq))
            if older:
                matched = set(alldocs)
                alldocs += [d for d in older if d not in matched]
            total = len(alldocs)
            page = [(d, 0.0) for d in order.date_page(alldocs, offset, limit, newest_first=(sort == "-published"),
                                                      date_of=date_of, id_of=id_of)]
        facet_counts = _facet_counts(reader, alldocs or [], facets) if facets else {}
        rows = []
        for d, sc in page:
            f = reader.stored_fields(d)
            old = older.get(d)
            rows.append((f["id"], stored(f["meta"]), sc, (old[1], old[2]) if old else None))
    return rows, total, facet_counts
