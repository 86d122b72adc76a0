"""Use cases. The only module that combines store, extract, index and cite.

Every function takes the collection root explicitly and keyword-only options; none prints or
exits. Errors are the typed ones from :mod:`newsarchive.errors`.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import mimetypes
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

from . import store as st
from .errors import (AmbiguousID, EntryChanged, EntryNotFound, ExtractError, FileAccessError, ImportFormatError,
                     IndexNotUpdated, LockTimeout, NewsArchiveError, SearchIndexError, StoreError, UsageError,
                     os_error_message)
from .model import MAX_SNAPSHOT_BYTES, Entry, PartialDate, Snapshot, now_utc
from .normalize import SETTABLE, citekey_base, fold_key, normalise_fields, unique_citekey
from .sources import Record, read_snapshot_file  # noqa: F401  (read_snapshot_file: part of the api)
from .urls import choose_cited_url, cited_url, url_key
from .fixity import Problem, check_entry, metadata_ok  # noqa: F401  (Problem is part of the api)

DEFAULT_LOCK_TIMEOUT = 30.0
BATCH_SIZE = 500

# media type -> stored file extension; extraction runs for the text-like ones
_EXT = {"text/html": ".html", "application/xhtml+xml": ".html", "text/plain": ".txt",
        "text/markdown": ".md", "application/pdf": ".pdf", "application/json": ".json"}
TEXT_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "text/markdown")


# --------------------------------------------------------------------------- results

@dataclass(frozen=True)
class Outcome:
    """What happened to one input record (add, import)."""

    ref: str
    status: str  # created | duplicate | new-version | unchanged | failed | would-create ...
    id: str | None = None
    message: str | None = None
    entry: Entry | None = None
    error: NewsArchiveError | None = None
    index_error: str | None = None  # archived, but the search index could not be updated

    def to_json(self) -> dict[str, Any]:
        return {"ref": self.ref, "status": self.status, "id": self.id,
                "error" if self.status == "failed" else "message": self.message}


# --------------------------------------------------------------------------- collection

def init(path: str | os.PathLike[str], *, engine: str = "whoosh") -> Path:
    from .search import engines

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
    from .search import engines

    return engines.for_store(store)


def open_store(root: str | os.PathLike[str]) -> st.Store:
    """The collection at ``root``: ``archive/`` makes it one; ``index/`` is derived and is
    recreated (by the next writer, search or ``reindex``) when it is missing."""
    store = st.Store(root)
    if not st.is_collection(store.root):
        raise st.NotACollection(f"{store.root} is not a collection (no archive/)")
    return store


def get(root: Path, ref: str) -> Entry:
    store = open_store(root)
    return store.read(store.resolve(ref))


def get_for_change(root: Path, ref: str) -> Entry:
    """Like :func:`get`, for a command that changes or deletes: a reference that could mean
    two entries (an ID prefix of one, the citekey of another) is refused."""
    store = open_store(root)
    catalog = Catalog(store)
    catalog.refresh(store)
    return store.read(_resolve_for_change(store, catalog, ref))


def entry_paths(root: Path, entry: Entry) -> dict[str, str]:
    """Absolute paths of an entry's folder and files (for ``show``)."""
    store = open_store(root)
    folder = store.entry_dir(entry.id)
    return {"folder": str(folder), **{s.path: str(folder / s.path) for s in entry.snapshots}}


_SORTABLE = {"published", "title", "outlet", "citekey", "id", "accessed", "added"}


def list_entries(root: Path, *, sort: str = "published", where: Mapping[str, str] | None = None,
                 limit: int | None = None, on_skip: OnSkip | None = None) -> list[Entry]:
    """All entries, filtered by simple field equality/containment, sorted. ``-field`` sorts down.
    An entry that cannot be read is reported through ``on_skip`` and left out."""
    key = sort.lstrip("-")
    if key not in _SORTABLE:
        raise UsageError(f"cannot sort by {sort!r} (one of: {', '.join(sorted(_SORTABLE))})")
    filters = dict(where or {})
    for f in filters:
        if f not in ("tag", "outlet", "kind", "author", "language", "year", "section"):
            raise UsageError(f"cannot filter by {f!r} (tag, outlet, kind, author, language, year, section)")
    store = open_store(root)
    out = [e for e in read_each(store, on_skip=on_skip) if _matches(e, filters)]

    def sort_key(e: Entry) -> tuple:
        if key in ("published", "accessed"):
            d = getattr(e, key)
            return (d is None, d.sort_key() if d else "")
        if key == "added":
            return (False, e.snapshots[0].captured_at.sort_key() if e.snapshots else "")
        v = getattr(e, key)
        return (v is None, (v or "").lower())

    out.sort(key=sort_key, reverse=sort.startswith("-"))
    if sort.startswith("-"):  # keep missing values last either way
        out.sort(key=lambda e: sort_key(e)[0])
    return out[:limit] if limit else out


def _matches(e: Entry, filters: Mapping[str, str]) -> bool:
    for k, v in filters.items():
        v = v.lower()
        if k == "tag" and v not in e.tags:
            return False
        if k == "author" and not any(v in a.display.lower() for a in e.authors):
            return False
        if k == "year" and str(e.year or "") != v:
            return False
        if k in ("outlet", "kind", "language", "section") and (getattr(e, k) or "").lower() != v:
            return False
    return True


# --------------------------------------------------------------------------- catalog (dedup state)

OnSkip = Callable[[str, str], None]
"""``on_skip(entry_id, reason)``: an entry that could not be read (or is damaged) was left out."""


def entry_stamp(store: st.Store, entry_id: str) -> tuple[int, int] | None:
    """How an entry's ``entry.json`` looks on disk: (mtime_ns, size); None when it has none.
    Any rewrite or hand edit changes it. Not the inode: a collection copied with its times
    (``cp -a``, rsync, a backup) must not look stale."""
    try:
        s = os.stat(store.archive / entry_id / st.ENTRY_FILE)
    except (OSError, ValueError):
        return None
    return (s.st_mtime_ns, s.st_size)


def _skip(on_skip: OnSkip | None, entry_id: str, reason: str) -> None:
    if on_skip is not None:
        on_skip(entry_id, reason)


def _unreadable(store: st.Store, entry_id: str, exc: Exception) -> str | None:
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
        entry = _read_or_skip(store, entry_id, on_skip)
        if entry is not None:
            yield entry


