"""The catalog: what the collection holds, for deduplication and unique keys (derived data
about the archive, cached in ``index/catalog-2.jsonl``), and the readers that report
entries that cannot be read instead of failing."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from typing import Any, Callable, Iterable, Iterator, Mapping

from . import store as st
from .errors import EntryNotFound, StoreError, UsageError
from .model import Entry
from .normalize import fold_key
from .urls import url_key

OnSkip = Callable[[str, str], None]
"""``on_skip(entry_id, reason)``: an entry that could not be read (or is damaged) was left out."""


def entry_stamp(store: st.Store, entry_id: str) -> tuple[int, int] | None:
    """How an entry's ``entry.json`` looks on disk: (mtime_ns, size); None when it has none.
    Any rewrite or hand edit changes it. Not the inode: a collection copied with its times
    (``cp -a``, rsync, a backup) must not look stale."""
    try:  # a string path: pathlib's joining cost more than the stat itself (100,000 per status)
        s = os.stat(f"{os.fspath(store.archive)}{os.sep}{entry_id}{os.sep}{st.ENTRY_FILE}")
    except (OSError, ValueError):
        return None
    return (s.st_mtime_ns, s.st_size)


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


def read_each(store: st.Store, ids: Iterable[str] | None = None, *,
              on_skip: OnSkip | None = None) -> Iterator[Entry]:
    """Entries one by one; one that cannot be read is reported through ``on_skip`` and left
    out, never fatal for the others."""
    for entry_id in (store.ids() if ids is None else ids):
        entry = read_or_skip(store, entry_id, on_skip)
        if entry is not None:
            yield entry


class Catalog:
    """What the collection holds, for deduplication and unique keys.

    Kept in memory during an operation and cached in ``index/catalog-2.jsonl`` (derived, like the
    index: one line per write, the last line per ID wins), so that adding one entry to a large
    collection does not read every ``entry.json``. :meth:`refresh` runs each time the lock is
    taken: it reads lines other writers appended, drops IDs whose folders are gone and reads the
    ``entry.json`` of any folder the cache does not know (which also rebuilds a missing cache).
    Each line records the stamp of the ``entry.json`` it was learnt from (:func:`entry_stamp`);
    the first refresh compares every stamp with the disk (one stat per entry) and reads again
    each entry whose file changed behind the cache's back (a hand edit, a writer killed between
    ``entry.json`` and the cache line), so the catalog is the archive's truth under the lock.
    """

    CACHE = "catalog-2.jsonl"  # 2: lookup keys folded by normalize.fold (þ -> th, œ -> oe, ı -> i)

    def __init__(self, store: st.Store | None = None) -> None:
        # id -> (citekey, snapshot keys, URL keys, metadata key); keys are 128-bit digests, so
        # that a collection of 100,000 entries costs tens of megabytes, not a hundred
        self.entries: dict[str, tuple[str, tuple[bytes, ...], tuple[bytes, ...], bytes | None]] = {}
        self.by_sha: dict[bytes, str] = {}
        self.by_url: dict[bytes, str] = {}
        self.by_meta: dict[bytes, str | tuple[str, ...]] = {}  # one ID, or several that share it
        self.citekeys: set[str] = set()
        self._folded_keys: dict[str, int] = {}  # citekey.lower() -> how many citekeys fold to it
        # for prefix lookups (a citekey must not read as an ID): appended as entries are learnt,
        # sorted when next needed (inserting each of 100,000 cached IDs in order cost seconds)
        self._ids: list[str] = []
        self._ids_sorted = True
        self.stamps: dict[str, tuple | None] = {}
        self.store = store
        self.path = store.index_dir / self.CACHE if store is not None else None
        self.unreadable: dict[str, str] = {}  # entry id -> why it could not be read
        self._offset = 0
        self._persist = False
        self._validated = False
        self._held: list[dict[str, Any]] | None = None

    def refresh(self, store: st.Store, *, locked: bool = False, on_skip: OnSkip | None = None) -> None:
        """Bring the catalog up to date; ``locked``: the caller holds the collection lock, so
        what is learnt may be written to the cache. Entries that cannot be read are left out
        (``unreadable``) and reported through ``on_skip``."""
        self.store = store
        if locked and self.path is not None and not self.path.parent.is_dir():
            with contextlib.suppress(OSError):
                self.path.parent.mkdir()  # index/ removed: derived, recreated
        self._persist = locked and self.path is not None and self.path.parent.is_dir()
        self._read_cache()
        ids = store.ids()
        for gone in set(self.entries) - set(ids):
            self._forget(gone)
        # every entry's stamp is compared once per catalog (one stat each); later refreshes
        # (the next batch of an import) check only what they do not know, unless an interrupted
        # writer left its journal behind
        full = not self._validated or (store.index_dir / JOURNAL).exists()
        self.unreadable = {}
        for entry_id in ids:
            if entry_id in self.entries and not full:
                continue
            stamp = entry_stamp(store, entry_id)
            if entry_id in self.entries and stamp is not None and self.stamps.get(entry_id) == stamp:
                continue
            try:
                entry = store.read(entry_id)
            except (StoreError, EntryNotFound) as exc:
                if entry_id in self.entries:
                    self._forget(entry_id)
                reason = unreadable_reason(store, entry_id, exc)
                if reason is not None:
                    self.unreadable[entry_id] = reason
                    report_skip(on_skip, entry_id, reason)
                continue
            self.add(entry, stamp=stamp)
        self._validated = True

    def _read_cache(self) -> None:
        if self.path is None:
            return
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self._offset)
                data = fh.read()
        except FileNotFoundError:
            return
        except OSError:  # unreadable cache: derived, the folder scan rebuilds what it held
            self._persist = False
            return
        end = data.rfind(b"\n") + 1  # a line cut short by a crash is left for later
        self._offset += end
        for line in data[:end].splitlines():
            try:
                row = json.loads(line)
                entry_id = row["id"]
                if entry_id in self.entries:
                    self._forget(entry_id)
                if not row.get("removed"):
                    self._remember(entry_id, _row(row["k"], row["s"], row["u"], row["m"]))
                    stamp = row.get("st")
                    self.stamps[entry_id] = tuple(stamp) if isinstance(stamp, list) else None
            except (ValueError, KeyError, TypeError, AttributeError):
                continue  # a damaged line: the folder scan in refresh() covers that entry

    def _append(self, row: dict[str, Any]) -> None:
        if not self._persist:
            return
        if self._held is not None:  # a batch: written together when it ends (see hold_lines)
            self._held.append(row)
            return
        self._write_lines([row])

    @contextlib.contextmanager
    def hold_lines(self) -> Iterator[None]:
        """Cache lines learnt inside this block are written once, when it ends (an import
        batch writes hundreds). A writer killed before that leaves the cache behind the
        archive, which the next refresh notices (it reads the folders it does not know, and an
        entry.json whose stamp differs from its line)."""
        self._held = []
        try:
            yield
        finally:
            rows, self._held = self._held, None
            if rows and self._persist:
                with contextlib.suppress(OSError):  # derived: the next refresh reads what is missing
                    self._write_lines(rows)

    def _write_lines(self, rows: list[dict[str, Any]]) -> None:
        with open(self.path, "ab") as fh:
            if fh.tell() and self._offset < fh.tell():
                with open(self.path, "rb") as rh:
                    rh.seek(fh.tell() - 1)
                    if rh.read(1) != b"\n":
                        fh.write(b"\n")
            fh.write(b"".join(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n" for row in rows))
            self._offset = fh.tell()

    def _forget(self, entry_id: str) -> None:
        import bisect

        self.stamps.pop(entry_id, None)
        citekey, shas, urls, mkey = self.entries.pop(entry_id)
        ids = self._sorted_ids()
        at = bisect.bisect_left(ids, entry_id)
        if at < len(ids) and ids[at] == entry_id:
            del ids[at]
        held = self.by_meta.get(mkey) if mkey else None
        if held == entry_id:
            del self.by_meta[mkey]
        elif isinstance(held, tuple) and entry_id in held:
            rest = tuple(i for i in held if i != entry_id)
            self.by_meta[mkey] = rest[0] if len(rest) == 1 else rest
        if citekey in self.citekeys:
            self.citekeys.discard(citekey)
            low = citekey.lower()
            if self._folded_keys.get(low, 0) > 1:
                self._folded_keys[low] -= 1
            else:
                self._folded_keys.pop(low, None)
        for key in shas:
            if self.by_sha.get(key) == entry_id:
                del self.by_sha[key]
        for key in urls:
            if self.by_url.get(key) == entry_id:
                del self.by_url[key]

    def _remember(self, entry_id: str, row: tuple) -> None:
        citekey, shas, urls, mkey = row
        if entry_id not in self.entries:
            if self._ids and self._ids[-1] > entry_id:
                self._ids_sorted = False
            self._ids.append(entry_id)
        self.entries[entry_id] = row
        if mkey:
            held = self.by_meta.get(mkey)
            if held is None:
                self.by_meta[mkey] = entry_id
            elif held != entry_id and not (isinstance(held, tuple) and entry_id in held):
                # distinct works may share title, year and first author (a column, a notice)
                self.by_meta[mkey] = (held if isinstance(held, tuple) else (held,)) + (entry_id,)
        if citekey not in self.citekeys:
            self.citekeys.add(citekey)
            low = citekey.lower()
            self._folded_keys[low] = self._folded_keys.get(low, 0) + 1
        for s in shas:
            self.by_sha.setdefault(s, entry_id)
        for key in urls:
            self.by_url.setdefault(key, entry_id)

    def add(self, entry: Entry, *, stamp: tuple | None = None) -> None:
        """Learn an entry as written; ``stamp`` defaults to its entry.json on disk now."""
        if entry.id in self.entries:
            self._forget(entry.id)
        if stamp is None and self.store is not None:
            stamp = entry_stamp(self.store, entry.id)
        shas = [s.sha256 for s in entry.snapshots]
        mkey = meta_key(entry.to_json(), entry.source_key or entry.citekey)
        self._remember(entry.id, _row(entry.citekey, shas, entry.url, mkey))
        self.stamps[entry.id] = stamp
        self._append({"id": entry.id, "k": entry.citekey, "s": shas, "u": entry.url, "m": mkey,
                      "st": list(stamp) if stamp else None})

    def find_sha(self, sha256: str) -> str | None:
        return self.by_sha.get(_digest(sha256))

    def find_meta(self, key: str | None) -> str | None:
        found = self.find_meta_all(key)
        return found[0] if found else None

    def find_meta_all(self, key: str | None) -> tuple[str, ...]:
        """Every entry whose title, year and first author give this key: candidates, which
        :func:`same_work` tells apart."""
        held = self.by_meta.get(_digest(key)) if key else None
        if held is None:
            return ()
        return held if isinstance(held, tuple) else (held,)

    def remove(self, entry_id: str) -> None:
        if entry_id in self.entries:
            self._forget(entry_id)
        self._append({"id": entry_id, "removed": True})

    @classmethod
    def record_removal(cls, store: st.Store, entry_id: str) -> None:
        """Append a removal to the cache without loading it (the caller holds the lock)."""
        catalog = cls(store)
        catalog._persist = store.index_dir.is_dir()
        catalog.remove(entry_id)

    def new_id(self, *, avoid: str | None = None) -> str:
        """A fresh ID that no citekey (nor ``avoid``) is a prefix of: a reference can then
        never mean both an ID and a citekey."""
        keys = self._folded_keys  # kept up to date by _remember/_forget (no pass over every key)
        avoid_low = avoid.lower() if avoid else None
        while True:
            candidate = st.new_id()
            if candidate in self.entries or any(
                    (p := candidate[:n]) in keys or p == avoid_low for n in range(1, len(candidate) + 1)):
                continue
            return candidate

    def shadowed_id(self, citekey: str) -> str | None:
        """The ID this citekey equals or is a prefix of (ID references win over citekeys)."""
        import bisect

        low = citekey.lower()
        if not re.fullmatch(r"[0-9a-z]{1,32}", low):
            return None
        ids = self._sorted_ids()
        at = bisect.bisect_left(ids, low)
        if at < len(ids) and ids[at].startswith(low):
            return ids[at]
        return None

    def _sorted_ids(self) -> list[str]:
        if not self._ids_sorted:
            self._ids.sort()
            self._ids_sorted = True
        return self._ids

    def check_citekey(self, citekey: str, *, entry_id: str | None = None) -> None:
        """An explicit citekey must be free and must not read as an entry's ID (or its prefix)."""
        for other, (key, *_rest) in self.entries.items():
            if key == citekey and other != entry_id:
                raise UsageError(f"citekey {citekey!r} is taken by entry {other}; choose another")
        shadow = self.shadowed_id(citekey)
        if shadow is not None and shadow != entry_id:
            raise UsageError(f"citekey {citekey!r} would read as entry {shadow}'s ID; choose another")
        if shadow is not None:
            raise UsageError(f"citekey {citekey!r} would read as this entry's own ID; choose another")

    def unusable_citekeys(self) -> "_Unusable":
        return _Unusable(self)

    def find_url(self, url: str | None) -> str | None:
        for key in _url_keys(url):
            found = self.by_url.get(_digest(key))
            if found:
                return found
        return None


