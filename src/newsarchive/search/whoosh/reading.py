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
    key = str(Path(index_dir).resolve())
    with _cache_lock:
        items = [_searchers.pop(key, None), _searchers.pop(key + _OLDER, None)]
    for item in items:
        if item is not None:
            try:
                item[1].close()
            except Exception:  # pragma: no cover
                pass


_OLDER = "\x00older"  # the cache key suffix of an older-versions index


def searcher(index_dir: Path):
    """A cached, up-to-date Whoosh searcher for ``index_dir`` (call under ``_cache_lock``)."""
    return _searcher(index_dir, storage.current, str(index_dir.resolve()))


def older_searcher(index_dir: Path):
    """The same for the older-versions index; None when the index has none (call under
    ``_cache_lock``)."""
    gen = storage.older(index_dir)
    if gen is None:
        return None
    return _searcher(index_dir, _older_or_fail, str(index_dir.resolve()) + _OLDER, gen)


def _older_or_fail(index_dir: Path) -> Path:
    gen = storage.older(index_dir)
    if gen is None:
        from ...errors import SearchIndexError

        raise SearchIndexError(f"the search index at {index_dir} has no older-versions index "
                               f"(built by an earlier version); {storage.REPAIR}")
    return gen


def _searcher(index_dir: Path, locate, key: str, gen: Path | None = None):
    from whoosh import scoring

    gen = gen or locate(index_dir)
    cached = _searchers.get(key)
    if cached is not None and cached[0] == gen.name:
        s = cached[1]
        try:
            if s.up_to_date():
                return s
        except Exception:
            pass
        # another process committed: open afresh. Whoosh's refresh() reuses the readers of
        # segments it knows, with the deletions they had then, so a document replaced by
        # that commit was still found (twice: old and new) until the process ended
        forget(index_dir)
    last: Exception | None = None
    for attempt in range(4):
        # a commit may delete a segment between reading the TOC and opening it, and a rebuild
        # may swap generations between reading index.json and opening: read both again
        if attempt:
            time.sleep(0.05 * attempt)
            gen = locate(index_dir)
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
def older_fingerprints(index_dir: str | os.PathLike) -> dict[str, dict[int, str]]:
    """entry id -> {version: fingerprint} of every older version indexed (see
    ``documents.build_version``); SearchIndexError when the index has no older-versions index."""
    with _cache_lock:
        s = older_searcher(Path(index_dir))
        if s is None:
            _older_or_fail(Path(index_dir))
        out: dict[str, dict[int, str]] = {}
        for _, f in s.reader().iter_docs():
            fp = stored(f["meta"]).fingerprint
            out.setdefault(f["id"], {})[documents.version_of(fp)] = documents.version_fingerprint(fp)
        return out


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


def _older_matches(s, wq, older_versions: "Iterable[tuple[Entry, int, str]] | None",
                   index_dir: Path) -> dict[int, tuple[float, int, str | None]]:
    """For entries that match in an older version but not in the main index: main docnum ->
    (score, version, text or None) of the best-matching version (the highest score; the
    earliest version of equal ones). Searched in the older-versions index, or with
    ``older_versions`` given, in a throwaway in-memory index of those (the text is then known)."""
    if older_versions is None:
        rs = older_searcher(index_dir)
        if rs is None:
            _older_or_fail(index_dir)
        return _best_older(s, wq, rs, None)
    from whoosh import scoring

    versions = list(older_versions)
    if not versions:
        return {}
    storage = _private_ram()
    try:
        ram = storage.create_index(schema())
        w = ram.writer()
        texts: dict[tuple[str, int], str] = {}
        for entry, version, text in versions:
            w.add_document(**to_fields(documents.build(entry, text or "", str(version))))
            texts[(entry.id, version)] = text or ""
        w.commit()
        with ram.searcher(weighting=scoring.BM25F(B=0.75, K1=1.2)) as rs:
            return _best_older(s, wq, rs, texts)
    finally:
        storage.remove_scratch()


def _private_ram():
    """A Whoosh index in memory whose writer's scratch folder is this process's own: Whoosh's
    own RamStorage puts it at ``$TMPDIR/MAIN.tmp``, the same folder for every process, and two
    processes searching at once removed it under each other."""
    import shutil
    import tempfile

    from whoosh.filedb.filestore import FileStorage, RamStorage

    class PrivateRam(RamStorage):
        scratch: str | None = None

        def temp_storage(self, name=None):
            if self.scratch is None:
                self.scratch = tempfile.mkdtemp(prefix="newsarchive-whoosh-")
            return FileStorage(os.path.join(self.scratch, name or "scratch")).create()

        def remove_scratch(self) -> None:
            if self.scratch is not None:
                shutil.rmtree(self.scratch, ignore_errors=True)

    return PrivateRam()


def _best_older(s, wq, rs, texts: dict[tuple[str, int], str] | None) -> dict[int, tuple[float, int, str | None]]:
    best: dict[int, tuple[float, int, str | None]] = {}
    main_matches: set[int] | None = None
    for hit in rs.search(wq, limit=None):
        if main_matches is None:
            main_matches = set(s.docs_for_query(wq))
        entry_id, version = hit["id"], documents.version_of(stored(hit["meta"]).fingerprint)
        docnum = s.document_number(id=entry_id)
        if docnum is None or docnum in main_matches:
            continue  # gone from the archive, or the newest version matches anyway
        old = best.get(docnum)
        if old is None or (hit.score, -version) > (old[0], -old[1]):
            best[docnum] = (hit.score, version, texts[(entry_id, version)] if texts is not None else None)
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
           all_versions: bool = False, version_loader: Callable[[str, int], str] | None = None,
           older_versions: "Iterable[tuple[Entry, int, str]] | None" = None) -> SearchResult:
    """Run a query; ``total`` and ``facets`` count all matches, ``hits`` is one page.

    ``query`` is a query string (raises ``QueryError`` when malformed) or a parsed tree.
    Snippets come from ``body_loader(entry_id)`` (the index does not store bodies); without a
    loader hits have no snippet. ``sort``: "relevance", "published" (oldest first) or
    "-published" (newest first; undated entries last either way).

    The index holds the newest version of each entry. With ``all_versions``, the older versions
    are searched too, in the older-versions index: an entry that matches only in an older version
    is a hit with ``version`` set to the best-matching one, its snippet from
    ``version_loader(entry_id, version)``. Given ``older_versions`` ((entry as that version
    showed it, version number, its text)), those are searched instead, in a temporary in-memory
    index (how every query did it before the older-versions index; kept for comparisons).
    """
    t0 = time.perf_counter()
    tree, facets, limit, offset = prepare(query, sort=sort, facets=facets, limit=limit, offset=offset, today=today)
    rows = _search(index_dir, tree, limit=limit, offset=offset, sort=sort, facets=facets,
                   all_versions=all_versions, older_versions=older_versions)
    page, total, facet_counts = rows
    hits = make_hits(page, tree, snippets=snippets, body_loader=body_loader, version_loader=version_loader)
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
        older = _older_matches(s, wq, older_versions, Path(index_dir)) if all_versions else {}
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
