"""Opening a collection: create one, open its store and search backend, and report its state (status)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import store as st
from ..catalog import JOURNAL, Catalog, OnSkip, report_skip
from ..errors import FileAccessError, SearchIndexError, os_error_message
from ..fixity import metadata_ok

DEFAULT_LOCK_TIMEOUT = 30.0


def init(path: str | os.PathLike[str], *, engine: str = "whoosh") -> Path:
    from ..search import engines

    engines.check_name(engine)
    try:
        root = st.init_collection(path)
        engines.record(root, engine)
    except OSError as exc:
        raise FileAccessError(os_error_message(exc, action="create a collection in", path=path),
                              path=str(path), errno=exc.errno) from None
    return root


def search_backend(store: st.Store):
    """The search backend of this collection (the engine it records; Whoosh by default)."""
    from ..search import engines

    return engines.for_store(store)


def open_store(root: str | os.PathLike[str]) -> st.Store:
    """The collection at ``root``: ``archive/`` makes it one; ``index/`` is derived and is
    recreated (by the next writer, search or ``reindex``) when it is missing."""
    store = st.Store(root)
    if not st.is_collection(store.root):
        raise st.NotACollection(f"{store.root} is not a collection (no archive/)")
    return store


class Collection:
    """A collection opened once: its root, store, search backend, settings and lock timeout.

    Every use case takes a Collection (or a root, which it opens: the functions of this package
    accept either), so a program that does several things opens the collection once::

        coll = Collection.open("~/news")
        coll.add(data=page, source="page.html", fields={"outlet": "Sample Times"})
        hits = coll.search("election")

    The catalog is built afresh for each operation (:meth:`catalog`), never kept between them:
    another process may have written in between, and under the lock the catalog must be the
    archive's truth.
    """

    def __init__(self, root: str | os.PathLike[str], *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
        self.store = open_store(root)
        self.root: Path = self.store.root
        self.lock_timeout = lock_timeout
        self._backend: tuple[str, Any] | None = None

    @classmethod
    def open(cls, root: str | os.PathLike[str], *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> "Collection":
        return cls(Path(root).expanduser(), lock_timeout=lock_timeout)

    def __repr__(self) -> str:
        return f"Collection({str(self.root)!r})"

    # ------------------------------------------------------------------ parts

    @property
    def engine(self) -> str:
        """The search engine the collection's settings record (read each time: ``reindex
        --engine`` may switch it)."""
        from ..search import engines

        return engines.configured(self.root)

    @property
    def settings(self) -> Any:
        """The collection's settings (``newsarchive.toml``), read now: see :mod:`newsarchive.settings`."""
        from .. import settings

        return settings.load(self.root)

    @property
    def backend(self) -> Any:
        """The search backend of the recorded engine (made once per engine)."""
        from ..search import engines

        name = self.engine
        if self._backend is None or self._backend[0] != name:
            self._backend = (name, engines.backend(name, self.store.index_dir))
        return self._backend[1]

    def lock(self, *, timeout: float | None = None):
        """The collection lock, waited for up to ``timeout`` (default: the collection's)."""
        return self.store.lock(timeout=self.lock_timeout if timeout is None else timeout)

    def timeout(self, given: float | None) -> float:
        """A use case's ``lock_timeout``: the one given, else the collection's."""
        return self.lock_timeout if given is None else given

    def catalog(self, *, locked: bool = False, on_skip: OnSkip | None = None, full: bool = False) -> Catalog:
        """A catalog brought up to date now (see :class:`~newsarchive.catalog.Catalog`);
        ``locked``: the caller holds the lock; ``full``: compare every entry.json's stamp."""
        catalog = Catalog(self.store)
        catalog.refresh(self.store, locked=locked, on_skip=on_skip, full=full)
        return catalog

    # ------------------------------------------------------------------ use cases (see each function)

    def add(self, **options: Any):
        """:func:`newsarchive.api.importing.add` on this collection."""
        from .importing import add

        return add(self, **options)

    def import_file(self, path: Path, **options: Any):
        """:func:`newsarchive.api.importing.import_file` on this collection."""
        from .importing import import_file

        return import_file(self, path, **options)

    def ingest_records(self, records, **options: Any):
        """:func:`newsarchive.api.importing.ingest_records` on this collection."""
        from .importing import ingest_records

        return ingest_records(self, records, **options)

    def get(self, ref: str):
        """:func:`newsarchive.api.entries.get` on this collection."""
        from .entries import get

        return get(self, ref)

    def list_entries(self, **options: Any):
        """:func:`newsarchive.api.entries.list_entries` on this collection."""
        from .entries import list_entries

        return list_entries(self, **options)

    def edit(self, ref: str, **options: Any):
        """:func:`newsarchive.api.entries.edit` on this collection."""
        from .entries import edit

        return edit(self, ref, **options)

    def remove(self, ref: str, **options: Any):
        """:func:`newsarchive.api.entries.remove` on this collection."""
        from .entries import remove

        return remove(self, ref, **options)

    def search(self, query: str, **options: Any):
        """:func:`newsarchive.api.searching.search` on this collection."""
        from .searching import search

        return search(self, query, **options)

    def export(self, **options: Any) -> int:
        """:func:`newsarchive.api.transfer.export` on this collection."""
        from .transfer import export

        return export(self, **options)

    def select(self, query: str | None, **options: Any):
        """:func:`newsarchive.api.transfer.select` on this collection."""
        from .transfer import select

        return select(self, query, **options)

    def history(self, ref: str):
        """:func:`newsarchive.api.versions.history` on this collection."""
        from .versions import history

        return history(self, ref)

    def diff(self, ref: str, **options: Any):
        """:func:`newsarchive.api.versions.diff` on this collection."""
        from .versions import diff

        return diff(self, ref, **options)

    def verify(self, refs=(), **options: Any):
        """:func:`newsarchive.api.versions.verify` on this collection."""
        from .versions import verify

        return verify(self, refs, **options)

    def cite(self, refs, **options: Any) -> str:
        """:func:`newsarchive.api.citing.cite` on this collection."""
        from .citing import cite

        return cite(self, refs, **options)

    def reindex(self, **options: Any) -> int:
        """:func:`newsarchive.api.indexing.reindex` on this collection."""
        from .indexing import reindex

        return reindex(self, **options)

    def status(self, **options: Any) -> "Status":
        """:func:`status` of this collection."""
        return status(self, **options)


