"""The archive on disk: the truth. One folder per entry, written atomically, under a lock.

Layout of a collection::

    <root>/
      archive/
        .lock                   advisory lock file (fcntl) held by writers
        <id>/                   one folder per entry; <id> is never taken from input
          entry.json            the metadata (public JSON), replaced atomically
          history.jsonl         metadata edits and captures, appended
          v1/original.html      snapshot bytes as captured, never modified
          v1/text.txt           article text extracted from them
          v1/capture.warc.gz    the HTTP exchange, when fetched from the web
      index/                    derived; ``newsarchive reindex`` rebuilds it

A new entry is written into ``archive/.tmp-*`` and renamed into place, so a crash never leaves
a half entry under its ID. ``entry.json`` is replaced by write-to-temp, fsync, rename.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from .errors import AmbiguousID, EntryNotFound, InvalidEntry, LockTimeout, NotACollection, StoreError
from .model import ID_ALPHABET, Entry, check_relative_path

ARCHIVE = "archive"
INDEX = "index"
ENTRY_FILE = "entry.json"
HISTORY_FILE = "history.jsonl"
ENV_ROOT = "NEWSARCHIVE_ROOT"
_ID_LIKE = re.compile(r"^[0-9a-z]{1,32}$")


# --------------------------------------------------------------------------- finding a collection

def is_collection(path: Path) -> bool:
    return (path / ARCHIVE).is_dir() and (path / INDEX).is_dir()


def find_root(explicit: str | os.PathLike[str] | None = None, *, cwd: Path | None = None,
              environ: dict[str, str] | None = None) -> Path:
    """``--root``, else ``$NEWSARCHIVE_ROOT``, else the current folder or its nearest parent that
    is a collection."""
    env = os.environ if environ is None else environ
    if explicit is None and env.get(ENV_ROOT):
        explicit = env[ENV_ROOT]
    if explicit is not None:
        root = Path(explicit).expanduser().resolve()
        if not is_collection(root):
            raise NotACollection(f"{root} is not a collection (no archive/ and index/); "
                                 f"create one with `newsarchive init {root}`")
        return root
    here = (cwd or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if is_collection(candidate):
            return candidate
    raise NotACollection(f"no collection in {here} or its parents; "
                         "create one with `newsarchive init`, or pass --root")


def init_collection(path: str | os.PathLike[str]) -> Path:
    root = Path(path).expanduser().resolve()
    if root.exists() and not root.is_dir():
        raise StoreError(f"{root} exists and is not a folder")
    (root / ARCHIVE).mkdir(parents=True, exist_ok=True)
    (root / INDEX).mkdir(parents=True, exist_ok=True)
    return root


# --------------------------------------------------------------------------- low-level atomic io

def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_file(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write a new file completely (used inside a temp folder)."""
    with open(path, "xb") as fh:
        fh.write(data)
        if durable:
            fh.flush()
            os.fsync(fh.fileno())