class Catalog:
    """What the collection holds, for deduplication and unique keys.

    Kept in memory during an operation and cached in ``index/catalog.jsonl`` (derived, like the
    index: one line per write, the last line per ID wins), so that adding one entry to a large
    collection does not read every ``entry.json``. :meth:`refresh` runs each time the lock is
    taken: it reads lines other writers appended, drops IDs whose folders are gone and reads the
    ``entry.json`` of any folder the cache does not know (which also rebuilds a missing cache).
    Each line records the stamp of the ``entry.json`` it was learnt from (:func:`entry_stamp`);
    the first refresh compares every stamp with the disk (one stat per entry) and reads again
    each entry whose file changed behind the cache's back (a hand edit, a writer killed between
    ``entry.json`` and the cache line), so the catalog is the archive's truth under the lock.
    """

    CACHE = "catalog.jsonl"

    def __init__(self, store: st.Store | None = None) -> None:
        # id -> (citekey, snapshot keys, URL keys, metadata key); keys are 128-bit digests, so
        # that a collection of 100,000 entries costs tens of megabytes, not a hundred
        self.entries: dict[str, tuple[str, tuple[bytes, ...], tuple[bytes, ...], bytes | None]] = {}
        self.by_sha: dict[bytes, str] = {}
        self.by_url: dict[bytes, str] = {}
        self.by_meta: dict[bytes, str | tuple[str, ...]] = {}  # one ID, or several that share it
        self.citekeys: set[str] = set()
        self._sorted_ids: list[str] = []  # for prefix lookups (a citekey must not read as an ID)
        self.stamps: dict[str, tuple | None] = {}
        self.store = store
        self.path = store.index_dir / self.CACHE if store is not None else None
        self.unreadable: dict[str, str] = {}  # entry id -> why it could not be read
        self._offset = 0
        self._persist = False
        self._validated = False

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
                reason = _unreadable(store, entry_id, exc)
                if reason is not None:
                    self.unreadable[entry_id] = reason
                    _skip(on_skip, entry_id, reason)
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
        with open(self.path, "ab") as fh:
            if fh.tell() and self._offset < fh.tell():
                with open(self.path, "rb") as rh:
                    rh.seek(fh.tell() - 1)
                    if rh.read(1) != b"\n":
                        fh.write(b"\n")
            fh.write(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n")
            self._offset = fh.tell()

    def _forget(self, entry_id: str) -> None:
        import bisect

        self.stamps.pop(entry_id, None)
        citekey, shas, urls, mkey = self.entries.pop(entry_id)
        at = bisect.bisect_left(self._sorted_ids, entry_id)
        if at < len(self._sorted_ids) and self._sorted_ids[at] == entry_id:
            del self._sorted_ids[at]
        held = self.by_meta.get(mkey) if mkey else None
        if held == entry_id:
            del self.by_meta[mkey]
        elif isinstance(held, tuple) and entry_id in held:
            rest = tuple(i for i in held if i != entry_id)
            self.by_meta[mkey] = rest[0] if len(rest) == 1 else rest
        self.citekeys.discard(citekey)
        for key in shas:
            if self.by_sha.get(key) == entry_id:
                del self.by_sha[key]
        for key in urls:
            if self.by_url.get(key) == entry_id:
                del self.by_url[key]

    def _remember(self, entry_id: str, row: tuple) -> None:
        import bisect

        citekey, shas, urls, mkey = row
        if entry_id not in self.entries:
            bisect.insort(self._sorted_ids, entry_id)
        self.entries[entry_id] = row
        if mkey:
            held = self.by_meta.get(mkey)
            if held is None:
                self.by_meta[mkey] = entry_id
            elif held != entry_id and not (isinstance(held, tuple) and entry_id in held):
                # distinct works may share title, year and first author (a column, a notice)
                self.by_meta[mkey] = (held if isinstance(held, tuple) else (held,)) + (entry_id,)
        self.citekeys.add(citekey)
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
        keys = {k.lower() for k in self.citekeys if k}
        if avoid:
            keys.add(avoid.lower())
        while True:
            candidate = st.new_id()
            if candidate in self.entries or any(candidate[:n] in keys for n in range(1, len(candidate) + 1)):
                continue
            return candidate

    def shadowed_id(self, citekey: str) -> str | None:
        """The ID this citekey equals or is a prefix of (ID references win over citekeys)."""
        import bisect

        low = citekey.lower()
        if not re.fullmatch(r"[0-9a-z]{1,32}", low):
            return None
        at = bisect.bisect_left(self._sorted_ids, low)
        if at < len(self._sorted_ids) and self._sorted_ids[at].startswith(low):
            return self._sorted_ids[at]
        return None

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


# --------------------------------------------------------------------------- ingest pipeline



def guess_media_type(name: str | None, data: bytes) -> str:
    if name:
        lower = name.lower()
        if lower.endswith((".md", ".markdown")):
            return "text/markdown"
        guessed, _ = mimetypes.guess_type(lower)
        if guessed:
            return guessed
    head = data[:2048].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head or b"<head" in head:
        return "text/html"
    if b"\x00" in data[:8192]:
        return "application/octet-stream"
    return "text/plain"


def _normal_text(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    out = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return out + "\n" if out else ""


def _extract(data: bytes, media_type: str, url: str | None):
    if media_type.split(";")[0].strip() not in TEXT_TYPES:
        return None
    from . import extract

    try:
        return extract.extract(data, media_type=media_type, url=url)
    except ExtractError:
        raise
    except Exception as exc:  # a broken page must never crash an import
        raise ExtractError(f"could not extract text: {exc.__class__.__name__}: {exc}") from None


class Ingest:
    """Turns records into archive writes, under the collection lock, with one index writer per
    batch. Used by ``add`` (a batch of one) and every importer."""

    def __init__(self, store: st.Store, *, dayfirst: bool = False, new_entry: bool = False,
                 dry_run: bool = False, lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
                 durable: bool | str = True, match: str = "strict"):
        # durable: True fsyncs every file as it is written (add); "batch" writes a batch's files
        # without fsync and flushes the archive's file system once before the batch's index
        # commit (imports); False never syncs (tests, throwaway collections)
        self.store = store
        self.dayfirst = dayfirst
        self.new_entry = new_entry
        self.dry_run = dry_run
        self.lock_timeout = lock_timeout
        self.durable = durable
        if match not in MATCH_MODES:
            raise UsageError(f"unknown --match {match!r} (one of: {', '.join(MATCH_MODES)})")
        self.match = match  # when a metadata-only record is an archived work (see find_work)
        self.stop_on_error = False  # end a batch at its first failed record (--on-error stop)
        self.catalog = Catalog(store)
        self.fatal: FileAccessError | None = None  # the collection refused a write: the run ends
        self._ahead: dict[int, tuple] = {}  # id(record) -> (media type, url, extraction or error)
        self._planned: dict[str, tuple] = {}  # dry run: catalog rows of the entries it would create
        self._planned_entries: dict[str, Entry] = {}  # dry run: those entries (not on disk)
        self._summaries: dict[str, tuple] = {}  # entry id -> work_summary, for one batch

    # one batch: lock, refresh catalog, write entries, update index, unlock
    def run_batch(self, records: list[Record]) -> list[Outcome]:
        self._summaries.clear()  # another writer may have edited entries between batches
        if self.dry_run:
            self.catalog.refresh(self.store)
            for entry_id, row in self._planned.items():  # refresh forgets what is not on disk
                if entry_id not in self.catalog.entries:
                    self.catalog._remember(entry_id, row)
            outcomes = []
            for r in records:
                outcomes.append(self._safe(r, write=False))
                if self.stop_on_error and outcomes[-1].status == "failed":
                    break
            return outcomes
        self._extract_ahead(records)  # the slow part, before the lock: other writers go on
        outcomes: list[Outcome] = []
        index_error: str | None = None
        try:
            with self.store.lock(timeout=self.lock_timeout):
                self.catalog.refresh(self.store, locked=True)
                with IndexSession(self.store) as session:
                    for r in records:
                        try:
                            o = self._safe(r, write=True, session=session)
                        except FileAccessError as exc:  # the collection refused a write: stop here
                            self.fatal = exc
                            break
                        outcomes.append(o)
                        if self.stop_on_error and o.status == "failed":
                            break  # --on-error stop: nothing after the first failure is written
                    if self.durable == "batch" and any(o.status in ("created", "new-version") for o in outcomes):
                        sync_filesystem(self.store.archive)
                index_error = session.error
        except OSError as exc:  # the index commit or the sync, on a full disk: the journal recovers
            if self.fatal is None:
                self.fatal = FileAccessError(f"cannot write to the collection: {os_error_message(exc)}",
                                             path=exc.filename, errno=exc.errno)
        if index_error is not None:  # archived all the same; the journal remembers them
            from dataclasses import replace

            outcomes = [replace(o, index_error=index_error) if o.status in ("created", "new-version")
                        else o for o in outcomes]
        # what was written is reported (the caller raises ``fatal`` after these outcomes)
        if self.fatal is not None and not outcomes:
            raise self.fatal
        return outcomes

    def _extract_ahead(self, records: list[Record]) -> None:
        """Extract text and metadata of a batch's snapshots before the collection lock is taken
        (extraction is the slow part of a write); ``_one`` then takes the results from here."""
        self._ahead = {}
        for r in records:
            if r.data is None or r.exact is not None or r.match_only or r.error is not None:
                continue
            if not r.data.strip() or len(r.data) > MAX_SNAPSHOT_BYTES:
                continue
            try:  # the URL _one extracts with (when it differs, _one extracts again: correct, slower)
                raw = {k: v for k, v in r.fields.items() if k not in ("citekey", "extra", "source_key")}
                given = normalise_fields(raw, dayfirst=self.dayfirst).get("url") or None
                url = cited_url(given) if given else (r.http or {}).get("final_url")
            except (NewsArchiveError, ValueError, TypeError, KeyError):
                continue  # the record fails in _one with its own message
            media_type = r.media_type or guess_media_type(r.source, r.data)
            try:
                result: Any = _extract(r.data, media_type, url)
            except ExtractError as exc:
                result = exc
            self._ahead[id(r)] = (media_type, url, result)

    def _extraction(self, record: Record, media_type: str, url: str | None):
        """The extraction of ``record``'s snapshot: done ahead of the lock, or now."""
        ahead = self._ahead.pop(id(record), None)
        if ahead is not None and ahead[0] == media_type and ahead[1] == url:
            if isinstance(ahead[2], ExtractError):
                raise ahead[2]
            return ahead[2]
        return _extract(record.data, media_type, url)

    def _plan(self, entry: Entry) -> None:
        """A dry run remembers what it would create, so that later records see it as the real
        import would (``duplicate`` instead of a second ``would-create``)."""
        self.catalog.add(entry)  # not persisted: a dry run refreshes without the lock
        self._planned[entry.id] = self.catalog.entries[entry.id]
        self._planned_entries[entry.id] = entry

    def find_work(self, fields: Mapping[str, Any], key: str | None) -> tuple[str, str] | None:
        """The entry a metadata-only record is the same work as, and why, under ``self.match``:
        ``strict`` (everything that tells works apart agrees, see :func:`same_work`), ``url``
        (the same URL or DOI link is enough; else as strict), ``none`` (never: metadata
        matching off)."""
        if self.match == "none":
            return None
        if self.match == "url":
            from .cite._common import doi_url

            for label, link in (("URL", fields.get("url")), ("DOI", doi_url(fields.get("doi")))):
                existing = self.catalog.find_url(link)
                if existing:
                    return existing, f"same {label} as entry {existing} (--match url)"
        candidates = self.catalog.find_meta_all(meta_key(fields, key))
        if not candidates:
            return None
        mine = work_summary(fields)
        fallback = None  # a candidate whose date only agrees at a coarser precision ("2024-09")
        for candidate in candidates:
            other = self._summaries.get(candidate)
            if other is None:  # each entry is read once per batch, however many records ask
                try:
                    entry = self._planned_entries.get(candidate) or self.store.read(candidate)
                except (StoreError, EntryNotFound):
                    continue
                other = self._summaries[candidate] = _entry_summary(entry)
            why = _same(mine, key, other)
            if why:
                if mine[1] == other[1]:
                    return candidate, f"{why} as entry {candidate}"
                fallback = fallback or (candidate, f"{why} as entry {candidate}")
        return fallback

    def _safe(self, record: Record, *, write: bool, session: "IndexSession | None" = None) -> Outcome:
        try:
            return self._one(record, write=write, session=session)
        except NewsArchiveError as exc:
            return Outcome(record.ref, "failed", message=str(exc), error=exc)
        except OSError as exc:
            # input files are read through read_snapshot_file (a typed error: that record fails);
            # an OSError here is the collection itself refusing a write (read-only, disk full,
            # permission): every later record would fail the same way, so the run stops here
            raise FileAccessError(f"cannot write to the collection: {os_error_message(exc)}",
                                  path=exc.filename, errno=exc.errno) from None
        except UnicodeError as exc:  # bytes in another encoding given as text (a shell's $'\x9b')
            return Outcome(record.ref, "failed", message="a value given is not valid UTF-8 text "
                                                         f"({exc.reason}); nothing was stored")
        except (ValueError, TypeError, KeyError) as exc:  # bad input data, never a traceback
            return Outcome(record.ref, "failed", message=f"{exc.__class__.__name__}: {exc}")

    def _one(self, record: Record, *, write: bool, session: "IndexSession | None") -> Outcome:
        if record.exact is not None:
            return self._one_exact(record, write=write, session=session)
        if record.match_only:  # a WARC revisit: points at a capture, never creates one
            url = record.fields.get("url")
            existing = self.catalog.find_url(url)
            if existing:
                return Outcome(record.ref, "duplicate", existing, f"revisit of {url}, archived as entry {existing}")
            return Outcome(record.ref, "skipped", None,
                           f"revisit of {url}, whose original capture is not archived; nothing to resolve it to")
        raw = dict(record.fields)
        given_key = raw.pop("citekey", None)
        given_key = str(given_key) if given_key not in (None, "") else None
        extra = raw.pop("extra", None) or {}
        given_source_key = raw.pop("source_key", None)  # a JSONL line may carry it
        fields = normalise_fields(raw, dayfirst=self.dayfirst)
        fields = {k: v for k, v in fields.items() if v not in (None, [], "")}
        provenance = {k: record.origin for k in fields}
        if fields.get("url"):  # cited without tracking parameters; what was given stays on record
            given_url = fields["url"]
            fields["url"] = cited_url(given_url)
            if fields["url"] != given_url:
                provenance["url_given"] = given_url
        fetched_url = (record.http or {}).get("final_url") if "url" not in fields else None
        files: list[st.NewFile] = []
        snapshot: Snapshot | None = None
        note = None  # why nothing was extracted from a page over the extraction limits
        if record.data is not None:
            if not record.data.strip():
                raise UsageError(f"{record.source or record.ref}: empty snapshot; nothing to archive")
            if len(record.data) > MAX_SNAPSHOT_BYTES:
                raise UsageError(f"snapshot is {len(record.data)} bytes; the limit is {MAX_SNAPSHOT_BYTES}")
            media_type = record.media_type or guess_media_type(record.source, record.data)
            ext = self._extraction(record, media_type, fields.get("url") or fetched_url)
            note = ext.note if ext is not None else None
            if ext is not None:
                given_title = fields.get("title")
                for key, value in _valid_extracted(ext.fields, dayfirst=self.dayfirst).items():
                    if key not in fields:
                        fields[key] = value
                        provenance[key] = f"extracted:{ext.provenance.get(key, 'page')}"
                text = _text_body(ext, given_title)
            else:
                text = ""
            if fetched_url:  # a page from the web: its declared canonical URL, when sane
                declared = fields.get("url") if provenance.get("url", "").startswith("extracted") else None
                fields["url"], why = choose_cited_url(fetched_url, declared)
                if why == "fetched":
                    provenance["url"] = "fetched"
            elif fields.get("url") and provenance.get("url", "").startswith("extracted"):
                fields["url"] = cited_url(fields["url"])
            sha = st.sha256_bytes(record.data)
            text_bytes = text.encode("utf-8")
            snapshot = Snapshot(path="", media_type=media_type, size=len(record.data), sha256=sha,
                                captured_at=record.captured_at or now_utc(), source=record.source,
                                text_path=None, text_sha256=st.sha256_bytes(text_bytes) if text else None,
                                http=dict(record.http) if record.http else None,
                                meta={k: fields[k] for k in ("title", "modified", "authors") if k in fields} or None)
            existing = self.catalog.find_sha(sha)
            if existing:
                return Outcome(record.ref, "duplicate", existing, f"same snapshot bytes as entry {existing}")
            existing = None if self.new_entry else self.catalog.find_url(fields.get("url"))
            if existing:
                done = self._new_version(record, existing, snapshot, record.data, text_bytes, fields,
                                         provenance, write=write, session=session)
                said = "; ".join(m for m in (note, record.note) if m)  # as a created record's line
                if said and done.status in ("new-version", "would-add-version"):
                    from dataclasses import replace

                    done = replace(done, message=f"{done.message}; {said}")
                return done
        elif not self.new_entry:
            found = self.find_work(fields, given_key)
            if found:
                return Outcome(record.ref, "duplicate", found[0], found[1])

        key_note = None
        if given_key and record.origin == "user":  # `add --citekey`: never changed, refused if unusable
            citekey = str(given_key)
            self.catalog.check_citekey(citekey)
        elif given_key:  # a key from an imported file: kept when usable, else suffixed, and said so
            citekey = unique_citekey(str(given_key), self.catalog.unusable_citekeys())
            if citekey != given_key:
                key_note = f"citekey {given_key!r} is taken or reads as an entry's ID; stored as {citekey!r}"
        else:
            citekey = unique_citekey(citekey_base(fields), self.catalog.unusable_citekeys())
        entry_id = self.catalog.new_id(avoid=citekey)
        if snapshot is not None:
            snapshot, files = _place_snapshot(snapshot, 1, record.data, text_bytes, record.warc)
        data = {**fields, "id": entry_id, "citekey": citekey,
                "snapshots": [snapshot.to_json()] if snapshot else [], "provenance": provenance}
        if extra:
            data["extra"] = extra
        if given_source_key or (given_key and record.origin == "imported"):
            data["source_key"] = str(given_source_key or given_key)
        if "accessed" not in data and snapshot is not None and not (snapshot.http or {}).get("capture_time_unknown"):
            data["accessed"] = snapshot.captured_at.iso()
            provenance["accessed"] = "capture"
        entry = Entry.from_json(data)
        message = "; ".join(m for m in (note, record.note, key_note) if m) or None
        if not write:
            self._plan(entry)
            return Outcome(record.ref, "would-create", entry.id, message, entry=entry)
        history = [{"at": now_utc().iso(), "action": "created", "source": record.source or record.ref}]
        if note:  # kept with the entry: `history` says later why there is no extracted text
            history[0]["note"] = note
        assert session is not None
        session.touch(entry.id)
        self.store.create(entry, files, history=history, durable=self.durable is True)
        self.catalog.add(entry)
        session.upsert(entry, text_bytes.decode("utf-8") if snapshot else (entry.notes or ""))
        return Outcome(record.ref, "created", entry.id, message, entry=entry)

    def _new_version(self, record: Record, entry_id: str, snapshot: Snapshot, data: bytes,
                     text_bytes: bytes, fields: dict, new_prov: dict, *, write: bool, session) -> Outcome:
        entry = self.store.read(entry_id)
        last = entry.snapshot
        if last is not None and snapshot.text_sha256 and last.text_sha256 == snapshot.text_sha256:
            when = last.captured_at.iso()[:10]
            return Outcome(record.ref, "unchanged", entry_id, f"unchanged since {when}", entry=entry)
        version = len(entry.snapshots) + 1
        snapshot, files = _place_snapshot(snapshot, version, data, text_bytes, record.warc)
        data_json = entry.to_json()
        prov = dict(entry.provenance)
        changes = {}
        for key, value in fields.items():  # what the user said stays; extracted values follow the page
            src = new_prov.get(key, record.origin)
            if src.startswith("extracted") and prov.get(key) in ("user", "imported"):
                continue
            if data_json.get(key) != value:
                changes[key] = value
                prov[key] = src
        data_json.update(changes)
        data_json["provenance"] = prov
        data_json["snapshots"] = [*data_json["snapshots"], snapshot.to_json()]
        new_entry = Entry.from_json(data_json)
        if not write:
            return Outcome(record.ref, "would-add-version", entry_id, f"version {version}", entry=new_entry)
        since = last.captured_at.iso()[:10] if last else "?"
        history = [{"at": now_utc().iso(), "action": "new-version", "version": version,
                    "sha256": snapshot.sha256, "source": record.source or record.ref}]
        history += [{"at": now_utc().iso(), "action": "set", "field": k, "old": entry.to_json().get(k), "new": v}
                    for k, v in changes.items()]
        session.touch(entry_id)
        self.store.commit(new_entry, files=files, history=history, durable=self.durable is True)
        self.catalog.add(new_entry)
        self._summaries.pop(entry_id, None)
        session.upsert(new_entry, text_bytes.decode("utf-8"))
        return Outcome(record.ref, "new-version", entry_id,
                       f"changed since {since}: new version {version}", entry=new_entry)

    def _one_exact(self, record: Record, *, write: bool, session) -> Outcome:
        """An entry exported by ``export --to jsonl`` with its files: restored exactly."""
        data = dict(record.exact or {})
        entry = Entry.from_json(data)
        if entry.id in self.catalog.entries:
            return Outcome(record.ref, "duplicate", entry.id, f"same id as entry {entry.id}")
        for s in entry.snapshots:
            other = self.catalog.find_sha(s.sha256)
            if other:
                return Outcome(record.ref, "duplicate", other, f"same snapshot bytes as entry {other}")
        key_note = None
        if entry.citekey in self.catalog.unusable_citekeys():
            key_note = f"citekey {entry.citekey!r} is taken or reads as an entry's ID; stored as "
            entry = entry.evolve(citekey=unique_citekey(entry.citekey, self.catalog.unusable_citekeys()))
            key_note += repr(entry.citekey)
        files = []
        text = ""
        for s in entry.snapshots:
            if record.files_dir is None:
                raise ImportFormatError("entry lists snapshots but the line gives no `snapshot` folder")
            blob = _read_inside(record.files_dir, s.path)
            if st.sha256_bytes(blob) != s.sha256:
                raise ImportFormatError(f"{s.path}: SHA-256 does not match the recorded one")
            files.append(st.NewFile(s.path, blob))
            text = ""  # the body is the newest version's text, and a version may have none
            if s.text_path:
                tblob = _read_inside(record.files_dir, s.text_path)
                if s.text_sha256 and st.sha256_bytes(tblob) != s.text_sha256:
                    raise ImportFormatError(f"{s.text_path}: SHA-256 does not match the recorded one")
                files.append(st.NewFile(s.text_path, tblob))
                text = tblob.decode("utf-8", "replace")
            if s.warc_path:
                wblob = _read_inside(record.files_dir, s.warc_path)
                if s.warc_sha256 and st.sha256_bytes(wblob) != s.warc_sha256:
                    raise ImportFormatError(f"{s.warc_path}: SHA-256 does not match the recorded one")
                files.append(st.NewFile(s.warc_path, wblob))
        if not write:
            self._plan(entry)
            return Outcome(record.ref, "would-create", entry.id, entry=entry)
        session.touch(entry.id)
        history = [{"at": now_utc().iso(), "action": "imported", "source": record.source or record.ref}]
        self.store.create(entry, files, history=history, durable=self.durable is True)
        self.catalog.add(entry)
        session.upsert(entry, text if entry.snapshots else (entry.notes or ""))  # as body_text() has it
        return Outcome(record.ref, "created", entry.id, key_note, entry=entry)


def _read_inside(folder: Path, relpath: str) -> bytes:
    """Read ``folder/relpath`` refusing anything that resolves outside ``folder``."""
    from .model import check_relative_path

    check_relative_path(relpath)
    base = folder.resolve()
    target = (base / relpath).resolve()
    if base not in target.parents:
        raise ImportFormatError(f"{relpath}: path leaves {folder}")
    if not target.exists():
        raise ImportFormatError(f"missing file {target}")
    return read_snapshot_file(target, name=relpath)


def _text_body(ext, given_title: str | None) -> str:
    """The article text to index. A plain-text snapshot's first line is taken as its title and
    left out of the text; when the record names its own, different title (an import with inline
    text), that first line is article text and is kept."""
    text = ext.text or ""
    found = ext.fields.get("title")
    if (given_title and found and str(ext.provenance.get("title", "")).startswith("text:")
            and _fold_title(found) != _fold_title(given_title)):
        text = f"{found}\n\n{text}"
    return _normal_text(text)


def _fold_title(title: str) -> str:
    return re.sub(r"\W+", " ", title).strip().lower()


def _valid_extracted(fields: Mapping[str, Any], *, dayfirst: bool) -> dict[str, Any]:
    """Extracted values pass the same validation as the user's; an invalid one is dropped."""
    out = {}
    for key, value in fields.items():
        if key not in SETTABLE or value in (None, "", []):
            continue
        with contextlib.suppress(NewsArchiveError):
            norm = normalise_fields({key: value}, dayfirst=dayfirst)[key]
            if norm not in (None, "", []):
                out[key] = norm
    return out


def _place_snapshot(snapshot: Snapshot, version: int, data: bytes, text_bytes: bytes,
                    warc: bytes | None) -> tuple[Snapshot, list[st.NewFile]]:
    base = snapshot.media_type.split(";")[0].strip()
    ext = _EXT.get(base, ".bin")
    folder = f"v{version}"
    files = [st.NewFile(f"{folder}/original{ext}", data)]
    text_path = None
    if text_bytes:
        text_path = f"{folder}/text.txt"
        files.append(st.NewFile(text_path, text_bytes))
    warc_path = None
    if warc:
        warc_path = f"{folder}/capture.warc.gz"
        files.append(st.NewFile(warc_path, warc))
    from dataclasses import replace

    return replace(snapshot, path=f"{folder}/original{ext}", text_path=text_path, warc_path=warc_path,
                   warc_sha256=st.sha256_bytes(warc) if warc else None), files


def sync_filesystem(path: Path) -> None:
    """Flush every write on the file system holding ``path`` to the disk: syncfs(2) on Linux,
    os.sync() elsewhere. One call per import batch instead of an fsync per file and folder."""
    try:
        import ctypes

        syncfs = ctypes.CDLL(None, use_errno=True).syncfs
        fd = os.open(path, os.O_RDONLY)
        try:
            if syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    except (OSError, AttributeError):
        pass
    os.sync()


# --------------------------------------------------------------------------- index maintenance

JOURNAL = "journal"


class IndexSession:
    """One index writer for a batch of archive writes, plus a journal of touched IDs so that an
    interrupted batch is re-synced by the next writer (the archive is written before the index).

    The index is derived: when it cannot be opened or committed (damaged), the archive writes go
    ahead all the same, the journal keeps their IDs, and ``error`` says why; the caller reports
    "archived, but the index could not be updated: run `newsarchive reindex`"."""

    def __init__(self, store: st.Store):
        self.store = store
        self.journal = store.index_dir / JOURNAL
        self._writer_cm = None
        self._writer = None
        self._touched: list[str] = []
        self.error: str | None = None
        self._stamps = False

    def __enter__(self) -> "IndexSession":
        sweep_derived(self.store)
        try:
            backend = search_backend(self.store)
            self._stamps = _has_stamps(backend)
            if not backend.exists():
                rebuild_index(self.store)  # missing or old schema: derived data, rebuild it
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
            self._writer.delete(entry_id)
            return
        self._upsert(entry, body_text(self.store, entry), stamp)

    def touch(self, entry_id: str) -> None:
        try:
            self.journal.parent.mkdir(exist_ok=True)
            with open(self.journal, "a", encoding="utf-8") as fh:
                fh.write(entry_id + "\n")
        except OSError as exc:
            if self._writer is not None:
                raise  # the journal is what makes an interrupted batch recoverable
            self.error = self.error or f"cannot write {self.journal}: {exc.strerror or exc}"

    def upsert(self, entry: Entry, body: str) -> None:
        if self._writer is not None:
            self._upsert(entry, body, entry_stamp(self.store, entry.id))

    def _upsert(self, entry: Entry, body: str, stamp: tuple | None) -> None:
        if getattr(self, "_stamps", False):
            self._writer.upsert(entry, body, stamp=stamp)
        else:  # an engine that records no stamps (status then compares IDs only)
            self._writer.upsert(entry, body)

    def delete(self, entry_id: str) -> None:
        if self._writer is not None:
            self._writer.delete(entry_id)

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._writer_cm is not None:
            try:
                self._writer_cm.__exit__(exc_type, exc, tb)
            except (SearchIndexError, OSError) as err:
                if exc_type is not None:
                    raise
                self.error = _reason(err)
        if exc_type is None and self.error is None:
            with contextlib.suppress(FileNotFoundError):
                self.journal.unlink()

    def check(self, done: str) -> None:
        """Raise ``IndexNotUpdated`` when the index could not follow ``done`` ("edited X")."""
        if self.error is not None:
            raise IndexNotUpdated(index_failure(done, self.error))


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


def rebuild_index(store: st.Store, *, engine: str | None = None, on_skip: OnSkip | None = None) -> int:
    """Rebuild the index (and drop the catalog cache and journal) from ``archive/`` alone; works
    whatever state ``index/`` is in. Entries that cannot be read are reported and left out.
    With ``engine`` (another than the current one), build that engine's index beside the
    current one, record the switch, then drop the old."""
    from .search import engines

    _clear_index_dir(store)
    current = engines.configured(store.root)
    target = engines.check_name(engine) if engine else current
    backend = engines.backend(target, store.index_dir)
    stamped = _has_stamps(backend)

    def docs() -> Iterator[tuple[Entry, str, tuple | None]]:
        for entry_id in store.ids():
            stamp = entry_stamp(store, entry_id)  # before reading: a later change shows as stale
            try:
                entry = store.read(entry_id)
            except (StoreError, EntryNotFound) as exc:
                reason = _unreadable(store, entry_id, exc)
                if reason is not None:
                    _skip(on_skip, entry_id, reason)  # verify tells more; the index leaves it out
                continue
            if not metadata_ok(store, entry_id):  # damaged metadata is never indexed
                _skip(on_skip, entry_id, f"{store.entry_dir(entry_id) / st.ENTRY_FILE}: does not match "
                                         "its recorded SHA-256 (see `newsarchive verify`)")
                continue
            yield (entry, body_text(store, entry), stamp) if stamped else (entry, body_text(store, entry))

    n = backend.rebuild(docs())
    if target != current:
        engines.record(store.root, target)
        engines.backend(current, store.index_dir).remove()
    for derived in (JOURNAL, Catalog.CACHE):  # the catalog cache is rebuilt from the archive too
        with contextlib.suppress(FileNotFoundError, IsADirectoryError, PermissionError):
            (store.index_dir / derived).unlink()
    sweep_derived(store)
    return n


def _clear_index_dir(store: st.Store) -> None:
    """Make ``index/`` a folder again, whatever a crash or a user left there."""
    d = store.index_dir
    if d.is_symlink() or (d.exists() and not d.is_dir()):
        d.unlink()
    d.mkdir(exist_ok=True)
    for name in (JOURNAL, Catalog.CACHE, "index.json"):
        p = d / name
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)


def reindex(root: Path, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT, engine: str | None = None,
            on_skip: OnSkip | None = None) -> int:
    """Rebuild the search index; ``engine`` converts the collection to that engine."""
    if engine:
        from .search import engines

        engines.check_name(engine)
    store = open_store(root)
    with store.lock(timeout=lock_timeout):
        return rebuild_index(store, engine=engine, on_skip=on_skip)


# --------------------------------------------------------------------------- leftovers

EXPORTS_DIR = "exports"  # in index/: one file per export in progress, naming its .part path
_PART_RE = re.compile(r"^\..+\.newsarchive-(\d+)\.part$")


def part_path(out: Path) -> Path:
    """Where an export is written before it is renamed to ``out``: recognisable as ours."""
    return out.with_name(f".{out.name}.newsarchive-{os.getpid()}.part")


def files_part_path(out: Path) -> Path:
    """Where a JSONL export's files are copied before the folder is renamed to ``out.files``."""
    return out.with_name(f".{out.name}.files.newsarchive-{os.getpid()}.part")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError, OverflowError):
        return True
    return True


