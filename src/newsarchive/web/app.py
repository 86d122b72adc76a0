"""The Starlette application: routes, the pages' data, and the safety rules of the web front end.

Safety rules (each one has a test in tests/test_web.py):

- Every value from an entry reaches a page through Jinja2 with autoescaping on; a URL becomes a
  link only when it is http(s) (:func:`web_href`), so ``javascript:...`` stays text.
- Search snippets come from the index as "escaped text, matches in <b>"; they are re-escaped
  here (:func:`snippet_markup`) so no markup from an index or a body reaches the page.
- Archived bytes are served only from their own routes, never inline, with
  ``Content-Security-Policy: sandbox`` (no scripts, no same-origin, no forms, no popups) and
  ``default-src 'none'`` (the replay never contacts the live web), ``nosniff``, and an
  attachment disposition for everything that is not HTML or plain text.
- Files are found only through the paths the entry's metadata records for a version number;
  nothing in a URL names a file. A reference with a slash, a backslash, ``..`` or a NUL is
  refused before the library sees it.
- Every response gets a strict CSP of its own (scripts and styles only from /static), and the
  Host header must name the address the server was started on (DNS rebinding).
- Files served are re-hashed first: one that no longer matches its recorded SHA-256 is not
  served as if it were the archived capture (409, naming the damage). The WACZ download is
  made by the exporter itself (``export --to wacz --id ID``), which checks the whole entry
  first and leaves a damaged one out: that, too, is a 409 naming the damage.
"""

from __future__ import annotations

import hashlib
import html
import re
import shutil
import tempfile
import urllib.parse
from pathlib import Path
from typing import Any, Iterable, Mapping

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.background import BackgroundTask
from starlette.responses import HTMLResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .. import api
from ..errors import (AmbiguousID, EntryNotFound, NewsArchiveError, NotACollection, QueryError, UsageError,
                      os_error_message)

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")

#: the app's own pages: nothing but our stylesheet and our copy-button script
APP_CSP = ("default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; "
           "base-uri 'none'; frame-ancestors 'none'")
#: archived bytes: a sandbox (unique origin, no scripts, forms, popups or plugins) that loads
#: nothing from anywhere (inline styles and data: images only), so a replay never reaches the live site
REPLAY_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
_REF_OK = re.compile(r"^[^/\\\x00-\x1f\x7f]{1,200}$")
_MEDIA_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,63}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,63}$")
_INLINE_TYPES = {"text/html", "application/xhtml+xml", "text/plain", "text/markdown"}
FACET_FIELDS = {"outlet": "outlet", "year": "published", "author": "author", "tag": "tag", "kind": "kind"}
STYLE_LABELS = {"apa": "APA 7", "mla": "MLA 9", "chicago": "Chicago 17", "bibtex": "BibTeX",
                "biblatex": "BibLaTeX", "csl-json": "CSL-JSON", "ris": "RIS"}


# --------------------------------------------------------------------------- helpers for templates

def web_href(url: Any) -> str | None:
    """``url`` when it may be a link (http or https, no control characters); else None."""
    if not isinstance(url, str) or not url or len(url) > 8000:
        return None
    if re.search(r"[\x00-\x20\x7f]", url):
        return None
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def snippet_markup(snippet: str | None) -> Markup:
    """The index's snippet (escaped text, matches in ``<b>``) as markup we built ourselves:
    every piece unescaped, escaped again, matches wrapped in ``<mark>``."""
    if not snippet:
        return Markup("")
    out = []
    for part in re.split(r"(<b>.*?</b>)", snippet, flags=re.S):
        if part.startswith("<b>") and part.endswith("</b>"):
            out.append(Markup("<mark>") + escape(html.unescape(part[3:-4])) + Markup("</mark>"))
        else:
            out.append(escape(html.unescape(re.sub(r"</?b>", "", part))))
    return Markup("").join(out)


def flat(value: Any) -> str:
    from ..render import flat as render_flat

    return render_flat(value)


def _quoted(value: str) -> str | None:
    """A facet value as a query value, or None when the query language cannot say it."""
    if '"' in value or not value.strip():
        return None
    return f'"{value}"'


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("newsarchive.web", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True))
    env.filters["href"] = web_href
    env.filters["snippet"] = snippet_markup
    env.filters["flat"] = flat
    env.filters["urlq"] = lambda v: urllib.parse.quote(str(v), safe="")
    env.globals["STYLE_LABELS"] = STYLE_LABELS
    return env


