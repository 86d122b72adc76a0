"""An import's memory on the tantivy engine (issue 12): freed heap given back, the pages of
index files a merge has read released, the word caches held once."""

from __future__ import annotations

import mmap
import os
import platform
import sys
import time

import pytest

from newsarchive.search import analysis
from newsarchive.search.tantivy import memory
from newsarchive.search.tantivy.schema import _analysed, _chunks, _pieces

LINUX = sys.platform.startswith("linux")


def _kernel_has_pageout() -> bool:
    try:
        major, minor = (int(x) for x in platform.release().split(".")[:2])
    except ValueError:
        return False
    return (major, minor) >= (5, 4)


def _resident_kb(start: int) -> int:
    """Rss of this process's map starting at ``start`` (from /proc/self/smaps)."""
    inside = False
    with open("/proc/self/smaps", encoding="utf-8") as fh:
        for line in fh:
            first = line.split(None, 1)[0]
            if "-" in first and not first.endswith(":"):
                inside = int(first.split("-")[0], 16) == start
            elif inside and first == "Rss:":
                return int(line.split()[1])
    raise AssertionError(f"no map at {start:#x}")


def _write_synced(path, data: bytes) -> None:
    """As tantivy's segment files are when a merge reads them: written and synced."""
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def test_mapped_ranges_reads_the_maps_of_files_under_the_folder_only(tmp_path):
    folder = tmp_path / "t-1"
    other = tmp_path / "t-10"  # shares the name's beginning, not the folder
    maps = "\n".join([
        f"7f0000000000-7f0000004000 r--s 00000000 08:01 11 {folder}/a.idx",
        f"7f0000010000-7f0000012000 r--s 00000000 08:01 12 {folder}/b.pos (deleted)",
        f"7f0000020000-7f0000021000 r--s 00000000 08:01 13 {other}/c.idx",
        "7f0000030000-7f0000031000 rw-p 00000000 00:00 0 ",
        "7f0000040000-7f0000041000 rw-p 00000000 00:00 0 [heap]",
        f"7f0000050000-7f0000052000 r--s 00000000 08:01 14 {folder}/name with spaces.term",
    ])
    assert memory.mapped_ranges(folder, maps) == [
        (0x7F0000000000, 0x4000), (0x7F0000010000, 0x2000), (0x7F0000050000, 0x2000)]
    assert memory.mapped_ranges(tmp_path / "nowhere", maps) == []


@pytest.mark.skipif(not LINUX, reason="/proc and madvise are Linux's")
def test_release_pages_drops_the_resident_pages_and_keeps_the_contents(tmp_path):
    if not _kernel_has_pageout():
        assert memory.release_pages(tmp_path) in (None, 0)
        return
    data = os.urandom(4 << 20)
    path = tmp_path / "seg.pos"
    _write_synced(path, data)
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        assert bytes(mm) == data  # every page read: resident
        start = memory.mapped_ranges(tmp_path)[0][0]
        assert _resident_kb(start) >= 4000
        assert memory.release_pages(tmp_path) == 4 << 20
        assert _resident_kb(start) < 1000
        assert bytes(mm) == data  # read again from the file, unchanged


@pytest.mark.skipif(not LINUX, reason="/proc and madvise are Linux's")
def test_release_pages_runs_while_the_block_runs_and_stops_with_it(tmp_path):
    if not _kernel_has_pageout():
        pytest.skip("this kernel has no MADV_PAGEOUT (Linux 5.4+)")
    data = os.urandom(2 << 20)
    path = tmp_path / "seg.idx"
    _write_synced(path, data)
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        start = memory.mapped_ranges(tmp_path)[0][0]
        with memory.ReleasePages(tmp_path, every=0.01) as releaser:
            assert bytes(mm) == data
            deadline = time.monotonic() + 5
            while _resident_kb(start) > 500 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert _resident_kb(start) <= 500
        assert releaser._thread is None
        assert bytes(mm) == data
        assert _resident_kb(start) >= 2000  # after the block, nothing releases them any more


@pytest.mark.skipif(not LINUX, reason="malloc_trim is glibc's")
def test_release_heap_calls_glibc():
    if platform.libc_ver()[0] != "glibc":
        assert memory.release_heap() is False
    else:
        assert memory.release_heap() is True


def test_term_uncached_is_term_without_filling_the_cache():
    words = ["Sanctions", "sanctioned", "U.S.", "1,000", "Vučić", "Straße", "cities", "O'Brien", "ab"]
    fresh = analysis.Analyzer()
    for w in words:
        for stemming in (True, False):
            assert fresh.term_uncached(w, stemming) == analysis.Analyzer().term(w, stemming)
    assert fresh._cache == {}


def test_tantivy_documents_do_not_fill_the_analyzer_cache():
    text = "Zorblat quendish marrovine sanctioned the US-backed O'Brien plan, Vučić said."
    terms = [(t.text, t.pos) for t in analysis.TEXT(text, positions=True, mode="index")]
    analysis.TEXT.clean()
    _pieces.clear()
    _chunks.clear()
    got = _analysed(text, analysis.TEXT, True)
    assert got == terms  # pre-tokenized (the compound and the apostrophe): the analyzer's terms
    cached = analysis.TEXT._cache
    # the plain words are cached once, by the tantivy documents' own cache; only the slow path
    # (the words that make several terms) goes through the analyzer's
    assert "Zorblat" in _pieces[(True, True)] and "Zorblat" not in cached
    assert "quendish" not in cached and "sanctioned" not in cached
    assert "US-backed" in _pieces[(True, True)]
