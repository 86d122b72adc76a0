"""BibTeX/BibLaTeX, CSL-JSON and RIS: export checked by real parsers (bibtexparser, pandoc),
import, and round trips (including property-based ones)."""

from __future__ import annotations

import json
import shutil
import subprocess
import unicodedata

import bibtexparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsarchive import cite
from newsarchive.formats import bibtex, csljson, ris
from newsarchive.errors import CitationError, ImportFormatError
from newsarchive.model import Author, Entry, PartialDate, Snapshot
from citefixtures import E

AP_URL = "https://apnews.com/article/serbia-russia-putin-vulin-sanctions-4b2f0c9e1a7d"
WAYBACK = "https://web.archive.org/web/20240905083000/" + AP_URL
AP_TITLE = ("US-sanctioned Serbia official meets Putin, says Belgrade is an ally "
            "and won't join Western penalties")
SPECIAL_TITLE = "AT&T's 50% stake in #1 firm_x costs $5{bn}"
SHA = "3f2a" + "0" * 58 + "9c"
SNAP = Snapshot("snapshots/2.html", "text/html", 1200, SHA, PartialDate.from_iso("2024-09-06T08:30:00+00:00"))
SNAP_OLD = Snapshot("snapshots/1.html", "text/html", 1000, "b" * 64, PartialDate(2024, 9, 4))




AP = E(id="ap01", citekey="ap2024serbia", title=AP_TITLE, authors=(Author(literal="Associated Press"),),
       kind="news agency", url=AP_URL, archived_url=WAYBACK, language="en", tags=("serbia", "russia"),
       snapshots=(SNAP_OLD, SNAP))
GEC = E(id="gec1", citekey="gec2024", authors=["Jovana Gec", "Dušan Stojanović", "Ursula von der Leyen"],
        title="Serbia's Vučić: sanctions?", outlet="The Washington Post", kind="newspaper",
        published="2024-09", pages="A1, A4", section="World", notes="Front page & inside.")
SPECIAL = E(id="spc1", citekey="special", title=SPECIAL_TITLE, authors=[Author(literal="Tom & Jerry Inc.")],
            outlet="Money_Daily #5", published="2024", url="https://example.org/a_b%20c?x=1&y=2#frag")
UNDATED = E(id="und1", citekey="undated", published=None, authors=[Author(family="King", given="Martin Luther, Jr")])
ALL = [AP, GEC, SPECIAL, UNDATED]


def _fields(text: str) -> dict[str, dict[str, str]]:
    lib = bibtexparser.parse_string(text)
    assert not lib.failed_blocks, [b.error for b in lib.failed_blocks]
    return {e.key: {f.key: f.value for f in e.fields} for e in lib.entries}


# --------------------------------------------------------------------------- BibTeX / BibLaTeX export

def test_biblatex_fields_seed_example():
    out = cite.format_entry(AP, "biblatex")
    f = _fields(out)["ap2024serbia"]
    assert out.startswith("@online{ap2024serbia,")
    assert f["author"] == "{Associated Press}"  # written {{Associated Press}}
    assert "{{Associated Press}}" in out
    assert f["title"] == ("{US-sanctioned} {Serbia} official meets {Putin}, says {Belgrade} is an ally "
                          "and won't join {Western} penalties")
    assert f["organization"] == "{AP News}"
    assert f["date"] == "2024-09-04"
    assert f["url"] == AP_URL
    assert f["urldate"] == "2024-09-06"  # the newest snapshot's capture date
    assert f["langid"] == "english"
    assert f["addendum"] == (r"Archived at \url{" + WAYBACK + "}; snapshot captured 2024-09-06, SHA-256 " + SHA)
    assert f["keywords"] == "serbia, russia"


