"""The lock's recovery sweep and the "left clean" mark that spares it (store_recover): a writer
that left nothing behind lets the next one skip the sweep; anything else (a kill at any crash
point, a store write that failed even if its caller went on, a change by hand or by an older
version) makes the next writer sweep."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from newsarchive import api
from newsarchive import store as st
from newsarchive import store_recover as rec
from newsarchive.errors import StoreError
from newsarchive.model import Entry

from crashrun import run


def make_entry(entry_id: str, **extra) -> Entry:
    return Entry.from_json({"id": entry_id, "citekey": f"key{entry_id}", "title": "Sample", **extra})


@pytest.fixture
def store(tmp_path) -> st.Store:
    st.init_collection(tmp_path / "c")
    return st.Store(tmp_path / "c")


@pytest.fixture
def sweeps(monkeypatch) -> list[Path]:
    """The archive folders swept (the real sweep runs)."""
    calls: list[Path] = []
    real = rec.sweep

    def spy(store):
        calls.append(store.archive)
        real(store)

    monkeypatch.setattr(rec, "sweep", spy)
    return calls


def marked(store: st.Store) -> bool:
    """The lock file holds a mark naming the archive folder as it is now."""
    return (store.archive / ".lock").read_bytes() == rec.MARK + rec.folder_stamp(store.archive) + b"\n"


def leftovers(store: st.Store) -> list[str]:
    return sorted(n for n in os.listdir(store.archive) if n.startswith(".") and n != ".lock")


def fail_manifest_once(monkeypatch) -> None:
    """The next replacement of a manifest fails (after entry.json and history were replaced): the
    change is committed and half applied, its journal left for the next writer to finish."""
    real = os.replace
    armed = [True]

    def replace(src, dst, *a, **k):
        if armed and os.path.basename(dst) == st.MANIFEST_FILE:
            armed.clear()
            raise OSError(28, "No space left on device")
        return real(src, dst, *a, **k)

    monkeypatch.setattr(os, "replace", replace)


def test_a_clean_release_marks_the_archive_and_the_next_writer_skips_the_sweep(store, sweeps):
    with store.lock():
        store.create(make_entry("abcd1234"), [st.NewFile("v1/original.txt", b"hello")])
    assert sweeps == [store.archive] and marked(store)
    with store.lock():
        assert (store.archive / ".lock").read_bytes() == b""  # removed before anything is written
        store.update(make_entry("abcd1234", section="World"), history=[{"action": "set"}])
    with store.lock():
        store.remove("abcd1234")
    assert sweeps == [store.archive] and marked(store)  # no listing of the archive after the first
    assert store.ids() == [] and leftovers(store) == []


def test_a_leftover_made_behind_the_mark_is_swept(store, sweeps):
    """What an older version (which knows nothing of the mark) or a hand leaves after a writer
    marked the archive clean changes the folder's stamp: the next writer sweeps."""
    with store.lock():
        store.create(make_entry("abcd1234"))
    assert marked(store)
    (store.archive / ".tmp-ffff0000-0a1b2c3d").mkdir()
    (store.archive / ".tmp-ffff0000-0a1b2c3d" / "entry.json").write_text("{")
    with store.lock():
        pass
    assert len(sweeps) == 2 and leftovers(store) == [] and marked(store)


def test_a_change_committed_by_an_older_writer_is_rolled_forward(store, sweeps, monkeypatch):
    """A committed change whose application failed, written without the mark's bookkeeping (as an
    older version writes), after the archive was marked clean: the next writer finishes it."""
    with store.lock():
        store.create(make_entry("abcd1234"))
    assert marked(store)

    older = st.Store(store.root)
    fail_manifest_once(monkeypatch)
    with pytest.raises(StoreError, match="committed but could not be finished"):  # the bare commit: as
        st.Store.commit.__wrapped__(older, make_entry("abcd1234", section="World"),  # an older version,
                                    history=[{"action": "set"}])  # which knows nothing of the mark
    assert marked(store) is False  # only the folder's stamp tells
    assert (store.archive / ".lock").read_bytes().startswith(rec.MARK)
    assert [n for n in leftovers(store) if n.startswith(rec.COMMIT_PREFIX)]
    with store.lock():
        pass
    assert store.read("abcd1234").section == "World" and leftovers(store) == []


