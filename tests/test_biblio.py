"""Bibliographic fidelity and work identity: kinds both ways, volume/issue/publisher/editors/DOI/
ISSN/ISBN/container, unknown fields kept and written back, @comment as biber reads it, distinct
works never merged, exports that never abort. Every input here is a sample written for these tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsarchive import api, cite
from newsarchive.formats import bibtex, csljson, ris
from newsarchive.model import Entry

SAMPLE_BIB = r"""% SAMPLE entries for the newsarchive tests
@string{sj = {Sample Journal}}
@comment{ an entry inside a comment is no entry:
@article{j1, title = {Wrong one}}
}
@article{j1, author = {Price, Lynne}, title = {Greetings from the Sample Editor}, journal = sj,
  year = 1981, volume = {2}, number = {1}, pages = {43--44}, doi = {10.5555/sample.j1},
  issn = {0896-3207}, eprint = {sample-0001}, eprinttype = {arxiv}}
@article{n1, author = {Doe, Jane}, title = {Sample headline}, journaltitle = {The Sample Post},
  entrysubtype = {newspaper}, date = {2024-09-04}, url = {https://post.example/a}}
@book{b1, editor = {Ann Smith and Bob Jones}, title = {A Sample Book}, publisher = {Sample Press},
  year = 2001, isbn = {978-3-16-148410-0}, location = {Belgrade}}
@incollection{c1, author = {Roe, Rita}, title = {A Sample Chapter}, booktitle = {A Sample Book},
  editor = {Smith, Ann}, publisher = {Sample Press}, year = 2001, pages = {5--9}}
@mastersthesis{t1, author = {Poe, Pat}, title = {A Sample Thesis}, school = {Sample University}, year = 1999}
@techreport{r1, author = {Low, Lee}, title = {A Sample Report}, institution = {Sample Institute},
  number = {TR-7}, year = 2010}
@patent{p1, author = {Inventor, Ivy}, title = {A Sample Patent}, number = {123}, year = 2015}
"""


def parsed() -> dict[str, dict]:
    return {r["citekey"]: r for _w, r in bibtex.parse(SAMPLE_BIB) if isinstance(r, dict)}


def as_entry(record: dict, n: int = 0) -> Entry:
    data = {k: v for k, v in record.items() if v not in (None, [], "")}
    return Entry.from_json({**data, "id": f"aaaa{n:04d}", "citekey": record["citekey"]})


@pytest.mark.parametrize("key,expected", [
    ("j1", {"kind": "journal article", "outlet": "Sample Journal", "volume": "2", "issue": "1",
            "pages": "43–44", "doi": "10.5555/sample.j1", "issn": "0896-3207",
            "extra": {"bibtex": {"eprint": "sample-0001", "eprinttype": "arxiv"}}}),
    ("n1", {"kind": "newspaper", "outlet": "The Sample Post", "published": "2024-09-04"}),
    ("b1", {"kind": "book", "publisher": "Sample Press", "isbn": "978-3-16-148410-0", "outlet": None,
            "editors": [{"family": "Smith", "given": "Ann"}, {"family": "Jones", "given": "Bob"}],
            "extra": {"bibtex": {"location": "Belgrade"}}}),
    ("c1", {"kind": "chapter", "container_title": "A Sample Book", "publisher": "Sample Press", "outlet": None}),
    ("t1", {"kind": "thesis", "publisher": "Sample University", "extra": {"bibtex": {"@type": "mastersthesis"}}}),
    ("r1", {"kind": "report", "publisher": "Sample Institute", "issue": "TR-7"}),
    ("p1", {"kind": None, "issue": "123", "extra": {"bibtex": {"@type": "patent"}}}),
])
def test_bibtex_import_keeps_bibliographic_fields(key, expected):
    rec = parsed()[key]
    for field, value in expected.items():
        assert rec.get(field) == value, field
    assert rec["title"] != "Wrong one"


def test_comment_and_percent_lines_are_skipped_as_biber_does():
    text = bibtex.skip_comments("@comment{a {nested} @article{x, title={y}}}\n%@string{p = {q}}\n@article{k,}\n")
    assert "@article{x" not in text and "@string" not in text and "@article{k,}" in text
    assert text.count("\n") == 3  # line numbers stay right
    # an unbalanced @comment is left to the parser (which reports it)
    assert bibtex.skip_comments("@comment{open\n") == "@comment{open\n"
    # a @string defined twice: the later one counts, and it is no failed record
    res = list(bibtex.parse("@string{p = {Old}}\n@string{p = {New}}\n@article{k, title = {T}, journal = p}\n"))
    assert [r["outlet"] for _w, r in res] == ["New"]


@pytest.mark.parametrize("style", ["bibtex", "biblatex"])
def test_bibtex_round_trip_of_bibliographic_fields(style):
    records = parsed()
    entries = [as_entry(r, n) for n, r in enumerate(records.values())]
    out = cite.format_entries(entries, style)
    back = {r["citekey"]: r for _w, r in bibtex.parse(out)}
    assert set(back) == set(records)
    for key, rec in records.items():
        got = back[key]
        for field in ("title", "kind", "volume", "issue", "pages", "publisher", "doi", "issn", "isbn",
                      "container_title", "editors", "authors", "extra"):
            assert got.get(field) == rec.get(field), (style, key, field)
    assert "@mastersthesis{t1," in out and ("@patent{p1," in out)
    assert ("@thesis" not in out) if style == "bibtex" else True
    assert "eprint = {sample-0001}" in out and "location = {Belgrade}" in out


def test_csljson_and_ris_carry_the_fields_both_ways():
    records = parsed()
    entries = [as_entry(r, n) for n, r in enumerate(records.values())]
    items = json.loads(cite.format_entries(entries, "csl-json"))
    j1 = next(i for i in items if i["id"] == "j1")
    assert (j1["type"], j1["container-title"], j1["volume"], j1["issue"], j1["DOI"], j1["ISSN"]) == \
        ("article-journal", "Sample Journal", "2", "1", "10.5555/sample.j1", "0896-3207")
    b1 = next(i for i in items if i["id"] == "b1")
    assert b1["type"] == "book" and b1["publisher"] == "Sample Press" and b1["ISBN"] == "978-3-16-148410-0"
    assert b1["editor"] == [{"family": "Smith", "given": "Ann"}, {"family": "Jones", "given": "Bob"}]
    c1 = next(i for i in items if i["id"] == "c1")
    assert c1["type"] == "chapter" and c1["container-title"] == "A Sample Book"
    back = {r["citekey"]: r for _w, r in csljson.parse(json.dumps(items))}
    risout = cite.format_entries(entries, "ris")
    assert "VL  - 2" in risout and "IS  - 1" in risout and "PB  - Sample Press" in risout
    assert "ED  - Smith, Ann" in risout and "DO  - 10.5555/sample.j1" in risout and "TY  - JOUR" in risout
    back_ris = {r["citekey"]: r for _w, r in ris.parse(risout)}
    for key, rec in records.items():
        for parsed_back in (back[key], back_ris[key]):
            for field in ("title", "volume", "issue", "publisher", "doi", "issn", "isbn", "container_title",
                          "editors", "outlet"):
                assert parsed_back.get(field) == rec.get(field), (key, field)
            if rec["kind"] not in (None, "thesis", "report"):  # @mastersthesis/@techreport: kind stays
                assert parsed_back["kind"] == rec["kind"], key


def test_csljson_and_ris_unknown_fields_are_kept_and_written_back():
    item = {"id": "s1", "type": "article-journal", "title": "Sample", "collection-title": "Sample Series",
            "abstract": "A sample abstract.", "volume": 3}
    (_w, rec), = list(csljson.parse(json.dumps([item])))
    assert rec["extra"] == {"csl-json": {"collection-title": "Sample Series", "abstract": "A sample abstract."}}
    assert rec["volume"] == "3"
    out = json.loads(cite.format_entries([as_entry(rec)], "csl-json"))[0]
    assert out["collection-title"] == "Sample Series" and out["abstract"] == "A sample abstract."
    text = "TY  - JOUR\nID  - r1\nTI  - Sample\nAB  - A sample abstract.\nCY  - Belgrade\nSN  - 0896-3207\nER  - \n"
    (_w, rec), = list(ris.parse(text))
    assert rec["extra"] == {"ris": {"AB": ["A sample abstract."], "CY": ["Belgrade"]}} and rec["issn"] == "0896-3207"
    out = cite.format_entries([as_entry(rec)], "ris")
    assert "AB  - A sample abstract." in out and "CY  - Belgrade" in out


def test_new_fields_round_trip_through_json_and_old_entries_still_load():
    rec = parsed()["j1"]
    e = as_entry(rec)
    assert Entry.from_json(e.to_json()) == e
    old = {"id": "abcd1234", "citekey": "old2020", "title": "Old", "authors": [], "tags": [], "snapshots": []}
    loaded = Entry.from_json(old)
    assert loaded.volume is None and loaded.extra == {} and loaded.editors == ()
    for key in ("volume", "extra", "editors", "doi", "source_key"):
        assert key not in loaded.to_json()  # absent unless set: older entries' JSON is unchanged


# --------------------------------------------------------------------------- identity

# pairs of samples that share title, first author and year but are different works
DISTINCT = [
    ("issues of one journal",
     "@article{a, title = {Greetings}, author = {Price, Lynne}, journal = {Sample J}, year = 1981, number = 1, pages = 43}",
     "@article{b, title = {Greetings}, author = {Price, Lynne}, journal = {Sample J}, year = 1981, number = 2, pages = 54}"),
    ("a daily column",
     "@article{a, title = {The Morning}, author = {Roe, Rita}, journaltitle = {The Sample Times}, date = {2020-03-02}}",
     "@article{b, title = {The Morning}, author = {Roe, Rita}, journaltitle = {The Sample Times}, date = {2020-03-03}}"),
    ("corrections of two newspapers",
     "@article{a, title = {Corrections}, journaltitle = {The Sample Times}, date = {2020-03-02}}",
     "@article{b, title = {Corrections}, journaltitle = {The Sample Post}, date = {2020-03-02}}"),
    ("a post and a comment on it share a URL",
     "@online{a, title = {Squatters}, author = {Ellis, Rhian}, date = {2008-06-30}, url = {https://blog.example/s}}",
     "@online{b, author = {Ellis, Rhian}, date = {2008-06-30}, url = {https://blog.example/s}}"),
    ("a chapter and its book share a DOI",
     "@collection{a, title = {The Sample Reader}, editor = {Gold, M.}, year = 1999, doi = {10.5555/r}}",
     "@incollection{b, title = {The Sample Reader}, booktitle = {The Sample Reader}, year = 1999, doi = {10.5555/r}}"),
    ("the same title and year under two keys",
     "@misc{a, title = {Untitled sample}, year = 2000}",
     "@misc{b, title = {Untitled sample}, year = 2000}"),
]


@pytest.mark.parametrize("what,first,second", DISTINCT, ids=[d[0] for d in DISTINCT])
def test_distinct_works_are_never_merged(tmp_path, what, first, second):
    src = tmp_path / "s.bib"
    src.write_text(first + "\n" + second + "\n")
    root = api.init(tmp_path / "c")
    assert [o.status for o in api.import_file(root, src)] == ["created", "created"], what
    again = list(api.import_file(root, src))  # the same file again: each matches its own entry
    assert [o.status for o in again] == ["duplicate", "duplicate"]
    assert again[0].id != again[1].id
    assert all(o.message.startswith("same key") and o.message.endswith(f"as entry {o.id}") for o in again)


def test_reimport_after_a_key_clash_or_an_edit_adds_nothing(tmp_path):
    root = api.init(tmp_path / "c")
    api.add(root, data=None, source=None, fields={"title": "Other work", "citekey": "smith2020"})
    src = tmp_path / "s.bib"
    src.write_text("@article{smith2020, title = {A Sample}, author = {Smith, Sam}, journal = {J}, year = 2020}\n")
    (first,) = api.import_file(root, src)
    entry = api.get(root, first.id)
    assert first.status == "created" and entry.citekey != "smith2020" and entry.source_key == "smith2020"
    (again,) = api.import_file(root, src)
    assert (again.status, again.id) == ("duplicate", first.id)
    assert again.message == f"same key 'smith2020', title, authors, outlet, date 2020 as entry {first.id}"
    api.edit(root, first.id, set_fields={"citekey": "renamed"})
    (third,) = api.import_file(root, src)
    assert (third.status, third.id) == ("duplicate", first.id)
    (none,) = api.import_file(root, src, match="none")
    assert none.status == "created"


def test_dry_run_sees_candidates_it_would_create(tmp_path):
    src = tmp_path / "s.bib"
    src.write_text(DISTINCT[0][1] + "\n" + DISTINCT[0][2] + "\n" + DISTINCT[0][1].replace("{a,", "{a,") + "\n")
    root = api.init(tmp_path / "c")
    outs = list(api.import_file(root, src, dry_run=True))
    assert [o.status for o in outs] == ["would-create", "would-create", "failed"]  # a repeated key


# --------------------------------------------------------------------------- exports never abort

def test_export_and_cite_write_everything_and_name_incomplete_entries(cli, tmp_path):
    src = tmp_path / "s.bib"
    src.write_text("@online{untitled, url = {https://sample.example/u}, date = {2020}}\n"
                   "@online{titled, title = {Titled sample}, url = {https://sample.example/t}}\n")
    assert cli("import", src).exit_code == 0
    for to in ("bibtex", "biblatex", "csl-json", "ris"):
        out = tmp_path / f"out.{to}"
        r = cli("export", "--to", to, "-o", out)
        assert r.exit_code == 0, r.stderr
        assert "incomplete: untitled: no title" in r.stderr
        assert f"exported 2 entries to {out} (1 incomplete, written with what they have)" in r.stderr
        text = out.read_text()
        assert "untitled" in text and "titled" in text
    back = {r["citekey"]: r for _w, r in bibtex.parse((tmp_path / "out.biblatex").read_text())}
    assert back["untitled"]["title"] is None and back["untitled"]["url"] == "https://sample.example/u"
    r = cli("cite", "untitled", "titled", "--style", "apa")
    assert r.exit_code == 0 and "[Untitled]" in r.stdout and "Titled sample" in r.stdout
    assert "incomplete: untitled: no title" in r.stderr and "1 of 2 entries incomplete" in r.stderr


@pytest.mark.parametrize("title", ["Acculturative Stress Inventory (ASI)", "Survey (FRSS): Teacher's Use",
                                   "About “NATO” and [the UN]", "(Parenthesised) Start"])
def test_title_protection_keeps_every_character(title):
    from newsarchive.formats import latex

    protected = latex.protect_title(title)
    assert protected.replace("{", "").replace("}", "") == title
    assert latex.decode(protected) == title


@pytest.mark.parametrize("bib", [
    "@unpublished{u1, title = {A Sample Draft}, howpublished = {Sample Working Papers}, year = 2020}",
    "@review{v1, title = {A Sample Review}, journaltitle = {Sample Review Journal}, booktitle = {The Reviewed Book}, year = 2020}",
    "@incollection{c2, title = {A Sample Chapter}, booktitle = {A Sample Book}, year = 2020}",
    "@article{a2, title = {A Sample Article}, journal = {Sample Journal}, year = 2020}",
])
@pytest.mark.parametrize("fmt", ["csl-json", "ris", "bibtex", "biblatex"])
def test_outlet_and_container_stay_apart_in_every_format(bib, fmt):
    (_w, rec), = list(bibtex.parse(bib))
    text = cite.format_entries([as_entry(rec)], fmt)
    parser = {"csl-json": csljson, "ris": ris}.get(fmt, bibtex)
    (_w, back), = list(parser.parse(text))
    assert (back.get("outlet"), back.get("container_title")) == (rec.get("outlet"), rec.get("container_title"))


def test_apa_cites_a_journal_article_with_volume_and_issue():
    e = as_entry(parsed()["j1"])
    assert cite.format_entry(e, "apa", markup="markdown") == (
        "Price, L. (1981). Greetings from the Sample Editor. *Sample Journal*, *2*(1), 43–44. "
        "https://doi.org/10.5555/sample.j1")


def test_no_bibtex_field_is_dropped():
    bib = ("@software{s1, title = {A Sample Tool}, entrysubtype = {Database record}, organization = {Sample Org},"
           " publisher = {Sample Press}, journal = {Sample J}, journaltitle = {Sample Journal},"
           " langid = {english}, language = {English}, year = 2001, date = {2001-02-03}, version = {1.2}}")
    (_w, rec), = list(bibtex.parse(bib))
    assert rec["outlet"] == "Sample Journal" and rec["publisher"] == "Sample Press"
    assert rec["kind"] == "software"
    assert rec["extra"]["bibtex"] == {"@outlet": "journaltitle", "entrysubtype": "Database record",
                                      "organization": "Sample Org", "journal": "Sample J",
                                      "language": "English", "year": "2001", "version": "1.2"}
    out = cite.format_entry(as_entry(rec), "biblatex")
    for field in ("entrysubtype = {Database record}", "organization = {Sample Org}", "journal = {Sample J}",
                  "journaltitle = {Sample Journal}", "publisher = {Sample Press}", "version = {1.2}",
                  "langid = {english}", "language = {English}", "date = {2001-02-03}"):
        assert field in out, field


SAMPLE_ODD_VALUES = r"""
@book{sample:nodate, author = {Sample, Ann}, title = {A SAMPLE book with no date}, year = {\bibstring{nodate}}, publisher = {Sample Press}}
@online{sample:ftp, author = {Sample, Ben}, title = {A SAMPLE text on an FTP server}, date = {1996}, url = {ftp://ftp.example.org/pub/sample.txt}}
@online{sample:at, title = {A SAMPLE video page}, date = {2020}, url = {www.video.example/@someone/video/123}}
"""


def test_values_the_model_cannot_hold_are_kept_and_said_not_fatal(tmp_path):
    """A year that is not a date and a link that is not http(s) used to fail the whole entry."""
    src = tmp_path / "odd.bib"
    src.write_text(SAMPLE_ODD_VALUES, encoding="utf-8")
    root = api.init(tmp_path / "c")
    outcomes = list(api.import_file(root, src))
    assert [o.status for o in outcomes] == ["created"] * 3, [o.message for o in outcomes]
    nodate, ftp, at = outcomes
    assert "no date" in nodate.message and "kept as written" in nodate.message
    assert "not an http(s) URL" in ftp.message
    assert at.message is None  # a scheme-less web address with @ in its path is a web address
    entries = {e.citekey: e for e in api.list_entries(root)}
    assert entries["sample:nodate"].published is None
    assert entries["sample:nodate"].extra["bibtex"]["year"] == r"\bibstring{nodate}"
    assert entries["sample:ftp"].url is None
    assert entries["sample:at"].url == "https://www.video.example/@someone/video/123"
    out = tmp_path / "again.bib"
    api.export(root, to="biblatex", out=out)
    text = out.read_text(encoding="utf-8")
    assert r"year = {\bibstring{nodate}}" in text and "url = {ftp://ftp.example.org/pub/sample.txt}" in text
    again = api.init(tmp_path / "again")
    assert [o.status for o in api.import_file(again, out)] == ["created"] * 3
    assert [o.status for o in api.import_file(again, out)] == ["duplicate"] * 3


def test_latex_commands_and_odd_years_are_kept_as_written_and_said(tmp_path):
    """Found by a review: TeX logos and unknown commands vanished from titles ("The format of 's
    DVI files"), and "1999a" or "c. 1850" silently became a bare year."""
    src = tmp_path / "odd.bib"
    src.write_text(r"""
@article{s1, title = {{The format of {\TeX}'s {DVI} files}}, author = {Sample, Ann}, journal = {Sample Journal}, year = {1999a}}
@article{s2, title = {Math $x^2$ and \LaTeX{} and \foo{bar}}, author = {Sample, Ben}, journal = {Sample Journal}, year = {c. 1850}}
@article{s3, title = {Publishing \& \TeX\Dash a SAMPLE}, author = {Sample, Cy}, journal = {Sample Journal}, year = {1990}}
""", encoding="utf-8")
    root = api.init(tmp_path / "c")
    outcomes = {o.ref.split("'")[1]: o for o in api.import_file(root, src)}
    assert all(o.status == "created" for o in outcomes.values())
    assert "read as 1999" in outcomes["s1"].message and "read as 1850" in outcomes["s2"].message
    assert "does not render" in outcomes["s2"].message and outcomes["s3"].message is None
    titles = {e.citekey: e.title for e in api.list_entries(root)}
    assert titles["s1"] == "The format of TeX's DVI files"
    assert titles["s3"] == "Publishing & TeX—a SAMPLE"  # TeX eats the space after \\Dash
    assert "\\foo" in titles["s2"]  # never deleted
    out = tmp_path / "out.bib"
    api.export(root, to="bibtex", out=out)
    text = out.read_text(encoding="utf-8")
    assert r"title = {Math $x^2$ and \LaTeX{} and \foo{bar}}" in text
    assert "year = {1999a}" in text and "year = {c. 1850}" in text