def _remove_part(path: Path) -> None:
    m = _PART_RE.match(path.name)
    if not m or _pid_alive(int(m.group(1))):
        return
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def sweep_parts(out: Path) -> None:
    """Remove the ``.part`` files of earlier, killed exports to ``out`` (only ours, by name)."""
    with contextlib.suppress(OSError):
        for pattern in (f".{glob_escape(out.name)}.newsarchive-*.part",
                        f".{glob_escape(out.name)}.files.newsarchive-*.part"):
            for p in out.parent.glob(pattern):
                _remove_part(p)


def glob_escape(name: str) -> str:
    import glob

    return glob.escape(name)


@contextlib.contextmanager
def partial_file(store: st.Store | None, out: Path) -> Iterator[Path]:
    """The ``.part`` path of an export to ``out``, registered in ``index/exports/`` while it is
    written so that the next writer removes it when the export was killed."""
    sweep_parts(out)
    part = part_path(out)
    reg = None
    if store is not None:
        with contextlib.suppress(OSError):
            folder = store.index_dir / EXPORTS_DIR
            folder.mkdir(parents=True, exist_ok=True)
            reg = folder / f"{os.getpid()}-{os.urandom(4).hex()}"
            reg.write_text(f"{part.resolve()}\n{files_part_path(out).resolve()}\n", "utf-8")
    try:
        yield part
    finally:
        if reg is not None:
            with contextlib.suppress(OSError):
                reg.unlink()


