"""The catalog (index/catalog.sqlite): derived, incremental, kept in step with the archive
without reading every entry.json, and never trusted over the archive."""

import json
import os
import sqlite3

import pytest

from newsarchive import api, catalog as catalog_mod
from newsarchive.errors import UsageError
from newsarchive.store import Store


def add(root, title, text=None, **fields):
    data = text.encode() if text else None
    return api.add(root, data=data, source="t.txt" if text else None, fields={"title": title, **fields}).entry


def rows(root):
    db = sqlite3.connect(root / "index" / api.Catalog.CACHE)
    try:
        return {r[0]: r[1] for r in db.execute("SELECT id, citekey FROM entries")}
    finally:
        db.close()


def fresh(root, **kw):
    c = api.Catalog(Store(root))
    c.refresh(Store(root), **kw)
    return c


def test_catalog_is_written_and_used(root):
    e = add(root, "First", "First body.")
    assert rows(root) == {e.id: e.citekey}
    c = fresh(root)
    assert c.find_sha(e.snapshots[0].sha256) == e.id
    assert e.id in c.entries and e.citekey in c.citekeys and len(c.entries) == 1


def test_removed_entry_is_forgotten_and_can_come_back(root):
    e = add(root, "First", "Body to remove.")
    api.remove(root, e.id)
    assert rows(root) == {}
    again = api.add(root, data=b"Body to remove.", source="t.txt", fields={"title": "First"})
    assert again.status == "created" and again.id != e.id


def test_missing_or_damaged_catalog_is_rebuilt_from_the_archive(root):
    e = add(root, "First", "Body one.")
    cache = root / "index" / api.Catalog.CACHE
    for suffix in ("-wal", "-shm"):
        (root / "index" / (api.Catalog.CACHE + suffix)).unlink(missing_ok=True)
    cache.write_bytes(b"\x00\xff this is not a database \x9c" * 100)  # damaged
    dup = api.add(root, data=b"Body one.", source="t.txt", fields={})
    assert dup.status == "duplicate" and dup.id == e.id
    cache.unlink()
    dup = api.add(root, data=b"Body one.", source="t.txt", fields={})
    assert dup.status == "duplicate" and dup.id == e.id
    assert e.id in rows(root)


def test_catalog_never_hides_an_entry_written_behind_its_back(root):
    add(root, "First", "Body one.")
    c = fresh(root)  # a catalog opened before another process writes
    e2 = add(root, "Second", "Body two.")
    c.refresh(Store(root))
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


def test_a_hand_edit_is_seen_within_the_rolling_check(root, monkeypatch):
    """A collection larger than the check budget: each refresh compares a slice of the stamps
    and goes on where the last stopped, so a hand edit is seen within entries/budget refreshes;
    ``full`` sees it at once."""
    entries = [add(root, f"Sample {n}", f"Sample body {n}.") for n in range(6)]
    monkeypatch.setattr(catalog_mod, "CHECK_BUDGET", 2)
    victim = sorted(entries, key=lambda e: e.id)[-1]
    path = root / "archive" / victim.id / "entry.json"
    data = json.loads(path.read_text())
    data["citekey"] = "handedited"
    path.write_text(json.dumps(data, indent=2))
    seen = []
    for _ in range(3):
        c = fresh(root)
        seen.append("handedited" in c.citekeys)
        c.close()
    assert seen == [False, False, True]  # the third slice holds the last ID
    path.write_text(json.dumps({**data, "citekey": "again"}, indent=2))
    c = fresh(root, full=True)
    assert "again" in c.citekeys


def meta(root, key):
    db = sqlite3.connect(root / "index" / api.Catalog.CACHE)
    try:
        row = db.execute("SELECT v FROM meta WHERE k = ?", (key,)).fetchone()
        return row[0] if row else None
    finally:
        db.close()


def test_writers_go_on_with_the_rolling_check_where_the_last_stopped(root, monkeypatch):
    """A writer's refresh writes the archive's stamp and the cursor with its own batch (one
    transaction less per command), and the slices still move on from writer to writer: a hand
    edit is learnt by the writer whose slice holds it."""
    entries = [add(root, f"Sample {n}", f"Sample body {n}.") for n in range(6)]
    monkeypatch.setattr(catalog_mod, "CHECK_BUDGET", 2)
    fresh(root, full=True).close()
    assert meta(root, "cursor") == ""
    victim = sorted(entries, key=lambda e: e.id)[-1]  # in the third slice
    path = root / "archive" / victim.id / "entry.json"
    data = json.loads(path.read_text())
    data["citekey"] = "handedited"
    path.write_text(json.dumps(data, indent=2))
    ids = sorted(e.id for e in entries)
    sample0 = [e.id for e in entries if e.title == "Sample 0"][0]
    for n in range(3):  # writers that find a duplicate: nothing archived, the IDs stay as they are
        o = api.add(root, data=b"Sample body 0.", source="t.txt", fields={"title": "Sample 0"})
        assert o.status == "duplicate" and o.id == sample0
        assert meta(root, "cursor") == (ids[1], ids[3], ids[5])[n]  # written with the writer's batch
        assert ("handedited" in rows(root).values()) == (n == 2)
    assert meta(root, "archive") == catalog_mod.archive_signature(Store(root))
    _entry, changes = api.edit(root, sample0, set_fields={"title": "Sample 0"})  # a writer that changes nothing
    assert changes == [] and meta(root, "cursor") == ""  # written before it released the lock


