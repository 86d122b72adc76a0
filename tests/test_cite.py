"""Prose citation styles (APA 7, MLA 9, Chicago 17): table-driven hard cases."""

from __future__ import annotations

import pytest

from newsarchive import cite
from newsarchive.errors import CitationError
from newsarchive.model import Author, PartialDate, Snapshot
from citefixtures import E

AP_URL = "https://apnews.com/article/serbia-russia-putin-vulin-sanctions-4b2f0c9e1a7d"
WAYBACK = "https://web.archive.org/web/20240905083000/" + AP_URL
AP_TITLE = ("US-sanctioned Serbia official meets Putin, says Belgrade is an ally "
            "and won't join Western penalties")
SHA_OLD = "a" * 64
SHA_NEW = "3f2a" + "0" * 58 + "9c"
SNAP_OLD = Snapshot("snapshots/1.html", "text/html", 1000, SHA_OLD, PartialDate.from_iso("2024-09-04T18:00:00+00:00"))
SNAP_NEW = Snapshot("snapshots/2.html", "text/html", 1200, SHA_NEW, PartialDate.from_iso("2024-09-06T08:30:00+00:00"))
SPECIAL_TITLE = "AT&T's 50% stake in #1 firm_x costs $5{bn}"




AP = E(title=AP_TITLE, authors=(Author(literal="Associated Press"),), kind="news agency", url=AP_URL)
GEC = E(authors=["Jovana Gec", "Dušan Stojanović"], title="Serbia's Vučić says he won't impose sanctions on Russia",
        outlet="The Washington Post", kind="newspaper", url="https://www.washingtonpost.com/world/x")
MANY = [f"Given{i} Family{i}" for i in range(1, 23)]  # 22 authors

