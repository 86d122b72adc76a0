"""The catalog: what the collection holds, in a SQLite file (``index/catalog.sqlite``, derived data
like the search index, rebuilt by ``reindex``), so that no everyday command reads every
``entry.json``: the deduplication lookups (snapshot hashes, URL keys, metadata keys), citekeys
and ID prefixes, ``list`` with its filters and sorts, and the counts of ``status``. The archive
stays the truth; see :class:`Catalog` for how the catalog is kept in step with it. Also the
readers that report entries that cannot be read instead of failing."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from . import store as st
from .catalog_rows import ID_POOL, ID_PREFIX, Batch, KeysFrom, _digest, _keys, _row, free_ids
from .catalog_rows import sort_value  # noqa: F401  (defined here before)
from .errors import EntryNotFound, StoreError, UsageError
from .model import Entry
from .works import _url_keys

if TYPE_CHECKING:  # pragma: no cover
    import sqlite3

OnSkip = Callable[[str, str], None]
"""``on_skip(entry_id, reason)``: an entry that could not be read (or is damaged) was left out."""

JOURNAL = "journal"
FILE = "catalog.sqlite"
OLD_CACHES = ("catalog.jsonl", "catalog-2.jsonl")  # what older versions kept: removed when seen
#: entry.json stamps compared with the disk per refresh (one stat each); the next refresh goes on
#: where this one stopped, so a hand edit behind the catalog's back is seen within
#: ``entries / CHECK_BUDGET`` commands (at once in a collection of up to this many entries), and
#: at once by ``verify``, ``doctor``, ``reindex`` and ``status --full``
CHECK_BUDGET = 5000


def entry_stamp(store: st.Store, entry_id: str) -> tuple[int, int] | None:
    """How an entry's ``entry.json`` looks on disk: (mtime_ns, size); None when it has none.
    Any rewrite or hand edit changes it. Not the inode: a collection copied with its times
    (``cp -a``, rsync, a backup) must not look stale."""
    try:  # a string path: pathlib's joining cost more than the stat itself (100,000 per status)
        s = os.stat(f"{os.fspath(store.archive)}{os.sep}{entry_id}{os.sep}{st.ENTRY_FILE}")
    except (OSError, ValueError):
        return None
    return (s.st_mtime_ns, s.st_size)


def archive_signature(store: st.Store) -> str | None:
    """How the archive folder itself looks: changes when an entry folder is added, removed or
    renamed in it (not when a file inside an entry changes)."""
    try:
        s = os.stat(store.archive)
    except OSError:
        return None
    return f"{s.st_mtime_ns}:{s.st_ino}:{s.st_nlink}"


def report_skip(on_skip: OnSkip | None, entry_id: str, reason: str) -> None:
    if on_skip is not None:
        on_skip(entry_id, reason)


def unreadable_reason(store: st.Store, entry_id: str, exc: Exception) -> str | None:
    """Why an entry folder could not be read, or None when it is simply gone (removed meanwhile)."""
    if isinstance(exc, EntryNotFound):
        folder = store.archive / entry_id
        if not folder.is_dir():
            return None
        return f"{folder}: no {st.ENTRY_FILE} (not an entry, or its metadata is lost)"
    return str(exc)


def read_or_skip(store: st.Store, entry_id: str, on_skip: OnSkip | None) -> Entry | None:
    try:
        return store.read(entry_id)
    except (StoreError, EntryNotFound) as exc:
        reason = unreadable_reason(store, entry_id, exc)
        if reason is not None:
            report_skip(on_skip, entry_id, reason)
        return None


def read_each(store: st.Store, ids: Iterable[str] | None = None, *,
              on_skip: OnSkip | None = None) -> Iterator[Entry]:
    """Entries one by one; one that cannot be read is reported through ``on_skip`` and left
    out, never fatal for the others."""
    for entry_id in (store.ids() if ids is None else ids):
        entry = read_or_skip(store, entry_id, on_skip)
        if entry is not None:
            yield entry


# ---------------------------------------------------------------------------------- row values

def matches(entry: Entry, where: Mapping[str, str]) -> bool:
    """Whether an entry passes ``list``'s filters (field equality; a tag it has; an author whose
    name contains the value)."""
    for k, v in where.items():
        v = v.lower()
        if k == "tag" and v not in entry.tags:
            return False
        if k == "author" and not any(v in a.display.lower() for a in entry.authors):
            return False
        if k == "year" and str(entry.year or "") != v:
            return False
        if k not in ("tag", "author", "year") and (getattr(entry, k) or "").lower() != v:
            return False
    return True


# ---------------------------------------------------------------------------------- the catalog

class Catalog:
    """What the collection holds, for deduplication, unique keys, ``list`` and ``status``.

    Kept in ``index/catalog.sqlite`` (derived: deleted, damaged or from an older version, it is
    rebuilt from the archive). :meth:`refresh` brings it in step with the archive before each
    operation, without reading every ``entry.json``:

    - the archive folder's own stamp (:func:`archive_signature`) changes when an entry folder
      comes or goes: only then is the archive listed and the difference read;
    - the IDs an interrupted writer left in its journal are read again;
    - each ``entry.json`` stamp (mtime, size) is compared with the one the catalog learnt it
      from, ``CHECK_BUDGET`` of them per refresh, going on where the last refresh stopped
      (``full=True``: all of them), and an entry whose file changed is read again;
    - entries that could not be read are tried again each time and reported.

    Writers (under the collection lock) update the catalog as they write; a batch's rows are
    committed together (:meth:`hold_lines`). A reader that finds the catalog behind writes what
    it learnt only where the row is still as it found it, so it never undoes a writer's row.
    Where the file cannot be written (a read-only copy, a dry run) the catalog works on a
    private copy in memory.
    """

    CACHE = FILE

    def __init__(self, store: st.Store | None = None) -> None:
        self.store = store
        self.path = store.index_dir / FILE if store is not None else None
        self.unreadable: dict[str, str] = {}  # entry id -> why it could not be read
        self._db: "sqlite3.Connection | None" = None
        self._private = store is None  # in memory only: nothing reaches the file
        self._in_batch = False
        self._checked = False  # the rolling stamp check ran (once per catalog, see refresh)
        #: (archive stamp, cursor) a writer's refresh learnt, written with its next change (one
        #: transaction, three syncs, less per command) or when the catalog is closed
        self._pending_meta: tuple[str | None, str] | None = None
        self._batch: Batch | None = None  # in a batch: its rows held back and what it knows (see add)

    # ------------------------------------------------------------------ the connection

    @property
    def db(self) -> "sqlite3.Connection":
        """The connection, once the rows held back (see add) are written: anything reading it
        sees them."""
        if self._batch is not None:
            self._batch.settle(self._sql, self.path)
        return self._sql

    @property
    def _sql(self) -> "sqlite3.Connection":
        """The connection as it is (for the lookups that also answer from the rows held back)."""
        if self._db is None:
            from . import catalog_db

            self._db, self._private = catalog_db.connect(self.path)
        return self._db

    def go_private(self) -> None:
        """From now on, work on a copy in memory (a dry run: what it plans never reaches the file)."""
        if self._private:
            return
        from . import catalog_db

        self._db = catalog_db.copy_to_memory(self.db)
        self._private = True

    def write_pending(self) -> None:
        """Write the archive stamp and cursor a writer's refresh deferred (see refresh), if no
        change of this catalog wrote them meanwhile. Called before the lock is released."""
        if self._pending_meta is not None and self._db is not None and not self._private and not self._in_batch:
            with self._write(nested=False):
                pass
        self._pending_meta = None

    def close(self) -> None:
        self._batch = None  # rows held back are uncommitted, as the batch's transaction
        if self._db is not None:
            with contextlib.suppress(Exception):  # best effort: without it a refresh redoes the work
                self.write_pending()
            with contextlib.suppress(Exception):
                self._db.close()
            self._db = None
        self._pending_meta = None

    def __del__(self) -> None:  # pragma: no cover - best effort
        self._pending_meta = None  # never a write (and a wait for SQLite's lock) at garbage collection
        self.close()

    @contextlib.contextmanager
    def _write(self, *, nested: bool | None = None) -> Iterator[None]:
        """A transaction for a change (inside a batch: a savepoint). An SQLite failure to write
        (a full disk, a read-only file) is a :class:`~newsarchive.errors.FileAccessError`."""
        import sqlite3

        from . import catalog_db

        nested = self._in_batch if nested is None else nested
        try:
            with catalog_db.transaction(self.db, nested=nested):
                if self._pending_meta is not None and not nested and not self._private:
                    (signature, cursor), self._pending_meta = self._pending_meta, None
                    catalog_db.set_meta(self.db, "archive", signature)  # what this change writes next
                    catalog_db.set_meta(self.db, "cursor", cursor)  # may supersede it (note_archive)
                yield
        except sqlite3.OperationalError as exc:
            raise catalog_db.write_error(self.path, exc) from None

    # ------------------------------------------------------------------ keeping in step

    def refresh(self, store: st.Store, *, locked: bool = False, on_skip: OnSkip | None = None,
                full: bool = False) -> None:
        """Bring the catalog in step with the archive (see the class); ``locked``: the caller
        holds the collection lock. Entries that cannot be read are left out (``unreadable``) and
        reported through ``on_skip``."""
        from . import catalog_db

        if store is not self.store:
            self.close()
            self.store, self.path = store, store.index_dir / FILE
            self._private = False
        for old in OLD_CACHES:
            if locked:
                with contextlib.suppress(OSError):
                    (store.index_dir / old).unlink(missing_ok=True)
        try:
            catalog_db.refresh(self, store, locked=locked, on_skip=on_skip, full=full)
        except catalog_db.Damaged as exc:  # a catalog file that fails under use: rebuilt from the archive
            catalog_db._note_damage(self.path, exc)
            self.close()
            catalog_db.discard(self.path)
            catalog_db.refresh(self, store, locked=locked, on_skip=on_skip, full=True)
        except catalog_db.Busy:  # held by another process too long: this command builds its own
            self.close()
            self._db, self._private = catalog_db.connect(None)
            catalog_db.refresh(self, store, locked=locked, on_skip=on_skip, full=True)

    @contextlib.contextmanager
    def hold_lines(self) -> Iterator[None]:
        """Rows learnt inside this block are committed together when it ends (an import batch
        writes hundreds). A writer killed before that leaves the catalog behind the archive,
        which the next refresh notices through the writer's journal."""
        if self._in_batch:
            yield
            return
        with self._write(nested=False):
            self._in_batch, self._batch = True, Batch()
            try:
                yield
                if self._batch is not None:
                    self._batch.settle(self._sql, self.path, last=True)  # a failure rolls the batch back
            finally:
                self._in_batch, self._batch = False, None

    def add(self, entry: Entry, *, stamp: tuple | None = None) -> None:
        """Learn an entry as written; ``stamp`` defaults to its entry.json on disk now. In a
        batch, a new entry (its ID from :meth:`new_id` in this batch: SQLite holds nothing of
        it) is held back and written with the others when the batch ends or before anything
        reads SQLite; the lookups here answer from it meanwhile."""
        from . import catalog_db

        if stamp is None and self.store is not None:
            stamp = entry_stamp(self.store, entry.id)
        if self._batch is not None and entry.id in self._batch.issued:
            self._batch.issued.discard(entry.id)
            self._batch.add(entry, _row(entry, stamp), _keys(entry))
            return
        with self._write():
            catalog_db.learn(self.db, entry, stamp)

    def remove(self, entry_id: str) -> None:
        from . import catalog_db

        with self._write():
            catalog_db.forget(self.db, entry_id)

    def note_archive(self, store: st.Store) -> None:
        """A writer under the lock changed the archive folder (a new or removed entry) and the
        catalog knows it: record the folder's new stamp so the next refresh need not list it."""
        from . import catalog_db

        if not self._private:
            with self._write():
                catalog_db.set_meta(self.db, "archive", archive_signature(store))

    def record_written(self, written: Mapping[str, tuple[Entry | None, tuple | None]], *, indexed: bool,
                       token_before: str | None, token_after: str | None) -> None:
        """What an index session wrote: id -> (entry, its entry.json stamp), or (None, None) for a
        removed entry. ``indexed``: the index took them (and its commit token went from
        ``token_before`` to ``token_after``), so the catalog records what the index holds of
        each; the catalog's record of the whole index stays valid only when it was valid before."""
        from . import catalog_db

        if self._private:
            return
        with self._write():
            catalog_db.record_written(self.db, written, indexed=indexed, token_before=token_before,
                                      token_after=token_after)

    def index_view(self, token: str | None) -> dict[str, Any] | None:
        """What the index holds according to the catalog, when the catalog's record of it is
        valid for the index as it is now (``token``: the engine's commit token): {"count": N,
        "stale": [...], "missing": [...]} (stale: indexed from another entry.json than the one
        the catalog holds; missing: not indexed). None: the index must be read."""
        from . import catalog_db

        return catalog_db.index_view(self.db, token)

    def record_index(self, stamps: Mapping[str, Any], token: str | None) -> None:
        """The whole index's stamps as read from it (``status``'s slow path), so that the next
        ``status`` need not read it again. Best effort: a reader may not get to write."""
        from . import catalog_db

        if self._private or token is None:
            return
        with contextlib.suppress(Exception):
            with self._write():
                catalog_db.record_index(self.db, stamps, token)

    # ------------------------------------------------------------------ rebuilding (reindex)

    def check_file(self) -> None:
        """Before a rebuild: a catalog file that fails SQLite's own check is deleted (then made
        anew), so that ``reindex`` repairs any damage to it."""
        import sqlite3

        from . import catalog_db

        if self._private:
            return
        try:
            ok = self.db.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        except sqlite3.DatabaseError:
            ok = False
        if not ok:
            catalog_db._note_damage(self.path, RuntimeError("it fails SQLite's integrity check"))
            self.close()
            catalog_db.discard(self.path)

    def prepare_rebuild(self) -> None:
        """A larger page cache: a rebuild's one transaction then stays off the file until it
        commits, so that readers are not held up meanwhile."""
        import sqlite3

        with contextlib.suppress(sqlite3.Error):
            self.db.execute("PRAGMA cache_size=-524288")

    def clear(self) -> None:
        """Forget everything (``reindex`` fills the catalog again in the same transaction, so
        other processes see the old catalog or the new one, never a half)."""
        from . import catalog_db

        with self._write():
            catalog_db.clear(self.db)

    def mark_unreadable(self, entry_id: str, reason: str, stamp: tuple | None) -> None:
        from . import catalog_db

        with self._write():
            catalog_db.mark_unreadable(self.db, entry_id, reason, stamp)

    def finish_building(self, *, signature: str | None, indexed: Mapping[str, Any] | None,
                        token: str | None) -> None:
        from . import catalog_db

        with self._write():
            catalog_db.set_meta(self.db, "archive", signature)
            catalog_db.set_meta(self.db, "cursor", "")
            if indexed is not None and token is not None:
                catalog_db.record_index(self.db, indexed, token)

    # ------------------------------------------------------------------ lookups

    @property
    def entries(self) -> "_Entries":
        """The readable entries: ``id in catalog.entries``, ``len``, iteration over IDs."""
        return _Entries(self)

    @property
    def citekeys(self) -> "_Citekeys":
        return _Citekeys(self)

    # the lookups below answer from SQLite and from the rows held back (see add): rows learnt
    # later have larger rowids, so SQLite's answer comes first where the order matters

    def citekey_of(self, entry_id: str) -> str | None:
        if self._batch is not None and entry_id in self._batch.entries:
            return self._batch.entries[entry_id].citekey
        row = self._sql.execute("SELECT citekey FROM entries WHERE id = ?", (entry_id,)).fetchone()
        return row[0] if row else None

    def find_citekey(self, citekey: str) -> str | None:
        row = self._sql.execute("SELECT id FROM entries WHERE citekey = ? ORDER BY id LIMIT 1", (citekey,)).fetchone()
        found = [row[0]] if row else []
        if self._batch is not None:
            found += self._batch.citekey.get(citekey, ())
        return min(found) if found else None

    def ids_with_prefix(self, prefix: str, *, limit: int = 6) -> list[str]:
        low = prefix.lower()
        rows = self._sql.execute("SELECT id FROM entries WHERE id >= ? AND id < ? ORDER BY id LIMIT ?",
                                 (low, low + "\U0010ffff", limit)).fetchall()
        found = [r[0] for r in rows]
        more = self._batch.ids_with_prefix(low) if self._batch is not None else None
        if more:
            found = sorted(found + more)[:limit]
        return found

    def find_sha(self, sha256: str) -> str | None:
        digest = _digest(sha256)
        row = self._sql.execute("SELECT id FROM keys WHERE k = ? AND kind = 0 ORDER BY rowid LIMIT 1",
                                (digest,)).fetchone()
        if row:
            return row[0]
        return self._batch.sha.get(digest) if self._batch is not None else None

    def find_url(self, url: str | None) -> str | None:
        if not url:  # no URL (most of a plain-text corpus): no keys
            return None
        for key in _url_keys(url):
            digest = _digest(key)
            row = self._sql.execute("SELECT id FROM keys WHERE k = ? AND kind = 1 ORDER BY rowid LIMIT 1",
                                    (digest,)).fetchone()
            if row:
                return row[0]
            if self._batch is not None and digest in self._batch.url:
                return self._batch.url[digest]
        return None

    def find_meta(self, key: str | None) -> str | None:
        found = self.find_meta_all(key)
        return found[0] if found else None

    def find_meta_all(self, key: str | None) -> tuple[str, ...]:
        """Every entry whose title, year and first author give this key: candidates, which
        :func:`same_work` tells apart."""
        if not key:
            return ()
        digest = _digest(key)
        rows = self._sql.execute("SELECT id FROM entries WHERE mkey = ? ORDER BY rowid", (digest,)).fetchall()
        if self._batch is not None and digest in self._batch.mkey:
            return (*(r[0] for r in rows), *self._batch.mkey[digest])
        return tuple(r[0] for r in rows)

    def overview(self) -> dict[str, int]:
        """{"entries", "snapshots", "indexed", "missing", "stale"}: counts in one pass (the index
        counts are valid only with :meth:`index_view`)."""
        from . import catalog_db

        return catalog_db.overview(self.db)

    def ids_with_versions(self) -> list[str]:
        """The entries that have more than one version."""
        return [r[0] for r in self.db.execute("SELECT id FROM entries WHERE snaps > 1 ORDER BY id")]

    def stamps(self) -> dict[str, tuple[int, int] | None]:
        """entry id -> the stamp of the entry.json the catalog learnt it from."""
        rows = self.db.execute("SELECT id, mtime_ns, size FROM entries")
        return {i: ((m, s) if m is not None else None) for i, m, s in rows}

    def stamp_of(self, entry_id: str) -> tuple[int, int] | None:
        row = self.db.execute("SELECT mtime_ns, size FROM entries WHERE id = ?", (entry_id,)).fetchone()
        return (row[0], row[1]) if row and row[0] is not None else None

    def new_id(self, *, avoid: str | None = None) -> str:
        """A fresh ID that no citekey (nor ``avoid``) is a prefix of: a reference can then
        never mean both an ID and a citekey. In a batch, from IDs SQLite was asked about many
        at a time (as many as the batch took so far, up to ID_POOL: few are drawn in vain)."""
        avoid_low = avoid.lower() if avoid else None
        batch = self._batch
        pool = batch.pool if batch is not None else []
        while True:
            if not pool:
                count = min(ID_POOL, max(1, batch.handed)) if batch is not None else 1
                pool.extend(reversed(free_ids(self._sql, count)))  # popped in the order drawn
                continue
            candidate, prefixes = pool.pop()
            if avoid_low in prefixes:
                continue
            if batch is not None:
                if candidate in batch.entries or not batch.citekey_low.isdisjoint(prefixes):
                    continue
                batch.issued.add(candidate)
                batch.handed += 1
            return candidate

    def shadowed_id(self, citekey: str) -> str | None:
        """The ID this citekey equals or is a prefix of (ID references win over citekeys)."""
        low = citekey.lower()
        if not ID_PREFIX.fullmatch(low):
            return None
        found = self.ids_with_prefix(low, limit=1)
        return found[0] if found else None

    def check_citekey(self, citekey: str, *, entry_id: str | None = None) -> None:
        """An explicit citekey must be free and must not read as an entry's ID (or its prefix)."""
        row = self.db.execute("SELECT id FROM entries WHERE citekey = ? AND id IS NOT ? ORDER BY id LIMIT 1",
                              (citekey, entry_id)).fetchone()
        if row:
            raise UsageError(f"citekey {citekey!r} is taken by entry {row[0]}; choose another")
        shadow = self.shadowed_id(citekey)
        if shadow is not None and shadow != entry_id:
            raise UsageError(f"citekey {citekey!r} would read as entry {shadow}'s ID; choose another")
        if shadow is not None:
            raise UsageError(f"citekey {citekey!r} would read as this entry's own ID; choose another")

    def unusable_citekeys(self) -> "_Unusable":
        return _Unusable(self)

    def citekey_unusable(self, citekey: str) -> bool:
        """Whether generated keys must avoid this one: it is taken, or it reads as an entry's
        ID or an ID's prefix (:meth:`find_citekey`, :meth:`shadowed_id`, in one query)."""
        low = citekey.lower()
        idlike = ID_PREFIX.fullmatch(low) is not None
        batch = self._batch
        if batch is not None and (citekey in batch.unusable or citekey in batch.citekey
                                  or (idlike and batch.ids_with_prefix(low))):
            return True
        if idlike:
            row = self._sql.execute("SELECT 1 FROM entries WHERE citekey = ? UNION ALL "
                                    "SELECT 1 FROM entries WHERE id >= ? AND id < ? LIMIT 1",
                                    (citekey, low, low + "\U0010ffff")).fetchone()
        else:
            row = self._sql.execute("SELECT 1 FROM entries WHERE citekey = ? LIMIT 1", (citekey,)).fetchone()
        if row is not None and batch is not None:
            batch.unusable.add(citekey)  # until anything but the batch's own rows reaches SQLite
        return row is not None

    def list_ids(self, *, sort: str = "published", where: Mapping[str, str] | None = None) -> Iterator[str]:
        """IDs in ``list`` order (``-field``: descending; no value last either way; ties by ID),
        filtered by ``where`` as :func:`matches` does."""
        from . import catalog_db

        return catalog_db.list_ids(self.db, sort=sort, where=dict(where or {}))


class _Entries(Mapping):
    """The catalog's readable entries, as a read-only mapping id -> citekey."""

    def __init__(self, catalog: Catalog):
        self._c = catalog

    def __getitem__(self, entry_id: str) -> str:
        key = self._c.citekey_of(entry_id)
        if key is None:
            raise KeyError(entry_id)
        return key

    def __contains__(self, entry_id: object) -> bool:
        return isinstance(entry_id, str) and self._c.citekey_of(entry_id) is not None

    def __iter__(self) -> Iterator[str]:
        return iter([r[0] for r in self._c.db.execute("SELECT id FROM entries ORDER BY id")])

    def __len__(self) -> int:
        return int(self._c.db.execute("SELECT count(*) FROM entries").fetchone()[0])


class _Citekeys:
    def __init__(self, catalog: Catalog):
        self._c = catalog

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._c.find_citekey(key) is not None


class _Unusable:
    """Citekeys that generated keys must avoid: taken ones and those that read as an ID."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.catalog.citekey_unusable(key)

    def starting_with(self, base: str) -> KeysFrom:
        """The same answers for the keys that start with ``base``, from one query."""
        return KeysFrom(self.catalog, base)