def as_collection(where: str | os.PathLike[str] | Collection) -> Collection:
    """``where`` opened (a root), or as given (a Collection)."""
    return where if isinstance(where, Collection) else Collection(where)


@dataclass(frozen=True)
class Status:
    root: str
    entries: int
    snapshots: int
    indexed: int | None
    index_state: str  # ok | missing | outdated | damaged | drift
    missing_from_index: list[str]
    extra_in_index: list[str]
    pending: list[str]
    engine: str = "whoosh"
    stale: list[str] = ()  # type: ignore[assignment]  # indexed from an older entry.json
    unreadable: list[str] = ()  # type: ignore[assignment]  # entry folders that cannot be read
    detail: str | None = None  # why the index is damaged
    #: the older-versions index (search --all-versions): ok | missing (an index built before
    #: older versions were indexed: reindex, or the first --all-versions search, builds it) | damaged
    versions_index: str = "missing"

    @property
    def suggestion(self) -> str | None:
        """Advice about the engine (tantivy for a large collection on whoosh), or None."""
        from ..search.advice import engine_suggestion

        return engine_suggestion(engine=self.engine, entries=self.entries)

    def to_json(self) -> dict[str, Any]:
        return {"root": self.root, "entries": self.entries, "snapshots": self.snapshots,
                "indexed": self.indexed, "index": self.index_state,
                "missing_from_index": self.missing_from_index, "extra_in_index": self.extra_in_index,
                "stale_in_index": list(self.stale), "unreadable": list(self.unreadable),
                "interrupted_writes": self.pending, "engine": self.engine, "suggestion": self.suggestion,
                "versions_index": self.versions_index}