class _Unusable:
    """Citekeys that generated keys must avoid: taken ones and those that read as an ID."""

    def __init__(self, catalog: "Catalog"):
        self.catalog = catalog

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and (key in self.catalog.citekeys or self.catalog.shadowed_id(key) is not None)


def _digest(text: str) -> bytes:
    """A 128-bit key for the catalog's lookups (SHA-256 hex digests, URL and metadata keys)."""
    if len(text) == 64:
        try:
            return bytes.fromhex(text)[:16]
        except ValueError:
            pass
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def _row(citekey: str, shas: Iterable[str], url: str | None, mkey: str | None) -> tuple:
    return (citekey, tuple(_digest(s) for s in shas), tuple(_digest(k) for k in _url_keys(url)),
            _digest(mkey) if mkey else None)


def meta_key(fields: Mapping[str, Any], citekey: str | None = None) -> str | None:
    """Title (or, for an untitled record, its citation key) + year + first author, folded: the
    catalog's lookup key for metadata-only records (a citation from BibTeX, RIS, CSL-JSON). It
    only finds candidates; :func:`same_work` decides whether a candidate is the same work."""
    title = fold_key(fields.get("title") or "")
    if not title and citekey:
        title = "key:" + citekey
    if not title:
        return None
    year = str(fields.get("published") or "")[:4]
    authors = fields.get("authors") or []
    first = authors[0] if authors else {}
    family = " ".join(p for p in (first.get("non_dropping_particle"), first.get("family")) if p)  # "von der Leyen"
    name = fold_key(family or first.get("literal") or "")
    return f"{title}|{year}|{name}"


