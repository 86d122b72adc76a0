"""Keeping the search index in step with the archive: the per-batch index session and its journal, rebuilds, sweeping derived leftovers."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from pathlib import Path
from typing import Any, Callable, Iterator

from .. import store as st
from ..catalog import (JOURNAL, OLD_CACHES, Catalog, OnSkip, archive_signature, entry_stamp, report_skip,
                       unreadable_reason)
from ..errors import EntryNotFound, IndexNotUpdated, LockTimeout, NewsArchiveError, SearchIndexError, StoreError
from ..fixity import metadata_ok
from ..model import Entry, Snapshot
from .collection import DEFAULT_LOCK_TIMEOUT, Collection, _has_stamps, as_collection, search_backend
from .parts import EXPORTS_DIR, _pid_alive, _remove_part


class IndexSession:
    """One index writer for a batch of archive writes, plus a journal of touched IDs so that an
    interrupted batch is re-synced by the next writer (the archive is written before the index).

    The index is derived: when it cannot be opened or committed (damaged), the archive writes go
    ahead all the same, the journal keeps their IDs, and ``error`` says why; the caller reports
    "archived, but the index could not be updated: run `newsarchive reindex`"."""

    def __init__(self, store: st.Store, *, catalog: Catalog | None = None):
        self.store = store
        self.journal = store.index_dir / JOURNAL
        self._writer_cm = None
        self._writer = None
        self._touched: list[str] = []
        self.error: str | None = None
        self._stamps = False
        self._journal_fd: int | None = None
        # the catalog learns every entry written through the session before the journal is
        # removed (so a kill in between leaves the journal naming it); ``catalog``: the caller's
        self._catalog = catalog
        self._learnt: dict[str, tuple[Entry | None, tuple | None]] = {}  # id -> (entry or None: deleted, stamp)
        self._backend = None
        self._token_before: str | None = None

    def __enter__(self) -> "IndexSession":
        sweep_derived(self.store)
        try:
            backend = self._backend = search_backend(self.store)
            self._stamps = _has_stamps(backend)
            if not backend.exists():
                rebuild_index(self.store)  # missing or old schema: derived data, rebuild it
            self._token_before = commit_token(backend)
            self._writer_cm = backend.writer()
            self._writer = self._writer_cm.__enter__()
        except LockTimeout:
            raise  # nothing written yet: the user tries again
        except (SearchIndexError, OSError) as exc:
            self._failed(exc)
            return self
        try:
            self._recover()
        except (SearchIndexError, OSError) as exc:
            self._failed(exc)
        return self

    def _failed(self, exc: BaseException) -> None:
        self.error = _reason(exc)
        if self._writer_cm is not None:
            with contextlib.suppress(Exception):
                self._writer_cm.__exit__(RuntimeError, RuntimeError("abandoned"), None)
        self._writer_cm = self._writer = None

    def _recover(self) -> None:
        if not self.journal.exists():
            return
        text = self.journal.read_bytes().decode("utf-8", "replace")  # damaged: what can be read
        ids = {word for word in text.split() if re.fullmatch(r"[0-9a-z]{1,32}", word)}
        for entry_id in sorted(ids):
            self._sync_one(entry_id)

    def _sync_one(self, entry_id: str) -> None:
        stamp = entry_stamp(self.store, entry_id)
        try:
            entry = self.store.read(entry_id)
            if not metadata_ok(self.store, entry_id):
                raise StoreError(f"{entry_id}: entry.json fails its recorded hash")
        except (EntryNotFound, StoreError):
            self.delete(entry_id)
            return
        self._learnt[entry.id] = (entry, stamp)
        self._upsert(entry, body_text(self.store, entry), stamp)

    def touch(self, entry_id: str) -> None:
        try:
            if self._journal_fd is None:  # opened once per batch; each ID is written at once
                self.journal.parent.mkdir(exist_ok=True)
                self._journal_fd = os.open(self.journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            os.write(self._journal_fd, (entry_id + "\n").encode("utf-8"))
        except OSError as exc:
            if self._writer is not None:
                raise  # the journal is what makes an interrupted batch recoverable
            self.error = self.error or f"cannot write {self.journal}: {exc.strerror or exc}"

    @property
    def preparer(self) -> str | None:
        """The engine's ``preparer`` ("module:function" (entry, body, stamp) -> a document
        another process may prepare for :meth:`upsert`), when the index is open and has one."""
        return getattr(self._backend, "preparer", None) if self._writer is not None else None

    def upsert(self, entry: Entry, body: str, *, stamp: tuple | None = None, prepared: Any = None) -> None:
        """Index ``entry`` as just written; ``stamp``: its entry.json's, when the caller knows it;
        ``prepared``: its document as the engine's :attr:`preparer` made it (else built here)."""
        if stamp is None:
            stamp = entry_stamp(self.store, entry.id)
        self._learnt[entry.id] = (entry, stamp)
        if self._writer is not None:
            self._upsert(entry, body, stamp, prepared)

    def _upsert(self, entry: Entry, body: str, stamp: tuple | None, prepared: Any = None) -> None:
        # an entry's versions only ever grow (rm removes them all): one with a single version
        # has none in the older-versions index, which is then not opened at all
        older = older_versions(self.store, entry) if len(entry.snapshots) > 1 else None
        extra: dict[str, Any] = {}
        if getattr(self, "_stamps", False):  # else an engine that records no stamps (status compares IDs)
            extra["stamp"] = stamp
        if prepared is not None:  # only from an engine's own preparer
            extra["prepared"] = prepared
        self._writer.upsert(entry, body, older=older, **extra)

    def delete(self, entry_id: str) -> None:
        self._learnt[entry_id] = (None, None)
        if self._writer is not None:
            self._writer.delete(entry_id)

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._journal_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._journal_fd)
            self._journal_fd = None
        if self._writer_cm is not None:
            try:
                self._writer_cm.__exit__(exc_type, exc, tb)
            except (SearchIndexError, OSError) as err:
                if exc_type is not None:
                    raise
                self.error = _reason(err)
        told = exc_type is None and (not self._learnt or self._tell_catalog(indexed=self.error is None))
        if told and self.error is None:
            with contextlib.suppress(FileNotFoundError):
                self.journal.unlink()

    def _tell_catalog(self, *, indexed: bool) -> bool:
        """The catalog learns what was written (and, when the index took it, what the index now
        holds of each entry: ``status`` compares that instead of reading the whole index).
        False when it could not: the journal then stays, and the next refresh reads them."""
        catalog = self._catalog if self._catalog is not None else Catalog(self.store)
        token = commit_token(self._backend) if indexed and self._backend is not None else None
        try:
            catalog.record_written(self._learnt, indexed=indexed, token_before=self._token_before,
                                   token_after=token)
            return True
        except Exception:  # noqa: BLE001 - derived data, recovered through the journal
            return False
        finally:
            if self._catalog is None:
                catalog.close()

    def check(self, done: str) -> None:
        """Raise ``IndexNotUpdated`` when the index could not follow ``done`` ("edited X")."""
        if self.error is not None:
            raise IndexNotUpdated(index_failure(done, self.error))


