"""Imports write new entry folders through a writer process (store_queue.py): same outcomes as
writing them one by one, the same stamps in the catalog and the index, and every failure or
kill recovered. Sample records written for these tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsarchive import api, store_queue
from newsarchive import store as st
from newsarchive.store_io import ENV_WRITER_OF

pytestmark = pytest.mark.skipif(not store_queue.available(), reason="the writer process needs Linux and 2 CPUs")

ENGINES = ("whoosh", "tantivy")


def records(path: Path, n: int, *, start: int = 0) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(start, start + n):
            fh.write(json.dumps({"title": f"Sample story {i} on the harbour", "authors": ["Sample Author"],
                                 "outlet": "Sample Wire", "published": "2024-09-04",
                                 "url": f"https://news.example/sample/{i}",
                                 "text": f"Sample story {i}. The harbour reopened, officials said. " * 4}) + "\n")
    return path


def run(root: Path, *args, env=None, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "newsarchive", "--root", str(root), *map(str, args)],
                          capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=timeout)


def consistent(root: Path, n: int) -> None:
    s = json.loads(run(root, "status", "-f", "json").stdout)
    assert (s["entries"], s["indexed"], s["index"]) == (n, n, "ok"), s
    assert s["missing_from_index"] == [] and s["extra_in_index"] == [] and s["interrupted_writes"] == []
    v = run(root, "verify")
    assert v.returncode == 0, v.stdout + v.stderr
    assert sorted(p for p in os.listdir(root / "archive") if p.startswith(".") and p != ".lock") == []


def catalog_stamps_match(root: Path) -> None:
    """Every entry.json's (mtime_ns, size) is the one the catalog and the index were told."""
    import sqlite3

    db = sqlite3.connect(root / "index" / "catalog.sqlite")
    rows = db.execute("SELECT id, mtime_ns, size, ix_mtime, ix_size FROM entries").fetchall()
    db.close()
    assert rows
    for entry_id, m, size, ix_m, ix_size in rows:
        s = os.stat(root / "archive" / entry_id / "entry.json")
        assert (m, size) == (ix_m, ix_size) == (s.st_mtime_ns, s.st_size), entry_id


def outcomes(root: Path, src: Path, **kw) -> list:
    return [(o.ref, o.status, o.message) for o in api.ingest_records(root, api.open_source(src), **kw)]


@pytest.mark.parametrize("engine", ENGINES)
def test_the_writer_process_gives_what_writing_here_gives(tmp_path, engine, monkeypatch):
    src = records(tmp_path / "in.jsonl", 60)
    with open(src, "a", encoding="utf-8") as fh:  # the same work twice in one batch: a duplicate
        fh.write(src.read_text("utf-8").splitlines()[3] + "\n")
    here = api.init(tmp_path / "here", engine=engine)
    there = api.init(tmp_path / "there", engine=engine)
    started = []
    real = store_queue.CreateQueue._start
    monkeypatch.setattr(store_queue.CreateQueue, "_start", lambda self: (started.append(1), real(self))[1])
    monkeypatch.setattr(store_queue, "available", lambda: False)  # as on one processor: written here
    a = outcomes(here, src, batch_size=25)
    assert started == []
    monkeypatch.setattr(store_queue, "available", lambda: True)
    b = outcomes(there, src, batch_size=25)
    assert started == [1]  # one writer for the whole run
    strip = lambda rows: [(ref, status, (msg or "").split(" as entry ")[0]) for ref, status, msg in rows]  # noqa: E731
    assert strip(a) == strip(b) and [s for _r, s, _m in b].count("created") == 60
    assert b[-1][1] == "duplicate"
    consistent(there, 60)
    catalog_stamps_match(there)
    assert api.search(there, "harbour", limit=100).total == 60


