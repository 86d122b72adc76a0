"""The catalog cache (index/catalog.jsonl): derived, incremental, and never trusted over the archive."""

import json

import pytest

from newsarchive import api
from newsarchive.errors import UsageError
from newsarchive.store import Store


def add(root, title, text=None, **fields):
    data = text.encode() if text else None
    return api.add(root, data=data, source="t.txt" if text else None, fields={"title": title, **fields}).entry


def test_cache_is_written_and_used(root):
    e = add(root, "First", "First body.")
    cache = root / "index" / api.Catalog.CACHE
    rows = [json.loads(l) for l in cache.read_text().splitlines()]
    assert [r["id"] for r in rows] == [e.id]
    c = api.Catalog(Store(root))
    c.refresh(Store(root))
    assert c.find_sha(e.snapshots[0].sha256) == e.id


def test_removed_entry_is_forgotten_and_can_come_back(root):
    e = add(root, "First", "Body to remove.")
    api.remove(root, e.id)
    again = api.add(root, data=b"Body to remove.", source="t.txt", fields={"title": "First"})
    assert again.status == "created" and again.id != e.id


def test_missing_or_damaged_cache_is_rebuilt_from_the_archive(root):
    e = add(root, "First", "Body one.")
    cache = root / "index" / api.Catalog.CACHE
    cache.write_text('{"id": "broken\n')  # damaged
    dup = api.add(root, data=b"Body one.", source="t.txt", fields={})
    assert dup.status == "duplicate" and dup.id == e.id
    cache.unlink()
    dup = api.add(root, data=b"Body one.", source="t.txt", fields={})
    assert dup.status == "duplicate" and dup.id == e.id
    assert e.id in cache.read_text()


def test_cache_never_hides_an_entry_written_behind_its_back(root, tmp_path):
    add(root, "First", "Body one.")
    other = Store(root)
    # a second, independent catalog (another process) adds an entry
    e2 = add(root, "Second", "Body two.")
    c = api.Catalog(other)
    c.refresh(other)
    assert e2.id in c.entries and e2.citekey in c.citekeys


def test_citekey_edit_is_seen_by_the_next_writer(root):
    a = add(root, "Alpha", "Alpha body.")
    api.edit(root, a.id, set_fields={"citekey": "mykey"})
    # taken (the next writer sees the edit): an explicit citekey is never silently changed
    with pytest.raises(UsageError, match=f"citekey 'mykey' is taken by entry {a.id}"):
        add(root, "Beta", "Beta body.", citekey="mykey")


def test_new_ids_avoid_citekeys_as_they_come_and_go(monkeypatch):
    from newsarchive import store as st
    from newsarchive.model import Entry

    catalog = api.Catalog()
    catalog.add(Entry.from_json({"id": "aaaa1111", "citekey": "KX7m", "title": "Sample"}), stamp=(1, 1))
    seq = iter(["kx7m2222", "q3333333", "kx7m4444"])
    monkeypatch.setattr(st, "new_id", lambda length=8: next(seq))
    assert catalog.new_id() == "q3333333"  # kx7m2222 would read as the citekey (any case)
    catalog.add(Entry.from_json({"id": "aaaa1111", "citekey": "other2024", "title": "Sample"}), stamp=(1, 2))
    assert catalog.new_id() == "kx7m4444"  # the citekey changed: the prefix is free again
    seq2 = iter(["abc12345", "zz999999"])
    monkeypatch.setattr(st, "new_id", lambda length=8: next(seq2))
    assert catalog.new_id(avoid="ABC") == "zz999999"