CASES = [
    # (id, entry, style, expected)
    ("apa group web", AP, "apa",
     f"Associated Press. (2024, September 4). {AP_TITLE}. AP News. {AP_URL}"),
    ("apa two newspaper", GEC, "apa",
     "Gec, J., & Stojanović, D. (2024, September 4). Serbia's Vučić says he won't impose sanctions on Russia. "
     "The Washington Post. https://www.washingtonpost.com/world/x"),
    ("apa one author", E(authors=["Jovana Gec"]), "apa",
     "Gec, J. (2024, September 4). Serbia will not join sanctions. AP News. https://apnews.com/article/x"),
    ("apa three authors", E(authors=["Jovana Gec", "Dušan Stojanović", "Llazar Semini"]), "apa",
     "Gec, J., Stojanović, D., & Semini, L. (2024, September 4). Serbia will not join sanctions. AP News. "
     "https://apnews.com/article/x"),
    ("apa no author web", E(), "apa",
     "Serbia will not join sanctions. (2024, September 4). AP News. https://apnews.com/article/x"),
    ("apa no author newspaper", E(kind="newspaper", outlet="The Guardian"), "apa",
     "Serbia will not join sanctions. (2024, September 4). The Guardian. https://apnews.com/article/x"),
    ("apa particle hyphen", E(authors=["Ursula von der Leyen", "Jean-Paul Sartre", "Mary Ann Evans"]), "apa",
     "von der Leyen, U., Sartre, J.-P., & Evans, M. A. (2024, September 4). Serbia will not join sanctions. "
     "AP News. https://apnews.com/article/x"),
    ("apa suffix", E(authors=[Author(family="King", given="Martin Luther, Jr")]), "apa",
     "King, M. L., Jr. (2024, September 4). Serbia will not join sanctions. AP News. https://apnews.com/article/x"),
    ("apa question title", E(authors=["Jovana Gec"], title="Will Serbia join sanctions?"), "apa",
     "Gec, J. (2024, September 4). Will Serbia join sanctions? AP News. https://apnews.com/article/x"),
    ("apa question title periodical", E(authors=["Jovana Gec"], title="Will Serbia join sanctions?", kind="newspaper"), "apa",
     "Gec, J. (2024, September 4). Will Serbia join sanctions? AP News. https://apnews.com/article/x"),
    ("apa year-month", E(published="2024-09"), "apa",
     "Serbia will not join sanctions. (2024, September). AP News. https://apnews.com/article/x"),
    ("apa year", E(published="2024", authors=["Jovana Gec"]), "apa",
     "Gec, J. (2024). Serbia will not join sanctions. AP News. https://apnews.com/article/x"),
    ("apa undated", E(published=None, authors=["Jovana Gec"]), "apa",
     "Gec, J. (n.d.). Serbia will not join sanctions. AP News. https://apnews.com/article/x"),
    ("apa print pages", E(authors=["Jovana Gec"], kind="newspaper", outlet="The New York Times", pages="A1, A4", url=None), "apa",
     "Gec, J. (2024, September 4). Serbia will not join sanctions. The New York Times, A1, A4."),
    ("apa group same as site", E(authors=[Author(literal="AP News")]), "apa",
     "AP News. (2024, September 4). Serbia will not join sanctions. https://apnews.com/article/x"),
    ("apa retrieved", E(authors=["Jovana Gec"], designed_to_change=True, snapshots=(SNAP_OLD, SNAP_NEW)), "apa",
     "Gec, J. (2024, September 4). Serbia will not join sanctions. AP News. "
     "Retrieved September 6, 2024, from https://apnews.com/article/x"),
    ("apa retrieved chosen snapshot", E(authors=["Jovana Gec"], designed_to_change=True, snapshots=(SNAP_OLD, SNAP_NEW)),
     ("apa", SNAP_OLD),
     "Gec, J. (2024, September 4). Serbia will not join sanctions. AP News. "
     "Retrieved September 4, 2024, from https://apnews.com/article/x"),
    ("apa no retrieved unless designed to change", E(authors=["Jovana Gec"], snapshots=(SNAP_NEW,)), "apa",
     "Gec, J. (2024, September 4). Serbia will not join sanctions. AP News. https://apnews.com/article/x"),
    ("apa archived", E(authors=["Jovana Gec"], archived_url=WAYBACK), "apa",
     "Gec, J. (2024, September 4). Serbia will not join sanctions. AP News. https://apnews.com/article/x "
     f"Archived September 5, 2024, at {WAYBACK}"),
    ("apa special title", E(title=SPECIAL_TITLE, authors=["Jovana Gec"]), "apa",
     "Gec, J. (2024, September 4). AT&T's 50% stake in #1 firm_x costs $5{bn}. AP News. https://apnews.com/article/x"),
    ("apa press release", E(title="Statement on Serbia", authors=[Author(literal="European Commission")],
                            outlet="European Commission", kind="press release"), "apa",
     "European Commission. (2024, September 4). Statement on Serbia [Press release]. https://apnews.com/article/x"),
    # --- MLA 9
    ("mla group web", AP, "mla",
     "Associated Press. “US-Sanctioned Serbia Official Meets Putin, Says Belgrade Is an Ally and Won't Join "
     f"Western Penalties.” AP News, 4 Sept. 2024, {AP_URL[8:]}."),
    ("mla two", GEC, "mla",
     "Gec, Jovana, and Dušan Stojanović. “Serbia's Vučić Says He Won't Impose Sanctions on Russia.” "
     "The Washington Post, 4 Sept. 2024, www.washingtonpost.com/world/x."),
    ("mla three", E(authors=["Jovana Gec", "Dušan Stojanović", "Llazar Semini"]), "mla",
     "Gec, Jovana, et al. “Serbia Will Not Join Sanctions.” AP News, 4 Sept. 2024, apnews.com/article/x."),
    ("mla no author", E(), "mla",
     "“Serbia Will Not Join Sanctions.” AP News, 4 Sept. 2024, apnews.com/article/x."),
    ("mla question", E(authors=["Jovana Gec"], title="Will Serbia join sanctions?"), "mla",
     "Gec, Jovana. “Will Serbia Join Sanctions?” AP News, 4 Sept. 2024, apnews.com/article/x."),
    ("mla undated accessed", E(published=None, authors=["Jovana Gec"], snapshots=(SNAP_NEW,)), "mla",
     "Gec, Jovana. “Serbia Will Not Join Sanctions.” AP News, apnews.com/article/x. Accessed 6 Sept. 2024."),
    ("mla year-month", E(published="2024-06", authors=["Jovana Gec"]), "mla",
     "Gec, Jovana. “Serbia Will Not Join Sanctions.” AP News, June 2024, apnews.com/article/x."),
    ("mla print pages", E(authors=["Jovana Gec"], kind="newspaper", outlet="The New York Times", pages="A1, A4", url=None), "mla",
     "Gec, Jovana. “Serbia Will Not Join Sanctions.” The New York Times, 4 Sept. 2024, pp. A1+."),
    ("mla archived", E(authors=["Jovana Gec"], archived_url=WAYBACK), "mla",
     "Gec, Jovana. “Serbia Will Not Join Sanctions.” AP News, 4 Sept. 2024, apnews.com/article/x. "
     f"Wayback Machine, 5 Sept. 2024, {WAYBACK[8:]}."),
    ("mla non-English title kept", E(authors=["Jovana Gec"], title="Srbija neće uvesti sankcije", language="sr"), "mla",
     "Gec, Jovana. “Srbija neće uvesti sankcije.” AP News, 4 Sept. 2024, apnews.com/article/x."),
    ("mla particle", E(authors=["Ursula von der Leyen"]), "mla",
     "von der Leyen, Ursula. “Serbia Will Not Join Sanctions.” AP News, 4 Sept. 2024, apnews.com/article/x."),
    # --- Chicago 17
    ("chicago group web", AP, "chicago",
     "Associated Press. “US-Sanctioned Serbia Official Meets Putin, Says Belgrade Is an Ally and Won't Join "
     f"Western Penalties.” AP News, September 4, 2024. {AP_URL}."),
    ("chicago two", GEC, "chicago",
     "Gec, Jovana, and Dušan Stojanović. “Serbia's Vučić Says He Won't Impose Sanctions on Russia.” "
     "The Washington Post, September 4, 2024. https://www.washingtonpost.com/world/x."),
    ("chicago three", E(authors=["Jovana Gec", "Dušan Stojanović", "Llazar Semini"]), "chicago",
     "Gec, Jovana, Dušan Stojanović, and Llazar Semini. “Serbia Will Not Join Sanctions.” AP News, "
     "September 4, 2024. https://apnews.com/article/x."),
    ("chicago no author", E(kind="newspaper", outlet="The Guardian"), "chicago",
     "The Guardian. “Serbia Will Not Join Sanctions.” September 4, 2024. https://apnews.com/article/x."),
    ("chicago undated accessed", E(published=None, authors=["Jovana Gec"], snapshots=(SNAP_NEW,)), "chicago",
     "Gec, Jovana. “Serbia Will Not Join Sanctions.” AP News. Accessed September 6, 2024. https://apnews.com/article/x."),
    ("chicago undated modified", E(published=None, modified=PartialDate(2024, 9, 7), authors=["Jovana Gec"],
                                   snapshots=(SNAP_NEW,)), "chicago",
     "Gec, Jovana. “Serbia Will Not Join Sanctions.” AP News. Last modified September 7, 2024. https://apnews.com/article/x."),
    ("chicago question", E(authors=["Jovana Gec"], title="Will Serbia join sanctions?"), "chicago",
     "Gec, Jovana. “Will Serbia Join Sanctions?” AP News, September 4, 2024. https://apnews.com/article/x."),
    ("chicago year-month", E(published="2024-09", authors=["Jovana Gec"]), "chicago",
     "Gec, Jovana. “Serbia Will Not Join Sanctions.” AP News, September 2024. https://apnews.com/article/x."),
    ("chicago archived", E(authors=["Jovana Gec"], archived_url=WAYBACK), "chicago",
     "Gec, Jovana. “Serbia Will Not Join Sanctions.” AP News, September 4, 2024. https://apnews.com/article/x. "
     f"Archived September 5, 2024, at {WAYBACK}."),
    ("chicago print pages omitted", E(authors=["Jovana Gec"], kind="newspaper", outlet="The New York Times",
                                      pages="A1, A4", url=None), "chicago",
     "Gec, Jovana. “Serbia Will Not Join Sanctions.” The New York Times, September 4, 2024."),
]