def commit_token(backend: Any) -> str | None:
    """What changes each time the engine commits (None: it cannot say)."""
    token = getattr(backend, "commit_token", None)
    if token is None:
        return None
    try:
        return token()
    except (SearchIndexError, OSError):
        return None


def _reason(exc: BaseException) -> str:
    """Why the index failed, in one line, without the repair advice (the caller gives it)."""
    text = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
    return re.sub(r";\s*run `newsarchive reindex`$", "", text)


def index_failure(done: str, reason: str) -> str:
    return f"{done}, but the index could not be updated: run `newsarchive reindex` ({reason})"


def body_text(store: st.Store, entry: Entry, *, version: int | None = None) -> str:
    snap = entry.snapshots[version - 1] if version else entry.snapshot
    if snap is None:
        return entry.notes or ""
    if snap.text_path:
        with contextlib.suppress(StoreError):
            return store.read_file(entry.id, snap.text_path).decode("utf-8", "replace")
    return ""


def as_of(entry: Entry, snap: Snapshot) -> Entry:
    """The entry as that capture showed it: its headline, modified date and byline, unless the
    user set them (what the user says wins)."""
    meta = dict(snap.meta or {})
    data = entry.to_json()
    for key in ("title", "modified", "authors"):
        if key in meta and entry.provenance.get(key, "").startswith("extracted"):
            data[key] = meta[key]
    return Entry.from_json(data)


