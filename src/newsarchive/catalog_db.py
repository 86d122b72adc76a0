"""The catalog's SQLite file: schema, connection, and keeping it in step with the archive (the
policy is described on :class:`newsarchive.catalog.Catalog`; this module is its machinery)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from . import fields as registry
from . import store as st
from .errors import EntryNotFound, StoreError, UsageError
from .catalog_rows import _keys, _row

if TYPE_CHECKING:  # pragma: no cover
    from .catalog import Catalog, OnSkip
    from .model import Entry

#: bumped when what a row holds changes; the registry's sortable and filter fields are part of it
LAYOUT = 3


class Damaged(Exception):
    """The catalog file failed under use (not a database, malformed): it is rebuilt."""


def _sort_columns() -> tuple[str, ...]:
    return registry.sortable()


def _filter_columns() -> tuple[str, ...]:
    return registry.filters()


def _schema_id() -> str:
    return f"{LAYOUT}:" + ",".join(_sort_columns()) + ";" + ",".join(_filter_columns())


def _create(db: sqlite3.Connection) -> None:
    sorts = "".join(f", s_{c} TEXT" for c in _sort_columns())
    filters = "".join(f", f_{c} TEXT" for c in _filter_columns())
    script = f"""
        DROP TABLE IF EXISTS meta; DROP TABLE IF EXISTS entries; DROP TABLE IF EXISTS keys;
        DROP TABLE IF EXISTS unreadable;
        CREATE TABLE meta(k TEXT PRIMARY KEY, v TEXT);
        CREATE TABLE entries(id TEXT NOT NULL UNIQUE, citekey TEXT NOT NULL, citekey_low TEXT NOT NULL,
            mtime_ns INTEGER, size INTEGER, mkey BLOB, snaps INTEGER NOT NULL DEFAULT 0,
            ix_mtime INTEGER, ix_size INTEGER, ix INTEGER NOT NULL DEFAULT 0{sorts}{filters},
            ix_state INTEGER GENERATED ALWAYS AS (CASE WHEN ix = 0 THEN 0 WHEN ix_mtime IS mtime_ns AND
                ix_size IS size AND ix_mtime IS NOT NULL THEN 1 ELSE 2 END) VIRTUAL);
        CREATE INDEX entries_state ON entries(ix_state, snaps);
        CREATE INDEX entries_citekey ON entries(citekey);
        CREATE INDEX entries_citekey_low ON entries(citekey_low);
        CREATE INDEX entries_mkey ON entries(mkey);
        CREATE TABLE keys(k BLOB NOT NULL, kind INTEGER NOT NULL, id TEXT NOT NULL);
        CREATE INDEX keys_k ON keys(k);
        CREATE INDEX keys_id ON keys(id);
        CREATE TABLE unreadable(id TEXT PRIMARY KEY, reason TEXT NOT NULL, mtime_ns INTEGER, size INTEGER);
    """
    for statement in script.split(";"):  # not executescript: it would commit the caller's transaction
        if statement.strip():
            db.execute(statement)
    for c in _sort_columns():  # list --sort: read in order from an index, either way, missing last
        if c != "id":
            for way in ("ASC", "DESC"):
                db.execute(f"CREATE INDEX entries_s_{c}_{way.lower()} ON entries(s_{c} IS NULL, s_{c} {way}, id)")
    db.execute("INSERT INTO meta VALUES ('schema', ?)", (_schema_id(),))


def _memory() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    _create(db)
    return db


def _schema_ok(db: sqlite3.Connection) -> bool:
    try:
        row = db.execute("SELECT v FROM meta WHERE k = 'schema'").fetchone()
    except sqlite3.OperationalError:
        return False
    return bool(row) and row[0] == _schema_id()


def connect(path: Path | None) -> tuple[sqlite3.Connection, bool]:
    """(connection, private): the catalog file, made when missing and rebuilt when damaged or of
    another layout; a private catalog in memory when the file cannot be opened or written (a
    read-only copy of a collection): a copy of what the file holds when it can be read."""
    if path is None:
        return _memory(), True
    for attempt in (1, 2):
        db = None
        try:
            db = sqlite3.connect(os.fspath(path), timeout=10.0, isolation_level=None, check_same_thread=False)
            # a rollback journal, not WAL: a WAL file outlives a catalog file deleted or replaced
            # under it (by reindex, or by hand) and would be read into the new one
            db.execute("PRAGMA journal_mode=DELETE")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA cache_size=-32768")  # up to 32 MB: an import batch's changes never spill
            db.execute("PRAGMA temp_store=MEMORY")  # savepoint journals in memory, not a /var/tmp file per batch
            if not _schema_ok(db):
                with transaction(db, nested=False):
                    if not _schema_ok(db):  # another process may have made it meanwhile
                        _create(db)
            return db, False
        except sqlite3.DatabaseError as exc:
            if db is not None:
                with contextlib.suppress(Exception):
                    db.close()
            if _is_damage(exc) and attempt == 1:
                _note_damage(path, exc)
                discard(path)
                continue
            return _readonly_copy(path), True
    return _memory(), True  # pragma: no cover


class Busy(Exception):
    """Another process holds the catalog file (a rebuild swapping it, a long write)."""


def _is_damage(exc: sqlite3.DatabaseError) -> bool:
    """Whether an SQLite error means a damaged file (rather than a busy or read-only one)."""
    text = str(exc).lower()
    if any(w in text for w in ("malformed", "not a database", "encrypted", "corrupt")):
        return True
    return not isinstance(exc, sqlite3.OperationalError)


def _note_damage(path: Path | None, exc: BaseException) -> None:
    """Say that the catalog file was damaged and is rebuilt (derived data: nothing is lost)."""
    import logging

    logging.getLogger("newsarchive").warning("the catalog %s was damaged (%s); rebuilding it from the archive",
                                             path, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)


def _readonly_copy(path: Path) -> sqlite3.Connection:
    """The catalog file as it stands, copied into memory (or an empty one)."""
    try:
        src = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro&immutable=1", uri=True,
                              isolation_level=None, check_same_thread=False)
        try:
            if _schema_ok(src):
                return copy_to_memory(src)
        finally:
            src.close()
    except sqlite3.Error:
        pass
    return _memory()


def copy_to_memory(db: sqlite3.Connection) -> sqlite3.Connection:
    mem = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    db.backup(mem)
    return mem


def discard(path: Path | None) -> None:
    """Delete a catalog file and its SQLite companions (derived: rebuilt from the archive)."""
    if path is None:
        return
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(OSError):
            Path(f"{os.fspath(path)}{suffix}").unlink()


@contextlib.contextmanager
def transaction(db: sqlite3.Connection, *, nested: bool) -> Iterator[None]:
    """One write transaction (inside an open one: a savepoint); rolled back on an error."""
    if nested:
        db.execute("SAVEPOINT learn")
        try:
            yield
        except BaseException:
            with contextlib.suppress(sqlite3.Error):  # SQLite may have rolled back the whole transaction
                db.execute("ROLLBACK TO learn")
                db.execute("RELEASE learn")
            raise
        db.execute("RELEASE learn")
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")
        raise
    if db.in_transaction:  # else SQLite rolled it back on a failed write, which was raised then
        db.execute("COMMIT")


def write_error(path: Path | None, exc: sqlite3.OperationalError) -> Exception:
    """A failed catalog write as the one-line error the CLI prints."""
    import errno

    from .errors import FileAccessError

    text = str(exc)
    if "full" in text.lower():
        return FileAccessError(f"cannot write {path}: {os.strerror(errno.ENOSPC)}", path=str(path),
                               errno=errno.ENOSPC)
    if "readonly" in text.lower() or "read-only" in text.lower():
        return FileAccessError(f"cannot write {path}: {os.strerror(errno.EROFS)}", path=str(path),
                               errno=errno.EROFS)
    return FileAccessError(f"cannot write {path}: {text}", path=str(path))


def get_meta(db: sqlite3.Connection, key: str) -> str | None:
    row = db.execute("SELECT v FROM meta WHERE k = ?", (key,)).fetchone()
    return row[0] if row else None


def set_meta(db: sqlite3.Connection, key: str, value: Any) -> None:
    db.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v",
               (key, None if value is None else str(value)))


# ---------------------------------------------------------------------------------- rows

_STATEMENTS: dict[tuple, tuple[str, str]] = {}


def _statements() -> tuple[str, str]:
    """(upsert, insert) of an entries row: built once per process (the registry's columns)."""
    spec = (_sort_columns(), _filter_columns())
    made = _STATEMENTS.get(spec)
    if made is None:
        cols = ["id", "citekey", "citekey_low", "mtime_ns", "size", "mkey", "snaps",
                *(f"s_{c}" for c in spec[0]), *(f"f_{c}" for c in spec[1])]
        insert = f"INSERT INTO entries({','.join(cols)}) VALUES ({','.join('?' * len(cols))})"
        upsert = f"{insert} ON CONFLICT(id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in cols[1:])}"
        made = _STATEMENTS[spec] = (upsert, insert)
    return made


def learn(db: sqlite3.Connection, entry: "Entry", stamp: tuple | None) -> None:
    """Write an entry's row and lookup keys (what the index recorded of it is kept)."""
    db.execute(_statements()[0], _row(entry, stamp))
    db.execute("DELETE FROM keys WHERE id = ?", (entry.id,))
    db.executemany("INSERT INTO keys VALUES (?, ?, ?)", _keys(entry))
    db.execute("DELETE FROM unreadable WHERE id = ?", (entry.id,))


def insert_new(db: sqlite3.Connection, rows: list[tuple], keys: list[tuple]) -> None:
    """Rows (``_row``) and keys (``_keys``) of entries the catalog holds nothing of (no row, no
    keys, not unreadable), in the order they were learnt: what ``learn`` of each would write,
    with the same rowids."""
    db.executemany(_statements()[1], rows)
    db.executemany("INSERT INTO keys VALUES (?, ?, ?)", keys)


def forget(db: sqlite3.Connection, entry_id: str) -> None:
    db.execute("DELETE FROM entries WHERE id = ?", (entry_id,))
    db.execute("DELETE FROM keys WHERE id = ?", (entry_id,))
    db.execute("DELETE FROM unreadable WHERE id = ?", (entry_id,))


def _stamp_of(db: sqlite3.Connection, entry_id: str) -> tuple | str | None:
    """The stamp a row records: a tuple, None (no stamp), or "absent" / "unreadable"."""
    row = db.execute("SELECT mtime_ns, size FROM entries WHERE id = ?", (entry_id,)).fetchone()
    if row is not None:
        return (row[0], row[1]) if row[0] is not None else None
    row = db.execute("SELECT mtime_ns, size FROM unreadable WHERE id = ?", (entry_id,)).fetchone()
    if row is not None:
        return "unreadable"
    return "absent"


# ---------------------------------------------------------------------------------- refresh

def refresh(cat: "Catalog", store: st.Store, *, locked: bool, on_skip: "OnSkip | None", full: bool) -> None:
    from .catalog import CHECK_BUDGET, JOURNAL, archive_signature, report_skip, unreadable_reason

    if cat._db is None and cat.path is not None and not cat.path.parent.is_dir():
        with contextlib.suppress(OSError):
            cat.path.parent.mkdir()  # index/ removed (or a fresh clone): derived, recreated
    db = cat.db
    cursor = next_cursor = None
    try:
        sig = archive_signature(store)  # before the listing: a folder added after it changes it again
        stored_sig = get_meta(db, "archive")
        if cat._pending_meta is not None:  # learnt by this catalog's last refresh, not written yet
            stored_sig = cat._pending_meta[0]
        unread = {r[0] for r in db.execute("SELECT id FROM unreadable")}  # tried again each time
        rows = {}  # id -> stamp the catalog holds, for the entries compared with the disk
        new: list[str] = []
        gone: list[str] = []
        if full or sig is None or sig != stored_sig:
            disk = store.ids()
            known = {i: ((m, s) if m is not None else None)
                     for i, m, s in db.execute("SELECT id, mtime_ns, size FROM entries")}
            disk_set = set(disk)
            new = [i for i in disk if i not in known and i not in unread]
            gone = [i for i in (*known, *unread) if i not in disk_set]
            if full:
                rows = {i: known[i] for i in disk if i in known}
        cursor = (get_meta(db, "cursor") if cat._pending_meta is None else cat._pending_meta[1]) or ""
        next_cursor = "" if full else cursor
        if not full and not cat._checked:  # the stamps slice: once per catalog (not per import batch)
            part = db.execute("SELECT id, mtime_ns, size FROM entries WHERE id > ? ORDER BY id LIMIT ?",
                              (cursor, CHECK_BUDGET)).fetchall()
            if len(part) < CHECK_BUDGET:  # the end: go on from the start
                part += db.execute("SELECT id, mtime_ns, size FROM entries WHERE id <= ? ORDER BY id LIMIT ?",
                                   (cursor, CHECK_BUDGET - len(part))).fetchall()
                next_cursor = ""
            else:
                next_cursor = part[-1][0]
            rows.update((i, (m, s) if m is not None else None) for i, m, s in part)
        journal = store.index_dir / JOURNAL
        if journal.exists():  # a writer was interrupted (or is at work): what it touched
            with contextlib.suppress(OSError):
                for word in journal.read_bytes().decode("utf-8", "replace").split():
                    if st.ID_LIKE.match(word) and word not in rows:
                        rows[word] = _stamp_of(db, word)
        for i in unread:
            rows.setdefault(i, "unreadable")
        for i in new:
            rows[i] = "absent"
        gone_set = set(gone)
    except sqlite3.DatabaseError as exc:
        raise (Damaged if _is_damage(exc) else Busy)(str(exc)) from None

    learnt: list[tuple[Any, "Entry", tuple | None]] = []  # (expected stamp, entry, its stamp)
    failed: list[tuple[Any, str, str, tuple | None]] = []  # (expected, id, reason, stamp)
    forgotten: list[tuple[Any, str]] = [(None, i) for i in gone]
    cat.unreadable = {}

    def flush(final: bool) -> None:
        """Write what was learnt so far (in parts: a catalog built from 100,000 entries would
        hold them all in memory otherwise); the archive's stamp and the cursor at the end."""
        if not final and len(learnt) < CHUNK:
            return
        if not (learnt or failed or forgotten) and not (final and (sig != stored_sig or next_cursor != cursor)):
            return
        if (final and locked and not (learnt or failed or forgotten) and not cat._private and not cat._in_batch
                and store._session is not None):  # only the stamp and the cursor: with the next change,
            if cat._pending_meta is None:  # or before the lock is released
                store._session.on_release.append(cat.write_pending)
            cat._pending_meta = (sig, next_cursor)
            return
        kw = dict(learnt=list(learnt), failed=list(failed), forgotten=list(forgotten), sig=sig,
                  stored_sig=stored_sig, cursor=(cursor, next_cursor), meta=final)
        if final:
            cat._pending_meta = None  # superseded by what this writes
        learnt.clear()
        failed.clear()
        forgotten.clear()
        try:
            _apply(cat, locked=locked, **kw)
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and not _is_damage(exc):
                # busy (another process writes) or read-only: this command works on a private copy
                cat.go_private()
                _apply(cat, locked=True, **kw)
                return
            raise Damaged(str(exc)) from None

    cat._checked = True
    # entry_stamp inlined: thousands of stats per command, where the call and the path joining
    # cost a fifth of the stat itself
    prefix, suffix, stat = f"{os.fspath(store.archive)}{os.sep}", f"{os.sep}{st.ENTRY_FILE}", os.stat
    for entry_id in sorted(rows):
        if entry_id in gone_set:
            continue
        expected = rows[entry_id]
        try:
            s = stat(prefix + entry_id + suffix)
            stamp: tuple | None = (s.st_mtime_ns, s.st_size)
        except (OSError, ValueError):
            stamp = None
        if stamp is not None and isinstance(expected, tuple) and expected == stamp:
            continue
        try:
            entry = store.read(entry_id)
        except (StoreError, EntryNotFound) as exc:
            reason = unreadable_reason(store, entry_id, exc)
            if reason is None:  # gone
                if expected != "absent":
                    forgotten.append((expected, entry_id))
                continue
            cat.unreadable[entry_id] = reason
            report_skip(on_skip, entry_id, reason)
            failed.append((expected, entry_id, reason, stamp))
            continue
        learnt.append((expected, entry, stamp))
        flush(False)
    flush(True)


CHUNK = 1000  # entries learnt per write while a refresh reads many


def _apply(cat: "Catalog", *, learnt, failed, forgotten, sig, stored_sig, cursor, locked: bool,
           meta: bool = True) -> None:
    """Write what a refresh learnt. A reader (``locked`` False) writes a row only where it is
    still as the reader found it: a writer that changed it meanwhile knew better."""
    db = cat.db
    if not locked and not cat._private:
        db.execute("PRAGMA busy_timeout = 500")  # a writer's batch holds the file: go private instead
    try:
        with transaction(db, nested=cat._in_batch):
            for expected, entry, stamp in learnt:
                if locked or _stamp_of(db, entry.id) == expected:
                    learn(db, entry, stamp)
            for expected, entry_id, reason, stamp in failed:
                if locked or _stamp_of(db, entry_id) in (expected, "unreadable"):
                    mark_unreadable(db, entry_id, reason, stamp)
            for _expected, entry_id in forgotten:
                forget(db, entry_id)
            if not meta:
                return
            if locked or get_meta(db, "archive") == stored_sig:
                set_meta(db, "archive", sig)
            if locked or get_meta(db, "cursor") in (cursor[0], None):
                set_meta(db, "cursor", cursor[1])
    finally:
        if not locked and not cat._private:
            with contextlib.suppress(sqlite3.Error):
                db.execute("PRAGMA busy_timeout = 10000")


# ---------------------------------------------------------------------------------- list

def list_ids(db: sqlite3.Connection, *, sort: str, where: dict[str, str]) -> Iterator[str]:
    key = sort.lstrip("-")
    if key not in _sort_columns():
        raise UsageError(f"cannot sort by {sort!r} (one of: {', '.join(sorted(_sort_columns()))})")
    clauses, params = [], []
    from .catalog_rows import SEP

    for name, value in where.items():
        if name not in _filter_columns():
            raise UsageError(f"cannot filter by {name!r} ({', '.join(_filter_columns())})")
        v = str(value).lower()
        if name == "tag":
            clauses.append("instr(f_tag, ?) > 0")
            params.append(SEP + v + SEP)
        elif name == "author":
            clauses.append("instr(f_author, ?) > 0" if SEP not in v else "0")
            params.extend([v] if SEP not in v else [])
        else:
            clauses.append(f"f_{name} = ?")
            params.append(v)
    sql = "SELECT id FROM entries"
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    sql += f" ORDER BY s_{key} IS NULL, s_{key} {'DESC' if sort.startswith('-') else 'ASC'}, id"
    cursor = db.execute(sql, params)
    try:
        while True:
            page = cursor.fetchmany(200)  # read as the caller goes (list --limit 20 reads one page)
            if not page:
                return
            for (entry_id,) in page:
                yield entry_id
    finally:
        cursor.close()


# ---------------------------------------------------------------------------------- the index's record

def record_written(db: sqlite3.Connection, written, *, indexed: bool, token_before: str | None,
                   token_after: str | None) -> None:
    in_step = token_before is not None and get_meta(db, "index") == token_before
    kept = [(i, e, st) for i, (e, st) in written.items() if e is not None]
    for entry_id, (entry, _stamp) in written.items():
        if entry is None:
            forget(db, entry_id)
    held: dict[str, tuple | None] = {}
    for at in range(0, len(kept), 500):  # what the catalog holds of them, 500 at a time
        part = [i for i, _e, _s in kept[at:at + 500]]
        rows = db.execute(f"SELECT id, mtime_ns, size FROM entries WHERE id IN ({','.join('?' * len(part))})", part)
        held.update((i, (m, n) if m is not None else None) for i, m, n in rows)
    for entry_id, entry, stamp in kept:
        if entry_id not in held or held[entry_id] != stamp:
            learn(db, entry, stamp)
    if indexed:
        db.executemany("UPDATE entries SET ix = 1, ix_mtime = ?, ix_size = ? WHERE id = ?",
                       [(st[0] if st else None, st[1] if st else None, i) for i, _e, st in kept])
        set_meta(db, "index", token_after if in_step and token_after else None)


def overview(db: sqlite3.Connection) -> dict[str, int]:
    """Counts in one pass over a narrow index: entries, snapshots, indexed, not indexed (state 0),
    indexed from another entry.json than the catalog's (state 2)."""
    out = {"entries": 0, "snapshots": 0, "indexed": 0, "missing": 0, "stale": 0}
    for state, n, snaps in db.execute("SELECT ix_state, count(*), coalesce(sum(snaps), 0) FROM entries "
                                      "GROUP BY ix_state"):
        out["entries"] += n
        out["snapshots"] += snaps
        if state == 0:
            out["missing"] += n
        else:
            out["indexed"] += n
            if state == 2:
                out["stale"] += n
    return out


def index_view(db: sqlite3.Connection, token: str | None) -> dict[str, Any] | None:
    if token is None or get_meta(db, "index") != token:
        return None
    counts = overview(db)
    missing = [r[0] for r in db.execute("SELECT id FROM entries WHERE ix_state = 0 ORDER BY id")] \
        if counts["missing"] else []
    stale = [r[0] for r in db.execute("SELECT id FROM entries WHERE ix_state = 2 ORDER BY id")] \
        if counts["stale"] else []
    return {"count": counts["indexed"], "missing": missing, "stale": stale, "counts": counts}


def record_index(db: sqlite3.Connection, stamps, token: str) -> None:
    db.execute("UPDATE entries SET ix = 0, ix_mtime = NULL, ix_size = NULL")
    rows = []
    for entry_id, stamp in stamps.items():
        ok = isinstance(stamp, (tuple, list)) and len(stamp) == 2
        rows.append((stamp[0] if ok else None, stamp[1] if ok else None, entry_id))
    db.executemany("UPDATE entries SET ix = 1, ix_mtime = ?, ix_size = ? WHERE id = ?", rows)
    set_meta(db, "index", token)


def mark_unreadable(db: sqlite3.Connection, entry_id: str, reason: str, stamp: tuple | None) -> None:
    forget(db, entry_id)
    db.execute("INSERT INTO unreadable VALUES (?, ?, ?, ?)",
               (entry_id, reason, stamp[0] if stamp else None, stamp[1] if stamp else None))


def clear(db: sqlite3.Connection) -> None:
    for table in ("entries", "keys", "unreadable"):
        db.execute(f"DELETE FROM {table}")
    db.execute("DELETE FROM meta WHERE k != 'schema'")
