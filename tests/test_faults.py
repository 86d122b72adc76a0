"""Fault injection: a kill (SIGKILL at a named point of each writer) or a full disk (ENOSPC) in
the middle of add, new version, edit and rm. After each fault the next command recovers and
``verify`` finds nothing wrong; the entry is in its old state or its new one, never between.
The kills and full disks that reach the search index run on both engines."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from newsarchive import api
from newsarchive import store as st
from newsarchive.errors import StoreError

from crashrun import run

# sample articles written for these tests
TEXT_1 = "SAMPLE: Fault headline\n\nFirst sample text of the article about a border deal.\n"
TEXT_2 = "SAMPLE: Fault headline\n\nSecond sample text: the border deal was signed on Friday.\n"
URL = "https://faults.example/article"
ENGINES = ("whoosh", "tantivy")
both_engines = pytest.mark.parametrize("engine", ENGINES)


def damage(root: Path) -> list:
    """Every problem verify finds in the archive (index lag is the index's business)."""
    return [p for p in api.verify(root)[1] if p.kind not in ("stale-index", "not-indexed", "extra-in-index")]


def leftovers(root: Path) -> list[str]:
    return sorted(n for n in os.listdir(root / "archive") if n.startswith(".") and n != ".lock")


@pytest.fixture
def texts(tmp_path):
    a, b = tmp_path / "one.txt", tmp_path / "two.txt"
    a.write_text(TEXT_1)
    b.write_text(TEXT_2)
    return a, b


def only_entry(root: Path) -> dict:
    (entry_id,) = st.Store(root).ids()
    return json.loads((root / "archive" / entry_id / "entry.json").read_text())


# --------------------------------------------------------------------------- kills

@both_engines
def test_kill_during_add_leaves_no_entry_and_is_swept(root, texts):
    r = run(root, "add", str(texts[0]), "--url", URL, crash_at="create-staged")
    assert r.returncode == -signal.SIGKILL
    assert st.Store(root).ids() == [] and leftovers(root)  # staged, not committed
    r = run(root, "add", str(texts[0]), "--url", URL)
    assert r.returncode == 0, r.stderr
    assert "rolled back a change" in r.stderr
    assert leftovers(root) == [] and damage(root) == []


@both_engines
@pytest.mark.parametrize("point,committed", [("commit-staged", False), ("commit-renamed", True),
                                             ("commit-applying", True)])
def test_kill_during_new_version(root, texts, point, committed):
    assert run(root, "add", str(texts[0]), "--url", URL).returncode == 0
    r = run(root, "add", str(texts[1]), "--url", URL, crash_at=point)
    assert r.returncode == -signal.SIGKILL
    # the next writer finishes (or discards) it; verify then finds nothing wrong
    r = run(root, "reindex")
    assert r.returncode == 0, r.stderr
    assert ("finished a change" if committed else "rolled back") in r.stderr
    assert leftovers(root) == [] and damage(root) == []
    entry = only_entry(root)
    assert len(entry["snapshots"]) == (2 if committed else 1)
    # and capturing the page again works: never "already exists" for good
    r = run(root, "add", str(texts[1]), "--url", URL, "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["status"] == ("duplicate" if committed else "new-version")
    assert len(only_entry(root)["snapshots"]) == 2 and damage(root) == []
    events = api.history(root, entry["id"])
    assert [e["action"] for e in events] == ["created", "new-version"]


@both_engines
@pytest.mark.parametrize("point,committed", [("commit-staged", False), ("commit-renamed", True),
                                             ("commit-applying", True)])
def test_kill_during_edit_writes_history_only_with_the_change(root, texts, point, committed):
    assert run(root, "add", str(texts[0])).returncode == 0
    entry_id = only_entry(root)["id"]
    r = run(root, "edit", entry_id, "--set", "section=World", crash_at=point)
    assert r.returncode == -signal.SIGKILL
    assert run(root, "reindex").returncode == 0
    assert leftovers(root) == [] and damage(root) == []
    assert not list((root / "archive" / entry_id).glob(".*.tmp"))
    assert only_entry(root).get("section") == ("World" if committed else None)
    actions = [e["action"] for e in api.history(root, entry_id)]
    assert actions == (["created", "set"] if committed else ["created"])


@both_engines
def test_kill_during_rm(root, texts):
    assert run(root, "add", str(texts[0])).returncode == 0
    entry_id = only_entry(root)["id"]
    r = run(root, "rm", "--yes", entry_id, crash_at="remove-renamed")
    assert r.returncode == -signal.SIGKILL
    assert st.Store(root).ids() == []
    assert run(root, "reindex").returncode == 0
    assert leftovers(root) == [] and damage(root) == []


# --------------------------------------------------------------------------- full disk

def _enospc_at(monkeypatch, n: int):
    real = st.write_file
    calls = []

    def failing(path, data, *, durable=True):
        calls.append(path)
        if len(calls) == n:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, data, durable=durable)

    monkeypatch.setattr(st, "write_file", failing)
    return calls


@both_engines
@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_full_disk_during_add(root, texts, monkeypatch, n):
    _enospc_at(monkeypatch, n)
    with pytest.raises(StoreError, match="No space left on device; nothing was changed"):
        api.add(root, data=texts[0].read_bytes(), source="one.txt", fields={"url": URL})
    monkeypatch.undo()
    assert st.Store(root).ids() == [] and leftovers(root) == [] and damage(root) == []


@both_engines
@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6])
def test_full_disk_during_new_version(root, texts, monkeypatch, n):
    first = api.add(root, data=texts[0].read_bytes(), source="one.txt", fields={"url": URL}).entry
    before = (root / "archive" / first.id / "entry.json").read_bytes()
    _enospc_at(monkeypatch, n)
    with pytest.raises(StoreError, match="No space left on device; nothing was changed"):
        api.add(root, data=texts[1].read_bytes(), source="two.txt", fields={"url": URL})
    monkeypatch.undo()
    assert (root / "archive" / first.id / "entry.json").read_bytes() == before
    assert leftovers(root) == [] and damage(root) == []
    out = api.add(root, data=texts[1].read_bytes(), source="two.txt", fields={"url": URL})
    assert out.status == "new-version" and damage(root) == []


