"""The older-versions index (``search --all-versions``), on every engine: kept beside the current
index, written by writers, rebuilt by rebuilds, and never changing what a plain search answers.

The SAMPLE articles are written for these tests (not real reporting).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from newsarchive.errors import SearchIndexError
from newsarchive.model import Entry, PartialDate, Snapshot, parse_name
from newsarchive.search import engines

ENGINES = sorted(engines.ENGINES)
TODAY = dt.date(2024, 10, 1)


def E(id, title, *, versions=1, outlet="Sample Wire", published="2024-09-04", tags=(), authors=()):
    snaps = tuple(Snapshot(path=f"v{n}/page.txt", media_type="text/plain", size=1, sha256=f"{id}{n:02d}".ljust(64, "0"),
                           captured_at=PartialDate.from_iso(f"2024-09-{n + 4:02d}T10:00:00+00:00"))
                  for n in range(1, versions + 1))
    return Entry(id=id, citekey=f"key{id}", title=title, outlet=outlet, tags=tuple(tags),
                 authors=tuple(parse_name(a) for a in authors),
                 published=PartialDate.from_iso(published) if published else None, snapshots=snaps)


# entry, newest text, older texts (version 1, 2, ...)
CORPUS = [
    (E("ov01", "SAMPLE: Ferry service resumes", versions=3, tags=["transport"]),
     "The ferry across the river runs again after repairs to the pier.",
     ["A bridge closure stranded commuters on the far bank.",
      "The bridge stayed closed; a ferry was promised for Monday."]),
    (E("ov02", "SAMPLE: Council budget approved", versions=2, outlet="City Desk"),
     "The council approved the budget on Tuesday by a wide margin.",
     ["The council delayed the budget vote after a bridge dispute."]),
    (E("ov03", "SAMPLE: Storm warning for the coast", published="2023-11-02"),
     "Forecasters warned of a storm reaching the coast overnight; the bridge may close.", []),
    (E("ov04", "SAMPLE: Harbour reopens", published=None, versions=2, tags=["transport"]),
     "The harbour reopened to shipping on Friday.",
     ["The harbour stayed shut while divers searched for the wreck of a ferry."]),
    (E("ov05", "SAMPLE: Library extends hours", published="2022-01-10"),
     "The city library will open on Sundays from next month.", []),
    (E("ov06", "SAMPLE: Rail strike called off", versions=2, published="2024-02-29"),
     "Unions called off the rail strike after talks ran through the night.",
     ["Unions said the rail strike would go ahead; commuters looked to the ferry and the bridge."]),
]
BODIES = {e.id: body for e, body, _older in CORPUS}
OLDER = {e.id: older for e, _body, older in CORPUS}


def older_of(entry):
    return [(entry, n, text) for n, text in enumerate(OLDER.get(entry.id, []), 1)]


def all_older():
    return [v for e, _b, _o in CORPUS for v in older_of(e)]


def version_text(entry_id, n):
    return OLDER[entry_id][n - 1]


def docs():
    return [(e, body) for e, body, _older in CORPUS]


QUERIES = ["ferry", "bridge", "bridge OR harbour", "budget", "commuters", "strike", "storm", '"the bridge"',
           "bridg*", "tags:transport", "outlet:\"City Desk\"", "-ferry bridge", "", "published:2024"]


def page(result):
    return [(h.id, h.version, round(h.score, 6), h.snippet) for h in result.hits], result.total, result.facets


@pytest.fixture(params=ENGINES)
def kind(request):
    return request.param


@pytest.fixture
def built(tmp_path, kind):
    b = engines.backend(kind, tmp_path / kind)
    b.rebuild(docs(), older=older_of)
    return b


def run(b, q, **kw):
    return b.search(q, today=TODAY, body_loader=BODIES.get, **kw)


# --------------------------------------------------------------------------- same answers


@pytest.mark.parametrize("sort", ["relevance", "-published", "published"])
def test_persistent_older_versions_answer_as_the_in_memory_index_did(built, sort):
    """The older-versions index gives what the index built in memory at each query gave: the
    same hits, versions, order, scores, totals, facets and snippets (a fresh rebuild)."""
    for q in QUERIES:
        new = run(built, q, all_versions=True, version_loader=version_text, sort=sort, facets=["outlet", "tag"])
        old = run(built, q, all_versions=True, older_versions=all_older(), sort=sort, facets=["outlet", "tag"])
        assert page(new) == page(old), q
        for offset in (0, 1, 3):
            a = run(built, q, all_versions=True, version_loader=version_text, sort=sort, limit=2, offset=offset)
            b = run(built, q, all_versions=True, older_versions=all_older(), sort=sort, limit=2, offset=offset)
            assert page(a) == page(b), (q, offset)


def test_older_hits_name_the_best_version_with_its_snippet(built):
    r = run(built, "bridge", all_versions=True, version_loader=version_text)
    got = {h.id: h.version for h in r.hits}
    # ov03 matches in its newest text; ov01 in versions 1 and 2 (the better one is named);
    # ov02 and ov06 in version 1 only
    assert got["ov03"] is None and got["ov02"] == 1 and got["ov06"] == 1 and got["ov01"] in (1, 2)
    by_id = {h.id: h for h in r.hits}
    assert "<b>bridge</b>" in by_id["ov02"].snippet.lower()
    assert "budget vote after a <b>bridge</b> dispute" in by_id["ov02"].snippet  # version 1's text
    assert r.total == 4
    plain = run(built, "bridge")
    assert [h.id for h in plain.hits] == ["ov03"] and plain.total == 1


def test_the_same_older_hits_on_both_engines(tmp_path):
    found = {}
    for kind in ENGINES:
        b = engines.backend(kind, tmp_path / kind)
        b.rebuild(docs(), older=older_of)
        found[kind] = {q: sorted((h.id, h.version) for h in run(b, q, all_versions=True, limit=50).hits)
                       for q in QUERIES}
    assert found["whoosh"] == found["tantivy"]


# --------------------------------------------------------------------------- plain search unchanged


def _plain_pages(b):
    out = {}
    for q in QUERIES:
        for sort in ("relevance", "-published"):
            out[(q, sort)] = page(run(b, q, sort=sort, facets=["outlet", "year", "tag"]))
    return out


def test_plain_search_is_the_same_with_and_without_older_versions(tmp_path, kind):
    """Older versions are kept out of the index a plain search ranks by: hits, order, scores,
    totals and facets are exactly those of an index without any (rebuilt, then written)."""
    without = engines.backend(kind, tmp_path / "without")
    without.rebuild(docs())
    with_older = engines.backend(kind, tmp_path / "with")
    with_older.rebuild(docs(), older=older_of)
    assert with_older.older_condition() == "ok" and without.older_condition() == "missing"
    assert _plain_pages(with_older) == _plain_pages(without)
    # and after writers changed both the same way (one of them with older versions)
    extra = E("ov07", "SAMPLE: Bridge reopens", versions=2)
    for b, older in ((without, None), (with_older, [(extra, 1, "The bridge is still shut to ferry traffic.")])):
        with b.writer() as w:
            w.upsert(extra, "The bridge reopened to traffic.", older=older)
            w.delete("ov05")
    assert _plain_pages(with_older) == _plain_pages(without)
    r = run(with_older, "ferry traffic", all_versions=True, version_loader=lambda i, n: "")
    assert [(h.id, h.version) for h in r.hits] == [("ov07", 1)]


# --------------------------------------------------------------------------- writing


def test_writers_replace_and_remove_older_versions(built):
    b = built
    assert run(b, "wreck", all_versions=True).total == 1
    entry = CORPUS[3][0]
    # a new version: the text that was newest becomes version 2 of the older ones
    newer = E("ov04", "SAMPLE: Harbour reopens", published=None, versions=3, tags=["transport", "ports"])
    with b.writer() as w:
        w.upsert(newer, "Shipping is back to normal at the harbour.",
                 older=[(newer, 1, OLDER["ov04"][0]), (newer, 2, BODIES["ov04"])])
    r = run(b, "wreck", all_versions=True)
    assert [(h.id, h.version) for h in r.hits] == [("ov04", 1)]
    r = run(b, '"reopened to shipping"', all_versions=True)
    assert [(h.id, h.version) for h in r.hits] == [("ov04", 2)]
    assert run(b, "tags:ports wreck", all_versions=True).total == 1  # older versions carry today's tags
    # upsert without older versions leaves them as they are
    with b.writer() as w:
        w.upsert(newer, "Shipping is back to normal at the harbour.")
    assert run(b, "wreck", all_versions=True).total == 1
    assert sorted(b.older_fingerprints()["ov04"]) == [1, 2]
    # a cancelled batch changes nothing
    with pytest.raises(RuntimeError):
        with b.writer() as w:
            w.delete("ov04")
            raise RuntimeError("boom")
    assert run(b, "wreck", all_versions=True).total == 1
    # delete removes the older versions with the entry
    with b.writer() as w:
        w.delete(entry.id)
    assert run(b, "wreck", all_versions=True).total == 0
    assert "ov04" not in b.older_fingerprints()


def test_a_new_index_made_by_a_writer_has_an_older_versions_index(tmp_path, kind):
    b = engines.backend(kind, tmp_path / "index")
    with b.writer() as w:
        for e, body, _older in CORPUS:
            w.upsert(e, body, older=older_of(e) if len(e.snapshots) > 1 else None)
    assert b.older_condition() == "ok"
    assert {k: sorted(v) for k, v in b.older_fingerprints().items()} == {
        "ov01": [1, 2], "ov02": [1], "ov04": [1], "ov06": [1]}
    r = run(b, "wreck", all_versions=True)
    assert [(h.id, h.version) for h in r.hits] == [("ov04", 1)]


def test_fingerprints_say_which_state_each_version_was_indexed_from(built):
    from newsarchive.search import documents

    fps = built.older_fingerprints()
    entry = CORPUS[0][0]
    assert fps["ov01"] == {n: documents.fingerprint(entry, text) for n, text in enumerate(OLDER["ov01"], 1)}
    assert fps["ov01"][1] == built.fingerprint(entry, OLDER["ov01"][0])


# --------------------------------------------------------------------------- an index without one


def test_an_index_built_without_older_versions_says_so_and_build_older_adds_them(tmp_path, kind):
    b = engines.backend(kind, tmp_path / "index")
    b.rebuild(docs())
    assert b.exists() and b.older_condition() == "missing"
    with pytest.raises(SearchIndexError, match="no older-versions index.*reindex"):
        run(b, "ferry", all_versions=True)
    with pytest.raises(SearchIndexError):
        b.older_fingerprints()
    # writers leave older versions out until it is built (they do not create a partial one)
    with b.writer() as w:
        w.upsert(CORPUS[0][0], CORPUS[0][1], older=older_of(CORPUS[0][0]))
    assert b.older_condition() == "missing"
    before = _plain_pages(b)
    assert b.build_older(all_older()) == 5
    assert b.older_condition() == "ok" and _plain_pages(b) == before
    r = run(b, "wreck", all_versions=True)
    assert [(h.id, h.version) for h in r.hits] == [("ov04", 1)]
    # the metadata kept what it had (one write added the older-versions generation)
    assert b.count() == len(CORPUS) and b.state()["exists"]


def test_sweep_removes_older_versions_generations_a_killed_rebuild_left(built, kind):
    index_dir = built.index_dir
    prefix = {"whoosh": "gv", "tantivy": "tv"}[kind]
    meta_name = {"whoosh": "index.json", "tantivy": "tantivy.json"}[kind]
    current = json.loads((index_dir / meta_name).read_text())["older"]
    assert current.startswith(prefix + "-") and (index_dir / current).is_dir()
    left = index_dir / f"{prefix}-20240101000000-1-abcdef"
    left.mkdir()
    (left / "junk").write_text("x")
    assert built.sweep() >= 1
    assert not left.exists() and (index_dir / current).is_dir()
    assert run(built, "wreck", all_versions=True).total == 1
    # a rebuild replaces the pair; remove() takes both away
    built.rebuild(docs(), older=older_of)
    assert not (index_dir / current).exists()
    built.remove()
    assert not list(index_dir.glob(f"{prefix}-*"))


def test_a_damaged_older_versions_index_is_one_clear_error(built, kind):
    meta_name = {"whoosh": "index.json", "tantivy": "tantivy.json"}[kind]
    meta = json.loads((built.index_dir / meta_name).read_text())
    import shutil

    shutil.rmtree(built.index_dir / meta["older"])
    assert built.older_condition() == "damaged"
    assert built.exists()
    assert page(run(built, "ferry"))[1] == 1  # plain search is not affected
    with pytest.raises(SearchIndexError, match="reindex"):
        run(built, "ferry", all_versions=True)
    built.rebuild(docs(), older=older_of)
    assert built.older_condition() == "ok"
