"""newsarchive serve without a browser: pages, headers, escaping, path tricks (Starlette's
TestClient). tests/test_web_browser.py drives the same app in Chromium."""

from __future__ import annotations

import json
import re
import socket

import pytest
from starlette.testclient import TestClient

from newsarchive import api
from newsarchive.web import create_app
from newsarchive.web.app import REPLAY_CSP, snippet_markup, web_href
from newsarchive.web.server import bind, is_loopback

import webfixtures


@pytest.fixture
def sample(root, serve):
    return webfixtures.build(root, serve)


@pytest.fixture
def client(sample):
    with TestClient(create_app(sample.root), base_url="http://127.0.0.1:8765") as c:
        yield c


def test_search_page_lists_hits_with_snippets_facets_and_dates(client, sample):
    r = client.get("/search", params={"q": "bridge"})
    assert r.status_code == 200
    assert f'href="/entries/{sample.bridge}"' in r.text
    assert "SAMPLE: Belgrade council approves bridge budget" in r.text
    assert "<mark>" in r.text  # the match in the snippet
    assert "2024-09-04" in r.text  # the publication date
    facet = re.search(r'<section class="facet" id="facet-outlet">.*?</section>', r.text, re.S).group()
    assert "Sample Courier" in facet and "Sample Herald" in facet
    link = re.search(r'<a href="([^"]+)">Sample Courier</a>', facet).group(1)
    narrowed = client.get(link.replace("&amp;", "&"))
    assert narrowed.status_code == 200
    assert sample.hostile in narrowed.text and sample.bridge not in narrowed.text


def test_home_page_browses_everything_newest_first_and_pages(client, sample):
    r = client.get("/")
    assert r.status_code == 200 and "4 matches" in r.text
    ids = re.findall(r'<a class="title" href="/entries/([a-z0-9]+)"', r.text)
    assert ids[0] == sample.bridge and ids[-1] == sample.courier[0]  # -published: 2024-09 first, 2023-03 last
    first = client.get("/search", params={"q": "", "n": "2"})
    assert 'rel="next"' in first.text and 'rel="prev"' not in first.text
    second = client.get("/search", params={"q": "", "n": "2", "page": "2"})
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text
    shown = re.findall(r'href="/entries/([a-z0-9]+)"', first.text + second.text)
    assert sorted(set(shown)) == sorted([sample.bridge, sample.hostile, *sample.courier])


def test_search_sort_oldest_first(client, sample):
    r = client.get("/search", params={"q": "", "sort": "published"})
    ids = re.findall(r'<a class="title" href="/entries/([a-z0-9]+)"', r.text)
    assert ids[0] == sample.courier[0] and ids[-1] == sample.bridge


def test_query_error_is_shown_with_the_caret_like_the_cli(client):
    r = client.get("/search", params={"q": 'title:"unclosed'})
    assert r.status_code == 400
    caret = re.search(r'<pre class="caret">(.*?)</pre>', r.text, re.S).group(1)
    query_line, marker = caret.split("\n")
    assert query_line == "title:&#34;unclosed"
    assert marker.strip() == "^"


def test_entry_page_has_metadata_citations_hashes_and_history(client, sample):
    entry = api.get(sample.root, sample.bridge)
    r = client.get(f"/entries/{sample.bridge}")
    assert r.status_code == 200
    for style in ("apa", "mla", "chicago", "bibtex", "biblatex", "csl-json", "ris"):
        assert f'id="citation-{style}"' in r.text
    apa = api.cite(sample.root, [sample.bridge], style="apa").strip()
    assert apa.replace("&", "&amp;") in r.text  # the library's citation, not a second one
    for s in entry.snapshots:
        assert s.sha256 in r.text and s.warc_sha256 in r.text
    assert "Not checked in this view" in r.text
    assert "extracted" in r.text  # provenance of the extracted title
    assert f"/entries/{sample.bridge}/diff?old=1&amp;new=2" in r.text
    assert f"/entries/{sample.bridge}/versions/2/warc" in r.text


def test_entry_resolves_prefix_and_citekey_like_the_cli(client, sample):
    entry = api.get(sample.root, sample.bridge)
    by_prefix = client.get(f"/entries/{sample.bridge[:5]}")
    by_key = client.get(f"/entries/{entry.citekey}")
    assert by_prefix.status_code == by_key.status_code == 200
    assert sample.bridge in by_prefix.text and sample.bridge in by_key.text
    assert client.get("/entries/nosuchentry").status_code == 404


