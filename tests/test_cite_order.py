"""Reference lists sorted as each style prescribes (cite/order.py), and `cite --order`."""

import json

import pytest

from newsarchive.cite.order import filing_title, sort_references
from newsarchive.model import Entry

_n = 0


def entry(title, *authors, published=None, language=None):
    global _n
    _n += 1
    data = {"id": f"sample{_n:03d}", "citekey": f"k{_n:03d}", "title": title, "authors": list(authors)}
    if published:
        data["published"] = published
    if language:
        data["language"] = language
    return Entry.from_json(data)


def person(family, given=""):
    return {"family": family, "given": given}


def titles(entries):
    return [e.title for e in entries]


# SAMPLE entries (made up for these tests)
BROWN_2020 = entry("Zebra crossings", person("Brown", "J."), published="2020")
BROWN_2018 = entry("Yellow lines", person("Brown", "J."), published="2018")
BROWN_ND = entry("Kerbs", person("Brown", "J."))
BROWN_WITH = entry("Arrows", person("Brown", "J."), person("Adams", "K."), published="2010")
BROWNING = entry("Bridges", person("Browning", "A."), published="2001")
NO_AUTHOR = entry("The Big Report", published="2015")
ORG = entry("Annual figures", {"literal": "The Associated Press"}, published="2019")
ACCENT = entry("Roads", person("Ávila", "M."), published="2012")


def test_apa_author_then_year_undated_first_single_before_coauthored():
    got = sort_references([BROWN_2020, BROWNING, NO_AUTHOR, BROWN_WITH, ORG, BROWN_ND, BROWN_2018, ACCENT], "apa")
    assert titles(got) == ["Annual figures",  # Associated Press (The ignored)
                           "Roads",  # Ávila: accents do not move a name
                           "The Big Report",  # no author: by title, The ignored
                           "Kerbs", "Yellow lines", "Zebra crossings",  # Brown alone: n.d., 2018, 2020
                           "Arrows",  # Brown & Adams after Brown alone
                           "Bridges"]  # Browning: nothing precedes something


@pytest.mark.parametrize("style", ["mla", "chicago"])
def test_mla_and_chicago_author_then_title(style):
    got = sort_references([BROWN_2020, BROWNING, NO_AUTHOR, BROWN_WITH, ORG, BROWN_ND, BROWN_2018, ACCENT], style)
    assert titles(got) == ["Annual figures", "Roads", "The Big Report",
                           "Kerbs", "Yellow lines", "Zebra crossings",  # Brown alone: by title
                           "Arrows", "Bridges"]


def test_same_author_same_year_by_title_in_apa():
    a = entry("The second story", person("Gec", "J."), published="2024")
    b = entry("A first story", person("Gec", "J."), published="2024")
    assert titles(sort_references([a, b], "apa")) == ["A first story", "The second story"]


def test_filing_titles_drop_leading_articles_by_language():
    assert filing_title("The Guardian") == "guardian"
    assert filing_title("A") == "a"  # a one-word title is its own filing word
    assert filing_title("Die Zeit", "de") == "zeit"
    assert filing_title("Die Hard") == "diehard"  # English: "die" is not an article
    assert filing_title("L'Express", "fr") == "express"
    assert filing_title("El País", "es") == "pais"


def test_cite_sorts_and_order_given_keeps_the_input(cli):
    keys = []
    for title, author, year in (("SAMPLE Zinc", "Young, Ann", "2020"), ("SAMPLE Alloys", "Baker, Bo", "2021"),
                                ("The SAMPLE Copper", None, "2019")):
        args = ["add", "--title", title, "--published", year, "--outlet", "Sample Wire", "--url",
                f"https://example.org/{year}", "--format", "json"]
        if author:
            args += ["--author", author]
        keys.append(json.loads(cli(*args).stdout)["entry"]["citekey"])
    r = cli("cite", *keys, "--style", "apa")
    lines = r.stdout.splitlines()
    assert [line.split(".")[0] for line in lines] == ["Baker, B", "The SAMPLE Copper", "Young, A"]
    r = cli("cite", *keys, "--style", "apa", "--order", "given")
    assert [line.split(".")[0] for line in r.stdout.splitlines()] == ["Young, A", "Baker, B", "The SAMPLE Copper"]
    r = cli("cite", *keys, "--style", "bibtex")  # a file keeps the order given
    assert [r.stdout.index(k) for k in keys] == sorted(r.stdout.index(k) for k in keys)
    r = cli("cite", *keys, "--order", "random")
    assert r.exit_code == 2 and "order" in r.stderr
