"""One URL module: tracking parameters, dedup keys, search form, canonical URL of a fetched page.

The pages served here are samples written for these tests."""

import json

import pytest

from newsarchive import api, urls


@pytest.mark.parametrize("given,cited", [
    ("https://news.example/story.html?utm_source=twitter&fbclid=abc", "https://news.example/story.html"),
    ("https://news.example/story.html?utm_medium=email&utm_campaign=x#top", "https://news.example/story.html#top"),
    ("https://news.example/?p=42&utm_source=rss", "https://news.example/?p=42"),
    ("https://news.example/a?id=123&gclid=zz&page=2", "https://news.example/a?id=123&page=2"),
    ("https://news.example/a?ID=7&MSCLKID=1&mc_cid=2&mc_eid=3&_ga=4&igshid=5", "https://news.example/a?ID=7"),
    ("https://news.example/a?yclid=1&dclid=2&ref_src=twsrc", "https://news.example/a"),
    ("https://news.example/a?q=b&ref=homepage", "https://news.example/a?q=b&ref=homepage"),  # ref may be content
    ("https://news.example/a", "https://news.example/a"),
    ("https://news.example/a?", "https://news.example/a"),
    ("https://news.example/a?x=1&&utm_term=y", "https://news.example/a?x=1"),
])
def test_cited_url_drops_only_tracking(given, cited):
    assert urls.cited_url(given) == cited


def test_keys_and_search_forms_agree():
    a = "https://www.News.example/Story/?utm_source=x#frag"
    b = "http://news.example/Story"
    assert urls.url_key(a) == urls.url_key(b) == "news.example/story"
    assert urls.search_form(a) == urls.search_form(b) == "news.example/Story"
    assert urls.url_key("https://dx.doi.org/10.1/X") == urls.url_key("https://doi.org/10.1/x")
    assert urls.url_key("https://news.example/a?id=1") != urls.url_key("https://news.example/a?id=2")
    assert urls.url_key("") is None and urls.url_key(None) is None


@pytest.mark.parametrize("url,site", [
    ("https://www.bbc.co.uk/news/x", "bbc.co.uk"),
    ("https://edition.cnn.com/x", "cnn.com"),
    ("https://apnews.com/article/x", "apnews.com"),
    ("http://127.0.0.1:8000/x", "127.0.0.1"),
    ("https://www.abc.net.au/news", "abc.net.au"),
])
def test_site(url, site):
    assert urls.site(url) == site


@pytest.mark.parametrize("fetched,declared,want,why", [
    ("https://m.news.example/s?utm_source=t", "https://www.news.example/s", "https://www.news.example/s", "canonical"),
    ("https://news.example/s?fbclid=1", "https://news.example/s?utm_medium=x", "https://news.example/s", "canonical"),
    ("https://news.example/s", "https://elsewhere.example/s", "https://news.example/s", "fetched"),
    ("https://news.example/s", "https://news.example/", "https://news.example/s", "fetched"),  # home page
    ("https://news.example/s", "/relative/s", "https://news.example/s", "fetched"),
    ("https://news.example/s", "javascript:void(0)", "https://news.example/s", "fetched"),
    ("https://news.example/s?gclid=1", None, "https://news.example/s", "fetched"),
])
def test_choose_cited_url(fetched, declared, want, why):
    assert urls.choose_cited_url(fetched, declared) == (want, why)


PAGE = """<!doctype html><html lang="en"><head><title>SAMPLE story about a harbour</title>
<link rel="canonical" href="{canonical}">
<meta property="og:url" content="{canonical}"></head>
<body><article><h1>SAMPLE story about a harbour</h1><p>{body}</p></article></body></html>"""


def test_add_url_cites_the_canonical_url_and_keeps_the_fetch(cli, serve):
    body = "The harbour reopened on Tuesday after a week of repairs, officials said. " * 5

    def respond(path):
        return 200, {"Content-Type": "text/html; charset=utf-8"}, PAGE.format(
            canonical=f"{base}/story.html", body=body).encode()

    base = serve(respond)
    typed = f"{base}/story.html?utm_source=twitter&fbclid=abc"
    r = cli("add", typed, "--format", "json")
    assert r.exit_code == 0, r.output
    entry = json.loads(r.stdout)["entry"]
    assert entry["url"] == f"{base}/story.html"
    assert entry["provenance"]["url"] == "extracted:canonical"
    assert entry["snapshots"][0]["http"]["requested_url"] == typed
    # the same story reached with other tracking parameters is the same entry
    r = cli("add", f"{base}/story.html?utm_medium=email", "--format", "json")
    assert json.loads(r.stdout)["status"] in ("duplicate", "unchanged")


def test_typed_url_is_cited_without_tracking_and_kept_in_provenance(cli, sample_file):
    typed = "https://news.example/a?id=9&utm_source=newsletter&mc_eid=1"
    r = cli("add", sample_file, "--url", typed, "--format", "json")
    assert r.exit_code == 0, r.output
    entry = json.loads(r.stdout)["entry"]
    assert entry["url"] == "https://news.example/a?id=9"
    assert entry["provenance"]["url"] == "user" and entry["provenance"]["url_given"] == typed
    r = cli("show", entry["id"], "--provenance")
    assert f"given as {typed}" in r.stdout


def test_index_and_catalog_use_the_same_module(root, sample_file):
    out = api.add(root, data=sample_file.read_bytes(), source="s.txt",
                  fields={"url": "https://www.news.example/Story/"})
    hits = api.search(root, "url:http://news.example/Story?utm_source=x")
    assert [h.id for h in hits.hits] == [out.id]


def test_url_list_import_cites_canonical_or_final_url(root, serve, tmp_path):
    body = "The harbour reopened on Tuesday after a week of repairs, officials said. " * 5
    def respond(path):
        if path.startswith("/other"):  # declares a canonical URL on another site: not taken
            html = PAGE.format(canonical="https://elsewhere.example/story", body=body + " other")
        else:
            html = PAGE.format(canonical=f"{base}/story.html", body=body)
        return 200, {"Content-Type": "text/html; charset=utf-8"}, html.encode()

    base = serve(respond)
    lst = tmp_path / "urls.txt"
    lst.write_text(f"{base}/story.html?utm_source=rss\n{base}/other?id=5&fbclid=x\n", encoding="utf-8")
    outcomes = list(api.import_file(root, lst, host_delay=0))
    assert [o.status for o in outcomes] == ["created", "created"]
    entries = {e.id: e for e in api.select(root, None)}
    first, second = entries[outcomes[0].id], entries[outcomes[1].id]
    assert first.url == f"{base}/story.html" and first.provenance["url"] == "extracted:canonical"
    assert second.url == f"{base}/other?id=5" and second.provenance["url"] == "fetched"
    assert second.snapshot.http["requested_url"] == f"{base}/other?id=5&fbclid=x"
