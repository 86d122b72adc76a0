"""The byte-level writes of the store's commit protocol (split out of store.py, which imports
them; the protocol itself is described there): a new file written whole through plain file
descriptors, an applied change rewritten in place from its first differing byte, and the
base64 a journal carries file bytes in."""

from __future__ import annotations

import errno
import functools
import os
from pathlib import Path
from typing import Any

ENV_CRASH = "NEWSARCHIVE_CRASH_AT"  # test hook: SIGKILL this process at a named point
ENV_WRITER_OF = "NEWSARCHIVE_WRITER_OF"  # set in the import's writer process: the import's PID
ENV_FAIL = "NEWSARCHIVE_FAIL_WRITE"  # test hook: "N:ERRNO": the writer process's Nth new folder fails so
_written = [0]  # new folders written by this process (for ENV_FAIL)


def crash_point(name: str) -> None:
    """Fault injection for the test suite and bench/crash.py: when ``$NEWSARCHIVE_CRASH_AT``
    names this point, the process kills itself here (SIGKILL: no cleanup runs, as in a crash).
    In the import's writer process (store_queue.py), the import process is killed with it."""
    if os.environ.get(ENV_CRASH) == name:
        import signal

        if os.environ.get(ENV_WRITER_OF):
            os.kill(int(os.environ[ENV_WRITER_OF]), signal.SIGKILL)
        os.kill(os.getpid(), signal.SIGKILL)


def rename_new(src: str, dst: str) -> None:
    """Rename ``src`` to ``dst``, which must not exist (FileExistsError, nothing changed): Linux's
    renameat2(RENAME_NOREPLACE), which decides it atomically; elsewhere (or on a file system
    without it) a check, then the rename (only the collection's lock holder writes there)."""
    fn = _renameat2()
    if fn is not None:
        import ctypes

        if fn(-100, os.fsencode(src), -100, os.fsencode(dst), 1) == 0:  # AT_FDCWD, RENAME_NOREPLACE
            return
        code = ctypes.get_errno()
        if code == errno.EEXIST:
            raise FileExistsError(code, os.strerror(code), dst)
        if code not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):  # else: not here, as below
            raise OSError(code, os.strerror(code), dst)
    if os.path.lexists(dst):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), dst)
    os.rename(src, dst)


@functools.cache
def _renameat2() -> Any:
    """libc's renameat2, or None where there is none."""
    try:
        import ctypes

        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return fn


def write_folder(archive: str, entry_id: str, final: str, files: list[tuple[str, bytes]], *,
                 durable: bool, mtime_ns: int | None, write: Any = None,
                 no_replace: bool = False) -> tuple[int, int] | None:
    """The writing half of ``Store.create``: ``files`` ((relative path, bytes), entry.json and
    the manifest last) into ``archive/.tmp-<id>-<token>/``, renamed to ``final``. An OSError
    leaves nothing behind. Returns entry.json's (mtime_ns, size) when ``mtime_ns`` is given.
    ``write``: the function that writes one file (:func:`write_file`). ``no_replace``: refuse
    (FileExistsError) when ``final`` exists, even as an empty folder (:func:`rename_new`)."""
    import secrets
    import shutil

    from .fsutil import fsync_dir as _fsync_dir

    write = write or write_file
    tmp = os.path.join(archive, f".tmp-{entry_id}-{secrets.token_hex(4)}")
    stamp = None
    try:
        os.mkdir(tmp)
        made = {tmp}  # folders made so far: one mkdir each (a snapshot's v1/ holds 2-3 files)
        for rel, data in files:
            target = os.path.join(tmp, rel)
            parent = os.path.dirname(target)
            if parent not in made:
                os.makedirs(parent, exist_ok=True)
                made.add(parent)
            if rel == "entry.json" and mtime_ns is not None:
                stamp = write(target, data, durable=durable, mtime_ns=mtime_ns)
            else:
                write(target, data, durable=durable)
        if durable:
            for folder in sorted(made, key=len, reverse=True):
                _fsync_dir(folder)
        _written[0] += 1
        fail = os.environ.get(ENV_FAIL, "") if os.environ.get(ENV_WRITER_OF) else ""
        if fail and int(fail.split(":")[0]) == _written[0]:
            code = int(fail.split(":")[1])
            raise OSError(code, os.strerror(code))
        crash_point("create-staged")
        if no_replace:
            rename_new(tmp, final)
        else:
            os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if durable:
        _fsync_dir(archive)
    return stamp


def write_file(path: Path | str, data: bytes, *, durable: bool = True,
               mtime_ns: int | None = None) -> tuple[int, int] | None:
    """Write a new file of an entry completely (never over an existing one), as
    :func:`newsarchive.fsutil.write_file` does, with plain file descriptors and no Python file
    object: a bulk import writes five files per entry. ``mtime_ns``: set the file's modification
    time to it, and return the (mtime_ns, size) the file then has (a file system with coarser
    times keeps less than was asked)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        stamp = None
        if mtime_ns is not None:
            os.utime(fd if os.utime in os.supports_fd else path, ns=(mtime_ns, mtime_ns))
            st = os.fstat(fd)
            stamp = (st.st_mtime_ns, st.st_size)
        if durable:
            os.fsync(fd)
        return stamp
    finally:
        os.close(fd)


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    import base64

    return base64.b64decode(text)


def _rewrite_in_place(path: Path, data: bytes, *, durable: bool) -> None:
    """Make ``path`` hold ``data``, writing only from the first byte that differs (an appended
    history line costs one small write). Not atomic: used only while a committed change is
    applied, which recovery repeats until it is complete."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        with os.fdopen(fd, "r+b", closefd=False) as fh:
            old = fh.read()
            same = 0
            limit = min(len(old), len(data))
            if old[:limit] == data[:limit]:
                same = limit
            else:
                while same < limit and old[same] == data[same]:
                    same += 1
            fh.seek(same)
            fh.write(data[same:])
            fh.truncate(len(data))
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
    finally:
        os.close(fd)
