"""The library contract, without the CLI: what a program that imports newsarchive can rely on.

Each use case is exercised on a temporary collection twice over where it matters: through a
:class:`api.Collection` opened once, and through the root-taking functions (thin wrappers) that
the CLI and older programs call. All texts and pages below are samples written for these tests.
"""

from __future__ import annotations

import json

import pytest

from newsarchive import api
from newsarchive.errors import (AmbiguousID, EntryNotFound, LockTimeout, NotACollection, UsageError)

SAMPLE_PAGE = b"""<!doctype html><html><head><title>SAMPLE: Harbour bridge reopens after repairs</title>
<meta name="author" content="Ana Sample"><meta property="article:published_time" content="2024-03-05">
</head><body><article><h1>SAMPLE: Harbour bridge reopens after repairs</h1>
<p>This is a sample article written for the newsarchive tests. The harbour bridge reopened on
Tuesday after eight months of repairs, the city's transport office said.</p>
<p>Cyclists and pedestrians may cross again from Wednesday morning.</p></article></body></html>"""

SAMPLE_TEXT = b"""SAMPLE: Library extends opening hours

This is a sample text written for the newsarchive tests. The city library will stay open until
nine in the evening on weekdays from next month, its director said.
"""


@pytest.fixture
def coll(tmp_path) -> api.Collection:
    return api.Collection.open(api.init(tmp_path / "coll"))


def _add_samples(coll: api.Collection) -> tuple[str, str]:
    page = coll.add(data=SAMPLE_PAGE, source="bridge.html", fields={"url": "https://news.example/bridge"})
    text = coll.add(data=SAMPLE_TEXT, source="library.txt",
                    fields={"outlet": "Sample Gazette", "published": "2024-02-01", "tags": ["sample"]})
    return page.id, text.id


# --------------------------------------------------------------------------- Collection


def test_open_is_a_collection_with_its_parts(tmp_path):
    root = api.init(tmp_path / "c")
    coll = api.Collection.open(root, lock_timeout=2.5)
    assert coll.root == root and coll.store.root == root and coll.lock_timeout == 2.5
    assert coll.engine == "whoosh" and coll.backend.name == "whoosh"
    assert coll.backend is coll.backend  # made once
    assert api.as_collection(coll) is coll  # a Collection is taken as given
    assert api.as_collection(root).root == root  # a root is opened
    assert coll.catalog().entries == {}


def test_opening_what_is_not_a_collection_is_a_typed_error(tmp_path):
    with pytest.raises(NotACollection):
        api.Collection.open(tmp_path)
    with pytest.raises(NotACollection):
        api.get(tmp_path, "x")  # the wrappers open the same way


def test_add_get_list_through_the_collection(coll):
    page_id, text_id = _add_samples(coll)
    page = coll.get(page_id)
    assert page.title == "SAMPLE: Harbour bridge reopens after repairs"
    assert page.url == "https://news.example/bridge"
    assert page.snapshot is not None and page.snapshot.path.endswith(".html")
    text = coll.get(text_id)
    assert text.outlet == "Sample Gazette" and list(text.tags) == ["sample"]
    assert text.snapshot is not None and text.snapshot.path.endswith(".txt")
    listed = coll.list_entries(sort="published")
    assert [e.id for e in listed] == [text_id, page_id]  # 2024-02-01 before 2024-03-05
    assert [e.id for e in coll.list_entries(where={"tag": "sample"})] == [text_id]


def test_the_wrappers_see_what_the_collection_wrote(coll):
    page_id, text_id = _add_samples(coll)
    root = coll.root
    assert api.get(root, page_id) == coll.get(page_id)
    assert [e.id for e in api.list_entries(root)] == [e.id for e in coll.list_entries()]
    assert api.status(root).to_json() == coll.status().to_json()


def test_the_same_bytes_twice_are_a_duplicate(coll):
    first = coll.add(data=SAMPLE_TEXT, source="a.txt", fields={})
    again = api.add(coll.root, data=SAMPLE_TEXT, source="b.txt", fields={})
    assert (first.status, again.status, again.id) == ("created", "duplicate", first.id)
    assert len(coll.list_entries()) == 1


def test_search_finds_by_text_and_field(coll):
    page_id, text_id = _add_samples(coll)
    assert [h.id for h in coll.search("bridge").hits] == [page_id]
    assert [h.id for h in api.search(coll.root, "library").hits] == [text_id]
    assert coll.search('outlet:"Sample Gazette"').total == 1
    with pytest.raises(UsageError):
        coll.search("bridge", sort="sideways")


def test_edit_records_history_and_unsets_by_alias(coll):
    _page_id, text_id = _add_samples(coll)
    updated, changes = coll.edit(text_id, set_fields={"section": "City"})
    assert updated.section == "City" and [c["field"] for c in changes] == ["section"]
    updated, changes = api.edit(coll.root, text_id, unset=["date"])  # "date" is what --set calls published
    assert updated.published is None
    assert [(c["action"], c["field"]) for c in changes] == [("unset", "published")]
    assert [e["action"] for e in coll.history(text_id)] == ["created", "set", "unset"]
    with pytest.raises(UsageError, match="cannot unset 'snapshots'"):
        coll.edit(text_id, unset=["snapshots"])


