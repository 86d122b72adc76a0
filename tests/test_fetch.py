"""Fetching against a local HTTP server on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import gzip
import io
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from warcio.archiveiterator import ArchiveIterator

from newsarchive.errors import FetchError
from newsarchive.extract import extract
from newsarchive.extract.fetch import USER_AGENT, fetch, warc_bytes

ARTICLE = (
    b"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
    b"<title>Sample fetched story | Local Sample Post</title>"
    b"<meta property='og:site_name' content='Local Sample Post'>"
    b"<meta property='article:published_time' content='2024-09-04T10:32:00+02:00'></head>"
    b"<body><article><h1>Sample fetched story</h1><p>This sample page is served by the test suite "
    b"from a local server and is not a real article.</p><p>A second invented paragraph.</p>"
    b"</article></body></html>"
)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test output quiet
        pass

    def _send(self, status, body=b"", ctype="text/html; charset=utf-8", headers=()):
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in headers:
            self.send_header(k, v)
        if not any(k.lower() == "content-length" for k, _ in headers):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 - http.server API
        path = self.path.split("?")[0]
        if path == "/article":
            self.server.seen_agents.append(self.headers.get("User-Agent"))
            self._send(200, ARTICLE)
        elif path == "/redirect":
            self._send(302, b"moved", headers=[("Location", "/hop")])
        elif path == "/hop":
            self._send(301, b"", headers=[("Location", "/article")])
        elif path == "/loop":
            self._send(302, b"", headers=[("Location", "/loop2")])
        elif path == "/loop2":
            self._send(302, b"", headers=[("Location", "/loop")])
        elif path.startswith("/chain/"):
            n = int(path.rsplit("/", 1)[1])
            self._send(302, b"", headers=[("Location", f"/chain/{n + 1}")])
        elif path == "/to-ftp":
            self._send(302, b"", headers=[("Location", "ftp://127.0.0.1/x")])
        elif path == "/missing":
            self._send(404, b"<h1>Not here</h1>")
        elif path == "/broken":
            self._send(500, b"oops")
        elif path == "/unavailable":
            self._send(503, b"later")
        elif path == "/slow":
            time.sleep(1.5)
            self._send(200, ARTICLE)
        elif path == "/big":
            self._send(200, b"<html><body>" + b"x" * 300_000 + b"</body></html>")
        elif path == "/big-chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"y" * 50_000
            try:
                for _ in range(20):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif path == "/pdf":
            self._send(200, b"%PDF-1.7 sample", ctype="application/pdf")
        elif path == "/text":
            self._send(200, b"World\n\nA sample plain title\n\nBody.\n\nShare\n", ctype="text/plain; charset=utf-8")
        elif path == "/gzip":
            self._send(200, gzip.compress(ARTICLE), headers=[("Content-Encoding", "gzip")])
        elif path == "/cp1251":
            body = "<html><head><title>Пример заголовка</title></head><body><p>Текст.</p></body></html>".encode("cp1251")
            self._send(200, body, ctype="text/html; charset=windows-1251")
        else:
            self._send(404, b"")


def read_warc(data: bytes):
    """(record, decoded content, raw payload) for each record; streams are read while iterating."""
    out = []
    for rec in ArchiveIterator(io.BytesIO(data)):
        raw = rec.raw_stream.read() if rec.rec_type == "response" else b""
        out.append((rec, None, raw))
    decoded = []
    for (rec, _, raw), rec2 in zip(out, ArchiveIterator(io.BytesIO(data))):
        decoded.append((rec, rec2.content_stream().read(), raw))
    return decoded


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):  # the client hung up on purpose (size cap)
        pass


@pytest.fixture(scope="module")
def server():
    srv = QuietServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.seen_agents = []
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}", srv
    srv.shutdown()
    srv.server_close()


def test_success(server):
    base, srv = server
    cap = fetch(base + "/article")
    assert cap.status == 200 and cap.body == ARTICLE
    assert cap.requested_url == cap.final_url == base + "/article"
    assert cap.redirects == ()
    assert cap.fetched_at.tzinfo is not None and cap.fetched_at.utcoffset().total_seconds() == 0
    assert cap.header("content-type") == "text/html; charset=utf-8"
    assert srv.seen_agents[-1] == USER_AGENT and USER_AGENT.startswith("newsarchive/")
    x = extract(cap.body, media_type=cap.media_type, url=cap.final_url)
    assert x.fields["title"] == "Sample fetched story"
    assert x.fields["published"] == "2024-09-04T10:32:00+02:00"
    info = cap.http_info()
    assert info["status"] == 200 and info["final_url"] == cap.final_url


def test_redirects_are_followed_and_recorded(server):
    base, _ = server
    cap = fetch(base + "/redirect")
    assert cap.final_url == base + "/article" and cap.status == 200
    assert cap.redirects == ((base + "/redirect", 302), (base + "/hop", 301))
    assert len(cap.exchanges) == 3


def test_redirect_limit_and_loop(server):
    base, _ = server
    with pytest.raises(FetchError, match="too many redirects"):
        fetch(base + "/chain/0", max_redirects=3)
    with pytest.raises(FetchError, match="redirect loop|too many redirects"):
        fetch(base + "/loop")
    with pytest.raises(FetchError, match="only http and https"):
        fetch(base + "/to-ftp")


@pytest.mark.parametrize("path, message", [
    ("/missing", "HTTP 404"),
    ("/broken", "HTTP 500"),
    ("/unavailable", "HTTP 503"),
    ("/pdf", "application/pdf, not a web page"),
])
def test_http_errors_and_wrong_type(server, path, message):
    base, _ = server
    with pytest.raises(FetchError, match=message) as err:
        fetch(base + path)
    assert "\n" not in str(err.value)


def test_timeout(server):
    base, _ = server
    with pytest.raises(FetchError, match="timed out"):
        fetch(base + "/slow", read_timeout=0.3)


def test_too_large(server):
    base, _ = server
    with pytest.raises(FetchError, match="larger than 100000 bytes"):
        fetch(base + "/big", max_bytes=100_000)  # refused on Content-Length
    with pytest.raises(FetchError, match="larger than 100000 bytes"):
        fetch(base + "/big-chunked", max_bytes=100_000)  # stopped while streaming


def test_bad_schemes_rejected():
    for url in ("ftp://example.org/x", "file:///etc/passwd", "javascript:alert(1)", "example.org/x"):
        with pytest.raises(FetchError):
            fetch(url)


def test_connection_refused():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    with pytest.raises(FetchError, match="cannot connect"):
        fetch(f"http://127.0.0.1:{port}/", connect_timeout=2)


def test_dns_failure_is_a_fetch_error():
    def fail(request):
        raise httpx.ConnectError("[Errno -2] Name or service not known", request=request)

    with pytest.raises(FetchError, match="cannot connect to no-such-host.invalid"):
        fetch("http://no-such-host.invalid/", transport=httpx.MockTransport(fail))


def test_gzip_body_decoded_but_warc_keeps_wire_bytes(server):
    base, _ = server
    cap = fetch(base + "/gzip")
    assert cap.body == ARTICLE
    records = read_warc(warc_bytes(cap))
    response = [r for r in records if r[0].rec_type == "response"][0]
    assert response[0].http_headers.get_header("Content-Encoding") == "gzip"
    assert response[1] == ARTICLE  # warcio decodes it for readers
    assert response[2] == gzip.compress(ARTICLE) or response[2][:2] == b"\x1f\x8b"  # stored as sent


def test_plain_text_and_declared_charset(server):
    base, _ = server
    cap = fetch(base + "/text")
    x = extract(cap.body, media_type=cap.media_type)
    assert x.fields["title"] == "A sample plain title" and x.text == "Body."
    cap = fetch(base + "/cp1251")
    x = extract(cap.body, media_type=cap.media_type)
    assert x.fields["title"] == "Пример заголовка" and x.encoding == "windows-1251"


def test_warc_has_warcinfo_request_and_response(server, tmp_path):
    base, _ = server
    cap = fetch(base + "/redirect")
    data = cap.warc_bytes()
    assert data[:2] == b"\x1f\x8b"  # gzip
    records = read_warc(data)
    types = [r.rec_type for r, _, _ in records]
    assert types[0] == "warcinfo"
    assert types.count("request") == 3 and types.count("response") == 3
    final, content, _ = [r for r in records if r[0].rec_type == "response"][-1]
    assert final.rec_headers.get_header("WARC-Target-URI") == base + "/article"
    assert final.http_headers.get_statuscode() == "200"
    assert content == ARTICLE
    req = [r for r, _, _ in records if r.rec_type == "request"][-1]
    assert req.http_headers.protocol == "GET"
    assert req.rec_headers.get_header("WARC-Concurrent-To") == final.rec_headers.get_header("WARC-Record-ID")
    # warcio's own checker accepts the file (digests present and correct)
    path = tmp_path / "capture.warc.gz"
    path.write_bytes(data)
    from warcio.checker import Checker

    class Args:
        inputs = [str(path)]
        verbose = False

    checker = Checker(Args())
    checker.process_all()
    assert checker.exit_value == 0
