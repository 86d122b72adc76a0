"""Derived data (index/, catalog cache) is always repairable, one bad entry is never fatal, and
damage is never exported silently. All entries here are samples written for these tests.

The index tests (damage, repair, stale index, searches during a rebuild) run on both search
engines: ``engine`` (a fixture of conftest.py, behind ``root``) is parametrised over them."""

import json
import sqlite3
import os
import subprocess
import sys
from pathlib import Path

import pytest

from newsarchive import api
from newsarchive.search import engines
from newsarchive.search import tantivy as tantivy_backend
from newsarchive.search import whoosh as index
from newsarchive.search.whoosh import reading, storage
from newsarchive.errors import DateError, IndexNotUpdated, InvalidEntry
from newsarchive.model import PartialDate
from newsarchive.store import Store, find_root

OUT_OF_RANGE = ["0001-01-01T00:30:00+05:00", "9999-12-31T23:00:00-05:00"]
ENGINES = ("whoosh", "tantivy")
both_engines = pytest.mark.parametrize("engine", ENGINES)


def add(root, title, text=None, **fields):
    data = text.encode() if text else None
    return api.add(root, data=data, source="t.txt" if text else None, fields={"title": title, **fields}).entry


def three(root):
    return [add(root, f"Sample {w}", f"Sample article about {w} and the weather.\n", url=f"https://example.org/{w}")
            for w in ("alpha", "beta", "gamma")]


def no_internal_error(r):
    assert "internal error" not in r.output and "Traceback" not in r.output, r.output


# --------------------------------------------------------------------------- dates at the boundary

@pytest.mark.parametrize("text", OUT_OF_RANGE + ["Dec 31 9999 23:00 EST"])
def test_dates_that_leave_years_1_to_9999_in_utc_are_refused(text):
    with pytest.raises(DateError, match="out of range"):
        from newsarchive.dates import parse_date

        parse_date(text)


@pytest.mark.parametrize("text", OUT_OF_RANGE)
def test_model_refuses_them_too(text):
    with pytest.raises(InvalidEntry, match="out of range"):
        PartialDate.from_iso(text)
    assert PartialDate.from_iso("9999-12-31T23:00:00").sort_key()  # no zone: nothing to convert
    assert PartialDate.from_iso("0001-01-01T00:30:00Z").sort_key() == "0001-01-01T00:30:00"


def test_add_and_edit_refuse_an_out_of_range_date(cli, root, sample_file):
    for text in OUT_OF_RANGE:
        r = cli("add", sample_file, "--published", text)
        no_internal_error(r)
        assert r.exit_code == 2 and "out of range" in r.stderr
    assert api.list_entries(root) == []
    e = add(root, "Sample", "Sample body.\n")
    r = cli("edit", e.id, "--set", f"published={OUT_OF_RANGE[1]}")
    no_internal_error(r)
    assert r.exit_code == 2 and "out of range" in r.stderr
    assert cli("list", "-f", "ids").stdout.split() == [e.id]