def sweep_derived(store: st.Store) -> None:
    """What killed processes left in derived data: index build folders of a killed rebuild, and
    ``.part`` files of killed exports (registered in ``index/exports/``). Under the lock."""
    with contextlib.suppress(OSError, NewsArchiveError):
        search_backend(store).sweep()
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


# --------------------------------------------------------------------------- add / rm

def add(root: Path, *, data: bytes | None, source: str | None, fields: Mapping[str, Any],
        media_type: str | None = None, dayfirst: bool = False, new_entry: bool = False,
        dry_run: bool = False, lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        warc: bytes | None = None, http: Mapping[str, Any] | None = None,
        captured_at: PartialDate | None = None) -> Outcome:
    """Archive one snapshot (or a metadata-only entry when ``data`` is None)."""
    store = open_store(root)
    ingest = Ingest(store, dayfirst=dayfirst, new_entry=new_entry, dry_run=dry_run, lock_timeout=lock_timeout)
    record = Record(ref=source or "-", fields=dict(fields), data=data, media_type=media_type,
                    source=source, warc=warc, http=http, captured_at=captured_at)
    outcome = ingest.run_batch([record])[0]
    if ingest.fatal is not None:  # written, but the index could not be (the journal recovers it)
        raise ingest.fatal
    if outcome.status == "failed":
        raise outcome.error or UsageError(outcome.message or "failed")
    if outcome.index_error:
        verb = "archived" if outcome.status == "created" else "added a new version to"
        raise IndexNotUpdated(index_failure(f"{verb} {outcome.id}", outcome.index_error), outcome=outcome)
    return outcome