def test_biblatex_newspaper_and_bibtex_month_macro():
    out = cite.format_entry(GEC, "biblatex")
    f = _fields(out)["gec2024"]
    assert out.startswith("@article{gec2024,")
    assert f["journaltitle"] == "The Washington Post" and f["entrysubtype"] == "newspaper"
    assert f["date"] == "2024-09" and f["pages"] == "A1, A4" and f["note"] == "Section: World"
    assert f["author"] == "Gec, Jovana and Stojanović, Dušan and von der Leyen, Ursula"
    assert f["annotation"] == r"Front page \& inside."
    bt = cite.format_entry(GEC, "bibtex")
    assert "  month = sep,\n" in bt and "  year = {2024},\n" in bt and "date =" not in bt
    f = _fields(bt)["gec2024"]
    assert f["journal"] == "The Washington Post" and f["month"] == "sep"


def test_special_characters_escaped_but_not_in_url():
    out = cite.format_entry(SPECIAL, "biblatex")
    f = _fields(out)["special"]
    assert f["title"] == r"{AT\&T's} 50\% stake in \#1 firm\_x costs \$5\{bn\}"
    lone = _fields(cite.format_entry(E(title="a } b {"), "biblatex"))["key2024"]["title"]
    assert lone == r"a \textbraceright{} b \textbraceleft{}"  # unbalanced: never a bare \{ or \}
    assert f["author"] == r"{Tom \& Jerry Inc.}"
    assert f["url"] == "https://example.org/a_b%20c?x=1&y=2#frag"
    assert f["howpublished" if "howpublished" in f else "organization"] == r"{Money\_Daily \#5}"


def test_bibtex_archive_note_and_no_day():
    f = _fields(cite.format_entry(AP, "bibtex"))["ap2024serbia"]
    assert f["journal"] == "AP News" and f["year"] == "2024" and f["month"] == "sep"
    assert f["note"].startswith(r"Archived at \url{https://web.archive.org/")
    assert f["note"].endswith("SHA-256 " + SHA)


def test_chosen_snapshot_version_in_bib_and_csl():
    f = _fields(cite.format_entry(AP, "biblatex", snapshot=SNAP_OLD))["ap2024serbia"]
    assert f["urldate"] == "2024-09-04" and f["addendum"].endswith("b" * 64)
    item = json.loads(cite.format_entry(AP, "csl-json", snapshot=SNAP_OLD))[0]
    assert item["accessed"] == {"date-parts": [[2024, 9, 4]]} and item["note"].endswith("b" * 64)


def test_ascii_bibtex():
    e = E(citekey="vucic", authors=["Aleksandar Vučić", "Dušan Stojanović", "Novak Đoković", "Gaël Müller-Łukasz"],
          title="Vučić meets Ångström in Zürich — “naïve” façade…")
    out = cite.format_entry(e, "bibtex", ascii=True)
    assert out.isascii()
    assert r"Vu{\v{c}}i{\'c}, Aleksandar" in out and r"Stojanovi{\'c}, Du{\v{s}}an" in out
    assert r"{\DJ}okovi{\'c}" in out
    f = _fields(out)["vucic"]
    rec = dict(bibtex.parse(out))["entry 'vucic' at line 1"]
    assert rec["title"] == e.title
    assert [a["family"] for a in rec["authors"]] == ["Vučić", "Stojanović", "Đoković", "Müller-Łukasz"]
    assert f["title"].startswith(r"Vu{\v{c}}i{\'c} meets {{\AA}ngstr{\"o}m} in {Z{\"u}rich} --- \textquotedblleft{}na")
    with pytest.raises(CitationError):
        cite.format_entry(E(title="Путин"), "bibtex", ascii=True)


def test_all_bib_outputs_parse_back_without_failed_blocks():
    for style in ("bibtex", "biblatex"):
        for ascii in (False, True):
            try:
                out = cite.format_entries(ALL, style, ascii=ascii)
            except CitationError:
                continue
            keys = _fields(out)
            assert set(keys) == {e.citekey for e in ALL}


def test_duplicate_citekeys_rejected():
    for style in ("bibtex", "biblatex", "csl-json", "ris"):
        with pytest.raises(CitationError):
            cite.format_entries([AP, AP], style)


# --------------------------------------------------------------------------- BibTeX import

