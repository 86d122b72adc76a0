"""Complete captures: every URL capture's WARC has a warcinfo record saying what shaped it, a
request and a response record per redirect hop with WARC-IP-Address and SHA-256 digests, passes
warcio's own checker, and an https capture keeps the origin's certificate chain beside it.
Pages are served on 127.0.0.1 only (https with a throw-away SAMPLE CA trusted in the test)."""

from __future__ import annotations

import functools
import io
import json
import ssl
import threading
from types import SimpleNamespace

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.checker import Checker

import tsa_server
from newsarchive import api, fixity
from newsarchive import store as st

PAGE = (b"<html><head><title>SAMPLE capture page</title></head><body><article><h1>SAMPLE capture page</h1>"
        b"<p>A sample article body about a sample harbour, written for the capture tests.</p></article></body></html>")


def respond(path):
    if path.startswith("/hop/"):
        n = int(path.rsplit("/", 1)[1])
        return (302, {"Location": f"/hop/{n + 1}" if n < 2 else "/page"}, b"")
    return 200, {"Content-Type": "text/html; charset=utf-8"}, PAGE


def warc_check(path, capsys) -> int:
    capsys.readouterr()
    code = Checker(SimpleNamespace(inputs=[str(path)], verbose=False)).process_all()
    printed = capsys.readouterr().out
    assert code == 0, printed
    return code


def records(path):
    with open(path, "rb") as fh:
        out = []
        for rec in ArchiveIterator(fh):
            out.append((rec.rec_type, dict(rec.rec_headers.headers), rec.content_stream().read()))
        return out


def test_a_capture_with_redirects_is_complete_and_passes_warcio_check(root, cli, serve, capsys):
    base = serve(respond)
    r = cli("add", f"{base}/hop/0", "--format", "json")
    assert r.exit_code == 0, r.output
    entry = api.list_entries(root)[0]
    snap = entry.snapshots[0]
    warc = root / "archive" / entry.id / snap.warc_path
    warc_check(warc, capsys)
    recs = records(warc)
    kinds = [k for k, _h, _b in recs]
    assert kinds == ["warcinfo"] + ["request", "response"] * 4  # three redirect hops and the page
    info = recs[0][2].decode()
    for field in ("software: newsarchive/", "dependencies: python/", "httpx/", "warcio/",
                  "http-header-user-agent: newsarchive/", "capture-option-max-redirects: 5",
                  "redirect-chain: "):
        assert field in info, info
    urls = [h["WARC-Target-URI"] for k, h, _b in recs if k == "response"]
    assert urls == [f"{base}/hop/0", f"{base}/hop/1", f"{base}/hop/2", f"{base}/page"]
    for kind, headers, _body in recs[1:]:
        assert headers["WARC-IP-Address"] == "127.0.0.1"
        assert headers["WARC-Block-Digest"].startswith("sha256:")
        assert headers["WARC-Warcinfo-ID"] == recs[0][1]["WARC-Record-ID"]
        if kind == "response":
            assert headers["WARC-Payload-Digest"].startswith("sha256:")
    assert snap.http["ip"] == "127.0.0.1" and "tls_chain" not in snap.http


@pytest.fixture(scope="module")
def https_site(tmp_path_factory):
    pki = tsa_server.make_tls(tmp_path_factory.mktemp("tls"))

    httpd = tsa_server.page_server(respond)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki / "server.pem", pki / "server.key")
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield SimpleNamespace(url=f"https://127.0.0.1:{httpd.server_address[1]}", pki=pki)
    httpd.shutdown()
    httpd.server_close()


def test_an_https_capture_keeps_the_certificate_chain_beside_it(root, cli, https_site, monkeypatch, capsys):
    trust = ssl.create_default_context(cafile=str(https_site.pki / "tls-ca.crt"))  # the test's CA only
    monkeypatch.setattr(api, "fetch", functools.partial(api.fetch, verify=trust))
    r = cli("add", f"{https_site.url}/hop/1")
    assert r.exit_code == 0, r.output
    entry = api.list_entries(root)[0]
    snap = entry.snapshots[0]
    folder = root / "archive" / entry.id
    assert snap.http["tls_chain"] == "v1/tls-chain.pem"
    pem = (folder / "v1/tls-chain.pem").read_bytes()
    assert pem.count(b"-----BEGIN CERTIFICATE-----") == 2  # the server's certificate and its CA
    assert (https_site.pki / "tls-ca.crt").read_bytes().strip() in pem.replace(b"\r\n", b"\n")
    assert pem.startswith(b"# https://127.0.0.1:")
    assert snap.http["tls_chain_sha256"] == st.sha256_bytes(pem)
    assert st.Store(root).manifest(entry.id)["v1/tls-chain.pem"] == st.sha256_bytes(pem)
    assert snap.http["tls"]["version"].startswith("TLS")
    warc_check(folder / snap.warc_path, capsys)
    # a changed byte in the chain is damage like any stored file
    (folder / "v1/tls-chain.pem").write_bytes(pem.replace(b"MII", b"MIJ", 1))
    _e, problems = fixity.check_entry(st.Store(root), entry.id)
    assert [(p.kind, p.path.rsplit("/", 1)[1]) for p in problems] == [("corrupt", "tls-chain.pem")]


def test_an_untrusted_certificate_is_refused(root, cli, https_site):
    r = cli("add", f"{https_site.url}/page")
    assert r.exit_code == 1 and "certificate" in r.output.lower()
    assert api.list_entries(root) == []


def test_the_operator_is_written_into_warcinfo(serve):
    base = serve(respond)
    page = api.fetch(f"{base}/page", operator="SAMPLE Operator <desk@example.org>")
    first = next(iter(ArchiveIterator(io.BytesIO(page.warc))))
    assert first.rec_type == "warcinfo"
    assert b"operator: SAMPLE Operator <desk@example.org>" in first.content_stream().read()
    assert json.dumps(page.http)  # the summary stays JSON
