"""RFC 3161 trusted timestamps of captures, against a real TSA on 127.0.0.1 (``tsa`` fixture:
``openssl ts -reply`` with a throw-away SAMPLE CA). Nothing here reaches the internet."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

import tsa_server
from newsarchive import api, fixity
from newsarchive import store as st
from newsarchive.evidence import timestamp as ts

PAGE = b"SAMPLE: Timestamped headline\n\nA sample article body about a sample harbour and a sample vote.\n"


@pytest.fixture
def entry(root):
    return api.add(root, data=PAGE, source="page.txt", fields={"url": "https://stamp.example/a"}).entry


def stamp_cli(cli, tsa, *refs):
    return cli("timestamp", *refs, "--tsa", tsa.url, "--tsa-ca", tsa.ca)


def problems(root, entry_id):
    _e, found = fixity.check_entry(st.Store(root), entry_id)
    return [(p.kind, Path(p.path).name, p.detail) for p in found]


def test_a_capture_is_stamped_and_openssl_verifies_what_is_stored(root, cli, tsa, entry):
    r = stamp_cli(cli, tsa, entry.id)
    assert r.exit_code == 0, r.output
    assert r.output.startswith(f"stamped: {entry.id} v1: ")
    shown = json.loads(cli("show", entry.id, "--format", "json").output)
    stamp = shown["snapshots"][0]["timestamp"]
    assert stamp["token"] == "v1/timestamp.tsr" and stamp["manifest"] == "v1/timestamp-manifest.sha256"
    assert stamp["tsa"] == tsa.url and stamp["time"].endswith("Z")
    folder = root / "archive" / entry.id
    manifest = (folder / stamp["manifest"]).read_text()
    # every stored file of the capture, with its SHA-256, relative to the entry folder
    assert manifest == "".join(f"{fixity.hash_file(folder / rel)}  {rel}\n"
                               for rel in ("v1/original.txt", "v1/text.txt", "v1/timestamp-history.jsonl"))
    # the custody log as it was when stamped: the live log still begins with it
    assert (folder / "history.jsonl").read_bytes().startswith((folder / "v1/timestamp-history.jsonl").read_bytes())
    done = subprocess.run(["openssl", "ts", "-verify", "-data", stamp["manifest"], "-in", stamp["token"],
                           "-CAfile", stamp["chain"]], cwd=folder, capture_output=True, text=True)
    assert done.returncode == 0 and "Verification: OK" in done.stdout, done.stderr
    assert problems(root, entry.id) == []
    assert cli("verify").exit_code == 0
    assert f"timestamp: {stamp['time']} by {tsa.url}" in cli("show", entry.id).output
    events = [json.loads(line) for line in (folder / "history.jsonl").read_text().splitlines()]
    assert events[-1]["action"] == "timestamp" and events[-1]["version"] == 1
    assert events[-1]["manifest_sha256"] == hashlib.sha256(manifest.encode()).hexdigest()
    # the new files are covered by the entry's fixity manifest too
    recorded = st.Store(root).manifest(entry.id)
    assert {"v1/timestamp.tsr", "v1/timestamp-manifest.sha256", "v1/timestamp-chain.pem"} <= set(recorded)


def test_a_stamped_capture_is_not_stamped_twice(cli, tsa, entry):
    assert stamp_cli(cli, tsa, entry.id).exit_code == 0
    sent = len(tsa.requests)
    r = stamp_cli(cli, tsa, entry.id)
    assert r.exit_code == 0 and r.output.startswith(f"already: {entry.id} v1: stamped ")
    assert len(tsa.requests) == sent


def test_no_tsa_is_one_line_and_exit_2_and_nothing_is_sent(root, cli, tsa, entry):
    sent = len(tsa.requests)
    before = (root / "archive" / entry.id / "entry.json").read_bytes()
    r = cli("timestamp", entry.id)
    assert r.exit_code == 2
    assert r.output.count("\n") == 1 and "no time-stamp authority configured" in r.output
    r = cli("timestamp", entry.id, "--tsa", tsa.url)
    assert r.exit_code == 2 and "--tsa-ca" in r.output and r.output.count("\n") == 1
    assert len(tsa.requests) == sent
    assert (root / "archive" / entry.id / "entry.json").read_bytes() == before


def test_a_tsa_that_cannot_be_reached_or_is_not_trusted_stores_nothing(root, cli, tsa, entry, tmp_path):
    before = sorted(p.name for p in (root / "archive" / entry.id / "v1").iterdir())
    r = cli("timestamp", entry.id, "--tsa", "http://127.0.0.1:9/tsa", "--tsa-ca", tsa.ca)
    assert r.exit_code == 1 and r.output.startswith(f"failed: {entry.id} v1: cannot reach the TSA")
    other = tsa_server.make_pki(tmp_path / "other", name="SAMPLE other")
    r = cli("timestamp", entry.id, "--tsa", tsa.url, "--tsa-ca", other / "ca.crt")
    assert r.exit_code == 1 and "does not verify" in r.output and "Traceback" not in r.output
    assert sorted(p.name for p in (root / "archive" / entry.id / "v1").iterdir()) == before
    assert problems(root, entry.id) == []


def test_a_damaged_entry_is_not_stamped(root, cli, tsa, entry):
    path = root / "archive" / entry.id / "v1" / "original.txt"
    path.write_bytes(path.read_bytes().replace(b"harbour", b"harbor!"))
    sent = len(tsa.requests)
    r = stamp_cli(cli, tsa, entry.id)
    assert r.exit_code == 1 and "damaged, not stamped" in r.output
    assert len(tsa.requests) == sent


def _flip(path: Path, pos: int | None = None) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2 if pos is None else pos] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("rel", ["v1/timestamp.tsr", "v1/timestamp-manifest.sha256", "v1/timestamp-chain.pem"])
def test_a_changed_token_manifest_or_chain_is_damage(root, cli, tsa, entry, rel):
    assert stamp_cli(cli, tsa, entry.id).exit_code == 0
    _flip(root / "archive" / entry.id / rel)
    r = cli("verify", entry.id)
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert f"{entry.id}/{rel}" in r.output


def _forge(root: Path, entry_id: str, rel: str, data: bytes) -> None:
    """Rewrite a stored file the way someone with write access to the folder could: the bytes,
    then every hash the archive itself records (entry.json, the fixity manifest)."""
    folder = root / "archive" / entry_id
    (folder / rel).write_bytes(data)
    meta = json.loads((folder / "entry.json").read_text())
    for snap in meta["snapshots"]:
        if snap["path"] == rel:
            snap["sha256"], snap["size"] = hashlib.sha256(data).hexdigest(), len(data)
        if snap.get("text_path") == rel:
            snap["text_sha256"] = hashlib.sha256(data).hexdigest()
    (folder / "entry.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n")
    hashes, _bad = st.parse_manifest((folder / st.MANIFEST_FILE).read_bytes())
    hashes[rel] = hashlib.sha256(data).hexdigest()
    hashes["entry.json"] = fixity.hash_file(folder / "entry.json")
    (folder / st.MANIFEST_FILE).write_bytes(st.manifest_bytes(hashes))


def test_a_snapshot_rewritten_with_all_its_hashes_is_caught_by_the_timestamp(root, cli, tsa, entry):
    folder = root / "archive" / entry.id
    _forge(root, entry.id, "v1/original.txt", PAGE.replace(b"harbour", b"airport"))
    assert problems(root, entry.id) == []  # unstamped, the archive only vouches for itself
    entry2 = api.add(root, data=PAGE + b"More sample text.\n", source="p2.txt", fields={"url": "https://stamp.example/b"},
                     new_entry=True).entry
    assert stamp_cli(cli, tsa, entry2.id).exit_code == 0
    _forge(root, entry2.id, "v1/original.txt", (folder / "v1/original.txt").read_bytes())
    found = problems(root, entry2.id)
    assert [(k, n) for k, n, _d in found] == [("corrupt", "original.txt")]
    assert "is not the stamped" in found[0][2]
    # and a forged manifest with its own hash recorded everywhere does not match the token
    stamped = folder.parent / entry2.id / "v1" / "timestamp-manifest.sha256"
    text = stamped.read_text().replace(stamped.read_text()[:64], fixity.hash_file(folder.parent / entry2.id / "v1/original.txt"))
    _forge(root, entry2.id, "v1/timestamp-manifest.sha256", text.encode())
    found = problems(root, entry2.id)
    assert ("corrupt", "timestamp.tsr") in [(k, n) for k, n, _d in found]
    assert any("message imprint differs" in d for _k, _n, d in found)


def test_add_timestamp_stamps_the_new_capture(root, cli, tsa, sample_file):
    r = cli("add", sample_file, "--title", "SAMPLE stamped on add", "--timestamp", "--tsa", tsa.url, "--tsa-ca", tsa.ca)
    assert r.exit_code == 0, r.output
    assert "Archived " in r.output and "stamped: " in r.output
    entry = api.list_entries(root)[0]
    assert entry.snapshots[0].timestamp["tsa"] == tsa.url


def test_add_timestamp_without_a_tsa_writes_nothing(root, cli, sample_file):
    r = cli("add", sample_file, "--timestamp")
    assert r.exit_code == 2 and "no time-stamp authority configured" in r.output
    assert api.list_entries(root) == []


def test_verify_module_names_each_failure(tsa):
    data = b"sample manifest line\n"
    token, info = ts.request(tsa.url, data)
    chain = tsa.ca.read_bytes()
    assert ts.verify(token, data, chain).serial == info.serial
    with pytest.raises(ts.TimestampError, match="message imprint differs"):
        ts.verify(token, data + b"x", chain)
    with pytest.raises(ts.TimestampError, match="not a readable RFC 3161"):
        ts.verify(token[:-10], data, chain)
    with pytest.raises(ts.TimestampError, match="no root"):
        ts.verify(token, data, (tsa.folder / "tsa.crt").read_bytes())


@pytest.mark.parametrize("point", ["commit-staged", "commit-renamed", "commit-applying"])
def test_a_kill_while_the_token_is_stored_leaves_a_recoverable_entry(root, tsa, entry, point):
    import os
    import sys

    env = {**os.environ, "NEWSARCHIVE_CRASH_AT": point}
    done = subprocess.run([sys.executable, "-m", "newsarchive", "--root", str(root), "timestamp", entry.id,
                           "--tsa", tsa.url, "--tsa-ca", str(tsa.ca)], env=env, capture_output=True)
    assert done.returncode != 0  # killed
    env.pop("NEWSARCHIVE_CRASH_AT")
    done = subprocess.run([sys.executable, "-m", "newsarchive", "--root", str(root), "reindex"], env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert problems(root, entry.id) == []
    stamped = api.get(root, entry.id).snapshots[0].timestamp
    if point == "commit-staged":  # before the commit point: rolled back, as if never asked
        assert stamped is None
        assert not (root / "archive" / entry.id / "v1" / "timestamp.tsr").exists()
    else:  # committed: finished by the next writer
        assert stamped is not None and (root / "archive" / entry.id / stamped["token"]).is_file()


def test_the_tsa_can_come_from_the_collection_settings(root, cli, tsa, entry):
    import shutil

    shutil.copy(tsa.ca, root / "tsa-ca.pem")
    assert cli("config", "--set", f"evidence.tsa_url={tsa.url}", "--set", "evidence.tsa_ca=tsa-ca.pem").exit_code == 0
    r = cli("timestamp", entry.id)
    assert r.exit_code == 0, r.output
    assert api.get(root, entry.id).snapshots[0].timestamp["tsa"] == tsa.url


def test_the_operator_from_the_settings_goes_into_the_capture(root, cli, serve):
    from warcio.archiveiterator import ArchiveIterator

    base = serve(lambda path: (200, {"Content-Type": "text/plain"}, PAGE))
    assert cli("config", "--set", "evidence.operator=SAMPLE Desk").exit_code == 0
    assert cli("add", f"{base}/a.txt").exit_code == 0
    entry = api.list_entries(root)[0]
    with open(root / "archive" / entry.id / entry.snapshots[0].warc_path, "rb") as fh:
        info = next(iter(ArchiveIterator(fh))).content_stream().read()
    assert b"operator: SAMPLE Desk" in info


def test_a_metadata_only_entry_has_nothing_to_stamp(root, cli, tsa):
    e = api.add(root, data=None, source=None, fields={"title": "SAMPLE metadata only"}).entry
    r = cli("timestamp", e.id, "--tsa", tsa.url, "--tsa-ca", tsa.ca)
    assert r.exit_code == 1 and r.output == f"failed: {e.id}: no capture to timestamp (a metadata-only entry)\n"


def test_a_chain_replaced_with_all_hashes_rewritten_is_caught(root, cli, tsa, entry, tmp_path):
    assert stamp_cli(cli, tsa, entry.id).exit_code == 0
    other = tsa_server.make_pki(tmp_path / "other", name="SAMPLE forger")
    _forge(root, entry.id, "v1/timestamp-chain.pem", (other / "ca.crt").read_bytes())
    found = problems(root, entry.id)
    assert [(k, n) for k, n, _d in found] == [("corrupt", "timestamp.tsr")]
    assert "does not verify" in found[0][2]
    _forge(root, entry.id, "v1/timestamp-chain.pem", b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    found = problems(root, entry.id)
    assert [(k, n) for k, n, _d in found] == [("corrupt", "timestamp-chain.pem")]


def test_verify_with_trusted_roots_refuses_a_token_from_another_authority(root, cli, tsa, entry, tmp_path):
    # a second capture stamped by another authority (its own CA): consistent with the chain stored
    # beside it, so plain `verify` accepts it; against the roots the user trusts it fails
    other = tsa_server.start(tsa_server.make_pki(tmp_path / "other", name="SAMPLE other authority"))
    try:
        second = api.add(root, data=b"SAMPLE second capture text.\n", source="second.txt",
                         fields={"title": "SAMPLE second"}).entry
        assert stamp_cli(cli, tsa, entry.id).exit_code == 0
        r = cli("timestamp", second.id, "--tsa", other.url, "--tsa-ca", other.ca)
        assert r.exit_code == 0, r.output
    finally:
        other.stop()
    assert cli("verify").exit_code == 0  # each token agrees with its stored chain
    r = cli("verify", "--tsa-roots", tsa.ca)
    assert r.exit_code == 1
    lines = [line for line in r.stdout.splitlines() if line.startswith(("corrupt", "invalid", "missing"))]
    assert len(lines) == 1 and second.id in lines[0] and "timestamp.tsr" in lines[0]
    assert "does not verify against the trusted roots given (--tsa-roots)" in lines[0]
    assert cli("verify", entry.id, "--tsa-roots", tsa.ca).exit_code == 0  # the genuine one
    assert cli("verify", second.id, "--tsa-roots", other.ca).exit_code == 0
    r = cli("verify", "--tsa-roots", tmp_path / "nope.pem")
    assert r.exit_code == 2 and "cannot read --tsa-roots" in r.stderr
    r = cli("verify", "--tsa-roots", tsa.folder / "tsa.crt")  # a TSA's own certificate is no root
    assert r.exit_code == 2 and "has no root (self-signed) certificate" in r.stderr
