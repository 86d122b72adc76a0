"""File-system helpers every layer uses, one of each: writing a file whole or replacing one
atomically, flushing to the disk, keeping a path inside its folder, and waiting for a lock.

Nothing here knows about collections or entries (see :mod:`newsarchive.store` for those).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from pathlib import Path
from typing import Callable


def fsync_dir(path: Path) -> None:
    """Make a folder's entries (a file created or renamed in it) durable; best effort."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_file(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write a new file completely (never over an existing one)."""
    with open(path, "xb") as fh:
        fh.write(data)
        if durable:
            fh.flush()
            os.fsync(fh.fileno())


def atomic_write(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Replace ``path`` with ``data``: a temp file beside it, fsync, rename. Readers see the old
    file or the new one, never a part; a failure leaves the old one and no temp file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        write_file(tmp, data, durable=durable)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    if durable:
        fsync_dir(path.parent)


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


@contextlib.contextmanager
def syncing_filesystem(path: Path):
    """:func:`sync_filesystem` of ``path`` in a thread while the block runs (the kernel
    flushes while this process works: the call waits for the disk without Python's lock);
    the block ends once the sync did, and an error of the sync is raised then."""
    import threading

    failure: list[BaseException] = []

    def sync() -> None:
        try:
            sync_filesystem(path)
        except BaseException as exc:  # noqa: BLE001 - raised in the caller's thread below
            failure.append(exc)

    thread = threading.Thread(target=sync, name="newsarchive-sync", daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join()
    if failure:
        raise failure[0]


def inside(folder: str | os.PathLike[str], relpath: str | os.PathLike[str], *,
           allow_self: bool = False) -> Path | None:
    """``folder/relpath`` resolved (symbolic links followed), or None when it resolves outside
    ``folder`` (``..``, an absolute path, a link that leads away) or is ``folder`` itself
    (unless ``allow_self``: a manifest may name its own folder as an entry's files)."""
    base = Path(folder).resolve()
    target = (base / relpath).resolve()
    if base in target.parents or (allow_self and target == base):
        return target
    return None


def wait_for(attempt: Callable[[], bool], *, timeout: float, delay: float = 0.01,
             max_delay: float = 0.2) -> bool:
    """Call ``attempt`` until it returns True (a lock taken) or ``timeout`` seconds have passed;
    the pause between tries doubles from ``delay`` up to ``max_delay``. Returns whether it
    succeeded. Used by every lock that is polled (fcntl locks taken without blocking)."""
    deadline = time.monotonic() + max(0.0, timeout)
    while True:
        if attempt():
            return True
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(delay, left))
        delay = min(delay * 2, max_delay)