BIB = r"""
@string{apn = "AP"}
@string{wp = "The Washington " # "Post"}

@article{gec2024,
  author = {Ge{\'c}, Jovana and Stojanovi{\'c}, Du{\v{s}}an and {Associated Press} and von der Leyen, Ursula
            and King, Jr., Martin Luther},
  title = {{Serbia}'s {V}u{\v{c}}i{\'c} says 50\% -- no},
  journal = wp,
  year = 2024,
  month = sep,
  pages = {A1--A4},
  keywords = {serbia; russia},
}

@online{ap,
  author = {{Associated Press}},
  title = {Short},
  organization = apn # { News},
  date = {2024-09-04/2024-09-05},
  urldate = {2024-09-06},
  url = {https://apnews.com/a\_b},
  langid = {serbian},
  addendum = {Archived at \url{https://web.archive.org/web/2024/https://apnews.com/a_b}},
}

@proceedings{parent, title = {Proceedings of News}, publisher = {ACM}, year = {2023}}
@inproceedings{child, author = {Doe, Jane}, title = {Child}, crossref = {parent}}

@article{broken, title = {unbalanced, journal = {X}

@misc{badmonth, title = {X}, year = {2024}, month = {Smarch}}
@misc{badmacro, title = undefinedmacro}
@misc{late, title = {Still read}, howpublished = {\url{https://example.org/x}}}
"""


def test_bibtex_import():
    results = list(bibtex.parse(BIB))
    by_where = {w: r for w, r in results}
    good = {r["citekey"]: r for w, r in results if isinstance(r, dict)}
    bad = {w: r for w, r in results if isinstance(r, Exception)}
    g = good["gec2024"]
    assert g["authors"] == [
        {"family": "Geć", "given": "Jovana"}, {"family": "Stojanović", "given": "Dušan"},
        {"literal": "Associated Press"}, {"family": "Leyen", "given": "Ursula", "non_dropping_particle": "von der"},
        {"family": "King", "given": "Martin Luther", "suffix": "Jr."},
    ]
    assert g["title"] == "Serbia's Vučić says 50% – no"
    assert g["outlet"] == "The Washington Post" and g["kind"] == "newspaper"
    assert g["published"] == "2024-09" and g["pages"] == "A1–A4" and g["tags"] == ["serbia", "russia"]
    a = good["ap"]
    assert a["authors"] == [{"literal": "Associated Press"}] and a["outlet"] == "AP News"
    assert a["published"] == "2024-09-04/2024-09-05" and a["accessed"] == "2024-09-06" and a["language"] == "sr"
    assert a["url"] == "https://apnews.com/a_b" and a["kind"] == "news website"
    assert a["archived_url"] == "https://web.archive.org/web/2024/https://apnews.com/a_b"
    c = good["child"]
    # a paper's proceedings are its container, not an outlet; the publisher is its own field
    assert c["container_title"] == "Proceedings of News" and c["published"] == "2023"
    assert c["outlet"] is None and c["publisher"] == "ACM" and c["kind"] == "conference paper"
    assert good["late"]["url"] == "https://example.org/x" and good["late"]["title"] == "Still read"
    assert any("line" in w for w in bad) and len(bad) == 3
    for where, err in bad.items():
        assert isinstance(err, ImportFormatError) and "line" in str(err)
    assert "Smarch" in str(next(e for w, e in bad.items() if "badmonth" in w))
    assert "undefinedmacro" in str(next(e for w, e in bad.items() if "badmacro" in w))
    assert by_where  # every item has a source reference


def test_bibtex_round_trip_samples():
    for style in ("bibtex", "biblatex"):
        out = cite.format_entries(ALL, style)
        recs = {r["citekey"]: r for _, r in bibtex.parse(out)}
        for e in ALL:
            r = recs[e.citekey]
            assert r["title"] == e.title
            assert [Author.from_json(a) for a in r["authors"]] == list(e.authors)
            assert r["outlet"] == e.outlet and r["url"] == e.url and r["pages"] == e.pages
            assert r["section"] == e.section and r["archived_url"] == e.archived_url
            assert r["notes"] == e.notes and r["tags"] == list(e.tags)
            if style == "biblatex":
                assert r["published"] == (e.published.iso() if e.published else None)


# --------------------------------------------------------------------------- property-based round trips

