"""The catalog in an import batch: the rows of the entries it creates are held back and written
together, the lookups answer from them meanwhile, new IDs are asked about many at a time, and a
citekey's suffixes are found from one query. What the catalog holds and answers stays as when
each entry was written on its own."""

import errno
import sqlite3

import pytest

from newsarchive import api, catalog_db, catalog_rows
from newsarchive import store as st
from newsarchive.catalog import Catalog
from newsarchive.errors import FileAccessError
from newsarchive.model import Entry
from newsarchive.normalize import unique_citekey
from newsarchive.store import Store

SHA = [f"{n:02x}" * 32 for n in range(10)]


def entry(entry_id, citekey, *, sha=None, url=None, title="Sample", published="2024-05-01", **more):
    data = {"id": entry_id, "citekey": citekey, "title": title, "published": published, **more}
    if url:
        data["url"] = url
    if sha:
        data["snapshots"] = [{"path": "v1/original.txt", "media_type": "text/plain", "size": 3, "sha256": sha,
                              "captured_at": "2024-05-02T10:00:00Z", "source": "t.txt"}]
    return Entry.from_json(data)


def dump(catalog):
    db = catalog.db
    return ([tuple(r) for r in db.execute("SELECT rowid, * FROM entries ORDER BY rowid")],
            [tuple(r) for r in db.execute("SELECT rowid, * FROM keys ORDER BY rowid")],
            [tuple(r) for r in db.execute("SELECT * FROM unreadable ORDER BY id")])


def ids_from(monkeypatch, *ids):
    seq = iter(ids)
    monkeypatch.setattr(st, "new_id", lambda length=8: next(seq))


def test_rows_held_back_are_seen_by_every_lookup_and_written_when_the_batch_ends(monkeypatch):
    c = Catalog()
    c.add(entry("base0000", "old2024", sha=SHA[0]), stamp=(1, 1))
    ids_from(monkeypatch, "ab000001", "cd000002")
    with c.hold_lines():
        a = entry(c.new_id(), "gec2024serbia", sha=SHA[1], url="https://example.org/a", title="Serbia")
        c.add(a, stamp=(2, 2))
        assert a.id == "ab000001"
        assert c._sql.execute("SELECT count(*) FROM entries").fetchone()[0] == 1  # held back
        assert c.find_sha(SHA[1]) == a.id and c.find_url("https://example.org/a") == a.id
        assert c.find_meta_all("serbia|2024|") == (a.id,)
        assert c.find_citekey("gec2024serbia") == a.id and c.citekey_of(a.id) == "gec2024serbia"
        assert a.id in c.entries and "gec2024serbia" in c.citekeys
        assert c.ids_with_prefix("AB") == [a.id] and c.shadowed_id("ab0") == a.id
        assert "gec2024serbia" in c.unusable_citekeys() and "AB0000" in c.unusable_citekeys()
        assert "gec2024serbiaa" not in c.unusable_citekeys()
        assert unique_citekey("gec2024serbia", c.unusable_citekeys()) == "gec2024serbiaa"
        assert c._sql.execute("SELECT count(*) FROM entries").fetchone()[0] == 1
        assert len(c.entries) == 2  # anything else reading SQLite: the rows are written first
        assert c._sql.execute("SELECT count(*) FROM entries").fetchone()[0] == 2
        b = entry(c.new_id(), "second2024", sha=SHA[2])
        c.add(b, stamp=(3, 3))
    assert c._batch is None
    assert {r[0] for r in c.db.execute("SELECT id FROM entries")} == {"base0000", a.id, b.id}


def _build(monkeypatch, batch: bool, touch_between: bool = False):
    """The same entries learnt in a batch (held back) or each on its own, with what may happen
    in a batch: a duplicate snapshot, URL and metadata key, an entry learnt again with another
    stamp, one removed, one with an ID not from new_id (an exact restore), an unreadable one."""
    c = Catalog()
    c.add(entry("old00001", "old2024", sha=SHA[0], url="https://example.org/old"), stamp=(1, 1))
    c.mark_unreadable("bad00001", "damaged", (5, 5))
    ids_from(monkeypatch, "aa000001", "bb000002", "cc000003", "dd000004", "ee000005", "ff000006",
             "gg000007", "hh000008", "jj000009")  # a batch draws ahead: more than it takes
    with c.hold_lines() if batch else _nothing():
        made = []
        for n, (key, sha, url) in enumerate([("k2024a", SHA[1], "https://example.org/a"),
                                              ("k2024b", SHA[0], "https://example.org/old"),  # duplicates
                                              ("k2024c", SHA[3], None),
                                              ("k2024d", SHA[4], "https://example.org/a")]):
            e = entry(c.new_id(), key, sha=sha, url=url, title="Same title")
            c.add(e, stamp=(10 + n, 100))
            made.append(e)
            if touch_between and n == 1:
                assert len(c.entries) >= 1  # a read in between: what is held back is written
        assert c.find_sha(SHA[0]) == "old00001" and c.find_url("https://example.org/a") == made[0].id
        assert c.find_meta_all("sametitle|2024|") == tuple(e.id for e in made)
        c.add(made[2], stamp=(99, 999))  # learnt again (its entry.json stamp changed)
        c.remove(made[3].id)
        c.add(entry("bad00001", "restored2024", sha=SHA[5]), stamp=(7, 7))  # was unreadable
        c.add(entry(c.new_id(), "k2024e", sha=SHA[6]), stamp=(20, 200))
    return dump(c)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("touch_between", [False, True])