def test_ambiguous_prefix_lists_the_candidates(root, client, sample):
    ids = [sample.bridge, sample.hostile, *sample.courier]
    n = 0
    while len({i[0] for i in ids}) == len(ids):  # add entries until two IDs share a first character
        ids.append(api.add(root, data=None, source=None, fields={"title": f"SAMPLE filler {n}"}).entry.id)
        n += 1
    first = next(c for c in {i[0] for i in ids} if sum(i.startswith(c) for i in ids) > 1)
    r = client.get(f"/entries/{first}")
    assert r.status_code == 300
    listed = re.findall(r'<a href="/entries/([a-z0-9]+)">', r.text)
    assert sorted(listed) == sorted(i for i in ids if i.startswith(first))


def test_verify_on_request_and_damage_shown(client, sample):
    ok = client.get(f"/entries/{sample.bridge}", params={"verify": "1"})
    assert 'id="verify-result"' in ok.text and "Verified" in ok.text
    entry = api.get(sample.root, sample.bridge)
    path = api.open_store(sample.root).file_path(entry.id, entry.snapshots[0].path)
    path.write_bytes(path.read_bytes().replace(b"Belgrade", b"Zagreb!!"))
    bad = client.get(f"/entries/{sample.bridge}", params={"verify": "1"})
    assert "Damaged" in bad.text and "corrupt" in bad.text
    assert bad.text.count("Left out:") == 7  # a damaged entry is not cited, as `cite` does
    served = client.get(f"/entries/{sample.bridge}/versions/1/archived")
    assert served.status_code == 409 and "Zagreb" not in served.text  # never served as the capture
    assert client.get(f"/entries/{sample.bridge}/versions/2/archived").status_code == 200


def test_diff_page_shows_word_changes(client, sample):
    r = client.get(f"/entries/{sample.bridge}/diff", params={"old": "1", "new": "2"})
    assert r.status_code == 200
    d = api.diff(sample.root, sample.bridge, from_version=1, to_version=2)
    assert f"{d['words']['deleted']} words deleted, {d['words']['inserted']} inserted" in r.text
    assert "<del>evening.</del> <ins>night.</ins>" in r.text
    assert "<del>2026,</del> <ins>2027,</ins>" in r.text
    assert re.search(r"<ins>[^<]*larger", r.text)
    assert client.get(f"/entries/{sample.bridge}/diff", params={"old": "1", "new": "9"}).status_code == 400
    assert client.get(f"/entries/{sample.bridge}/diff", params={"old": "x"}).status_code == 400


def test_archived_html_is_sandboxed_and_never_inline(client, sample):
    r = client.get(f"/entries/{sample.bridge}/versions/1/archived")
    assert r.status_code == 200
    csp = [d.strip() for d in r.headers["content-security-policy"].split(";")]
    assert "sandbox" in csp  # no allow-scripts, no allow-same-origin
    assert "allow-scripts" not in r.headers["content-security-policy"]
    assert "allow-same-origin" not in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-type"].startswith("text/html")
    assert r.content == api.open_store(sample.root).read_file(sample.bridge, api.get(sample.root, sample.bridge).snapshots[0].path)
    page = client.get(f"/entries/{sample.bridge}")
    assert "data-replay-script" not in page.text and "<iframe" not in page.text


def test_warc_download_is_the_recorded_bytes(client, sample):
    entry = api.get(sample.root, sample.bridge)
    r = client.get(f"/entries/{sample.bridge}/versions/2/warc")
    assert r.status_code == 200
    assert r.headers["content-disposition"].startswith("attachment;")
    assert r.content == api.open_store(sample.root).read_file(entry.id, entry.snapshots[1].warc_path)
    assert client.get(f"/entries/{sample.hostile}/versions/1/warc").status_code == 404  # not fetched: no WARC


def test_wacz_download_is_the_exporters_wacz_of_every_version(client, sample, tmp_path, monkeypatch):
    import hashlib
    import io
    import tempfile
    import zipfile

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where the app builds the download

    page = client.get(f"/entries/{sample.bridge}")
    assert f'href="/entries/{sample.bridge}/wacz"' in page.text
    assert "/wacz" not in client.get(f"/entries/{sample.hostile}").text  # not fetched: no link
    r = client.get(f"/entries/{sample.bridge}/wacz")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/wacz"
    assert r.headers["content-disposition"] == f'attachment; filename="{sample.bridge}.wacz"'
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        assert zf.testzip() is None
        names = set(zf.namelist())
        package = json.loads(zf.read("datapackage.json"))
        listed = {res["path"]: res for res in package["resources"]}
        assert listed and set(listed) <= names
        for path, res in listed.items():
            data = zf.read(path)
            assert res["hash"] == "sha256:" + hashlib.sha256(data).hexdigest() and res["bytes"] == len(data)
        digest = json.loads(zf.read("datapackage-digest.json"))
        assert digest["hash"] == "sha256:" + hashlib.sha256(zf.read("datapackage.json")).hexdigest()
        pages = [json.loads(line) for line in zf.read("pages/pages.jsonl").decode().splitlines()[1:]]
        assert [p["newsarchive_version"] for p in pages] == [1, 2]
        entry = api.get(sample.root, sample.bridge)
        store = api.open_store(sample.root)
        for n, snap in enumerate(entry.snapshots, 1):  # the WARCs exactly as stored
            assert zf.read(f"archive/{entry.id}-v{n}.warc.gz") == store.read_file(entry.id, snap.warc_path)
    # the same bytes as `export --to wacz --id ID`, apart from the creation times
    out = tmp_path / "cli.wacz"
    assert api.export(sample.root, to="wacz", out=out, ids=[sample.bridge]) == 1
    with zipfile.ZipFile(out) as cli_zip, zipfile.ZipFile(io.BytesIO(r.content)) as web_zip:
        assert cli_zip.namelist() == web_zip.namelist()
        for name in cli_zip.namelist():
            if name not in ("datapackage.json", "datapackage-digest.json"):
                assert cli_zip.read(name) == web_zip.read(name), name
    assert client.get(f"/entries/{sample.hostile}/wacz").status_code == 404
    assert client.get("/entries/nosuchentry/wacz").status_code == 404
    assert list(scratch.iterdir()) == []  # the temporary WACZ is removed once sent


