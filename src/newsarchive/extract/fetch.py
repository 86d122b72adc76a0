"""Fetch one URL into a ``Capture``, and write captures as WARC for replay tools.

This is the only module that uses the network. Defaults: 10 s to connect, 30 s between bytes,
60 s for the whole fetch, at most 10 MiB of body, at most 5 redirects, http and https only,
HTML, XHTML, plain text and Markdown only. Every failure raises ``FetchError`` with one line.

The 60 s are a hard deadline over everything (connecting, every redirect, the headers and the
body): httpx's timeouts count the time between two reads, so a server that trickles a header
line every few seconds never trips them. A watchdog therefore shuts the connection's socket
down when the deadline passes, which ends any read in progress.
"""

from __future__ import annotations

import datetime as _dt
import io
import os
import socket
import threading
import time
import zlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from .. import __version__
from ..errors import FetchError

USER_AGENT = f"newsarchive/{__version__} (+https://github.com/newsarchive/newsarchive)"
MAX_BYTES = 10 * 1024 * 1024
MAX_REDIRECTS = 5
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0
TOTAL_TIMEOUT = 60.0
ACCEPTED_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "text/markdown", "text/x-markdown")
_ACCEPT = "text/html,application/xhtml+xml;q=0.9,text/plain;q=0.8,*/*;q=0.1"
_REDIRECTS = (301, 302, 303, 307, 308)
_HOP_BODY_LIMIT = 64 * 1024


@dataclass(frozen=True)
class Exchange:
    """One HTTP request and its response as they went over the wire (for the WARC)."""

    url: str
    status: int
    reason: str
    http_version: str
    request_headers: tuple[tuple[str, str], ...]
    response_headers: tuple[tuple[str, str], ...]
    payload: bytes  # the body as transferred (still gzip/deflate-encoded when it was), de-chunked
    fetched_at: _dt.datetime
    ip: str | None = None  # the server's address the connection went to (WARC-IP-Address)
    tls: "TLSInfo | None" = None  # for https: the protocol, cipher and certificate chain


@dataclass(frozen=True)
class TLSInfo:
    """What the TLS handshake of an https exchange showed: the chain as the server presented it
    (verified chain when the ssl module gives it), leaf first, as PEM."""

    version: str | None
    cipher: str | None
    chain_pem: bytes
    verified: bool


@dataclass(frozen=True)
class Capture:
    """The result of a successful fetch.

    ``body`` holds the decoded bytes of the final response (what the store keeps as the
    snapshot); ``headers`` the final response headers in order; ``redirects`` the URLs and
    statuses that led to ``final_url``; ``exchanges`` every request/response pair (the last is
    the final response), which :func:`warc_bytes` writes out.
    """

    requested_url: str
    final_url: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    fetched_at: _dt.datetime
    redirects: tuple[tuple[str, int], ...] = ()
    exchanges: tuple[Exchange, ...] = field(default=(), repr=False)
    options: dict[str, Any] = field(default_factory=dict, repr=False)  # what shaped it (for warcinfo)

    def header(self, name: str) -> str | None:
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    @property
    def media_type(self) -> str:
        """The Content-Type header as sent ("text/html; charset=utf-8"); extract() reads it."""
        return self.header("content-type") or "text/html"

    @property
    def ip(self) -> str | None:
        """The address of the server that sent the final response."""
        return self.exchanges[-1].ip if self.exchanges else None

    def tls_chain_pem(self) -> bytes | None:
        """The certificate chains of the https origins of this capture (redirect hops
        included), each after a ``#`` line naming the origin, or None for plain http."""
        out, seen = [], set()
        for ex in self.exchanges:
            if ex.tls is None:
                continue
            origin = urlsplit(ex.url).netloc
            if (origin, ex.tls.chain_pem) in seen:
                continue
            seen.add((origin, ex.tls.chain_pem))
            note = "verified chain" if ex.tls.verified else "chain as presented (unverified)"
            out.append(f"# https://{origin}/ {ex.tls.version or '?'} {ex.tls.cipher or '?'} ({note})\n".encode("ascii", "replace"))
            out.append(ex.tls.chain_pem)
        return b"".join(out) or None

    def http_info(self) -> dict[str, Any]:
        """A JSON-ready summary for ``Snapshot.http``."""
        info = {
            "requested_url": self.requested_url,
            "final_url": self.final_url,
            "status": self.status,
            "headers": {k: v for k, v in self.headers},
            "redirects": [[u, s] for u, s in self.redirects],
            "fetched_at": self.fetched_at.isoformat().replace("+00:00", "Z"),
        }
        if self.ip:
            info["ip"] = self.ip
        final = self.exchanges[-1].tls if self.exchanges else None
        if final is not None:
            info["tls"] = {"version": final.version, "cipher": final.cipher}
        return info

    def warc_bytes(self, *, filename: str = "capture.warc.gz") -> bytes:
        return warc_bytes(self, filename=filename)


