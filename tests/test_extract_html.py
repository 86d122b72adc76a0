"""Metadata sources and precedence in HTML snapshots (all pages are small hand-written samples)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from newsarchive.errors import ExtractError
from newsarchive.extract import Extraction, extract
from newsarchive.extract.html import clean_title

FIXTURES = Path(__file__).parent / "fixtures" / "html"
BODY = (
    "<p>This is a sample paragraph written for the newsarchive tests. It is long enough to be "
    "taken as article text by the extractor, and it talks about nothing real at all.</p>"
    "<p>A second sample paragraph follows, also invented, so that the page has a body that looks "
    "like an article with more than one paragraph of prose in it.</p>"
)


def page(head: str = "", body: str = "", *, lang: str | None = None) -> bytes:
    lang_attr = f' lang="{lang}"' if lang else ""
    return (f"<!DOCTYPE html><html{lang_attr}><head><meta charset='utf-8'>{head}</head>"
            f"<body><article>{body}{BODY}</article></body></html>").encode("utf-8")


def ld(obj) -> str:
    return f'<script type="application/ld+json">{json.dumps(obj)}</script>'


# --------------------------------------------------------------------------- JSON-LD

def test_jsonld_graph_fixture():
    x = extract((FIXTURES / "sample_jsonld_graph.html").read_bytes(), media_type="text/html",
                url="https://gazette.example/news/bridge?utm=x")
    f, p = x.fields, x.provenance
    assert f["title"] == "Harbour bridge reopens after two years of repairs"
    assert p["title"] == "json-ld"
    assert f["authors"] == [{"family": "Kowalska", "given": "Marta"}, {"family": "Ferreira", "given": "Tomás"}]
    assert p["authors"] == "json-ld"
    assert f["published"] == "2024-09-04T10:32:00+02:00"  # JSON-LD beats article:published_time
    assert f["modified"] == "2024-09-05T07:15:00+02:00"
    assert f["outlet"] == "The Sample Gazette" and p["outlet"] == "og"
    assert f["url"] == "https://gazette.example/2024/09/04/harbour-bridge-reopens"
    assert p["url"] == "canonical"
    assert f["language"] == "en-GB" and p["language"] == "html-lang"
    assert f["section"] == "City"
    assert f["tags"] == ["bridges", "transport", "city council"]
    assert "harbour bridge in\nthe sample town" in x.text.replace("in the", "in\nthe") or "harbour bridge" in x.text
    assert "All rights reserved" not in x.text
    assert x.encoding == "utf-8"


@pytest.mark.parametrize("author, expected", [
    ({"@type": "Person", "name": "Ana Lima"}, [{"family": "Lima", "given": "Ana"}]),
    ([{"@type": "Person", "name": "Ana Lima"}, {"@type": "Person", "name": "Bo Chen"}],
     [{"family": "Lima", "given": "Ana"}, {"family": "Chen", "given": "Bo"}]),
    ("By Ana Lima", [{"family": "Lima", "given": "Ana"}]),
    ({"@type": "Organization", "name": "Sample Wire Service"}, [{"literal": "Sample Wire Service"}]),
    ({"@type": "Person", "givenName": "Ana", "familyName": "Lima"}, [{"family": "Lima", "given": "Ana"}]),
    ({"@type": ["Person", "Organization"], "name": "Ana Lima"}, [{"family": "Lima", "given": "Ana"}]),
    ("https://example.org/staff/ana", None),
])
def test_jsonld_author_shapes(author, expected):
    html = page(ld({"@context": "https://schema.org", "@type": "Article", "headline": "Sample headline",
                    "author": author}))
    assert extract(html).fields.get("authors") == expected


def test_jsonld_list_reportage_and_publisher():
    data = [
        {"@type": "BreadcrumbList", "itemListElement": []},
        {"@type": "ReportageNewsArticle", "headline": "Sample reportage headline",
         "datePublished": "2016-04-17T12:44:58+01:00", "publisher": {"@type": "NewsMediaOrganization", "name": "Sample Broadcaster"},
         "author": {"@type": "NewsMediaOrganization", "name": "Sample Broadcaster"}},
    ]
    x = extract(page(ld(data)))
    assert x.fields["title"] == "Sample reportage headline"
    assert x.fields["published"] == "2016-04-17T12:44:58+01:00"
    assert x.fields["outlet"] == "Sample Broadcaster" and x.provenance["outlet"] == "json-ld"
    assert x.fields["authors"] == [{"literal": "Sample Broadcaster"}]


def test_jsonld_unix_timestamps_and_blogposting():
    x = extract(page(ld({"@type": "BlogPosting", "headline": "Sample post", "datePublished": 1676551869000})))
    assert x.fields["published"] == "2023-02-16T12:51:09+00:00"
    assert x.fields["kind"] == "blog"


def test_jsonld_nested_main_entity_and_broken_json_ignored():
    broken = '<script type="application/ld+json">{"@type": "NewsArticle", "headline": </script>'
    good = ld({"@type": "WebPage", "mainEntity": {"@type": "NewsArticle", "headline": "Nested sample headline",
                                                   "datePublished": "2022-01-02"}})
    x = extract(page(broken + good))
    assert x.fields["title"] == "Nested sample headline"
    assert x.fields["published"] == "2022-01-02"


def test_jsonld_trailing_comma_tolerated():
    raw = '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Comma sample",}</script>'
    assert extract(page(raw)).fields["title"] == "Comma sample"


# --------------------------------------------------------------------------- meta tags

def test_open_graph_and_article_tags():
    head = """
    <meta property="og:title" content="Sample OG title">
    <meta property="og:site_name" content="Sample Daily">
    <meta property="og:url" content="https://daily.example/a/1">
    <meta property="og:locale" content="pt_BR">
    <meta property="article:published_time" content="2021-05-06T09:00:00-03:00">
    <meta property="article:modified_time" content="2021-05-07T10:00:00-03:00">
    <meta property="article:author" content="https://www.facebook.com/someone">
    <meta property="article:author" content="Rita Souza">
    <meta property="article:section" content="Economia">
    <meta property="article:tag" content="inflação">
    <meta property="article:tag" content="juros">
    """
    x = extract(page(head))
    f, p = x.fields, x.provenance
    assert (f["title"], p["title"]) == ("Sample OG title", "og")
    assert (f["outlet"], p["outlet"]) == ("Sample Daily", "og")
    assert (f["url"], p["url"]) == ("https://daily.example/a/1", "og")
    assert (f["language"], p["language"]) == ("pt-BR", "og")
    assert f["published"] == "2021-05-06T09:00:00-03:00" and p["published"] == "og"
    assert f["modified"] == "2021-05-07T10:00:00-03:00" and p["modified"] == "og"
    assert f["authors"] == [{"family": "Souza", "given": "Rita"}]
    assert f["section"] == "Economia" and f["tags"] == ["inflação", "juros"]


def test_citation_tags():
    head = """
    <meta name="citation_title" content="Sample citation title">
    <meta name="citation_author" content="Nakamura, Yui">
    <meta name="citation_author" content="Peter Olsen">
    <meta name="citation_publication_date" content="2020/07/15">
    <meta property="og:title" content="Lower-ranked OG title">
    """
    x = extract(page(head))
    assert x.fields["title"] == "Sample citation title" and x.provenance["title"] == "citation_title"
    assert x.fields["authors"] == [{"family": "Nakamura", "given": "Yui"}, {"family": "Olsen", "given": "Peter"}]
    assert x.provenance["authors"] == "citation_author"
    assert x.fields["published"] == "2020-07-15" and x.provenance["published"] == "citation_publication_date"


def test_dublin_core_fixture():
    x = extract((FIXTURES / "sample_meta_only.html").read_bytes(), url="https://riverside.example/library")
    f, p = x.fields, x.provenance
    assert (f["title"], p["title"]) == ("Council votes on new library", "dc")
    assert f["authors"] == [{"family": "Okafor", "given": "Chidi"}] and p["authors"] == "dc"
    assert (f["published"], p["published"]) == ("2023-03-14", "dc")
    assert (f["language"], p["language"]) == ("fr", "dc")
    assert (f["outlet"], p["outlet"]) == ("Riverside Sample News", "title-tag")  # suffix matches the host
    assert "riverside council voted" in x.text


def test_meta_author_and_parsely():
    head = """<meta name="author" content="By LENA VOSS, Staff Writer">
    <meta name="parsely-page" content='{"title": "Parsely sample", "pub_date": "2014-11-23T16:00:00+04:00", "section": "World"}'>"""
    x = extract(page(head))
    assert x.fields["authors"] == [{"family": "Voss", "given": "Lena"}]
    assert x.provenance["authors"] == "meta:author"
    assert x.fields["published"] == "2014-11-23T16:00:00+04:00"
    assert x.provenance["published"] == "meta:parsely-page"


def test_rnews_and_other_date_meta():
    x = extract(page("<meta property='rnews:datePublished' content='2010-02-22T11:53:04+00:00'>"))
    assert x.fields["published"] == "2010-02-22T11:53:04+00:00"
    x = extract(page("<meta name='OriginalPublicationDate' content='2014-06-30T16:54:02+00:00'>"))
    assert x.fields["published"] == "2014-06-30T16:54:02+00:00"


# --------------------------------------------------------------------------- the visible page

def test_time_element_and_byline():
    body = """<h1>Sample headline in the page</h1>
    <div class="article-byline">By JOVANA GEC Updated 10:32 AM EDT, September 4, 2024</div>
    <time datetime="2024-09-04T10:32:00-04:00" class="published">Sept. 4, 2024</time>"""
    x = extract(page("<title>Sample headline in the page - Sample Wire</title>", body))
    f, p = x.fields, x.provenance
    assert f["authors"] == [{"family": "Gec", "given": "Jovana"}] and p["authors"] == "byline"
    assert f["published"] == "2024-09-04T10:32:00-04:00" and p["published"] == "time"
    assert f["title"] == "Sample headline in the page"


def test_byline_itemprop_names_and_rel_author():
    body = """<span itemprop="author" itemscope><span itemprop="name">KEVIN MARSH</span></span>,
    <span itemprop="author" itemscope><span itemprop="name">ADA NWOSU</span></span>"""
    x = extract(page("", body))
    assert x.fields["authors"] == [{"family": "Marsh", "given": "Kevin"}, {"family": "Nwosu", "given": "Ada"}]
    assert x.provenance["authors"] == "itemprop"
    x = extract(page("", '<p>By <a rel="author" href="/people/x">Ines Duarte</a></p>'))
    assert x.fields["authors"] == [{"family": "Duarte", "given": "Ines"}]


def test_byline_in_comments_ignored():
    body = '<section class="comments"><span class="author">troll99</span><span class="author">Bad Commenter</span></section>'
    assert "authors" not in extract(page("", body)).fields


def test_microdata_date_published():
    body = '<time itemprop="datePublished" datetime="2014-10-09T12:06:16">9 octobre 2014</time>'
    x = extract(page("", body))
    assert x.fields["published"] == "2014-10-09T12:06:16" and x.provenance["published"] == "itemprop"


def test_date_from_url_is_last_resort():
    x = extract(page(""), url="https://news.example/2023/11/06/politics/story/index.html")
    assert x.fields["published"] == "2023-11-06" and x.provenance["published"] == "url"


@pytest.mark.parametrize("raw, sites, expected", [
    ("Harbour bridge reopens | AP News", ["AP News"], "Harbour bridge reopens"),
    ("Harbour bridge reopens - BBC News", ["BBC News"], "Harbour bridge reopens"),
    ("BBC News - Harbour bridge reopens", ["BBC News"], "Harbour bridge reopens"),
    ("Harbour bridge reopens - CNN.com", ["cnn", "cnn.com"], "Harbour bridge reopens"),
    ("Spider-Man returns - a review", [], "Spider-Man returns - a review"),
    ("Sample story » Local » News » Sample Times", ["Sample Times"], "Sample story"),
    ("Covid : le gouvernement annonce un plan", ["Sample Journal"], "Covid : le gouvernement annonce un plan"),
    ("サンプル記事の見出し ：サンプル新聞", ["サンプル新聞"], "サンプル記事の見出し"),
])
def test_title_suffix(raw, sites, expected):
    assert clean_title(raw, sites) == expected


def test_title_tag_without_site_suffix_and_domain_outlet():
    x = extract(page("<title>Storm closes the coast road | Sample Herald</title>"), url="https://www.sampleherald.example/x")
    assert x.fields["title"] == "Storm closes the coast road"
    assert x.provenance["title"] == "title-tag"
    assert x.fields["outlet"] in ("Sample Herald", "sampleherald.example")


def test_canonical_home_page_is_ignored_and_relative_canonical_resolved():
    x = extract(page('<link rel="canonical" href="/">'), url="https://n.example/story/1")
    assert x.fields["url"] == "https://n.example/story/1" and x.provenance["url"] == "given"
    x = extract(page('<link rel="canonical" href="/story/1-clean">'), url="https://n.example/story/1?ref=x")
    assert x.fields["url"] == "https://n.example/story/1-clean" and x.provenance["url"] == "canonical"


def test_html_lang_normalised():
    assert extract(page("", lang="EN_us")).fields["language"] == "en-US"


def test_truncated_jsonld_headline_uses_full_title():
    full = "A sample headline that is long enough to be cut by a publisher's system at some point"
    head = ld({"@type": "NewsArticle", "headline": full[:50] + "…"}) + f'<meta property="og:title" content="{full}">'
    assert extract(page(head)).fields["title"] == full


# --------------------------------------------------------------------------- robustness

def test_empty_and_junk_html_never_crash():
    for data in (b"", b"<html></html>", b"\x00\x01garbage<html", b"<html><body><p>x</body>",
                 "<?xml version='1.0' encoding='utf-8'?><html><head><title>X</title></head></html>".encode()):
        x = extract(data, media_type="text/html")
        assert isinstance(x, Extraction)


def test_binary_media_type_rejected():
    with pytest.raises(ExtractError):
        extract(b"%PDF-1.7", media_type="application/pdf")


def test_sniffs_html_without_media_type():
    x = extract(page("<title>Sniffed sample</title>"))
    assert x.fields["title"] == "Sniffed sample"


def test_import_is_cheap():
    code = ("import sys, newsarchive.extract; "
            "bad = [m for m in ('trafilatura', 'lxml', 'httpx', 'warcio', 'charset_normalizer') if m in sys.modules]; "
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_to_json_shape():
    x = extract((FIXTURES / "sample_jsonld_graph.html").read_bytes())
    data = x.to_json()
    assert set(data) == {"fields", "provenance", "encoding", "text"}
    assert set(data["provenance"]) == set(data["fields"])
    json.dumps(data)
