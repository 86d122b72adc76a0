"""A WARC-Date that cannot be read, and a payload digest that does not match, are said on the
record's report line; the WARC-Date as written is kept with the snapshot. The WARC is a SAMPLE
built here (no shared fixtures)."""

import io
import json
import re

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsarchive.model import now_utc


def _record(w, url, body, date):
    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
    rec = w.create_warc_record(url, "response", payload=io.BytesIO(body), length=len(body), http_headers=http,
                               warc_headers_dict={"WARC-Date": date})
    w.write_record(rec)


def _page(n):
    return (f"<html><head><title>SAMPLE page {n}</title></head><body><p>SAMPLE article text number {n} "
            f"written for the newsarchive tests.</p></body></html>").encode()


def _sample_warc(path):
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=False)
    _record(w, "https://news.example/bad-date", _page(1), "2000-01-01T00:00:00Z")
    _record(w, "https://news.example/arc-date", _page(2), "2000-01-01T00:00:00Z")
    _record(w, "https://news.example/wrong-digest", _page(3), "2000-01-01T00:00:00Z")
    _record(w, "https://news.example/sound", _page(4), "2008-10-29T05:21:46Z")
    parts = buf.getvalue().split(b"WARC/1.0\r\n")[1:]
    out = []
    for i, part in enumerate(parts):
        head, sep, rest = part.partition(b"\r\n\r\n")
        block = re.search(rb"WARC-Block-Digest: (\S+)", head).group(1)
        if i == 0:  # SAMPLE quirk of ClueWeb09: a day 294, and the payload digest repeats the block's
            head = head.replace(b"2000-01-01T00:00:00Z", b"2008-10-294T05:21:46-0700")
            head = re.sub(rb"WARC-Payload-Digest: \S+", b"WARC-Payload-Digest: " + block, head)
        elif i == 1:  # ARC's timestamp form: one sound reading
            head = head.replace(b"2000-01-01T00:00:00Z", b"20081029052146")
        elif i == 2:  # a payload digest that matches nothing
            head = re.sub(rb"WARC-Payload-Digest: \S+", b"WARC-Payload-Digest: sha1:" + b"A" * 32, head)
        out.append(b"WARC/1.0\r\n" + head + sep + rest)
    path.write_bytes(b"".join(out))
    return path


def test_warc_dates_and_digests_are_reported(cli, root, tmp_path):
    before = now_utc().iso()[:10]
    r = cli("import", _sample_warc(tmp_path / "sample.warc"), "--format", "jsonl")
    lines = {json.loads(l)["ref"]: json.loads(l) for l in r.stdout.splitlines()}
    assert len(lines) == 4, r.stdout
    by_url = {}
    for line in lines.values():
        if line["status"] == "created":
            entry = json.loads((root / "archive" / line["id"] / "entry.json").read_text())
            by_url[entry["url"]] = (line, entry)
    failed = [l for l in lines.values() if l["status"] == "failed"]
    assert len(failed) == 1 and "wrong-digest" in failed[0]["error"] and "payload digest failed" in failed[0]["error"]
    assert r.exit_code == 1  # the failed record

    line, entry = by_url["https://news.example/bad-date"]
    assert ("WARC-Date '2008-10-294T05:21:46-0700' is not a date: the capture time recorded is the import time"
            in line["message"])
    assert "WARC-Payload-Digest does not match the payload" in line["message"]
    snap = entry["snapshots"][0]
    assert snap["http"]["warc_headers"]["WARC-Date"] == "2008-10-294T05:21:46-0700"
    assert snap["captured_at"][:10] >= before  # the import time, and said so above

    line, entry = by_url["https://news.example/arc-date"]
    assert entry["snapshots"][0]["captured_at"].startswith("2008-10-29T05:21:46")
    assert "WARC-Date '20081029052146' is not in the WARC form; read as 2008-10-29T05:21:46Z" in line["message"]
    assert entry["snapshots"][0]["http"]["warc_headers"]["WARC-Date"] == "20081029052146"

    line, entry = by_url["https://news.example/sound"]
    assert line["message"] is None and "http" not in entry["snapshots"][0]
    assert entry["snapshots"][0]["captured_at"].startswith("2008-10-29T05:21:46")


def test_citations_never_present_the_import_time_as_the_capture_time(cli, root, tmp_path):
    """A record whose WARC-Date cannot be read was cited "snapshot captured <import date>" with
    the import date as its access date: false evidence. Its citations now claim no capture
    time; a record with a sound date still gives its own."""
    today = now_utc().iso()[:10]
    cli("import", _sample_warc(tmp_path / "sample.warc"))
    ids = {json.loads((root / "archive" / i / "entry.json").read_text())["url"]: i
           for i in cli("list", "-f", "ids").stdout.split()}
    bad, sound = ids["https://news.example/bad-date"], ids["https://news.example/sound"]
    entry = json.loads((root / "archive" / bad / "entry.json").read_text())
    assert entry["accessed"] is None and entry["snapshots"][0]["http"]["capture_time_unknown"] is True
    for style in ("bibtex", "biblatex", "apa", "mla", "chicago", "csl-json", "ris"):
        text = cli("cite", bad, "--style", style).stdout
        assert today not in text and today.replace("-", "/") not in text, (style, text)
    assert "2008-10-29" in cli("cite", sound, "--style", "biblatex").stdout
