"""Where a Whoosh index lives in ``index/`` (see :mod:`..layout`)::

    index_dir/
      index.json          {"schema_version": N, "generation": "g-...", "older": "gv-...", ...}
                          (replaced atomically)
      g-<stamp>/          one Whoosh index (segments, TOC, WRITELOCK)
      gv-<stamp>/         the older-versions index (same schema; see ..layout)
      rebuild.lock        held while a rebuild builds and swaps generations

One document per entry in ``g-``; the body is the newest snapshot's text. One document per
older version in ``gv-`` (the entry as that version showed it, that version's text).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ...errors import SearchIndexError
from .. import layout
from .schema import SCHEMA_VERSION

META_NAME = "index.json"
PREFIX = "g"
OLDER_PREFIX = "gv"
REBUILD_LOCK = "rebuild.lock"
REPAIR = layout.REPAIR


def read_meta(index_dir: Path) -> dict[str, Any] | None:
    return layout.read_meta(index_dir, META_NAME)


def meta_or_none(index_dir: Path) -> dict[str, Any] | None:
    return layout.meta_or_none(index_dir, META_NAME)


def check_meta(index_dir: Path, meta: dict[str, Any] | None) -> Path:
    return layout.check_meta(index_dir, meta, schema=SCHEMA_VERSION)


def current(index_dir: Path) -> Path:
    """The current generation's folder (SearchIndexError when missing, old or incomplete)."""
    return layout.current(index_dir, META_NAME, schema=SCHEMA_VERSION)


def older(index_dir: Path) -> Path | None:
    """The older-versions generation's folder; None when the index has none (built before
    older versions were indexed). SearchIndexError when the index is not usable."""
    return layout.older_folder(index_dir, META_NAME, schema=SCHEMA_VERSION)


def write_meta(index_dir: Path, generation: str, extra: dict[str, Any] | None = None) -> None:
    layout.write_meta(index_dir, META_NAME, {"schema_version": SCHEMA_VERSION, "generation": generation,
                                             **(extra or {})})


def rebuild_lock(index_dir: Path, timeout: float, what: str) -> layout.DirLock:
    return layout.DirLock(index_dir / REBUILD_LOCK, timeout, what)


def sweep(index_dir: str | os.PathLike) -> int:
    """Remove generation folders other than the current one: what a killed rebuild left.
    Skipped while a rebuild runs. Returns how many were removed."""
    index_dir = Path(index_dir)
    meta = meta_or_none(index_dir)
    if not meta or not meta.get("generation") or not index_dir.is_dir():
        return 0
    lock = rebuild_lock(index_dir, 0, "a rebuild is running")
    try:
        if not lock.try_acquire():
            return 0
    except OSError:
        return 0
    try:
        meta = meta_or_none(index_dir) or {}
        if not meta.get("generation"):
            return 0
        return (layout.remove_generations(index_dir, PREFIX, keep=[str(meta["generation"])])
                + layout.remove_generations(index_dir, OLDER_PREFIX, keep=[str(meta.get(layout.OLDER) or "")]))
    finally:
        lock.release()


def exists(index_dir: str | os.PathLike) -> bool:
    """True when a usable index of the current schema version is there."""
    try:
        current(Path(index_dir))
        return True
    except SearchIndexError:
        return False


def storage(gen: Path, *, mmap: bool = True):
    """The Whoosh storage of a generation. Searches memory-map the segment files (fastest).
    Writers do not: merging maps every segment it reads, and a long import's resident memory
    grew with the index (6,000 synthetic articles: 306 MB with maps, 211 MB without, for 20%
    more time; buffering small files or separate segment files saved little of that time)."""
    from whoosh.filedb.filestore import FileStorage

    return FileStorage(str(gen), supports_mmap=mmap)


def open_index(gen: Path, *, mmap: bool = True):
    return storage(gen, mmap=mmap).open_index()


def damaged(index_dir: Path, exc: BaseException) -> SearchIndexError:
    return SearchIndexError(f"the search index at {index_dir} is damaged "
                            f"({exc.__class__.__name__}: {str(exc)[:120]}); {REPAIR}")