def older_versions(store: st.Store, entry: Entry) -> list[tuple[Entry, int, str]]:
    """Every version of ``entry`` but the newest, as the older-versions index holds them: (the
    entry as that version showed it, version number, that version's text)."""
    return [(as_of(entry, snap), n, body_text(store, entry, version=n))
            for n, snap in enumerate(entry.snapshots[:-1], 1)]


def _readable(store: st.Store, entry_id: str, on_skip: OnSkip | None = None, *,
              on_unreadable: Callable[[str, str], Any] | None = None,
              on_read: Callable[[Entry], Any] | None = None) -> Entry | None:
    """The entry, when it can be read and its entry.json matches its recorded hash (what the
    index may hold); otherwise None, reported through ``on_skip`` when it is damage.
    ``on_unreadable(id, why)``: an entry folder whose metadata cannot be read; ``on_read(entry)``:
    an entry read, before its hash is checked (the catalog learns damaged entries too)."""
    try:
        entry = store.read(entry_id)
    except (StoreError, EntryNotFound) as exc:
        reason = unreadable_reason(store, entry_id, exc)
        if reason is not None:
            report_skip(on_skip, entry_id, reason)  # verify tells more; the index leaves it out
            if on_unreadable is not None:
                on_unreadable(entry_id, reason)
        return None
    if on_read is not None:
        on_read(entry)
    if not metadata_ok(store, entry_id):  # damaged metadata is never indexed
        report_skip(on_skip, entry_id, f"{store.entry_dir(entry_id) / st.ENTRY_FILE}: does not match "
                                 "its recorded SHA-256 (see `newsarchive verify`)")
        return None
    return entry


