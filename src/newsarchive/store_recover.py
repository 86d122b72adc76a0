"""Recovery when a writer takes the collection lock: the sweep, and the "left clean" mark that
lets a writer skip it.

**The sweep** (:func:`sweep`) finishes or takes back what an interrupted writer left in the
archive folder: a committed change (``.commit-*.json``: rolled forward), an uncommitted one
(``.tmp-*.json`` with the files it names inside the entry folder, ``.tmp-*/`` staging of a new
entry: rolled back), ``.trash-*/`` of a removal, stray ``*.tmp`` files. Every one of these lives
in the archive folder itself (what a change stages inside an entry folder is named by its
journal there), so the sweep lists that folder: one pass over every entry's name, 40 ms at
100,000 entries.

**The mark** says "the last writer left nothing behind". It is the content of the lock file
(``archive/.lock``, so writing it does not change the archive folder) and names the archive
folder's stamp (device, inode, mtime_ns, ctime_ns, link count) as that writer left it. Creating,
renaming or removing any name in the archive folder changes its ctime (which no tool can set
back), so a mark whose stamp is still the folder's proves that nothing was added or removed
there since: the sweep would find nothing and is skipped. The rules:

- taking the lock removes the mark (the lock file emptied and flushed) before anything is
  written: a writer killed at any point after that never leaves a mark, so the next one sweeps;
- the mark is written only when the lock is released after a block that ended normally, every
  store write under the lock returned normally (an exception that escaped one, even if caught
  by its caller, means something may be left half done), none is still running, and the
  folder's stamp is still the one the last of them left (anything else that changed the folder
  meanwhile, by hand or by an older version, forfeits the mark);
- the mark is written only once the clock has moved past the folder's times, so that any
  later change (by an older version that knows nothing of the mark, or by hand) gives the
  folder another stamp; on a file system that keeps times to the second or millisecond (whole
  values), or when the folder's time is ahead of the clock, no mark is written at all; nor on a
  file system not known to be local (:data:`LOCAL_FILE_SYSTEMS`: a network client may see
  another client's change late, through its cached attributes);
- a store write made through another object than the one holding the lock (or without the
  lock) is not seen by the lock's bookkeeping: it appends a byte to the lock file, and a lock
  file that is not empty at release gets no mark; an entry folder staged to be written by
  another process (a bulk import's writer, store_queue.py) means no mark for that hold either;
- a mark that cannot be read or does not match exactly is no mark: the sweep runs.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from .ondisk import ENTRY_FILE, ID_LIKE

if TYPE_CHECKING:  # pragma: no cover
    from .store import Store

COMMIT_PREFIX = ".commit-"
MARK = b"newsarchive left-clean 1 "
#: how long the release may wait for the clock to move past the folder's last change
SETTLE_S = 0.05
log = logging.getLogger("newsarchive")


# --------------------------------------------------------------------------- the sweep

def sweep(store: "Store") -> None:
    """Recovery, under the lock: finish every committed change an interrupted writer left
    (``.commit-*``: roll forward), delete uncommitted staging (``.tmp-*``: roll back), trash
    (``.trash-*``) and temp files. Each step is logged (the CLI shows it as a note)."""
    from .errors import StoreError

    with os.scandir(store.archive) as it:
        found = sorted((d.name, d.path, d.is_dir(follow_symlinks=False)) for d in it if d.name.startswith("."))
    for name, path, is_dir in found:
        if name.startswith((COMMIT_PREFIX, ".tmp-")) and name.endswith(".json") and not is_dir:
            try:
                journal = json.loads(Path(path).read_bytes())
                entry_id = journal["id"]
                ok = bool(ID_LIKE.match(entry_id)) and (store.archive / entry_id / ENTRY_FILE).is_file()
            except (OSError, ValueError, KeyError, TypeError):
                journal, ok = None, False
            if name.startswith(COMMIT_PREFIX) and ok:
                try:
                    store._apply(Path(path), journal, durable=True)
                except OSError as exc:
                    raise StoreError(f"cannot finish a change to entry {entry_id} that an interrupted command "
                                     f"committed ({exc.strerror or exc}); fix that and run any command "
                                     "that writes again") from None
                log.warning("finished a change to entry %s that an interrupted command had committed", entry_id)
            else:
                if journal is not None and ok:
                    store._discard(Path(path), journal)
                else:
                    with contextlib.suppress(OSError):
                        os.unlink(path)
                log.warning("rolled back a change that an interrupted command had not committed (%s)", name)
        elif name.startswith(".tmp-") and is_dir:
            shutil.rmtree(path, ignore_errors=True)
            log.warning("rolled back a change that an interrupted command had not committed (%s)", name)
        elif name.startswith(".trash-") and is_dir:
            shutil.rmtree(path, ignore_errors=True)
        elif name.endswith(".tmp") and not is_dir:
            with contextlib.suppress(OSError):
                os.unlink(path)


# --------------------------------------------------------------------------- the mark

F = TypeVar("F", bound=Callable[..., Any])


def tracked(method: F) -> F:
    """For the store's writes: the lock's :class:`Session` learns whether each returned normally
    and the archive folder's stamp after it (outside the lock: nothing to learn)."""
    import functools

    @functools.wraps(method)
    def write(store: "Store", *args: Any, **kwargs: Any) -> Any:
        session = store._session
        if session is None:  # not through the object holding the lock: no mark after this hold
            _spoil(store.archive)
            return method(store, *args, **kwargs)
        session.running += 1
        try:
            out = method(store, *args, **kwargs)
        except BaseException:
            session.failed = True
            raise
        finally:
            session.running -= 1
        session.stamp = folder_stamp(store.archive)
        return out

    return write  # type: ignore[return-value]


