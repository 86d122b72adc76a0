"""Robust Links: an HTML anchor that carries, beside the live link, the archived copy and its
date, so that a reader (or the robustlinks.js script) can reach the page as cited when the live
one has changed or gone::

    <a href="https://example.org/a" data-originalurl="https://example.org/a"
       data-versionurl="https://web.archive.org/web/20240904103200/https://example.org/a"
       data-versiondate="2024-09-04">Headline</a>

``data-versionurl`` is the entry's ``archived_url`` (a public archive: Wayback, archive.today,
Perma.cc) when it has one, and ``data-versiondate`` its date (the 14-digit timestamp of a
Wayback-style URL, else the capture date). An entry without a public archived copy gets a local
reference, ``urn:newsarchive:ID:vN`` (the capture that is cited, the same name the WACZ export
and evidence packages give it): a reader cannot open it, but it says which capture backs the
citation and where to ask for it; add a public copy with ``edit ID --set archived_url=URL`` for
a link anyone can follow. Every value is HTML-escaped; a URL that is not http(s) (or our URN) is
left out rather than put in an attribute a browser would follow.
"""

from __future__ import annotations

import html
import re
from typing import Any


def _safe_url(url: str | None) -> str | None:
    if not url:
        return None
    url = str(url).strip()
    if re.match(r"^(https?://|urn:newsarchive:)", url, re.I):
        return url
    return None


def version_of(entry: Any, snapshot: Any) -> tuple[str | None, str | None]:
    """(versionurl, versiondate YYYY-MM-DD) for an entry cited at ``snapshot``."""
    archived = _safe_url(entry.archived_url)
    date = None
    if archived:
        m = re.search(r"/(\d{8})\d{0,6}(?:[a-z_]{0,4})/", archived)
        if m:
            d = m.group(1)
            date = f"{d[:4]}-{d[4:6]}-{d[6:8]}"
    n = None
    if snapshot is not None:
        n = next((i for i, s in enumerate(entry.snapshots, 1) if s is snapshot or s.sha256 == snapshot.sha256), None)
        if date is None and getattr(snapshot.captured_at, "year", None):
            date = snapshot.captured_at.iso()[:10] if len(snapshot.captured_at.iso()) >= 10 else None
    if date is None and entry.accessed is not None and len(entry.accessed.iso()) >= 10:
        date = entry.accessed.iso()[:10]
    if archived:
        return archived, date
    if n is not None:
        return f"urn:newsarchive:{entry.id}:v{n}", date
    return None, date


def reference(entry: Any, snapshot: Any, markup: Any = None) -> str:
    """One Robust Link (``markup`` is ignored: the form is HTML by definition)."""
    original = _safe_url(entry.url)
    version, date = version_of(entry, snapshot)
    attrs = []
    href = original or (version if version and not version.startswith("urn:") else None)
    if href:
        attrs.append(("href", href))
    if original:
        attrs.append(("data-originalurl", original))
    if version:
        attrs.append(("data-versionurl", version))
    if date:
        attrs.append(("data-versiondate", date))
    text = entry.title or entry.url or entry.citekey
    inner = " ".join(f'{k}="{html.escape(v, quote=True)}"' for k, v in attrs)
    return f"<a {inner}>{html.escape(text, quote=False)}</a>" if inner else html.escape(text, quote=False)
