"""The tantivy backend (Rust, for large collections); the only package that imports tantivy.

Same answers as the Whoosh backend: documents are built by :mod:`..documents`, texts analysed
by :mod:`..analysis` and handed to tantivy pre-tokenized (:mod:`.schema`), queries translated
from the same parsed tree (:mod:`.translate`), results ordered by :mod:`..order`, snippets
made by :mod:`..snippets`. Scores are tantivy's BM25 (the same fields and boosts, not the same
numbers as Whoosh's BM25F).

Layout of ``index_dir`` (beside the Whoosh files, which a conversion removes)::

    tantivy.json     {"engine": "tantivy", "schema_version": N, "generation": "t-...",
                      "older": "tv-...", ...}
    t-<stamp>/       one tantivy index
    tv-<stamp>/      the older-versions index (same schema; see ..layout and .older)
    tantivy.lock     held by writers and rebuilds
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import re
import shutil
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from ...errors import NewsArchiveError, SearchIndexError
from .. import documents, layout
from . import memory
from . import older as older_index
from .schema import FACET_FIELDS, SCHEMA_VERSION, _schema, _tv, stored, to_document

if TYPE_CHECKING:  # pragma: no cover
    from ... import query as Q
    from ...model import Entry
    from ..result import SearchResult

META_NAME = "tantivy.json"
LOCK_NAME = "tantivy.lock"
PREFIX = "t"
REPAIR = layout.REPAIR
_WRITER_HEAP = 64_000_000


# --------------------------------------------------------------------------- layout


def _read_meta(index_dir: Path) -> dict[str, Any] | None:
    return layout.read_meta(index_dir, META_NAME)


def _complete(gen: Path) -> bool:
    return (gen / "meta.json").is_file()


def _current(index_dir: Path) -> Path:
    return layout.current(index_dir, META_NAME, schema=SCHEMA_VERSION, complete=_complete)


def _older_gen(index_dir: Path) -> Path:
    gen = layout.older_folder(index_dir, META_NAME, schema=SCHEMA_VERSION, complete=_complete)
    if gen is None:
        raise SearchIndexError(f"the search index at {index_dir} has no older-versions index "
                               f"(built by an earlier version); {REPAIR}")
    return gen


def _write_meta(index_dir: Path, generation: str, extra: dict[str, Any] | None = None) -> None:
    layout.write_meta(index_dir, META_NAME, {"engine": "tantivy", "schema_version": SCHEMA_VERSION,
                                             "generation": generation, **(extra or {})})


def _lock(index_dir: Path, timeout: float, what: str) -> layout.DirLock:
    return layout.DirLock(index_dir / LOCK_NAME, timeout, what)


def _open(gen: Path):
    with _guarded(gen.parent):
        return _tv().Index.open(str(gen))


def _is_panic(exc: BaseException) -> bool:
    """A Rust panic inside tantivy (pyo3's PanicException, a BaseException): what a damaged
    file can cause where tantivy does not check it, e.g. a truncated postings list."""
    return type(exc).__name__ == "PanicException"


_FILE_RES = (re.compile(r'filepath: "([^"]+)"'), re.compile(r'FileDoesNotExist\("([^"]+)"'),
             re.compile(r'in file `"([^"]+)"`'))


def _damaged(index_dir: Path, exc: BaseException) -> SearchIndexError:
    """One line for a tantivy error reading ``index_dir``: which file, and tantivy's reason in
    short (not its advice, which is about tantivy versions and would mislead here). A full disk
    is said as such: the index is not damaged, the commit did not happen."""
    text = " ".join(str(exc).split())
    if "No space left on device" in text or "os error 28" in text:
        return SearchIndexError(f"cannot write the search index at {index_dir}: No space left on device; {REPAIR}")
    name = next((m.group(1) for r in _FILE_RES if (m := r.search(text))), "")
    if "FileDoesNotExist" in text:
        why = "missing"
    elif "Footer magic byte mismatch" in text:
        why = "cut short or overwritten"
    elif m := re.search(r'error: "([^".]+)', text):
        why = m.group(1)
    elif "cannot be deserialized" in text:
        why = "cannot be read"
    else:
        why = text[:120] or exc.__class__.__name__
    where = f"{os.path.basename(name)}: {why}" if name else why
    return SearchIndexError(f"the search index at {index_dir} is damaged ({where}); {REPAIR}")


#: what tantivy raises when writing fails (a damaged index, a full disk); other errors of a
#: writer are bugs and stay as they are
_WRITE_ERRORS = (ValueError, OSError)


@contextlib.contextmanager
def _guarded(index_dir: Path, kinds: tuple[type[Exception], ...] = (Exception,)):
    """Turn what tantivy raises on a damaged index (ValueError, OSError, a panic...; ``kinds``
    and panics) into one SearchIndexError naming the repair; this process's cached reader of
    it is dropped."""
    try:
        yield
    except NewsArchiveError:
        raise
    except kinds as exc:  # ValueError, OSError, KeyError on a garbled document, ...
        forget(index_dir)
        raise _damaged(index_dir, exc) from None
    except BaseException as exc:
        if not _is_panic(exc):
            raise
        forget(index_dir)
        raise _damaged(index_dir, exc) from None


# --------------------------------------------------------------------------- reading cache

_cache_lock = threading.RLock()
#: index folder -> [generation, tantivy Index, signature of its meta.json, searcher]
_indexes: dict[str, list[Any]] = {}


def forget(index_dir: Path) -> None:
    """Drop the cached indexes of ``index_dir`` (the next reader opens them afresh)."""
    key = str(Path(index_dir).resolve())
    with _cache_lock:
        _indexes.pop(key, None)
        _indexes.pop(key + "\x00older", None)


def _searcher(index_dir: Path, *, older: bool = False):
    """(index, searcher) of the current generation (``older``: of the older-versions index),
    reloaded to the last commit.

    A rebuild may swap generations and remove the old one, and another process's commit may
    remove merged segment files, between our reading the metadata and opening the files it
    names: then both are read again (up to a few times) before the index counts as damaged. When
    neither changed, the failure is the index's own and is reported at once."""
    key = str(index_dir.resolve()) + ("\x00older" if older else "")
    seen = None
    for _attempt in range(5):
        gen = _older_gen(index_dir) if older else _current(index_dir)
        now = (gen.name, _meta_signature(gen))
        if seen is not None and now == seen:
            break
        seen = now
        try:
            with _guarded(index_dir):
                cached = _indexes.get(key)
                if cached is None or cached[0] != gen.name:
                    cached = [gen.name, _tv().Index.open(str(gen)), None, None]
                    _indexes[key] = cached
                index = cached[1]
                st = os.stat(gen / "meta.json")  # tantivy rewrites it at every commit
                sig = (st.st_mtime_ns, st.st_size, st.st_ino)
                if sig != cached[2] or cached[3] is None:
                    index.reload()
                    cached[2], cached[3] = sig, index.searcher()
                return index, cached[3]
        except SearchIndexError as exc:
            last = exc
    raise last


def _meta_signature(gen: Path) -> tuple | None:
    try:
        st = os.stat(gen / "meta.json")
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


_all_hits = older_index.all_hits


def _top_hits(searcher, query, want: int) -> tuple[list[tuple[float, Any]], int]:
    """The best ``want`` hits and every hit scoring the same as the last of them (so ties can
    be ordered), with the total number of matches."""
    if want <= 0:
        return [], searcher.search(query, 1).count
    n = want + 1
    while True:
        r = searcher.search(query, n)
        hits = r.hits
        if len(hits) < n or hits[-1][0] < hits[want - 1][0]:
            return hits, r.count
        n *= 4


# --------------------------------------------------------------------------- the backend


class TantivyBackend:
    name = "tantivy"
    schema_version = SCHEMA_VERSION
    #: (entry, body, stamp) -> the document, made in another process (an import's writer) and
    #: given to ``TantivyWriter.upsert`` as ``prepared``
    preparer = "newsarchive.search.tantivy.schema:prepare"
    #: records per import batch: each batch ends with a file-system sync, an index commit and
    #: its merges, which cost more than this engine's work per record (docs/performance-engines.md)
    batch_size = 5000

    def __init__(self, index_dir: Path):
        self.index_dir = Path(index_dir)

    def exists(self) -> bool:
        try:
            _current(self.index_dir)
            return True
        except SearchIndexError:
            return False

    def present(self) -> bool:
        return (self.index_dir / META_NAME).exists()

    def writer(self, *, timeout: float = 30.0) -> TantivyWriter:
        return TantivyWriter(self.index_dir, timeout=timeout)

    def rebuild(self, docs: Iterable[tuple["Entry", str]], *, timeout: float = 30.0,
                threads: int = 2, older: Callable[["Entry"], Iterable[tuple["Entry", int, str]]] | None = None) -> int:
        """With ``older`` (entry -> its older versions), the older-versions index is built too and
        swapped in with the same metadata write; without, the new index has none."""
        tv = _tv()
        index_dir = self.index_dir
        index_dir.mkdir(parents=True, exist_ok=True)
        with _lock(index_dir, timeout, "a rebuild is running"):
            gen = layout.new_generation(index_dir, PREFIX)
            ogen = layout.new_generation(index_dir, older_index.PREFIX) if older is not None else None
            n = 0
            try:
                # tantivy's errors (a full disk) and panics; not what reading the archive raises
                # the pages of the segments its merges read are released as they run (see .memory)
                with _guarded(index_dir, (ValueError,)), memory.ReleasePages(gen):
                    index = tv.Index(_schema(), path=str(gen), reuse=False)
                    w = index.writer(_WRITER_HEAP * threads, threads)
                    ow = older_index.create(ogen).writer(_WRITER_HEAP, 1) if ogen else None
                    try:
                        for document, versions in documents.with_older(docs, older):
                            w.add_document(to_document(document))
                            n += 1
                            for version in versions:
                                ow.add_document(to_document(version))
                        if ow is not None:
                            ow.commit()
                        w.commit()
                    except BaseException:
                        w.rollback()
                        if ow is not None:
                            ow.rollback()
                        raise
                    w.wait_merging_threads()
                    if ow is not None:
                        ow.wait_merging_threads()
                _write_meta(index_dir, gen.name, {"count": n, **({layout.OLDER: ogen.name} if ogen else {})})
            except BaseException:
                shutil.rmtree(gen, ignore_errors=True)
                if ogen is not None:
                    shutil.rmtree(ogen, ignore_errors=True)
                raise
            memory.release_heap()  # what the writer's threads freed
            layout.remove_generations(index_dir, PREFIX, keep=[gen.name])  # open readers keep their files
            layout.remove_generations(index_dir, older_index.PREFIX, keep=[ogen.name] if ogen else [])
            forget(index_dir)
        return n

    def build_older(self, versions: Iterable[tuple["Entry", int, str]], *, timeout: float = 30.0) -> int:
        """Build the older-versions index (of an index built before older versions were
        indexed) from ``versions`` and record it; writers wait meanwhile. Returns how many."""
        index_dir = self.index_dir
        with _lock(index_dir, timeout, "a rebuild is running"):
            gen = _current(index_dir)
            ogen = layout.new_generation(index_dir, older_index.PREFIX)
            try:
                with _guarded(index_dir, (ValueError,)):  # tantivy's errors, not the archive's
                    n = older_index.write_all(older_index.create(ogen), versions)
                meta = _read_meta(index_dir) or {}
                extra = {k: v for k, v in meta.items() if k not in ("engine", "schema_version", "generation", "built")}
                _write_meta(index_dir, gen.name, {**extra, layout.OLDER: ogen.name})
            except BaseException:
                shutil.rmtree(ogen, ignore_errors=True)
                raise
            layout.remove_generations(index_dir, older_index.PREFIX, keep=[ogen.name])
            forget(index_dir)
        return n

    def older_condition(self) -> str:
        return layout.older_condition(self.index_dir, META_NAME, schema=SCHEMA_VERSION, complete=_complete)

    def older_fingerprints(self) -> dict[str, dict[int, str]]:
        with _cache_lock, _guarded(self.index_dir):
            return older_index.fingerprints(_searcher(self.index_dir, older=True)[1])

    # -- reading ----------------------------------------------------------
    def ids(self) -> set[str]:
        with _cache_lock, _guarded(self.index_dir):
            _index, s = _searcher(self.index_dir)
            return {s.doc(a)["id"][0] for _sc, a in _all_hits(s, _tv().Query.all_query())}

    def count(self) -> int:
        with _cache_lock, _guarded(self.index_dir):
            return _searcher(self.index_dir)[1].num_docs

    def _stored_of_every_entry(self, attr: str) -> dict[str, Any]:
        """entry id -> one attribute of what the index stored for it, for every document."""
        with _cache_lock, _guarded(self.index_dir):
            _index, s = _searcher(self.index_dir)
            out = {}
            for _sc, a in _all_hits(s, _tv().Query.all_query()):
                entry_id, st, _facets = stored(s, a)
                out[entry_id] = getattr(st, attr)
            return out

    def stored_fingerprints(self) -> dict[str, str]:
        return self._stored_of_every_entry("fingerprint")

    def commit_token(self) -> str:
        """What changes at each commit (tantivy replaces the generation's meta.json)."""
        return layout.file_token(_current(self.index_dir), lambda gen: ["meta.json"])

    def stored_stamps(self) -> dict[str, Any]:
        """entry id -> the stamp of its entry.json when it was indexed (None: not recorded)."""
        return self._stored_of_every_entry("stamp")

    def fingerprint(self, entry: "Entry", body_text: str) -> str:
        return documents.fingerprint(entry, body_text)

    def state(self) -> dict[str, Any]:
        return {"engine": self.name, "schema_version": SCHEMA_VERSION, "exists": self.exists()}

    def sweep(self) -> int:
        """Remove what a killed rebuild left (generation folders other than the current one);
        skipped while a writer or a rebuild holds the lock. Returns how many were removed."""
        meta = layout.meta_or_none(self.index_dir, META_NAME)
        if not meta or not meta.get("generation"):
            return 0
        lock = _lock(self.index_dir, 0, "a rebuild is running")
        if not lock.try_acquire():
            return 0
        try:
            meta = layout.meta_or_none(self.index_dir, META_NAME) or {}
            if not meta.get("generation"):
                return 0
            return (layout.remove_generations(self.index_dir, PREFIX, keep=[str(meta["generation"])])
                    + layout.remove_generations(self.index_dir, older_index.PREFIX,
                                                keep=[str(meta.get(layout.OLDER) or "")]))
        finally:
            lock.release()

    def condition(self) -> str:
        """"ok", "missing", "outdated" or "damaged" (see :func:`..layout.condition`)."""
        return layout.condition(self.index_dir, META_NAME, usable=self.exists())

    def remove(self) -> None:
        forget(self.index_dir)
        (self.index_dir / META_NAME).unlink(missing_ok=True)
        layout.remove_generations(self.index_dir, PREFIX)
        layout.remove_generations(self.index_dir, older_index.PREFIX)

    def _facets(self, searcher, query, names: tuple[str, ...],
                extra: list[dict[str, list[str]]]) -> dict[str, list[tuple[str, int]]]:
        counts: dict[str, dict[str, int]] = {n: {} for n in names}
        spec = {n: {"terms": {"field": FACET_FIELDS[n], "size": 60_000, "segment_size": 60_000}} for n in names}
        try:
            res = searcher.aggregate(query, spec)
            for n in names:
                for b in res[n]["buckets"]:
                    counts[n][b["key"]] = b["doc_count"]
        except (ValueError, KeyError):  # too many distinct values for one aggregation
            counts = {n: {} for n in names}
            extra = extra + [stored(searcher, a)[2] for _s, a in _all_hits(searcher, query)]
        for values in extra:
            documents.count_facets(counts, values)
        return documents.sorted_facets(counts)

    def _older(self, searcher, tree, older_versions) -> dict[Any, tuple[float, int, str | None, Any]]:
        """Main doc key -> (score, version, text or None, address) for entries matching only in
        an older version: in the older-versions index, or (``older_versions`` given) in a
        throwaway in-memory index of those."""
        if older_versions is None:
            return older_index.best(searcher, tree, _searcher(self.index_dir, older=True)[1], None)
        ram = older_index.in_memory(older_versions)
        if ram is None:
            return {}
        return older_index.best(searcher, tree, ram[0], ram[1])

    def search(self, query: "str | Q.Node", *, limit: int = 20, offset: int = 0, sort: str = "relevance",
               facets: Iterable[str] = (), snippets: bool = True,
               body_loader: Callable[[str], str] | None = None, today: _dt.date | None = None,
               all_versions: bool = False, version_loader: Callable[[str, int], str] | None = None,
               older_versions: Iterable[tuple["Entry", int, str]] | None = None) -> SearchResult:
        t0 = time.perf_counter()
        from .. import order  # here, not at the top: a writer (one `add`) never needs them
        from ..result import SearchResult, make_hits, prepare
        from .translate import to_tantivy

        tree, facets, limit, offset = prepare(query, sort=sort, facets=facets, limit=limit, offset=offset,
                                              today=today)
        with _cache_lock:
            index, s = _searcher(self.index_dir)
            with _guarded(self.index_dir):
                schema = index.schema
                tq = to_tantivy(tree, schema, s)
                older = self._older(s, tree, older_versions) if all_versions else {}
                if sort == "relevance" and not older:
                    hits, total = _top_hits(s, tq, offset + limit)
                else:
                    hits = _all_hits(s, tq)
                    total = None
                by_key = {(a.segment_ord, a.doc): a for _sc, a in hits}
                scored = [(sc, (a.segment_ord, a.doc)) for sc, a in hits]
                for k, (sc, _v, _t, a) in older.items():
                    if k not in by_key:
                        by_key[k] = a
                        scored.append((sc, k))
                if total is None:
                    total = len(scored)
                keys = [k for _sc, k in scored]
                addrs = [by_key[k] for k in keys]
                dates = dict(zip(keys, s.fast_field_values("sortnum", addrs))) if addrs else {}
                idkeys = dict(zip(keys, s.fast_field_values("idkey", addrs))) if addrs else {}
                date_of = lambda k: dates.get(k) or None  # noqa: E731  (0 = undated)
                # IDs compare by their first 8 bytes (a fast field); the rare IDs that share
                # them (longer than 8 characters) compare by the whole stored ID
                seen: dict[int, int] = {}
                for v in idkeys.values():
                    seen[v] = seen.get(v, 0) + 1

                def id_of(k):
                    v = idkeys.get(k, 0)
                    return (v, stored(s, by_key[k])[0] if seen.get(v, 0) > 1 else "")
                if sort == "relevance":
                    page = order.relevance_page(scored, offset, limit, date_of=date_of, id_of=id_of)
                else:
                    page = [(k, 0.0) for k in order.date_page(keys, offset, limit,
                                                              newest_first=(sort == "-published"),
                                                              date_of=date_of, id_of=id_of)]
                facet_counts: dict[str, list[tuple[str, int]]] = {}
                if facets:
                    matched = {(a.segment_ord, a.doc) for _sc, a in hits}
                    extra = [stored(s, by_key[k])[2] for k in older if k not in matched]
                    facet_counts = self._facets(s, tq, facets, extra)
                rows = []
                for k, sc in page:
                    entry_id, st, _facets = stored(s, by_key[k])
                    old = older.get(k)
                    rows.append((entry_id, st, sc, (old[1], old[2]) if old else None))
        hits_out = make_hits(rows, tree, snippets=snippets, body_loader=body_loader, version_loader=version_loader)
        return SearchResult(hits=hits_out, total=total, facets=facet_counts, query=tree,
                            took=time.perf_counter() - t0)


from .writer import TantivyWriter  # noqa: E402 - it uses the helpers above
