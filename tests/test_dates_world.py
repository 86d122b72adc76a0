"""Dates as the world writes them: zone abbreviations anywhere, dotted day-first dates, and
EDTF / BibLaTeX forms kept as written (table-driven). All values are samples written here."""

import json

import pytest

from newsarchive import cite
from newsarchive.formats import bibtex, csljson, ris
from newsarchive.dates import TZ_ABBREVIATIONS, parse_date
from newsarchive.errors import DateError
from newsarchive.model import Entry, PartialDate

# (text, dayfirst option, stored form, nearest calendar date)
CASES = [
    # zone abbreviations after an ISO date and time
    ("2024-09-04 10:32 CEST", False, "2024-09-04T10:32:00+02:00", None),
    ("2024-09-04 10:32 CET", False, "2024-09-04T10:32:00+01:00", None),
    ("2024-09-04 10:32 BST", False, "2024-09-04T10:32:00+01:00", None),
    ("2024-09-04 10:32 EDT", False, "2024-09-04T10:32:00-04:00", None),
    ("2024-09-04 10:32 EST", False, "2024-09-04T10:32:00-05:00", None),
    ("2024-09-04 10:32 GMT", False, "2024-09-04T10:32:00+00:00", None),
    ("2024-09-04 10:32 UTC", False, "2024-09-04T10:32:00+00:00", None),
    ("2024-09-04T10:32 CDT", False, "2024-09-04T10:32:00-05:00", None),
    ("2024-09-04 10:32 CST", False, "2024-09-04T10:32:00-06:00", None),
    ("2024-09-04 10:32 MST", False, "2024-09-04T10:32:00-07:00", None),
    ("2024-09-04 10:32 MDT", False, "2024-09-04T10:32:00-06:00", None),
    ("2024-09-04 10:32 PST", False, "2024-09-04T10:32:00-08:00", None),
    ("2024-09-04 10:32 PDT", False, "2024-09-04T10:32:00-07:00", None),
    ("2024-09-04 10:32 IST", False, "2024-09-04T10:32:00+05:30", None),  # India
    ("2024-09-04 10:32 JST", False, "2024-09-04T10:32:00+09:00", None),
    ("2024-09-04 10:32 AEST", False, "2024-09-04T10:32:00+10:00", None),
    ("2024-09-04 10:32 AEDT", False, "2024-09-04T10:32:00+11:00", None),
    ("2024-09-04 10:32 MSK", False, "2024-09-04T10:32:00+03:00", None),
    ("2024-09-04 10:32 SAST", False, "2024-09-04T10:32:00+02:00", None),
    # ... before the date, and in the middle
    ("10:32 CEST, 4 September 2024", False, "2024-09-04T10:32:00+02:00", None),
    ("10:32 BST 4 Sep 2024", False, "2024-09-04T10:32:00+01:00", None),
    ("4 September 2024 10:32 CEST", False, "2024-09-04T10:32:00+02:00", None),
    ("Sept. 4, 2024, 10:32 a.m. EDT", False, "2024-09-04T10:32:00-04:00", None),
    # US regional names follow summer time
    ("Sept. 4, 2024 10:32 a.m. ET", False, "2024-09-04T10:32:00-04:00", None),
    ("Jan. 4, 2024 10:32 a.m. ET", False, "2024-01-04T10:32:00-05:00", None),
    ("Jul 4, 2024 9:00 PT", False, "2024-07-04T09:00:00-07:00", None),
    # numeric offsets are untouched
    ("4 Sep 2024 10:32 +0200", False, "2024-09-04T10:32:00+02:00", None),
    # dotted dates are day first, whatever the option
    ("4.9.2024", False, "2024-09-04", None),
    ("4.9.2024", True, "2024-09-04", None),
    ("04.09.2024", False, "2024-09-04", None),
    ("12.11.2024", False, "2024-11-12", None),
    ("4.9.2024 10:32 CEST", False, "2024-09-04T10:32:00+02:00", None),
    # ISO stays ISO; slashed dates keep the option
    ("2024-09-04", True, "2024-09-04", None),
    ("2024-04-09", False, "2024-04-09", None),
    ("04/09/2024", False, "2024-04-09", None),
    ("04/09/2024", True, "2024-09-04", None),
    ("13/09/2024", False, "2024-09-13", None),
    # EDTF / BibLaTeX: kept as written, with the nearest calendar date
    ("2012-21", False, "2012-21", "2012"),  # spring
    ("2012-22", False, "2012-22", "2012"),  # summer
    ("2012-23", False, "2012-23", "2012"),
    ("2012-24", False, "2012-24", "2012"),
    ("186X", False, "186X", "1860"),
    ("18XX", False, "18XX", "1800"),
    ("2004-06-XX", False, "2004-06-XX", "2004-06"),
    ("2004-XX", False, "2004-XX", "2004"),
    ("2004~", False, "2004~", "2004"),
    ("2004?", False, "2004?", "2004"),
    ("2004%", False, "2004%", "2004"),
    ("2004-06~", False, "2004-06~", "2004-06"),
    ("2004-06-11?", False, "2004-06-11?", "2004-06-11"),
    ("2004-?06-11", False, "2004-?06-11", "2004-06-11"),
    ("-3000", False, "-3000", "-3000"),
    ("-3000~", False, "-3000~", "-3000"),
    ("2004-04/2004-05", False, "2004-04/2004-05", "2004-04"),
    ("2004-04-05/2004-04-07", False, "2004-04-05/2004-04-07", "2004-04-05"),
    ("1988/1992", False, "1988/1992", "1988"),
    ("2004/..", False, "2004/..", "2004"),
    ("../2004", False, "../2004", "2004"),
    ("1988/", False, "1988/", "1988"),
    ("2004?/2005~", False, "2004?/2005~", "2004"),
]


