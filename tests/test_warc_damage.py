"""WARC files damaged where warcio itself says little: every case is a reported failure."""

import gzip
import json

import pytest

GARBAGE_HEADER = b"WARC/1.0\r\nWARC-Type: resp\x00\xff\xfe garbage\r\n\r\nmore junk"
CUT_HEADER = b"WARC/1.0\r\nWARC-Type: response\r\nContent-Len"


@pytest.mark.parametrize("name,data", [
    ("garbage.warc", GARBAGE_HEADER),
    ("garbage.warc.gz", gzip.compress(GARBAGE_HEADER)),
    ("cut.warc", CUT_HEADER),
    ("random.warc", bytes(range(256)) * 8),
])
def test_damaged_warc_is_a_failed_record_not_silence(cli, root, tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    r = cli("import", path, "--format", "jsonl")
    assert r.exit_code == 1, r.output
    lines = [json.loads(l) for l in r.stdout.splitlines()]
    assert lines and all(l["status"] == "failed" for l in lines)
    assert name in lines[0]["error"]
    assert [p for p in (root / "archive").iterdir() if not p.name.startswith(".")] == []


def test_gzip_warc_cut_inside_the_last_trailer_is_reported(tmp_path):
    """Cut in the 8-byte gzip trailer: the record decompresses whole, but the file is cut short."""
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from newsarchive.formats import warc as warc_source

    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=True)
    body = b"<html><head><title>Sample trailer page</title></head><body><p>Sample text.</p></body></html>"
    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
    w.write_record(w.create_warc_record("https://news.example/t", "response", payload=io.BytesIO(body),
                                        length=len(body), http_headers=http))
    path = tmp_path / "cut.warc.gz"
    path.write_bytes(buf.getvalue()[:-4])
    recs = list(warc_source.read(path))
    assert [r.fields.get("url") for r in recs if r.error is None] == ["https://news.example/t"]
    assert recs[-1].error and "cut short" in recs[-1].error
    whole = tmp_path / "whole.warc.gz"
    whole.write_bytes(buf.getvalue())
    assert [r.error for r in warc_source.read(whole)] == [None]


def test_fuzzed_gzip_warc_is_a_clear_failure_and_library_warnings_are_escaped(tmp_path):
    """Found by bench/fuzz.py (seed 7, input 2015; made by mutating our own sample WARC): the
    check of the last gzip member raised zlib.error ("internal error"), and warcio's warning
    about the target URI wrote the URI's raw control bytes to the terminal."""
    import re
    from pathlib import Path

    from typer.testing import CliRunner

    from newsarchive import api
    from newsarchive.cli import app

    root = api.init(tmp_path / "coll")
    sample = Path(__file__).parent / "fixtures" / "warc" / "sample-fuzzed-damaged-gzip.warc.gz"
    r = CliRunner().invoke(app, ["--root", str(root), "import", str(sample), "--from", "warc"])
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    assert "internal error" not in r.stderr
    assert "failed: " in r.stderr and "cut short" in r.stderr
    assert "note: warcio: Replacing spaces" in r.stderr
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", r.stderr), repr(r.stderr[:300])