def folder_stamp(archive: Path) -> bytes | None:
    """The archive folder's stamp: changes whenever a name in it is created, renamed or removed."""
    try:
        s = os.stat(archive)
    except OSError:
        return None
    return f"{s.st_dev}:{s.st_ino}:{s.st_mtime_ns}:{s.st_ctime_ns}:{s.st_nlink}".encode("ascii")


class Session:
    """What the store wrote under one hold of the lock: whether every write returned normally,
    how many are running, and the archive folder's stamp after the last of them."""

    __slots__ = ("failed", "running", "stamp", "on_release")

    def __init__(self, stamp: bytes | None):
        self.failed = stamp is None
        self.running = 0
        self.stamp = stamp
        #: called (best effort) before the lock is released: what a holder deferred to the end
        self.on_release: list[Callable[[], Any]] = []

    def released(self) -> None:
        for call in self.on_release:
            with contextlib.suppress(Exception):
                call()
        self.on_release.clear()

    def clean(self, archive: Path) -> bytes | None:
        """The stamp to mark, when this hold of the lock left nothing behind; else None."""
        if self.failed or self.running or self.stamp is None:
            return None
        return self.stamp if folder_stamp(archive) == self.stamp else None


def written_elsewhere(method: F) -> F:
    """For :meth:`Store.stage_new`: a folder staged outside :meth:`Store.create` is written by
    someone this lock session cannot watch (the import's writer process, store_queue.py), so
    this hold of the lock leaves no mark (the next writer sweeps)."""
    import functools

    @functools.wraps(method)
    def stage(store: "Store", *args: Any, **kwargs: Any) -> Any:
        session = store._session
        if session is None:
            _spoil(store.archive)
        elif not session.running:  # not from inside create (which writes it itself)
            session.failed = True
        return method(store, *args, **kwargs)

    return stage  # type: ignore[return-value]


def _spoil(archive: Path) -> None:
    """A store write that no lock session sees (another object than the one holding the lock,
    or no lock at all) leaves a byte in the lock file: whoever holds the lock writes no mark
    (it finds the file no longer empty), and no mark can match."""
    with contextlib.suppress(OSError):
        fd = os.open(archive / ".lock", os.O_WRONLY | os.O_APPEND)
        try:
            os.write(fd, b"-")
        finally:
            os.close(fd)


def take(fd: int, archive: Path) -> bool:
    """At lock acquisition: True when the previous writer left the archive clean (the sweep can
    be skipped). The mark is removed, durably, before the caller writes anything."""
    try:
        held = os.pread(fd, 256, 0)
    except OSError:
        return False
    if not held:
        return False
    try:
        os.ftruncate(fd, 0)
        os.fsync(fd)
    except OSError:
        return False
    stamp = folder_stamp(archive)
    return stamp is not None and held == MARK + stamp + b"\n"


def _times_settled(stamp: bytes) -> bool:
    """True once the clock is past the folder's last change (so that any later change gives it
    another time), waiting up to :data:`SETTLE_S`; False on a file system whose times are whole
    milliseconds or coarser, or when the folder's time is ahead of the clock."""
    try:
        mtime, ctime = (int(v) for v in stamp.split(b":")[2:4])
    except ValueError:
        return False
    if mtime % 1_000_000 == 0 and ctime % 1_000_000 == 0:
        return False  # times kept to the millisecond or coarser: a later change could look the same
    # the clock Linux stamps files with: it lags the precise one by up to a tick (4 ms at 250 Hz)
    clock = getattr(time, "CLOCK_REALTIME_COARSE", 5 if sys.platform.startswith("linux") else None)

    def now() -> int:
        if clock is not None:
            with contextlib.suppress(OSError):
                return time.clock_gettime_ns(clock)
        return time.time_ns() - 20_000_000  # no such clock: as if it lagged by 20 ms

    last = max(mtime, ctime) + 1_000_000  # a millisecond past it (file systems that keep microseconds)
    deadline = time.monotonic() + SETTLE_S
    while now() <= last:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.001)
    return True


#: file systems whose folder times are kept by this machine's kernel, to the nanosecond; on a
#: network file system another client's change may reach this one's stat late (cached
#: attributes), so no mark is written there
LOCAL_FILE_SYSTEMS = frozenset({"ext2", "ext3", "ext4", "xfs", "btrfs", "tmpfs", "f2fs", "zfs", "bcachefs",
                                "overlay"})


def file_system(path: Path) -> str | None:
    """The type of the file system holding ``path`` (Linux: /proc/self/mountinfo), or None."""
    try:
        where = os.path.realpath(path)
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return None
    best, kind = "", None
    for line in lines:
        head, sep, tail = line.partition(" - ")
        fields = head.split()
        if not sep or len(fields) < 5 or not tail.split():
            continue
        point = fields[4].replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\")
        inside = where == point or where.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):  # the last of equal mounts is the one on top
            best, kind = point, tail.split()[0]
    return kind


def leave(fd: int, archive: Path, session: Session) -> None:
    """At a normal release: write the mark when this hold of the lock left nothing behind.
    Best effort (no mark only means the next writer sweeps)."""
    stamp = session.clean(archive)
    if stamp is None or file_system(archive) not in LOCAL_FILE_SYSTEMS or not _times_settled(stamp):
        return
    if folder_stamp(archive) != stamp:  # changed while waiting
        return
    data = MARK + stamp + b"\n"
    with contextlib.suppress(OSError):
        if os.fstat(fd).st_size:  # spoilt by a write this session did not see
            return
        if os.pwrite(fd, data, 0) == len(data):
            os.ftruncate(fd, len(data))