LATEX_SPECIALS = "&%$#_{}~^\\"
text_chars = st.characters(
    codec="utf-8",
    categories=("L", "M", "N", "P", "S", "Zs"),
    exclude_characters="\u00a0\u2028\u2029",
) | st.sampled_from(LATEX_SPECIALS + "\"'`-,.:;!?<>@|/ čćšžđČĆŠŽĐäöüßéèêçñøåłœÆ–—“”‘’…")


def _clean(s: str) -> str:
    return unicodedata.normalize("NFC", " ".join(s.split()))


titles = st.text(text_chars, min_size=1, max_size=40).map(_clean).filter(bool)
# no commas in person names: the model reserves "Given, Jr" for a suffix
name_word = (st.text(text_chars, min_size=1, max_size=12).map(lambda s: _clean(s.replace(",", " ")))
             .filter(lambda s: bool(s) and s[0].isalpha()))
persons = st.builds(lambda f, g: Author(family=f, given=g), name_word, name_word)
orgs = st.builds(lambda s: Author(literal=s), titles)
authors = st.lists(persons | orgs, min_size=0, max_size=4).map(tuple)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=titles, authors=authors, outlet=titles)
def test_property_biblatex_round_trip(title, authors, outlet):
    e = E(title=title, authors=authors, outlet=outlet)
    out = cite.format_entry(e, "biblatex")
    lib = bibtexparser.parse_string(out)
    assert not lib.failed_blocks
    (where, rec), = list(bibtex.parse(out))
    assert isinstance(rec, dict), rec
    assert rec["title"] == title
    assert rec["outlet"] == outlet
    assert [Author.from_json(a) for a in rec["authors"]] == list(authors)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=titles, authors=st.lists(persons, min_size=1, max_size=3).map(tuple))
def test_property_ascii_bibtex_round_trip(title, authors):
    e = E(title=title, authors=authors)
    try:
        out = cite.format_entry(e, "bibtex", ascii=True)
    except CitationError:
        return  # a character with no LaTeX command (e.g. CJK): refused, never written wrong
    assert out.isascii()
    (where, rec), = list(bibtex.parse(out))
    assert rec["title"] == title
    assert [Author.from_json(a) for a in rec["authors"]] == list(authors)


@settings(max_examples=80, deadline=None)
@given(title=titles, authors=authors, outlet=titles, tags=st.lists(st.from_regex(r"[a-z][a-z0-9 ]{0,10}", fullmatch=True).map(_clean).filter(bool), max_size=3))
def test_property_csljson_round_trip(title, authors, outlet, tags):
    e = E(title=title, authors=authors, outlet=outlet, tags=tuple(dict.fromkeys(tags)))
    for ascii in (False, True):
        out = cite.format_entry(e, "csl-json", ascii=ascii)
        (where, rec), = list(csljson.parse(out))
        assert isinstance(rec, dict), rec
        assert rec["title"] == title and rec["outlet"] == outlet
        assert [Author.from_json(a) for a in rec["authors"]] == list(authors)
        assert rec["tags"] == list(e.tags)


# --------------------------------------------------------------------------- pandoc reads our BibLaTeX

def _pandoc_name(a: dict) -> dict:
    """Particles must come back as the same kind (with useprefix=true the von part is a
    non-dropping particle); pandoc reads the suffix as written."""
    return dict(a)


@pytest.mark.skipif(shutil.which("pandoc") is None, reason="pandoc is not installed (needed to check BibLaTeX output)")
def test_pandoc_reads_biblatex(tmp_path):
    entries = [AP, GEC, SPECIAL, UNDATED]
    bib = tmp_path / "refs.bib"
    bib.write_text(cite.format_entries(entries, "biblatex"), encoding="utf-8")
    res = subprocess.run(["pandoc", str(bib), "-f", "biblatex", "-t", "csljson"], capture_output=True,
                         text=True, check=True, timeout=60)
    items = {i["id"]: i for i in json.loads(res.stdout)}
    ours = {i["id"]: i for i in json.loads(cite.format_entries(entries, "csl-json"))}
    norm = lambda s: s.replace("’", "'").replace("‘", "'")  # noqa: E731  pandoc makes quotes smart
    for e in entries:
        p, o = items[e.citekey], ours[e.citekey]
        assert norm(p["title"]) == e.title, (p["title"], e.title)
        assert [_pandoc_name(a) for a in p.get("author", [])] == o.get("author", [])
        assert p.get("issued") == o.get("issued")
        # pandoc reads @online organization as publisher, journaltitle as container-title
        assert (p.get("container-title") or p.get("publisher")) == e.outlet
        assert p.get("URL") == e.url
    assert items["gec2024"]["type"] == "article-newspaper"


