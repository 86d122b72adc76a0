"""fsutil and media: the one helper each for atomic writes, inside-a-folder paths, lock
polling and media-type sniffing. Bytes below are samples written for these tests."""

from __future__ import annotations

import errno
import os

import pytest

from newsarchive import fsutil, media


def test_atomic_write_replaces_whole_and_leaves_no_temp(tmp_path):
    path = tmp_path / "settings.sample"
    path.write_bytes(b"old")
    fsutil.atomic_write(path, b"new contents")
    assert path.read_bytes() == b"new contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["settings.sample"]


def test_a_failed_atomic_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "keep.sample"
    path.write_bytes(b"old")

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fsutil.os, "replace", full)
    with pytest.raises(OSError):
        fsutil.atomic_write(path, b"new")
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.sample"]


def test_write_file_never_overwrites(tmp_path):
    path = tmp_path / "once.sample"
    fsutil.write_file(path, b"first", durable=False)
    with pytest.raises(FileExistsError):
        fsutil.write_file(path, b"second", durable=False)
    assert path.read_bytes() == b"first"


def test_inside_refuses_what_leaves_the_folder(tmp_path):
    folder = tmp_path / "files"
    (folder / "v1").mkdir(parents=True)
    (folder / "v1" / "a.txt").write_text("sample")
    (tmp_path / "secret.txt").write_text("outside")
    os.symlink(tmp_path / "secret.txt", folder / "link.txt")
    assert fsutil.inside(folder, "v1/a.txt") == (folder / "v1" / "a.txt").resolve()
    assert fsutil.inside(folder, "v1/../v1/a.txt") == (folder / "v1" / "a.txt").resolve()
    for bad in ("../secret.txt", str(tmp_path / "secret.txt"), "link.txt", ".", "v1/../.."):
        assert fsutil.inside(folder, bad) is None, bad


def test_inside_allow_self_accepts_the_folder_but_nothing_outside(tmp_path):
    folder = tmp_path / "files"
    folder.mkdir()
    (tmp_path / "secret.txt").write_text("outside")
    assert fsutil.inside(folder, ".", allow_self=True) == folder.resolve()
    assert fsutil.inside(folder, "sub/..", allow_self=True) == folder.resolve()
    for bad in ("..", "../secret.txt", str(tmp_path)):
        assert fsutil.inside(folder, bad, allow_self=True) is None, bad


def test_jsonl_snapshot_folder_may_be_the_manifest_folder_but_not_leave_it(tmp_path):
    from newsarchive.errors import InvalidEntry
    from newsarchive.formats.jsonl import record_from_json

    base = tmp_path / "export"
    base.mkdir()
    record = record_from_json({"id": "abcd1234", "snapshot": "."}, ref="line 1", base=base)
    assert record.files_dir == base.resolve()
    with pytest.raises(InvalidEntry, match="leaves the manifest's folder"):
        record_from_json({"id": "abcd1234", "snapshot": ".."}, ref="line 1", base=base)


def test_folder_import_and_warc_import_share_the_media_tables():
    from newsarchive.formats import folder, warc

    assert folder.SUFFIXES is media.PAGE_SUFFIXES
    assert warc.EXTRACTABLE is media.TEXT_TYPES
    assert set(media.PAGE_SUFFIXES.values()) == set(media.TEXT_TYPES)


def test_wait_for_polls_until_success_or_timeout():
    tries = []

    def third_time():
        tries.append(1)
        return len(tries) == 3

    assert fsutil.wait_for(third_time, timeout=5, delay=0.001) is True and len(tries) == 3
    tries.clear()
    assert fsutil.wait_for(lambda: tries.append(1) and False, timeout=0.05, delay=0.01) is False
    assert len(tries) >= 2  # tried again before giving up
    assert fsutil.wait_for(lambda: True, timeout=0) is True  # one try even with no time


@pytest.mark.parametrize("data,expected", [
    (b"<!doctype html><html><body>sample</body></html>", "text/html"),
    (b"\xef\xbb\xbf  <html><p>sample</p></html>", "text/html"),
    (b"<?xml version='1.0'?><html xmlns='http://www.w3.org/1999/xhtml'></html>", "text/html"),
    (b"\n\n<!-- a sample comment -->\n<div>sample</div><body>", "text/html"),
    (b"Plain sample text.\nSecond line.\n", "text/plain"),
    ("Sample text in UTF-16".encode("utf-16"), "text/plain"),  # NUL bytes, but a BOM says text
    (b"%PDF-1.7\n\x00\x01\x02 sample", "application/octet-stream"),
])
def test_sniff(data, expected):
    assert media.sniff(data) == expected


def test_guess_by_name_first_then_bytes():
    assert media.guess("notes.md", b"<html>") == "text/markdown"
    assert media.guess("page.HTML", b"plain") == "text/html"
    assert media.guess("report.pdf", b"x") == "application/pdf"
    assert media.guess(None, b"<html><body>x</body></html>") == "text/html"
    assert media.guess("no-extension", b"just words") == "text/plain"
    assert media.extension("text/html; charset=utf-8") == ".html"
    assert media.extension("Text/Plain") == ".txt"
    assert media.extension("image/png") == ".bin"


@pytest.mark.parametrize("suffix", sorted(media.PAGE_SUFFIXES))
def test_a_page_suffix_is_known_without_the_systems_mime_table(suffix):
    """The suffixes of saved pages are answered from our own table (reading the system's
    mime.types cost every `add` a few ms), with the same answer Python's own table gives."""
    import mimetypes

    assert media.guess(f"Saved Page{suffix.upper()}", b"\x00binary") == media.PAGE_SUFFIXES[suffix]
    assert media.PAGE_SUFFIXES[suffix] == (mimetypes.types_map | {".md": "text/markdown",
                                                                  ".markdown": "text/markdown"})[suffix]
    assert media.guess(f"page{suffix}.gz", b"plain words") == (mimetypes.guess_type(f"page{suffix}.gz")[0]
                                                               or "text/plain")


def test_every_sniffer_agrees():
    """add/import, extraction and capture ask the same helper: what one calls HTML, all do."""
    from newsarchive.api import guess_media_type
    from newsarchive.extract import _kind_of

    page = b"\n<!-- sample -->\n<div>sample</div><body></body>"
    assert guess_media_type(None, page) == media.sniff(page) == "text/html"
    assert _kind_of(page, None) == "html"