def test_wacz_download_of_a_damaged_entry_is_refused_naming_the_damage(client, sample, tmp_path, monkeypatch):
    import tempfile

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    entry = api.get(sample.root, sample.bridge)
    path = api.open_store(sample.root).file_path(entry.id, entry.snapshots[1].warc_path)
    path.write_bytes(path.read_bytes()[:-10])
    r = client.get(f"/entries/{sample.bridge}/wacz")
    assert r.status_code == 409
    assert "Damaged" in r.text and entry.snapshots[1].warc_path.split("/")[-1] in r.text
    assert r.headers["content-type"].startswith("text/html") and "content-disposition" not in r.headers
    assert list(scratch.iterdir()) == []


def test_text_view_is_escaped(client, sample):
    r = client.get(f"/entries/{sample.bridge}/versions/1/text")
    assert r.status_code == 200 and "city council of Belgrade" in r.text


def test_app_pages_send_a_strict_csp(client):
    for path in ("/", "/search?q=bridge", "/static/style.css", "/nothing-here"):
        r = client.get(path)
        csp = r.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp and "'unsafe-inline'" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"


def test_hostile_title_is_text_everywhere(client, sample):
    for path in (f"/entries/{sample.hostile}", "/search?q=tender", "/"):
        r = client.get(path)
        assert "<img src=x" not in r.text, path
        assert "&lt;img src=x onerror=alert(1)&gt;" in r.text, path


def test_hostile_query_is_escaped(client):
    r = client.get("/search", params={"q": '"><script>alert(1)</script>'})
    assert "<script>alert(1)" not in r.text
    assert '"><script>' not in r.text


def test_a_javascript_url_never_becomes_a_link(client, sample):
    """The library refuses such URLs on input; an entry.json edited by hand may still hold one."""
    store = api.open_store(sample.root)
    path = store.entry_dir(sample.hostile) / "entry.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["url"] = "javascript:alert(document.domain)"
    data["archived_url"] = "JaVaScRiPt:alert(1)"
    path.write_text(json.dumps(data), encoding="utf-8")
    r = client.get(f"/entries/{sample.hostile}")
    assert r.status_code == 200
    assert "javascript:alert(document.domain)" in r.text  # shown as text
    assert not re.search(r'href="\s*javascript:', r.text, re.I)


def test_web_href_and_snippet_helpers():
    assert web_href("https://example.org/a?b=c") == "https://example.org/a?b=c"
    for bad in ("javascript:alert(1)", " javascript:alert(1)", "java\nscript:alert(1)", "data:text/html,x",
                "vbscript:x", "//evil.example", "http:/no-host", None, 42):
        assert web_href(bad) is None, bad
    assert str(snippet_markup("a &lt;img&gt; <b>bridge</b>")) == "a &lt;img&gt; <mark>bridge</mark>"
    assert "<script>" not in str(snippet_markup("<script>x</script> <b><i>y</i></b>"))


@pytest.mark.parametrize("path", [
    "/entries/..%2f..%2fentry.json",
    "/entries/..%2F..%2Fetc%2Fpasswd",
    "/entries/%2e%2e",
    "/entries/%2E%2E%2Farchive",
    "/entries/%2e%2e%5c%2e%2e",
    "/entries/%2fetc%2fpasswd/versions/1/archived",
    "/entries/x%00y",
    "/static/..%2f..%2fapp.py",
    "/static/%2e%2e/app.py",
    "/static/%2e%2e%2f%2e%2e%2fstore.py",
    "/entries/{bridge}/versions/..%2f1/archived",
    "/entries/{bridge}/versions/0/archived",
    "/entries/{bridge}/versions/3/archived",
    "/entries/{bridge}/versions/-1/archived",
    "/entries/{bridge}/versions/1%2f..%2f..%2fentry.json/archived",
])
def test_path_tricks_are_refused(client, sample, path):
    r = client.get(path.format(bridge=sample.bridge))
    assert r.status_code in (400, 404), (path, r.status_code)
    assert "root:" not in r.text and '"citekey"' not in r.text and "import " not in r.text