@pytest.mark.parametrize("name,entry,style,expected", CASES, ids=[c[0] for c in CASES])
def test_reference(name, entry, style, expected):
    snapshot = None
    if isinstance(style, tuple):
        style, snapshot = style
    assert cite.format_entry(entry, style, snapshot=snapshot) == expected


def test_apa_21_or_more_authors():
    out = cite.format_entry(E(authors=MANY), "apa")
    names = ", ".join(f"Family{i}, G." for i in range(1, 20))
    assert out.startswith(names + ", . . . Family22, G. (2024, September 4).")
    assert "&" not in out and "Family20" not in out and "Family21" not in out


def test_apa_20_authors_all_listed():
    out = cite.format_entry(E(authors=MANY[:20]), "apa")
    assert "Family19, G., & Family20, G. (2024" in out


def test_chicago_more_than_ten_authors():
    out = cite.format_entry(E(authors=MANY[:11]), "chicago")
    assert out.startswith("Family1, Given1, Given2 Family2, Given3 Family3, Given4 Family4, Given5 Family5, "
                          "Given6 Family6, Given7 Family7, et al. “Serbia")
    ten = cite.format_entry(E(authors=MANY[:10]), "chicago")
    assert "and Given10 Family10. “" in ten


INTEXT = [
    ("apa two", GEC, "apa", "(Gec & Stojanović, 2024)"),
    ("apa group", AP, "apa", "(Associated Press, 2024)"),
    ("apa one", E(authors=["Jovana Gec"]), "apa", "(Gec, 2024)"),
    ("apa three", E(authors=["Jovana Gec", "Dušan Stojanović", "Llazar Semini"]), "apa", "(Gec et al., 2024)"),
    ("apa undated", E(authors=["Jovana Gec"], published=None), "apa", "(Gec, n.d.)"),
    ("apa no author periodical", E(kind="newspaper", title="Serbia will not join the sanctions against Russia"),
     "apa", "(“Serbia Will Not Join,” 2024)"),
    ("apa no author web", E(title="Serbia will not join the sanctions"), "apa", "(Serbia Will Not Join, 2024)"),
    ("mla two", GEC, "mla", "(Gec and Stojanović)"),
    ("mla group", AP, "mla", "(Associated Press)"),
    ("mla three", E(authors=["Jovana Gec", "Dušan Stojanović", "Llazar Semini"]), "mla", "(Gec et al.)"),
    ("mla no author", E(title="Serbia will not join sanctions: a report"), "mla", "(“Serbia Will Not Join”)"),
    ("chicago two", GEC, "chicago", "Gec and Stojanović, “Serbia's Vučić.”"),
    ("chicago group", E(authors=[Author(literal="Associated Press")]), "chicago", "Associated Press, “Serbia Will Not Join.”"),
    ("chicago three", E(authors=["Jovana Gec", "Dušan Stojanović", "Llazar Semini"]), "chicago",
     "Gec, Stojanović, and Semini, “Serbia Will Not Join.”"),
    ("chicago four", E(authors=["A B", "C D", "E F", "G H"]), "chicago", "B et al., “Serbia Will Not Join.”"),
    ("chicago question", E(authors=["Jovana Gec"], title="Sanctions?"), "chicago", "Gec, “Sanctions?”"),
]


