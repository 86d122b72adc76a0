"""The search contract: every engine gives the same answers for the whole query language.

Each engine indexes the same small corpus of SAMPLE articles (written for this test, not real
reporting). Then the same queries must return the same hits: the same set for relevance
queries, the same order for date sorts and for relevance ties, the same totals, facets and
pages, and snippets. Engine-specific behaviour (damaged index, rebuild, conversion) is tested
per engine too.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest

from newsarchive import api
from newsarchive.errors import QueryError, SearchIndexError
from newsarchive.model import Entry, PartialDate, parse_name
from newsarchive.search import engines

ENGINES = sorted(engines.ENGINES)
TODAY = dt.date(2024, 10, 1)


def E(id, title, *, authors=(), outlet=None, published=None, tags=(), url=None, kind=None,
      language=None, section=None, citekey=None):
    return Entry(
        id=id, citekey=citekey or f"key{id}", title=title,
        authors=tuple(parse_name(a) for a in authors), outlet=outlet, kind=kind,
        published=PartialDate.from_iso(published) if published else None,
        tags=tuple(tags), url=url, language=language, section=section,
    )


# --------------------------------------------------------------------------- SAMPLE corpus

CORPUS = [
    (E("sa01", "SAMPLE: Vučić says Serbia won't join sanctions", authors=["Jovana Gec"],
       outlet="Associated Press", published="2024-09-04", tags=["serbia", "sanctions"],
       url="https://apnews.com/article/serbia-vucic-1", kind="news agency", section="World"),
     "Serbian President Aleksandar Vučić said on Wednesday that Belgrade won't join the "
     "sanctions that Brussels wants. A US-sanctioned energy company owns most of the refinery."),
    (E("sa02", "SAMPLE: Traffic returns to Belgrade bridges", authors=["Ana Marković"], outlet="N1",
       published="2024-09", tags=["serbia", "transport"],
       url="https://www.n1info.rs/english/news/traffic", kind="news website"),
     "The bridges over the Sava reopened to traffic on Monday after three weeks of repairs, "
     "the city said. Commuters welcomed the news."),
    (E("sa03", "SAMPLE: Oil prices climb", authors=["Reuters"], outlet="Reuters",
       published="2023-03-01T10:00:00+00:00", tags=["energy"],
       url="https://www.reuters.com/markets/oil-1", kind="news agency"),
     "Oil prices rose 2.5 pct to 1,000 dlrs a ton in thin trade as traders weighed US "
     "sanctioned exports and the outlook for demand."),
    (E("sa04", "SAMPLE: Notes from the archive", outlet="The Guardian", tags=["media"],
       url="https://www.theguardian.com/media/2022/notes", kind="newspaper"),
     "Sanctions appear once in this long piece about archives, libraries and the preservation "
     "of newspapers, which mostly talks about paper, ink and microfilm."),
    (E("sa05", "SAMPLE: Избори у Србији: opozicija traži ponavljanje", authors=["Đorđe Petrović"],
       outlet="N1", published="2024-01-10", language="sr", tags=["serbia", "elections"],
       url="https://n1info.rs/vesti/izbori", kind="news website"),
     "Opozicija traži ponavljanje izbora u Москва i Beogradu; elections observers reported "
     "irregularities."),
    (E("sa06", "SAMPLE: O'Brien's firm buys e-mail startup", authors=["Sarah O'Brien"],
       outlet="BBC News", published="2022-06-15", tags=["technology"],
       url="https://www.bbc.co.uk/news/technology-1", kind="broadcast", section="Technology"),
     "The e-mail startup, founded in 2019, was bought for an undisclosed sum. O'Brien said "
     "the well-known brand would stay."),
    (E("sa07", "SAMPLE: Central bank holds rates", authors=["Mark Smith", "Lena Braun"],
       outlet="Reuters", published="2024-07-31", tags=["economy", "rates"],
       url="https://www.reuters.com/markets/rates-7", kind="news agency", section="Markets"),
     "The central bank held interest rates steady on Wednesday, saying inflation was easing "
     "but the labour market remained tight."),
    (E("sa08", "SAMPLE: Bank of England raises rates", authors=["Lena Braun"], outlet="Reuters",
       published="2023-08-03", tags=["economy", "rates"],
       url="https://www.reuters.com/markets/boe-8", kind="news agency", section="Markets"),
     "The Bank of England raised its main interest rate to 5.25 percent, its fourteenth "
     "increase in a row, to bring inflation down."),
    (E("sa09", "SAMPLE: Floods hit the Danube basin", authors=["Petra Novak"], outlet="Der Standard",
       published="2024-09-16", language="de", tags=["weather", "floods"],
       url="https://www.derstandard.at/story/floods-9", kind="newspaper"),
     "Hochwasser an der Donau: Straße gesperrt, the river rose above the warning level in "
     "Vienna and Bratislava."),
    (E("sa10", "SAMPLE: Elections in Moldova", authors=["Ion Rusu"], outlet="Balkan Insight",
       published="2024-10-20", tags=["elections", "moldova"],
       url="https://balkaninsight.com/2024/10/20/moldova", kind="news website"),
     "Voters in Moldova went to the polls in elections seen as a choice between east and west; "
     "observers reported vote buying."),
    (E("sa11", "SAMPLE: Wildfires spread in Greece", authors=["Eleni Papadopoulou"], outlet="Kathimerini",
       published="2024-08-12", tags=["weather", "fires"], url="https://www.ekathimerini.com/news/fires",
       kind="newspaper"),
     "Firefighters battled wildfires north of Athens as strong winds spread the flames toward "
     "the suburbs; thousands were evacuated."),
    (E("sa12", "SAMPLE: Wildfire season ends", authors=["Eleni Papadopoulou"], outlet="Kathimerini",
       published="2024-10-01", tags=["weather", "fires"], url="https://www.ekathimerini.com/news/season",
       kind="newspaper"),
     "The fire service said the wildfire season had ended with fewer acres burned than last "
     "year, after a wet September."),
    (E("sa13", "SAMPLE: Startup raises funding", authors=["Sarah O'Brien"], outlet="BBC News",
       published="2023-11-02", tags=["technology", "startups"],
       url="https://www.bbc.co.uk/news/technology-13", kind="broadcast"),
     "The startup raised 20 million dollars from investors to build search engines for "
     "newsrooms and archives."),
    (E("sa14", "SAMPLE: Searching old newspapers", authors=["Tom Hill"], outlet="The Guardian",
       published="2021-05-05", tags=["media", "archives"],
       url="https://www.theguardian.com/media/2021/search", kind="newspaper"),
     "Historians now search digitised newspapers by keyword; the archive holds millions of "
     "pages from the nineteenth century."),
    (E("sa15", "SAMPLE: Serbia and Kosovo talks stall", authors=["Jovana Gec", "Dusan Stojanovic"],
       outlet="Associated Press", published="2023-09-14", tags=["serbia", "kosovo"],
       url="https://apnews.com/article/serbia-kosovo-15", kind="news agency", section="World"),
     "Talks between Serbia and Kosovo stalled in Brussels on Thursday, the EU envoy said, "
     "blaming both sides."),
    (E("sa16", "SAMPLE: Refinery sanctions delayed", authors=["Jovana Gec"], outlet="Associated Press",
       published="2024-10-01T08:30:00+00:00", tags=["serbia", "energy", "sanctions"],
       url="https://apnews.com/article/nis-16", kind="news agency"),
     "US sanctions on the Serbian oil refinery owner were delayed again, giving the company "
     "more time to change its Russian ownership."),
    (E("sa17", "SAMPLE: Grain exports recover", outlet="Reuters", published="2024-02-29",
       tags=["economy", "grain"], url="https://www.reuters.com/markets/grain-17", kind="news agency"),
     "Ukrainian grain exports recovered in February as ships used the new corridor through "
     "the Black Sea."),
    (E("sa18", "SAMPLE: Rail strike called off", authors=["Tom Hill"], outlet="The Guardian",
       published="2022-12-20", tags=["transport", "strikes"],
       url="https://www.theguardian.com/uk/2022/rail", kind="newspaper"),
     "The rail strike planned for Christmas was called off after unions accepted a new pay "
     "offer, the transport secretary said."),
    (E("sa19", "SAMPLE: Metro line opens", outlet="N1", published="2024-03",
       tags=["transport", "serbia"], url="https://n1info.rs/english/metro", kind="news website"),
     "Belgrade's first metro line opened for test rides; the city said trains would run every "
     "ten minutes."),
    (E("sa20", "SAMPLE: Chip maker expands", authors=["Mark Smith"], outlet="Reuters",
       published="2024", tags=["technology"], url="https://www.reuters.com/tech/chips-20",
       kind="news agency"),
     "The chip maker will build a second plant, doubling capacity by 2026, its chief "
     "executive said."),
    (E("sa21", "SAMPLE: Press freedom report", outlet="Balkan Insight", published="2024-05-03",
       tags=["media", "serbia"], url="https://balkaninsight.com/2024/05/03/press", kind="news website",
       section="Media"),
     "Journalists in the region face lawsuits and threats, a press freedom report said on "
     "World Press Freedom Day."),
    (E("sa22", "SAMPLE: Heatwave warning", outlet="BBC News", published="2024-07-15",
       tags=["weather"], url="https://www.bbc.co.uk/news/weather-22", kind="broadcast"),
     "Forecasters issued a heatwave warning as temperatures were expected to reach 35 "
     "degrees in the south."),
    # identical stories: relevance ties broken by date (newest first), then by ID
    (E("sa23", "SAMPLE: Wire story on copper", outlet="Reuters", published="2024-04-02",
       tags=["metals"], kind="news agency"),
     "Copper prices hit a record as mines struggled to keep up with demand."),
    (E("sa24", "SAMPLE: Wire story on copper", outlet="Reuters", published="2024-04-03",
       tags=["metals"], kind="news agency"),
     "Copper prices hit a record as mines struggled to keep up with demand."),
    (E("sa25", "SAMPLE: Wire story on copper", outlet="Reuters", published="2024-04-03",
       tags=["metals"], kind="news agency"),
     "Copper prices hit a record as mines struggled to keep up with demand."),
    (E("sa26", "SAMPLE: Wire story on copper", outlet="Reuters", tags=["metals"], kind="news agency"),
     "Copper prices hit a record as mines struggled to keep up with demand."),
    # IDs longer than 8 characters that share their first 8: ties still ordered by the whole ID
    (E("tiebreakzz2", "SAMPLE: Zinc note", outlet="Reuters", published="2024-04-05", kind="news agency"),
     "Zinc stocks fell in London."),
    (E("tiebreakzz1", "SAMPLE: Zinc note", outlet="Reuters", published="2024-04-05", kind="news agency"),
     "Zinc stocks fell in London."),
    (E("sa27", "SAMPLE: Museum reopens", outlet="Der Standard", published="2023-04-01",
       language="de", tags=["culture"], url="https://www.derstandard.at/story/museum-27", kind="newspaper"),
     "Das Museum öffnet wieder nach der Renovierung; the museum reopened after renovation."),
    (E("sa28", "SAMPLE: Teachers strike", authors=["Ana Marković"], outlet="N1", published="2024-09-02",
       tags=["strikes", "serbia"], url="https://n1info.rs/english/teachers", kind="news website"),
     "Teachers went on strike across the country demanding higher pay; the ministry said talks "
     "would continue."),
    (E("sa29", "SAMPLE: Wheat prices fall", outlet="Reuters", published="2024-06-10",
       tags=["economy", "grain"], url="https://www.reuters.com/markets/wheat-29", kind="news agency"),
     "Wheat prices fell for a third week as harvests in the northern hemisphere came in "
     "larger than expected."),
    (E("sa30", "SAMPLE: Climate summit opens", authors=["Petra Novak", "Ion Rusu"],
       outlet="Balkan Insight", published="2023-11-30", tags=["climate"],
       url="https://balkaninsight.com/2023/11/30/cop", kind="news website"),
     "Delegates gathered in Dubai for the climate summit, where oil producers and island "
     "states disagreed about fossil fuels."),
    (E("sa31", "SAMPLE: Letter from the editor", outlet="The Guardian", kind="newspaper",
       tags=["media"]),
     "A note on how we correct mistakes: every correction is logged and the original wording "
     "kept."),
    (E("sa32", "SAMPLE: Sanctions and sanctioned firms", outlet="Balkan Insight",
       published="2024-09-20", tags=["sanctions"], url="https://balkaninsight.com/2024/09/20/firms",
       kind="news website"),
     "A list of sanctioned firms in the region, with the sanctions each faces."),
]

QUERIES = [
    # words, stems, folding, numbers
    "sanctions", "sanction", "sanctioned", "vucic", "Vučić", "VUCIC", "belgrade", "belgrad",
    "strasse", "straße", "1000", "1,000", "2.5", "5.25", "us", "u.s.", "ussanctioned",
    "us-sanctioned", "email", "e-mail", "brien", "o'brien", "obrien", "well-known", "wellknown",
    "izbori", "избори", "москва", "news", "newspapers", "newspaper", "wildfire", "wildfires",
    # phrases and slop
    '"interest rates"', '"rates interest"', '"won\'t join"', '"oil prices"', '"prices oil"~3',
    '"copper record"~4', '"copper record"~3', '"copper a"~2', '"hit record copper"~4', '"copper hit record"~3', '"central bank held"',
    '"bank held rates"~2', '"the sanctions"', '"serbia won\'t"~4', '"us sanctioned"',
    # boolean
    "serbia sanctions", "serbia AND sanctions", "serbia OR moldova", "serbia -sanctions",
    "serbia NOT sanctions", "NOT serbia", "-serbia", "(serbia OR moldova) elections",
    "(oil OR copper) -reuters", "rates OR (wildfires AND greece)", "NOT (serbia OR weather)",
    "serbia AND NOT (sanctions OR transport)", "+copper +prices", "NOT serbia OR copper",
    "the", "!!!", "serbia !!!",
    # prefixes and fuzzy
    "sanc*", "wild*", "ser*", "title:wild*", "author:o'b*", "tag:ser*", "url:https://apnews.com*",
    "citekey:keysa0*", "bejgrade~", "belgrad~2", "wildfyres~", "sanctiond~", "xanctions~",
    "title:copperr~", "author:braun~",
    # fields
    "title:sanctions", "body:sanctions", "text:refinery", "author:gec", "authors:\"jovana gec\"",
    "author:braun", "outlet:reuters", "outlet:\"the guardian\"", "section:markets", "section:world",
    "tag:serbia", "tags:\"Serbia\"", "tag:energy", "lang:sr", "lang:de", "language:en",
    "domain:reuters.com", "domain:www.reuters.com", "site:bbc.co.uk", "domain:co.uk",
    "url:https://apnews.com/article/serbia-vucic-1", "url:apnews.com/article/nis-16",
    "https://www.reuters.com/markets/oil-1", "id:sa07", "citekey:keysa13", "kind:newspaper",
    "kind:\"news agency\"", "title:\"wire story\"",
    # dates
    "published:2024", "published:2024-09", "published:2024-09-04", "published:2024-09-01..2024-09-30",
    "published:..2022-12-31", "published:2024-10..", "published:>2024-09", "published:>=2024-09",
    "published:<2023", "published:<=2023", "published:-30d", "published:-1y", "date:\"Sept 2024\"",
    "serbia published:2024", "published:2024 -serbia", "copper published:2024-04",
    # everything
    "",
]


def _build(kind, tmp_path):
    backend = engines.backend(kind, tmp_path / kind / "index")
    n = backend.rebuild(iter(CORPUS))
    assert n == len(CORPUS)
    return backend


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    base = tmp_path_factory.mktemp("contract")
    return {k: _build(k, base) for k in ENGINES}


BODIES = {e.id: body for e, body in CORPUS}


def run(backend, q, **kw):
    kw.setdefault("limit", 1000)
    kw.setdefault("snippets", False)
    return backend.search(q, today=TODAY, body_loader=BODIES.get, **kw)


def ids(result):
    return [h.id for h in result.hits]


# --------------------------------------------------------------------------- the contract


def test_backends_follow_the_protocol(both):
    from newsarchive.search.backend import SearchBackend

    for kind, backend in both.items():
        assert isinstance(backend, SearchBackend)
        assert backend.name == kind
        assert backend.state() == {"engine": kind, "schema_version": backend.schema_version, "exists": True}


@pytest.mark.parametrize("q", QUERIES)
def test_same_hits_for_every_query(both, q):
    results = {k: run(b, q) for k, b in both.items()}
    sets = {k: sorted(ids(r)) for k, r in results.items()}
    first = sets[ENGINES[0]]
    for k in ENGINES[1:]:
        assert sets[k] == first, f"{q!r}: {ENGINES[0]} {first} != {k} {sets[k]}"
    totals = {r.total for r in results.values()}
    assert totals == {len(first)}


@pytest.mark.parametrize("q", QUERIES)
@pytest.mark.parametrize("sort", ["published", "-published"])
def test_same_order_for_date_sorts(both, q, sort):
    orders = {k: ids(run(b, q, sort=sort)) for k, b in both.items()}
    assert orders["tantivy"] == orders["whoosh"], q


def test_the_queries_are_not_trivial(both):
    """Most queries find something and none finds everything (else the comparison says little)."""
    counts = [len(ids(run(both["whoosh"], q))) for q in QUERIES]
    assert sum(1 for c in counts if c == 0) <= 12
    assert sum(1 for c in counts if c == len(CORPUS)) <= 4


@pytest.mark.parametrize("kind", ENGINES)
@pytest.mark.parametrize("q, expected", [
    ("izbora", {"sa05"}),                              # a word of a Serbian text, as typed
    ("izbori", {"sa05"}),                              # Избори, transliterated
    ("избори", {"sa05"}),                              # and still in its own script
    ("moskva", {"sa05"}), ("Москва", {"sa05"}), ("srbiji", {"sa05"}),
    ('"izbori u srbiji"', {"sa05"}),                   # a phrase over transliterated words
    ("sanctions", {"sa01", "sa03", "sa04", "sa16", "sa32"}),   # s03: "US sanctioned" -> sanction
    ("ussanctioned", {"sa01"}),                        # the hyphenated compound run together
    ('"us sanctioned"', {"sa01", "sa03", "sa16"}),       # s16: "US sanctions" stems the same
    ('"prices oil"~3', set()),                        # slop keeps the order of the words
    ('"copper record"~4', {"sa23", "sa24", "sa25", "sa26"}),
    ('"copper record"~3', set()),                     # "copper prices hit a record": 4 apart
    ("belgrad~2", {"sa01", "sa02", "sa05", "sa19"}),  # Belgrade, Belgrade's, Beogradu
    ("published:2024-09", {"sa01", "sa02", "sa09", "sa28", "sa32"}),
    ("NOT serbia", None),
])
def test_known_answers(both, kind, q, expected):
    got = set(ids(run(both[kind], q)))
    if expected is None:
        assert got == {e.id for e, _ in CORPUS} - set(ids(run(both[kind], "serbia")))
    else:
        assert got == expected


@pytest.mark.parametrize("kind", ENGINES)
def test_relevance_ties_break_by_newest_then_id(both, kind):
    got = ids(run(both[kind], "copper"))
    assert got == ["sa24", "sa25", "sa23", "sa26"]  # s24/s25 same day: by ID; undated last
    assert len({h.score for h in run(both[kind], "copper").hits}) == 1


@pytest.mark.parametrize("kind", ENGINES)
def test_ties_between_long_ids_sharing_a_prefix(both, kind):
    assert ids(run(both[kind], "zinc")) == ["tiebreakzz1", "tiebreakzz2"]
    assert ids(run(both[kind], "zinc", sort="-published")) == ["tiebreakzz1", "tiebreakzz2"]


@pytest.mark.parametrize("kind", ENGINES)
def test_relevance_title_outranks_body(both, kind):
    got = ids(run(both[kind], "wildfire"))
    assert got[0] in ("sa11", "sa12")  # both have it in the title
    assert set(got[:2]) == {"sa11", "sa12"}


@pytest.mark.parametrize("q", ["copper", "wildfire", "rates", "strike", "bank", "tag:serbia", "sanc*",
                               "serbia sanctions", "kind:newspaper", "published:2024", "serbia -sanctions",
                               "oil OR copper", '"interest rates"', "belgrad~2", ""])
def test_same_relevance_order(both, q):
    """BM25 in both engines, the same fields and boosts, the same tie-break: the same order here.
    (The scores themselves differ: Whoosh's BM25F and tantivy's BM25 weigh idf differently.)"""
    assert ids(run(both["whoosh"], q)) == ids(run(both["tantivy"], q))


@pytest.mark.parametrize("q", ["serbia", "", "rates OR copper", "published:2024"])
@pytest.mark.parametrize("names", [("outlet", "year", "author", "tag", "kind")])
def test_same_facets(both, q, names):
    facets = {k: run(b, q, facets=names).facets for k, b in both.items()}
    assert facets["tantivy"] == facets["whoosh"]
    assert facets["whoosh"]["outlet"]  # not vacuous


@pytest.mark.parametrize("sort", ["relevance", "published", "-published"])
def test_same_pages(both, sort):
    for k, b in both.items():
        whole = ids(run(b, "", sort=sort))
        pages = []
        for off in range(0, len(CORPUS), 7):
            r = run(b, "", sort=sort, limit=7, offset=off)
            assert r.total == len(CORPUS)
            pages += ids(r)
        assert pages == whole, k
    assert ids(run(both["whoosh"], "", sort=sort)) == ids(run(both["tantivy"], "", sort=sort))


def test_transliterated_match_is_highlighted_in_the_original_script(both):
    for b in both.values():
        hit = run(b, "moskva", snippets=True).hits[0]
        assert "<b>Москва</b>" in hit.snippet


def test_same_snippets(both):
    for q in ["sanctions belgrade", "wild*", '"interest rates"', "belgrad~2", "moskva"]:
        snips = {k: [h.snippet for h in run(b, q, snippets=True, sort="published").hits]
                 for k, b in both.items()}
        assert snips["tantivy"] == snips["whoosh"]
        assert snips["whoosh"] and all(snips["whoosh"]), q
        assert any("<b>" in s for s in snips["whoosh"]), q


def test_same_ids_count_and_fingerprints(both):
    w, t = both["whoosh"], both["tantivy"]
    assert w.ids() == t.ids() == {e.id for e, _ in CORPUS}
    assert w.count() == t.count() == len(CORPUS)
    assert w.stored_fingerprints() == t.stored_fingerprints()


@pytest.mark.parametrize("kind", ENGINES)
def test_malformed_query_and_bad_options(both, kind):
    with pytest.raises(QueryError):
        both[kind].search('"unclosed', today=TODAY)
    with pytest.raises(ValueError):
        both[kind].search("x", sort="size")
    with pytest.raises(ValueError):
        both[kind].search("x", facets=["colour"])


def test_older_versions_are_searched_alike(both):
    old_entry = CORPUS[1][0]
    older = [(old_entry, 1, "An earlier version about a ferry across the Sava.")]
    for k, b in both.items():
        r = b.search("ferry", all_versions=True, older_versions=older, today=TODAY,
                     facets=["outlet"], body_loader=BODIES.get)
        assert [(h.id, h.version) for h in r.hits] == [("sa02", 1)], k
        assert r.facets == {"outlet": [("N1", 1)]}
        assert "<b>ferry</b>" in r.hits[0].snippet


# --------------------------------------------------------------------------- writing


@pytest.mark.parametrize("kind", ENGINES)
def test_writer_upsert_delete_and_cancel(tmp_path, kind):
    b = engines.backend(kind, tmp_path / "index")
    with b.writer() as w:
        for e, body in CORPUS[:5]:
            w.upsert(e, body)
    assert b.exists() and b.count() == 5
    with b.writer() as w:
        w.delete("sa01")
        w.upsert(CORPUS[1][0], "now about a ferry")
    assert b.ids() == {"sa02", "sa03", "sa04", "sa05"}
    assert ids(run(b, "ferry")) == ["sa02"] and ids(run(b, "reopened")) == []
    with pytest.raises(RuntimeError):
        with b.writer() as w:
            w.delete("sa02")
            raise RuntimeError("boom")
    assert "sa02" in b.ids()


@pytest.mark.parametrize("kind", ENGINES)
def test_missing_or_damaged_index_is_a_clear_error_and_rebuild_repairs(tmp_path, kind):
    b = engines.backend(kind, tmp_path / "index")
    assert not b.exists() and not b.present()
    with pytest.raises(SearchIndexError, match="reindex"):
        b.search("x")
    b.rebuild(iter(CORPUS))
    meta = next(p for p in (tmp_path / "index").iterdir() if p.suffix == ".json")
    meta.write_text("{not json", "utf-8")
    with pytest.raises(SearchIndexError, match="reindex"):
        b.search("sanctions")
    assert b.present() and not b.exists()
    b.rebuild(iter(CORPUS))
    assert len(ids(run(b, "sanctions"))) == 5
    # the generation folder itself removed
    for p in (tmp_path / "index").iterdir():
        if p.is_dir():
            shutil.rmtree(p)
    with pytest.raises(SearchIndexError, match="reindex"):
        b.search("sanctions")
    b.rebuild(iter(CORPUS))
    assert len(ids(run(b, "sanctions"))) == 5


def test_damaged_tantivy_segment_is_a_clear_error(tmp_path):
    b = engines.backend("tantivy", tmp_path / "index")
    b.rebuild(iter(CORPUS))
    gen = next(p for p in (tmp_path / "index").iterdir() if p.is_dir())
    (gen / "meta.json").write_text("garbage", "utf-8")
    with pytest.raises(SearchIndexError, match="reindex"):
        b.search("sanctions")
    b.rebuild(iter(CORPUS))
    assert b.count() == len(CORPUS)


# --------------------------------------------------------------------------- the collection's engine


def _collection(tmp_path, engine):
    root = api.init(tmp_path / "c", engine=engine)
    for i, (title, body) in enumerate([("SAMPLE one", "Copper prices rose."),
                                       ("SAMPLE two", "Wheat prices fell.")]):
        src = tmp_path / f"a{i}.txt"
        src.write_text(f"{title}\n\n{body}\n", "utf-8")
        api.add(root, data=src.read_bytes(), source=str(src), fields={"published": f"2024-0{i + 1}-01"})
    return root


def test_init_records_the_engine_and_status_reports_it(tmp_path):
    root = _collection(tmp_path, "tantivy")
    assert engines.configured(root) == "tantivy"
    s = api.status(root)
    assert s.engine == "tantivy" and s.to_json()["engine"] == "tantivy" and s.index_state == "ok"
    assert [h.title for h in api.search(root, "prices", sort="published").hits] == ["SAMPLE one", "SAMPLE two"]
    assert (root / "index" / "tantivy.json").exists() and not (root / "index" / "index.json").exists()


def test_reindex_converts_between_engines(tmp_path):
    root = _collection(tmp_path, "whoosh")
    assert api.status(root).engine == "whoosh"
    assert api.reindex(root, engine="tantivy") == 2
    assert api.status(root).engine == "tantivy" and api.status(root).index_state == "ok"
    assert not (root / "index" / "index.json").exists()
    assert not list((root / "index").glob("g-*"))
    assert len(api.search(root, "prices").hits) == 2
    assert api.reindex(root, engine="whoosh") == 2
    assert api.status(root).engine == "whoosh" and not list((root / "index").glob("t-*"))
    assert len(api.search(root, "prices").hits) == 2
    problems = api.verify(root)[1]
    assert problems == []


def test_unknown_engine_is_a_usage_error(tmp_path):
    from newsarchive.errors import UsageError

    with pytest.raises(UsageError, match="unknown search engine"):
        api.init(tmp_path / "c", engine="lucene")
    assert not (tmp_path / "c").exists()


def test_cli_init_reindex_status_engine(tmp_path):
    import json

    from typer.testing import CliRunner

    from newsarchive.cli import app

    runner = CliRunner()
    root = tmp_path / "c"
    r = runner.invoke(app, ["init", str(root), "--engine", "tantivy"])
    assert r.exit_code == 0 and "tantivy" in r.output
    r = runner.invoke(app, ["--root", str(root), "status", "--format", "json"])
    assert json.loads(r.output)["engine"] == "tantivy"
    r = runner.invoke(app, ["--root", str(root), "reindex", "--engine", "whoosh"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["--root", str(root), "status"])
    assert "engine: whoosh" in r.output
    r = runner.invoke(app, ["--root", str(root), "reindex", "--engine", "solr"])
    assert r.exit_code == 2 and "unknown search engine" in r.output


# --------------------------------------------------------------------------- analysis


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_PIECES = ["US-sanctioned", "O'Brien's", "won't", "e-mail", "U.S.", "1,000", "2.5", "Vučić", "Straße",
           "Избори", "well-known", "int'l", "a", "the", "—", "(", ")", ",", ".", "-", "'", "’", "x-1",
           "3-4-5", "naïve", "ﬁnance", "Ⅻ", "\u00a0", "\t", "\n", "sanctions", "A.B.C", "1.2.3", "co-op's"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=6)), max_size=25),
       st.lists(st.sampled_from(["", " ", "  ", "\n"]), min_size=25, max_size=25),
       st.booleans(), st.booleans())
def test_tantivy_gets_exactly_the_terms_and_positions_whoosh_indexes(words, seps, stemming, unstemmed):
    from newsarchive.search import analysis
    from newsarchive.search.tantivy.schema import _analysed
    from newsarchive.search.whoosh import schema as whoosh_schema

    text = "".join(w + s for w, s in zip(words, seps))
    # what the Whoosh schema's analyzer indexes for the value Whoosh is handed
    value = whoosh_schema.Unstemmed(text) if unstemmed else text
    analyzer = whoosh_schema.TEXT if stemming else whoosh_schema.NAMES
    want = [(t.text, t.pos) for t in analyzer(value, positions=True, mode="index")]
    for _ in range(2):  # cold, then from the caches
        got = _analysed(text, analysis.TEXT if stemming else analysis.NAMES, not unstemmed)
        if isinstance(got, str):
            got = list(zip(got.split(), range(10**6)))
        assert got == want


@pytest.mark.parametrize("kind", ENGINES)
def test_cli_damaged_index_is_one_clear_line_and_reindex_repairs(tmp_path, kind):
    from typer.testing import CliRunner

    from newsarchive.cli import app

    root = _collection(tmp_path, kind)
    meta = root / "index" / ("tantivy.json" if kind == "tantivy" else "index.json")
    meta.write_text("{garbage", "utf-8")
    runner = CliRunner()
    r = runner.invoke(app, ["--root", str(root), "search", "prices"])
    assert r.exit_code == 1
    assert "reindex" in r.output and "Traceback" not in r.output
    r = runner.invoke(app, ["--root", str(root), "reindex"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["--root", str(root), "search", "prices", "--format", "json"])
    assert r.exit_code == 0 and '"total": 2' in r.output


@pytest.mark.parametrize("kind", ENGINES)
def test_status_tells_a_damaged_index_from_an_outdated_one_on_both_engines(tmp_path, kind):
    """status asks the backend (it never reads an engine's files itself)."""
    from newsarchive import api

    root = _collection(tmp_path, kind)
    meta = root / "index" / ("tantivy.json" if kind == "tantivy" else "index.json")
    good = meta.read_text("utf-8")
    meta.write_text("{garbage", "utf-8")
    assert api.status(root).index_state == "damaged"
    data = json.loads(good)
    data["schema_version"] = -1
    meta.write_text(json.dumps(data), "utf-8")
    assert api.status(root).index_state == "outdated"
    meta.unlink()
    assert api.status(root).index_state == "missing"