def test_every_import_format_fails_the_record_and_keeps_the_rest(cli, root, tmp_path):
    early, late = OUT_OF_RANGE
    files = {
        "a.jsonl": "\n".join(json.dumps({"title": f"Sample {n}", "published": d, "text": f"Body {n}."})
                             for n, d in (("one", early), ("two", "2024-09-04"))) + "\n",
        "b.csv": f"title,published,text\nSample three,{late},Body three.\nSample four,2024-09-05,Body four.\n",
        "c.bib": "@article{s5, title={Sample five}, date={" + early + "}}\n@article{s6, title={Sample six}, year={2024}}\n",
        # CSL-JSON and RIS importers keep only the day of such a value (a valid date): created
        "d.json": json.dumps([{"id": "s7", "type": "article-newspaper", "title": "Sample seven",
                               "issued": {"raw": late}},
                              {"id": "s8", "type": "article-newspaper", "title": "Sample eight",
                               "issued": {"date-parts": [[2024, 9]]}}]),
        "e.ris": f"TY  - NEWS\nTI  - Sample nine\nDA  - {early}\nER  - \nTY  - NEWS\nTI  - Sample ten\nPY  - 2024\nER  - \n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        r = cli("import", tmp_path / name, "--format", "jsonl")
        no_internal_error(r)
        lines = [json.loads(line) for line in r.stdout.splitlines()]
        assert lines[1]["status"] == "created", (name, r.output)
        if name in ("a.jsonl", "b.csv", "c.bib"):
            assert lines[0]["status"] == "failed" and "out of range" in lines[0]["error"], (name, r.output)
            assert r.exit_code == 1
    titles = {e.title for e in api.list_entries(root)}
    assert {"Sample two", "Sample four", "Sample six", "Sample eight", "Sample ten"} <= titles
    assert not {"Sample one", "Sample three", "Sample five"} & titles
    assert cli("reindex").exit_code == 0
    assert cli("search", "sample", "-f", "ids").exit_code == 0
    assert cli("list", "--sort", "published").exit_code == 0


def test_an_exported_line_with_such_a_date_fails_alone(cli, root, tmp_path):
    e = add(root, "Sample", "Sample body.\n")
    line = api.get(root, e.id).to_json()
    line.update(id="zzzzzzzz", published=OUT_OF_RANGE[0], snapshots=[])
    (tmp_path / "x.jsonl").write_text(json.dumps(line) + "\n")
    r = cli("import", tmp_path / "x.jsonl", "--format", "jsonl")
    no_internal_error(r)
    assert r.exit_code == 1 and json.loads(r.stdout)["status"] == "failed"


def test_an_entry_written_with_such_a_date_is_skipped_not_fatal(cli, root):
    a, b, c = three(root)
    path = root / "archive" / b.id / "entry.json"
    data = json.loads(path.read_text())
    data["published"] = OUT_OF_RANGE[1]  # as an older version could have written it
    path.write_text(json.dumps(data))
    r = cli("list", "-f", "ids")
    no_internal_error(r)
    assert r.exit_code == 1 and sorted(r.stdout.split()) == sorted([a.id, c.id])
    assert r.stderr.count("skipped") == 1 and b.id in r.stderr
    r = cli("reindex")
    assert r.exit_code == 1 and "Indexed 2 entries" in r.stdout and b.id in r.stderr
    assert add(root, "Sample later", "A later sample article.\n").id in index.ids(root / "index")


def test_date_queries_past_the_calendar_are_query_errors(cli, root):
    three(root)
    for q in ("published:>9999-12-31", "published:<0001-01-01"):
        r = cli("search", q)
        no_internal_error(r)
        assert r.exit_code == 2, q
    r = cli("search", "published:-99999y")  # clamped to the year 1 by the query parser
    no_internal_error(r)
    assert r.exit_code == 0


# --------------------------------------------------------------------------- catalog cache

def test_hand_edited_entry_json_is_seen_by_the_next_writer(cli, root):
    a, b, _ = three(root)
    # an entry written before manifests (a sealed one refuses changes on top of a hand edit)
    (root / "archive" / a.id / "manifest-sha256.txt").unlink()
    path = root / "archive" / a.id / "entry.json"
    data = json.loads(path.read_text())
    data.update(citekey="handkey", url="https://example.org/moved")
    path.write_text(json.dumps(data, indent=2))
    # the moved URL belongs to a now: a capture of it is a new version of a, not a new entry
    again = api.add(root, data=b"A later sample capture at the moved URL.\n", source="t.txt",
                    fields={"url": "https://example.org/moved"})
    assert again.status == "new-version" and again.id == a.id
    # and the old URL is free again
    other = api.add(root, data=b"Another sample page at the old URL.\n", source="t.txt",
                    fields={"url": "https://example.org/alpha"})
    assert other.status == "created"
    r = cli("edit", b.id, "--set", "citekey=handkey")
    assert r.exit_code != 0 and "taken" in r.stderr
    keys = [e.citekey for e in api.list_entries(root)]
    assert len(keys) == len(set(keys))


def test_a_kill_between_entry_json_and_the_cache_line_leaves_no_way_to_duplicate(root, monkeypatch):
    a, b, _ = three(root)

    def killed(self, *args, **kwargs):
        raise KeyboardInterrupt  # the process dies after entry.json, before the catalog row

    with monkeypatch.context() as m:
        m.setattr(api.Catalog, "record_written", killed)
        with pytest.raises(KeyboardInterrupt):
            api.edit(root, a.id, set_fields={"citekey": "renamed", "url": "https://example.org/renamed"})
    assert json.loads((root / "archive" / a.id / "entry.json").read_text())["citekey"] == "renamed"
    db = sqlite3.connect(root / "index" / api.Catalog.CACHE)
    assert db.execute("SELECT citekey FROM entries WHERE id = ?", (a.id,)).fetchone()[0] != "renamed"
    db.close()  # entry.json has it; the catalog does not (the writer's journal names the entry)
    with pytest.raises(Exception, match="taken"):
        api.edit(root, b.id, set_fields={"citekey": "renamed"})
    again = api.add(root, data=b"A later sample capture at the renamed URL.\n", source="t.txt",
                    fields={"url": "https://example.org/renamed"})
    assert again.status == "new-version" and again.id == a.id
    with pytest.raises(Exception, match=f"taken by entry {a.id}"):
        api.add(root, data=None, source=None, fields={"title": "Y", "citekey": "renamed"})


def test_catalog_validates_stamps_cheaply(root):
    entries = three(root)
    store = Store(root)
    c = api.Catalog(store)
    c.refresh(store)
    stamps = c.stamps()
    assert set(stamps) == {e.id for e in entries} and all(stamps.values())
    db = sqlite3.connect(root / "index" / api.Catalog.CACHE)
    assert all(m and n for m, n in db.execute("SELECT mtime_ns, size FROM entries"))
    db.close()


# --------------------------------------------------------------------------- status

@both_engines
@pytest.mark.parametrize("sealed", [True, False], ids=["sealed", "legacy"])
def test_status_notices_a_stale_index_without_verify(cli, root, sealed):
    a, _, _ = three(root)
    assert cli("status").exit_code == 0
    if not sealed:  # an entry written before manifests: its entry.json has no recorded hash
        (root / "archive" / a.id / "manifest-sha256.txt").unlink()
    path = root / "archive" / a.id / "entry.json"
    data = json.loads(path.read_text())
    data["title"] = "Sample retitled by hand"
    path.write_text(json.dumps(data, indent=2))
    r = cli("status")
    assert r.exit_code == 1 and "in step" not in r.stdout and a.id in r.stdout
    assert json.loads(cli("status", "-f", "json").stdout)["stale_in_index"] == [a.id]
    r = cli("reindex")
    if sealed:  # the hand edit fails the recorded hash: damage, named and never indexed
        assert r.exit_code == 1 and f"skipped {a.id}" in r.stderr and "recorded SHA-256" in r.stderr
        r = cli("status")
        assert r.exit_code == 1 and "in step" in r.stdout and f"skipped {a.id}" in r.stderr
        assert a.id not in cli("search", "retitled", "-f", "ids").stdout
    else:
        assert r.exit_code == 0
        r = cli("status")
        assert r.exit_code == 0 and "in step" in r.stdout
        assert cli("search", "retitled", "-f", "ids").stdout.split() == [a.id]


@both_engines
def test_status_reports_an_index_entry_without_stamp_as_stale(cli, root, engine):
    a, _, _ = three(root)
    with engines.backend(engine, root / "index").writer() as w:  # as an older version indexed it: no stamp
        w.upsert(api.get(root, a.id), "text")
    assert json.loads(cli("status", "-f", "json").stdout)["stale_in_index"] == [a.id]


# --------------------------------------------------------------------------- the index is derived

def _generation(root):
    return storage.current(root / "index")


def _tantivy_generation(root):
    """The current tantivy generation folder, as tantivy.json names it."""
    return root / "index" / json.loads((root / "index" / "tantivy.json").read_text())["generation"]


def current_generation(root, engine):
    return _generation(root) if engine == "whoosh" else _tantivy_generation(root)


def forget(root):
    """Drop this process's cached readers of both engines (the next search opens the index
    afresh, as a new process does)."""
    reading.forget(root / "index")
    tantivy_backend.forget(root / "index")


def damage_toc(root):
    toc = next(_generation(root).glob("_MAIN_*.toc"))
    toc.write_bytes(toc.read_bytes()[:30])


def damage_segment(root):
    seg = next(_generation(root).glob("*.seg"))
    seg.write_bytes(seg.read_bytes()[:100])


def damage_meta(root):
    (root / "index" / "index.json").write_text("garbage{")


def damage_tantivy_meta(root):
    """tantivy's own list of segments (the generation's meta.json) cut short."""
    meta = _tantivy_generation(root) / "meta.json"
    meta.write_bytes(meta.read_bytes()[:100])


def damage_tantivy_segment(root):
    """One segment's postings file cut short."""
    seg = sorted(_tantivy_generation(root).glob("*.idx"))[0]
    seg.write_bytes(seg.read_bytes()[:100])


def damage_tantivy_json(root):
    (root / "index" / "tantivy.json").write_text("garbage{")


def damage_tantivy_managed(root):
    """tantivy's list of the files it manages, garbled."""
    (_tantivy_generation(root) / ".managed.json").write_bytes(b"\x00garbage{")


def lose_tantivy_segment_file(root):
    """A segment file gone (as a partial copy or restore of index/ leaves it)."""
    sorted(_tantivy_generation(root).glob("*.term"))[0].unlink()


def damage_catalog(root):
    (root / "index" / api.Catalog.CACHE).write_bytes(b"\x00\xff garbage \x9c")


def remove_index(root):
    import shutil

    shutil.rmtree(root / "index")


def damage_journal(root):
    (root / "index" / api.JOURNAL).write_bytes(b"\xff\xfe\x00 half a line")


def index_is_a_file(root):
    remove_index(root)
    (root / "index").write_text("not a folder")


DAMAGES = [damage_toc, damage_segment, damage_meta, damage_catalog, damage_journal, remove_index,
           index_is_a_file]
TANTIVY_DAMAGES = [damage_tantivy_meta, damage_tantivy_segment, damage_tantivy_json, damage_tantivy_managed,
                   lose_tantivy_segment_file, damage_catalog, damage_journal, remove_index, index_is_a_file]
#: (engine, damage) for every engine: its own files' damage and what every engine shares
ENGINE_DAMAGES = [pytest.param(e, d, id=f"{e}-{d.__name__}")
                  for e, ds in (("whoosh", DAMAGES), ("tantivy", TANTIVY_DAMAGES)) for d in ds]
#: damage to the engine's index files themselves (a writer can still lock, then fails to update)
SEGMENT_DAMAGES = [pytest.param("whoosh", damage_toc, id="whoosh-damage_toc"),
                   pytest.param("whoosh", damage_segment, id="whoosh-damage_segment"),
                   pytest.param("tantivy", damage_tantivy_meta, id="tantivy-damage_tantivy_meta"),
                   pytest.param("tantivy", damage_tantivy_segment, id="tantivy-damage_tantivy_segment")]


@pytest.mark.parametrize("engine, damage", ENGINE_DAMAGES)
def test_any_damage_to_index_gives_one_message_and_reindex_repairs_it(cli, root, damage):
    entries = three(root)
    damage(root)
    for args in (("search", "sample"), ("list",), ("status",), ("show", entries[0].id)):
        r = cli(*args)
        no_internal_error(r)
        if args == ("status",):  # a report on standard output, and exit status 1 when not in step
            assert r.exit_code == 0 or ("newsarchive reindex" in r.stdout and not r.stderr), r.output
        elif r.exit_code:
            assert len(r.stderr.strip().splitlines()) == 1 and "newsarchive reindex" in r.stderr, (args, r.output)
    r = cli("verify")
    no_internal_error(r)
    r = cli("reindex")
    assert r.exit_code == 0, r.output
    assert sorted(cli("search", "sample", "-f", "ids").stdout.split()) == sorted(e.id for e in entries)
    assert cli("status").exit_code == 0
    assert cli("verify").exit_code == 0


@pytest.mark.parametrize("engine", ["tantivy"])
@pytest.mark.parametrize("damage", [damage_tantivy_meta, damage_tantivy_segment, damage_tantivy_managed,
                                    lose_tantivy_segment_file], ids=lambda f: f.__name__)
def test_a_damaged_tantivy_index_is_named_in_plain_words(cli, root, damage):
    """tantivy's own text is a Rust debug dump ending in advice about tantivy versions: the user
    reads which file of the index is damaged, and the repair."""
    three(root)
    damage(root)
    r = cli("search", "sample")
    assert r.exit_code == 1
    (line,) = r.stderr.strip().splitlines()
    assert line.startswith(f"Error: the search index at {root / 'index'} is damaged (")
    assert line.endswith("; run `newsarchive reindex`")
    assert not any(rust in line for rust in ("IoError {", "Custom {", "tantivy 0.15", "kind:", "\\n"))


def test_a_full_disk_under_tantivy_is_not_called_damage():
    """tantivy reports a full disk as an IO error; the index is not damaged, the commit did not
    happen (the journal re-syncs it), so the line says what happened."""
    from newsarchive.search.tantivy import _damaged

    err = _damaged(Path("/c/index"), ValueError("An IO error occurred: 'No space left on device (os error 28)'"))
    assert str(err) == "cannot write the search index at /c/index: No space left on device; run `newsarchive reindex`"


@pytest.mark.parametrize("engine, damage", ENGINE_DAMAGES)
def test_verify_repair_index_repairs_any_damage(cli, root, damage):
    three(root)
    damage(root)
    r = cli("verify", "--repair-index")
    no_internal_error(r)
    assert cli("verify").exit_code == 0 and cli("status").exit_code == 0


@pytest.mark.parametrize("engine, damage", SEGMENT_DAMAGES)
def test_a_writer_whose_index_update_fails_archives_and_says_so(cli, root, sample_file, damage):
    three(root)
    damage(root)
    r = cli("add", sample_file)
    no_internal_error(r)
    assert r.exit_code == 1 and r.stdout.startswith("Archived ")
    new_id = r.stdout.split()[1]
    assert f"archived {new_id}, but the index could not be updated: run `newsarchive reindex`" in r.stderr
    assert new_id in cli("list", "-f", "ids").stdout
    with pytest.raises(IndexNotUpdated):
        api.edit(root, new_id, set_fields={"title": "Sample edited"})
    assert api.get(root, new_id).title == "Sample edited"
    r = cli("rm", "--yes", new_id)
    no_internal_error(r)
    assert r.exit_code == 1 and f"removed {new_id}, but the index" in r.stderr
    assert cli("reindex").exit_code == 0
    assert cli("status").exit_code == 0


def _older_generation(root, engine):
    meta = json.loads((root / "index" / {"whoosh": "index.json", "tantivy": "tantivy.json"}[engine]).read_text())
    return root / "index" / meta["older"]


def damage_older_toc(root):
    toc = next(_older_generation(root, "whoosh").glob("_MAIN_*.toc"))
    toc.write_bytes(toc.read_bytes()[:30])


def damage_tantivy_older_meta(root):
    meta = _older_generation(root, "tantivy") / "meta.json"
    meta.write_bytes(meta.read_bytes()[:100])


def damage_tantivy_older_segment(root):
    seg = sorted(_older_generation(root, "tantivy").glob("*.idx"))[0]
    seg.write_bytes(seg.read_bytes()[:100])


@pytest.mark.parametrize("engine, damage", [("whoosh", damage_older_toc), ("tantivy", damage_tantivy_older_meta),
                                            ("tantivy", damage_tantivy_older_segment)])
def test_damage_to_the_older_versions_index_gives_one_message_and_reindex_repairs_it(cli, root, tmp_path, damage):
    urls = [f"https://example.org/{w}" for w in ("alpha", "beta")]
    for url in urls:
        for text in (f"Sample headline\n\nThe first sample text at {url} mentions a glacier.\n",
                     f"Sample headline\n\nThe second sample text at {url} mentions the weather.\n"):
            api.add(root, data=text.encode(), source="t.txt", fields={"url": url})
    ids = sorted(cli("search", "--all-versions", "glacier", "-f", "ids").stdout.split())
    assert len(ids) == 2 and cli("search", "glacier", "-f", "ids").stdout.split() == []
    damage(root)
    forget(root)  # as the next command, a new process, opens the index
    r = cli("search", "weather", "-f", "ids")  # the current versions' index is whole
    assert r.exit_code == 0 and sorted(r.stdout.split()) == ids
    r = cli("search", "--all-versions", "glacier")
    no_internal_error(r)
    assert r.exit_code == 1 and len(r.stderr.strip().splitlines()) == 1 and "newsarchive reindex" in r.stderr
    (tmp_path / "third.txt").write_text("Sample headline\n\nThe third sample text mentions a harbour.\n")
    r = cli("add", tmp_path / "third.txt", "--url", urls[0])
    no_internal_error(r)
    assert r.exit_code == 1 and "but the index could not be updated: run `newsarchive reindex`" in r.stderr
    r = cli("verify")
    no_internal_error(r)
    assert r.exit_code == 1 and "older-versions index" in r.stdout
    assert cli("reindex").exit_code == 0
    assert sorted(cli("search", "--all-versions", "glacier", "-f", "ids").stdout.split()) == ids
    assert cli("search", "harbour", "-f", "ids").stdout.split() == [ids_of_url(root, urls[0])]
    assert cli("verify").exit_code == 0 and cli("status").exit_code == 0


def ids_of_url(root, url):
    return next(e.id for e in api.list_entries(root) if e.url == url)


@pytest.mark.parametrize("engine, damage", [("whoosh", damage_segment), ("tantivy", damage_tantivy_segment)])
def test_import_into_a_damaged_index_archives_and_fails_clearly(cli, root, tmp_path, damage):
    three(root)
    damage(root)
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"title": f"Sample {n}", "text": f"Imported sample {n}."}) + "\n"
                           for n in range(3)))
    r = cli("import", src)
    no_internal_error(r)
    assert r.exit_code == 1 and "archived 3 records, but the index could not be updated" in r.stderr
    assert len(api.list_entries(root)) == 6
    assert cli("reindex").exit_code == 0 and cli("status").exit_code == 0