def test_a_failed_write_fails_its_record_and_the_rest_go_on(tmp_path, monkeypatch):
    root = api.init(tmp_path / "coll")
    src = records(tmp_path / "in.jsonl", 40)
    monkeypatch.setenv("NEWSARCHIVE_FAIL_WRITE", "5:28")  # the writer's 5th folder: a full disk
    got = outcomes(root, src, batch_size=40)
    assert [s for _r, s, _m in got] == ["created"] * 4 + ["failed"] + ["created"] * 35
    assert "No space left on device; nothing was changed" in got[4][2]
    monkeypatch.delenv("NEWSARCHIVE_FAIL_WRITE")
    consistent(root, 39)
    catalog_stamps_match(root)
    again = outcomes(root, src)
    assert [s for _r, s, _m in again] == ["duplicate"] * 4 + ["created"] + ["duplicate"] * 35


def test_on_error_stop_ends_at_a_failed_write(tmp_path, monkeypatch):
    root = api.init(tmp_path / "coll")
    src = records(tmp_path / "in.jsonl", 40)
    monkeypatch.setenv("NEWSARCHIVE_FAIL_WRITE", "7:28")
    got = outcomes(root, src, batch_size=40, on_error="stop")
    assert [s for _r, s, _m in got] == ["created"] * 6 + ["failed"]
    monkeypatch.delenv("NEWSARCHIVE_FAIL_WRITE")
    consistent(root, 6)


def test_a_writer_that_dies_fails_nothing(tmp_path):
    """A writer process that dies (killed, out of memory) fails no entry: what it renamed into
    place counts as written (its answer was lost), the rest is unwritten, for the import to
    write itself."""
    root = api.init(tmp_path / "coll")
    store = st.Store(root)
    queue = store_queue.CreateQueue(store)
    from newsarchive.model import Entry

    entries = [Entry.from_json({"id": f"q{n:07d}", "citekey": f"q{n}", "title": f"Sample {n}"}) for n in range(3)]
    with store.lock():
        queue.submit(store.stage_new(entries[0], mtime_ns=time.time_ns()))
        queue.settle()
        assert [n.entry_id for n in queue.written()] == ["q0000000"]
        queue._proc.kill()
        queue._proc.wait()
        for e in entries[1:]:
            queue.submit(store.stage_new(e, mtime_ns=time.time_ns()))
        queue.settle()
        assert queue.lost and queue.failure is None
        assert queue.unwritten() == ["q0000001", "q0000002"] and queue.written() == []
        queue.close()
    assert store.ids() == ["q0000000"]


def test_a_lost_answer_of_a_folder_in_place_counts_as_written(tmp_path):
    from newsarchive.model import Entry

    root = api.init(tmp_path / "coll")
    store = st.Store(root)
    queue = store_queue.CreateQueue(store)
    with store.lock():
        new = store.stage_new(Entry.from_json({"id": "w0000001", "citekey": "w1", "title": "Sample"}),
                              mtime_ns=time.time_ns())
        store.write_new(new, durable=False)  # in place, as if the writer died before answering
        queue._pending[new.entry_id] = new
        queue._lost()
        (done,) = queue.written()
        assert done.entry_id == "w0000001" and done.stamp == (new.mtime_ns, new.meta_size)
        assert queue.unwritten() == []