def _has_stamps(backend: Any) -> bool:
    """Whether the engine records entry.json stamps (the Whoosh one does)."""
    return callable(getattr(backend, "stored_stamps", None))


def status(root: Path, *, on_skip: OnSkip | None = None, full: bool = False) -> Status:
    """Counts, and whether the index is in step with the archive, from the catalog: each
    entry's entry.json stamp against the one the index recorded when it indexed it. The catalog
    keeps what the index holds of each entry as writers commit to it; when that record does not
    fit the index as it is (another process rebuilt it, an older version wrote it), the index's
    own record is read (engines that record stamps; others are compared by IDs). ``full``:
    compare every entry.json's stamp with the disk first (see ``Catalog.refresh``). Entries that
    cannot be read are reported through ``on_skip``."""
    coll = as_collection(root)
    store, backend = coll.store, coll.backend
    catalog = coll.catalog(on_skip=on_skip, full=full)
    try:
        return _status(coll, store, backend, catalog, on_skip)
    finally:
        catalog.close()


def _status(coll: Collection, store: st.Store, backend: Any, catalog: Catalog, on_skip: OnSkip | None) -> Status:
    from .indexing import commit_token

    root = coll.root
    counts = catalog.overview()
    unreadable = sorted(catalog.unreadable)
    total = counts["entries"] + len(unreadable)
    snapshots = counts["snapshots"]
    journal = store.index_dir / JOURNAL
    try:
        pending = sorted(set(journal.read_bytes().decode("utf-8", "replace").split())) if journal.exists() else []
    except OSError:
        pending = ["(unreadable journal)"]
    name = backend.name
    if not backend.exists():
        state = backend.condition()
        return Status(str(root), total, snapshots, None, state, [], [], pending, name, [], unreadable)
    versions_index = backend.older_condition()
    try:
        token = commit_token(backend)
        view = catalog.index_view(token) if _has_stamps(backend) else None
        if view is not None and view["count"] == backend.count():
            indexed, missing, stale, extra = view["count"], view["missing"], view["stale"], []
        else:  # the index's own record, read whole (and kept in the catalog for the next time)
            stamps = backend.stored_stamps() if _has_stamps(backend) else {i: "unknown" for i in backend.ids()}
            known = catalog.stamps()
            missing = sorted(i for i in known if i not in stamps)
            stale = sorted(i for i in known if i in stamps and stamps[i] != "unknown"
                           and (stamps[i] is None or tuple(stamps[i]) != known[i]))
            extra = sorted(i for i in stamps if i not in known and i not in catalog.unreadable)
            stale = sorted([*stale, *(i for i in catalog.unreadable if i in stamps)])  # indexed as it was
            indexed = len(stamps)
            if _has_stamps(backend) and token is not None and token == commit_token(backend):
                catalog.record_index(stamps, token)
    except SearchIndexError as exc:
        return Status(str(root), total, snapshots, None, "damaged", [], [], pending, name, [], unreadable,
                      str(exc), versions_index)
    # an entry.json that fails its recorded hash is damage, never indexed (see rebuild_index):
    # hashed only for the few entries that look missing or stale, so status stays cheap
    for entry_id in [*missing, *stale]:
        if not metadata_ok(store, entry_id):
            report_skip(on_skip, entry_id, f"{store.entry_dir(entry_id) / st.ENTRY_FILE}: does not match its "
                                     "recorded SHA-256 (see `newsarchive verify`)")
            unreadable.append(entry_id)
            if entry_id in missing:
                missing.remove(entry_id)  # rightly not in the index
    unreadable.sort()
    state = "ok" if not (missing or extra or pending or stale) else "drift"
    return Status(str(root), total, snapshots, indexed, state, missing, extra, pending, name, stale,
                  unreadable, versions_index=versions_index)