def test_a_batch_holds_what_each_entry_learnt_on_its_own_holds(monkeypatch, touch_between):
    assert _build(monkeypatch, batch=True, touch_between=touch_between) == _build(monkeypatch, batch=False)


def test_a_batch_that_fails_leaves_nothing_held_back(monkeypatch):
    c = Catalog()
    ids_from(monkeypatch, "aa000001")
    with pytest.raises(KeyboardInterrupt):
        with c.hold_lines():
            c.add(entry(c.new_id(), "k2024", sha=SHA[1]), stamp=(1, 1))
            raise KeyboardInterrupt
    assert c._batch is None and c.find_sha(SHA[1]) is None and len(c.entries) == 0


def test_rows_that_cannot_be_written_are_a_file_access_error(monkeypatch):
    c = Catalog()
    ids_from(monkeypatch, "aa000001")

    def full(db, rows, keys):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(catalog_db, "insert_new", full)
    with pytest.raises(FileAccessError) as info:
        with c.hold_lines():
            c.add(entry(c.new_id(), "k2024", sha=SHA[1]), stamp=(1, 1))
    assert info.value.errno == errno.ENOSPC
    monkeypatch.undo()
    assert len(c.entries) == 0  # the batch's transaction was rolled back


def test_rows_that_fail_within_the_batch_leave_none_of_them(monkeypatch):
    """A write of the held-back rows that fails halfway (entries written, keys not) takes back
    what it wrote; the batch goes on and commits the rest, never a row without its keys."""
    c = Catalog()
    ids_from(monkeypatch, "aa000001", "bb000002", "cc000003")
    real = catalog_db.insert_new

    def half(db, rows, keys):
        db.executemany(catalog_db._statements()[1], rows)
        raise sqlite3.OperationalError("database or disk is full")

    with c.hold_lines():
        c.add(entry(c.new_id(), "k2024a", sha=SHA[1]), stamp=(1, 1))
        monkeypatch.setattr(catalog_db, "insert_new", half)
        with pytest.raises(FileAccessError, match="No space left"):
            len(c.entries)  # anything reading SQLite writes the rows first
        monkeypatch.setattr(catalog_db, "insert_new", real)
        c.add(entry(c.new_id(), "k2024b", sha=SHA[2]), stamp=(2, 2))
    assert [r[0] for r in c.db.execute("SELECT citekey FROM entries")] == ["k2024b"]
    assert [r[0] for r in c.db.execute("SELECT id FROM keys")] == ["bb000002"]


def test_new_ids_drawn_ahead_avoid_what_sqlite_and_the_batch_hold(monkeypatch):
    c = Catalog()
    c.add(entry("zz000000", "qq", sha=SHA[0]), stamp=(1, 1))  # citekey "qq": no ID may start with it
    c.mark_unreadable("ww000000", "damaged", None)
    ids_from(monkeypatch, "a0000001", "qq000002", "zz000000", "ww000000", "b0000003", "c0000004",
             "d0000005", "e0000006", "f0000007", "g0000008", "h0000009", "j0000010")
    with c.hold_lines():
        got = [c.new_id()]
        c.add(entry(got[0], "c0"), stamp=(2, 2))  # held back: "c0..." IDs are refused from now on
        got += [c.new_id(), c.new_id(avoid="D0")]
        assert c._batch.pool  # drawn ahead
    assert got == ["a0000001", "b0000003", "e0000006"]


def test_a_change_in_the_batch_drops_what_was_learnt_of_sqlite(monkeypatch):
    c = Catalog()
    c.add(entry("aa000000", "taken2024", sha=SHA[0]), stamp=(1, 1))
    ids_from(monkeypatch, "b0000001", "c0000002", "d0000003", "e0000004", "f0000005", "g0000006",
             "h0000007")
    with c.hold_lines():
        assert "taken2024" in c.unusable_citekeys()
        c.add(entry(c.new_id(), "x2024"), stamp=(2, 2))
        assert [c.new_id(), c.new_id()] == ["c0000002", "d0000003"]
        assert [i for i, _p in c._batch.pool] == ["e0000004"]  # drawn ahead, free in SQLite then
        c.add(entry("ab000000", "e0"), stamp=(3, 3))  # not from new_id: written at once
        assert not c._batch.pool
        assert c.new_id() == "f0000005"
        c.remove("aa000000")  # frees its citekey
        assert "taken2024" not in c.unusable_citekeys()