@pytest.mark.skipif(shutil.which("pandoc") is None, reason="pandoc is not installed (needed to check CSL-JSON output)")
def test_pandoc_citeproc_reads_csljson(tmp_path):
    refs = tmp_path / "refs.json"
    refs.write_text(cite.format_entries([AP, GEC], "csl-json"), encoding="utf-8")
    doc = tmp_path / "doc.md"
    doc.write_text("See [@ap2024serbia] and [@gec2024].\n", encoding="utf-8")
    res = subprocess.run(["pandoc", str(doc), "--citeproc", "--bibliography", str(refs), "-t", "plain"],
                         capture_output=True, text=True, check=True, timeout=60)
    text = " ".join(res.stdout.split())
    assert "Associated Press" in text and "Stojanović" in text and "AP News" in text


# --------------------------------------------------------------------------- CSL-JSON

def test_csljson_schema_shape():
    items = json.loads(cite.format_entries([AP, GEC, UNDATED], "csl-json"))
    ap, gec, und = items
    assert ap["id"] == "ap2024serbia" and ap["type"] == "webpage"
    assert ap["issued"] == {"date-parts": [[2024, 9, 4]]} and ap["accessed"] == {"date-parts": [[2024, 9, 6]]}
    assert ap["author"] == [{"literal": "Associated Press"}] and ap["container-title"] == "AP News"
    assert ap["URL"] == AP_URL and ap["language"] == "en" and ap["keyword"] == "serbia, russia"
    # the archived copy is in the note: CSL styles garble archive/archive_location
    assert "archive" not in ap and "archive_location" not in ap and f"Archived at {WAYBACK}" in ap["note"]
    assert SHA in ap["note"]
    assert gec["type"] == "article-newspaper" and gec["issued"] == {"date-parts": [[2024, 9]]}
    assert gec["page"] == "A1, A4" and gec["section"] == "World"
    assert gec["author"][0] == {"family": "Gec", "given": "Jovana"}
    assert und["author"] == [{"family": "King", "given": "Martin Luther", "suffix": "Jr"}] and "issued" not in und
    allowed = {"id", "type", "title", "author", "container-title", "issued", "accessed", "URL", "page", "section",
               "language", "keyword", "note", "annote", "genre", "custom"}
    for item in items:
        assert set(item) <= allowed


def test_csljson_round_trip_and_import_errors():
    out = cite.format_entries([AP, GEC, UNDATED], "csl-json")
    recs = [r for _, r in csljson.parse(out)]
    ap, gec, und = recs
    assert ap["citekey"] == "ap2024serbia" and ap["kind"] == "news agency" and ap["archived_url"] == WAYBACK
    assert ap["notes"] is None and ap["accessed"] == "2024-09-06"
    assert gec["notes"] == "Front page & inside." and gec["section"] == "World" and gec["published"] == "2024-09"
    assert und["authors"] == [{"family": "King", "given": "Martin Luther", "suffix": "Jr"}]
    Entry.from_json({"id": "abcd", **ap})  # a record is the public JSON without id
    bad = json.dumps([{"id": "a", "title": "ok", "type": "article-newspaper"},
                      {"id": "b", "issued": {"date-parts": [[2024, 13]]}},
                      "not an object",
                      {"id": "d", "author": [{"family": "Doe", "non-dropping-particle": "de"}], "title": "T",
                       "issued": {"raw": "2021-03-04"}}])
    res = list(csljson.parse(bad))
    assert [w for w, _ in res] == ["item 1 (a)", "item 2 (b)", "item 3", "item 4 (d)"]
    assert isinstance(res[0][1], dict) and res[0][1]["kind"] == "newspaper"
    assert isinstance(res[1][1], ImportFormatError) and "item 2" in str(res[1][1])
    assert isinstance(res[2][1], ImportFormatError)
    assert res[3][1]["authors"] == [{"family": "Doe", "non_dropping_particle": "de"}] and res[3][1]["published"] == "2021-03-04"
    (w, err), = list(csljson.parse("[{"))
    assert isinstance(err, ImportFormatError) and "line 1" in str(err)