def test_remove_and_then_it_is_gone(coll):
    page_id, text_id = _add_samples(coll)
    removed = coll.remove(page_id)
    assert removed is not None and removed.id == page_id
    with pytest.raises(EntryNotFound):
        coll.get(page_id)
    assert [e.id for e in api.list_entries(coll.root)] == [text_id]
    assert coll.search("bridge").total == 0


def test_export_jsonl_and_csv(coll, tmp_path):
    page_id, text_id = _add_samples(coll)
    out = tmp_path / "all.jsonl"
    assert coll.export(to="jsonl", out=out) == 2
    lines = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert sorted(obj["id"] for obj in lines) == sorted([page_id, text_id])
    assert all((out.parent / obj["snapshot"]).is_dir() for obj in lines)  # the files beside it
    chunks: list[str] = []
    assert api.export(coll.root, to="csv", out=None, write=chunks.append, ids=[text_id]) == 1
    rows = "".join(chunks).splitlines()
    assert rows[0].startswith("id,citekey,title") and rows[1].startswith(text_id + ",")


def test_verify_is_clean_then_names_damage(coll):
    page_id, _text_id = _add_samples(coll)
    checked, problems, repaired = coll.verify()
    assert (checked, [p for p in problems if p.kind != "note"], repaired) == (2, [], False)
    snap = coll.get(page_id).snapshot
    path = coll.store.entry_dir(page_id) / snap.path
    path.write_bytes(path.read_bytes().replace(b"eight months", b"nine months"))
    checked, problems, _ = api.verify(coll.root, [page_id])
    assert checked == 1 and problems and all((p.kind, p.id) == ("corrupt", page_id) for p in problems)
    assert str(path) in [p.path for p in problems]  # the file that changed is named


def test_cite_in_a_style_and_at_a_version(coll):
    page_id, _ = _add_samples(coll)
    apa = coll.cite([page_id], style="apa")
    assert "Harbour bridge reopens after repairs" in apa and "https://news.example/bridge" in apa
    bib = api.cite(coll.root, [page_id], style="bibtex")
    assert bib.startswith("@article{") and "bridge reopens after repairs" in bib
    assert coll.cite([page_id], style="apa", version=1) == apa  # one version: the same capture
    with pytest.raises(UsageError, match="no version 2"):
        coll.cite([page_id], style="apa", version=2)


def test_an_id_prefix_two_entries_share_is_refused(coll, monkeypatch):
    from newsarchive import store

    given = iter(["4q2kq9xa", "4q2mw3rb"])
    monkeypatch.setattr(store, "new_id", lambda length=8: next(given))
    first = coll.add(data=None, source=None, fields={"title": "Sample one"})
    second = coll.add(data=None, source=None, fields={"title": "Sample two"})
    assert (first.id, second.id) == ("4q2kq9xa", "4q2mw3rb")
    with pytest.raises(AmbiguousID, match="matches 2 entries"):
        coll.get("4q2")
    with pytest.raises(AmbiguousID):
        api.remove(coll.root, "4q2")
    assert len(coll.list_entries()) == 2  # nothing was removed
    assert coll.get("4q2m").id == second.id


def test_lock_timeout_is_the_collections_unless_given(tmp_path):
    root = api.init(tmp_path / "c")
    waiting = api.Collection.open(root, lock_timeout=0.2)
    with api.Collection.open(root).lock():  # another writer holds the collection
        with pytest.raises(LockTimeout, match="waited 0.2 s"):
            waiting.add(data=SAMPLE_TEXT, source="a.txt", fields={})
        with pytest.raises(LockTimeout, match="waited 0.1 s"):
            api.remove(waiting, "x", lock_timeout=0.1)
    assert waiting.add(data=SAMPLE_TEXT, source="a.txt", fields={}).status == "created"


def test_the_backend_follows_an_engine_switch(coll):
    page_id, _ = _add_samples(coll)
    assert coll.backend.name == "whoosh"
    assert coll.reindex(engine="tantivy") == 2
    assert coll.engine == "tantivy" and coll.backend.name == "tantivy"
    assert [h.id for h in coll.search("bridge").hits] == [page_id]


def test_import_file_reports_one_outcome_per_record(coll, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"title": "Sample A", "text": "alpha words"}) + "\n"
                   + "not json\n"
                   + json.dumps({"title": "Sample B", "text": "beta words"}) + "\n", "utf-8")
    outcomes = list(coll.import_file(src))
    assert [o.status for o in outcomes] == ["created", "failed", "created"]
    assert len(api.list_entries(coll.root)) == 2


def test_verify_of_a_new_empty_collection_finds_nothing_to_fix(tmp_path):
    # before: "stale-index: the index is missing or outdated" and exit 1 right after `init`
    root = api.init(tmp_path / "empty")
    checked, problems, repaired = api.verify(root)
    assert (checked, problems, repaired) == (0, [], False)


def test_every_public_name_resolves_from_its_module():
    # the package loads its names on first use (PEP 562): each entry of the table must be real
    import importlib

    for name, where in api._WHERE.items():
        assert getattr(api, name) is getattr(importlib.import_module(where, "newsarchive.api"), name), name
    with pytest.raises(AttributeError):
        api.no_such_name  # noqa: B018