def test_the_archive_is_listed_only_when_its_folder_changed(root, monkeypatch):
    add(root, "First", "Body one.")
    fresh(root).close()
    calls = []
    real = Store.ids

    def counted(self):
        calls.append(1)
        return real(self)

    monkeypatch.setattr(Store, "ids", counted)
    fresh(root).close()
    assert calls == []  # nothing came or went: no listing
    os.mkdir(root / "archive" / "zz000000")  # a folder made by hand (no entry.json)
    c = fresh(root)
    assert calls and "zz000000" in c.unreadable


def test_a_reader_never_undoes_a_writer(root):
    """A reader that learnt an entry.json before a writer changed it writes its row only where
    the row is still as the reader found it."""
    from newsarchive import catalog_db

    a = add(root, "Alpha", "Alpha body.")
    reader = fresh(root)
    old = reader.stamp_of(a.id)
    api.edit(root, a.id, set_fields={"citekey": "newer"})  # the writer: entry.json and row
    stale_entry = a  # what the reader had read before the edit
    catalog_db._apply(reader, learnt=[(old, stale_entry, old)], failed=[], forgotten=[], sig=None,
                      stored_sig=None, cursor=("", ""), locked=False)
    assert rows(root)[a.id] == "newer"


def test_a_dry_run_never_writes_the_catalog(root):
    from newsarchive.formats.records import Record

    add(root, "First", "Body one.")
    before = rows(root)
    out = api.ingest_records(root, [Record(ref="r1", fields={"title": "Planned sample"}, data=None)], dry_run=True)
    assert [o.status for o in out] == ["would-create"]
    assert rows(root) == before


def test_reindex_rebuilds_the_catalog_in_the_same_pass(root):
    a = add(root, "Alpha", "Alpha body.")
    (root / "index" / api.Catalog.CACHE).unlink()
    api.reindex(root)
    assert rows(root) == {a.id: a.citekey}
    assert api.status(root).index_state == "ok"