def test_archive_alone_is_a_collection_and_never_falls_through_to_a_parent(tmp_path, monkeypatch):
    outer = api.init(tmp_path / "outer")
    inner = api.init(outer / "projects" / "inner")
    add(inner, "Sample inner", "Sample inner body.\n")
    import shutil

    shutil.rmtree(inner / "index")
    assert find_root(cwd=inner, environ={}) == inner
    assert find_root(inner, environ={}) == inner
    # a collection that never had a writer: init's lock file marks it
    bare = api.init(outer / "bare")
    shutil.rmtree(bare / "index")
    assert find_root(cwd=bare, environ={}) == bare
    e = add(inner, "Sample second", "Sample second body.\n")
    assert (inner / "archive" / e.id).is_dir() and not (outer / "archive" / e.id).exists()
    assert (inner / "index").is_dir()
    # a folder that merely happens to be called archive/ is not a collection
    (tmp_path / "docs" / "archive").mkdir(parents=True)
    from newsarchive.errors import NotACollection

    with pytest.raises(NotACollection):
        find_root(cwd=tmp_path / "docs", environ={})


@both_engines
def test_status_without_index_asks_for_reindex(cli, root):
    three(root)
    remove_index(root)
    r = cli("status")
    assert r.exit_code == 1 and "newsarchive reindex" in r.stdout
    assert cli("reindex").exit_code == 0 and cli("status").exit_code == 0