@pytest.mark.parametrize("text,dayfirst,stored,nearest", CASES)
def test_dates_of_the_world(text, dayfirst, stored, nearest):
    d = parse_date(text, dayfirst=dayfirst)
    assert d.edtf() == stored
    assert d.iso() == (nearest or stored)
    # the stored form reads back as the same value
    assert PartialDate.from_iso(stored) == d


@pytest.mark.parametrize("text", ["2004-13", "2012-45", "XXXX", "2004-06-31", "2004/2005/2006", "someday", "~",
                                  "2004-04/2004-13", "1988/someday"])
def test_not_dates(text):
    with pytest.raises(DateError):
        parse_date(text)


def test_zone_table_is_documented_and_sane():
    for name in ("CET", "CEST", "BST", "GMT", "UTC", "EST", "EDT", "CST", "CDT", "MST", "MDT", "PST", "PDT",
                 "IST", "JST", "AEST", "AEDT", "MSK"):
        assert name in TZ_ABBREVIATIONS
    assert all(-12 * 3600 <= v <= 14 * 3600 for v in TZ_ABBREVIATIONS.values())


def test_qualifiers():
    assert parse_date("2004~").qualifier == "approximate"
    assert parse_date("2004?").qualifier == "uncertain"
    assert parse_date("2004%").qualifier == "approximate and uncertain"
    assert parse_date("2004").qualifier is None and not parse_date("2004").is_range
    assert parse_date("2004/2005").is_range
    # sorting never fails on a year before 1
    assert parse_date("-3000~").sort_key() < parse_date("1860").sort_key()


def _entry(published: str) -> Entry:
    return Entry.from_json({"id": "edtf0001", "citekey": "sample2012", "title": "SAMPLE article",
                            "outlet": "Sample Review", "kind": "magazine", "published": published,
                            "url": "https://news.example/sample"})


@pytest.mark.parametrize("literal", ["2012-22", "186X", "2004~", "2004?", "2004-04/2004-05", "2004/..", "-3000~"])
def test_literal_survives_json_biblatex_and_csl(literal):
    e = _entry(literal)
    assert e.to_json()["published"] == literal
    assert Entry.from_json(e.to_json()).published == e.published
    # BibLaTeX: the date field carries the literal (an open end written "2004/")
    out = cite.format_entries([e], "biblatex")
    assert f"date = {{{literal.replace('..', '')}}}" in out
    back = [r for _, r in bibtex.parse(out)][0]
    assert PartialDate.from_iso(back["published"]).edtf() in (literal, literal.replace("..", ""))
    # CSL-JSON: what CSL can say, the literal in raw, and back again
    item = json.loads(cite.format_entries([e], "csl-json"))[0]
    assert item["issued"]["raw"] == literal
    back = [r for _, r in csljson.parse(json.dumps([item]))][0]
    assert back["published"] == literal
    # RIS: the form in the free part of DA after the nearest date
    out = cite.format_entries([e], "ris")
    assert any(line.startswith("DA  - ") and line.endswith("/" + literal) for line in out.splitlines())
    back = [r for _, r in ris.parse(out)][0]
    assert back["published"] == literal


def test_csl_dates_say_circa_season_and_range():
    item = lambda lit: json.loads(cite.format_entries([_entry(lit)], "csl-json"))[0]["issued"]  # noqa: E731
    assert item("2004~")["circa"] is True and item("2004~")["date-parts"] == [[2004]]
    assert item("2012-22")["season"] == 2 and item("2012-22")["date-parts"] == [[2012]]
    assert item("2004-04/2004-05")["date-parts"] == [[2004, 4], [2004, 5]]
    assert item("186X")["literal"] == "186X"
    assert item("-3000~")["date-parts"] == [[-3000]]


def test_edtf_dates_import_index_and_search(root, tmp_path):
    from newsarchive import api

    src = tmp_path / "edtf.bib"
    src.write_text("@online{old, title = {SAMPLE tablet}, date = {-3000~}, url = {https://museum.example/t}}\n"
                   "@online{summer, title = {SAMPLE summer piece}, date = {2012-22}}\n"
                   "@online{decade, title = {SAMPLE photograph}, date = {186X}}\n", encoding="utf-8")
    outcomes = list(api.import_file(root, src))
    assert [o.status for o in outcomes] == ["created"] * 3
    published = {e.citekey: e.to_json()["published"] for e in api.select(root, None)}
    assert published == {"old": "-3000~", "summer": "2012-22", "decade": "186X"}
    assert [h.citekey for h in api.search(root, "tablet").hits] == ["old"]
    assert [h.citekey for h in api.search(root, "published:2012").hits] == ["summer"]


@pytest.mark.parametrize("literal,apa,chicago", [
    ("2012-22", "(2012, Summer)", "Summer 2012"),
    ("186X", "(1860s)", "1860s"),
    ("1920~", "(ca. 1920)", "ca. 1920"),
    ("2004?", "(ca. 2004)", "ca. 2004"),
    ("-3000~", "(ca. 3000 BCE)", "ca. 3000 BCE"),
    ("2004-04/2004-05", "(April–May 2004)", "April–May 2004"),
    ("2004-04-05/2004-04-07", "(April 5–7, 2004)", "April 5–7, 2004"),
    ("1988/1992", "(1988–1992)", "1988–1992"),
    ("2004/..", "(2004–)", "2004–"),
])
def test_text_styles_say_edtf_dates(literal, apa, chicago):
    e = _entry(literal)
    assert apa in cite.format_entries([e], "apa")
    assert chicago in cite.format_entries([e], "chicago")
    assert chicago in cite.format_entries([e], "mla")