@pytest.mark.parametrize("name,entry,style,expected", INTEXT, ids=[c[0] for c in INTEXT])
def test_intext(name, entry, style, expected):
    assert cite.format_entry(entry, style, intext=True) == expected


def test_markup_html_and_markdown():
    e = E(authors=["Jovana Gec"], title=SPECIAL_TITLE, kind="newspaper", outlet="Tom & Jerry *Daily*")
    html = cite.format_entry(e, "apa", markup="html")
    assert html == ("Gec, J. (2024, September 4). AT&amp;T's 50% stake in #1 firm_x costs $5{bn}. "
                    "<i>Tom &amp; Jerry *Daily*</i>. https://apnews.com/article/x")
    md = cite.format_entry(e, "apa", markup="markdown")
    assert md == ("Gec, J. (2024, September 4). AT&T's 50% stake in #1 firm\\_x costs $5{bn}. "
                  "*Tom & Jerry \\*Daily\\**. https://apnews.com/article/x")
    web = cite.format_entry(E(authors=["Jovana Gec"]), "apa", markup="html")
    assert "<i>Serbia will not join sanctions</i>. AP News." in web
    q = cite.format_entry(E(authors=["Jovana Gec"], title="Will Serbia join?"), "apa", markup="markdown")
    assert "*Will Serbia join?* AP News." in q
    assert cite.format_entry(GEC, "mla", markup="html").count("<i>The Washington Post</i>") == 1
    assert "<i>AP News</i>, September 4, 2024." in cite.format_entry(AP, "chicago", markup="html")