def _unusable_by_hand(keys, ids):
    out = set(keys)
    for k in {k + s for k in ("Ab", "ab", "Ab-", "x") for s in ("", "a", "b", "c", "d", "aa", "ab")}:
        low = k.lower()
        if catalog_rows.ID_PREFIX.fullmatch(low) and any(i.startswith(low) for i in ids):
            out.add(k)
    return out


@pytest.mark.parametrize("base", ["Ab", "ab", "Ab-", "x"])
def test_the_suffixes_of_a_base_from_one_query_are_those_of_one_query_each(monkeypatch, base):
    """unique_citekey through the catalog's view of the keys starting with a base gives what a
    plain set of the unusable keys gives: taken keys (case kept) and keys that read as an ID."""
    c = Catalog()
    taken = ["Ab", "Aba", "Abb", "ab", "Ab-", "Ab-a", "zz2", "x", "xa"]
    for n, key in enumerate(taken[:6]):
        c.add(entry(f"q{n:07d}", key, sha=SHA[n]), stamp=(n, n))
    c.add(entry("abc00000", "zz1"), stamp=(9, 9))  # "abc": reads as this ID
    ids_from(monkeypatch, "xb000001", "u0000002", "u0000003", "u0000004", "u0000005")
    with c.hold_lines():
        c.add(entry(c.new_id(), "zz2"), stamp=(10, 10))  # held back: "xb" reads as its ID
        c.add(entry(c.new_id(), "x"), stamp=(11, 11))
        c.add(entry(c.new_id(), "xa"), stamp=(12, 12))
        ids = ["abc00000", "xb000001", "u0000002", "u0000003"] + [f"q{n:07d}" for n in range(6)]
        plain = _unusable_by_hand(taken, ids)
        view = c.unusable_citekeys().starting_with(base)
        for key in {base + s for s in ("", "a", "b", "c", "d", "aa", "ab")}:
            assert (key in view) == (key in plain) == (key in c.unusable_citekeys()), key
        assert unique_citekey(base, c.unusable_citekeys(), known_taken={}) == unique_citekey(base, plain)


def test_an_import_keeps_the_keys_and_outcomes_of_one_entry_at_a_time(root, monkeypatch):
    """Records sharing citekey bases and duplicating each other in one batch and across
    batches: the same outcomes and keys as when the catalog writes each entry on its own."""
    from newsarchive.formats.records import Record

    def run(collection):
        records = [Record(ref=f"r{n}", fields={"title": f"{'Market' if n % 3 else 'Budget'} talks {n % 4}",
                                               "published": "2024-03-01", "outlet": "Wire"},
                          data=f"Story {n % 7}".encode(), source=f"s{n}.txt") for n in range(40)]
        outcomes = list(api.ingest_records(collection, iter(records), batch_size=16, durable=False))
        return [(o.status, o.entry.citekey if o.entry else None) for o in outcomes]

    held = run(root)
    monkeypatch.setattr(Catalog, "hold_lines", _no_batch)  # each entry written on its own
    other = api.init(root.parent / "other")
    assert run(other) == held
    assert [s for s, _k in held].count("created") == 7


def _no_batch(self):
    import contextlib

    return contextlib.nullcontext()


@pytest.mark.parametrize("engine", ["whoosh", "tantivy"])
def test_a_batch_commits_its_catalog_and_index_only_once_the_archive_is_synced(tmp_path, monkeypatch, engine):
    # the catalog writes its rows while the archive is flushed, in another thread; the catalog's
    # and the index's commits come after the flush, as before
    import contextlib
    import json
    import time

    from newsarchive import api, catalog_db, fsutil

    events: list[str] = []

    def slow_sync(path):
        events.append("sync-start")
        time.sleep(0.3)
        events.append("synced")

    real_tx = catalog_db.transaction

    @contextlib.contextmanager
    def tx(db, *, nested):
        with real_tx(db, nested=nested):
            yield
        if not nested:
            events.append("catalog-commit")

    from newsarchive.api.indexing import IndexSession

    real_exit = IndexSession.__exit__

    def index_exit(self, *exc):
        events.append("index-commit")
        return real_exit(self, *exc)

    monkeypatch.setattr(fsutil, "sync_filesystem", slow_sync)
    monkeypatch.setattr(catalog_db, "transaction", tx)
    monkeypatch.setattr(IndexSession, "__exit__", index_exit)
    root = api.init(tmp_path / "c", engine=engine)
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"title": f"Sample {i}", "text": f"Sample text {i}."}) + "\n"
                           for i in range(30)), "utf-8")
    state_before = len(events)
    got = list(api.ingest_records(root, api.open_source(src), batch_size=30))
    assert [o.status for o in got] == ["created"] * 30
    run = events[state_before:]
    assert run.count("sync-start") == 1 and run.count("synced") == 1, run
    after = run[run.index("sync-start"):]
    assert after[1] == "synced" and after[2] == "catalog-commit" and "index-commit" in after[3:], run
    assert api.status(root).entries == 30 and len(api.search(root, "sample", limit=50).hits) == 30
