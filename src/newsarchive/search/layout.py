"""The on-disk layout every engine shares in ``index/``: a small metadata file naming the
current *generation* (one folder holding one engine index), replaced atomically, and a lock
file held by writers and rebuilds.

A rebuild builds a new generation beside the current one and then replaces the metadata
file, so a search during a rebuild reads the old generation until the swap.

The older versions of entries (``search --all-versions``) live in a second index of the same
engine, its *older-versions generation*, named by the metadata key ``older`` (a folder with the
engine's prefix + ``v``). It is kept apart so that the statistics a plain search ranks by (document
counts, average field lengths) are those of the newest versions alone. A rebuild builds both and
swaps them in with one metadata write; an index built before older versions were indexed has no
``older`` key (:func:`older_condition` says "missing").
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any, Callable, Iterable

from ..errors import LockTimeout, SearchIndexError
from ..fsutil import atomic_write, wait_for

REPAIR = "run `newsarchive reindex`"


def read_meta(index_dir: Path, name: str) -> dict[str, Any] | None:
    """An engine's metadata file ``name`` in ``index_dir``: None when missing; damaged -> error."""
    try:
        data = json.loads((index_dir / name).read_text("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        raise SearchIndexError(f"the search index at {index_dir} is damaged; {REPAIR}") from None
    return data if isinstance(data, dict) else None


def meta_or_none(index_dir: Path, name: str) -> dict[str, Any] | None:
    """The metadata, or None when it is missing or damaged (a rebuild replaces it anyway)."""
    try:
        return read_meta(index_dir, name)
    except SearchIndexError:
        return None


def check_meta(index_dir: Path, meta: dict[str, Any] | None, *, schema: int,
               complete: Callable[[Path], bool] = Path.is_dir) -> Path:
    """The current generation's folder, after checking the metadata: it exists, it is of this
    ``schema``, and ``complete(folder)`` holds (each engine says what a whole generation is)."""
    if meta is None:
        raise SearchIndexError(f"there is no search index at {index_dir}; {REPAIR}")
    if meta.get("schema_version") != schema:
        raise SearchIndexError(f"the search index was built by an older version; {REPAIR}")
    gen = index_dir / str(meta.get("generation", ""))
    if not meta.get("generation") or not complete(gen):
        raise SearchIndexError(f"the search index at {index_dir} is incomplete; {REPAIR}")
    return gen


def current(index_dir: Path, name: str, *, schema: int, complete: Callable[[Path], bool] = Path.is_dir) -> Path:
    """The current generation's folder, as :func:`check_meta` finds it from the metadata file.

    A rebuild may swap generations and remove the old one between our reading the metadata and
    looking at the folder it names: then the metadata has changed, and is read again."""
    meta = read_meta(index_dir, name)
    for _ in range(5):
        try:
            return check_meta(index_dir, meta, schema=schema, complete=complete)
        except SearchIndexError:
            again = read_meta(index_dir, name)
            if again == meta:
                raise
            meta = again
    return check_meta(index_dir, meta, schema=schema, complete=complete)


OLDER = "older"


def older_folder(index_dir: Path, name: str, *, schema: int,
                 complete: Callable[[Path], bool] = Path.is_dir) -> Path | None:
    """The older-versions generation's folder, or None when the metadata names none (an index
    built before older versions were indexed). SearchIndexError when the index itself is not
    usable, or the folder named is not a whole generation."""
    meta = read_meta(index_dir, name)
    for _ in range(5):
        try:
            check_meta(index_dir, meta, schema=schema, complete=complete)
            older = (meta or {}).get(OLDER)
            if not older:
                return None
            folder = index_dir / str(older)
            if not complete(folder):
                raise SearchIndexError(f"the older-versions index at {index_dir} is incomplete; {REPAIR}")
            return folder
        except SearchIndexError:
            again = read_meta(index_dir, name)  # a rebuild may have swapped generations meanwhile
            if again == meta:
                raise
            meta = again
    raise SearchIndexError(f"the search index at {index_dir} keeps changing; try again")


def older_condition(index_dir: Path, name: str, *, schema: int,
                    complete: Callable[[Path], bool] = Path.is_dir) -> str:
    """For ``status``: "ok", "missing" (no usable index, or one built before older versions
    were indexed) or "damaged" (the metadata cannot be read, or names a folder that is not a
    whole generation)."""
    try:
        current(index_dir, name, schema=schema, complete=complete)
    except SearchIndexError:
        return "damaged" if condition(index_dir, name, usable=False) == "damaged" else "missing"
    try:
        return "ok" if older_folder(index_dir, name, schema=schema, complete=complete) else "missing"
    except SearchIndexError:
        return "damaged"


def condition(index_dir: Path, name: str, *, usable: bool) -> str:
    """For ``status``: "ok" (``usable``), "missing" (no metadata file), "damaged" (it cannot be
    read) or "outdated" (an older schema, or a generation that is not there)."""
    if usable:
        return "ok"
    if not (index_dir / name).exists():
        return "missing"
    try:
        read_meta(index_dir, name)
    except SearchIndexError:
        return "damaged"
    return "outdated"


def write_meta(index_dir: Path, name: str, data: dict[str, Any]) -> None:
    """Replace the metadata file atomically (written, flushed to disk, then renamed)."""
    data = {**data, "built": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
    atomic_write(index_dir / name, (json.dumps(data, indent=1) + "\n").encode("utf-8"))


def new_generation(index_dir: Path, prefix: str) -> Path:
    """A fresh, empty generation folder ``<prefix>-<stamp>-<pid>-<random>``."""
    path = index_dir / f"{prefix}-{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}-{os.urandom(3).hex()}"
    path.mkdir(parents=True)
    return path


def remove_generations(index_dir: Path, prefix: str, keep: Iterable[str] = ()) -> int:
    """Remove every ``<prefix>-*`` generation folder but ``keep`` (older ones, and builds a
    killed rebuild left behind). Open readers keep their files (POSIX). Returns how many."""
    keep = set(keep)
    removed = 0
    for p in index_dir.glob(f"{prefix}-*"):
        if p.name not in keep and p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
            removed += 1
    return removed


class DirLock:
    """An exclusive lock (``flock``) on the file ``path``, waited for up to ``timeout`` seconds;
    ``what`` says in the timeout message what holds it."""

    def __init__(self, path: Path, timeout: float = 30.0, what: str = "another process is using it"):
        self.path, self.timeout, self.what = Path(path), timeout, what
        self.fd: int | None = None

    def try_acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self.fd = fd
        return True

    def release(self) -> None:
        if self.fd is not None:
            fd, self.fd = self.fd, None
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    def __enter__(self) -> "DirLock":
        if not wait_for(self.try_acquire, timeout=self.timeout):
            raise LockTimeout(
                f"the search index is busy ({self.what}) and stayed locked for "
                f"{self.timeout:g} s; try again when the other command has finished")
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()


def file_token(gen: Path, names: Callable[[Path], Iterable[str]]) -> str:
    """What changes each time an engine commits to the generation folder ``gen``: the folder's
    name and the names, sizes, times and inodes of the files ``names`` picks (the files a
    commit replaces, like tantivy's meta.json or Whoosh's TOC)."""
    parts = [gen.name]
    for name in sorted(names(gen)):
        s = os.stat(gen / name)
        parts.append(f"{name}:{s.st_size}:{s.st_mtime_ns}:{s.st_ino}")
    return "|".join(parts)