def ensure_older(store: st.Store, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> bool:
    """Build the older-versions index when the index has none (it was built before older
    versions were indexed), from the archive; True when it was built."""
    backend = search_backend(store)
    if backend.older_condition() != "missing" or not backend.exists():
        return False
    with store.lock(timeout=lock_timeout):
        if backend.older_condition() != "missing" or not backend.exists():
            return False

        def versions() -> Iterator[tuple[Entry, int, str]]:
            for entry_id in store.ids():
                entry = _readable(store, entry_id)
                if entry is not None and len(entry.snapshots) > 1:
                    yield from older_versions(store, entry)

        backend.build_older(versions(), timeout=lock_timeout)
    return True


def rebuild_index(store: st.Store, *, engine: str | None = None, on_skip: OnSkip | None = None,
                  on_entry: Callable[[], Any] | None = None) -> int:
    """Rebuild the index (and drop the catalog cache and journal) from ``archive/`` alone; works
    whatever state ``index/`` is in. Entries that cannot be read are reported and left out.
    With ``engine`` (another than the current one), build that engine's index beside the
    current one, record the switch, then drop the old."""
    from ..search import engines

    _clear_index_dir(store)
    current = engines.configured(store.root)
    target = engines.check_name(engine) if engine else current
    backend = engines.backend(target, store.index_dir)
    stamped = _has_stamps(backend)
    # the catalog is rebuilt in the same pass (each entry.json read once), in one transaction
    catalog = Catalog(store)
    indexed: dict[str, tuple | None] = {}
    signature = archive_signature(store)  # before the listing: a folder added after it changes it

    def docs() -> Iterator[tuple[Entry, str, tuple | None]]:
        for entry_id in store.ids():
            if on_entry is not None:  # progress: once per entry
                on_entry()
            stamp = entry_stamp(store, entry_id)  # before reading: a later change shows as stale
            entry = _readable(store, entry_id, on_skip,
                              on_unreadable=lambda i, why: catalog.mark_unreadable(i, why, stamp),
                              on_read=lambda e: catalog.add(e, stamp=stamp))
            if entry is None:
                continue
            indexed[entry_id] = stamp
            yield (entry, body_text(store, entry), stamp) if stamped else (entry, body_text(store, entry))

    try:
        catalog.check_file()
        catalog.prepare_rebuild()
        with catalog.hold_lines():
            catalog.clear()
            n = backend.rebuild(docs(), older=lambda entry: older_versions(store, entry))
            catalog.finish_building(signature=signature, indexed=indexed if stamped else None,
                                    token=commit_token(backend))
    finally:
        catalog.close()
    if target != current:
        engines.record(store.root, target)
        engines.backend(current, store.index_dir).remove()
    with contextlib.suppress(FileNotFoundError, IsADirectoryError, PermissionError):
        (store.index_dir / JOURNAL).unlink()
    sweep_derived(store)
    return n


def _clear_index_dir(store: st.Store) -> None:
    """Make ``index/`` a folder again, whatever a crash or a user left there."""
    d = store.index_dir
    if d.is_symlink() or (d.exists() and not d.is_dir()):
        d.unlink()
    d.mkdir(exist_ok=True)
    for name in (JOURNAL, Catalog.CACHE, "index.json", *OLD_CACHES):  # folders in their place
        p = d / name
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)


def reindex(root: Path | Collection, *, lock_timeout: float | None = None, engine: str | None = None,
            on_skip: OnSkip | None = None, on_entry: Callable[[], Any] | None = None) -> int:
    """Rebuild the search index; ``engine`` converts the collection to that engine. ``on_entry``
    is called once per entry read (progress)."""
    if engine:
        from ..search import engines

        engines.check_name(engine)
    coll = as_collection(root)
    store = coll.store
    with coll.lock(timeout=lock_timeout):
        return rebuild_index(store, engine=engine, on_skip=on_skip, on_entry=on_entry)


def sweep_derived(store: st.Store) -> None:
    """What killed processes left in derived data: index build folders of a killed rebuild, and
    ``.part`` files of killed exports (registered in ``index/exports/``). Under the lock."""
    with contextlib.suppress(OSError, NewsArchiveError):
        search_backend(store).sweep()
    for old in OLD_CACHES:  # the caches of older versions (the catalog is catalog.sqlite now)
        with contextlib.suppress(OSError):
            (store.index_dir / old).unlink(missing_ok=True)
    folder = store.index_dir / EXPORTS_DIR
    try:
        regs = list(folder.iterdir())
    except OSError:
        return
    for reg in regs:
        pid = reg.name.split("-", 1)[0]
        if not pid.isdigit() or _pid_alive(int(pid)):
            continue
        with contextlib.suppress(OSError, ValueError):
            for line in reg.read_text("utf-8").splitlines():
                if line.strip():
                    _remove_part(Path(line.strip()))
        with contextlib.suppress(OSError):
            reg.unlink()


def ensure_index(store: st.Store, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> bool:
    """Build the index when it is missing (a fresh clone); True when it was built."""
    backend = search_backend(store)
    if backend.exists():
        return False
    if backend.present():
        return False  # an old schema: search reports it and `reindex` repairs it
    with store.lock(timeout=lock_timeout):
        if not backend.exists():
            rebuild_index(store)
    return True
