"""Keeping an import's resident memory down while tantivy writes (issue 12).

Two things grow an import's memory that are not data it still needs:

- **freed heap that glibc keeps.** Tantivy's writer threads (indexing, merging) allocate their
  buffers in glibc arenas of their own and free them at each commit; glibc keeps those pages for
  reuse, so the process's resident memory climbs batch after batch. :func:`release_heap` gives
  the free pages back (``malloc_trim``) once a commit is over.
- **index files a merge has read.** A merge reads its segments through memory maps; every page
  it has read stays resident in this process until the merged segments are deleted. Near
  100,000 articles the last merges read most of the index (~200 MB). :class:`ReleasePages`
  asks the kernel, while a commit's merges run, to take those pages back
  (``madvise(MADV_PAGEOUT)``): a page is read again from the file when touched, so nothing
  changes but the memory. The advice is only ever a hint; on memory that is not a file's it
  does nothing without swap, and never loses data with it.

Both use the C library through ctypes and do nothing where it lacks them (``malloc_trim`` is
glibc's; ``/proc/self/maps`` and ``MADV_PAGEOUT`` are Linux's).
"""

from __future__ import annotations

import functools
import os
import threading
from pathlib import Path
from typing import Any

MADV_PAGEOUT = 21  # Linux 5.4+; older kernels refuse it (EINVAL) and nothing is released


@functools.lru_cache(maxsize=1)
def _libc() -> Any:
    if not os.path.exists("/proc/self/maps"):  # not Linux
        return None
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        libc.madvise.restype = ctypes.c_int
    except (OSError, AttributeError):
        return None
    return libc


def release_heap() -> bool:
    """Return the C heap's free pages to the system (glibc's ``malloc_trim``). False where
    there is no such call."""
    libc = _libc()
    trim = getattr(libc, "malloc_trim", None) if libc is not None else None
    if trim is None:
        return False
    trim(0)
    return True


def mapped_ranges(folder: Path, maps: str | None = None) -> list[tuple[int, int]]:
    """(start, length) of this process's memory maps of files under ``folder`` (also of such
    files deleted since), from ``/proc/self/maps`` (or the text ``maps``)."""
    prefix = os.path.realpath(folder) + os.sep
    if maps is None:
        try:
            with open("/proc/self/maps", encoding="utf-8", errors="replace") as fh:
                maps = fh.read()
        except OSError:
            return []
    out = []
    for line in maps.splitlines():
        parts = line.split(None, 5)
        if len(parts) < 6:
            continue
        path = parts[5]
        if path.endswith(" (deleted)"):
            path = path[: -len(" (deleted)")]
        if not path.startswith(prefix):
            continue
        lo, _, hi = parts[0].partition("-")
        try:
            start, end = int(lo, 16), int(hi, 16)
        except ValueError:
            continue
        if end > start:
            out.append((start, end - start))
    return out


def release_pages(folder: Path) -> int | None:
    """Advise the kernel to take back this process's resident pages of the files mapped from
    under ``folder``. Returns how many bytes of maps were advised, None when the kernel (or the
    platform) does not take the advice."""
    libc = _libc()
    if libc is None:
        return None
    import ctypes

    done = 0
    for start, length in mapped_ranges(folder):
        if libc.madvise(start, length, MADV_PAGEOUT) != 0:
            if ctypes.get_errno() == 22:  # EINVAL: this kernel has no MADV_PAGEOUT
                return None
            continue  # ENOMEM: unmapped meanwhile (the merge ended and dropped it)
        done += length
    return done


class ReleasePages:
    """While the ``with`` block runs (a commit and its merges), release the pages of the files
    under ``folder`` every ``every`` seconds, from a thread of its own (tantivy lets other
    threads run while it commits and merges). Ends with the block; never raises."""

    def __init__(self, folder: Path, *, every: float = 0.25) -> None:
        self.folder = Path(folder)
        self.every = every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "ReleasePages":
        if _libc() is not None:
            self._thread = threading.Thread(target=self._run, name="newsarchive-release-pages", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                if release_pages(self.folder) is None:
                    return
            except Exception:  # noqa: BLE001 - a hint only: the commit goes on regardless
                return

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