@both_engines
def test_abandoned_build_folders_are_removed_by_the_next_writer_and_reindex(root, engine):
    three(root)
    prefix, half = {"whoosh": ("g", "_MAIN_1.toc"), "tantivy": ("t", "meta.json")}[engine]
    stray = root / "index" / f"{prefix}-20200101000000-1-abcdef"
    stray.mkdir()
    (stray / half).write_bytes(b"half a build")
    add(root, "Sample next", "Sample next body.\n")
    assert not stray.exists()
    stray.mkdir()
    api.reindex(root)
    assert [p.name for p in (root / "index").glob(f"{prefix}-*")] == [current_generation(root, engine).name]


def dead_pid():
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_parts_of_killed_exports_are_removed_only_when_ours(root, tmp_path):
    three(root)
    out = tmp_path / "out.bib"
    pid = dead_pid()
    ours = tmp_path / f".out.bib.newsarchive-{pid}.part"
    ours.write_text("half an export")
    files = tmp_path / f".out.jsonl.files.newsarchive-{pid}.part"
    files.mkdir()
    registry = root / "index" / api.EXPORTS_DIR
    registry.mkdir()
    (registry / f"{pid}-abcd").write_text(f"{ours}\n{files}\n")
    theirs = tmp_path / ".out.bib.part"
    theirs.write_text("somebody else's file")
    alive = tmp_path / f".out.bib.newsarchive-{os.getpid()}.part"
    alive.write_text("an export running now")
    add(root, "Sample next", "Sample next body.\n")
    assert not ours.exists() and not files.exists() and not list(registry.iterdir())
    assert theirs.exists() and alive.exists()
    # the next export to the same file removes a killed one's part too
    again = tmp_path / f".out.bib.newsarchive-{pid}.part"
    again.write_text("half")
    api.export(root, to="bibtex", out=out)
    assert not again.exists() and out.exists() and theirs.exists()


