"""Importers as record streams (library level): each source format with small fixtures written
here, including malformed ones, plus format detection and the ingest pipeline's deduplication."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from newsarchive import api
from newsarchive.errors import ImportFormatError, UsageError
from newsarchive.formats import detect
from newsarchive.formats.records import Record
from newsarchive.formats import bibtex as bib_source
from newsarchive.formats import csljson as csl_source
from newsarchive.formats import csv as csv_source
from newsarchive.formats import folder as folder_source
from newsarchive.formats import jsonl as jsonl_source
from newsarchive.formats import ris as ris_source
from newsarchive.formats import urls as urls_source
from newsarchive.formats import warc as warc_source


def page(title: str, body: str = "The article body has a few sentences of text in it.") -> bytes:
    return (f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
            f"<p>{body}</p><p>{body}</p></article></body></html>").encode("utf-8")


# --------------------------------------------------------------------------- detection

@pytest.mark.parametrize("name, content, expected", [
    ("a.jsonl", b'{"title": "x"}\n', "jsonl"),
    ("a.csv", b"title,url\n", "csv"),
    ("a.tsv", b"title\turl\n", "tsv"),
    ("a.bib", b"@article{k, title={x}}", "bibtex"),
    ("a.ris", b"TY  - NEWS\nER  - \n", "ris"),
    ("a.json", b"[]", "csl-json"),
    ("a.warc.gz", b"\x1f\x8b\x08\x00", "warc"),
    ("a.arc", b"filedesc://a.arc", "warc"),
    # no telling extension: the first bytes decide
    ("noext", b'{"title": "x"}\n', "jsonl"),
    ("noext", b'[{"id": "a"}]', "csl-json"),
    ("noext", b"\n@string{x = \"y\"}\n", "bibtex"),
    ("noext", b"TY  - NEWS\n", "ris"),
    ("noext", b"WARC/1.0\r\n", "warc"),
    ("noext", b"title,url\nx,y\n", "csv"),
    ("list.txt", b"# my reading list\nhttps://a.example/1\nhttp://b.example/2\n", "urls"),
])
def test_detect_by_extension_or_content(tmp_path, name, content, expected):
    p = tmp_path / name
    p.write_bytes(content)
    assert detect(p).name == expected


def test_detect_folder_and_unknown(tmp_path):
    assert detect(tmp_path).name == "folder"
    p = tmp_path / "notes.txt"
    p.write_text("just some prose\nwith no urls\n")
    with pytest.raises(ImportFormatError, match="--from"):
        detect(p)


def test_from_overrides_detection(tmp_path, root):
    p = tmp_path / "items.data"
    p.write_text('[{"id": "k", "type": "article-newspaper", "title": "Given as CSL"}]')
    recs = list(api.open_source(p, source_format="csl-json"))
    assert [r.fields["title"] for r in recs] == ["Given as CSL"]
    with pytest.raises(UsageError, match="unknown source format"):
        api.open_source(p, source_format="docx")
    with pytest.raises(UsageError, match="--map applies to CSV"):
        api.open_source(p, source_format="csl-json", mapping={"title": "x"})


# --------------------------------------------------------------------------- JSONL

def test_jsonl_records_text_snapshot_and_bad_lines(tmp_path):
    base = tmp_path / "m"
    (base / "pages").mkdir(parents=True)
    (base / "pages" / "a.html").write_bytes(page("From a file"))
    (tmp_path / "secret.txt").write_text("outside")
    lines = [
        json.dumps({"title": "Inline", "published": "Sept. 4, 2024", "text": "Inline body."}),
        "",
        "{not json",
        json.dumps({"title": "File", "snapshot": "pages/a.html"}),
        json.dumps(["a", "list"]),
        json.dumps({"title": "Escapes", "snapshot": "../secret.txt"}),
        json.dumps({"title": "Both", "text": "x", "snapshot": "pages/a.html"}),
    ]
    manifest = base / "m.jsonl"
    manifest.write_text("\n".join(lines) + "\n")
    recs = list(jsonl_source.read(manifest))
    by_ref = {r.ref: r for r in recs}
    assert list(by_ref) == ["line 1", "line 3", "line 4", "line 5", "line 6", "line 7"]
    assert by_ref["line 1"].data == b"Inline body." and by_ref["line 1"].media_type == "text/plain"
    assert by_ref["line 1"].fields["published"] == "Sept. 4, 2024"
    assert "not valid JSON" in by_ref["line 3"].error
    assert by_ref["line 4"].data == page("From a file")
    assert "JSON object" in by_ref["line 5"].error
    assert "leaves the manifest's folder" in by_ref["line 6"].error
    assert "not both" in by_ref["line 7"].error


# --------------------------------------------------------------------------- CSV / TSV

CSV_TEXT = (
    "Headline,Byline,Date,Link,Keywords,Body,Ignored\n"
    "First story,Jovana Gec,2024-09-04,https://news.example/1,serbia; russia,First body text.,zzz\n"
    '"Second, with comma","Ana Ivić; Marko Marković","Sept. 5, 2024",https://news.example/2,,"Two\nlines",\n'
    "Bad row,only three,cells\n"
    "\n"
    "Third story,,2024,https://news.example/3,,Third body.,\n"
)


def test_csv_default_aliases_bad_row_and_blank_lines(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text(CSV_TEXT, encoding="utf-8")
    recs = list(csv_source.read(p))
    assert [r.ref for r in recs] == ["line 2", "line 3", "line 5", "line 7"]
    first = recs[0]
    assert first.error is None
    assert first.fields == {"title": "First story", "authors": ["Jovana Gec"], "published": "2024-09-04",
                            "url": "https://news.example/1", "tags": ["serbia; russia"]}
    assert first.data == b"First body text."
    assert recs[1].fields["title"] == "Second, with comma" and recs[1].data == b"Two\nlines"
    assert recs[2].error == "line 5: 3 cells where the header has 7"
    assert recs[3].fields["title"] == "Third story" and "authors" not in recs[3].fields


def test_tsv_and_sniffed_semicolons(tmp_path):
    t = tmp_path / "a.tsv"
    t.write_text("title\tdate\turl\nTab story, with comma\t2024-01-02\thttps://t.example/1\n")
    recs = list(csv_source.read(t, delimiter="\t"))
    assert recs[0].fields == {"title": "Tab story, with comma", "published": "2024-01-02",
                              "url": "https://t.example/1"}
    s = tmp_path / "b.csv"
    s.write_text("title;date\nSemi story;2023\nOther;2022\n")
    assert [r.fields["title"] for r in csv_source.read(s)] == ["Semi story", "Other"]


def test_csv_map_overrides_and_errors(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("name,when,title\nMapped title,2021-03-04,not this one\n")
    rec = next(csv_source.read(p, mapping={"title": "Name", "published": "when"}))
    assert rec.fields == {"title": "Mapped title", "published": "2021-03-04"}
    with pytest.raises(UsageError, match="unknown field 'headline'"):
        next(csv_source.read(p, mapping={"headline": "name"}))
    with pytest.raises(UsageError, match="no column 'nope'"):
        next(csv_source.read(p, mapping={"title": "nope"}))
    q = tmp_path / "b.csv"
    q.write_text("foo,bar\n1,2\n")
    with pytest.raises(UsageError, match="no title, text, snapshot or url column"):
        next(csv_source.read(q))


def test_csv_snapshot_column_reads_files_inside_its_folder(tmp_path):
    d = tmp_path / "list"
    (d / "saved").mkdir(parents=True)
    (d / "saved" / "p.html").write_bytes(page("Saved page"))
    (tmp_path / "outside.txt").write_text("x")
    p = d / "a.csv"
    p.write_text("title,file\nMine,saved/p.html\nEscape,../outside.txt\nGone,saved/none.html\n")
    ok, escape, gone = list(csv_source.read(p))
    assert ok.data == page("Saved page") and ok.source == "saved/p.html"
    assert "leaves the manifest's folder" in escape.error
    assert "not found" in gone.error


def test_csv_not_utf8_stops_with_a_failed_record(tmp_path):
    p = tmp_path / "a.csv"
    p.write_bytes(b"title,url\nGood,https://x.example/1\n" + b"Caf\xe9 \xff,https://x.example/2\n" * 3000)
    recs = list(csv_source.read(p))
    assert recs[0].fields["title"] == "Good"
    assert recs[-1].error and "not UTF-8" in recs[-1].error


# --------------------------------------------------------------------------- BibTeX, RIS, CSL-JSON

BIB = r"""
@string{ nyt = "The New York Times" }
@string{ ap = {Associated} # " Press" }

@collection{parent, title = {Coverage of the war}, journaltitle = nyt, year = 2020}

@article{gec2024, author = {Ge{\v{c}}, Jovana and M{\"u}ller, J{\"o}rg}, title = {Serbia {Won't} Join},
  journal = nyt, year = 2024, month = sep, day = 4, url = {https://apnews.com/article/x}}

@online{child, title = {Child piece}, crossref = {parent}, author = {{Associated Press}}}

@article{broken, title = {Unclosed brace, journal = ap

@misc{after, title = {After the broken one}, year = 2019, month = {March}, publisher = ap}
"""


def test_bibtex_macros_crossref_months_latex_and_a_broken_entry(tmp_path):
    p = tmp_path / "refs.bib"
    p.write_text(BIB, encoding="utf-8")
    recs = {r.ref.split(" at ")[0]: r for r in bib_source.read(p)}
    gec = recs["entry 'gec2024'"].fields
    assert gec["title"] == "Serbia Won't Join"
    assert gec["outlet"] == "The New York Times"
    assert gec["published"] == "2024-09-04"
    assert gec["authors"][0] == {"family": "Geč", "given": "Jovana"} and gec["authors"][1] == {"family": "Müller", "given": "Jörg"}
    assert gec["citekey"] == "gec2024"
    child = recs["entry 'child'"].fields
    assert child["outlet"] == "The New York Times" and child["published"] == "2020"  # from the crossref
    assert child["authors"] == [{"literal": "Associated Press"}]
    after = recs["entry 'after'"].fields
    assert after["published"] == "2019-03" and after["title"] == "After the broken one"
    broken = [r for r in recs.values() if r.error]
    assert len(broken) == 1
    assert "line 12" in broken[0].ref and "Unexpected block start" in broken[0].error


def test_bibtex_parse_error_is_not_logged_to_stderr(tmp_path, capfd):
    p = tmp_path / "refs.bib"
    p.write_text(BIB, encoding="utf-8")
    list(bib_source.read(p))
    assert "aborted" not in capfd.readouterr().err


RIS = """TY  - NEWS
AU  - Gec, Jovana
AU  - Associated Press
TI  - Serbia official meets Putin
T2  - AP News
DA  - 2024/09/04/
UR  - https://apnews.com/article/y
KW  - serbia
KW  - russia
ER  - 

TY  - ELEC
TI  - Bad date
PY  - someday
ER  - 

TY  - MGZN
TI  - Without an end
"""


def test_ris_records_and_broken_ones(tmp_path):
    p = tmp_path / "a.ris"
    p.write_text(RIS)
    good, bad, unended = list(ris_source.read(p))
    assert good.fields["title"] == "Serbia official meets Putin"
    assert good.fields["authors"] == [{"family": "Gec", "given": "Jovana"}, {"literal": "Associated Press"}]
    assert good.fields["outlet"] == "AP News" and good.fields["published"] == "2024-09-04"
    assert good.fields["tags"] == ["serbia", "russia"] and good.fields["kind"] == "newspaper"
    assert bad.ref == "record at line 12" and "cannot read date" in bad.error
    assert "no ER at the end" in unended.error


def test_csljson_items_and_bad_items(tmp_path):
    items = [
        {"id": "one", "type": "article-newspaper", "title": "CSL one", "container-title": "The Paper",
         "author": [{"family": "Doe", "given": "Jane"}, {"literal": "Reuters"}],
         "issued": {"date-parts": [[2023, 5, 6]]}, "URL": "https://paper.example/1", "keyword": "a, b"},
        {"id": "two", "type": "article-newspaper", "title": "Bad date", "issued": "last tuesday"},
        "not an object",
        {"id": "three", "type": "webpage", "title": "Page", "issued": {"date-parts": [[2022]]}},
    ]
    p = tmp_path / "a.json"
    p.write_text(json.dumps(items))
    recs = list(csl_source.read(p))
    assert [r.ref for r in recs] == ["item 1 (one)", "item 2 (two)", "item 3", "item 4 (three)"]
    one = recs[0].fields
    assert (one["title"], one["outlet"], one["published"], one["url"], one["tags"]) == (
        "CSL one", "The Paper", "2023-05-06", "https://paper.example/1", ["a", "b"])
    assert one["authors"] == [{"family": "Doe", "given": "Jane"}, {"literal": "Reuters"}]
    assert recs[1].error and recs[2].error and recs[3].error is None
    broken = tmp_path / "b.json"
    broken.write_text('[{"id": "x",')
    (only,) = list(csl_source.read(broken))
    assert "not valid JSON" in only.error


# --------------------------------------------------------------------------- folders

def test_folder_recursive_sorted_and_links_that_leave_are_not_followed(tmp_path):
    top = tmp_path / "pages"
    (top / "b" / "deep").mkdir(parents=True)
    (top / "a.html").write_bytes(page("A"))
    (top / "b" / "deep" / "c.txt").write_text("Title C\n\nBody of C.\n")
    (top / "b" / "note.md").write_text("# Markdown\n\nBody.\n")
    (top / "image.png").write_bytes(b"\x89PNG")
    (top / ".hidden.html").write_bytes(page("hidden"))
    (top / ".git").mkdir()
    (top / ".git" / "x.html").write_bytes(page("git"))
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret\n")
    (top / "leak.txt").symlink_to(outside / "secret.txt")
    (top / "leakdir").symlink_to(outside)  # a linked folder: never descended
    (top / "alias.html").symlink_to(top / "a.html")  # a link that stays inside: read
    recs = list(folder_source.read(top))
    assert [r.ref for r in recs] == ["a.html", "alias.html", "leak.txt", "b/note.md", "b/deep/c.txt"]
    by = {r.ref: r for r in recs}
    assert by["a.html"].data == page("A") and by["a.html"].media_type == "text/html"
    assert by["b/note.md"].media_type == "text/markdown"
    assert by["alias.html"].data == page("A")
    assert by["leak.txt"].error and "leaves the folder" in by["leak.txt"].error and by["leak.txt"].data is None
    assert not any(b"secret" in (r.data or b"") for r in recs)


# --------------------------------------------------------------------------- WARC / ARC

def _http(status: str = "200 OK", ctype: str = "text/html; charset=utf-8"):
    from warcio.statusandheaders import StatusAndHeaders

    return StatusAndHeaders(status, [("Content-Type", ctype)], protocol="HTTP/1.1")


def build_warc(path: Path, *, gz: bool = True) -> dict[str, bytes]:
    """A small WARC: 2 article responses, a text resource, a 404, an image, two revisits."""
    from warcio.warcwriter import WARCWriter

    bodies = {}
    with open(path, "wb") as fh:
        w = WARCWriter(fh, gzip=gz)
        w.write_record(w.create_warcinfo_record(path.name, {"software": "tests"}))
        for i in range(2):
            body = page(f"Story number {i}")
            bodies[f"https://news.example/{i}"] = body
            w.write_record(w.create_warc_record(
                f"https://news.example/{i}", "response", payload=io.BytesIO(body), length=len(body),
                http_headers=_http(), warc_headers_dict={"WARC-Date": f"2024-09-0{i + 5}T10:00:00Z"}))
        text = b"A plain text resource with an article in it.\n"
        bodies["https://news.example/r.txt"] = text
        w.write_record(w.create_warc_record("https://news.example/r.txt", "resource", payload=io.BytesIO(text),
                                            length=len(text), warc_content_type="text/plain",
                                            warc_headers_dict={"WARC-Date": "2024-09-07T00:00:00Z"}))
        for uri, status, ctype in (("https://news.example/gone", "404 Not Found", "text/html"),
                                   ("https://news.example/logo.png", "200 OK", "image/png")):
            w.write_record(w.create_warc_record(uri, "response", payload=io.BytesIO(b"xx"), length=2,
                                                http_headers=_http(status, ctype)))
        for uri in ("https://news.example/0", "https://news.example/never-captured"):
            w.write_record(w.create_revisit_record(uri, digest="sha1:AAAA", refers_to_uri=uri,
                                                   refers_to_date="2024-09-05T10:00:00Z"))
    return bodies


@pytest.mark.parametrize("gz", [True, False])
def test_warc_response_and_resource_records(tmp_path, gz):
    from warcio.archiveiterator import ArchiveIterator

    p = tmp_path / ("w.warc.gz" if gz else "w.warc")
    bodies = build_warc(p, gz=gz)
    recs = list(warc_source.read(p))
    assert all(r.error is None for r in recs)
    # the 404 and the image are passed over, each with its reason (one report line per record)
    assert [r.skipped for r in recs if r.skipped] == ["https://news.example/gone: HTTP 404",
                                                      "https://news.example/logo.png: not an article (image/png)"]
    articles = [r for r in recs if not r.match_only and not r.skipped]
    assert [r.fields["url"] for r in articles] == list(bodies)
    for r in articles:
        assert r.data == bodies[r.fields["url"]]
        assert r.captured_at is not None
        # the original record is kept, exactly one record, as a gzip member
        (orig,) = list(ArchiveIterator(io.BytesIO(r.warc)))
        assert orig.rec_headers.get_header("WARC-Target-URI") == r.fields["url"]
        assert orig.rec_headers.get_header("WARC-Record-ID") == r.ref
    assert articles[0].captured_at.iso() == "2024-09-05T10:00:00+00:00"
    assert articles[0].media_type.startswith("text/html") and articles[2].media_type == "text/plain"
    revisits = [r for r in recs if r.match_only]
    assert [r.fields["url"] for r in revisits] == ["https://news.example/0", "https://news.example/never-captured"]


def test_warc_truncated_keeps_good_records_and_says_where(tmp_path):
    p = tmp_path / "w.warc"
    build_warc(p, gz=False)
    data = p.read_bytes()
    cut = data.index(b"https://news.example/1") + 300  # inside the second response's payload
    clipped = tmp_path / "clipped.warc"
    clipped.write_bytes(data[:cut])
    recs = list(warc_source.read(clipped))
    assert [r.fields.get("url") for r in recs if r.error is None] == ["https://news.example/0"]
    (bad,) = [r for r in recs if r.error]
    assert "truncated" in bad.error and "offset" in bad.error and "https://news.example/1" in bad.error

    gzp = tmp_path / "w.warc.gz"
    build_warc(gzp, gz=True)
    blob = gzp.read_bytes()
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(blob[: len(blob) * 2 // 5])
    recs = list(warc_source.read(cut))
    good = [r for r in recs if r.error is None]
    assert good and good[0].fields["url"] == "https://news.example/0"
    assert recs[-1].error and "offset" in recs[-1].error
    start = int(recs[-1].error.split("offset ")[1].split()[0].rstrip(")"))
    assert 0 < start < len(blob)


def test_warc_payload_digest_checked(tmp_path):
    from warcio.warcwriter import WARCWriter

    body = page("Digest page")
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=False)
    w.write_record(w.create_warc_record("https://d.example/", "response", payload=io.BytesIO(body),
                                        length=len(body), http_headers=_http()))
    good = buf.getvalue()
    # a flipped byte in the payload: the digests no longer match, the record is refused
    corrupt = tmp_path / "corrupt.warc"
    corrupt.write_bytes(good.replace(b"Digest page", b"Digest pagE", 1))
    (rec,) = list(warc_source.read(corrupt))
    assert rec.error and "digest failed" in rec.error
    # a crawler quirk: WARC-Payload-Digest repeats the block digest, which itself checks out
    head = good.split(b"\r\n\r\n")[0].decode()
    fields = dict(line.split(": ", 1) for line in head.split("\r\n")[1:])
    quirk = tmp_path / "quirk.warc"
    quirk.write_bytes(good.replace(fields["WARC-Payload-Digest"].encode(), fields["WARC-Block-Digest"].encode()))
    (rec,) = list(warc_source.read(quirk))
    assert rec.error is None and rec.data == body


def test_arc_records(tmp_path):
    meta = b"1 0 newsarchive-tests\nURL IP-address Archive-date Content-type Archive-length\n"
    http = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"
            b"<html><head><title>Arc page</title></head><body><p>Old format.</p></body></html>")
    p = tmp_path / "old.arc"
    p.write_bytes(b"filedesc://old.arc 0.0.0.0 20240905100000 text/plain %d\n" % len(meta) + meta + b"\n"
                  + b"http://news.example/arc 127.0.0.1 20240905100000 text/html %d\n" % len(http) + http + b"\n")
    (rec,) = list(warc_source.read(p))
    assert rec.fields == {"url": "http://news.example/arc"}
    assert rec.data.startswith(b"<html><head><title>Arc page")
    assert rec.captured_at.iso() == "2024-09-05T10:00:00+00:00"


def test_warc_revisits_resolve_or_are_reported(tmp_path, root):
    p = tmp_path / "w.warc.gz"
    build_warc(p)
    outcomes = list(api.import_file(root, p))
    status = {(o.ref if not o.message or "revisit" not in o.message else o.message.split(",")[0]): o.status
              for o in outcomes}
    created = [o for o in outcomes if o.status == "created"]
    assert len(created) == 3
    revisit_known = next(o for o in outcomes if o.message and o.message.startswith("revisit of https://news.example/0"))
    assert revisit_known.status == "duplicate" and revisit_known.id == created[0].id
    unknown = next(o for o in outcomes if o.message and "never-captured" in o.message)
    assert unknown.status == "skipped" and unknown.id is None
    assert len(status) == 7  # every response, resource and revisit record; not the warcinfo
    assert sorted(status.values()) == ["created"] * 3 + ["duplicate"] + ["skipped"] * 3
    entry = api.get(root, created[0].id)
    assert entry.url == "https://news.example/0" and entry.title == "Story number 0"
    assert entry.snapshot.captured_at.iso() == "2024-09-05T10:00:00+00:00"
    assert entry.snapshot.warc_path and entry.snapshot.sha256 == hashlib.sha256(page("Story number 0")).hexdigest()


# --------------------------------------------------------------------------- URL lists

class _Pages(BaseHTTPRequestHandler):
    hits: list[tuple[str, float]] = []

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        import time

        _Pages.hits.append((self.path, time.monotonic()))
        if self.path.startswith("/missing"):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = page(f"Page at {self.path}")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def http_server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    _Pages.hits = []
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_url_list_fetched_in_order_politely(tmp_path, http_server):
    p = tmp_path / "urls.txt"
    p.write_text(f"# reading list\n{http_server}/a\n\n{http_server}/missing\n{http_server}/b\n{http_server}/c\n")
    recs = list(urls_source.read(p, fetcher=api.fetch, host_delay=0.15))
    assert [r.ref for r in recs] == ["line 2", "line 4", "line 5", "line 6"]
    assert recs[0].data == page("Page at /a") and recs[0].http["final_url"] == f"{http_server}/a" and "url" not in recs[0].fields
    assert recs[0].warc and recs[0].captured_at is not None
    assert recs[1].error and "404" in recs[1].error
    times = sorted(t for _, t in _Pages.hits)
    assert len(times) == 4
    # one host: never two requests closer together than the host delay
    assert all(b - a >= 0.14 for a, b in zip(times, times[1:]))


# --------------------------------------------------------------------------- the pipeline

def test_pipeline_dedup_rules(tmp_path, root):
    same = page("Same bytes")
    records = [
        Record(ref="r1", fields={"url": "https://d.example/a?utm_source=x"}, data=same, source="r1"),
        Record(ref="r2", fields={"url": "https://other.example/"}, data=same, source="r2"),  # same bytes
        Record(ref="r3", fields={"title": "Metadata only", "published": "2024", "authors": ["Jane Doe"],
                                 "url": "https://d.example/meta"}),
        Record(ref="r4", fields={"title": "Metadata only", "published": "2024", "authors": ["Doe, Jane"],
                                 "url": "http://www.d.example/meta/"}),  # the same work, written otherwise
        Record(ref="r5", fields={"url": "http://www.d.example/meta/", "title": "Other title"}),  # not the same
        Record(ref="r6", fields={"url": "https://d.example/a"}, data=page("Same bytes", "Changed body now."),
               source="r6"),
        Record(ref="r7", fields={"url": "https://d.example/a#frag"}, data=page("Same bytes", "Changed body now."),
               source="r7"),
    ]
    outs = list(api.ingest_records(root, records, durable=False))
    got = [(o.ref, o.status) for o in outs]
    assert got == [("r1", "created"), ("r2", "duplicate"), ("r3", "created"), ("r4", "duplicate"),
                   ("r5", "created"), ("r6", "new-version"), ("r7", "duplicate")]
    assert outs[1].id == outs[0].id and outs[3].id == outs[2].id != outs[4].id and outs[5].id == outs[0].id
    assert outs[3].message == f"same title, authors, URL, date 2024 as entry {outs[2].id}"
    e = api.get(root, outs[0].id)
    assert len(e.snapshots) == 2
    # exactly the stored snapshots: no file twice
    assert len(list((root / "archive").glob("*/v*/original.*"))) == 2  # two versions of one entry
    # a changed page without text change: unchanged, not a new version
    again = list(api.ingest_records(root, [Record(ref="r8", fields={"url": "https://d.example/a"},
                                                  data=page("Same bytes", "Changed body now.") + b"<!-- -->",
                                                  source="r8")], durable=False))
    assert again[0].status == "unchanged"


def test_pipeline_batches_and_on_error(tmp_path, root):
    recs = [Record(ref=f"r{n}", fields={"title": f"Story {n}", "published": "2020"}) for n in range(7)]
    recs[3] = Record(ref="r3", error="r3: unreadable")
    outs = list(api.ingest_records(root, iter(recs), batch_size=2, durable=False))
    assert [o.status for o in outs] == ["created"] * 3 + ["failed"] + ["created"] * 3
    assert outs[3].message == "r3: unreadable"
    recs2 = [Record(ref=f"s{n}", fields={"title": f"Other {n}", "published": "2020"}) for n in range(4)]
    recs2[1] = Record(ref="s1", fields={"title": "Bad date", "published": "not a date"})
    outs = list(api.ingest_records(root, iter(recs2), batch_size=10, on_error="stop", durable=False))
    assert [o.status for o in outs] == ["created", "failed"]
    assert api.status(root).entries == 7  # s0 and the six good ones from before


def test_pipeline_outcomes_do_not_pile_up_per_batch(root):
    """The pipeline yields outcomes batch by batch: a consumer that drops them holds nothing."""
    pulled = []

    def source():
        for n in range(25):
            pulled.append(n)
            yield Record(ref=f"r{n}", fields={"title": f"Story {n}", "published": "2020"})

    it = api.ingest_records(root, source(), batch_size=10, durable=False)
    first = next(it)
    assert first.status == "created"
    assert len(pulled) == 10  # only the first batch was read
    rest = list(it)
    assert len(rest) == 24 and len(pulled) == 25