def test_ascii_html_uses_character_references():
    out = cite.format_entry(GEC, "apa", markup="html", ascii=True)
    assert out.isascii() and "Stojanovi&#263;" in out


def test_ascii_rejected_for_plain_text():
    with pytest.raises(CitationError):
        cite.format_entry(GEC, "apa", ascii=True)


def test_snapshot_by_sha_prefix_and_errors():
    e = E(authors=["Jovana Gec"], published=None, snapshots=(SNAP_OLD, SNAP_NEW))
    assert "Accessed 4 Sept. 2024." in cite.format_entry(e, "mla", snapshot="aaaaaa")
    assert "Accessed 6 Sept. 2024." in cite.format_entry(e, "mla")
    with pytest.raises(CitationError):
        cite.format_entry(e, "mla", snapshot="bbbbbb")


def test_untitled_is_cited_with_what_exists_and_named_incomplete():
    from newsarchive.cite._common import missing

    untitled = E(title=None)
    for style in ("apa", "mla", "chicago"):
        assert "[Untitled]" in cite.format_entry(untitled, style)
    bib = cite.format_entry(untitled, "biblatex")
    assert "title" not in bib.replace("journaltitle", "") and untitled.citekey in bib
    assert missing(untitled) == ["no title"] and missing(E()) == []


def test_errors():
    with pytest.raises(CitationError):
        cite.format_entry(E(), "harvard")
    with pytest.raises(CitationError):
        cite.format_entry(E(), "apa", markup="rtf")
    with pytest.raises(CitationError):
        cite.format_entry(E(), "bibtex", intext=True)


def test_reference_list_sorted():
    out = cite.format_entries([GEC, AP, E(authors=["Zed Adams"])], "apa")
    lines = out.splitlines()
    assert [line.split(".")[0] for line in lines] == ["Adams, Z", "Associated Press", "Gec, J"]


def test_registry_and_cheap_import():
    import subprocess
    import sys

    assert {"apa", "mla", "chicago", "bibtex", "biblatex", "csl-json", "ris"} <= set(cite.STYLES)
    code = ("import sys, newsarchive.cite; "
            "print(any(m.startswith(('bibtexparser', 'citeproc', 'pylatexenc')) for m in sys.modules))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == "False"