@both_engines
def test_searches_keep_working_while_reindex_runs(root):
    for n in range(30):
        add(root, f"Sample {n}", f"Sample article number {n} about the weather.\n")
    script = ("import sys; from newsarchive import api\n"
              "for _ in range(int(sys.argv[2])): api.reindex(sys.argv[1])\n")
    proc = subprocess.Popen([sys.executable, "-c", script, str(root), "12"])
    failures, searches = [], 0
    try:
        while proc.poll() is None:
            forget(root)  # each search opens the index afresh, as a new process does
            try:
                assert api.search(root, "weather", limit=5).total == 30
            except Exception as exc:  # noqa: BLE001  (what the race used to raise)
                failures.append(repr(exc))
            searches += 1
    finally:
        proc.wait()
    assert proc.returncode == 0
    assert searches > 10 and failures == []


# --------------------------------------------------------------------------- one bad entry

def break_entries(root):
    """Three kinds of unreadable entry folders beside good ones: garbage JSON, a stray
    ID-like folder without entry.json, and valid JSON that is not an entry."""
    good = three(root)
    bad = add(root, "Sample broken", "Sample broken body.\n")
    (root / "archive" / bad.id / "entry.json").write_bytes(b"{\"id\": \"trunc")
    stray = root / "archive" / "zz9stray"
    stray.mkdir()
    (stray / "notes.txt").write_text("not an entry")
    odd = add(root, "Sample odd", "Sample odd body.\n")
    (root / "archive" / odd.id / "entry.json").write_text(json.dumps({"id": odd.id, "snapshots": "x"}))
    return good, [bad.id, "zz9stray", odd.id]