MATCH_MODES = ("strict", "url", "none")


def _fold(value: Any) -> str:
    return fold_key(str(value or ""))


def _name_keys(people: Any) -> list[str]:
    return [_fold(p.get("family") or p.get("literal") or "") for p in (people or []) if isinstance(p, Mapping)]


def _doi_key(value: Any) -> str:
    text = str(value or "").strip().lower()
    return re.sub(r"^(https?://)?(dx\.)?doi\.org/|^doi:\s*", "", text)


def _dates_agree(a: str, b: str) -> bool:
    """The same date at the precision both give ("2024-09" and "2024-09-04" agree; a BibTeX
    export keeps year and month only); a time of day is not compared."""
    a, b = a[:10], b[:10]
    n = min(len(a), len(b))
    return a[:n] == b[:n]


# what tells works apart, in the order a duplicate's reason names them: (label, field, fold)
_WORK_FIELDS = (
    ("title", "title", _fold),
    ("authors", "authors", _name_keys),
    ("editors", "editors", _name_keys),
    ("outlet", "outlet", _fold),
    ("container", "container_title", _fold),
    ("volume", "volume", _fold),
    ("issue", "issue", _fold),
    ("pages", "pages", _fold),
    ("DOI", "doi", _doi_key),
    ("URL", "url", lambda u: (_url_keys(u) or [""])[0]),
)


