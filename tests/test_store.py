"""The archive layout: atomic writes, the lock, ID prefixes, finding a collection."""

import multiprocessing
import os
import time

import pytest

from newsarchive import ondisk
from newsarchive import store as st
from newsarchive.errors import AmbiguousID, EntryNotFound, LockTimeout, NotACollection, StoreError
from newsarchive.model import Entry


def make_entry(entry_id, citekey="key2024", **extra):
    return Entry.from_json({"id": entry_id, "citekey": citekey, "title": "Sample", **extra})


@pytest.fixture
def store(tmp_path):
    st.init_collection(tmp_path)
    return st.Store(tmp_path)


def test_find_root_walks_up_and_honours_env(tmp_path):
    st.init_collection(tmp_path / "c")
    deep = tmp_path / "c" / "archive" / "x"
    deep.mkdir()
    assert st.find_root(cwd=deep, environ={}) == (tmp_path / "c").resolve()
    assert st.find_root(environ={"NEWSARCHIVE_ROOT": str(tmp_path / "c")}) == (tmp_path / "c").resolve()
    with pytest.raises(NotACollection):
        st.find_root(cwd=tmp_path, environ={})
    with pytest.raises(NotACollection):
        st.find_root(tmp_path / "nope", environ={})


def test_create_read_update_remove(store):
    e = make_entry("abcd1234")
    with store.lock():
        store.create(e, [st.NewFile("v1/original.txt", b"hello")], history=[{"action": "created"}])
    assert store.read("abcd1234") == e
    assert store.read_file("abcd1234", "v1/original.txt") == b"hello"
    with store.lock():
        store.update(e.evolve(title="New"), history=[{"action": "set"}])
    assert store.read("abcd1234").title == "New"
    assert [h["action"] for h in store.read_history("abcd1234")] == ["created", "set"]
    with store.lock():
        store.remove("abcd1234")
    assert store.ids() == []
    assert os.listdir(store.archive) == [".lock"]


def test_failure_mid_write_leaves_no_trace(store, monkeypatch):
    e = make_entry("abcd1234")
    real = st.write_file
    calls = []

    def failing(path, data, *, durable=True):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(path, data, durable=durable)

    monkeypatch.setattr(st, "write_file", failing)
    with store.lock(), pytest.raises(StoreError, match="No space left on device; nothing was changed"):
        store.create(e, [st.NewFile("v1/original.txt", b"x"), st.NewFile("v1/text.txt", b"y")])
    assert store.ids() == []
    assert [p for p in os.listdir(store.archive) if p != ".lock"] == []


def test_failed_metadata_replace_keeps_old_file(store, monkeypatch):
    e = make_entry("abcd1234")
    with store.lock():
        store.create(e)
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(OSError("disk gone")))
    with store.lock(), pytest.raises(StoreError, match="disk gone"):
        store.update(e.evolve(title="Changed"))
    assert store.read("abcd1234").title == "Sample"
    assert sorted(os.listdir(store.archive / "abcd1234")) == ["entry.json", "manifest-sha256.txt"]


def test_leftover_temp_folders_are_swept(store):
    (store.archive / ".tmp-dead-0000").mkdir()
    (store.archive / ".tmp-dead-0000" / "entry.json").write_text("{")
    with store.lock():
        pass
    assert not (store.archive / ".tmp-dead-0000").exists()


def _hold_lock(root, ready, seconds):
    s = st.Store(root)
    with s.lock():
        ready.set()
        time.sleep(seconds)


def test_lock_times_out_with_clear_error(store):
    ready = multiprocessing.Event()
    p = multiprocessing.Process(target=_hold_lock, args=(store.root, ready, 2.0))
    p.start()
    try:
        assert ready.wait(10)
        with pytest.raises(LockTimeout, match="another newsarchive process"):
            with store.lock(timeout=0.2):
                pass
        with store.lock(timeout=20):  # waits for the holder, then gets it
            pass
    finally:
        p.join()


def test_resolve_by_prefix_and_citekey(store):
    with store.lock():
        store.create(make_entry("abcd1234", "one2024"))
        store.create(make_entry("abce5678", "two2024"))
    assert store.resolve("abcd") == "abcd1234"
    assert store.resolve("ABCE5") == "abce5678"
    assert store.resolve("two2024") == "abce5678"
    with pytest.raises(AmbiguousID, match="matches 2 entries"):
        store.resolve("abc")
    with pytest.raises(EntryNotFound):
        store.resolve("zzzz")
    with pytest.raises(EntryNotFound):
        store.resolve("../../etc/passwd")


def test_broken_metadata_is_reported_with_path(store):
    with store.lock():
        store.create(make_entry("abcd1234"))
    (store.archive / "abcd1234" / "entry.json").write_text("{not json")
    with pytest.raises(StoreError, match="abcd1234/entry.json: broken metadata"):
        store.read("abcd1234")


def test_files_are_never_overwritten(store):
    with store.lock():
        store.create(make_entry("abcd1234"), [st.NewFile("v1/original.txt", b"a")])
        with pytest.raises(StoreError, match="never overwritten"):
            store.add_files("abcd1234", [st.NewFile("v1/original.txt", b"b")])
    assert store.read_file("abcd1234", "v1/original.txt") == b"a"


# --- the fast writers of a bulk import give the same bytes as the standard library

from hypothesis import given, settings, strategies as hs  # noqa: E402

_json_leaf = hs.one_of(hs.none(), hs.booleans(), hs.integers(), hs.text(),
                       hs.floats(allow_nan=False, allow_infinity=False))
_json_value = hs.recursive(_json_leaf, lambda inner: hs.one_of(hs.lists(inner, max_size=4),
                                                              hs.dictionaries(hs.text(max_size=8), inner, max_size=4)),
                           max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(_json_value)
def test_pretty_json_gives_the_characters_of_json_dumps(value):
    import json

    assert ondisk.pretty_json(value) == json.dumps(value, ensure_ascii=False, indent=2)


def test_pretty_json_hands_what_is_not_plain_json_to_the_standard_encoder():
    import json

    odd = {"t": (1, 2), "n": float("nan"), "k": {1: "int key"}}
    assert ondisk.pretty_json(odd) == json.dumps(odd, ensure_ascii=False, indent=2)


def test_pretty_json_refuses_a_cycle_as_json_dumps_does():
    loop: dict = {"a": []}
    loop["a"].append(loop)
    with pytest.raises(ValueError, match="Circular reference"):
        ondisk.pretty_json(loop)


def test_entry_bytes_are_json_dumps_indent_2(store):
    import json

    entry = make_entry("abcdefgh", title="Sample «quoted» \u2028 line", tags=["a", "b"])
    assert ondisk.entry_bytes(entry) == (json.dumps(entry.to_json(), ensure_ascii=False, indent=2) + "\n").encode()


def test_new_ids_use_the_whole_alphabet_at_any_length():
    from newsarchive.model import ID_ALPHABET

    ids = [st.new_id() for _ in range(2000)]
    assert all(len(i) == 8 and set(i) <= set(ID_ALPHABET) for i in ids)
    assert len(set(ids)) == len(ids)
    assert set("".join(ids)) == set(ID_ALPHABET)  # 16,000 draws: every character turns up
    assert all(len(st.new_id(n)) == n for n in (1, 4, 12, 32))