def test_list_status_reindex_search_verify_skip_bad_entries(cli, root):
    good, bad = break_entries(root)
    r = cli("list", "-f", "ids")
    no_internal_error(r)
    assert r.exit_code == 1 and sorted(r.stdout.split()) == sorted(e.id for e in good)
    assert [line.split()[1].rstrip(":") for line in r.stderr.splitlines()] == sorted(bad)
    r = cli("reindex")
    assert r.exit_code == 1 and "Indexed 3 entries" in r.stdout and r.stderr.count("skipped") == 3
    r = cli("status")
    no_internal_error(r)
    assert r.exit_code == 1 and r.stderr.count("skipped") == 3
    r = cli("search", "sample", "-f", "ids")
    assert r.exit_code == 0 and sorted(r.stdout.split()) == sorted(e.id for e in good)
    r = cli("verify")
    no_internal_error(r)
    assert r.exit_code == 1 and all(b in r.stdout for b in bad)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "csl-json", "bibtex", "biblatex", "ris", "warc", "bagit"])
def test_every_export_format_skips_bad_entries_and_writes_the_rest(cli, root, tmp_path, fmt):
    good, bad = break_entries(root)
    out = tmp_path / ("out" if fmt == "bagit" else f"out.{fmt}")
    r = cli("export", "--to", fmt, "-o", out)
    no_internal_error(r)
    assert r.exit_code == 1 and out.exists()
    assert sorted(line.split()[1].rstrip(":") for line in r.stderr.splitlines() if line.startswith("skipped")) == sorted(bad)
    assert f"exported 3 entries" in r.stderr