def test_a_store_write_that_failed_forfeits_the_mark_even_when_its_caller_goes_on(store, sweeps, monkeypatch):
    """The reverted first attempt's hole: a caught exception left a committed journal, and the
    stamp taken at release blessed it. Now any store write that raised means no mark."""
    with store.lock():
        store.create(make_entry("abcd1234"))
    fail_manifest_once(monkeypatch)
    with store.lock():
        with pytest.raises(StoreError, match="committed but could not be finished"):
            store.update(make_entry("abcd1234", section="World"), history=[{"action": "set"}])
        store.create(make_entry("bcde2345"))  # the caller goes on; this one succeeds
    assert not marked(store)
    with store.lock():
        pass
    assert len(sweeps) == 2
    assert store.read("abcd1234").section == "World" and leftovers(store) == [] and marked(store)


def test_a_failed_write_through_another_object_under_the_lock_forfeits_the_mark(store, sweeps, monkeypatch):
    """A write the lock's bookkeeping cannot see (another Store object than the one holding the
    lock) spoils the lock file, even when a seen write follows it."""
    with store.lock():
        store.create(make_entry("abcd1234"))
    fail_manifest_once(monkeypatch)
    with store.lock():
        with pytest.raises(StoreError, match="committed but could not be finished"):
            st.Store(store.root).update(make_entry("abcd1234", section="World"), history=[{"action": "set"}])
        store.create(make_entry("bcde2345"))  # seen, and it succeeds: the stamp after it is current
    assert not marked(store)
    with store.lock():
        pass
    assert len(sweeps) == 2 and store.read("abcd1234").section == "World" and marked(store)


def test_a_folder_staged_for_another_process_forfeits_the_mark(store, sweeps):
    """What a bulk import hands to its writer process (stage_new, then store_io.write_folder in
    that process) is out of the lock's sight, even when a seen write follows it."""
    from newsarchive.store_io import write_folder

    with store.lock():
        new = store.stage_new(make_entry("abcd1234"))
        (store.archive / ".tmp-abcd1234-0a1b2c3d").mkdir()  # as a writer process killed mid-folder left it
        write_folder(str(store.archive), new.entry_id, new.final, new.files, durable=False, mtime_ns=None)
        store.create(make_entry("bcde2345"))  # seen, and it succeeds: the stamp after it is current
    assert not marked(store)
    with store.lock():
        pass
    assert len(sweeps) == 2 and leftovers(store) == [] and store.ids() == ["abcd1234", "bcde2345"]


def test_a_change_by_hand_under_the_lock_forfeits_the_mark(store, sweeps):
    with store.lock():
        store.create(make_entry("abcd1234"))
        (store.archive / ".tmp-half-written").mkdir()  # not through the store
    assert not marked(store)
    with store.lock():
        pass
    assert len(sweeps) == 2 and leftovers(store) == []


def test_a_block_that_raised_leaves_no_mark(store, sweeps):
    with pytest.raises(RuntimeError):
        with store.lock():
            store.create(make_entry("abcd1234"))
            raise RuntimeError("the command failed")
    assert (store.archive / ".lock").read_bytes() == b""
    with store.lock():
        pass
    assert len(sweeps) == 2


@pytest.mark.parametrize("damage", ["torn", "other-stamp", "garbage"])
def test_a_mark_that_does_not_match_exactly_is_no_mark(store, sweeps, damage):
    with store.lock():
        store.create(make_entry("abcd1234"))
    good = (store.archive / ".lock").read_bytes()
    bad = {"torn": good[:-5], "other-stamp": good.replace(b":", b":1", 1), "garbage": b"\x00" * 40}[damage]
    (store.archive / ".lock").write_bytes(bad)  # the lock file's content: the folder is unchanged
    with store.lock():
        pass
    assert len(sweeps) == 2 and marked(store)


def test_no_mark_on_a_file_system_not_known_to_be_local(store, sweeps, monkeypatch):
    assert rec.file_system(store.archive) in rec.LOCAL_FILE_SYSTEMS  # where the tests run
    monkeypatch.setattr(rec, "file_system", lambda path: "nfs4")
    with store.lock():
        store.create(make_entry("abcd1234"))
    assert (store.archive / ".lock").read_bytes() == b""
    with store.lock():
        pass
    assert len(sweeps) == 2


