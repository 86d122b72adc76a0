"""An exported WARC passes warcio's own checker, even when a capture's digest was wrong."""

import io
from types import SimpleNamespace

import pytest
from warcio.checker import Checker
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsarchive import api

BODY = (b"<!doctype html><html><head><title>SAMPLE digest story</title></head><body><article>"
        + b"<p>SAMPLE: the council met on Tuesday and voted on the harbour budget.</p>" * 8
        + b"</article></body></html>")


def _quirky_warc() -> bytes:
    """A response record whose WARC-Payload-Digest repeats the block digest (a crawler quirk)."""
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=False)
    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
    w.write_record(w.create_warc_record("https://news.example/digest", "response", payload=io.BytesIO(BODY),
                                        length=len(BODY), http_headers=http))
    good = buf.getvalue()
    head = good.split(b"\r\n\r\n")[0].decode()
    fields = dict(line.split(": ", 1) for line in head.split("\r\n")[1:])
    return good.replace(fields["WARC-Payload-Digest"].encode(), fields["WARC-Block-Digest"].encode())


def _import(root, path) -> None:
    from typer.testing import CliRunner

    from newsarchive.cli import app

    r = CliRunner().invoke(app, ["--root", str(root), "import", str(path)])
    assert r.exit_code == 0, r.output


def _check(path, capsys) -> tuple[int, str]:
    capsys.readouterr()
    code = Checker(SimpleNamespace(inputs=[str(path)], verbose=False)).process_all()
    return code, capsys.readouterr().out


@pytest.mark.parametrize("name", ["out.warc", "out.warc.gz"])
def test_export_recomputes_wrong_digests(root, tmp_path, capsys, name):
    src = tmp_path / "quirk.warc"
    src.write_bytes(_quirky_warc())
    # the capture as imported fails warcio check itself: that is the case to repair
    assert _check(src, capsys)[0] == 1
    _import(root, src)
    notes: list[str] = []
    out = tmp_path / name
    assert api.export(root, to="warc", out=out, notify=notes.append) == 1
    code, printed = _check(out, capsys)
    assert code == 0, printed
    assert len(notes) == 1 and "WARC-Payload-Digest" in notes[0] and "recomputed" in notes[0]
    # the payload is the same bytes as archived
    from warcio.archiveiterator import ArchiveIterator

    with open(out, "rb") as fh:
        bodies = [r.content_stream().read() for r in ArchiveIterator(fh) if r.rec_type == "response"]
    assert bodies == [BODY]


def test_export_of_good_captures_is_untouched(root, tmp_path, capsys):
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=True)
    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
    w.write_record(w.create_warc_record("https://news.example/ok", "response", payload=io.BytesIO(BODY),
                                        length=len(BODY), http_headers=http))
    src = tmp_path / "good.warc.gz"
    src.write_bytes(buf.getvalue())
    _import(root, src)
    notes: list[str] = []
    out = tmp_path / "good-out.warc.gz"
    api.export(root, to="warc", out=out, notify=notes.append)
    assert notes == [] and _check(out, capsys)[0] == 0
    assert buf.getvalue() in out.read_bytes()  # the captured record copied byte for byte