def test_rm_removes_an_unreadable_entry_by_its_exact_id(cli, root):
    good, bad = break_entries(root)
    r = cli("rm", "--yes", bad[0][:5])
    assert r.exit_code != 0 and f"give its whole ID: {bad[0]}" in r.stderr
    for b in bad:
        r = cli("rm", "--yes", b)
        no_internal_error(r)
        assert r.exit_code == 0 and f"Removed {b}" in r.stdout
    assert cli("list").exit_code == 0 and cli("status").exit_code == 0


# --------------------------------------------------------------------------- exports check what they copy

def flip(path: Path, pos: int = 3) -> None:
    data = bytearray(path.read_bytes())
    data[pos] ^= 0x20
    path.write_bytes(bytes(data))


@pytest.fixture
def damaged(root):
    good = three(root)
    bad = good.pop(1)
    flip(root / "archive" / bad.id / bad.snapshots[0].path)
    return good, bad


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "csl-json", "bibtex", "biblatex", "ris", "warc", "bagit"])
def test_damaged_entries_are_left_out_and_named(cli, root, tmp_path, damaged, fmt):
    good, bad = damaged
    out = tmp_path / ("bag" if fmt == "bagit" else f"out.{fmt}")
    r = cli("export", "--to", fmt, "-o", out)
    no_internal_error(r)
    assert r.exit_code == 1
    assert f"skipped {bad.id}: damaged: {bad.id}/{bad.snapshots[0].path}: " in r.stderr
    text = "".join(p.read_text("utf-8", "replace") for p in ([out] if out.is_file() else out.rglob("*.*")))
    assert bad.id not in text and bad.citekey not in text
    assert all(e.citekey in text or e.id in text for e in good)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "bibtex", "csl-json"])
def test_include_damaged_exports_and_marks(cli, root, tmp_path, damaged, fmt):
    good, bad = damaged
    out = tmp_path / f"out.{fmt}"
    r = cli("export", "--to", fmt, "-o", out, "--include-damaged")
    assert r.exit_code == 0 and f"exported {bad.id} marked as damaged" in r.stderr
    assert "DAMAGED in the archive" in out.read_text()


def test_a_damaged_jsonl_export_does_not_import_as_sound(cli, root, tmp_path, damaged):
    good, bad = damaged
    out = tmp_path / "out.jsonl"
    assert cli("export", "--to", "jsonl", "-o", out, "--include-damaged").exit_code == 0
    other = api.init(tmp_path / "other")
    outcomes = list(api.import_file(other, out))
    by_status = {o.id or o.ref: o.status for o in outcomes}
    assert sorted(i for i, s in by_status.items() if s == "created") == sorted(e.id for e in good)
    assert "failed" in by_status.values()


def test_bag_manifests_are_the_recorded_hashes(cli, root, tmp_path, damaged, monkeypatch):
    import bagit

    good, bad = damaged
    out = tmp_path / "bag"
    r = cli("export", "--to", "bagit", "-o", out)
    assert r.exit_code == 1
    bagit.Bag(str(out)).validate()  # the sound entries validate
    r = cli("export", "--to", "bagit", "-o", tmp_path / "bag2", "--include-damaged")
    assert r.exit_code == 0
    bag2 = tmp_path / "bag2"
    assert bad.id in (bag2 / "newsarchive-damage.txt").read_text()
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(bag2)).validate()
    # even damage that the check did not catch cannot validate: the manifest is what was recorded
    monkeypatch.setattr(api.damage, "check_entry", lambda store, entry_id: (store.read(entry_id), []))
    api.export(root, to="bagit", out=tmp_path / "bag3")
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(tmp_path / "bag3")).validate()


def test_warc_include_damaged_names_the_damage(cli, root, tmp_path, damaged):
    from warcio.archiveiterator import ArchiveIterator

    good, bad = damaged
    out = tmp_path / "out.warc.gz"
    assert cli("export", "--to", "warc", "-o", out, "--include-damaged").exit_code == 0
    with open(out, "rb") as fh:
        recs = [(r.rec_type, r.rec_headers.get_header("X-Newsarchive-Damaged"), r.content_stream().read())
                for r in ArchiveIterator(fh)]
    meta = [body for kind, flag, body in recs if kind == "metadata"]
    assert len(meta) == 1 and bad.snapshots[0].path.encode() in meta[0]
    assert sum(1 for kind, flag, _ in recs if kind == "resource" and flag == "true") == 1


@both_engines
def test_a_collection_copied_with_its_times_is_not_stale(root, tmp_path):
    import shutil

    three(root)
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)  # copy2: file times kept, as cp -a, rsync -a or a backup restore
    s = api.status(copy)
    assert s.index_state == "ok" and s.stale == []