# --------------------------------------------------------------------------- RIS

def test_ris_export():
    out = cite.format_entry(AP, "ris")
    lines = out.splitlines()
    assert lines[0] == "TY  - NEWS" and lines[-1] == "ER  - "
    for expected in ("ID  - ap2024serbia", "AU  - Associated Press", f"TI  - {AP_TITLE}", "T2  - AP News",
                     "PY  - 2024", "DA  - 2024/09/04/", f"UR  - {AP_URL}", "Y2  - 2024/09/06", "LA  - en",
                     "KW  - serbia", "KW  - russia", "M3  - news agency"):
        assert expected in lines
    assert any(line.startswith("N1  - Archived at " + WAYBACK) for line in lines)
    g = cite.format_entry(GEC, "ris").splitlines()
    assert "AU  - Gec, Jovana" in g and "DA  - 2024/09//" in g and "SP  - A1, A4" in g and "SE  - World" in g
    assert "AU  - King, Martin Luther, Jr" in cite.format_entry(UNDATED, "ris")
    assert cite.format_entry(E(kind="news website"), "ris").startswith("TY  - ELEC")


def test_ris_round_trip_and_errors():
    out = cite.format_entries(ALL, "ris")
    recs = {r["citekey"]: r for _, r in ris.parse(out)}
    for e in ALL:
        r = recs[e.citekey]
        assert r["title"] == e.title and r["outlet"] == e.outlet and r["url"] == e.url
        assert [Author.from_json(a) for a in r["authors"]] == list(e.authors)
        assert r["published"] == (e.published.iso() if e.published else None)
        assert r["kind"] == e.kind and r["archived_url"] == e.archived_url and r["notes"] == e.notes
        assert r["tags"] == list(e.tags) and r["pages"] == e.pages and r["section"] == e.section
    text = ("TY  - NEWS\nAU  - Doe, Jane\nTI  - First\nPY  - 2024\nER  - \n\n"
            "TY  - ELEC\nTI  - Bad date\nDA  - 2024/13/01/\nER  - \n"
            "stray text\n"
            "TY  - JOUR\nTI  - A long\n  continued title\nSP  - 5\nEP  - 9\nKW  - a;b\nER  - \n"
            "TY  - NEWS\nTI  - never ended\n")
    res = list(ris.parse(text))
    assert [w for w, _ in res] == ["record at line 1", "record at line 7", "line 11", "record at line 12",
                                   "record at line 19"]
    assert res[0][1]["authors"] == [{"family": "Doe", "given": "Jane"}] and res[0][1]["kind"] == "newspaper"
    assert isinstance(res[1][1], ImportFormatError) and "line 7" in str(res[1][1])
    assert isinstance(res[2][1], ImportFormatError)
    assert res[3][1]["title"] == "A long continued title" and res[3][1]["pages"] == "5–9"
    assert res[3][1]["tags"] == ["a", "b"] and res[3][1]["kind"] == "journal article"
    assert isinstance(res[4][1], ImportFormatError) and "no ER" in str(res[4][1])


def test_spanish_ligatures_survive_an_ascii_bibtex_round_trip():
    # found by the property test above: ASCII output types ¡ and ¿ as TeX's ligatures !` and ?`
    from newsarchive.formats import latex

    for title in ("¡Basta!", "¿Qué pasó?", "¡¿Cómo?!"):
        written = latex.escape(title, ascii=True)
        assert written.isascii(), written
        assert latex.decode(written) == title, (title, written)