def atomic_write(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Replace ``path`` with ``data``: temp file beside it, fsync, rename. Readers see old or new."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        write_file(tmp, data, durable=durable)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    if durable:
        _fsync_dir(path.parent)


def entry_bytes(entry: Entry) -> bytes:
    return (json.dumps(entry.to_json(), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def new_id(length: int = 8) -> str:
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(length))


# --------------------------------------------------------------------------- the store

@dataclass(frozen=True)
class NewFile:
    """A file to write into a new or existing entry folder (path relative to the folder)."""

    path: str
    data: bytes


class Store:
    """Reads and writes ``<root>/archive``. Writers must hold :meth:`lock`."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)
        self.archive = self.root / ARCHIVE
        self.index_dir = self.root / INDEX

    # ---------------------------------------------------------------- lock
    @contextlib.contextmanager
    def lock(self, *, timeout: float = 30.0) -> Iterator[None]:
        """Exclusive collection lock (fcntl), waited for up to ``timeout`` seconds."""
        import fcntl

        path = self.archive / ".lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            deadline = time.monotonic() + timeout
            delay = 0.01
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                        raise StoreError(f"cannot lock {path}: {exc.strerror}") from None
                    if time.monotonic() >= deadline:
                        raise LockTimeout(
                            f"another newsarchive process is writing to this collection; "
                            f"waited {timeout:g} s for it (try again, or raise --lock-timeout)") from None
                    time.sleep(delay)
                    delay = min(delay * 2, 0.2)
            try:
                self._sweep()
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _sweep(self) -> None:
        """Remove what an interrupted writer left: temp folders and trash (under the lock)."""
        with os.scandir(self.archive) as it:
            for d in it:
                if d.name.startswith((".tmp-", ".trash-")) and d.is_dir(follow_symlinks=False):
                    shutil.rmtree(d.path, ignore_errors=True)
                elif d.name.startswith(".") and d.name.endswith(".tmp") and d.is_file(follow_symlinks=False):
                    with contextlib.suppress(OSError):
                        os.unlink(d.path)

    # ---------------------------------------------------------------- reading
    def ids(self) -> list[str]:
        try:
            with os.scandir(self.archive) as it:
                return sorted(d.name for d in it if _ID_LIKE.match(d.name) and d.is_dir(follow_symlinks=False))
        except FileNotFoundError:
            raise NotACollection(f"{self.archive} does not exist") from None

    def entry_dir(self, entry_id: str) -> Path:
        if not _ID_LIKE.match(entry_id or ""):
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
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise StoreError(f"{path}: broken metadata ({exc})") from None
        if not isinstance(data, dict):
            raise StoreError(f"{path}: metadata is not a JSON object")
        return data

    def read(self, entry_id: str) -> Entry:
        data = self.read_json(entry_id)
        try:
            entry = Entry.from_json(data)
        except InvalidEntry as exc:
            raise StoreError(f"{self.entry_dir(entry_id) / ENTRY_FILE}: {exc}") from None
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
        all_ids = self.ids()
        low = ref.lower()
        if _ID_LIKE.match(low):
            if low in all_ids:
                return low
            matches = [i for i in all_ids if i.startswith(low)]
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                shown = ", ".join(matches[:5]) + (" ..." if len(matches) > 5 else "")
                raise AmbiguousID(f"ID prefix {ref!r} matches {len(matches)} entries ({shown}); give more characters")
        for entry_id in all_ids:  # citekeys are unique; an exact one is a fine reference
            with contextlib.suppress(StoreError):
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
        path = self.entry_dir(entry_id) / HISTORY_FILE
        if not path.exists():
            return []
        out = []
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if line.strip():
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:
                    raise StoreError(f"{path}:{n}: broken history line") from None
        return out

    # ---------------------------------------------------------------- writing (hold the lock)
    def create(self, entry: Entry, files: Iterable[NewFile] = (), *, history: Iterable[dict] = (),
               durable: bool = True) -> Path:
        """Write a whole new entry folder atomically (temp folder + rename)."""
        final = self.entry_dir(entry.id)
        if final.exists():
            raise StoreError(f"entry folder {final} already exists")
        tmp = self.archive / f".tmp-{entry.id}-{secrets.token_hex(4)}"
        tmp.mkdir()
        try:
            for f in files:
                self._write_new(tmp, f, durable=durable)
            lines = "".join(json.dumps(h, ensure_ascii=False) + "\n" for h in history)
            if lines:
                write_file(tmp / HISTORY_FILE, lines.encode("utf-8"), durable=durable)
            write_file(tmp / ENTRY_FILE, entry_bytes(entry), durable=durable)
            if durable:
                _fsync_dir(tmp)
            os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        if durable:
            _fsync_dir(self.archive)
        return final

    def _write_new(self, folder: Path, f: NewFile, *, durable: bool) -> None:
        check_relative_path(f.path)
        target = folder / f.path
        target.parent.mkdir(parents=True, exist_ok=True)
        write_file(target, f.data, durable=durable)
        if durable:
            _fsync_dir(target.parent)

    def add_files(self, entry_id: str, files: Iterable[NewFile], *, durable: bool = True) -> None:
        """Add new files (a new version's snapshot) to an existing entry. Never overwrites: the
        metadata that points at them is written afterwards, so a crash leaves only unreferenced
        files, which ``verify`` reports as extra."""
        folder = self.entry_dir(entry_id)
        for f in files:
            if (folder / f.path).exists():
                raise StoreError(f"{folder / f.path} already exists; snapshots are never overwritten")
            self._write_new(folder, f, durable=durable)

    def update(self, entry: Entry, *, history: Iterable[dict] = (), durable: bool = True) -> None:
        """Replace an entry's metadata atomically and append its history lines."""
        folder = self.entry_dir(entry.id)
        if not (folder / ENTRY_FILE).exists():
            raise EntryNotFound(f"no entry {entry.id!r}")
        lines = "".join(json.dumps(h, ensure_ascii=False) + "\n" for h in history)
        if lines:
            with open(folder / HISTORY_FILE, "ab") as fh:
                fh.write(lines.encode("utf-8"))
                if durable:
                    fh.flush()
                    os.fsync(fh.fileno())
        atomic_write(folder / ENTRY_FILE, entry_bytes(entry), durable=durable)

    def remove(self, entry_id: str) -> None:
        """Delete a whole entry: renamed away first (atomic), then removed."""
        folder = self.entry_dir(entry_id)
        if not folder.exists():
            raise EntryNotFound(f"no entry {entry_id!r}")
        trash = self.archive / f".trash-{entry_id}-{secrets.token_hex(4)}"
        os.rename(folder, trash)
        _fsync_dir(self.archive)
        shutil.rmtree(trash, ignore_errors=True)


def sync_all() -> None:
    """Flush everything written without fsync (bulk imports sync once per batch)."""
    os.sync()
