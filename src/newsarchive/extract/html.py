"""HTML snapshots: metadata from what publishers put in pages, text with trafilatura.

Every source proposes candidates ``(field, value, source label)``; for each field the first
candidate in that field's precedence list wins (see ``PRECEDENCE``), and its source label goes
into ``provenance``. The sources:

json-ld      <script type="application/ld+json">: NewsArticle, Article, BlogPosting, ... (also in
             @graph, in lists, nested in WebPage.mainEntity; @id references resolved)
citation     citation_title, citation_author, citation_publication_date, ...
og           og:title, og:site_name, og:url, og:locale, article:published_time, article:author, ...
dc           DC.title, DC.creator, DC.date, dcterms.modified, ...
meta         <meta name="author">, parsely-*, sailthru.*, pubdate, ...
itemprop     microdata in the page (itemprop="author", "datePublished", "headline")
time         <time datetime> in the page
byline       elements whose class/id/rel/itemprop says byline or author
page         a date printed in an element whose class says it is the publication date
title-tag    <title>, without the site name ("Title | AP News" -> "Title")
h1           the first <h1>
canonical    <link rel="canonical">
html-lang    <html lang>
url          a date in the URL path (/2024/09/04/)
domain       the outlet named after the host name
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

from ..model import PartialDate
from ._util import date_from_url, normalise_language, readable_domain, to_date
from .bylines import clean_bylines
from .encoding import decode
from .html_meta import (  # the metadata readers (JSON-LD, <meta> tags) and the candidate table
    PRECEDENCE,
    _Candidates,
    _classes,
    _clean_str,
    _collect_jsonld,
    _collect_meta,
    _in_comments_or_related,
    _metas,
    _norm,
    _text_of,
)

# --------------------------------------------------------------------------- the visible page

_BYLINE_CLASS = re.compile(r"byline|by-line|\bbyl\b|\bauthor(?:s|name|-name|_name|-link|-byline)?\b|article-author|story-author|posted-by|contributor|\bvcard\b")
_BYLINE_EXCLUDE = re.compile(r"bio|avatar|image|img|photo|pic|thumb|follow|social|share|comment|about|twitter|email|date|time|more-by|headshot|description|title|role|position|job|location")
_PUB_CLASS = re.compile(r"\bpub(?:lish(?:ed)?)?[-_]?date\b|\bdate[-_]?pub(?:lished)?\b|\bpublished\b|\bpublish[-_]?time\b|\barticle[-_]?date\b|\bpost[-_]?date\b|\bentry[-_]?date\b|\bdateline\b|\btimestamp\b|\bstory[-_]?date\b")


def _collect_microdata(doc, c: _Candidates, dayfirst: bool) -> None:
    for el in doc.xpath("//*[@itemprop]"):
        if el.tag == "meta":
            continue  # already read as meta tags
        prop = (el.get("itemprop") or "").lower().split()
        if "datepublished" in prop or "datemodified" in prop:
            value = el.get("datetime") or el.get("content") or _text_of(el)
            field = "published" if "datepublished" in prop else "modified"
            c.add(field, "itemprop", "itemprop", to_date(value, dayfirst=dayfirst, fuzzy=True))
        elif "headline" in prop and el.tag not in ("a",):
            c.add("title", "itemprop", "itemprop", _clean_str(el.get("content") or _text_of(el)))
    names: list[str] = []
    for el in doc.xpath("//*[@itemprop]"):
        prop = (el.get("itemprop") or "").lower().split()
        if ("author" in prop or "creator" in prop) and el.tag != "meta" and not _in_comments_or_related(el):
            inner = [n for n in el.xpath(".//*[@itemprop='name']")]
            if inner:
                names.extend(n.get("content") or _text_of(n) for n in inner)
            elif el.get("content"):
                names.append(el.get("content"))
            else:
                names.append(_text_of(el))
    c.add("authors", "itemprop", "itemprop", clean_bylines(n for n in names if n and len(n) < 200))


def _collect_page(doc, metas, c: _Candidates, dayfirst: bool) -> None:
    body = doc.find("body")
    root = body if body is not None else doc
    # bylines: rel="author" links first, then byline-ish classes
    texts: list[str] = []
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in ("script", "style", "noscript", "meta", "link", "img", "time"):
            continue
        cls = _classes(el)
        if not cls:
            continue
        if "author" in (el.get("rel") or "").lower().split() or _BYLINE_CLASS.search(cls):
            if _BYLINE_EXCLUDE.search(cls.replace("byline", "")):
                continue
            if _in_comments_or_related(el):
                continue
            t = _text_of(el)
            if 2 < len(t) < 200 and not any(t in prev or prev in t for prev in texts):
                texts.append(t)
            if len(texts) >= 6:
                break
    c.add("authors", "byline", "byline", clean_bylines(texts))

    # <time datetime>: pubdate / published first, then the first inside the article, then the first
    times = [t for t in root.iter("time") if (t.get("datetime") or "").strip()]
    if times:
        def score(t) -> int:
            cls = _classes(t) + " " + " ".join(_classes(a) for a in list(t.iterancestors())[:3])
            s = 0
            if t.get("pubdate") is not None or re.search(r"publish|pubdate|posted|created", cls):
                s += 3
            if re.search(r"modif|updat", cls):
                s -= 3
            if any(a.tag in ("article", "main") for a in t.iterancestors()):
                s += 1
            if _in_comments_or_related(t):
                s -= 5
            return s
        best = max(enumerate(times), key=lambda it: (score(it[1]), -it[0]))[1]
        c.add("published", "time", "time", to_date(best.get("datetime"), dayfirst=dayfirst))
        for t in times:
            if re.search(r"modif|updat", _classes(t)):
                c.add("modified", "time", "time", to_date(t.get("datetime"), dayfirst=dayfirst))
                break
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in ("script", "style", "time"):
            continue
        cls = _classes(el)
        if cls and _PUB_CLASS.search(cls) and not re.search(r"modif|updat", cls) and not _in_comments_or_related(el):
            value = el.get("datetime") or el.get("content") or el.get("title") or _text_of(el)
            if value and len(value) < 100:
                date = to_date(re.sub(r"^(?:published|posted|on|date)\s*:?\s*", "", value.strip(), flags=re.I),
                               dayfirst=dayfirst, fuzzy=True)
                if date is not None:
                    c.add("published", "page", "page", date)
                    break


# --------------------------------------------------------------------------- title

_SEPARATORS = re.compile(r"(\s+(?:[|\-–—:·•»«~/]|--|::)\s+|\s*[｜︱]\s*|\s*：\s*|\s+::\s+)")
_STRONG_SEPARATORS = {"|", "::", "--", "»", "«", "｜", "︱", "·", "•"}


def _site_names(c: _Candidates, url: str | None) -> list[str]:
    names = [v for f in ("outlet",) for g, _, v in c.items.get(f, ()) if g != "domain"]
    if url:
        host = urlsplit(url).hostname or ""
        labels = [p for p in host.split(".") if p not in ("www", "com", "co", "org", "net", "uk", "m")]
        names.extend(p for p in labels if len(p) >= 3)
        names.append(readable_domain(host))
    return [n for n in names if isinstance(n, str) and _norm(n)]


def _matches_site(segment: str, sites: list[str]) -> bool:
    seg = _norm(segment)
    if not seg:
        return False
    for site in sites:
        s = _norm(site)
        if len(s) < 2:
            continue
        if seg == s or (len(s) >= 3 and (s in seg and len(seg) <= len(s) + 12)) or (len(seg) >= 3 and seg in s):
            return True
    return False


def clean_title(title: str, sites: list[str], *, generic: bool = True) -> str:
    """Remove a site name before or after a separator ("Title | AP News", "BBC News - Title")."""
    parts = _SEPARATORS.split(title)
    if len(parts) < 3:
        return title
    segs = parts[0::2]
    seps = [s.strip() for s in parts[1::2]]
    changed = True
    while changed and len(segs) > 1:
        changed = False
        if _matches_site(segs[-1], sites):
            segs, seps = segs[:-1], seps[:-1]
            changed = True
        elif _matches_site(segs[0], sites) and len(segs) > 1:
            segs, seps = segs[1:], seps[1:]
            changed = True
    while generic and len(segs) > 1 and seps[-1] in _STRONG_SEPARATORS:
        # "Title » Local » News": trailing breadcrumb or site words after a strong separator
        last = segs[-1].strip()
        rest = " ".join(segs[:-1])
        if len(last.split()) <= 4 and len(last) <= 40 and len(rest) > len(last):
            segs, seps = segs[:-1], seps[:-1]
        else:
            break
    out = segs[0]
    for sep, seg in zip(seps, segs[1:]):
        out += (f" {sep} " if sep not in ("：", "｜") else sep) + seg
    return out.strip() or title


# --------------------------------------------------------------------------- limits

#: A page over these limits is archived as it is, with no text or metadata extracted from it:
#: extraction (lxml, trafilatura) grows faster than linearly with such pages (measured: a row of
#: 100,000 table cells took 21 s, 100,000 inline elements in one paragraph 65 s). Real news
#: pages stay far below them (the largest of 128 sample pages: 2,765 elements, 7 cells in a row).
MAX_ELEMENTS = 20_000  # elements in the page
MAX_CHILDREN = 5_000  # children of one element: cells in a table row, paragraphs in one <div>
_START_TAG = re.compile(rb"<[A-Za-z]")


def over_limits(data: bytes, doc=None) -> str | None:
    """Why the page is too big to extract (one line), or None. Without ``doc`` only the bytes
    are looked at, counting start tags (and stopping early), so a page with millions of elements
    is refused before lxml builds a tree of it; with ``doc`` the parsed tree is checked."""
    import itertools

    if doc is None:
        cap = 3 * MAX_ELEMENTS  # tags and stray "<" in scripts: a generous bound before parsing
        n = sum(1 for _ in itertools.islice(_START_TAG.finditer(data), cap + 1))
        if n > cap:
            return f"text not extracted: the page has more than {cap} tags (extraction limit {MAX_ELEMENTS} elements)"
        return None
    count = 0
    for el in doc.iter():
        count += 1
        if count > MAX_ELEMENTS:
            return f"text not extracted: the page has more than {MAX_ELEMENTS} elements (the extraction limit)"
        if len(el) > MAX_CHILDREN:
            what = "cells in one table row" if el.tag == "tr" else f"children in one <{el.tag}> element"
            return f"text not extracted: the page has more than {MAX_CHILDREN} {what} (the extraction limit)"
    return None


# --------------------------------------------------------------------------- main

def _parse(text: str):
    import lxml.html
    from lxml import etree

    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    if not text.strip():
        return None
    try:
        return lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        try:
            return lxml.html.document_fromstring(f"<html><body>{text}</body></html>")
        except Exception:
            return None


def _article_text(text: str, doc, url: str | None) -> str:
    import logging

    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    try:
        import trafilatura

        out = trafilatura.extract(text, url=url, include_comments=False, include_tables=True,
                                  deduplicate=False, output_format="txt")
    except Exception:
        out = None
    if out and out.strip():
        return out.strip()
    if doc is None:
        return ""
    # fallback: the visible text of the body, one block per line
    body = doc.find("body")
    if body is None:
        return ""
    lines: list[str] = []
    for piece in body.xpath(".//text()[not(ancestor::script) and not(ancestor::style) and not(ancestor::noscript)]"):
        piece = " ".join(piece.split())
        if piece:
            lines.append(piece)
    return "\n".join(lines)


def extract_html(data: bytes, *, media_type: str | None = None, url: str | None = None):
    from . import Extraction

    too_big = over_limits(data)
    if too_big:
        return Extraction(text="", note=too_big)
    text, encoding = decode(data, media_type, html=True)
    doc = _parse(text)
    too_big = over_limits(data, doc) if doc is not None else None
    if too_big:
        return Extraction(text="", encoding=encoding, note=too_big)
    c = _Candidates()
    if url:
        c.add("url", "given", "given", url)
    if doc is None:
        fields, prov = _finish(c, url)
        return Extraction(fields=fields, provenance=prov, text="", encoding=encoding)

    html_lang = normalise_language(doc.get("lang") or doc.get("xml:lang") or doc.get("{http://www.w3.org/XML/1998/namespace}lang"))
    c.add("language", "html-lang", "html-lang", html_lang)
    metas = _metas(doc)
    lang_hint = html_lang or normalise_language((metas.get("og:locale") or [None])[0]) or ""
    dayfirst = bool(lang_hint) and lang_hint not in ("en", "en-US")

    _collect_jsonld(doc, c)
    _collect_meta(doc, metas, c, dayfirst)
    _collect_microdata(doc, c, dayfirst)
    _collect_page(doc, metas, c, dayfirst)

    for link in doc.iter("link"):
        href = (link.get("href") or "").strip()
        if "canonical" in (link.get("rel") or "").lower().split() and href:
            # a canonical link to the home page on an article page is a template mistake
            if url and urlsplit(urljoin(url, href)).path in ("", "/") and urlsplit(url).path not in ("", "/"):
                break
            c.add("url", "canonical", "canonical", href)
            break

    chosen_url = c.choose("url")
    page_url = urljoin(url or "", chosen_url[0]) if chosen_url else url
    c.add("published", "url", "url", date_from_url(page_url) or date_from_url(url))
    host = urlsplit(page_url or url or "").hostname
    if host:
        c.add("outlet", "domain", "domain", readable_domain(host))

    # titles: the <title> without the site name; an <h1> that the title starts with is best
    title_el = doc.find(".//title")
    raw_title = _clean_str(_text_of(title_el)) if title_el is not None else None
    sites = _site_names(c, page_url or url)
    h1 = next((t for t in (_clean_str(_text_of(h)) for h in doc.iter("h1")) if t), None)
    if raw_title:
        cleaned = clean_title(raw_title, sites)
        c.add("title", "title-tag", "title-tag", cleaned)
        if h1 and _norm(h1) and _norm(raw_title).startswith(_norm(h1)) and len(h1) >= 0.5 * len(cleaned):
            c.add("title", "h1=title", "h1", h1)
    c.add("title", "h1", "h1", h1)
    # site names left in og:title / headline ("Headline | Outlet")
    if "title" in c.items:
        c.items["title"] = [(g, l, clean_title(v, sites, generic=False) if g not in ("title-tag", "h1", "h1=title") else v)
                            for g, l, v in c.items["title"]]
    # a headline cut short ("... the Supreme…", 110-character limits): a longer title that
    # starts with it is the same headline in full
    picked = c.choose("title")
    if picked:
        cut = picked[0].rstrip()
        ellipsis = cut.endswith(("...", "…"))
        cut = re.sub(r"(?:\.\.\.|…)$", "", cut).rstrip()
        for g, label, value in c.items["title"]:
            extra = value[len(cut):] if value.casefold().startswith(cut.casefold()) else ""
            if not _norm(extra) or _SEPARATORS.match(extra) or _matches_site(extra, sites):
                continue
            if ellipsis or (len(cut) >= 60 and extra[:1].isspace() is False and g in ("og", "title-tag", "meta")):
                c.items["title"].insert(0, (PRECEDENCE["title"][0], label, value))
                break
    # a title-tag segment that is not the title may name the outlet ("Title - BBC News")
    if raw_title and c.choose("outlet") and c.choose("outlet")[1] == "domain":
        parts = [p.strip() for p in _SEPARATORS.split(raw_title)[0::2]]
        if len(parts) > 1 and _matches_site(parts[-1], sites) and len(parts[-1]) <= 40:
            c.add("outlet", "title-tag", "title-tag", parts[-1])

    fields, prov = _finish(c, url)
    return Extraction(fields=fields, provenance=prov, text=_article_text(text, doc, url), encoding=encoding)


def _finish(c: _Candidates, url: str | None) -> tuple[dict[str, Any], dict[str, str]]:
    from . import FIELD_ORDER

    fields: dict[str, Any] = {}
    prov: dict[str, str] = {}
    for name in FIELD_ORDER:
        picked = c.choose(name)
        if picked is None:
            continue
        value, label = picked
        if name == "authors":
            value = [a.to_json() for a in value]
        elif isinstance(value, PartialDate):
            value = value.iso()
        elif name == "url":
            value = urljoin(url or "", value)
            if not re.match(r"https?://", value):
                continue
        elif name == "tags":
            seen: dict[str, str] = {}
            for t in value:
                seen.setdefault(t.casefold(), t)
            value = list(seen.values())[:50]
        fields[name] = value
        prov[name] = label
    return fields, prov
