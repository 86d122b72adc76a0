"""WACZ export and evidence packages, checked by their real consumers: py-wacz's validator,
the bagit library, openssl ts -verify and warcio's checker. Pages come from a local server and
timestamps from the local TSA (``tsa`` fixture); nothing reaches the internet."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import zipfile
from pathlib import Path

import bagit
import pytest
from wacz.main import main as wacz_main

from newsarchive import api, fixity
from newsarchive import store as st

# a sample page written for these tests; its title tries to smuggle HTML and a link into reports
HOSTILE = "SAMPLE <script>alert(1)</script> [click](javascript:alert(2)) | cell"
PAGE = (f"<html><head><title>{HOSTILE.replace('<', '&lt;').replace('>', '&gt;')}</title></head><body><article>"
        "<p>A sample article body about a sample harbour, written for the export tests.</p>"
        "</article></body></html>").encode()
NOTE = b"SAMPLE: a pasted note\n\nA sample note that was never fetched from the web.\n"


@pytest.fixture
def captured(root, cli, serve):
    base = serve(lambda path: (302, {"Location": "/page"}, b"") if path == "/old"
                 else (200, {"Content-Type": "text/html; charset=utf-8"}, PAGE))
    assert cli("add", f"{base}/old").exit_code == 0
    web = api.list_entries(root)[0]
    note = api.add(root, data=NOTE, source="note.txt", fields={"title": "SAMPLE note"}).entry
    return web, note, base


def wacz_validate(path: Path, capsys) -> tuple[int, str]:
    capsys.readouterr()
    code = wacz_main(["validate", "-f", str(path)])
    return code, capsys.readouterr().out


def test_wacz_export_is_valid_and_holds_the_stored_warcs(root, cli, captured, tmp_path, capsys):
    web, note, base = captured
    out = tmp_path / "out.wacz"
    r = cli("export", "--to", "wacz", "-o", out)
    assert r.exit_code == 0, r.output
    code, printed = wacz_validate(out, capsys)
    assert code == 0 and "Validation succeeded" in printed, printed
    with zipfile.ZipFile(out) as zf:
        names = sorted(zf.namelist())
        assert names == sorted([f"archive/{web.id}-v1.warc.gz", f"archive/{note.id}-v1-resource.warc.gz",
                                "indexes/index.cdxj", "pages/pages.jsonl", "datapackage.json",
                                "datapackage-digest.json"])
        # the capture's WARC byte for byte (its hash is the one the entry recorded), stored uncompressed
        stored = (root / "archive" / web.id / web.snapshots[0].warc_path).read_bytes()
        assert zf.read(f"archive/{web.id}-v1.warc.gz") == stored
        assert zf.getinfo(f"archive/{web.id}-v1.warc.gz").compress_type == zipfile.ZIP_STORED
        package = json.loads(zf.read("datapackage.json"))
        assert package["wacz_version"] == "1.1.1"
        for res in package["resources"]:
            assert res["hash"] == "sha256:" + hashlib.sha256(zf.read(res["path"])).hexdigest()
        digest = json.loads(zf.read("datapackage-digest.json"))
        assert digest["hash"] == "sha256:" + hashlib.sha256(zf.read("datapackage.json")).hexdigest()
        pages = [json.loads(x) for x in zf.read("pages/pages.jsonl").decode().splitlines()]
        assert pages[0]["format"] == "json-pages-1.0"
        assert {(p["url"], p["title"]) for p in pages[1:]} == {(f"{base}/page", web.title),
                                                               (f"urn:newsarchive:{note.id}:v1", "SAMPLE note")}
        cdxj = zf.read("indexes/index.cdxj").decode().splitlines()
        keys = [line.split(" ", 2) for line in cdxj]
        assert keys == sorted(keys)
        page_line = [json.loads(k[2]) for k in keys if k[0] == "127.0.0.1:" + base.rsplit(":", 1)[1] + ")/page"]
        assert page_line and page_line[0]["status"] == "200" and page_line[0]["mime"] == "text/html"
        # the offset and length in the index point at the record in that WARC
        blob = zf.read(f"archive/{web.id}-v1.warc.gz")
        start, length = int(page_line[0]["offset"]), int(page_line[0]["length"])
        record = gzip.decompress(blob[start:start + length])
        assert record.startswith(b"WARC/1.0\r\n") and b"\r\nWARC-Type: response\r\n" in record
        assert record.rstrip().endswith(b"</html>")


def test_wacz_export_of_a_damaged_entry_is_named_and_skipped(root, cli, captured, tmp_path, capsys):
    web, note, _base = captured
    path = root / "archive" / note.id / note.snapshots[0].path
    path.write_bytes(path.read_bytes().replace(b"sample", b"simple"))
    out = tmp_path / "out.wacz"
    r = cli("export", "--to", "wacz", "-o", out)
    assert r.exit_code == 1 and f"skipped {note.id}: damaged" in r.output
    with zipfile.ZipFile(out) as zf:
        assert not any(note.id in n for n in zf.namelist())
    r = cli("export", "--to", "wacz", "-o", out, "--include-damaged")
    assert r.exit_code == 0 and f"exported {note.id} marked as damaged" in r.output
    with zipfile.ZipFile(out) as zf:
        pages = [json.loads(x) for x in zf.read("pages/pages.jsonl").decode().splitlines()[1:]]
    assert [p["newsarchive_damaged"][0].split(":", 1)[0] for p in pages if p["newsarchive_entry"] == note.id]
    assert wacz_validate(out, capsys)[0] == 0


def test_an_evidence_package_checks_out_with_bagit_openssl_wacz_and_warcio(root, cli, captured, tsa, tmp_path, capsys):
    web, note, base = captured
    assert cli("timestamp", web.id, "--tsa", tsa.url, "--tsa-ca", tsa.ca).exit_code == 0
    log_before = (root / "archive" / web.id / "history.jsonl").read_bytes()
    out = tmp_path / "package"
    r = cli("export", "--to", "evidence", "-o", out, "--id", web.id, "--id", note.id)
    assert r.exit_code == 0, r.output
    bag = bagit.Bag(str(out))
    bag.validate()  # every payload file against its SHA-256 and SHA-512
    assert set(bag.algorithms) == {"sha256", "sha512"}
    entry_dir = out / "data" / "entries" / web.id
    done = subprocess.run(["openssl", "ts", "-verify", "-data", "v1/timestamp-manifest.sha256", "-in",
                           "v1/timestamp.tsr", "-CAfile", "v1/timestamp-chain.pem"],
                          cwd=entry_dir, capture_output=True, text=True)
    assert done.returncode == 0 and "Verification: OK" in done.stdout, done.stderr
    done = subprocess.run(["sha256sum", "-c", "v1/timestamp-manifest.sha256", "manifest-sha256.txt"],
                          cwd=entry_dir, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert wacz_validate(out / "data" / "archive.wacz", capsys)[0] == 0
    # the package holds the custody log as it was when packed
    assert (entry_dir / "history.jsonl").read_bytes() == log_before
    report = (out / "data" / "reports" / f"{web.id}.md").read_text()
    for want in (f"{base}/page", f"{base}/old", "Server IP address | 127.0.0.1", tsa.url,
                 "openssl ts -verify -data v1/timestamp-manifest.sha256", "wacz validate -f data/archive.wacz",
                 "bagit.py --validate .", "does not prove", "genuine origin"):
        assert want in report, want
    import re

    assert "<script>" not in report and not re.search(r"(?<!\\)\]\(javascript", report)
    assert "&lt;script&gt;" in report and "\\[click\\]" in report
    note_report = (out / "data" / "reports" / f"{note.id}.md").read_text()
    assert "No trusted timestamp" in note_report and "not fetched from the web" in note_report
    readme = (out / "data" / "README.md").read_text()
    assert f"reports/{web.id}.md" in readme and "<script>" not in readme
    # the export is recorded in each entry's custody log, after what the package holds
    log = (root / "archive" / web.id / "history.jsonl").read_bytes()
    assert log.startswith(log_before)
    last = json.loads(log.splitlines()[-1])
    assert last["action"] == "export" and last["to"] == "evidence"
    assert last["tagmanifest_sha256"] == hashlib.sha256((out / "tagmanifest-sha256.txt").read_bytes()).hexdigest()
    assert fixity.check_entry(st.Store(root), web.id)[1] == []
    assert cli("verify").exit_code == 0


def test_an_evidence_package_leaves_damaged_entries_out_and_needs_a_new_folder(root, cli, captured, tmp_path):
    web, note, _base = captured
    path = root / "archive" / note.id / note.snapshots[0].path
    path.write_bytes(path.read_bytes() + b"tampered")
    out = tmp_path / "package"
    r = cli("export", "--to", "evidence", "-o", out)
    assert r.exit_code == 1 and f"skipped {note.id}: damaged" in r.output
    assert not (out / "data" / "entries" / note.id).exists()
    bagit.Bag(str(out)).validate()
    r = cli("export", "--to", "evidence", "-o", out)
    assert r.exit_code == 2 and "not an empty folder" in r.output
    # with --include-damaged the report says so first, and the log of a damaged entry is left alone
    log = (root / "archive" / note.id / "history.jsonl").read_bytes()
    out2 = tmp_path / "package2"
    r = cli("export", "--to", "evidence", "-o", out2, "--include-damaged")
    assert r.exit_code == 0, r.output
    assert (out2 / "data" / "reports" / f"{note.id}.md").read_text().startswith("> **DAMAGED**")
    assert (root / "archive" / note.id / "history.jsonl").read_bytes() == log


def test_recording_custody_keeps_the_index_in_step(root, cli, captured, tmp_path):
    # found trying the tool as a new user: the custody event of an evidence export rewrote
    # entry.json without telling the index, so `status` said "out of step" right after
    web, note, _base = captured
    assert list(api.status(root).stale) == []
    assert cli("export", "--to", "evidence", "-o", tmp_path / "package", "--id", web.id).exit_code == 0
    st = api.status(root)
    assert list(st.stale) == [] and st.missing_from_index == [], (st.stale, st.missing_from_index)
    assert cli("verify", "--record").exit_code == 0
    st = api.status(root)
    assert list(st.stale) == [] and st.missing_from_index == [], (st.stale, st.missing_from_index)
    assert [h["action"] for h in api.history(root, web.id)][-2:] == ["export", "verify"]
