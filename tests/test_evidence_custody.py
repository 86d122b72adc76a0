"""The custody log (history.jsonl): append-only and hash-chained; `verify` names the entry whose
log had a line changed, removed or reordered, even when every hash the archive records was
rewritten to match, and a timestamp anchors the log outside the archive."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsarchive import api, fixity
from newsarchive import store as st

PAGE = b"SAMPLE: Custody headline\n\nA sample article body about a sample council and a sample road.\n"


@pytest.fixture
def entry(root):
    e = api.add(root, data=PAGE, source="page.txt", fields={"url": "https://custody.example/a"}).entry
    api.edit(root, e.id, set_fields={"section": "World"})
    api.edit(root, e.id, set_fields={"section": "Europe"})
    api.edit(root, e.id, set_fields={"pages": "A1"})
    return e


def _rewrite_log(root: Path, entry_id: str, lines: list[bytes]) -> None:
    """Rewrite the log and the hash the fixity manifest records for it (as someone with write
    access could), so that only the chain itself can tell."""
    folder = root / "archive" / entry_id
    data = b"".join(lines)
    (folder / st.HISTORY_FILE).write_bytes(data)
    hashes, _bad = st.parse_manifest((folder / st.MANIFEST_FILE).read_bytes())
    hashes[st.HISTORY_FILE] = st.sha256_bytes(data)
    (folder / st.MANIFEST_FILE).write_bytes(st.manifest_bytes(hashes))


def _lines(root, entry_id):
    return (root / "archive" / entry_id / st.HISTORY_FILE).read_bytes().splitlines(keepends=True)


@pytest.mark.parametrize("how", ["changed", "removed", "reordered", "removed-first"])
def test_verify_names_the_entry_whose_log_was_tampered_with(root, cli, entry, how):
    lines = _lines(root, entry.id)
    assert len(lines) == 4
    forged = {
        "changed": [lines[0], lines[1].replace(b"World", b"Wurld"), lines[2], lines[3]],
        "removed": [lines[0], lines[2], lines[3]],
        "reordered": [lines[0], lines[2], lines[1], lines[3]],
        "removed-first": lines[1:],
    }[how]
    _rewrite_log(root, entry.id, forged)
    r = cli("verify")
    assert r.exit_code == 1 and "Traceback" not in r.output
    bad = [line for line in r.output.splitlines() if "history.jsonl" in line]
    assert len(bad) == 1, r.output
    assert f"/{entry.id}/history.jsonl" in bad[0] and "hash chain broken" in bad[0]


def test_a_changed_last_line_is_caught_by_the_manifest(root, cli, entry):
    lines = _lines(root, entry.id)
    path = root / "archive" / entry.id / st.HISTORY_FILE
    path.write_bytes(b"".join([*lines[:3], lines[3].replace(b"A1", b"B7")]))
    r = cli("verify")
    assert r.exit_code == 1
    assert f"corrupt: {path}" in r.output


def test_a_timestamp_anchors_the_log_against_a_full_rewrite(root, cli, tsa, entry):
    assert cli("timestamp", entry.id, "--tsa", tsa.url, "--tsa-ca", tsa.ca).exit_code == 0
    lines = _lines(root, entry.id)
    assert json.loads(lines[-1])["action"] == "timestamp"
    # the last line before the stamp changed, and the chain recomputed after it: no local hash can tell
    events = [json.loads(x) for x in lines]
    events[3]["new"] = "B7"
    forged = st.history_bytes(b"", events)
    _rewrite_log(root, entry.id, forged.splitlines(keepends=True))
    assert fixity.check_history(root / "archive" / entry.id / st.HISTORY_FILE) == []
    r = cli("verify", entry.id)
    assert r.exit_code == 1
    assert f"/{entry.id}/history.jsonl: version 1 timestamp: the custody log no longer begins with the 4 lines" in r.output
    # appending stays allowed: the log grows, the stamped beginning is unchanged
    _rewrite_log(root, entry.id, lines)
    api.edit(root, entry.id, set_fields={"pages": "A2"})
    assert cli("verify", entry.id).exit_code == 0


def test_verify_record_appends_a_verify_event_only_to_entries_that_check_out(root, cli, entry):
    other = api.add(root, data=PAGE + b"Other sample.\n", source="o.txt", fields={"url": "https://custody.example/b"},
                    new_entry=True).entry
    before = _lines(root, entry.id)
    assert cli("verify").exit_code == 0
    assert _lines(root, entry.id) == before  # a plain check writes nothing
    path = root / "archive" / other.id / "v1" / "original.txt"
    path.write_bytes(path.read_bytes() + b"x")
    other_log = _lines(root, other.id)
    r = cli("verify", "--record")
    assert r.exit_code == 1  # the damaged one is reported, not written to
    assert _lines(root, other.id) == other_log
    after = _lines(root, entry.id)
    assert after[:-1] == before
    event = json.loads(after[-1])
    assert event["action"] == "verify" and event["result"] == "ok" and event["files"] == 4
    assert fixity.check_history(root / "archive" / entry.id / st.HISTORY_FILE) == []
    assert fixity.check_entry(st.Store(root), entry.id)[1] == []
