"""Capture through the CLI: HTML files, user overrides and provenance, extract, URLs and their errors."""

import json

import pytest

HTML = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>SAMPLE headline about a forum in the east | Sample Times</title>
<meta property="og:site_name" content="Sample Times">
<meta name="author" content="Mara Petrović">
<meta property="article:published_time" content="2024-09-04T10:32:00-04:00">
<meta property="article:modified_time" content="2024-09-05T08:00:00-04:00">
</head><body><article><h1>SAMPLE headline about a forum in the east</h1>
<p class="byline">By MARA PETROVIĆ Updated 8:00 AM EDT, September 5, 2024</p>
<p>Sample paragraph written for the newsarchive tests about a meeting at an economic forum.</p>
<p>A second sample paragraph mentions sanctions and the alliance question.</p>
</article></body></html>"""


@pytest.fixture
def page(tmp_path):
    p = tmp_path / "saved-page.html"
    p.write_text(HTML, encoding="utf-8")
    return p


def test_add_html_takes_metadata_from_the_page(cli, root, page):
    r = cli("add", page, "--format", "json")
    entry = json.loads(r.stdout)["entry"]
    assert entry["title"] == "SAMPLE headline about a forum in the east"
    assert entry["authors"] == [{"family": "Petrović", "given": "Mara"}]
    assert entry["outlet"] == "Sample Times"
    assert entry["published"] == "2024-09-04T10:32:00-04:00"
    assert entry["modified"] == "2024-09-05T08:00:00-04:00"
    assert entry["language"] == "en"
    assert entry["provenance"]["outlet"] == "extracted:og"
    stored = root / "archive" / entry["id"] / entry["snapshots"][0]["path"]
    assert stored.read_bytes() == page.read_bytes()  # byte for byte
    text = (root / "archive" / entry["id"] / entry["snapshots"][0]["text_path"]).read_text()
    assert "economic forum" in text and "<p>" not in text


def test_user_values_win_and_provenance_says_so(cli, page):
    r = cli("add", page, "--author", "Jovana Gec", "--outlet", "AP News", "--format", "json")
    entry = json.loads(r.stdout)["entry"]
    assert entry["authors"] == [{"family": "Gec", "given": "Jovana"}]
    assert entry["outlet"] == "AP News"
    assert entry["provenance"]["authors"] == "user"
    assert entry["provenance"]["title"].startswith("extracted:")
    out = cli("show", entry["id"], "--provenance").stdout
    assert "Gec, Jovana   (user)" in out
    assert "(extracted:" in out


def test_extract_shows_without_archiving(cli, root, page):
    r = cli("extract", page, "--format", "json", "--text")
    data = json.loads(r.stdout)
    assert data["fields"]["title"] == "SAMPLE headline about a forum in the east"
    assert data["provenance"]["title"]
    assert "second sample paragraph" in data["text"]
    assert [p for p in (root / "archive").iterdir() if not p.name.startswith(".")] == []
    r = cli("extract", page)
    assert "Sample Times" in r.stdout


def test_add_seed_like_text_file(cli, sample_file):
    entry = json.loads(cli("add", sample_file, "--format", "json").stdout)["entry"]
    assert entry["title"].startswith("SAMPLE: Test official meets minister")
    assert entry["section"] == "News"


class Server:
    def __init__(self, base):
        self.base = base


@pytest.fixture
def server(serve):
    routes = {
        "/article": (200, {"Content-Type": "text/html; charset=utf-8"}, HTML.encode()),
        "/moved": (301, {"Location": "/article"}, b""),
        "/image": (200, {"Content-Type": "image/png"}, b"\x89PNG\r\n"),
        "/broken": (500, {"Content-Type": "text/html"}, b"oops"),
    }
    return Server(serve(lambda path: routes.get(path, (404, {}, b"not here"))))


def test_add_url_records_the_fetch(cli, root, server):
    r = cli("add", server.base + "/moved", "--format", "json")
    assert r.exit_code == 0, r.output
    entry = json.loads(r.stdout)["entry"]
    snap = entry["snapshots"][0]
    assert snap["http"]["final_url"] == server.base + "/article"
    assert snap["http"]["status"] == 200
    assert entry["url"] == server.base + "/article"
    assert snap["warc_path"] and (root / "archive" / entry["id"] / snap["warc_path"]).is_file()
    assert entry["title"] == "SAMPLE headline about a forum in the east"


@pytest.mark.parametrize("path,message", [
    ("/missing", "404"),
    ("/broken", "500"),
    ("/image", "image/png"),
])
def test_add_url_errors_change_nothing(cli, root, server, path, message):
    r = cli("add", server.base + path)
    assert r.exit_code != 0 and message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert [p for p in (root / "archive").iterdir() if not p.name.startswith(".")] == []


def test_add_url_unreachable(cli, root):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    r = cli("add", f"http://127.0.0.1:{port}/x")
    assert r.exit_code != 0 and "Error:" in r.stderr
    r = cli("add", "ftp://example.org/x")
    assert r.exit_code == 2 and "only http and https" in r.stderr
