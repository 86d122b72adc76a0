"""Every input record gets exactly one report line, in every importer, whatever happens to it
(created, duplicate, new version, skipped, failed). All inputs here are samples written for
these tests."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsarchive import api
from newsarchive.formats.records import Record


def outcomes(root: Path, path: Path, **kw) -> list:
    return list(api.import_file(root, path, **kw))


def fresh(tmp_path: Path, name: str) -> Path:
    return api.init(tmp_path / name)


# --------------------------------------------------------------------------- one table per importer

SAMPLE_BIB = r"""% SAMPLE bibliography written for the newsarchive tests
@string{tp = {The Sample Times}}
@comment{
@article{kept, title = {Inside a comment: not a record}}
}
Text outside entries is ignored.
@article{kept, title = {Greetings}, author = {Price, Lynne}, journal = {Sample Journal},
  year = 1981, volume = 2, number = 1, pages = {43}}
@article{kept2, title = {Greetings}, author = {Price, Lynne}, journal = {Sample Journal},
  year = 1981, volume = 2, number = 2, pages = {54}}
@article{bad, title = {Bad month}, year = 2020, month = {Smarch}}
@article{broken, title = {Never closed
@misc{untitled, url = {https://sample.example/u}}
"""

SAMPLE_RIS = ("TY  - JOUR\nTI  - One\nPY  - 2020\nER  - \n\n"
              "TY  - JOUR\nTI  - One\nPY  - 2020\nER  - \n\n"  # the same record again: duplicate
              "TY  - NEWS\nTI  - Bad date\nDA  - 2020/13/01/\nER  - \n"
              "TY  - NEWS\nTI  - Never ended\n")

SAMPLE_CSL = json.dumps([
    {"id": "a", "type": "article-journal", "title": "One", "issued": {"date-parts": [[2020]]}},
    {"id": "a", "type": "article-journal", "title": "One", "issued": {"date-parts": [[2020]]}},
    {"id": "b", "type": "book", "title": "Bad", "issued": {"date-parts": [["x"]]}},
    "not an item",
])

SAMPLE_JSONL = "\n".join([
    json.dumps({"title": "Sample one", "text": "Body one."}),
    "",  # a blank line is not a record
    json.dumps({"title": "Sample one", "text": "Body one."}),  # same bytes: duplicate
    "{not json",
    json.dumps({"title": "Bad", "published": "someday"}),
]) + "\n"

SAMPLE_CSV = ("title,date,text\nSample one,2020,Body one.\n\nSample one,2020,Body one.\n"
              "Short row\nBad date,someday,x\n")


@pytest.mark.parametrize("name,content,records", [
    ("s.bib", SAMPLE_BIB, 5),  # kept, kept2, bad, broken, untitled (not the commented one)
    ("s.ris", SAMPLE_RIS, 4),
    ("s.json", SAMPLE_CSL, 4),
    ("s.jsonl", SAMPLE_JSONL, 4),
    ("s.csv", SAMPLE_CSV, 4),
])
def test_one_line_per_record_per_format(tmp_path, name, content, records):
    src = tmp_path / name
    src.write_text(content, encoding="utf-8")
    root = fresh(tmp_path, "c")
    first = outcomes(root, src)
    assert len(first) == records, [(o.ref, o.status) for o in first]
    assert all(o.status != "failed" or o.message for o in first)
    assert all(o.status != "duplicate" or (o.id and o.message and o.id in o.message) for o in first)
    again = outcomes(root, src)  # a second import: the same number of lines, nothing created
    assert len(again) == records and not [o for o in again if o.status == "created"]


def test_bibtex_sample_outcomes(tmp_path):
    src = tmp_path / "s.bib"
    src.write_text(SAMPLE_BIB, encoding="utf-8")
    root = fresh(tmp_path, "c")
    got = {o.ref.split("'")[1] if "'" in o.ref else "broken": o for o in outcomes(root, src)}
    # two issues of one journal with the same title, author and year are two works
    assert got["kept"].status == got["kept2"].status == "created"
    assert got["bad"].status == got["broken"].status == "failed"
    assert got["untitled"].status == "created"
    assert api.get(root, got["kept"].id).title == "Greetings"  # not the one inside @comment


def test_folder_one_line_per_page_file(tmp_path):
    top = tmp_path / "pages"
    (top / "sub").mkdir(parents=True)
    (top / "a.html").write_bytes(b"<html><head><title>Sample A</title></head><body><p>Sample page A.</p></body></html>")
    (top / "sub" / "b.txt").write_text("Sample B\n\nA sample text page.\n")
    (top / "sub" / "copy.txt").write_text("Sample B\n\nA sample text page.\n")  # same bytes
    (top / "empty.txt").write_text("")  # fails: nothing to archive
    os.mkfifo(top / "pipe.html")  # not a regular file: skipped with the reason, never read
    (top / "image.png").write_bytes(b"\x89PNG")  # not a page file: not a record
    root = fresh(tmp_path, "c")
    outs = outcomes(root, top)
    assert sorted((o.ref, o.status) for o in outs) == [
        ("a.html", "created"), ("empty.txt", "failed"), ("pipe.html", "skipped"),
        ("sub/b.txt", "created"), ("sub/copy.txt", "duplicate")]


def test_url_list_one_line_per_url(tmp_path, serve):
    def respond(path):
        if path == "/missing":
            return 404, {"Content-Type": "text/html"}, b"<html><body>Not found</body></html>"
        return 200, {"Content-Type": "text/html"}, (
            f"<html><head><title>Sample {path}</title></head><body><p>Sample page {path}.</p></body></html>").encode()

    base = serve(respond)
    src = tmp_path / "urls.txt"
    src.write_text(f"# sample URL list\n{base}/one\n\n{base}/two\n{base}/one\n{base}/missing\n")
    root = fresh(tmp_path, "c")
    outs = outcomes(root, src, host_delay=0)
    assert [o.status for o in outs] == ["created", "created", "duplicate", "failed"]


def _warc(path: Path) -> int:
    """A sample WARC: one record of each kind that matters; returns how many deserve a line."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    def http(status="200 OK", ctype="text/html"):
        return StatusAndHeaders(status, [("Content-Type", ctype)], protocol="HTTP/1.1")

    body = b"<html><head><title>Sample story</title></head><body><p>A sample story.</p></body></html>"
    with open(path, "wb") as fh:
        w = WARCWriter(fh, gzip=True)
        w.write_record(w.create_warcinfo_record(path.name, {"software": "tests"}))  # no line
        for uri, status, ctype in (("https://sample.example/a", "200 OK", "text/html"),
                                   ("https://sample.example/gone", "404 Not Found", "text/html"),
                                   ("8003098", "200 OK", "text/html"),
                                   ("https://sample.example/logo.png", "200 OK", "image/png")):
            w.write_record(w.create_warc_record(uri, "response", payload=io.BytesIO(body), length=len(body),
                                                http_headers=http(status, ctype)))
        w.write_record(w.create_warc_record("https://sample.example/a", "request",  # no line
                                            payload=io.BytesIO(b"GET / HTTP/1.1\r\n\r\n"), length=18))
        w.write_record(w.create_revisit_record("https://sample.example/a", digest="sha1:AAAA",
                                               refers_to_uri="https://sample.example/a",
                                               refers_to_date="2024-09-05T10:00:00Z"))
    return 5


def test_warc_one_line_per_response_resource_and_revisit(tmp_path):
    src = tmp_path / "s.warc.gz"
    n = _warc(src)
    root = fresh(tmp_path, "c")
    outs = outcomes(root, src)
    assert len(outs) == n
    by = [(o.status, o.message) for o in outs]
    assert by[0][0] == "created"
    assert by[1] == ("skipped", "https://sample.example/gone: HTTP 404")
    assert by[2] == ("skipped", "target URI is not a URL: '8003098'")
    assert by[3] == ("skipped", "https://sample.example/logo.png: not an article (image/png)")
    assert by[4][0] == "duplicate"


# --------------------------------------------------------------------------- property: any mix

record_kinds = st.sampled_from(["good", "same-again", "bad-date", "error", "skipped"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kinds=st.lists(record_kinds, max_size=12), batch=st.integers(1, 5),
       match=st.sampled_from(["strict", "url", "none"]))
def test_pipeline_yields_one_outcome_per_record(tmp_path_factory, kinds, batch, match):
    root = api.init(tmp_path_factory.mktemp("p") / "c")
    recs = []
    for n, kind in enumerate(kinds):
        ref = f"r{n}"
        if kind == "good":
            recs.append(Record(ref=ref, fields={"title": f"Sample {n}", "published": "2020"}, origin="imported"))
        elif kind == "same-again":
            recs.append(Record(ref=ref, fields={"title": "Sample again", "published": "2020"}, origin="imported"))
        elif kind == "bad-date":
            recs.append(Record(ref=ref, fields={"title": "Sample", "published": "someday"}))
        elif kind == "error":
            recs.append(Record(ref=ref, error=f"{ref}: unreadable"))
        else:
            recs.append(Record(ref=ref, skipped=f"{ref}: passed over"))
    outs = list(api.ingest_records(root, iter(recs), batch_size=batch, durable=False, match=match))
    assert [o.ref for o in outs] == [r.ref for r in recs]
    again = [o.status for o in outs if o.ref in {r.ref for r, k in zip(recs, kinds) if k == "same-again"}]
    if again:
        assert again[0] == "created"
        assert set(again[1:]) <= ({"created"} if match == "none" else {"duplicate"})


def _citation_file(fmt: str, kinds: list[str]) -> str:
    """A sample citation file with one record per kind: good (distinct), same (one work given
    again, under its own key), bad (an impossible month)."""
    out = []
    for n, kind in enumerate(kinds):
        title = "Sample repeated" if kind == "same" else f"Sample {n}"
        month = 13 if kind == "bad" else 5
        if fmt == "bibtex":
            key = "rep" if kind == "same" else f"k{n}"
            out.append(f"@article{{{key}{n if kind == 'same' else ''}, title = {{{title}}}, year = 2020, month = {month}}}")
        elif fmt == "ris":
            out.append(f"TY  - JOUR\nTI  - {title}\nDA  - 2020/{month:02d}/01/\nER  - \n")
        else:
            out.append({"type": "article-journal", "title": title, "issued": {"date-parts": [[2020, month]]}})
    return json.dumps(out) if fmt == "csl-json" else "\n".join(out) + "\n"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kinds=st.lists(st.sampled_from(["good", "same", "bad"]), max_size=10),
       fmt=st.sampled_from(["bibtex", "ris", "csl-json"]))
def test_citation_files_one_line_per_record(tmp_path_factory, kinds, fmt):
    base = tmp_path_factory.mktemp("f")
    src = base / {"bibtex": "s.bib", "ris": "s.ris", "csl-json": "s.json"}[fmt]
    src.write_text(_citation_file(fmt, kinds), encoding="utf-8")
    root = api.init(base / "c")
    outs = list(api.import_file(root, src))
    assert len(outs) == len(kinds)
    assert [o.status == "failed" for o in outs] == [k == "bad" for k in kinds]
    again = list(api.import_file(root, src))
    assert len(again) == len(kinds) and not [o for o in again if o.status == "created"]


def test_a_duplicate_names_the_given_values_it_did_not_apply(tmp_path):
    # found trying the tool as a new user: `add FILE --outlet Other` of archived bytes said only
    # "duplicate", and the outlet given was dropped without a word
    from newsarchive import api

    root = api.init(tmp_path / "c")
    data = b"SAMPLE: a title\n\nSample body text.\n"
    first = api.add(root, data=data, source="a.txt", fields={"outlet": "AP News"})
    again = api.add(root, data=data, source="a.txt", fields={"outlet": "Other", "title": "Piped"})
    assert again.status == "duplicate" and again.id == first.entry.id
    assert "the title, outlet given here were not applied" in again.message, again.message
    assert f"newsarchive edit {first.entry.id}" in again.message
    same = api.add(root, data=data, source="a.txt", fields={"outlet": "AP News"})
    assert same.message == f"same snapshot bytes as entry {first.entry.id}"  # nothing dropped: nothing said


def test_a_plain_text_file_that_is_not_utf8_says_its_encoding_was_guessed(tmp_path):
    # found trying the tool as a new user on the BBC texts: a file in windows-1252 was reported
    # as plainly "created" although its text was decoded by a guess
    from newsarchive import api

    root = api.init(tmp_path / "c")
    latin = "SAMPLE: Price rises\n\nTickets now cost \u00a345 at the door.\n".encode("cp1252")
    out = api.add(root, data=latin, source="sample.txt", fields={})
    assert out.status == "created" and "not UTF-8: the text was read as windows-125" in (out.message or ""), out.message
    assert "a guess" in out.message
    utf8 = api.add(root, data="SAMPLE: Fine\n\nCosts \u00a345.\n".encode("utf-8"), source="b.txt", fields={})
    assert not (utf8.message or "").startswith("not UTF-8")