@both_engines
@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_full_disk_during_edit_leaves_history_whole(root, texts, monkeypatch, n):
    entry = api.add(root, data=texts[0].read_bytes(), source="one.txt", fields={}).entry
    history = (root / "archive" / entry.id / "history.jsonl").read_bytes()
    _enospc_at(monkeypatch, n)
    with pytest.raises(StoreError, match="No space left on device"):
        api.edit(root, entry.id, set_fields={"section": "World"})
    monkeypatch.undo()
    assert (root / "archive" / entry.id / "history.jsonl").read_bytes() == history
    assert damage(root) == []
    api.edit(root, entry.id, set_fields={"section": "Europe"})
    assert [e["action"] for e in api.history(root, entry.id)] == ["created", "set"]
    assert damage(root) == []


def test_failed_rename_during_rm_keeps_the_entry(root, texts, monkeypatch):
    entry = api.add(root, data=texts[0].read_bytes(), source="one.txt", fields={}).entry

    def broken(*args):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "rename", broken)
    with pytest.raises(StoreError, match="cannot remove entry .*Input/output error; nothing was changed"):
        api.remove(root, entry.id)
    monkeypatch.undo()
    assert st.Store(root).ids() == [entry.id] and damage(root) == []


@both_engines
def test_real_full_disk_on_a_small_tmpfs(tmp_path, engine):
    """Only where a tmpfs can be mounted (root in CI): fill it with snapshots until the disk is
    full; every failure is one clean error line and the archive stays consistent."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("needs root to mount a small tmpfs")
    mnt = tmp_path / "small"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mnt)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode(errors='replace').strip()}")
    try:  # the CLI in subprocesses: no file of the small disk stays open (mapped) in this process
        root = mnt / "coll"
        assert subprocess.run([sys.executable, "-m", "newsarchive", "init", str(root),
                               "--engine", engine]).returncode == 0
        failed = 0
        for i in range(200):
            body = f"SAMPLE {i}\n\n" + f"word{i} " * 3000
            r = subprocess.run([sys.executable, "-m", "newsarchive", "--root", str(root), "add", "-",
                                "--url", f"{URL}/{i}"], input=body, capture_output=True, text=True)
            if r.returncode != 0:
                assert "No space left on device" in r.stderr and "Traceback" not in r.stderr, r.stderr
                assert len(r.stderr.strip().splitlines()) == 1, r.stderr
                failed += 1
                if failed >= 3:
                    break
        assert failed, "the small disk never filled up"
        assert leftovers(root) == []
        r = run(root, "verify", "--format", "json")
        kinds = [p["kind"] for p in json.loads(r.stdout)["problems"]]
        assert [k for k in kinds if k in ("corrupt", "missing", "invalid", "extra")] == []
    finally:
        if subprocess.run(["umount", str(mnt)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


# --------------------------------------------------------------------------- leftovers of older versions

def _make_legacy(root: Path, entry_id: str, *, torn: bytes = b"") -> None:
    """Turn an entry into what an older version wrote: no manifest, unchained history."""
    folder = root / "archive" / entry_id
    (folder / st.MANIFEST_FILE).unlink()
    lines = [json.loads(x) for x in (folder / st.HISTORY_FILE).read_text().splitlines()]
    for line in lines:
        line.pop("prev")
    (folder / st.HISTORY_FILE).write_bytes(
        b"".join(json.dumps(x).encode() + b"\n" for x in lines) + torn)


def test_orphan_version_files_from_an_older_version_are_replaced(root, texts):
    first = api.add(root, data=texts[0].read_bytes(), source="one.txt", fields={"url": URL}).entry
    _make_legacy(root, first.id)
    orphan = root / "archive" / first.id / "v2"
    orphan.mkdir()
    (orphan / "original.txt").write_bytes(b"half a snap")
    problems = api.verify(root)[1]
    assert [p.kind for p in problems if p.kind != "note"] == ["extra"]
    assert "next new version of this entry replaces it" in [p for p in problems if p.kind == "extra"][0].detail
    out = api.add(root, data=texts[1].read_bytes(), source="two.txt", fields={"url": URL})
    assert out.status == "new-version"
    assert (orphan / "original.txt").read_bytes() == texts[1].read_bytes()
    assert [p.kind for p in api.verify(root)[1]] == ["note"]  # still without a manifest: not sealed silently


def test_torn_history_line_is_never_fatal_and_is_repaired(cli, root, texts):
    entry = api.add(root, data=texts[0].read_bytes(), source="one.txt", fields={}).entry
    _make_legacy(root, entry.id, torn=b'{"at": "2026-01-01T00:00:00+00:00", "act')
    r = cli("history", entry.id, "--format", "json")
    assert r.exit_code == 0 and [e["action"] for e in json.loads(r.stdout)] == ["created"]
    problems = [p for p in api.verify(root)[1] if p.kind != "note"]
    assert [(p.kind, Path(p.path).name) for p in problems] == [("invalid", "history.jsonl")]
    assert "cut short" in problems[0].detail
    r = cli("edit", entry.id, "--set", "section=World")
    assert r.exit_code == 0
    assert "dropped a torn last line" in r.stderr
    r = cli("history", entry.id, "--format", "json")
    assert [e["action"] for e in json.loads(r.stdout)] == ["created", "set"]
    assert [p.kind for p in api.verify(root)[1]] == ["note"]
    # sealing adds the manifest once the entry checks out; then every file is covered
    r = cli("verify", "--seal")
    assert r.exit_code == 0 and "note" not in r.stdout
    assert (root / "archive" / entry.id / st.MANIFEST_FILE).exists()
    assert api.verify(root)[1] == []


def test_seal_refuses_a_damaged_entry(cli, root, texts):
    entry = api.add(root, data=texts[0].read_bytes(), source="one.txt", fields={}).entry
    _make_legacy(root, entry.id)
    snap = root / "archive" / entry.id / entry.snapshots[0].path
    snap.write_bytes(snap.read_bytes().replace(b"border", b"b0rder"))
    r = cli("verify", "--seal")
    assert r.exit_code == 1 and "corrupt:" in r.stdout and "no manifest" in r.stdout
    assert not (root / "archive" / entry.id / st.MANIFEST_FILE).exists()


def test_old_temp_file_in_entry_folder_is_swept_by_the_next_change(root, texts):
    entry = api.add(root, data=texts[0].read_bytes(), source="one.txt", fields={}).entry
    stale = root / "archive" / entry.id / ".entry.json.abcd1234.tmp"
    stale.write_bytes(b"{")
    assert [p.kind for p in api.verify(root)[1]] == ["extra"]
    api.edit(root, entry.id, set_fields={"section": "World"})
    assert not stale.exists() and api.verify(root)[1] == []


def test_full_disk_after_the_commit_point_is_finished_by_the_next_writer(root, texts, monkeypatch):
    """A bulk import rewrites history and manifest in place after the commit point; if the disk
    fills up there, the change is reported as committed and the next writer completes it."""
    entry = api.add(root, data=texts[0].read_bytes(), source="one.txt", fields={}).entry
    store = st.Store(root)
    real = st._rewrite_in_place

    def full(path, data, *, durable):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(st, "_rewrite_in_place", full)
    with store.lock(), pytest.raises(StoreError, match="committed but could not be finished"):
        store.update(entry.evolve(section="World"), history=[{"action": "set", "field": "section"}], durable=False)
    with pytest.raises(StoreError, match=r"cannot finish a change to entry .* \(No space left on device\)"):
        with store.lock():
            pass
    monkeypatch.setattr(st, "_rewrite_in_place", real)
    with store.lock():
        pass
    assert store.read(entry.id).section == "World"
    assert [e["action"] for e in store.read_history(entry.id)] == ["created", "set"]
    assert leftovers(root) == [] and damage(root) == []