class _Deadline:
    """Ends a fetch at ``seconds`` from now, whatever it is waiting for.

    httpcore reports each connection it opens through the ``trace`` request extension; the
    watchdog timer shuts those sockets down at the deadline (a blocked read then returns at
    once) and sets ``expired``, which the fetch checks to tell this apart from a hang-up."""

    _OPENED = ("connection.connect_tcp.complete", "connection.start_tls.complete",
               "connection.connect_unix_socket.complete")

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.expired = False
        self._lock = threading.Lock()
        self._sockets: list[Any] = []
        self._timer = threading.Timer(max(seconds, 0.0), self._expire)
        self._timer.daemon = True

    def __enter__(self) -> "_Deadline":
        self._timer.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._timer.cancel()

    def remaining(self) -> float:
        left = self.at - time.monotonic()
        if left <= 0:
            self._expire()
        return max(left, 0.001)

    def passed(self) -> bool:
        """The deadline has come (a read that timed out a moment before the watchdog counts)."""
        return self.expired or time.monotonic() >= self.at - 0.05

    def trace(self, event: str, info: dict[str, Any]) -> None:
        if event not in self._OPENED:
            return
        stream = info.get("return_value")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shutdown(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shutdown(sock)


def _shutdown(sock: Any) -> None:
    """Shut a socket down for reading and writing, through a duplicate of its descriptor (safe
    for TLS sockets in use by another thread; the owner still closes the original)."""
    try:
        dup = socket.socket(fileno=os.dup(sock.fileno()))
    except (OSError, ValueError):
        return
    try:
        dup.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        dup.close()


def _check_scheme(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise FetchError(f"only http and https URLs can be fetched, not {parts.scheme or 'a bare path'!r}: {url}")
    if not parts.hostname:
        raise FetchError(f"URL has no host: {url}")


def _base_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def _decode_payload(payload: bytes, encoding: str | None, max_bytes: int, url: str) -> bytes:
    codings = [c.strip().lower() for c in (encoding or "").split(",") if c.strip()]
    data = payload
    for coding in reversed(codings):
        if coding in ("identity",):
            continue
        if coding in ("gzip", "x-gzip", "deflate"):
            wbits = 16 + zlib.MAX_WBITS if coding != "deflate" else zlib.MAX_WBITS
            try:
                d = zlib.decompressobj(wbits)
                out = d.decompress(data, max_bytes + 1)
            except zlib.error:
                if coding == "deflate":  # raw deflate without zlib header
                    try:
                        d = zlib.decompressobj(-zlib.MAX_WBITS)
                        out = d.decompress(data, max_bytes + 1)
                    except zlib.error as exc:
                        raise FetchError(f"cannot decode {coding} body from {url}: {exc}") from None
                else:
                    raise FetchError(f"cannot decode {coding} body from {url}") from None
            if len(out) > max_bytes or d.unconsumed_tail:
                raise FetchError(f"response from {url} is larger than {max_bytes} bytes once decompressed")
            data = out
        else:
            raise FetchError(f"unsupported Content-Encoding {coding!r} from {url}")
    return data


def fetch(
    url: str,
    *,
    max_bytes: int = MAX_BYTES,
    max_redirects: int = MAX_REDIRECTS,
    connect_timeout: float = CONNECT_TIMEOUT,
    read_timeout: float = READ_TIMEOUT,
    total_timeout: float = TOTAL_TIMEOUT,
    user_agent: str = USER_AGENT,
    accept_types: tuple[str, ...] = ACCEPTED_TYPES,
    transport: Any = None,
    verify: Any = True,
) -> Capture:
    """GET ``url`` (following redirects) and return the capture. Raises ``FetchError``.

    ``transport`` is an optional ``httpx`` transport (tests use one to simulate failures);
    ``verify`` an ``ssl.SSLContext`` to trust instead of the system's certificates (tests
    serve https on 127.0.0.1 with a throw-away CA). Certificates are always verified.
    """
    import httpx

    url = url.strip()
    _check_scheme(url)
    headers = {"User-Agent": user_agent, "Accept": _ACCEPT, "Accept-Encoding": "gzip, deflate"}
    deadline = _Deadline(total_timeout)
    too_slow = f"fetching {url} took longer than {total_timeout:g} s (the deadline for the whole fetch)"
    exchanges: list[Exchange] = []
    redirects: list[tuple[str, int]] = []
    current = url
    client_kwargs: dict[str, Any] = {"follow_redirects": False, "headers": headers, "verify": verify}
    options = {"max-bytes": max_bytes, "max-redirects": max_redirects, "connect-timeout": connect_timeout,
               "read-timeout": read_timeout, "total-timeout": total_timeout, "accept": _ACCEPT,
               "accept-encoding": headers["Accept-Encoding"], "accepted-types": ", ".join(accept_types),
               "tls-verify": "system trust store" if verify is True else "custom trust"}
    if transport is not None:
        client_kwargs["transport"] = transport
    try:
        with deadline, httpx.Client(**client_kwargs) as client:
            while True:
                left = deadline.remaining()
                timeout = httpx.Timeout(connect=min(connect_timeout, left), read=min(read_timeout, left),
                                        write=min(read_timeout, left), pool=min(connect_timeout, left))
                with client.stream("GET", current, timeout=timeout,
                                   extensions={"trace": deadline.trace}) as resp:
                    fetched_at = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
                    ip, tls = _peer(resp)  # before the body: the server may close the connection after it
                    status = resp.status_code
                    is_redirect = status in _REDIRECTS and "location" in resp.headers
                    limit = _HOP_BODY_LIMIT if is_redirect else max_bytes
                    if not is_redirect:
                        _check_response(resp, current, max_bytes, accept_types)
                    chunks, size = [], 0
                    for chunk in resp.iter_raw():
                        size += len(chunk)
                        if size > limit:
                            if is_redirect:
                                break
                            raise FetchError(f"response from {current} is larger than {max_bytes} bytes")
                        if deadline.expired or time.monotonic() > deadline.at:
                            raise FetchError(too_slow)
                        chunks.append(chunk)
                    if deadline.expired:  # the watchdog ended the body early: not a whole page
                        raise FetchError(too_slow)
                    payload = b"".join(chunks)
                    req_headers = _raw_headers(resp.request.headers)
                    resp_headers = _raw_headers(resp.headers)
                    exchanges.append(Exchange(
                        url=current, status=status, reason=resp.reason_phrase or "",
                        http_version=resp.http_version or "HTTP/1.1", request_headers=req_headers,
                        response_headers=resp_headers, payload=payload, fetched_at=fetched_at,
                        ip=ip, tls=tls,
                    ))
                    if is_redirect:
                        if len(redirects) >= max_redirects:
                            raise FetchError(f"too many redirects (more than {max_redirects}) from {url}")
                        target = urljoin(current, resp.headers["location"].strip())
                        _check_scheme(target)
                        redirects.append((current, status))
                        if any(target == u for u, _ in redirects):
                            raise FetchError(f"redirect loop at {target}")
                        current = target
                        continue
                    body = _decode_payload(payload, resp.headers.get("content-encoding"), max_bytes, current)
                    if not _base_type(resp.headers.get("content-type")):
                        _sniff_or_reject(body, current)
                    return Capture(
                        requested_url=url, final_url=current, status=status, headers=resp_headers,
                        body=body, fetched_at=fetched_at, redirects=tuple(redirects),
                        exchanges=tuple(exchanges), options={**options, "user-agent": user_agent},
                    )
    except FetchError:
        raise
    except (httpx.HTTPError, OSError) as exc:
        if deadline.passed():
            raise FetchError(too_slow) from None
        _fetch_failed(exc, url=url, current=current, connect_timeout=connect_timeout,
                      read_timeout=read_timeout, max_redirects=max_redirects)
    raise AssertionError("unreachable")  # pragma: no cover


def _fetch_failed(exc: BaseException, *, url: str, current: str, connect_timeout: float,
                  read_timeout: float, max_redirects: int) -> None:
    """An httpx error (or a socket error) as one FetchError line."""
    import httpx

    try:
        raise exc
    except httpx.ConnectTimeout:
        raise FetchError(f"timed out connecting to {urlsplit(current).hostname} after {connect_timeout:g} s") from None
    except httpx.TimeoutException:
        raise FetchError(f"timed out reading {current} (no data for {read_timeout:g} s)") from None
    except httpx.ConnectError as exc:
        raise FetchError(f"cannot connect to {urlsplit(current).hostname}: {_short(exc)}") from None
    except httpx.TooManyRedirects:
        raise FetchError(f"too many redirects (more than {max_redirects}) from {url}") from None
    except httpx.UnsupportedProtocol as exc:
        raise FetchError(f"unsupported URL {current}: {_short(exc)}") from None
    except httpx.HTTPError as exc:
        raise FetchError(f"fetching {current} failed: {_short(exc)}") from None
    except OSError as exc:
        raise FetchError(f"fetching {current} failed: {exc.strerror or _short(exc)}") from None


def _peer(resp) -> tuple[str | None, TLSInfo | None]:
    """The server's IP address and, for https, the TLS details of the connection a response
    came over (read from httpcore's network stream while it is open)."""
    stream = resp.extensions.get("network_stream")
    if stream is None:
        return None, None
    ip = None
    try:
        addr = stream.get_extra_info("server_addr")
        if addr:
            ip = str(addr[0])
    except Exception:  # noqa: BLE001 - a transport that cannot say: the WARC just lacks the field
        ip = None
    ssl_object = None
    try:
        ssl_object = stream.get_extra_info("ssl_object")
    except Exception:  # noqa: BLE001
        ssl_object = None
    if ssl_object is None:
        return ip, None
    return ip, _tls_info(ssl_object)


def _tls_info(ssl_object: Any) -> TLSInfo | None:
    import _ssl
    import ssl

    der = getattr(ssl, "ENCODING_DER", None) or _ssl.ENCODING_DER  # public from Python 3.13
    chain: list[bytes] = []
    verified = False
    inner = getattr(ssl_object, "_sslobj", ssl_object)
    for name, is_verified in (("get_verified_chain", True), ("get_unverified_chain", False)):
        getter = getattr(ssl_object, name, None) or getattr(inner, name, None)
        if getter is None:
            continue
        try:
            certs = getter() or []
            chain = [c.public_bytes(der) if hasattr(c, "public_bytes") else bytes(c) for c in certs]
        except Exception:  # noqa: BLE001 - private in Python < 3.13; fall back below
            chain = []
        if chain:
            verified = is_verified
            break
    if not chain:
        try:
            leaf = ssl_object.getpeercert(True)
        except (ValueError, OSError):
            leaf = None
        chain = [leaf] if leaf else []
    if not chain:
        return None
    pem = b"".join(ssl.DER_cert_to_PEM_cert(cert).encode("ascii") for cert in chain)
    cipher = ssl_object.cipher()
    return TLSInfo(version=ssl_object.version(), cipher=cipher[0] if cipher else None, chain_pem=pem,
                   verified=verified)


def _raw_headers(headers) -> tuple[tuple[str, str], ...]:
    """Header names and values as sent (original case and order, repeated names kept)."""
    return tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in headers.raw)


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _check_response(resp, url: str, max_bytes: int, accept_types: tuple[str, ...]) -> None:
    status = resp.status_code
    if status >= 400 or status < 200 or status in (204, 205) or 300 <= status < 400:
        reason = resp.reason_phrase or ""
        kind = "server error" if status >= 500 else "client error" if status >= 400 else "unexpected status"
        raise FetchError(f"HTTP {status} {reason} ({kind}) for {url}".replace("  ", " "))
    ctype = _base_type(resp.headers.get("content-type"))
    if ctype and ctype not in accept_types:
        raise FetchError(f"{url} is {ctype}, not a web page (accepted: {', '.join(accept_types)})")
    length = resp.headers.get("content-length")
    if length and length.strip().isdigit() and int(length) > max_bytes:
        raise FetchError(f"response from {url} is larger than {max_bytes} bytes (Content-Length {int(length)})")


def _sniff_or_reject(body: bytes, url: str) -> None:
    import codecs

    from .. import media

    kind = media.sniff(body)
    if kind == "text/html":
        return
    if kind == "text/plain":
        try:  # incremental: a character cut at the end of the sample is not an error
            codecs.getincrementaldecoder("utf-8")().decode(body[:4096], final=False)
            return  # text
        except UnicodeDecodeError:
            pass
    raise FetchError(f"{url} sent no Content-Type and does not look like HTML or text")


# --------------------------------------------------------------------------- WARC

def _target_of(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _versions() -> str:
    """The software that shaped a capture, for the warcinfo record."""
    import platform
    import ssl
    from importlib.metadata import PackageNotFoundError, version

    parts = [f"python/{platform.python_version()}", ssl.OPENSSL_VERSION.replace(" ", "/", 1).split(" ")[0]]
    for dist in ("httpx", "httpcore", "h11", "h2", "certifi", "warcio"):
        try:
            parts.append(f"{dist}/{version(dist)}")
        except PackageNotFoundError:
            continue
    return " ".join(parts)


def warc_writer(out: io.BytesIO):
    """A WARC 1.0 writer whose block and payload digests are SHA-256 (warcio's default is SHA-1)."""
    from warcio.utils import Digester
    from warcio.warcwriter import WARCWriter

    class _SHA256Writer(WARCWriter):
        def _create_digester(self):
            return Digester("sha256")

    return _SHA256Writer(out, gzip=True, warc_version="1.0")


def warc_bytes(capture: Capture, *, filename: str = "capture.warc.gz", operator: str | None = None) -> bytes:
    """A gzip-compressed WARC 1.0 file: a ``warcinfo`` record (software and versions, the
    libraries that shaped the capture, user agent, operator when known, the capture options),
    then a ``request`` and a ``response`` record per HTTP exchange (redirect hops included),
    each with ``WARC-IP-Address`` when known and SHA-256 block and payload digests, ready for
    pywb or ReplayWeb.page. The response payload is the body as it was transferred."""
    from warcio.statusandheaders import StatusAndHeaders

    out = io.BytesIO()
    writer = warc_writer(out)
    user_agent = capture.options.get("user-agent", USER_AGENT)
    info_fields = {
        "software": f"newsarchive/{__version__}",
        "format": "WARC File Format 1.0",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.0/",
        "dependencies": _versions(),
        "http-header-user-agent": user_agent,
        "description": f"capture of {capture.requested_url}",
    }
    if operator:
        info_fields["operator"] = operator
    for key, value in sorted(capture.options.items()):
        if key != "user-agent":
            info_fields[f"capture-option-{key}"] = str(value)
    if capture.redirects:
        info_fields["redirect-chain"] = " -> ".join([*(u for u, _ in capture.redirects), capture.final_url])
    info = writer.create_warcinfo_record(filename, info_fields)
    writer.write_record(info)
    exchanges = capture.exchanges or (Exchange(
        url=capture.final_url, status=capture.status, reason="OK", http_version="HTTP/1.1",
        request_headers=(("User-Agent", USER_AGENT),), response_headers=tuple(
            (k, v) for k, v in capture.headers if k.lower() not in ("content-encoding",)),
        payload=capture.body, fetched_at=capture.fetched_at),)
    warcinfo_id = info.rec_headers.get_header("WARC-Record-ID")
    for ex in exchanges:
        date = ex.fetched_at.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        protocol = ex.http_version if ex.http_version.startswith("HTTP/") else "HTTP/1.1"
        if protocol.startswith("HTTP/2") or protocol.startswith("HTTP/3"):
            protocol = "HTTP/1.1"  # WARC replay tools expect HTTP/1.x message syntax
        # the payload is stored de-chunked, so the chunked framing header must not stay
        resp_headers = [(k, v) for k, v in ex.response_headers if k.lower() != "transfer-encoding"]
        if not any(k.lower() == "content-length" for k, _ in resp_headers):
            resp_headers.append(("Content-Length", str(len(ex.payload))))
        http_resp = StatusAndHeaders(f"{ex.status} {ex.reason}".strip(), resp_headers, protocol=protocol)
        common = {"WARC-Date": date, "WARC-Warcinfo-ID": warcinfo_id}
        if ex.ip:
            common["WARC-IP-Address"] = ex.ip
        response = writer.create_warc_record(
            ex.url, "response", payload=io.BytesIO(ex.payload),
            http_headers=http_resp, warc_headers_dict=dict(common),
        )
        req_headers = list(ex.request_headers)
        if not any(k.lower() == "host" for k, _ in req_headers):
            req_headers.insert(0, ("Host", urlsplit(ex.url).netloc))
        http_req = StatusAndHeaders(f"GET {_target_of(ex.url)} {protocol}", req_headers,
                                    protocol=protocol, is_http_request=True)
        request = writer.create_warc_record(
            ex.url, "request", payload=io.BytesIO(b""), http_headers=http_req,
            warc_headers_dict={**common,
                               "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID")},
        )
        writer.write_record(request)
        writer.write_record(response)
    return out.getvalue()
