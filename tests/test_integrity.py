"""Fixity of every stored file, references that cannot hurt, and $EDITOR edits that never
overwrite a change made meanwhile."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import pytest

from newsarchive import api, fixity
from newsarchive import store as st
from newsarchive.errors import AmbiguousID, UsageError

# a sample page written for these tests
PAGE = b"SAMPLE: Integrity headline\n\nA sample article body about a sample bridge and a sample vote.\n"
WARC = gzip.compress(b"WARC/1.0\r\nWARC-Type: response\r\n\r\nsample capture bytes\r\n\r\n")


def add_with_warc(root: Path):
    return api.add(root, data=PAGE, source="page.txt", fields={"url": "https://integrity.example/a"},
                   warc=WARC).entry


def kinds(root: Path, entry_id: str) -> list[tuple[str, str]]:
    _entry, problems = fixity.check_entry(st.Store(root), entry_id)
    return [(p.kind, Path(p.path).name) for p in problems]


def test_every_stored_file_is_in_the_manifest(root):
    entry = add_with_warc(root)
    folder = root / "archive" / entry.id
    manifest, bad = st.parse_manifest((folder / st.MANIFEST_FILE).read_bytes())
    assert bad == []
    assert sorted(manifest) == ["entry.json", "history.jsonl", "v1/capture.warc.gz", "v1/original.txt", "v1/text.txt"]
    for rel, sha in manifest.items():
        assert fixity.hash_file(folder / rel) == sha
    assert entry.snapshots[0].warc_sha256 == st.sha256_bytes(WARC)
    assert kinds(root, entry.id) == []


@pytest.mark.parametrize("rel", ["v1/capture.warc.gz", "entry.json", "history.jsonl", "v1/text.txt",
                                 "v1/original.txt", st.MANIFEST_FILE])
def test_a_flipped_byte_in_any_file_is_named(root, rel):
    entry = add_with_warc(root)
    path = root / "archive" / entry.id / rel
    data = bytearray(path.read_bytes())
    for pos in (0, len(data) // 2, len(data) - 2):
        flipped = bytearray(data)
        flipped[pos] ^= 0x20
        path.write_bytes(bytes(flipped))
        found = kinds(root, entry.id)
        assert found, f"{rel} byte {pos}"
        if rel != st.MANIFEST_FILE:
            assert ("corrupt", Path(rel).name) in found
    path.write_bytes(bytes(data))
    assert kinds(root, entry.id) == []


def test_deleted_and_added_files_are_named(root):
    entry = add_with_warc(root)
    folder = root / "archive" / entry.id
    (folder / "history.jsonl").unlink()
    assert kinds(root, entry.id) == [("missing", "history.jsonl")]
    (folder / "v1" / "capture.warc.gz").unlink()
    assert kinds(root, entry.id) == [("missing", "history.jsonl"), ("missing", "capture.warc.gz")]


def test_deleted_manifest_and_added_file_are_named(root):
    entry = add_with_warc(root)
    folder = root / "archive" / entry.id
    (folder / "v1" / "notes.txt").write_text("not recorded")
    assert kinds(root, entry.id) == [("extra", "notes.txt")]
    (folder / "v1" / "notes.txt").unlink()
    (folder / st.MANIFEST_FILE).unlink()
    assert kinds(root, entry.id) == [("missing", st.MANIFEST_FILE)]


def test_history_chain_catches_changed_removed_and_reordered_lines(root):
    entry = api.add(root, data=PAGE, source="page.txt", fields={}).entry
    api.edit(root, entry.id, set_fields={"section": "World"})
    api.edit(root, entry.id, set_fields={"section": "Europe"})
    path = root / "archive" / entry.id / "history.jsonl"
    good = path.read_bytes()
    lines = good.splitlines(keepends=True)
    assert len(lines) == 3
    for broken in (lines[1:], [lines[0], lines[2]], [lines[0], lines[2], lines[1]],
                   [lines[0], lines[1].replace(b"World", b"Wurld"), lines[2]]):
        path.write_bytes(b"".join(broken))
        assert any("hash chain broken" in d for d in fixity.check_history(path)), broken
    path.write_bytes(good)
    assert fixity.check_history(path) == []
    # history as shown never exposes the chain
    assert all("prev" not in e for e in api.history(root, entry.id))


def test_an_older_collection_keeps_working_and_can_be_sealed(cli, root):
    entry = api.add(root, data=PAGE, source="page.txt", fields={}).entry
    folder = root / "archive" / entry.id
    (folder / st.MANIFEST_FILE).unlink()
    events = [json.loads(x) for x in (folder / "history.jsonl").read_text().splitlines()]
    (folder / "history.jsonl").write_text("".join(json.dumps({k: v for k, v in e.items() if k != "prev"}) + "\n"
                                                  for e in events))
    r = cli("verify")
    assert r.exit_code == 0
    assert "no manifest (written by an older version)" in r.stdout and "1 note" in r.stdout
    r = cli("verify", "--seal")
    assert r.exit_code == 0 and "note" not in r.stdout
    assert kinds(root, entry.id) == []
    # sealed: a change to entry.json now shows
    data = json.loads((folder / "entry.json").read_text())
    (folder / "entry.json").write_text(json.dumps({**data, "title": "Changed"}, indent=2) + "\n")
    assert ("corrupt", "entry.json") in kinds(root, entry.id)


# --------------------------------------------------------------------------- references

def _ids(monkeypatch, *ids):
    seq = iter(ids)
    monkeypatch.setattr(st, "new_id", lambda length=8: next(seq))


def test_citekey_that_starts_an_id_is_refused(root, monkeypatch):
    _ids(monkeypatch, "03py8abc")
    api.add(root, data=None, source=None, fields={"title": "First sample"})
    with pytest.raises(UsageError, match="would read as entry 03py8abc's ID"):
        api.add(root, data=None, source=None, fields={"title": "Second sample", "citekey": "03py8"})
    with pytest.raises(UsageError, match="would read as entry 03py8abc's ID"):
        api.add(root, data=None, source=None, fields={"title": "Second sample", "citekey": "03PY8ABC"})


def test_new_ids_never_start_with_a_citekey(root, monkeypatch):
    _ids(monkeypatch, "aaaa1111", "kx7m2222", "bbbb3333")
    api.add(root, data=None, source=None, fields={"title": "First sample", "citekey": "kx7m"})
    second = api.add(root, data=None, source=None, fields={"title": "Second sample"}).entry
    assert second.id == "bbbb3333"  # kx7m2222 would have made `kx7m` mean two entries


def test_explicit_citekey_in_use_is_an_error(cli, root):
    r = cli("add", "--title", "One sample", "--citekey", "mykey")
    assert r.exit_code == 0
    r = cli("add", "--title", "Two sample", "--citekey", "mykey")
    assert r.exit_code == 2 and "citekey 'mykey' is taken by entry" in r.stderr
    assert len(st.Store(root).ids()) == 1


def test_destructive_commands_refuse_a_reference_meaning_two_entries(cli, root, monkeypatch):
    _ids(monkeypatch, "03py8abc", "zzzz9999")
    victim = api.add(root, data=None, source=None, fields={"title": "Victim sample"}).entry
    other = api.add(root, data=None, source=None, fields={"title": "Other sample"}).entry
    # an older collection could hold a citekey that starts another entry's ID
    store = st.Store(root)
    with store.lock():
        store.update(other.evolve(citekey="03py8"))
    (root / "index" / api.Catalog.CACHE).unlink()  # as an older version left it: derived, rebuilt
    r = cli("rm", "--yes", "03py8")
    assert r.exit_code == 1 and "give the full ID" in r.stderr
    r = cli("edit", "03py8", "--set", "section=World")
    assert r.exit_code == 1 and "give the full ID" in r.stderr
    with pytest.raises(AmbiguousID):
        api.remove(root, "03py8")
    assert sorted(store.ids()) == [victim.id, other.id]
    assert cli("rm", "--yes", other.id).exit_code == 0


# --------------------------------------------------------------------------- $EDITOR

def test_editor_edit_refuses_when_the_entry_changed_meanwhile(cli, root, tmp_path, monkeypatch):
    entry = api.add(root, data=PAGE, source="page.txt", fields={}).entry
    script = tmp_path / "editor.py"
    # the "user" edits section in the editor while another command sets the outlet
    script.write_text(
        "import json, subprocess, sys\n"
        f"subprocess.run([sys.executable, '-m', 'newsarchive', '--root', {str(root)!r}, 'edit', "
        f"{entry.id!r}, '--set', 'outlet=Meanwhile Times'], check=True, capture_output=True)\n"
        "p = sys.argv[1]\nd = json.load(open(p))\nd['section'] = 'Politics'\njson.dump(d, open(p, 'w'))\n")
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    r = cli("edit", entry.id)
    assert r.exit_code == 1 and "changed by another command while you were editing" in r.stderr
    now = api.get(root, entry.id)
    assert now.outlet == "Meanwhile Times" and now.section is None
    assert [e.get("field") for e in api.history(root, entry.id) if e["action"] == "set"] == ["outlet"]


def test_imported_citekey_in_use_is_suffixed_and_said_so(cli, root, tmp_path):
    assert cli("add", "--title", "One sample", "--citekey", "smith2020").exit_code == 0
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"title": "Another sample", "citekey": "smith2020"}) + "\n")
    r = cli("import", src, "--format", "jsonl")
    assert r.exit_code == 0
    (outcome,) = [json.loads(x) for x in r.stdout.splitlines()]
    assert outcome["status"] == "created" and api.get(root, outcome["id"]).citekey == "smith2020a"
    assert outcome["message"] == "citekey 'smith2020' is taken or reads as an entry's ID; stored as 'smith2020a'"


@pytest.mark.parametrize("name", ["entry.json", "history.jsonl", st.MANIFEST_FILE])
def test_a_change_never_builds_on_damaged_files(root, name):
    """An edit or a new version of a damaged entry is refused: rewriting the manifest would
    otherwise record the damage as the truth."""
    from newsarchive.errors import StoreError

    entry = api.add(root, data=PAGE, source="page.txt", fields={"url": "https://integrity.example/b"}).entry
    path = root / "archive" / entry.id / name
    path.write_bytes(path.read_bytes().replace(b"created", b"crea7ed").replace(b"SAMPLE", b"SAMPL3")
                     .replace(b"  v1", b" v1"))
    with pytest.raises(StoreError, match="damaged"):
        api.edit(root, entry.id, set_fields={"section": "World"})
    with pytest.raises(StoreError, match="damaged"):
        api.add(root, data=PAGE + b"More text.\n", source="page2.txt", fields={"url": "https://integrity.example/b"})
    assert fixity.check_entry(st.Store(root), entry.id)[1]  # still reported


def test_a_change_being_staged_is_not_reported_as_damage(root):
    """Readers take no lock: files a writer is staging right now are not the entry's yet."""
    entry = api.add(root, data=PAGE, source="page.txt", fields={}).entry
    folder = root / "archive" / entry.id
    (root / "archive" / f".tmp-{entry.id}-0a1b2c3d.json").write_text("{}")
    (folder / ".v2-0a1b2c3d").mkdir()
    (folder / ".v2-0a1b2c3d" / "original.txt").write_text("staged")
    assert kinds(root, entry.id) == []
    (root / "archive" / f".tmp-{entry.id}-0a1b2c3d.json").unlink()  # a leftover, not a change in progress
    assert kinds(root, entry.id) == [("extra", "original.txt")]
