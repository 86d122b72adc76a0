"""The Whoosh backend (search/whoosh/): matching, ranking, snippets, facets, sorting, dates, writers
and locks. The engine-neutral modules are tested in test_search_analysis.py."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest

from newsarchive import query as Q
from newsarchive.search import documents
from newsarchive.search import whoosh as index
from newsarchive.search.whoosh import writing
from newsarchive.errors import LockTimeout, QueryError, SearchIndexError
from newsarchive.model import Entry, PartialDate, parse_name

# --------------------------------------------------------------------------- fixture articles


def E(id, title, *, authors=(), outlet=None, published=None, tags=(), url=None, kind=None,
      language=None, section=None, citekey=None):
    return Entry(
        id=id,
        citekey=citekey or f"key{id}",
        title=title,
        authors=tuple(parse_name(a) for a in authors),
        outlet=outlet,
        kind=kind,
        published=PartialDate.from_iso(published) if published else None,
        tags=tuple(tags),
        url=url,
        language=language,
        section=section,
    )


ARTICLES = [
    (E("art1", "Vučić says Serbia won't join sanctions", authors=["Jovana Gec"],
       outlet="Associated Press", published="2024-09-04", tags=["serbia", "sanctions"],
       url="https://apnews.com/article/serbia-vucic-1", kind="news agency", section="World"),
     "Serbian President Aleksandar Vučić said on Wednesday that Belgrade won't join "
     "the sanctions that Brussels wants. A US-sanctioned energy company owns most of the refinery."),
    (E("art2", "Traffic returns to Belgrade bridges", authors=["Ana Marković"], outlet="N1",
       published="2024-09", tags=["serbia", "transport"],
       url="https://www.n1info.rs/english/news/traffic", kind="news website"),
     "Join won't be the word commuters use: the bridges over the Sava reopened to traffic "
     "on Monday after three weeks of repairs, the city said."),
    (E("art3", "Oil prices climb", authors=["Reuters"], outlet="Reuters",
       published="2023-03-01T10:00:00+00:00", tags=["energy"],
       url="https://www.reuters.com/markets/oil-1", kind="news agency"),
     "Oil prices rose 2.5 pct to 1,000 dlrs a ton in thin trade as traders weighed US "
     "sanctioned exports and the outlook for demand."),
    (E("art4", "Notes from the archive", outlet="The Guardian", tags=["media"],
       url="https://www.theguardian.com/media/2022/notes", kind="newspaper"),
     "Sanctions appear once in this long piece about archives, libraries and the "
     "preservation of newspapers, which mostly talks about paper, ink and microfilm."),
    (E("art5", "Избори у Србији: opozicija traži ponavljanje", authors=["Đorđe Petrović"],
       outlet="N1", published="2024-01-10", language="sr", tags=["serbia", "elections"],
       url="https://n1info.rs/vesti/izbori", kind="news website"),
     "Opozicija traži ponavljanje izbora; elections observers reported irregularities."),
    (E("art6", "O'Brien's firm buys e-mail startup", authors=["Sarah O'Brien"],
       outlet="BBC News", published="2022-06-15", tags=["technology"],
       url="https://www.bbc.co.uk/news/business-1", kind="news website"),
     "The Irish firm bought the e-mail startup for an undisclosed sum; COVID-19 delayed the deal."),
]
BODIES = {e.id: body for e, body in ARTICLES}


def loader(entry_id: str) -> str:
    return BODIES[entry_id]


@pytest.fixture(scope="module")
def ix(tmp_path_factory):
    d = tmp_path_factory.mktemp("index")
    with index.writer(d) as w:
        for e, body in ARTICLES:
            w.upsert(e, body)
    return d


def found(ix, q, **kw):
    return [h.id for h in index.search(ix, q, snippets=False, **kw).hits]


# --------------------------------------------------------------------------- matching


@pytest.mark.parametrize("query, ids", [
    ("vucic", ["art1"]),  # accent folding
    ("VUČIĆ", ["art1"]),
    ("belgrad", []),  # no over-stemming...
    ("belgrad*", ["art1", "art2"]),  # ...but a prefix finds it
    ("sanction", ["art1", "art4", "art3"]),  # stemming: sanctions, sanctioned
    ('"won\'t join"', ["art1"]),  # phrase order matters
    ('"join won\'t"', ["art2"]),
    ("won't", ["art1", "art2"]),
    ("us-sanctioned", ["art1", "art3"]),  # hyphenated: whole...
    ('"US sanctioned"', ["art1", "art3"]),
    ("ussanctioned", ["art1"]),
    ("email", ["art6"]),
    ("e-mail", ["art6"]),
    ("covid-19", ["art6"]),
    ("brien", ["art6"]),
    ("o'brien", ["art6"]),
    ("1,000", ["art3"]),
    ("1000", ["art3"]),
    ("2.5", ["art3"]),
    ("elections", ["art5"]),  # unstemmed (Serbian) text still found by an English query
    ("izbora", ["art5"]),
    ("избори", ["art5"]),
    ("vucik~", ["art1"]),
    ("vucci~2", ["art1"]),
])
def test_matching(ix, query, ids):
    assert sorted(found(ix, query)) == sorted(ids)


# --------------------------------------------------------------------------- fields, boolean


@pytest.mark.parametrize("query, ids", [
    ("author:gec", ["art1"]),
    ('author:"jovana gec"', ["art1"]),
    ("author:petrovic", ["art5"]),
    ("outlet:n1", ["art2", "art5"]),
    ('outlet:"associated press"', ["art1"]),
    ("section:world", ["art1"]),
    ("tag:serbia", ["art1", "art2", "art5"]),
    ("tag:SERBIA", ["art1", "art2", "art5"]),
    ("kind:newspaper", ["art4"]),
    ('kind:"news agency"', ["art1", "art3"]),
    ("lang:sr", ["art5"]),
    ("domain:bbc.co.uk", ["art6"]),
    ("domain:n1info.rs", ["art2", "art5"]),
    ("url:https://www.reuters.com/markets/oil-1", ["art3"]),
    ("url:reuters.com/markets/oil-1/", ["art3"]),
    ("url:https://apnews.com/*", ["art1"]),
    ("https://apnews.com/article/serbia-vucic-1", ["art1"]),
    ("id:art4", ["art4"]),
    ("citekey:keyart2", ["art2"]),
    ("title:sanctions", ["art1"]),
    ("body:sanctions", ["art1", "art3", "art4"]),  # art3: "sanctioned"
    ("tag:serbia -belgrade", ["art5"]),
    ("tag:serbia NOT tag:transport", ["art1", "art5"]),
    ("oil OR traffic", ["art2", "art3"]),
    ("-tag:serbia", ["art3", "art4", "art6"]),
    ("", ["art1", "art2", "art3", "art4", "art5", "art6"]),
    ("!!!", []),
])
def test_fields_and_operators(ix, query, ids):
    assert sorted(found(ix, query, limit=50)) == sorted(ids)


@pytest.mark.parametrize("query, ids", [
    ("published:2024", ["art1", "art2", "art5"]),
    ("published:2024-09", ["art1", "art2"]),
    ("published:2024-09-04", ["art1"]),
    ("published:2024-09-02..2024-09-30", ["art1"]),  # art2 is just "2024-09" = Sept 1
    ("published:<2024", ["art3", "art6"]),
    ("published:>=2024-01-10", ["art1", "art2", "art5"]),
    ("published:>2024-01-10", ["art1", "art2"]),
    ("published:-30d", ["art1", "art2"]),
    ("published:2023-03-01", ["art3"]),
])
def test_date_ranges(ix, query, ids):
    got = found(ix, query, today=dt.date(2024, 9, 20), limit=50)
    assert sorted(got) == sorted(ids)


# --------------------------------------------------------------------------- ranking, snippets


def test_title_outranks_body(ix):
    hits = index.search(ix, "sanctions", snippets=False).hits
    assert hits[0].id == "art1"  # in the title (and body) beats the body-only articles
    assert hits[0].score > hits[1].score > 0


def test_hits_carry_metadata(ix):
    hit = index.search(ix, "id:art1", snippets=False).hits[0]
    assert (hit.citekey, hit.title, hit.outlet, hit.published) == (
        "keyart1", "Vučić says Serbia won't join sanctions", "Associated Press", "2024-09-04")
    assert hit.snippet is None
    json.dumps(hit.to_json())


def test_snippets_mark_matches(ix):
    res = index.search(ix, 'vucic "won\'t join"', body_loader=loader)
    snippet = res.hits[0].snippet
    assert "<b>Vučić</b>" in snippet
    assert "<b>won't</b> <b>join</b>" in snippet


def test_snippets_do_not_highlight_negated_terms(ix):
    res = index.search(ix, "bridges -sanctions", body_loader=loader)
    assert "<b>bridges</b>" in res.hits[0].snippet and "<b>sanctions" not in res.hits[0].snippet


def test_snippet_loader_failure_is_not_fatal(ix):
    res = index.search(ix, "oil", body_loader=lambda i: 1 / 0)
    assert res.hits[0].id == "art3" and res.hits[0].snippet is None


# --------------------------------------------------------------------------- facets, sort, paging


def test_facets_count_all_matches(ix):
    res = index.search(ix, "", limit=1, facets=("outlet", "year", "author", "tag", "kind"),
                       snippets=False)
    assert res.total == 6 and len(res.hits) == 1
    assert res.facets["outlet"][0] == ("N1", 2)
    assert dict(res.facets["year"]) == {"2024": 3, "2023": 1, "2022": 1}
    assert ("serbia", 3) == res.facets["tag"][0]
    assert dict(res.facets["kind"])["news website"] == 3
    assert ("Jovana Gec", 1) in res.facets["author"]


def test_unknown_facet(ix):
    with pytest.raises(ValueError):
        index.search(ix, "", facets=("colour",))


def test_sort_by_published(ix):
    newest = found(ix, "", sort="-published", limit=10)
    oldest = found(ix, "", sort="published", limit=10)
    assert newest == ["art1", "art2", "art5", "art3", "art6", "art4"]  # undated last
    assert oldest == ["art6", "art3", "art5", "art2", "art1", "art4"]


def test_paging(ix):
    everything = found(ix, "", sort="-published", limit=10)
    page = index.search(ix, "", sort="-published", limit=2, offset=2, snippets=False)
    assert [h.id for h in page.hits] == everything[2:4] and page.total == 6
    ranked = found(ix, "sanctions", limit=10)
    assert found(ix, "sanctions", limit=1, offset=1) == ranked[1:2]


def test_malformed_query_raises_query_error(ix):
    with pytest.raises(QueryError):
        index.search(ix, "title:(a")


# --------------------------------------------------------------------------- writing


def test_upsert_delete_and_status(tmp_path):
    d = tmp_path / "ix"
    with index.writer(d) as w:
        for e, body in ARTICLES[:3]:
            w.upsert(e, body)
    assert index.count(d) == 3 and index.ids(d) == {"art1", "art2", "art3"}
    assert found(d, "refinery") == ["art1"]
    e1 = ARTICLES[0][0].evolve(title="Serbia changes course")
    with index.writer(d) as w:
        w.upsert(e1, "Nothing about refineries now.")
        w.upsert(e1, "Nothing about oil now.")  # the last one in a batch wins
        w.delete("art2")
        w.delete("nope")
    assert index.count(d) == 2 and index.ids(d) == {"art1", "art3"}
    assert found(d, "refinery") == [] and found(d, "course") == ["art1"]
    assert found(d, "traffic") == []
    assert index.search(d, "oil", snippets=False).total == 2
    fps = index.stored_fingerprints(d)
    assert fps["art1"] == documents.fingerprint(e1, "Nothing about oil now.")
    assert fps["art3"] == documents.fingerprint(*ARTICLES[2])


def test_writer_cancels_on_exception(tmp_path):
    d = tmp_path / "ix"
    with index.writer(d) as w:
        w.upsert(*ARTICLES[0])
    with pytest.raises(RuntimeError):
        with index.writer(d) as w:
            w.upsert(*ARTICLES[1])
            raise RuntimeError("boom")
    assert index.ids(d) == {"art1"}


def test_rebuild_gives_the_same_results(ix, tmp_path):
    d = tmp_path / "rebuilt"
    assert index.rebuild(d, iter(ARTICLES)) == len(ARTICLES)
    for q in ["sanctions", "tag:serbia -belgrade", '"won\'t join"', "published:2024", "tag:serbia"]:
        a = index.search(ix, q, snippets=False, limit=50)
        b = index.search(d, q, snippets=False, limit=50)
        assert [(h.id, round(h.score, 6)) for h in a.hits] == [(h.id, round(h.score, 6)) for h in b.hits]
        assert a.total == b.total


def test_rebuild_replaces_and_searches_keep_working(tmp_path):
    d = tmp_path / "ix"
    index.rebuild(d, ARTICLES[:2])
    seen = []

    def docs():
        for item in ARTICLES[2:]:
            seen.append(found(d, "", limit=50))  # a search during the rebuild: old generation
            yield item

    assert index.rebuild(d, docs()) == 4
    assert all(sorted(s) == ["art1", "art2"] for s in seen)
    assert index.ids(d) == {"art3", "art4", "art5", "art6"}
    assert len(list(d.glob("g-*"))) == 1  # the old generation is gone


def test_missing_index(tmp_path):
    with pytest.raises(SearchIndexError, match="reindex"):
        index.search(tmp_path / "nothing", "x")
    assert not index.exists(tmp_path / "nothing")


def test_schema_version_mismatch(tmp_path):
    d = tmp_path / "ix"
    index.rebuild(d, ARTICLES[:1])
    assert index.exists(d)
    meta = json.loads((d / index.META_NAME).read_text())
    meta["schema_version"] = index.SCHEMA_VERSION - 1
    (d / index.META_NAME).write_text(json.dumps(meta))
    for call in (lambda: index.search(d, "x"), lambda: index.ids(d), lambda: index.count(d)):
        with pytest.raises(SearchIndexError, match="older version; run `newsarchive reindex`"):
            call()
    with pytest.raises(SearchIndexError):
        with index.writer(d) as w:
            w.upsert(*ARTICLES[1])


def test_search_works_while_a_writer_holds_the_lock_and_a_second_writer_times_out(tmp_path):
    d = tmp_path / "ix"
    index.rebuild(d, ARTICLES[:2])
    with index.writer(d) as w:
        w.upsert(*ARTICLES[2])
        assert sorted(found(d, "")) == ["art1", "art2"]  # not committed yet, still searchable
        with pytest.raises(LockTimeout, match="another process is writing"):
            with index.writer(d, timeout=0.2):
                pass
        errors = []
        t = threading.Thread(target=lambda: errors.append(found(d, "oil")))
        t.start()
        t.join()
        assert errors == [[]]
    assert found(d, "oil") == ["art3"]


def test_batches_merge_in_tiers_and_optimize(tmp_path, monkeypatch):
    monkeypatch.setattr(writing, "MERGE_FANOUT", 3)
    d = tmp_path / "ix"
    for e, body in ARTICLES:  # one batch per article
        with index.writer(d) as w:
            w.upsert(e, body)

    def segments():
        return len(list(d.glob("g-*/*.seg")))

    assert segments() < len(ARTICLES)  # tiers were merged along the way
    before = index.search(d, "sanctions", snippets=False)
    index.optimize(d)
    assert segments() == 1
    after = index.search(d, "sanctions", snippets=False)
    assert [h.id for h in after.hits] == [h.id for h in before.hits] and after.total == 3


def test_the_in_memory_older_versions_path_uses_a_scratch_folder_of_its_own(tmp_path, monkeypatch):
    """Whoosh's RamStorage writes its scratch files to $TMPDIR/MAIN.tmp, one folder shared by
    every process; ours is a folder of its own per index, removed when the search is done."""
    import tempfile

    from newsarchive.search.whoosh.reading import _private_ram

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    shared = tmp_path / "MAIN.tmp"
    shared.mkdir()
    (shared / "another-process-file").write_text("sample")
    one, two = _private_ram(), _private_ram()
    a, b = one.temp_storage("MAIN.tmp"), two.temp_storage("MAIN.tmp")
    assert a.folder != b.folder and str(shared) not in (a.folder, b.folder)
    assert one.temp_storage("MAIN.tmp").folder == a.folder  # the writer and its per-document writer share it
    one.remove_scratch()
    two.remove_scratch()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["MAIN.tmp"]
    assert (shared / "another-process-file").exists()