def test_no_mark_when_the_clock_has_not_moved_past_the_folder_or_times_are_coarse():
    now = time.time_ns()
    assert rec._times_settled(f"1:2:{now - 10**9}:{now - 10**9 + 7}:3".encode())
    assert not rec._times_settled(f"1:2:{now + 3600 * 10**9}:{now + 3600 * 10**9}:3".encode())  # ahead
    whole_ms = (now - 10**9) // 10**6 * 10**6
    assert not rec._times_settled(f"1:2:{whole_ms}:{whole_ms}:3".encode())  # whole milliseconds
    assert not rec._times_settled(b"not a stamp")
    just_now = time.time_ns()  # a change this instant: the mark waits for the kernel's file clock
    assert rec._times_settled(f"1:2:{just_now}:{just_now + 3}:3".encode())  # (coarse: up to a tick
    assert time.clock_gettime_ns(5) > just_now + 1_000_000  # behind the precise clock) to pass it


# --------------------------------------------------------------------------- kills (CLI)

TEXT_1 = "SAMPLE: Recovery headline\n\nFirst sample text of an article about a harbour.\n"
TEXT_2 = "SAMPLE: Recovery headline\n\nSecond sample text: the harbour reopened on Monday.\n"
TEXT_3 = "SAMPLE: Another headline\n\nA third sample text, about a bridge.\n"
URL = "https://recover.example/article"


def _entry_ids(root: Path) -> list[str]:
    return st.Store(root).ids()


@pytest.mark.parametrize("point,command", [
    ("create-staged", "add"), ("commit-staged", "new-version"), ("commit-renamed", "new-version"),
    ("commit-applying", "new-version"), ("commit-staged", "edit"), ("commit-renamed", "edit"),
    ("commit-applying", "edit"), ("remove-renamed", "rm")])
def test_a_writer_killed_after_a_clean_mark_is_recovered_by_the_next_add(tmp_path, point, command):
    root = api.init(tmp_path / "coll", engine="tantivy")
    files = []
    for n, text in enumerate((TEXT_1, TEXT_2, TEXT_3)):
        files.append(tmp_path / f"t{n}.txt")
        files[-1].write_text(text)
    assert run(root, "add", str(files[0]), "--url", URL).returncode == 0
    store = st.Store(root)
    assert marked(store)  # the first add left the archive clean
    (entry_id,) = _entry_ids(root)
    args = {"add": ["add", str(files[2])], "new-version": ["add", str(files[1]), "--url", URL],
            "edit": ["edit", entry_id, "--set", "section=World"], "rm": ["rm", "--yes", entry_id]}[command]
    r = run(root, *args, crash_at=point)
    assert r.returncode == -signal.SIGKILL
    assert not marked(store)
    r = run(root, "add", str(tmp_path / "t2.txt") if command != "add" else str(files[1]), "--title", "Next")
    assert r.returncode == 0, r.stderr
    assert ("finished a change" in r.stderr) or ("rolled back" in r.stderr) or point == "remove-renamed"
    assert leftovers(store) == [] and marked(store)
    problems = [p for p in api.verify(root)[1] if p.kind not in ("stale-index", "not-indexed", "extra-in-index")]
    assert problems == []
    if command in ("new-version", "edit") and point != "commit-staged":  # committed: rolled forward
        entry = json.loads((root / "archive" / entry_id / "entry.json").read_text())
        assert (len(entry["snapshots"]) == 2) if command == "new-version" else (entry.get("section") == "World")
    if command == "rm":
        assert entry_id not in _entry_ids(root)


def test_an_import_through_the_writer_process_leaves_no_mark(tmp_path, monkeypatch):
    """Folders written by the import's writer process (store_queue.py) are out of the lock's
    sight: that hold of the lock leaves no mark, and the next writer sweeps."""
    from newsarchive import store_queue

    if not store_queue.available():  # pragma: no cover - the writer process is Linux's
        pytest.skip("the writer process needs Linux")
    root = api.init(tmp_path / "coll", engine="tantivy")
    lines = tmp_path / "in.jsonl"
    lines.write_text("".join(json.dumps({"title": f"Sample {i}", "url": f"https://recover.example/{i}",
                                         "text": f"Sample text {i} about a harbour."}) + "\n" for i in range(40)))
    assert run(root, "import", str(lines), "--format", "json").returncode == 0
    store = st.Store(root)
    assert len(store.ids()) == 40 and not marked(store)
    calls = []
    real = rec.sweep
    monkeypatch.setattr(rec, "sweep", lambda s: (calls.append(1), real(s)))
    api.add(root, data=b"Sample text after the import.", source="after.txt", fields={"title": "After"})
    assert calls == [1] and marked(store)