def work_summary(fields: Mapping[str, Any], keys: Iterable[str | None] = ()) -> tuple:
    """What tells a work apart, folded for comparison: (values of _WORK_FIELDS, published date,
    the keys it answers to). Computed once per entry and import batch (see Ingest.find_work)."""
    values = tuple(_folded(fold, fields.get(name)) for _label, name, fold in _WORK_FIELDS)
    return values, str(fields.get("published") or "")[:10], frozenset(k for k in keys if k)


def _folded(fold: Callable[[Any], Any], value: Any) -> Any:
    return fold(value) if value else None


def _same(record: tuple, key: str | None, other: tuple) -> str | None:
    values, date, _keys = record
    o_values, o_date, o_keys = other
    if key and key not in o_keys:
        return None
    if values != o_values:
        return None
    if (date or o_date) and not (date and o_date and _dates_agree(date, o_date)):
        return None
    said = [f"key {key!r}"] if key else []
    said += [label for (label, _n, _f), v in zip(_WORK_FIELDS, values) if v]
    if date:
        said.append(f"date {min(date, o_date, key=len)}")
    return "same " + ", ".join(said) if said else None


def same_work(fields: Mapping[str, Any], key: str | None, entry: Entry) -> str | None:
    """Whether a metadata-only record is the same work as ``entry``: only when everything that
    tells works apart agrees (title, authors, editors, full date, outlet, container, volume,
    issue, pages, DOI, URL, and the record's own key when it has one); a value that one side has
    and the other lacks is a difference. Returns the reason ("same key 'k', title, date 1981-05,
    ...") or None."""
    return _same(work_summary(fields), key, _entry_summary(entry))


def _entry_summary(entry: Entry) -> tuple:
    return work_summary(entry.to_json(), (entry.citekey, entry.id, entry.source_key))


def _url_keys(url: str | list | tuple | None) -> list[str]:
    """The deduplication keys of one URL or several (see ``newsarchive.urls.url_key``)."""
    urls = [url] if isinstance(url, str) else list(url or ())
    keys = (url_key(u) for u in urls if isinstance(u, str))
    return list(dict.fromkeys(k for k in keys if k))


JOURNAL = "journal"


def read_or_skip(store: st.Store, entry_id: str, on_skip: OnSkip | None) -> Entry | None:
    try:
        return store.read(entry_id)
    except (StoreError, EntryNotFound) as exc:
        reason = unreadable_reason(store, entry_id, exc)
        if reason is not None:
            report_skip(on_skip, entry_id, reason)
        return None
