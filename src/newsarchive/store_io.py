"""The byte-level writes of the store's commit protocol (split out of store.py, which imports
them; the protocol itself is described there): a new file written whole through plain file
descriptors, an applied change rewritten in place from its first differing byte, and the
base64 a journal carries file bytes in."""

from __future__ import annotations

import os
from pathlib import Path


def write_file(path: Path | str, data: bytes, *, durable: bool = True) -> None:
    """Write a new file of an entry completely (never over an existing one), as
    :func:`newsarchive.fsutil.write_file` does, with plain file descriptors and no Python file
    object: a bulk import writes five files per entry."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        if durable:
            os.fsync(fd)
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