# --------------------------------------------------------------------------- responses

class SecurityHeaders:
    """Pure ASGI middleware: every response gets the app's CSP (unless the route set its own,
    the replay's sandbox), nosniff, no referrer, no framing."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Mapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)  # type: ignore[arg-type]
                if "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = APP_CSP
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                headers["X-Frame-Options"] = "DENY"
                headers["Cross-Origin-Opener-Policy"] = "same-origin"
                headers["Cross-Origin-Resource-Policy"] = "same-origin"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class Damaged(Exception):
    """A stored file no longer matches its recorded SHA-256 (or is missing)."""


class Web:
    """The routes, bound to one collection."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.env = _environment()

    # ---------------------------------------------------------------- rendering
    def page(self, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        body = self.env.get_template(template).render(**ctx)
        return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})

    def error(self, status: int, title: str, message: str, **ctx: Any) -> HTMLResponse:
        return self.page("error.html", status=status, title=title, message=message, **ctx)

    def failure(self, exc: BaseException) -> HTMLResponse:
        """A library error as a page: one clear line, never a traceback."""
        if isinstance(exc, EntryNotFound):
            return self.error(404, "Not found", str(exc))
        if isinstance(exc, NotACollection):
            return self.error(500, "No collection", str(exc))
        if isinstance(exc, UsageError):
            return self.error(400, "Cannot do that", str(exc))
        if isinstance(exc, NewsArchiveError):
            return self.error(500, "Error", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        if isinstance(exc, OSError):
            return self.error(500, "Error", os_error_message(exc))
        return self.error(500, "Internal error", f"internal error ({exc.__class__.__name__}); this is a bug, "
                          "please report it")

    # ---------------------------------------------------------------- entries
    def open(self):
        """The collection, opened once per request (store, engine, settings read now)."""
        return api.Collection.open(self.root)

    @staticmethod
    def entry(coll, ref: str):
        """The entry for a reference from a URL, resolved like the CLI (ID, unique ID prefix,
        citekey); a reference that could name a file is refused first."""
        if not _REF_OK.match(ref) or ".." in ref:
            raise UsageError("not an entry reference")
        return api.get(coll, ref)

    def ambiguous(self, ref: str, exc: AmbiguousID) -> HTMLResponse:
        store = self.open().store
        candidates = []
        for entry_id in getattr(exc, "matches", ()) or ():
            try:
                candidates.append(store.read(entry_id))
            except NewsArchiveError:
                candidates.append(None)
        return self.page("ambiguous.html", status=300, ref=ref, message=str(exc),
                         ids=list(getattr(exc, "matches", ()) or ()), candidates=candidates)

    def with_entry(self, request: Request, handler) -> Response:
        ref = request.path_params["ref"]
        try:
            coll = self.open()
            return handler(coll, self.entry(coll, ref))
        except AmbiguousID as exc:
            return self.ambiguous(ref, exc)
        except Exception as exc:  # noqa: BLE001 - every failure becomes one line on a page
            return self.failure(exc)

    # ---------------------------------------------------------------- routes
    def search(self, request: Request) -> Response:
        params = request.query_params
        q = params.get("q", "")
        sort = params.get("sort", "") or ("relevance" if q.strip() else "-published")
        all_versions = params.get("versions") == "all"
        try:
            page = max(1, int(params.get("page", "1")))
            size = min(MAX_PAGE_SIZE, max(1, int(params.get("n", str(PAGE_SIZE)))))
        except ValueError:
            return self.error(400, "Cannot do that", "page and n are whole numbers")
        if page > 10_000:
            return self.error(400, "Cannot do that", "page is too far")
        skipped: list[tuple[str, str]] = []
        try:
            result = api.search(self.open(), q, limit=size, offset=(page - 1) * size, sort=sort,
                                 facets=api.FACETS, snippets=True, all_versions=all_versions,
                                 on_skip=lambda entry_id, why: skipped.append((entry_id, why)))
        except QueryError as exc:
            from ..query import caret

            return self.page("search.html", status=400, q=q, sort=sort, all_versions=all_versions,
                             error=str(exc), caret=caret(exc.query or q, exc.position), result=None,
                             sorts=api.SORTS)
        except Exception as exc:  # noqa: BLE001
            return self.failure(exc)
        facets = []
        for name in sorted(result.facets, key=lambda n: api.FACETS.index(n) if n in api.FACETS else 99):
            items = result.facets[name]
            field = FACET_FIELDS.get(name, name)
            links = []
            for value, count in items:
                quoted = _quoted(str(value))
                link = None
                if quoted is not None:
                    link = self._search_url(f"{q} {field}:{quoted}".strip(), sort if q.strip() else "", all_versions)
                links.append({"value": value, "count": count, "link": link})
            if links:
                facets.append({"name": name, "items": links})
        pages = {"prev": self._search_url(q, params.get("sort", ""), all_versions, page - 1) if page > 1 else None,
                 "next": (self._search_url(q, params.get("sort", ""), all_versions, page + 1)
                          if page * size < result.total else None)}
        return self.page("search.html", q=q, sort=sort, all_versions=all_versions, result=result,
                         facets=facets, first=(page - 1) * size + 1, pages=pages, skipped=skipped,
                         sorts=api.SORTS, error=None)

    @staticmethod
    def _search_url(q: str, sort: str, all_versions: bool, page: int = 1) -> str:
        params = {"q": q}
        if sort:
            params["sort"] = sort
        if all_versions:
            params["versions"] = "all"
        if page > 1:
            params["page"] = str(page)
        return "/search?" + urllib.parse.urlencode(params)

    def entry_page(self, request: Request) -> Response:
        verify = request.query_params.get("verify") == "1"

        def render(coll, entry) -> Response:
            citations = []
            for style in STYLE_LABELS:
                skipped: list[str] = []
                incomplete: list[str] = []
                text = api.cite(coll, [entry.id], style=style, on_incomplete=incomplete.append,
                                on_skip=lambda _id, why: skipped.append(why))
                citations.append({"style": style, "label": STYLE_LABELS[style], "text": text.rstrip("\n"),
                                  "left_out": skipped, "incomplete": incomplete})
            verification = None
            if verify:
                checked, problems, _ = api.verify(coll, [entry.id])
                damage = [p for p in problems if p.kind not in ("note", "stale-index", "not-indexed",
                                                                  "extra-in-index")]
                verification = {"checked": checked, "damage": damage,
                                "notes": [p for p in problems if p not in damage]}
            data = entry.to_json()
            prov = data.get("provenance") or {}
            fields = []
            for key in ("title", "authors", "outlet", "kind", "published", "modified", "accessed", "url",
                        "archived_url", "section", "pages", "language", "tags", "notes", "container_title",
                        "volume", "issue", "publisher", "editors", "doi", "issn", "isbn"):
                value = data.get(key)
                text = flat(value)
                if not text:
                    continue
                where = prov.get(key)
                if key == "url" and prov.get("url_given"):
                    where = f"{where or ''}; given as {prov['url_given']}".lstrip("; ")
                fields.append({"key": key, "value": text,
                               "href": web_href(value) if key in ("url", "archived_url") else None,
                               "provenance": where})
            history = api.history(coll, entry.id)
            versions = []
            for n, s in enumerate(entry.snapshots, 1):
                stamp = getattr(s, "timestamp", None)  # an RFC 3161 timestamp, in collections that have them
                versions.append({"n": n, "snapshot": s, "captured": s.captured_at.iso(),
                                 "inline": _served_type(s.media_type) in _INLINE_TYPES,
                                 "timestamp": dict(stamp) if isinstance(stamp, Mapping) else None})
            return self.page("entry.html", entry=entry, fields=fields, citations=citations,
                             verification=verification, history=history, versions=versions,
                             paths=api.entry_paths(coll, entry))

        return self.with_entry(request, render)

    def diff_page(self, request: Request) -> Response:
        def number(name: str) -> int | None:
            raw = request.query_params.get(name, "")
            if not raw:
                return None
            if not raw.isdigit() or len(raw) > 6:
                raise UsageError(f"{name} is a version number")
            return int(raw)

        def render(coll, entry) -> Response:
            old, new = number("old"), number("new")
            d = api.diff(coll, entry.id, from_version=old, to_version=new)
            return self.page("diff.html", entry=entry, d=d, count=len(entry.snapshots))

        return self.with_entry(request, render)

    def _version(self, entry, request: Request):
        n = request.path_params["n"]
        if not 1 <= n <= len(entry.snapshots):
            raise EntryNotFound(f"entry {entry.id} has {len(entry.snapshots)} version(s); no version {n}")
        return n, entry.snapshots[n - 1]

    @staticmethod
    def _stored(coll, entry, relpath: str | None, sha256: str | None) -> bytes:
        """The bytes of a file the entry records, checked against its recorded hash."""
        if not relpath:
            raise EntryNotFound("this version has no such file")
        try:
            data = coll.store.read_file(entry.id, relpath)
        except NewsArchiveError as exc:
            raise Damaged(str(exc)) from None
        if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
            raise Damaged(f"{relpath} no longer matches its recorded SHA-256 {sha256}")
        return data

    def archived(self, request: Request) -> Response:
        """The archived bytes of one version, in a sandbox."""
        def render(coll, entry) -> Response:
            n, s = self._version(entry, request)
            try:
                data = self._stored(coll, entry, s.path, s.sha256)
            except Damaged as exc:
                return self.error(409, "Damaged", f"{entry.id} version {n}: {exc}; run `newsarchive verify "
                                  f"{entry.id}`", entry=entry)
            media = _served_type(s.media_type)
            headers = {"Content-Security-Policy": REPLAY_CSP, "Cache-Control": "no-store",
                       "X-Newsarchive-SHA256": s.sha256}
            if media not in _INLINE_TYPES:
                headers["Content-Disposition"] = _attachment(f"{entry.id}-v{n}{Path(s.path).suffix}")
            if media.startswith("text/"):
                media += "; charset=" + _charset(s)
            return Response(data, media_type=media, headers=headers)

        return self.with_entry(request, render)

    def warc(self, request: Request) -> Response:
        def render(coll, entry) -> Response:
            n, s = self._version(entry, request)
            if not s.warc_path:
                return self.error(404, "No WARC record", f"version {n} of {entry.id} was not fetched from the "
                                  f"web, so no WARC record was kept; `newsarchive export 'id:{entry.id}' --to warc "
                                  "-o FILE` writes one", entry=entry)
            try:
                data = self._stored(coll, entry, s.warc_path, s.warc_sha256)
            except Damaged as exc:
                return self.error(409, "Damaged", f"{entry.id} version {n}: {exc}", entry=entry)
            name = f"{entry.id}-v{n}" + (".warc.gz" if s.warc_path.endswith(".gz") else ".warc")
            return Response(data, media_type="application/warc", headers={
                "Content-Disposition": _attachment(name), "Content-Security-Policy": REPLAY_CSP,
                "Cache-Control": "no-store"})

        return self.with_entry(request, render)

    def wacz(self, request: Request) -> Response:
        """A WACZ of every captured version of the entry, written by the same exporter and the
        same library call as ``newsarchive export --to wacz --id ID`` into a temporary folder
        that is removed once the file has been sent."""
        def render(coll, entry) -> Response:
            if not any(s.warc_path for s in entry.snapshots):
                return self.error(404, "No web capture", f"{entry.id} has no version fetched from the web, so "
                                  f"there is nothing to replay; `newsarchive export --to wacz --id {entry.id} "
                                  "-o FILE.wacz` packs its snapshots as resource records", entry=entry)
            from ..formats import exporter

            folder = Path(tempfile.mkdtemp(prefix="newsarchive-wacz-"))
            out = folder / f"{entry.id}.wacz"
            left_out: list[str] = []
            try:
                try:
                    api.export(coll, to="wacz", out=out, ids=[entry.id],
                               on_skip=lambda _id, why: left_out.append(why))
                except UsageError:
                    if not left_out:
                        raise
                if left_out:  # the exporter checked the entry and left it out: it is damaged
                    return self.error(409, "Damaged", f"{entry.id}: " + "; ".join(left_out) +
                                      f"; run `newsarchive verify {entry.id}`", entry=entry)
                size = out.stat().st_size
                handle = open(out, "rb")  # noqa: SIM115 - closed by the body's generator
            finally:
                # removed now (the open handle keeps the bytes readable), so that a download
                # the browser abandons leaves nothing behind; where an open file cannot be
                # removed, once the response is done
                shutil.rmtree(folder, ignore_errors=True)
            return StreamingResponse(
                _chunks(handle), media_type=exporter("wacz").media_type,
                headers={"Content-Disposition": _attachment(f"{entry.id}.wacz"), "Content-Length": str(size),
                         "Cache-Control": "no-store"},
                background=(BackgroundTask(shutil.rmtree, folder, ignore_errors=True) if folder.exists() else None))

        return self.with_entry(request, render)

    def text(self, request: Request) -> Response:
        def render(coll, entry) -> Response:
            n, s = self._version(entry, request)
            if s.text_path:
                try:
                    body = self._stored(coll, entry, s.text_path, s.text_sha256).decode("utf-8", "replace")
                except Damaged as exc:
                    return self.error(409, "Damaged", f"{entry.id} version {n}: {exc}", entry=entry)
            else:
                body = api.version_text(coll.store, entry, n)
            return self.page("text.html", entry=entry, n=n, snapshot=s, body=body)

        return self.with_entry(request, render)

    def not_found(self, request: Request, exc: Exception) -> Response:
        return self.error(404, "Not found", "there is no such page")

    def server_error(self, request: Request, exc: Exception) -> Response:
        return self.failure(exc)


def _chunks(handle, size: int = 1 << 16):
    """The bytes of an open file, then the file closed."""
    with handle:
        while chunk := handle.read(size):
            yield chunk


def _served_type(media_type: str | None) -> str:
    """The recorded media type when it is a plain type/subtype; else a download."""
    value = (media_type or "").split(";")[0].strip().lower()
    return value if _MEDIA_TYPE.match(value) else "application/octet-stream"


def _charset(snapshot) -> str:
    http = snapshot.http or {}
    headers = http.get("headers") if isinstance(http, Mapping) else None
    if isinstance(headers, Mapping):
        for k, v in headers.items():
            if str(k).lower() == "content-type":
                m = re.search(r"charset=\"?([A-Za-z0-9_.:-]{1,40})", str(v))
                if m:
                    return m.group(1)
    return "utf-8"


def _attachment(name: str) -> str:
    safe_name = re.sub(r"[^A-Za-z0-9._-]", "_", name)[:120] or "download"
    return f'attachment; filename="{safe_name}"'


def create_app(root: str | Path, *, allowed_hosts: Iterable[str] = LOOPBACK_HOSTS) -> Starlette:
    """The web app over the collection at ``root``. ``allowed_hosts``: the Host header values
    accepted (the loopback names by default; ``["*"]`` when served on another address)."""
    api.open_store(root)  # not a collection: NotACollection now, not on the first request
    web = Web(Path(root))
    static = Path(__file__).resolve().parent / "static"
    routes = [
        Route("/", web.search, methods=["GET", "HEAD"]),
        Route("/search", web.search, methods=["GET", "HEAD"]),
        Route("/entries/{ref}", web.entry_page, methods=["GET", "HEAD"]),
        Route("/entries/{ref}/diff", web.diff_page, methods=["GET", "HEAD"]),
        Route("/entries/{ref}/versions/{n:int}/archived", web.archived, methods=["GET", "HEAD"]),
        Route("/entries/{ref}/versions/{n:int}/text", web.text, methods=["GET", "HEAD"]),
        Route("/entries/{ref}/versions/{n:int}/warc", web.warc, methods=["GET", "HEAD"]),
        Route("/entries/{ref}/wacz", web.wacz, methods=["GET", "HEAD"]),
        Mount("/static", app=StaticFiles(directory=static), name="static"),
    ]
    hosts = list(allowed_hosts)
    middleware = [Middleware(SecurityHeaders), Middleware(TrustedHostMiddleware, allowed_hosts=hosts)]
    app = Starlette(routes=routes, middleware=middleware,
                    exception_handlers={404: web.not_found, 405: web.not_found, 500: web.server_error})
    app.router.redirect_slashes = False  # "/entries/%2e%2e%2f" is a 404, not a redirect to "/entries/.."
    return app
