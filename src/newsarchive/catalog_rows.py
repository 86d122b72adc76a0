"""What a row of the catalog holds (``catalog_db`` writes it): the values ``list`` sorts and
filters by, the lookup keys, and the rows an import batch holds back.

The rows a batch adds for entries it creates are held in memory until the batch ends or
something else uses the catalog's SQLite file (see :class:`Batch`), then written with one
statement per table. Meanwhile the catalog's lookups answer from SQLite and from here, in the
order SQLite would (a row learnt later has a larger rowid)."""

from __future__ import annotations

import bisect
import functools
import hashlib
import re
from typing import TYPE_CHECKING

from . import fields as registry
from .works import _url_keys, meta_key

if TYPE_CHECKING:  # pragma: no cover
    import sqlite3
    from pathlib import Path

    from .catalog import Catalog
    from .model import Entry

SEP = "\x1f"  # between the tags or the authors of one row
ID_PREFIX = re.compile(r"[0-9a-z]{1,32}")  # what may be an entry's ID or an ID's prefix
ID_POOL = 128  # new IDs asked about at a time in a batch (see Catalog.new_id)


def sort_value(entry: "Entry", key: str) -> str | None:
    """What ``list --sort key`` orders by (None: no value, listed last either way)."""
    if key in ("published", "accessed"):
        d = getattr(entry, key)
        return d.sort_key() if d else None
    if key == "added":
        return entry.snapshots[0].captured_at.sort_key() if entry.snapshots else ""
    v = getattr(entry, key)
    return None if v is None else str(v).lower()


def filter_value(entry: "Entry", name: str) -> str | None:
    """What ``list --<name> V`` compares V (lower-cased) with; see :func:`matches`."""
    if name == "tag":
        return SEP + SEP.join(entry.tags) + SEP if entry.tags else None
    if name == "author":
        return SEP.join(a.display.lower() for a in entry.authors) if entry.authors else None
    if name == "year":
        return str(entry.year or "")
    return (getattr(entry, name) or "").lower()


def _digest(text: str) -> bytes:
    """A 128-bit key for the catalog's lookups (SHA-256 hex digests, URL and metadata keys)."""
    if len(text) == 64:
        try:
            return bytes.fromhex(text)[:16]
        except ValueError:
            pass
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def _row(entry: "Entry", stamp: tuple | None) -> tuple:
    """An entry's row of the ``entries`` table (without what the index recorded of it)."""
    # meta_key of the fields it reads (title, published, first author), not of a whole to_json()
    first = [entry.authors[0].to_json()] if entry.authors else []
    mkey = meta_key({"title": entry.title, "published": entry.published.edtf() if entry.published else None,
                     "authors": first}, entry.source_key or entry.citekey)
    return (entry.id, entry.citekey, entry.citekey.lower(), stamp[0] if stamp else None,
            stamp[1] if stamp else None, _digest(mkey) if mkey else None, len(entry.snapshots),
            *[sort_value(entry, c) for c in _columns()[0]],
            *[filter_value(entry, c) for c in _columns()[1]])


@functools.lru_cache(maxsize=None)
def _columns() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The registry's sortable and filter fields (a constant: asked once)."""
    return registry.sortable(), registry.filters()


def _keys(entry: "Entry") -> list[tuple[bytes, int, str]]:
    """An entry's lookup keys: (digest, 0, id) per snapshot hash, (digest, 1, id) per URL key."""
    keys = [(_digest(s.sha256), 0, entry.id) for s in entry.snapshots]
    if entry.url:
        keys += [(_digest(k), 1, entry.id) for k in _url_keys(entry.url)]
    return keys


def free_ids(db: "sqlite3.Connection", count: int) -> list[tuple[str, list[str]]]:
    """Up to ``count`` random new IDs, with their prefixes, that SQLite holds neither as an
    entry's nor as an unreadable entry's ID, and of which no lower-cased citekey is a prefix:
    what :meth:`Catalog.new_id` needs of SQLite, asked in one query for them all."""
    from .store import new_id

    drawn: dict[str, list[str]] = {}
    while len(drawn) < count:
        candidate = new_id()
        drawn[candidate] = [candidate[:n] for n in range(1, len(candidate) + 1)]
    ids, prefixes = list(drawn), sorted({p for ps in drawn.values() for p in ps})
    rows = db.execute(f"SELECT 0, id FROM entries WHERE id IN ({','.join('?' * len(ids))}) UNION ALL "
                      f"SELECT 0, id FROM unreadable WHERE id IN ({','.join('?' * len(ids))}) UNION ALL "
                      f"SELECT 1, citekey_low FROM entries WHERE citekey_low IN ({','.join('?' * len(prefixes))})",
                      (*ids, *ids, *prefixes)).fetchall()
    taken_ids = {v for kind, v in rows if kind == 0}
    lows = {v for kind, v in rows if kind == 1}
    return [(i, ps) for i, ps in drawn.items() if i not in taken_ids and lows.isdisjoint(ps)]