def removal_target(root: Path, ref: str, *, store: st.Store | None = None,
                   catalog: Catalog | None = None) -> tuple[str, Entry | None, str | None]:
    """What ``rm ref`` would delete: (entry ID, the entry or None, why its metadata cannot be
    read). An entry whose metadata is unreadable can be removed by its exact folder ID only;
    a reference that could mean two entries is refused (see :func:`_resolve_for_change`)."""
    store = store or open_store(root)
    if catalog is None:
        catalog = Catalog(store)
        catalog.refresh(store)
    entry_id = _resolve_for_change(store, catalog, ref)
    try:
        return entry_id, store.read(entry_id), None
    except (StoreError, EntryNotFound) as exc:
        if ref.strip().lower() != entry_id:
            raise StoreError(f"{_unreadable(store, entry_id, exc) or exc}; to remove it anyway, "
                             f"give its whole ID: {entry_id}") from None
        return entry_id, None, _unreadable(store, entry_id, exc) or str(exc)


def remove(root: Path, ref: str, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> Entry | None:
    """Delete an entry. Returns it, or None when its metadata could not be read (allowed only for
    an exact folder ID, see :func:`removal_target`)."""
    store = open_store(root)
    with store.lock(timeout=lock_timeout):
        entry_id, entry, _why = removal_target(root, ref, store=store, catalog=_catalog(store))
        with IndexSession(store) as session:
            session.touch(entry_id)
            store.remove(entry_id)
            session.delete(entry_id)
        Catalog.record_removal(store, entry_id)
        session.check(f"removed {entry_id}")
        return entry


# --------------------------------------------------------------------------- import / export (JSONL)

def ingest_records(root: Path, records: Iterable[Record], *, dayfirst: bool = False,
                   dry_run: bool = False, on_error: str = "skip", batch_size: int = BATCH_SIZE,
                   lock_timeout: float = DEFAULT_LOCK_TIMEOUT, durable: bool | str = "batch",
                   new_entry: bool = False, match: str = "strict") -> Iterator[Outcome]:
    """The one pipeline for every importer: a stream of records in, outcomes out, in batches.
    ``durable="batch"`` syncs the archive once per batch (see :class:`Ingest`)."""
    if on_error not in ("skip", "stop"):
        raise UsageError("--on-error is skip or stop")
    store = open_store(root)
    ingest = Ingest(store, dayfirst=dayfirst, dry_run=dry_run, lock_timeout=lock_timeout,
                    durable=durable, new_entry=new_entry, match=match)
    ingest.stop_on_error = on_error == "stop"
    batch: list[Record] = []

    def flush() -> Iterator[Outcome]:
        good = [r for r in batch if r.error is None and r.skipped is None]
        done = iter(ingest.run_batch(good)) if good else iter(())
        for r in batch:
            if r.error is not None:
                yield Outcome(r.ref, "failed", message=r.error)
            elif r.skipped is not None:
                yield Outcome(r.ref, "skipped", message=r.skipped)
            else:
                o = next(done, None)
                if o is None:  # the batch ended at a failure (--on-error stop)
                    break
                yield o
        batch.clear()
        if ingest.fatal is not None:  # after the lines of what was written before it
            raise ingest.fatal

    for record in records:
        if on_error == "stop" and record.error is not None:
            for o in flush():
                yield o
                if o.status == "failed":
                    return
            yield Outcome(record.ref, "failed", message=record.error)
            return
        batch.append(record)
        if len(batch) >= batch_size:
            for o in flush():
                yield o
                if o.status == "failed" and on_error == "stop":
                    return
    for o in flush():
        yield o
        if o.status == "failed" and on_error == "stop":
            return


def export_jsonl(root: Path, entries: Iterable[Entry], out: Path | None, *,
                 files_root: Path | None = None) -> Iterator[str]:
    """Yield JSONL lines; when ``out`` is a file, copy each entry's files beside it under
    ``<name>.files/<id>/`` (or ``files_root``) and point ``snapshot`` at that folder (import
    restores them exactly). A file that is missing (a damaged entry exported on purpose) is left
    out; the entry's notes say so."""
    store = open_store(root)
    final_files = None
    if out is not None:
        final_files = out.with_name(out.name + ".files")
        files_root = files_root or final_files
    for entry in entries:
        obj = entry.to_json()
        if files_root is not None and entry.snapshots:
            folder = files_root / entry.id
            for s in entry.snapshots:
                for rel in (s.path, s.text_path, s.warc_path):
                    if rel:
                        source = store.file_path(entry.id, rel)
                        if not source.is_file():
                            continue
                        target = folder / rel
                        target.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copyfile(source, target)
            obj["snapshot"] = os.path.relpath(final_files / entry.id, out.parent)
        yield json.dumps(obj, ensure_ascii=False)


def _read_or_skip(store: st.Store, entry_id: str, on_skip: OnSkip | None) -> Entry | None:
    try:
        return store.read(entry_id)
    except (StoreError, EntryNotFound) as exc:
        reason = _unreadable(store, entry_id, exc)
        if reason is not None:
            _skip(on_skip, entry_id, reason)
        return None


def select(root: Path, query: str | None, *, ids: Iterable[str] = (),
           on_skip: OnSkip | None = None) -> Iterator[Entry]:
    """Entries by search query (all when None) or by ID references. An entry that cannot be
    read is reported through ``on_skip`` and left out."""
    store = open_store(root)
    refs = list(ids)
    if refs:
        for entry_id in [store.resolve(ref) for ref in refs]:  # a typo stops before any output
            entry = _read_or_skip(store, entry_id, on_skip)
            if entry is not None:
                yield entry
        return
    if not query:
        yield from read_each(store, on_skip=on_skip)
        return
    single = _exact_ref(store, query)
    if single is not None:  # `export 7h2kq9xa --to bagit`: a whole ID or a citekey names one entry
        entry = _read_or_skip(store, single, on_skip)
        if entry is not None:
            yield entry
        return
    ensure_index(store)
    result = search_backend(store).search(query, limit=10**9, snippets=False, sort="published")
    for hit in result.hits:
        entry = _read_or_skip(store, hit.id, on_skip)
        if entry is not None:
            yield entry


# what fixity.check_entry reports that is not damage of the entry itself
_NOT_DAMAGE = frozenset({"note", "info", "stale-index", "not-indexed", "extra-in-index"})


def damage_of(store: st.Store, entry: Entry) -> tuple[Entry, list[Problem]]:
    """The entry as checked by :func:`fixity.check_entry` (THE definition of damage) and its
    damage: every problem found in its folder."""
    checked, problems = check_entry(store, entry.id)
    return (checked or entry), [p for p in problems if p.kind not in _NOT_DAMAGE]


def _where(store: st.Store, entry_id: str, p: Problem) -> str:
    """A problem's file, relative to the entry folder when inside it."""
    if not p.path:
        return entry_id
    with contextlib.suppress(ValueError):
        return Path(p.path).relative_to(store.archive).as_posix()
    return p.path


def checked_entries(store: st.Store, entries: Iterable[Entry | str], *, include_damaged: bool = False,
                    on_skip: OnSkip | None = None,
                    on_damaged: OnSkip | None = None) -> Iterator[tuple[Entry, list[str]]]:
    """Each entry with its damage (one line per problem, naming the file). Damaged entries are
    left out and reported through ``on_skip`` ("damaged: FILE: DETAIL"), or with
    ``include_damaged`` passed on with that list (the exporter marks them) and reported through
    ``on_damaged``. ``entries`` may be entry IDs (read once, by the check itself)."""
    for item in entries:
        if isinstance(item, str):
            checked, problems = check_entry(store, item)
            if checked is None:  # unreadable: reported as every reader reports it
                _read_or_skip(store, item, on_skip)
                continue
            problems = [p for p in problems if p.kind not in _NOT_DAMAGE]
            entry = checked
        else:
            entry, problems = damage_of(store, item)
        lines = [f"{_where(store, entry.id, p)}: {p.detail}" for p in problems]
        if lines:
            more = f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""
            if not include_damaged:
                _skip(on_skip, entry.id, f"damaged: {lines[0]}{more}")
                continue
            _skip(on_damaged, entry.id, f"damaged: {lines[0]}{more}")
        yield entry, lines


def damage_mark(lines: list[str]) -> str:
    return ("DAMAGED in the archive (exported with --include-damaged): " + "; ".join(lines))


def _marked(items: Iterable[tuple[Entry, list[str]]]) -> Iterator[Entry]:
    """Entries, a damaged one with the damage put first in its notes (carried by JSONL, CSV,
    BibTeX/BibLaTeX annote, CSL-JSON annote, RIS)."""
    for entry, damage in items:
        if damage:
            mark = damage_mark(damage)
            entry = entry.evolve(notes=f"{mark}\n\n{entry.notes}" if entry.notes else mark)
        yield entry


def _exact_ref(store: st.Store, text: str) -> str | None:
    text = text.strip()
    if not re.fullmatch(r"[A-Za-z0-9_:.\-+/]+", text):
        return None
    if text in store.ids():
        return text
    try:
        found = store.resolve(text)
        return found if store.read_json(found).get("citekey") == text else None
    except (EntryNotFound, AmbiguousID, StoreError):
        return None


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


# --------------------------------------------------------------------------- import / export

def open_source(path: Path, *, source_format: str | None = None, mapping: Mapping[str, str] | None = None,
                fetcher: Callable[[str], Any] | None = None, host_delay: float | None = None) -> Iterator[Record]:
    """The record stream of an input file or folder, its format detected or given. ``host_delay``:
    URL lists, seconds between two requests to one host (default: the source's own)."""
    from . import sources

    if str(path) != "-" and not path.exists():
        raise UsageError(f"no such file or folder: {path}")
    fmt = source_format or sources.detect(path)
    if fmt not in sources.FORMATS:
        raise UsageError(f"unknown source format {fmt!r} (one of: {', '.join(sources.FORMATS)})")
    if mapping and fmt not in ("csv", "tsv"):
        raise UsageError("--map applies to CSV/TSV sources")
    if fmt == "jsonl":
        from .sources import jsonl

        return jsonl.read(path)
    from importlib import import_module

    module = import_module(f".sources.{'csv' if fmt == 'tsv' else fmt.replace('-', '')}", __package__)
    kwargs: dict[str, Any] = {}
    if fmt in ("csv", "tsv"):
        kwargs = {"mapping": dict(mapping or {}), "delimiter": "\t" if fmt == "tsv" else None}
    if fmt == "urls":
        kwargs = {"fetcher": fetcher or fetch}
        if host_delay is not None:
            kwargs["host_delay"] = host_delay
    return module.read(path, **kwargs)


def import_file(root: Path, path: Path, *, source_format: str | None = None,
                mapping: Mapping[str, str] | None = None, dayfirst: bool = False, dry_run: bool = False,
                on_error: str = "skip", lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
                batch_size: int = BATCH_SIZE, host_delay: float | None = None,
                match: str = "strict") -> Iterator[Outcome]:
    """Import a file or folder. ``match``: when a metadata-only record is an archived work:
    ``strict`` (the default: everything that tells works apart agrees), ``url`` (the same URL
    or DOI is enough), ``none`` (every such record creates an entry)."""
    open_store(root)
    if match not in MATCH_MODES:
        raise UsageError(f"unknown --match {match!r} (one of: {', '.join(MATCH_MODES)})")
    records = open_source(path, source_format=source_format, mapping=mapping, host_delay=host_delay)
    return ingest_records(root, records, dayfirst=dayfirst, dry_run=dry_run, on_error=on_error,
                          lock_timeout=lock_timeout, batch_size=batch_size, match=match)


EXPORT_FORMATS = ("jsonl", "csv", "csl-json", "bibtex", "biblatex", "ris", "warc", "bagit")
CSV_COLUMNS = ["id", "citekey", "title", "authors", "outlet", "kind", "published", "modified", "accessed",
               "url", "archived_url", "section", "pages", "language", "tags", "notes", "designed_to_change",
               "container_title", "volume", "issue", "publisher", "editors", "doi", "issn", "isbn"]


def export(root: Path, *, to: str, out: Path | None, query: str | None = None, ids: Iterable[str] = (),
           write: Callable[[str], Any] | None = None, ascii: bool = False, key: str = "citekey",
           notify: Callable[[str], Any] | None = None,
           on_incomplete: Callable[[str], Any] | None = None, csv_raw: bool = False,
           include_damaged: bool = False, on_skip: OnSkip | None = None,
           on_damaged: OnSkip | None = None) -> int:
    """Stream the selected entries to ``out`` (a file; None with ``write`` for stdout).
    Returns the number of entries written. ``notify`` hears of each record the WARC export had
    to repair (a digest that did not match the stored bytes). Citation formats write every
    entry with what it has; ``on_incomplete`` hears "CITEKEY: no title" for each entry that
    lacks something. CSV cells that a spreadsheet would run as formulas get a leading
    apostrophe unless ``csv_raw`` (see ``render.csv_cell``).

    Every entry is checked with :func:`fixity.check_entry` first: a damaged one is left out and
    reported through ``on_skip``; with ``include_damaged`` it is exported and marked (its notes,
    or the bag's and WARC's own report). Unreadable entries are reported and left out too."""
    if to not in EXPORT_FORMATS:
        raise UsageError(f"unknown export format {to!r} (one of: {', '.join(EXPORT_FORMATS)})")
    if out is not None and not out.parent.is_dir():  # a typo in the folder never creates folders
        raise FileAccessError(f"cannot write {out}: the folder {out.parent} does not exist",
                              path=str(out), errno=errno.ENOENT)
    store = open_store(root)
    ids = list(ids)
    # every entry: by ID, so that the check reads each entry.json once
    selected = store.ids() if not ids and not query else select(root, query, ids=ids, on_skip=on_skip)
    checked = checked_entries(store, selected, include_damaged=include_damaged, on_skip=on_skip,
                              on_damaged=on_damaged)
    if to in ("warc", "bagit"):
        if out is None:
            raise UsageError(f"--to {to} needs -o FILE")
        from importlib import import_module

        module = import_module(f".export_{to}", __package__)
        try:
            with partial_file(store, out) as part:
                if to == "warc":
                    return module.write(store, checked, out, part=part, notify=notify)
                return module.write(store, checked, out, part=part)
        except OSError as exc:
            raise FileAccessError(os_error_message(exc, action="write", path=out),
                                  path=str(out), errno=exc.errno) from None
    entries = _marked(checked)
    count = 0
    with _output(out, write, store=store) as sink:
        if to == "jsonl":
            files_part = None
            if out is not None:  # the files go to FILE.files, made complete before it is renamed
                files_part = files_part_path(out)
            try:
                for line in export_jsonl(root, entries, out, files_root=files_part):
                    sink(line + "\n")
                    count += 1
                if files_part is not None and files_part.exists():
                    final = out.with_name(out.name + ".files")
                    if final.exists():
                        shutil.rmtree(final)
                    os.rename(files_part, final)
            except BaseException:
                if files_part is not None:
                    shutil.rmtree(files_part, ignore_errors=True)
                raise
        elif to == "csv":
            import csv
            import io

            from .render import csv_cell, flat

            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\n")
            w.writerow(CSV_COLUMNS)
            for e in entries:
                obj = e.to_json()
                w.writerow([csv_cell(flat(obj.get(c)), raw=csv_raw) for c in CSV_COLUMNS])
                count += 1
                sink(buf.getvalue())
                buf.seek(0)
                buf.truncate()
            if count == 0:
                sink(buf.getvalue())
        else:
            for chunk, n in _citation_chunks(keyed(entries, key), to, ascii=ascii, on_incomplete=on_incomplete):
                sink(chunk)
                count += n
    return count


def _citation_chunks(entries: Iterable[Entry], style: str, *, ascii: bool, size: int = 500,
                     on_incomplete: Callable[[str], Any] | None = None) -> Iterator[tuple[str, int]]:
    """Stream a citation file format in chunks of ``size`` entries (flat memory for big exports)."""
    import itertools
    import json as _json

    from . import cite

    it = iter(entries)
    first = True
    if style == "csl-json":
        yield "[\n", 0
    while True:
        chunk = list(itertools.islice(it, size))
        if not chunk:
            break
        _report_incomplete(chunk, on_incomplete)
        if style == "csl-json":
            items = [_json.dumps(cite.csljson.item(e), ensure_ascii=ascii, indent=2) for e in chunk]
            body = ",\n".join("  " + i.replace("\n", "\n  ") for i in items)
            yield ("" if first else ",\n") + body, len(chunk)
        else:
            text = cite.format_entries(chunk, style, ascii=ascii)
            yield ("" if first else "\n") + text, len(chunk)
        first = False
    if style == "csl-json":
        yield "\n]\n", 0


@contextlib.contextmanager
def _output(out: Path | None, write: Callable[[str], Any] | None, *,
            store: st.Store | None = None) -> Iterator[Callable[[str], Any]]:
    """Where an export goes: ``write`` (standard output), or ``out`` written as a ``.part`` file
    (see :func:`partial_file`) and renamed only when the whole export succeeded; a failed export
    leaves no file behind, a killed one leaves a ``.part`` that the next writer removes."""
    if out is None:
        if write is None:
            raise UsageError("export needs -o FILE or - for standard output")
        yield write
        return
    with partial_file(store, out) as tmp:
        try:
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                yield fh.write
            os.replace(tmp, out)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            if isinstance(exc, OSError):  # the user's path and the system's reason, not the temp file's
                missing = "" if out.parent.is_dir() else f" (the folder {out.parent} does not exist)"
                raise FileAccessError(os_error_message(exc, action="write", path=out) + missing,
                                      path=str(out), errno=exc.errno) from None
            raise


# --------------------------------------------------------------------------- status

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

    def to_json(self) -> dict[str, Any]:
        return {"root": self.root, "entries": self.entries, "snapshots": self.snapshots,
                "indexed": self.indexed, "index": self.index_state,
                "missing_from_index": self.missing_from_index, "extra_in_index": self.extra_in_index,
                "stale_in_index": list(self.stale), "unreadable": list(self.unreadable),
                "interrupted_writes": self.pending, "engine": self.engine}


def _has_stamps(backend: Any) -> bool:
    """Whether the engine records entry.json stamps (the Whoosh one does)."""
    return callable(getattr(backend, "stored_stamps", None))


def status(root: Path, *, on_skip: OnSkip | None = None) -> Status:
    """Counts, and whether the index is in step with the archive: each entry.json's stamp (one
    stat each) against the stamp the index recorded when it indexed it (engines that record
    stamps; others are compared by IDs). Entries that cannot be read are reported through
    ``on_skip``."""
    store = open_store(root)
    backend = search_backend(store)
    catalog = Catalog(store)  # the cached catalog, checked against the disk by its stamps
    catalog.refresh(store, on_skip=on_skip)
    ids = store.ids()  # every entry folder, readable or not
    snapshots = sum(len(shas) for _key, shas, *_rest in catalog.entries.values())
    journal = store.index_dir / JOURNAL
    try:
        pending = sorted(set(journal.read_bytes().decode("utf-8", "replace").split())) if journal.exists() else []
    except OSError:
        pending = ["(unreadable journal)"]
    unreadable = sorted(catalog.unreadable)
    name = backend.name
    if not backend.exists():
        state = "missing"
        if backend.present():
            state = "outdated"
            meta = store.index_dir / "index.json"
            try:
                if meta.is_file():
                    json.loads(meta.read_text("utf-8"))
            except (OSError, ValueError):
                state = "damaged"
        return Status(str(root), len(ids), snapshots, None, state, [], [], pending, name, [], unreadable)
    try:
        if _has_stamps(backend):
            stamps = backend.stored_stamps()
        else:
            stamps = {i: "unknown" for i in backend.ids()}
    except SearchIndexError as exc:
        return Status(str(root), len(ids), snapshots, None, "damaged", [], [], pending, name, [], unreadable,
                      str(exc))
    good = [i for i in ids if i in catalog.entries]
    missing = sorted(i for i in good if i not in stamps)
    stale = sorted(i for i in ids if i in stamps and stamps[i] != "unknown"
                   and (stamps[i] is None or stamps[i] != entry_stamp(store, i)))
    extra = sorted(set(stamps) - set(ids))
    # an entry.json that fails its recorded hash is damage, never indexed (see rebuild_index):
    # hashed only for the few entries that look missing or stale, so status stays cheap
    for entry_id in [*missing, *stale]:
        if not metadata_ok(store, entry_id):
            _skip(on_skip, entry_id, f"{store.entry_dir(entry_id) / st.ENTRY_FILE}: does not match its "
                                     "recorded SHA-256 (see `newsarchive verify`)")
            unreadable.append(entry_id)
            if entry_id in missing:
                missing.remove(entry_id)  # rightly not in the index
    unreadable.sort()
    state = "ok" if not (missing or extra or pending or stale) else "drift"
    return Status(str(root), len(ids), snapshots, len(stamps), state, missing, extra, pending, name, stale,
                  unreadable)


# --------------------------------------------------------------------------- extraction and fetching

def extract_preview(data: bytes, *, name: str | None = None, url: str | None = None,
                    media_type: str | None = None) -> dict[str, Any]:
    """What ``add`` would take from these bytes: fields, their sources, and the article text."""
    media_type = media_type or guess_media_type(name, data)
    ext = _extract(data, media_type, url)
    if ext is None:
        raise ExtractError(f"no text can be extracted from {media_type} files")
    fields = _valid_extracted(ext.fields, dayfirst=False)
    out = {"fields": fields, "provenance": {k: ext.provenance.get(k, "page") for k in fields},
           "media_type": media_type, "text": _normal_text(ext.text or "")}
    if ext.note:
        out["note"] = ext.note
    return out


@dataclass(frozen=True)
class FetchedPage:
    url: str
    final_url: str
    body: bytes
    media_type: str
    captured_at: PartialDate
    warc: bytes
    http: dict[str, Any]


def fetch(url: str, **options: Any) -> FetchedPage:
    """Fetch a URL (the only network use) and record the exchange as a WARC."""
    from .extract import fetch as fetching

    capture = fetching.fetch(url, **options)
    return FetchedPage(
        url=url, final_url=capture.final_url, body=capture.body, media_type=capture.media_type,
        captured_at=PartialDate.from_datetime(capture.fetched_at.replace(microsecond=0)),
        warc=fetching.warc_bytes(capture), http=capture.http_info(),
    )


# --------------------------------------------------------------------------- search

SORTS = ("relevance", "published", "-published")
FACETS = ("outlet", "year", "author", "tag", "kind")


def search(root: Path, query: str, *, limit: int = 20, offset: int = 0, sort: str = "relevance",
           facets: Iterable[str] = (), snippets: bool = True, all_versions: bool = False,
           on_skip: OnSkip | None = None):
    """Full-text search. Builds the index first when there is none (a fresh clone). A hit whose
    entry cannot be read any more is shown as the index has it, without a snippet, and reported
    through ``on_skip``."""
    if sort not in SORTS:
        raise UsageError(f"unknown sort {sort!r} (one of: {', '.join(SORTS)})")
    facets = tuple(facets)
    for f in facets:
        if f not in FACETS:
            raise UsageError(f"unknown facet {f!r} (one of: {', '.join(FACETS)})")
    if limit < 0 or offset < 0:
        raise UsageError("--limit and --offset cannot be negative")
    store = open_store(root)
    ensure_index(store)

    def load_body(entry_id: str) -> str:
        entry = _read_or_skip(store, entry_id, on_skip)
        return body_text(store, entry) if entry is not None else ""

    return search_backend(store).search(
        query, limit=limit, offset=offset, sort=sort, facets=facets, snippets=snippets,
        body_loader=load_body if snippets else None, all_versions=all_versions,
        older_versions=_older_versions(store, on_skip) if all_versions else ())


def _older_versions(store: st.Store, on_skip: OnSkip | None = None) -> Iterator[tuple[Entry, int, str]]:
    """Every version but the newest of every entry that has several, as that version showed it."""
    catalog = Catalog(store)
    catalog.refresh(store, on_skip=on_skip)
    for entry_id, (_key, shas, *_rest) in catalog.entries.items():
        if len(shas) < 2:
            continue
        entry = _read_or_skip(store, entry_id, on_skip)
        if entry is None:
            continue
        for n, snap in enumerate(entry.snapshots[:-1], 1):
            yield _as_of(entry, snap), n, version_text(store, entry, n)


# --------------------------------------------------------------------------- edit and history

EDITABLE = tuple(k for k in SETTABLE) + ("citekey",)


def edit(root: Path, ref: str, *, set_fields: Mapping[str, Any] | None = None, unset: Iterable[str] = (),
         add_tags: Iterable[str] = (), remove_tags: Iterable[str] = (), dayfirst: bool = False,
         replace_all: Mapping[str, Any] | None = None, expect_sha256: str | None = None,
         lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> tuple[Entry, list[dict[str, Any]]]:
    """Change an entry's metadata. Values are validated as in ``add``; every change is appended to
    the entry's history. ``replace_all`` is a whole edited document (from $EDITOR): every
    editable field it has, or lacks, is taken as the new state. Snapshots cannot be edited.
    ``expect_sha256`` (see :func:`entry_sha256`): refuse if the entry changed since it was read."""
    store = open_store(root)
    with store.lock(timeout=lock_timeout):
        catalog = _catalog(store)
        entry_id = _resolve_for_change(store, catalog, ref)
        entry = store.read(entry_id)
        if expect_sha256 is not None and entry_sha256(store, entry_id) != expect_sha256:
            raise EntryChanged(f"entry {entry_id} was changed by another command while you were editing it; "
                               "nothing changed (run `newsarchive edit` again to start from its current state)")
        current = entry.to_json()
        new = dict(current)
        if replace_all is not None:
            unknown = set(replace_all) - set(EDITABLE)
            if unknown:
                raise UsageError(f"cannot edit {', '.join(sorted(unknown))} (editable: {', '.join(EDITABLE)})")
            doc = {k: v for k, v in replace_all.items() if k != "citekey"}
            normalised = normalise_fields({k: v for k, v in doc.items() if v not in (None, "", [])}, dayfirst=dayfirst)
            for key in SETTABLE:
                new[key] = normalised.get(key, [] if key in ("authors", "tags", "editors") else
                                          (False if key == "designed_to_change" else None))
            if "citekey" in replace_all:
                new["citekey"] = replace_all["citekey"]
        for key, value in (set_fields or {}).items():
            if key == "citekey":
                new["citekey"] = str(value)
                continue
            norm = normalise_fields({key: value}, dayfirst=dayfirst)
            new.update(norm)
        for key in unset:
            name = {"author": "authors", "tag": "tags", "lang": "language"}.get(key, key)
            if name not in SETTABLE:
                raise UsageError(f"cannot unset {key!r} (fields: {', '.join(SETTABLE)})")
            new[name] = [] if name in ("authors", "tags", "editors") else (False if name == "designed_to_change" else None)
        tags = list(new.get("tags") or [])
        for t in normalise_fields({"tags": list(add_tags)}).get("tags", []):
            if t not in tags:
                tags.append(t)
        drop = set(normalise_fields({"tags": list(remove_tags)}).get("tags", []))
        new["tags"] = [t for t in tags if t not in drop]
        if new["citekey"] != current["citekey"]:
            catalog.check_citekey(str(new["citekey"] or ""), entry_id=entry_id)
        changes = [{"at": now_utc().iso(), "action": "set" if new.get(k) not in (None, [], False) else "unset",
                    "field": k, "old": current.get(k), "new": new.get(k)}
                   for k in EDITABLE if (new.get(k) or None) != (current.get(k) or None)
                   and not (k == "designed_to_change" and not new.get(k) and not current.get(k))]
        if not changes:
            return entry, []
        prov = dict(current.get("provenance") or {})
        for c in changes:
            if c["action"] == "set":
                prov[c["field"]] = "user"
            else:
                prov.pop(c["field"], None)
        new["provenance"] = prov
        updated = Entry.from_json(new)
        with IndexSession(store) as session:
            session.touch(entry_id)
            store.commit(updated, history=changes, expect_sha256=expect_sha256)
            session.upsert(updated, body_text(store, updated))
        catalog.add(updated)
        session.check(f"edited {entry_id}")
        return updated, changes


def entry_sha256(store: st.Store, entry_id: str) -> str:
    """The SHA-256 of an entry's ``entry.json`` as stored: what an edit started from."""
    try:
        return st.sha256_bytes((store.entry_dir(entry_id) / st.ENTRY_FILE).read_bytes())
    except FileNotFoundError:
        raise EntryNotFound(f"no entry {entry_id!r}") from None


def _resolve_for_change(store: st.Store, catalog: Catalog, ref: str) -> str:
    """Resolve a reference for a command that changes or deletes: refused when it could mean
    two entries (an ID prefix of one and the citekey of another)."""
    entry_id = store.resolve(ref)
    text = (ref or "").strip()
    if text != entry_id:
        for other, (key, *_rest) in catalog.entries.items():
            if key == text and other != entry_id:
                raise AmbiguousID(f"{text!r} is a prefix of entry {entry_id}'s ID and the citekey of entry "
                                  f"{other}; give the full ID of the one you mean")
    return entry_id


def _catalog(store: st.Store) -> Catalog:
    """The catalog of a collection whose lock the caller holds."""
    c = Catalog(store)
    c.refresh(store, locked=True)
    return c


def edit_document(entry: Entry) -> str:
    """The editable fields as a JSON document for $EDITOR."""
    data = entry.to_json()
    doc = {k: data.get(k, [] if k == "editors" else None) for k in ("citekey",) + tuple(SETTABLE)}
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def parse_edit_document(text: str) -> dict[str, Any]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"the edited document is not valid JSON (line {exc.lineno}: {exc.msg}); nothing changed") from None
    if not isinstance(doc, dict):
        raise UsageError("the edited document must be a JSON object; nothing changed")
    return doc


def history(root: Path, ref: str) -> list[dict[str, Any]]:
    store = open_store(root)
    entry_id = store.resolve(ref)
    return store.read_history(entry_id)


# --------------------------------------------------------------------------- versions and diff

def version_text(store: st.Store, entry: Entry, version: int) -> str:
    if not 1 <= version <= len(entry.snapshots):
        raise UsageError(f"entry {entry.id} has {len(entry.snapshots)} version(s); no version {version}")
    return body_text(store, entry, version=version)


def diff(root: Path, ref: str, *, from_version: int | None = None, to_version: int | None = None) -> dict[str, Any]:
    """Word-level differences of the extracted text between two versions, and changed metadata."""
    import difflib

    store = open_store(root)
    entry = store.read(store.resolve(ref))
    n = len(entry.snapshots)
    if n < 2 and (from_version is None or to_version is None):
        raise UsageError(f"entry {entry.id} has {n} version(s); nothing to compare")
    b = to_version or n
    a = from_version or (b - 1)
    old_text, new_text = version_text(store, entry, a), version_text(store, entry, b)
    old_words, new_words = old_text.split(), new_text.split()
    ops = []
    sm = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        ops.append({"op": tag, "old": " ".join(old_words[i1:i2]), "new": " ".join(new_words[j1:j2])})
    meta = []
    ma, mb = entry.snapshots[a - 1].meta or {}, entry.snapshots[b - 1].meta or {}
    for key in ("title", "modified", "authors"):
        if ma.get(key) != mb.get(key):
            meta.append({"field": key, "old": ma.get(key), "new": mb.get(key)})
    sa, sb = entry.snapshots[a - 1], entry.snapshots[b - 1]
    return {"id": entry.id, "from": {"version": a, "captured_at": sa.captured_at.iso(), "sha256": sa.sha256},
            "to": {"version": b, "captured_at": sb.captured_at.iso(), "sha256": sb.sha256},
            "metadata": meta, "text": ops,
            "words": {"deleted": sum(len(o["old"].split()) for o in ops if o["op"] in ("delete", "replace")),
                      "inserted": sum(len(o["new"].split()) for o in ops if o["op"] in ("insert", "replace"))}}


# --------------------------------------------------------------------------- verify

def verify(root: Path, refs: Iterable[str] = (), *, repair_index: bool = False, seal: bool = False,
           lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> tuple[int, list[Problem], bool]:
    """Re-hash every stored file, validate every entry, compare archive and index.
    Returns (entries checked, problems, whether the index was repaired). Problems of kind
    ``note`` are not damage (an entry without a manifest, written by an older version).
    ``seal`` adds the manifest to such entries when they check out (nothing else wrong)."""
    from .fixity import sealed

    store = open_store(root)
    backend = search_backend(store)
    refs = list(refs)
    ids = [store.resolve(r) for r in refs] if refs else store.ids()
    problems: list[Problem] = []
    good: dict[str, Entry] = {}
    unsealed: list[str] = []
    with store.lock(timeout=lock_timeout) if seal else contextlib.nullcontext():
        for entry_id in ids:
            entry, found = check_entry(store, entry_id)
            if not sealed(store, entry_id) and not any(p.path and p.path.endswith(st.MANIFEST_FILE) for p in found):
                if seal and entry is not None and _seal(store, entry_id):
                    entry, found = check_entry(store, entry_id)
                else:
                    unsealed.append(entry_id)
            problems.extend(found)
            if entry is not None:
                good[entry_id] = entry
    for entry_id in unsealed:
        problems.append(Problem("note", entry_id, str(store.entry_dir(entry_id)),
                                "no manifest (written by an older version); `newsarchive verify --seal` adds one "
                                "once the entry checks out"))
    if not refs:
        with os.scandir(store.archive) as it:
            for d in it:
                if d.name.startswith((".tmp-", ".trash-")):
                    problems.append(Problem("extra", None, d.path, "left by an interrupted write; the next writer removes it"))
                elif d.name.startswith(st.COMMIT_PREFIX):
                    problems.append(Problem("extra", None, d.path, "a change committed by an interrupted command; "
                                            "the next writer (e.g. `newsarchive reindex`) finishes it"))
    index_problems: list[Problem] = []
    stored = None
    if not backend.exists():
        index_problems.append(Problem("stale-index", None, str(store.index_dir), "the index is missing or outdated"))
    else:
        try:
            stored = backend.stored_fingerprints()
        except SearchIndexError as exc:  # damaged: a problem to report (and repair), not a crash
            index_problems.append(Problem("stale-index", None, str(store.index_dir), _reason(exc)))
            stored = None
    if stored is not None:
        for entry_id, entry in good.items():
            if entry_id not in stored:
                index_problems.append(Problem("not-indexed", entry_id, None, "entry is not in the search index"))
            elif stored[entry_id] != backend.fingerprint(entry, body_text(store, entry)):
                index_problems.append(Problem("stale-index", entry_id, None, "the index holds an older state of this entry"))
        for entry_id in ids:
            if entry_id not in good and entry_id in stored:
                index_problems.append(Problem("extra-in-index", entry_id, None,
                                              "indexed, but its metadata is damaged (see above)"))
        if not refs:
            for entry_id in sorted(set(stored) - set(store.ids())):
                index_problems.append(Problem("extra-in-index", entry_id, None, "indexed but not in the archive"))
    repaired = False
    if repair_index and index_problems:
        with store.lock(timeout=lock_timeout):
            rebuild_index(store)
        repaired = True
        index_problems = []
    elif repair_index and (store.index_dir / JOURNAL).exists():
        with store.lock(timeout=lock_timeout), IndexSession(store) as session:
            pass  # replays what an interrupted writer journalled, as the next writer would
        repaired = session.error is None
    return len(ids), problems + index_problems, repaired


def _seal(store: st.Store, entry_id: str) -> bool:
    """Add the manifest to an entry written by an older version, when nothing is wrong with it
    but what an interrupted write of that version left (a torn last history line, a temp
    file), which is cleared first and logged. Damaged entries are never sealed."""
    from .fixity import check_entry as check, hash_file, sealed

    folder = store.entry_dir(entry_id)  # the caller holds the lock
    if sealed(store, entry_id):
        return True
    entry, found = check(store, entry_id)
    fixable = []
    for p in found:
        name = Path(p.path or "").name
        if p.kind == "invalid" and name == st.HISTORY_FILE and "cut short" in p.detail:
            fixable.append(p)
        elif p.kind == "extra" and name.startswith(".") and name.endswith(".tmp"):
            fixable.append(p)
        else:
            return False
    if entry is None:
        return False
    for p in fixable:
        path = Path(p.path or "")
        if path.name == st.HISTORY_FILE:
            complete, torn = st.split_history(path.read_bytes())
            st.atomic_write(path, complete)
            st.log.warning("%s: dropped a torn last line (%d bytes) left by an interrupted write", path, len(torn))
        else:
            path.unlink()
            st.log.warning("%s: removed a temp file left by an interrupted write", path)
    entry, found = check(store, entry_id)
    if entry is None or found:
        return False
    hashes = {}
    for path in folder.rglob("*"):
        if path.is_file():
            hashes[path.relative_to(folder).as_posix()] = hash_file(path)
    store.seal(entry_id, hashes)
    return True


# --------------------------------------------------------------------------- citations

def _as_of(entry: Entry, snap: Snapshot) -> Entry:
    """The entry as that capture showed it: its headline, modified date and byline, unless the
    user set them (what the user says wins)."""
    meta = dict(snap.meta or {})
    data = entry.to_json()
    for key in ("title", "modified", "authors"):
        if key in meta and entry.provenance.get(key, "").startswith("extracted"):
            data[key] = meta[key]
    return Entry.from_json(data)


KEYS = ("citekey", "id")


def keyed(entries: Iterable[Entry], key: str) -> Iterator[Entry]:
    """Entries with the citation key that file formats should carry: the stored ``citekey``
    (readable, unique, stable once given) or the entry ``id`` (opaque, never changes)."""
    if key not in KEYS:
        raise UsageError(f"unknown --key {key!r} (one of: {', '.join(KEYS)})")
    for e in entries:
        yield e if key == "citekey" else e.evolve(citekey=e.id)


def cite(root: Path, refs: Iterable[str], *, style: str, markup: str = "text", intext: bool = False,
         version: int | None = None, ascii: bool = False, key: str = "citekey",
         on_incomplete: Callable[[str], Any] | None = None, include_damaged: bool = False,
         on_skip: OnSkip | None = None, on_damaged: OnSkip | None = None) -> str:
    """Citations of the given entries in one style (a whole file for bibtex/biblatex/csl-json/ris).
    ``version`` cites that capture of each entry: its capture date as the access date, its hash.
    An entry that lacks something a citation needs (a title) is cited with what exists, and
    ``on_incomplete`` hears "CITEKEY: no title" for it.

    As in :func:`export`, every entry is checked with :func:`fixity.check_entry` first: a damaged
    one (its recorded hash no longer proves its files) is left out and reported through
    ``on_skip``; with ``include_damaged`` it is cited, marked in its notes, and reported through
    ``on_damaged``. When every entry is left out the result is empty."""
    from . import cite as citing

    if markup not in ("text", "html", "markdown"):
        raise UsageError(f"unknown markup {markup!r} (text, html or markdown)")
    store = open_store(root)
    ids = [store.resolve(r) for r in refs]
    if not ids:
        raise UsageError("give at least one entry ID (or pipe `search --format ids` into xargs)")
    entries = list(_marked(checked_entries(store, ids, include_damaged=include_damaged, on_skip=on_skip,
                                           on_damaged=on_damaged)))
    if not entries:
        return ""
    snapshots = {}
    if version is not None:
        for e in entries:
            if not 1 <= version <= len(e.snapshots):
                raise UsageError(f"entry {e.id} has {len(e.snapshots)} version(s); no version {version}")
            snapshots[e.id] = e.snapshots[version - 1]
        entries = [_as_of(e, snapshots[e.id]) for e in entries]
    entries = list(keyed(entries, key))
    _report_incomplete(entries, on_incomplete)
    return citing.format_entries(entries, style, markup=markup, intext=intext, snapshots=snapshots,
                                 ascii=ascii, sort=False)


def _report_incomplete(entries: Iterable[Entry], on_incomplete: Callable[[str], Any] | None) -> int:
    from .cite._common import missing

    n = 0
    for e in entries:
        gaps = missing(e)
        if gaps:
            n += 1
            if on_incomplete is not None:
                on_incomplete(f"{e.citekey}: {', '.join(gaps)}")
    return n