def test_raw_request_paths_are_refused(sample):
    """The same tricks sent as raw bytes (no client-side normalisation) to a real server."""
    import http.client
    import threading

    import uvicorn

    sock = bind("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(create_app(sample.root), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        port = sock.getsockname()[1]
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                import time

                time.sleep(0.05)
        for raw in ("/entries/../archive", "/static/../app.py", "/static/../../store.py", "/entries/%2e%2e%2f",
                    f"/entries/{sample.bridge}/../../entry.json"):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.putrequest("GET", raw, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", f"127.0.0.1:{port}")
            conn.endheaders()
            resp = conn.getresponse()
            body = resp.read()
            conn.close()
            assert resp.status in (400, 404), (raw, resp.status)
            assert b'"citekey"' not in body and b"import " not in body
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/", headers={"Host": "attacker.example"})  # DNS rebinding
        assert conn.getresponse().status == 400
        conn.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def test_only_get_is_served(client):
    assert client.post("/search", data={"q": "x"}).status_code in (404, 405)


def test_other_host_headers_are_refused_by_default(sample):
    with TestClient(create_app(sample.root), base_url="http://evil.example") as c:
        assert c.get("/").status_code == 400
    with TestClient(create_app(sample.root), base_url="http://localhost:8765") as c:
        assert c.get("/").status_code == 200


def test_loopback_detection_and_binding():
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1") and is_loopback("[::1]")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10") and not is_loopback("example.org")
    sock = bind("127.0.0.1", 0)
    try:
        assert sock.getsockname()[0] == "127.0.0.1"
    finally:
        sock.close()


def test_serve_command_binds_loopback_by_default_and_warns_otherwise(root, monkeypatch):
    """The command, with uvicorn's run replaced: what it binds and what it prints."""
    from typer.testing import CliRunner

    from newsarchive.cli import app
    from newsarchive.web import server

    bound = []

    def fake_run(self, sockets=None):
        bound.append(sockets[0].getsockname())

    monkeypatch.setattr("uvicorn.Server.run", fake_run)
    runner = CliRunner()
    r = runner.invoke(app, ["--root", str(root), "serve", "--port", "0"])
    assert r.exit_code == 0, r.output
    assert bound[0][0] == "127.0.0.1"
    assert re.search(rf"http://127\.0\.0\.1:{bound[0][1]}/", r.stdout)
    assert "warning" not in r.output
    r = runner.invoke(app, ["--root", str(root), "serve", "--port", "0", "--host", "0.0.0.0"])
    assert r.exit_code == 0
    assert bound[1][0] == "0.0.0.0"
    assert "warning: serving on 0.0.0.0" in r.stderr
    assert server.DEFAULT_HOST == "127.0.0.1"
    r = runner.invoke(app, ["--root", str(root), "serve", "--host", "no-such-host.invalid"])
    assert r.exit_code == 2 and "Error: --host" in r.stderr


def test_other_commands_do_not_import_the_web_stack():
    """The CLI registers `serve` without importing Starlette, Jinja2 or uvicorn (start-up)."""
    import subprocess
    import sys

    code = ("import sys; from newsarchive.cli import app; "
            "print(','.join(m for m in ('starlette', 'jinja2', 'uvicorn', 'newsarchive.web') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_entry_page_shows_a_trusted_timestamp(root, cli, tsa):
    """A capture stamped by an RFC 3161 TSA (the local one of tests/conftest.py): its time, the
    TSA and the token file are on the entry page, and Verify checks the token."""
    entry = api.add(root, data=b"SAMPLE: stamped\n\nA sample text about a stamped capture.\n", source="s.txt",
                    fields={"url": "https://stamp.example/web"}).entry
    r = cli("timestamp", entry.id, "--tsa", tsa.url, "--tsa-ca", tsa.ca)
    assert r.exit_code == 0, r.output
    stamp = dict(api.get(root, entry.id).snapshots[0].timestamp)
    with TestClient(create_app(root), base_url="http://127.0.0.1") as c:
        page = c.get(f"/entries/{entry.id}").text
        row = re.search(r"<th scope=\"row\">trusted timestamp</th><td>(.*?)</td>", page, re.S).group(1)
        assert stamp["time"] in row and stamp["token"] in row and tsa.url in row
        assert "Verified" in c.get(f"/entries/{entry.id}", params={"verify": "1"}).text
