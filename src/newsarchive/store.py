"""The archive on disk: the truth. One folder per entry, written atomically, under a lock.

Layout of a collection::

    <root>/
      archive/
        .lock                   advisory lock file (fcntl) held by writers; between them, the
                                "left clean" mark (see store_recover)
        <id>/                   one folder per entry; <id> is never taken from input
          entry.json            the metadata (public JSON), replaced atomically
          history.jsonl         metadata edits and captures, appended
          v1/original.html      snapshot bytes as captured, never modified
          v1/text.txt           article text extracted from them
          v1/capture.warc.gz    the HTTP exchange, when fetched from the web
          manifest-sha256.txt   ``<sha256>  <relpath>`` of every other file here (fixity)
      index/                    derived; ``newsarchive reindex`` rebuilds it

Every change is one commit. A new entry is written into ``archive/.tmp-*`` and renamed into
place. A change to an existing entry (new version, edit) first writes a journal
``archive/.tmp-<id>-<token>.json`` holding the complete new ``entry.json``, ``history.jsonl``
and manifest and naming the new files, which are then written into the entry folder under
temporary names (``<id>/.v2-<token>/``). Renaming the journal to ``.commit-<id>-<token>.json``
is the commit point; the change is then applied (temporary names renamed, history, entry.json
by atomic replace, manifest last) and the journal removed. Whoever takes the lock next
re-applies a ``.commit-*`` journal (roll forward) and discards a ``.tmp-*`` one with the files
it names (roll back); see :mod:`.store_recover` for that sweep and for the mark with which a
writer that left nothing behind spares the next one the sweep. Removal renames the folder to
``.trash-*`` first. So a crash leaves either the old or the new state of an entry.

``history.jsonl`` is hash-chained: every line carries ``prev``, the SHA-256 of the line before
it (of the empty string for the first), so a changed, removed or reordered line is detected.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import secrets
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from .errors import AmbiguousID, EntryChanged, EntryNotFound, InvalidEntry, LockTimeout, NotACollection, StoreError
from .fsutil import atomic_write, wait_for
from .fsutil import fsync_dir as _fsync_dir
from .model import ID_ALPHABET, Entry, check_relative_path
from .ondisk import (ARCHIVE, EMPTY_SHA256, ENTRY_FILE, ENV_ROOT, HISTORY_FILE, ID_LIKE, INDEX,  # noqa: F401
                     MANIFEST_FILE, entry_bytes, find_root, history_bytes, init_collection, is_collection,
                     manifest_bytes, parse_manifest, sha256_bytes, split_history)
from .store_io import ENV_CRASH, _b64, _rewrite_in_place, _unb64, crash_point, write_file, write_folder  # noqa: F401
from .store_recover import COMMIT_PREFIX, Session, tracked, written_elsewhere

log = logging.getLogger("newsarchive")


def new_id(length: int = 8) -> str:
    """A random ID: each character drawn uniformly from :data:`ID_ALPHABET` out of the OS's
    random bytes (one read, as ``secrets`` would make one per character)."""
    n = len(ID_ALPHABET)
    usable = 256 - 256 % n  # bytes at or above it would favour the first characters: skipped
    out: list[str] = []
    while len(out) < length:
        out += [ID_ALPHABET[b % n] for b in os.urandom(length + 4) if b < usable]
    return "".join(out[:length])


# --------------------------------------------------------------------------- the store

@dataclass(frozen=True)
class NewFile:
    """A file to write into a new or existing entry folder (path relative to the folder).
    ``sha256``: the SHA-256 of ``data`` when the caller computed it already from these same
    bytes (a new snapshot's, recorded in its entry); a new folder's manifest takes it as it is."""

    path: str
    data: bytes
    sha256: str | None = None


@dataclass
class NewFolder:
    """A new entry folder, staged (checked, hashed, serialised) and not yet written."""

    entry_id: str
    final: str
    files: list[tuple[str, bytes]]  # (relative path, bytes), entry.json and the manifest last
    meta_size: int  # of entry.json
    mtime_ns: int | None = None  # stamp entry.json with this time (None: the time it is written)
    stamp: tuple[int, int] | None = None  # entry.json's (mtime_ns, size) as written, when mtime_ns is set
    prepared: Any = None  # its search document, as the import's writer process prepared it (store_queue.py)


class Store:
    """Reads and writes ``<root>/archive``. Writers must hold :meth:`lock`."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)
        self.archive = self.root / ARCHIVE
        self.index_dir = self.root / INDEX
        self._session: Session | None = None  # while this object holds the lock (see store_recover)

    # ---------------------------------------------------------------- lock
    @contextlib.contextmanager
    def lock(self, *, timeout: float = 30.0) -> Iterator[None]:
        """Exclusive collection lock (fcntl), waited for up to ``timeout`` seconds. Taking it
        recovers what an interrupted writer left (unless the last writer marked the archive
        clean); a normal release marks it clean when nothing was left (see :mod:`.store_recover`)."""
        import fcntl

        path = self.archive / ".lock"
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:  # a read-only collection, a permission error
            from .errors import FileAccessError, os_error_message

            raise FileAccessError(f"cannot write to the collection: {os_error_message(exc)}",
                                  path=str(path), errno=exc.errno) from None
        def take() -> bool:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise StoreError(f"cannot lock {path}: {exc.strerror}") from None
                return False

        try:
            if not wait_for(take, timeout=timeout):
                raise LockTimeout(
                    f"another newsarchive process is writing to this collection; "
                    f"waited {timeout:g} s for it (try again, or raise --lock-timeout)")
            try:
                from . import store_recover as rec

                if not rec.take(fd, self.archive):  # the last writer left nothing: no sweep
                    rec.sweep(self)
                self._session = session = Session(rec.folder_stamp(self.archive))
                try:
                    yield
                finally:
                    session.released()
                rec.leave(fd, self.archive, session)
            finally:
                self._session = None
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    # ---------------------------------------------------------------- reading
    def ids(self) -> list[str]:
        try:
            with os.scandir(self.archive) as it:
                return sorted(d.name for d in it if ID_LIKE.match(d.name) and d.is_dir(follow_symlinks=False))
        except FileNotFoundError:
            raise NotACollection(f"{self.archive} does not exist") from None

    def entry_dir(self, entry_id: str) -> Path:
        if not ID_LIKE.match(entry_id or ""):
            raise EntryNotFound(f"no entry {entry_id!r}")
        return self.archive / entry_id

    def exists(self, entry_id: str) -> bool:
        return (self.entry_dir(entry_id) / ENTRY_FILE).is_file()

    def read_json(self, entry_id: str) -> dict[str, Any]:
        path = self.entry_dir(entry_id) / ENTRY_FILE
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise EntryNotFound(f"no entry {entry_id!r}") from None
        except OSError as exc:  # a folder named entry.json, no permission, an I/O error
            raise StoreError(f"{path}: cannot read metadata ({exc.strerror or exc})") from None
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise StoreError(f"{path}: broken metadata ({exc})") from None
        except RecursionError:
            raise StoreError(f"{path}: broken metadata (nested too deeply)") from None
        if not isinstance(data, dict):
            raise StoreError(f"{path}: metadata is not a JSON object")
        return data

    def read(self, entry_id: str) -> Entry:
        data = self.read_json(entry_id)
        try:
            entry = Entry.from_json(data)
        except InvalidEntry as exc:
            raise StoreError(f"{self.entry_dir(entry_id) / ENTRY_FILE}: {exc}") from None
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            raise StoreError(f"{self.entry_dir(entry_id) / ENTRY_FILE}: invalid metadata "
                             f"({exc.__class__.__name__}: {exc})") from None
        if entry.id != entry_id:
            raise StoreError(f"{self.entry_dir(entry_id) / ENTRY_FILE}: id {entry.id!r} does not match its folder")
        return entry

    def iter_entries(self, ids: Iterable[str] | None = None) -> Iterator[Entry]:
        for entry_id in (self.ids() if ids is None else ids):
            yield self.read(entry_id)

    def resolve(self, ref: str) -> str:
        """An ID, a unique ID prefix (like git), or an exact citekey -> the entry's ID."""
        ref = (ref or "").strip()
        if not ref:
            raise EntryNotFound("empty entry ID")
        low = ref.lower()
        if ID_LIKE.match(low):
            # an exact ID is one lstat, not a listing of the whole archive (100 ms at 19,000 entries)
            with contextlib.suppress(OSError):
                if stat.S_ISDIR(os.lstat(self.archive / low).st_mode):
                    return low
        all_ids = self.ids()
        if ID_LIKE.match(low):
            if low in all_ids:
                return low
            matches = [i for i in all_ids if i.startswith(low)]
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                shown = ", ".join(matches[:5]) + (" ..." if len(matches) > 5 else "")
                raise AmbiguousID(f"ID prefix {ref!r} matches {len(matches)} entries ({shown}); give more characters",
                                  matches=tuple(matches))
        for entry_id in all_ids:  # citekeys are unique; an exact one is a fine reference
            with contextlib.suppress(StoreError, EntryNotFound):
                if self.read_json(entry_id).get("citekey") == ref:
                    return entry_id
        raise EntryNotFound(f"no entry matches {ref!r}")

    def file_path(self, entry_id: str, relpath: str) -> Path:
        check_relative_path(relpath)
        return self.entry_dir(entry_id) / relpath

    def read_file(self, entry_id: str, relpath: str) -> bytes:
        path = self.file_path(entry_id, relpath)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise StoreError(f"missing file {path}") from None

    def read_history(self, entry_id: str) -> list[dict[str, Any]]:
        """The entry's history events, oldest first. A last line cut short by an interrupted
        write (by an older version) is left out, never fatal; ``verify`` reports it and the next
        change to the entry removes it."""
        path = self.entry_dir(entry_id) / HISTORY_FILE
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return []
        complete, torn = split_history(data)
        out = []
        for n, line in enumerate(complete.splitlines(), 1):
            if line.strip():
                try:
                    event = json.loads(line)
                except (UnicodeDecodeError, json.JSONDecodeError):
                    raise StoreError(f"{path}:{n}: broken history line") from None
                if not isinstance(event, dict):
                    raise StoreError(f"{path}:{n}: history line is not a JSON object")
                event.pop("prev", None)
                out.append(event)
        if torn:
            with contextlib.suppress(UnicodeDecodeError, json.JSONDecodeError):
                event = json.loads(torn)
                if isinstance(event, dict):  # complete but for its newline
                    event.pop("prev", None)
                    out.append(event)
        return out

    def _history_base(self, folder: Path) -> bytes:
        """The history to build on: complete lines only. A torn last line an older version left
        is dropped here, and said so."""
        try:
            data = (folder / HISTORY_FILE).read_bytes()
        except FileNotFoundError:
            return b""
        complete, torn = split_history(data)
        if torn:
            try:
                json.loads(torn)
                return data + b"\n"
            except (UnicodeDecodeError, json.JSONDecodeError):
                log.warning("%s: dropped a torn last line (%d bytes) left by an interrupted write",
                            folder / HISTORY_FILE, len(torn))
        return complete

    def manifest(self, entry_id: str) -> dict[str, str] | None:
        """The entry's recorded hashes, or None when it has no (readable) manifest."""
        try:
            data = (self.entry_dir(entry_id) / MANIFEST_FILE).read_bytes()
        except FileNotFoundError:
            return None
        hashes, bad = parse_manifest(data)
        return None if bad else hashes

    # ---------------------------------------------------------------- writing (hold the lock)
    @tracked
    def create(self, entry: Entry, files: Iterable[NewFile] = (), *, history: Iterable[dict] = (),
               durable: bool = True) -> Path:
        """Write a whole new entry folder atomically (temp folder + rename), with its chained
        history and its manifest."""
        return self.write_new(self.stage_new(entry, files, history=history), durable=durable)

    @written_elsewhere
    def stage_new(self, entry: Entry, files: Iterable[NewFile] = (), *, history: Iterable[dict] = (),
                  mtime_ns: int | None = None, check_free: bool = True) -> NewFolder:
        """Everything :meth:`create` writes, checked and hashed, before any byte is written
        (a bulk import hands the writing to a process: see store_queue.py). ``mtime_ns``: the
        time ``entry.json`` is stamped with, so that the caller knows its stamp before it exists.
        ``check_free=False``: the folder's absence is left to the writer (its rename refuses to
        replace anything), so that this process does not wait on a folder the writer is renaming
        into."""
        if not ID_LIKE.match(entry.id):  # as entry_dir, in strings (this runs once per new entry)
            raise EntryNotFound(f"no entry {entry.id!r}")
        final = os.path.join(os.fspath(self.archive), entry.id)
        if check_free and os.path.lexists(final):
            raise StoreError(f"entry folder {final} already exists")
        hashes: dict[str, str] = {}
        out: list[tuple[str, bytes]] = []
        for f in files:
            check_relative_path(f.path)
            out.append((f.path, f.data))
            hashes[f.path] = f.sha256 or sha256_bytes(f.data)
        lines = history_bytes(b"", history)
        if lines:
            out.append((HISTORY_FILE, lines))
            hashes[HISTORY_FILE] = sha256_bytes(lines)
        meta = entry_bytes(entry)
        out.append((ENTRY_FILE, meta))
        hashes[ENTRY_FILE] = sha256_bytes(meta)
        out.append((MANIFEST_FILE, manifest_bytes(hashes)))
        return NewFolder(entry.id, final, out, len(meta), mtime_ns)

    @tracked
    def write_new(self, new: NewFolder, *, durable: bool = True) -> Path:
        """Write a staged folder (:meth:`stage_new`): into ``archive/.tmp-*``, then renamed into
        place. Returns its path; :class:`StoreError` when it cannot be written (nothing is then)."""
        try:
            new.stamp = write_folder(os.fspath(self.archive), new.entry_id, new.final, new.files,
                                     durable=durable, mtime_ns=new.mtime_ns, write=write_file)
        except OSError as exc:
            raise StoreError(f"cannot write entry {new.entry_id}: {exc.strerror or exc}; "
                             "nothing was changed") from None
        return Path(new.final)

    def _write_new(self, folder: Path, f: NewFile, *, durable: bool) -> None:
        check_relative_path(f.path)
        target = folder / f.path
        target.parent.mkdir(parents=True, exist_ok=True)
        write_file(target, f.data, durable=durable)
        if durable:
            _fsync_dir(target.parent)

    @tracked
    def commit(self, entry: Entry, *, files: Iterable[NewFile] = (), history: Iterable[dict] = (),
               durable: bool = True, expect_sha256: str | None = None) -> None:
        """Change an existing entry in one commit: new files (a new version's snapshot), its new
        metadata and history lines, and the manifest, all or nothing (see the module docstring).
        ``expect_sha256``: refuse (:class:`EntryChanged`) unless ``entry.json`` still has this
        hash, so that a change prepared from an older state never overwrites a newer one."""
        folder = self.entry_dir(entry.id)
        try:
            current = (folder / ENTRY_FILE).read_bytes()
        except FileNotFoundError:
            raise EntryNotFound(f"no entry {entry.id!r}") from None
        if expect_sha256 is not None and sha256_bytes(current) != expect_sha256:
            raise EntryChanged(f"entry {entry.id} was changed by another command meanwhile; nothing changed "
                               "(run the command again to start from its current state)")
        files = list(files)
        referenced = {rel for s in entry.snapshots for rel in (s.path, s.text_path, s.warc_path) if rel}
        old_manifest = self.manifest(entry.id)
        if old_manifest is not None:  # never build on damaged metadata or history (nor bless it)
            for name in (ENTRY_FILE, HISTORY_FILE):
                path = folder / name
                data = current if name == ENTRY_FILE else (path.read_bytes() if path.exists() else None)
                want = old_manifest.get(name)
                if (data is None) != (want is None) or (data is not None and sha256_bytes(data) != want):
                    raise StoreError(f"{path} does not match its recorded SHA-256: the entry is damaged; "
                                     f"nothing changed (see `newsarchive verify {entry.id}`)")
        elif (folder / MANIFEST_FILE).exists():
            raise StoreError(f"{folder / MANIFEST_FILE} is damaged; nothing changed "
                             f"(see `newsarchive verify {entry.id}`)")
        for f in files:
            check_relative_path(f.path)
            if f.path in (ENTRY_FILE, HISTORY_FILE, MANIFEST_FILE):
                raise StoreError(f"{f.path} is written by the store itself")
            if (folder / f.path).exists():
                top = f.path.split("/", 1)[0]
                old = Entry.from_json(json.loads(current)) if current else None
                in_use = {rel for s in (old.snapshots if old else ()) for rel in (s.path, s.text_path, s.warc_path) if rel}
                in_use |= set(old_manifest or ())
                if f.path in in_use or any(r.split("/", 1)[0] == top for r in in_use):
                    raise StoreError(f"{folder / f.path} already exists; snapshots are never overwritten")
                # files an older version left when it was interrupted before its metadata: they
                # were never part of the entry, so they are replaced by this commit
                log.warning("%s: replacing %s, left unreferenced by an interrupted write", folder, top)
                if (folder / top).is_dir() and not (folder / top).is_symlink():
                    shutil.rmtree(folder / top, ignore_errors=True)
                else:
                    (folder / top).unlink()
        history_data = history_bytes(self._history_base(folder), history)
        meta = entry_bytes(entry)
        hashes = {f.path: sha256_bytes(f.data) for f in files}
        manifest = None
        if old_manifest is not None:  # an entry sealed before: its manifest follows every change
            keep = {rel: h for rel, h in old_manifest.items()
                    if rel not in (ENTRY_FILE, HISTORY_FILE) and (rel in referenced or rel not in hashes)}
            keep.update(hashes)
            keep[ENTRY_FILE] = sha256_bytes(meta)
            if history_data:
                keep[HISTORY_FILE] = sha256_bytes(history_data)
            manifest = manifest_bytes(keep)
        token = secrets.token_hex(4)
        tops = sorted({f.path.split("/", 1)[0] for f in files})
        staged = {top: f".{top}-{token}" for top in tops}  # new files wait in the entry folder
        journal = {"id": entry.id, "staged": staged, "entry": _b64(meta),
                   "history": _b64(history_data) if history_data else None,
                   "manifest": _b64(manifest) if manifest is not None else None}
        # the new metadata files wait beside their targets too, so that applying the change
        # needs no new space; a bulk import (not durable) rewrites history and manifest in place
        # instead, as a rename over an existing file makes ext4 flush it at once
        replaced = {ENTRY_FILE: meta}
        if durable:
            if history_data:
                replaced[HISTORY_FILE] = history_data
            if manifest is not None:
                replaced[MANIFEST_FILE] = manifest
        journal["replace"] = {name: f".{name}.{token}.tmp" for name in replaced}
        pending = self.archive / f".tmp-{entry.id}-{token}.json"
        committed = self.archive / f"{COMMIT_PREFIX}{entry.id}-{token}.json"
        try:
            write_file(pending, json.dumps(journal).encode("utf-8"), durable=durable)
            for f in files:
                top, _, rest = f.path.partition("/")
                self._write_new(folder, NewFile(f"{staged[top]}/{rest}" if rest else staged[top], f.data),
                                durable=durable)
            for name, data in replaced.items():
                write_file(folder / journal["replace"][name], data, durable=durable)
            if durable:
                _fsync_dir(folder)
            crash_point("commit-staged")
            os.rename(pending, committed)  # the commit point
        except BaseException as exc:
            self._discard(pending, journal)
            if isinstance(exc, OSError):
                raise StoreError(f"cannot write entry {entry.id}: {exc.strerror or exc}; nothing was changed") from None
            raise
        if durable:
            _fsync_dir(self.archive)
        crash_point("commit-renamed")
        try:
            self._apply(committed, journal, durable=durable)
        except OSError as exc:
            untouched = (all((folder / name).exists() for name in staged.values())
                         and (folder / ENTRY_FILE).read_bytes() == current)
            if untouched:  # the first step failed: take the commit back
                with contextlib.suppress(OSError):
                    os.rename(committed, pending)
                    self._discard(pending, journal)
                    raise StoreError(f"cannot write entry {entry.id}: {exc.strerror or exc}; nothing was changed") from None
            raise StoreError(f"entry {entry.id}: the change is committed but could not be finished "
                             f"({exc.strerror or exc}); the next command that writes finishes it") from None

    def _discard(self, pending: Path, journal: dict) -> None:
        """Roll back a change that was not committed: its staged files and its journal."""
        folder = self.entry_dir(journal["id"])
        for name in [*journal.get("staged", {}).values(), *journal.get("replace", {}).values()]:
            path = folder / name
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    path.unlink()
        with contextlib.suppress(OSError):
            pending.unlink()

    def _apply(self, committed: Path, journal: dict, *, durable: bool) -> None:
        """Apply a committed change to its entry folder; idempotent (a re-run after an
        interruption does what is left): staged files renamed into place, then ``history.jsonl``,
        ``entry.json`` (atomic replace) and the manifest; then the journal is removed."""
        folder = self.entry_dir(journal["id"])
        for top, name in sorted(journal.get("staged", {}).items()):
            check_relative_path(top)
            if (folder / name).exists() and not (folder / top).exists():
                os.rename(folder / name, folder / top)
                crash_point("commit-applying")
            elif (folder / name).is_dir() and (folder / top).is_dir() and not (folder / top).is_symlink():
                # files added to an existing folder (a timestamp beside its capture): moved in one by
                # one, never over an existing file (commit refused those), then the staging removed
                for path in sorted((folder / name).rglob("*")):
                    if path.is_file() and not path.is_symlink():
                        target = folder / top / path.relative_to(folder / name)
                        if not target.exists():
                            target.parent.mkdir(parents=True, exist_ok=True)
                            os.rename(path, target)
                            crash_point("commit-applying")
                shutil.rmtree(folder / name, ignore_errors=True)
        replace = journal.get("replace", {})
        for name, key in ((ENTRY_FILE, "entry"), (HISTORY_FILE, "history"), (MANIFEST_FILE, "manifest")):
            if journal.get(key) is None:
                continue
            temp = folder / replace[name] if name in replace else None
            if temp is not None and temp.exists():
                os.replace(temp, folder / name)
            elif name == ENTRY_FILE:
                data = _unb64(journal[key])
                if not (folder / name).exists() or (folder / name).read_bytes() != data:
                    atomic_write(folder / name, data, durable=durable)
            else:  # rewritten in place; recovery repeats this step until it is complete
                _rewrite_in_place(folder / name, _unb64(journal[key]), durable=durable)
            crash_point("commit-applying")
        if durable:
            _fsync_dir(folder)
        for stale in folder.glob(".*.tmp"):  # an older version's interrupted entry.json write
            with contextlib.suppress(OSError):
                stale.unlink()
        with contextlib.suppress(FileNotFoundError):
            committed.unlink()
        if durable:
            _fsync_dir(self.archive)

    def add_files(self, entry_id: str, files: Iterable[NewFile], *, durable: bool = True) -> None:
        """Add files to an entry without changing its metadata (one commit). Never overwrites."""
        self.commit(self.read(entry_id), files=files, durable=durable)

    def update(self, entry: Entry, *, history: Iterable[dict] = (), durable: bool = True,
               expect_sha256: str | None = None) -> None:
        """Replace an entry's metadata and append its history lines, in one commit."""
        self.commit(entry, history=history, durable=durable, expect_sha256=expect_sha256)

    @tracked
    def seal(self, entry_id: str, hashes: dict[str, str], *, durable: bool = True) -> None:
        """Write the manifest of an entry that has none (``verify --seal``); ``hashes`` were
        checked by the caller."""
        atomic_write(self.entry_dir(entry_id) / MANIFEST_FILE, manifest_bytes(hashes), durable=durable)

    @tracked
    def remove(self, entry_id: str) -> None:
        """Delete a whole entry: renamed away first (atomic: the commit point), then removed."""
        folder = self.entry_dir(entry_id)
        if not folder.exists():
            raise EntryNotFound(f"no entry {entry_id!r}")
        trash = self.archive / f".trash-{entry_id}-{secrets.token_hex(4)}"
        try:
            os.rename(folder, trash)
        except OSError as exc:
            raise StoreError(f"cannot remove entry {entry_id}: {exc.strerror or exc}; nothing was changed") from None
        _fsync_dir(self.archive)
        crash_point("remove-renamed")
        shutil.rmtree(trash, ignore_errors=True)
        if os.path.lexists(trash) and self._session is not None:  # left for the next writer's sweep
            self._session.failed = True
