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