def test_an_import_whose_writer_dies_reports_every_record_once(tmp_path, monkeypatch):
    root = api.init(tmp_path / "coll")
    src = records(tmp_path / "in.jsonl", 80)
    real = store_queue.CreateQueue.submit
    count = [0]

    def kill_on_the_30th(self, new, **kw):
        count[0] += 1
        if count[0] == 30:
            self._proc.kill()
            self._proc.wait()
        return real(self, new, **kw)

    monkeypatch.setattr(store_queue.CreateQueue, "submit", kill_on_the_30th)
    got = outcomes(root, src, batch_size=40)
    monkeypatch.undo()
    assert [s for _r, s, _m in got] == ["created"] * 80
    assert len({r for r, _s, _m in got}) == 80
    consistent(root, 80)
    catalog_stamps_match(root)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_kill_mid_batch_kills_the_writer_and_the_next_run_recovers(tmp_path, engine):
    root = api.init(tmp_path / "coll", engine=engine)
    src = records(tmp_path / "in.jsonl", 300)
    # a kill point in the writer process (its first folder staged, not renamed) kills the import too
    proc = subprocess.Popen([sys.executable, "-m", "newsarchive", "--root", str(root), "import", str(src)],
                            env={**os.environ, "NEWSARCHIVE_CRASH_AT": "create-staged"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == -9, err
    time.sleep(0.2)
    assert not [pid for pid in _writers_of(root, parent=proc.pid) if _alive(pid)]
    r = run(root, "import", src, "-f", "jsonl")
    assert r.returncode == 0, r.stderr
    consistent(root, 300)


def test_sigkill_of_the_import_leaves_no_writer_writing(tmp_path):
    """kill -9 of the import while its writer has folders queued: the writer dies with it (it
    never writes once the import's lock is gone); the next command recovers the collection."""
    root = api.init(tmp_path / "coll", engine="tantivy")
    src = records(tmp_path / "in.jsonl", 3000)
    proc = subprocess.Popen([sys.executable, "-m", "newsarchive", "--root", str(root), "import", str(src)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline and len(os.listdir(root / "archive")) < 600:
        time.sleep(0.05)
    writers = _writers_of(root, parent=proc.pid)
    assert writers, "the import ran no writer process"
    proc.kill()
    proc.wait()
    time.sleep(0.2)
    assert all(not _alive(pid) for pid in writers)
    r = run(root, "import", src, "-f", "jsonl")
    assert r.returncode == 0, r.stderr
    consistent(root, 3000)


def test_ctrl_c_mid_batch_writes_what_was_queued_then_resumes(tmp_path, monkeypatch):
    root = api.init(tmp_path / "coll")
    src = records(tmp_path / "in.jsonl", 60)
    real = st.Store.stage_new
    calls = [0]

    def interrupt_at_45(self, *a, **k):
        calls[0] += 1
        if calls[0] == 45:  # in the second batch, 24 of its entries queued
            raise KeyboardInterrupt
        return real(self, *a, **k)

    monkeypatch.setattr(st.Store, "stage_new", interrupt_at_45)
    got = []
    with pytest.raises(KeyboardInterrupt):
        for o in api.ingest_records(root, api.open_source(src), batch_size=20):
            got.append(o.status)
    monkeypatch.undo()
    assert got == ["created"] * 40  # two whole batches reported
    assert len([p for p in os.listdir(root / "archive") if not p.startswith(".")]) == 44
    again = outcomes(root, src)
    assert [s for _r, s, _m in again] == ["duplicate"] * 44 + ["created"] * 16
    consistent(root, 60)


def _writers_of(root: Path, parent: int | None = None) -> list[int]:
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            env = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        if b"newsarchive.store_queue" in cmd and (parent is None or f"{ENV_WRITER_OF}={parent}".encode() in env):
            found.append(int(pid))
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().split()[2] if os.path.exists(f"/proc/{pid}/stat") else "X"
    return state not in ("Z", "X")


def test_many_small_folders_never_deadlock_the_pipes(tmp_path):
    """Far more tiny folders than the pipes hold answers for, handed over without a pause: the
    queue reads the writer's answers as it goes (MAX_PENDING), so neither side waits forever."""
    from newsarchive.model import Entry

    root = api.init(tmp_path / "coll")
    store = st.Store(root)
    queue = store_queue.CreateQueue(store)
    n = store_queue.MAX_PENDING * 4
    with store.lock():
        for i in range(n):
            e = Entry.from_json({"id": f"s{i:07d}", "citekey": f"s{i}", "title": f"Sample {i}"})
            queue.submit(store.stage_new(e, mtime_ns=time.time_ns()))
            assert len(queue._pending) <= store_queue.MAX_PENDING
        queue.settle()
        assert len(queue.written()) == n and queue.failure is None
        queue.close()
    assert len(store.ids()) == n


def varied(path: Path, n: int) -> Path:
    """Sample records whose texts take every path of the analysis: compounds, apostrophes,
    acronyms, numbers, Cyrillic (transliterated too), a language other than English."""
    texts = ["The U.S.-backed plan won't pass, O'Brien said; 1,000 bags left.",
             "Избори у Србији: Вучић говори о санкцијама. Москва.",
             "Well-known long-term trade-offs of the harbour's re-opening.",
             "Plain words only, in a plain sentence about the harbour."]
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            rec = {"title": f"Sample {i}: {texts[(i + 1) % 4][:40]}", "authors": [f"Sample Writer-{i % 3}"],
                   "outlet": "Sample Wire", "published": f"2024-09-{1 + i % 28:02d}",
                   "url": f"https://news.example/varied/{i}", "citekey": f"sample{i}",
                   "tags": ["sample", f"t{i % 5}"], "text": f"Sample {i}. " + texts[i % 4] * (1 + i % 3)}
            if i % 4 == 1:
                rec["language"] = "sr"
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return path


def test_documents_the_writer_prepares_index_what_the_import_would(tmp_path, monkeypatch):
    from newsarchive.search import tantivy as tantivy_backend

    src = varied(tmp_path / "in.jsonl", 64)
    here = api.init(tmp_path / "here", engine="tantivy")
    there = api.init(tmp_path / "there", engine="tantivy")
    monkeypatch.setattr(store_queue, "available", lambda: False)
    a = outcomes(here, src, batch_size=64)
    monkeypatch.setattr(store_queue, "available", lambda: True)
    used = []
    real = tantivy_backend.TantivyWriter.upsert
    monkeypatch.setattr(tantivy_backend.TantivyWriter, "upsert",
                        lambda self, *a, **kw: (used.append(kw.get("prepared") is not None), real(self, *a, **kw))[1])
    b = outcomes(there, src, batch_size=64)
    assert [s for _r, s, _m in a] == [s for _r, s, _m in b] == ["created"] * 64
    assert sum(used) > 0  # documents prepared by the writer were indexed
    consistent(there, 64)  # the fingerprints the index records are the entries'
    catalog_stamps_match(there)
    for q in ("harbour", "us", "usbacked", "obrien", "brien", "1000", "izbori", "избори", "moskva",
              "wellknown", "opening", '"long term"', "tradeoffs", "offs", "author:writer-1", "tag:t3", "sanctions", "won't"):
        # (the order of equal scores on the same day goes by the entries' IDs, which are random)
        got = [sorted((h.citekey, round(h.score, 4)) for h in api.search(root, q, limit=100).hits)
               for root in (here, there)]
        assert got[0] == got[1], q
        assert got[0] or q in ("sanctions", "obrien"), q


def test_a_prepared_document_is_the_document_built_here():
    from newsarchive.model import Entry
    from newsarchive.search import documents
    from newsarchive.search.analysis import NAMES, TEXT
    from newsarchive.search.tantivy import schema
    from newsarchive.search.vocabulary import STEMMED

    for i, (lang, body) in enumerate([(None, "The U.S.-backed plan won't pass; 1,000 bags."),
                                      ("sr", "Избори у Србији, Москва; sanctions imposed."), ("en", ""),
                                      (None, "plain words")]):
        entry = Entry.from_json({"id": f"p000000{i}", "citekey": f"p{i}", "title": "Well-known O'Brien's trade-offs",
                                 "authors": ["Sample Writer"], "outlet": "Sample Wire", "language": lang})
        doc, analysed = schema.prepare(entry, body, (123, 456))
        assert doc == documents.build(entry, body, None, (123, 456))
        assert set(analysed) == {k for k, v in doc.text.items() if v}
        for name, got in analysed.items():
            stemmed = name in STEMMED
            want = schema._analysed(doc.text[name], TEXT if stemmed else NAMES, stemmed and doc.english)
            if want.__class__ is str:
                assert got == want
            else:
                assert list(zip(*got)) == want


def test_the_writer_never_replaces_a_folder_in_its_way(tmp_path, monkeypatch):
    from newsarchive.store_io import rename_new

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()  # empty: a plain rename would replace it without a word
    with pytest.raises(FileExistsError):
        rename_new(str(tmp_path / "a"), str(tmp_path / "b"))
    assert (tmp_path / "a").is_dir() and (tmp_path / "b").is_dir()
    rename_new(str(tmp_path / "a"), str(tmp_path / "c"))
    assert (tmp_path / "c").is_dir() and not (tmp_path / "a").exists()

    root = api.init(tmp_path / "coll")
    src = records(tmp_path / "in.jsonl", 40)
    real = store_queue.CreateQueue.submit
    count = [0]
    blocked = []

    def in_the_way(self, new, **kw):  # an empty folder appears where the 5th entry goes
        count[0] += 1
        if count[0] == 5:
            os.mkdir(new.final)
            blocked.append(new.final)
        return real(self, new, **kw)

    monkeypatch.setattr(store_queue.CreateQueue, "submit", in_the_way)
    got = outcomes(root, src, batch_size=40)
    monkeypatch.undo()
    assert [s for _r, s, _m in got] == ["created"] * 4 + ["failed"] + ["created"] * 35
    assert got[4][2] == f"entry folder {blocked[0]} already exists"  # as without the writer
    assert os.listdir(blocked[0]) == []  # left as it was
    os.rmdir(blocked[0])
    consistent(root, 39)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_new_version_in_the_same_batch_is_what_the_index_keeps(tmp_path, engine):
    # record 3 creates an entry through the writer; record 30 is a new capture of the same URL:
    # the index must end with version 2, not with version 1 indexed after it
    path = records(tmp_path / "in.jsonl", 40)
    lines = path.read_text("utf-8").splitlines()
    again = json.loads(lines[3])
    again["text"] = "Sample story 3, corrected. The harbour stays closed, officials now say. " * 3
    lines[30] = json.dumps(again)
    path.write_text("\n".join(lines) + "\n", "utf-8")
    root = api.init(tmp_path / "coll", engine=engine)
    got = list(api.ingest_records(root, api.open_source(path), batch_size=40))
    assert [o.status for o in got].count("new-version") == 1 and got[30].status == "new-version"
    assert got[30].id == got[3].id and len(api.get(root, got[3].id).snapshots) == 2
    consistent(root, 39)  # status: index ok, nothing missing or extra; verify: no stale entry
    catalog_stamps_match(root)
    assert [h.id for h in api.search(root, "corrected", limit=5).hits] == [got[3].id]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_duplicate_of_a_queued_entry_is_judged_without_waiting_for_the_writer(tmp_path, engine, monkeypatch):
    # duplicates of entries still queued for the writer: by URL with other values given (named
    # as not applied), and by metadata (no URL); the same outcomes as writing here, and the
    # import never waits for the writer in the middle of the batch
    src = tmp_path / "in.jsonl"
    rows = [json.loads(line) for line in records(tmp_path / "base.jsonl", 40).read_text("utf-8").splitlines()]
    for r in rows[20:30]:
        del r["url"]  # these are matched by their metadata
    rows.append({**rows[5], "outlet": "Another Sample Wire", "section": "Sample section"})  # by URL
    rows.append({k: v for k, v in rows[25].items() if k != "text"})  # a citation, by metadata
    rows.append({**rows[38]})  # the same record again
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    here = api.init(tmp_path / "here", engine=engine)
    there = api.init(tmp_path / "there", engine=engine)
    monkeypatch.setattr(store_queue, "available", lambda: False)
    a = outcomes(here, src, batch_size=100)
    settles = []
    real = store_queue.CreateQueue.settle
    monkeypatch.setattr(store_queue.CreateQueue, "settle", lambda self: (settles.append(1), real(self))[1])
    monkeypatch.setattr(store_queue, "available", lambda: True)
    b = outcomes(there, src, batch_size=100)
    ids = lambda rows: {ref: i for i, (ref, _s, _m) in enumerate(rows)}  # noqa: E731
    strip = lambda rows: [(ref, status, (msg or "").replace("entry ", "entry #").split("#")[0])  # noqa: E731
                          for ref, status, msg in rows]
    assert strip(a) == strip(b) and len(ids(b)) == 43
    assert [s for _r, s, _m in b] == ["created"] * 40 + ["duplicate"] * 3
    assert "the outlet, section given here were not applied" in b[40][2], b[40][2]
    assert b[40][2].startswith("same snapshot bytes as entry") and "same title" in b[41][2], b[41][2]
    assert settles == [1], settles  # once, at the end of the batch
    consistent(there, 40)