class Batch:
    """What a catalog knows in one batch (under the collection lock, in one SQLite transaction
    no other process can write to meanwhile):

    - the rows of the entries it created, held back: entries the catalog held nothing of (no
      row, no keys, not unreadable; their IDs came from ``new_id`` in this batch), with their
      rows and keys as ``catalog_db.learn`` would write them, and lookups over them;
    - the IDs ``new_id`` gave, and IDs SQLite was asked about ahead (``pool``);
    - the citekeys SQLite answered unusable for.

    The rows are written (:meth:`settle`) when the batch ends and before anything else uses
    SQLite; what was learnt of SQLite is then forgotten (a change may make it wrong)."""

    def __init__(self) -> None:
        self.issued: set[str] = set()  # IDs new_id gave, not learnt yet
        self.handed = 0  # IDs new_id gave
        self.pool: list[tuple[str, list[str]]] = []  # (ID, its prefixes) free in SQLite
        self.unusable: set[str] = set()  # citekeys SQLite answered unusable for
        self._empty()

    def _empty(self) -> None:
        self.rows: list[tuple] = []  # entries rows, in the order learnt
        self.keys: list[tuple] = []  # keys rows, in the order learnt
        self.entries: dict[str, "Entry"] = {}
        self.sha: dict[bytes, str] = {}  # snapshot hash digest -> the first entry learnt with it
        self.url: dict[bytes, str] = {}  # URL key digest -> the first entry learnt with it
        self.mkey: dict[bytes, list[str]] = {}  # metadata key digest -> entries, in the order learnt
        self.citekey: dict[str, list[str]] = {}  # citekey -> entries
        self.citekey_low: set[str] = set()
        self.ids: list[str] = []  # the IDs, sorted (for the IDs a prefix starts)

    def add(self, entry: "Entry", row: tuple, keys: list[tuple]) -> None:
        entry_id = entry.id
        self.rows.append(row)
        self.keys.extend(keys)
        self.entries[entry_id] = entry
        for digest, kind, _id in keys:
            (self.sha if kind == 0 else self.url).setdefault(digest, entry_id)
        if row[5] is not None:
            self.mkey.setdefault(row[5], []).append(entry_id)
        self.citekey.setdefault(entry.citekey, []).append(entry_id)
        self.citekey_low.add(row[2])
        bisect.insort(self.ids, entry_id)

    def ids_with_prefix(self, prefix: str) -> list[str]:
        """The IDs that start with ``prefix``, sorted."""
        ids, at = self.ids, bisect.bisect_left(self.ids, prefix)
        end = at
        while end < len(ids) and ids[end].startswith(prefix):
            end += 1
        return ids[at:end]

    def settle(self, db: "sqlite3.Connection", path: "Path | None", *, last: bool = False) -> None:
        """Write the rows held back and forget what was learnt of SQLite. A failure to write is
        a :class:`~newsarchive.errors.FileAccessError` as any catalog write's, and leaves none
        of the rows: within the batch a savepoint takes them back (the batch may go on and
        commit); ``last`` (the batch ends) needs none, as the batch's transaction is rolled
        back (a savepoint over thousands of rows would keep a copy of every page they touch)."""
        import sqlite3

        from . import catalog_db

        self.pool, rows, keys = [], self.rows, self.keys
        self.unusable.clear()
        if not rows:
            return
        self._empty()
        try:
            if last:
                catalog_db.insert_new(db, rows, keys)
                return
            with catalog_db.transaction(db, nested=True):
                catalog_db.insert_new(db, rows, keys)
        except sqlite3.OperationalError as exc:
            raise catalog_db.write_error(path, exc) from None


class KeysFrom:
    """The unusable citekeys that start with ``base``, for one ``unique_citekey`` call: the taken
    ones, and those that read as an ID (lower-cased, the start of one), from SQLite (one query
    for them all) and from the batch's rows held back."""

    def __init__(self, catalog: "Catalog", base: str):
        low, hi = base.lower(), "\U0010ffff"
        rows = catalog._sql.execute("SELECT 0, citekey FROM entries WHERE citekey >= ? AND citekey < ? UNION ALL "
                                    "SELECT 1, id FROM entries WHERE id >= ? AND id < ?",
                                    (base, base + hi, low, low + hi)).fetchall()
        self.keys = {k for kind, k in rows if kind == 0}
        self.ids = [i for kind, i in rows if kind == 1]
        self.batch = catalog._batch

    def __contains__(self, key: object) -> bool:
        """For a key that starts with ``base`` (as ``Catalog.citekey_unusable`` answers)."""
        if not isinstance(key, str):
            return False
        batch = self.batch
        if key in self.keys or (batch is not None and key in batch.citekey):
            return True
        low = key.lower()
        if not ID_PREFIX.fullmatch(low):
            return False
        return any(i.startswith(low) for i in self.ids) or (batch is not None and bool(batch.ids_with_prefix(low)))