def test_a_reader_that_cannot_write_works_on_a_private_copy(root):
    """While another process holds the catalog file for writing (a writer's batch), a reader
    that has something to learn works on a copy in memory and still answers from the truth."""
    a = add(root, "Alpha", "Alpha body.")
    path = root / "archive" / a.id / "entry.json"
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "citekey": "byhand"}, indent=2))
    holder = sqlite3.connect(root / "index" / api.Catalog.CACHE, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        assert api.get(root, "byhand").id == a.id
        assert [e.citekey for e in api.list_entries(root)] == ["byhand"]
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert rows(root)[a.id] == data["citekey"]  # the file was left to its holder ...
    fresh(root).close()
    assert rows(root)[a.id] == "byhand"  # ... and is brought in step by the next refresh


def test_older_caches_are_removed(root):
    add(root, "Alpha", "Alpha body.")
    old = root / "index" / "catalog-2.jsonl"
    old.write_text('{"id": "x"}\n')
    add(root, "Beta", "Beta body.")
    assert not old.exists()


def test_list_through_the_catalog_orders_and_filters_as_the_fields_say(root):
    """``list`` answered by SQL gives what sorting and filtering the entries in Python gives:
    no value last either way, ties by ID, filters as ``catalog.matches``."""
    import random

    from newsarchive.catalog import matches, sort_value
    from newsarchive.fields import filters, sortable

    rng = random.Random(12)
    outlets = [None, "Sample Times", "sample times", "Ünïcode Daily", "Zeta Wire"]
    people = [[], [{"family": "Gec", "given": "Jovana"}], [{"family": "Ørsted", "given": "Ida"},
                                                           {"family": "Smith", "given": "Al"}]]
    for n in range(30):
        fields = {"title": rng.choice([f"Sample {n}", f"sample {n}b", f"Éclair sample {n}", f"Zed {n}"]),
                  "outlet": rng.choice(outlets), "kind": rng.choice([None, "news website", "newspaper"]),
                  "published": rng.choice([None, "2024", "2024-09", "2024-09-04", "2023-01-02T10:00:00Z"]),
                  "language": rng.choice([None, "en", "sr"]), "tags": rng.sample(["a", "b", "c"], rng.randint(0, 2)),
                  "authors": rng.choice(people), "section": rng.choice([None, "World"])}
        api.add(root, data=None, source=None, fields={k: v for k, v in fields.items() if v is not None})
    entries = api.list_entries(root)
    assert len(entries) == 30

    def reference(sort, where):
        key, down = sort.lstrip("-"), sort.startswith("-")
        kept = sorted((e for e in entries if matches(e, where)), key=lambda e: e.id)
        have = [e for e in kept if sort_value(e, key) is not None]
        have.sort(key=lambda e: sort_value(e, key), reverse=down)  # stable: ties stay in ID order
        return [e.id for e in have + [e for e in kept if sort_value(e, key) is None]]

    wheres = [{}, {"tag": "a"}, {"author": "ørs"}, {"year": "2024"}, {"outlet": "SAMPLE TIMES"},
              {"kind": "newspaper", "language": "sr"}, {"section": "world"}, {"tag": "A"}, {"author": "gec"}]
    assert {k for w in wheres for k in w} == set(filters())
    for key in sortable():
        for sort in (key, "-" + key):
            for where in wheres:
                got = [e.id for e in api.list_entries(root, sort=sort, where=where)]
                assert got == reference(sort, where), (sort, where)
                assert [e.id for e in api.list_entries(root, sort=sort, where=where, limit=3)] == got[:3]


@pytest.mark.parametrize("engine", ["whoosh", "tantivy"])
def test_status_reads_the_index_only_when_the_catalog_record_of_it_does_not_fit(tmp_path, monkeypatch, engine):
    from newsarchive.search import engines

    root = api.init(tmp_path / "c", engine=engine)
    a = add(root, "Alpha", "Alpha body.")
    add(root, "Beta", "Beta body.")
    cls = type(engines.backend(engine, root / "index"))
    reads = []
    real = cls.stored_stamps
    monkeypatch.setattr(cls, "stored_stamps", lambda self: reads.append(1) or real(self))
    s = api.status(root)
    assert (s.index_state, s.entries, s.indexed, reads) == ("ok", 2, 2, [])  # from the catalog alone
    # a hand edit: the catalog sees the new entry.json, the index holds the old one
    path = root / "archive" / a.id / "entry.json"
    (root / "archive" / a.id / "manifest-sha256.txt").unlink()  # written before manifests
    path.write_text(path.read_text().replace('"Alpha"', '"Alpha by hand"'))
    s = api.status(root)
    assert (s.index_state, s.stale, reads) == ("drift", [a.id], [])
    # the index changed behind the catalog (another version of newsarchive wrote to it): read once
    db = sqlite3.connect(root / "index" / api.Catalog.CACHE)
    db.execute("UPDATE meta SET v = 'elsewhere' WHERE k = 'index'")
    db.commit()
    db.close()
    s = api.status(root)
    assert (s.index_state, s.stale, len(reads)) == ("drift", [a.id], 1)
    s = api.status(root)
    assert (s.index_state, s.stale, len(reads)) == ("drift", [a.id], 1)  # kept for the next time
    api.reindex(root)
    s = api.status(root)
    assert (s.index_state, s.stale, len(reads)) == ("ok", [], 1)


def test_a_damaged_catalog_is_said_once_and_rebuilt(cli, root):
    a = add(root, "Alpha", "Alpha body.")
    (root / "index" / api.Catalog.CACHE).write_bytes(b"\x00\xff this is not a database \x9c" * 200)
    r = cli("list", "-f", "ids")
    assert r.exit_code == 0 and r.stdout.split() == [a.id]
    assert "catalog" in r.stderr and "rebuilding it from the archive" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    r = cli("list", "-f", "ids")
    assert r.exit_code == 0 and r.stderr == ""


def test_a_catalog_that_cannot_be_written_never_hides_an_archived_entry(root, monkeypatch):
    """A full disk when the catalog learns an entry just archived: that record's line says it
    was archived (never "failed"), the run ends there, and the next command learns it."""
    import errno

    from newsarchive.errors import FileAccessError
    from newsarchive.formats.records import Record

    real = api.Catalog.add
    calls = []

    def full(self, entry, **kw):
        calls.append(entry.id)
        if len(calls) == 2:
            raise FileAccessError("cannot write catalog.sqlite: No space left on device", errno=errno.ENOSPC)
        return real(self, entry, **kw)

    monkeypatch.setattr(api.Catalog, "add", full)
    records = [Record(ref=f"r{n}", fields={"title": f"Sample {n}"}, data=None) for n in range(3)]
    with pytest.raises(FileAccessError, match="No space left"):
        _run(root, records)
    monkeypatch.undo()
    entries = api.list_entries(root)
    assert sorted(e.title for e in entries) == ["Sample 0", "Sample 1"]  # the second is archived


def _run(root, records):
    from newsarchive.api.ingest import Ingest
    from newsarchive.store import Store

    ingest = Ingest(Store(root), durable=False)
    outcomes = ingest.run_batch(records)
    assert [o.status for o in outcomes] == ["created", "created"]
    assert "archived, but the catalog could not be updated" in outcomes[1].message
    assert "No space left on device" in outcomes[1].message
    raise ingest.fatal