def test_extreme_dates_that_are_valid_pass_every_layer(cli, root, tmp_path):
    """The calendar's edges (accepted: they exist in UTC) must not overflow anywhere."""
    edges = [("9999-12-31T23:59:59Z", "9999-12-31T23:59:59+00:00"), ("0001-01-01", "0001-01-01T00:00:00Z"),
             ("9999-12-31T23:00:00+05:00", "9999-12-31"), ("0001-01-01T06:00:00+05:00", "0001")]
    for n, (published, accessed) in enumerate(edges):
        add(root, f"Sample edge {n}", f"Sample edge article {n}.\n", published=published, accessed=accessed)
    for sort in ("published", "-published", "accessed", "added"):
        r = cli("list", "--sort", sort)
        assert r.exit_code == 0, r.output
    for q in ("sample", "published:9999", "published:<0002", "published:0001..9999-12-31"):
        for sort in ("relevance", "published", "-published"):
            r = cli("search", q, "--sort", sort)
            assert r.exit_code == 0, (q, r.output)
    ids = cli("list", "-f", "ids").stdout.split()
    for style in ("apa", "mla", "chicago", "bibtex", "biblatex", "csl-json", "ris"):
        r = cli("cite", *ids, "--style", style)
        no_internal_error(r)
        assert r.exit_code == 0, (style, r.output)
    for fmt in ("jsonl", "csv", "csl-json", "bibtex", "biblatex", "ris", "warc", "bagit"):
        r = cli("export", "--to", fmt, "-o", tmp_path / f"edge-{fmt}")
        assert r.exit_code == 0, (fmt, r.output)
    assert cli("status").exit_code == 0 and cli("verify").exit_code == 0


@both_engines
def test_random_damage_to_any_index_file_is_never_a_crash_and_reindex_repairs_it(root):
    """Seeded: a flipped bit, a truncation or a zeroed run in a random file of index/."""
    import random
    import shutil

    from newsarchive.errors import NewsArchiveError

    rng = random.Random(7)
    for n in range(8):
        add(root, f"Sample {n}", f"Sample article {n} about weather and sanctions.\n",
            published=f"2024-09-{n + 1:02d}", tags=[f"t{n % 3}"])
    good = root.parent / "good-index"
    shutil.copytree(root / "index", good)
    for trial in range(15):
        shutil.rmtree(root / "index")
        shutil.copytree(good, root / "index")
        forget(root)
        files = sorted(p for p in (root / "index").rglob("*")
                       if p.is_file() and p.stat().st_size and "lock" not in p.name.lower())
        f = rng.choice(files)
        f.write_bytes(_damaged(rng, f.read_bytes(), zero_run=64))
        for call in (lambda: api.search(root, "weather", facets=["tag", "year"]),
                     lambda: api.search(root, "published:2024-09 sanctions", sort="-published"),
                     lambda: api.status(root), lambda: api.list_entries(root),
                     lambda: api.add(root, data=None, source=None, fields={"title": f"Trial {trial}"})):
            try:
                call()
            except NewsArchiveError:
                pass  # one clear message; anything else is a failure of this test
        api.reindex(root)
        assert api.search(root, "sample", limit=0).total == 8
        assert api.status(root).index_state == "ok"


def _damaged(rng, original: bytes, *, zero_run: int) -> bytes:
    """``original`` with one random kind of damage: a flipped bit, a cut, or a run of zeros."""
    data = bytearray(original)
    how = rng.choice(["flip", "trunc", "zero"])
    if how == "flip":
        i = rng.randrange(len(data))
        data[i] ^= 1 << rng.randrange(8)
    elif how == "trunc":
        data = data[:rng.randrange(len(data))]
    else:
        i = rng.randrange(len(data))
        data[i:i + zero_run] = bytes(len(data[i:i + zero_run]))
    return bytes(data)


def test_random_damage_to_an_entry_json_is_skipped_by_every_reader(root, tmp_path):
    import random

    rng = random.Random(11)
    entries = three(root)
    victim = root / "archive" / entries[1].id / "entry.json"
    original = victim.read_bytes()
    for trial in range(20):
        victim.write_bytes(_damaged(rng, original, zero_run=16))
        skipped = []
        on_skip = lambda entry_id, why: skipped.append(entry_id)  # noqa: E731
        listed = {e.id for e in api.list_entries(root, on_skip=on_skip)}
        assert {entries[0].id, entries[2].id} <= listed
        assert (entries[1].id in listed) != (entries[1].id in skipped)
        api.status(root, on_skip=on_skip)
        api.reindex(root, on_skip=on_skip)
        assert api.export(root, to="csv", out=tmp_path / f"t{trial}.csv", on_skip=on_skip) >= 2
        api.search(root, "weather", on_skip=on_skip)
    victim.write_bytes(original)
