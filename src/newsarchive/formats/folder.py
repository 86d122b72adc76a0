"""A folder tree of saved pages (.html, .htm, .xhtml, .txt, .md): one record per file.

The walk never follows a symbolic link that leads outside the folder, and never reads
anything but regular files; records come in sorted path order so that reruns are stable.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

from ..errors import NewsArchiveError
from ..fsutil import inside
from ..media import PAGE_SUFFIXES
from ..model import MAX_SNAPSHOT_BYTES
from .records import Record, failed, read_snapshot_file, skipped

SUFFIXES = PAGE_SUFFIXES
MAX_BYTES = MAX_SNAPSHOT_BYTES


def read(path: Path) -> Iterator[Record]:
    root = path.resolve()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            media_type = SUFFIXES.get(Path(name).suffix.lower())
            if media_type is None:
                continue
            full = Path(dirpath) / name
            rel = full.relative_to(root).as_posix()
            try:
                real = inside(root, rel)
            except (OSError, RuntimeError):  # a symbolic link loop
                yield failed(rel, f"{rel}: a link that leads nowhere (a loop); not followed")
                continue
            if real is None:
                yield failed(rel, f"{rel}: a link that leaves the folder; not followed")
                continue
            if not real.is_file():  # a folder or a device named like a page
                yield skipped(rel, f"{rel}: not a regular file")
                continue
            try:
                data = read_snapshot_file(real, name=rel, limit=MAX_BYTES)
            except NewsArchiveError as exc:
                yield failed(rel, str(exc))
                continue
            yield Record(ref=rel, data=data, media_type=media_type, source=rel, origin="imported")


def count(path: Path) -> int:
    """How many files :func:`read` would take, counted without reading them (progress ETA)."""
    n = 0
    for _dirpath, dirnames, filenames in os.walk(path, followlinks=False):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        n += sum(1 for f in filenames if not f.startswith(".") and Path(f).suffix.lower() in SUFFIXES)
    return n
