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

import json
import re
from typing import Any, Iterator
from urllib.parse import urljoin, urlsplit

from ..model import Author, PartialDate
from ._util import date_from_url, normalise_language, readable_domain, to_date
from .bylines import clean_byline, clean_bylines, dedupe, titlecase_name
from .encoding import decode

# --------------------------------------------------------------------------- precedence

PRECEDENCE: dict[str, tuple[str, ...]] = {
    "title": ("json-ld", "citation", "og", "dc", "meta", "itemprop", "h1=title", "title-tag", "h1"),
    "authors": ("json-ld", "citation", "meta", "dc", "og", "itemprop", "byline"),
    "published": ("json-ld", "citation", "og", "dc", "meta", "itemprop", "time", "url", "page"),
    "modified": ("json-ld", "og", "dc", "meta", "itemprop", "time"),
    "outlet": ("og", "json-ld", "citation", "dc", "meta", "title-tag", "domain"),
    "url": ("canonical", "og", "json-ld", "given"),
    "language": ("html-lang", "og", "json-ld", "dc", "meta"),
    "section": ("og", "json-ld", "meta"),
    "tags": ("og", "json-ld", "meta"),
    "kind": ("json-ld",),
}

ARTICLE_TYPES = {
    "newsarticle": 3, "reportagenewsarticle": 3, "analysisnewsarticle": 3, "opinionnewsarticle": 3,
    "backgroundnewsarticle": 3, "reviewnewsarticle": 3, "askpublicnewsarticle": 3,
    "satiricalarticle": 2, "article": 2, "blogposting": 2, "liveblogposting": 2, "report": 2,
    "techarticle": 2, "scholarlyarticle": 2, "socialmediaposting": 1, "posting": 1,
    "webpage": 0, "itempage": 0,
}

_SEPARATORS = re.compile(r"(\s+(?:[|\-–—:·•»«~/]|--|::)\s+|\s*[｜︱]\s*|\s*：\s*|\s+::\s+)")
_STRONG_SEPARATORS = {"|", "::", "--", "»", "«", "｜", "︱", "·", "•"}


class _Candidates:
    def __init__(self) -> None:
        self.items: dict[str, list[tuple[str, str, Any]]] = {}

    def add(self, field: str, group: str, label: str, value: Any) -> None:
        if value is None or value == "" or value == []:
            return
        self.items.setdefault(field, []).append((group, label, value))

    def first(self, field: str, group: str) -> Any:
        for g, _, v in self.items.get(field, ()):
            if g == group:
                return v
        return None

    def choose(self, field: str) -> tuple[Any, str] | None:
        cands = self.items.get(field, ())
        for group in PRECEDENCE[field]:
            for g, label, value in cands:
                if g == group:
                    return value, label
        return None


# --------------------------------------------------------------------------- helpers

def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def _clean_str(value: Any) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), None)
    if not isinstance(value, str):
        return None
    import html as _html

    text = " ".join(_html.unescape(value).split())
    return text or None


def _text_of(el) -> str:
    return " ".join(" ".join(el.itertext()).split())


def _classes(el) -> str:
    return " ".join(filter(None, (el.get("class"), el.get("id"), el.get("rel"), el.get("itemprop"),
                                  el.get("data-testid")))).lower()


def _in_comments_or_related(el) -> bool:
    for anc in el.iterancestors():
        c = _classes(anc)
        if anc.tag in ("footer", "aside", "nav") or re.search(r"comment|related|recommend|sidebar|footer|promo|newsletter", c):
            return True
    return False


# --------------------------------------------------------------------------- JSON-LD

def _jsonld_loads(raw: str) -> Any:
    raw = raw.strip()
    raw = re.sub(r"^\s*(?://\s*)?<!\[CDATA\[|(?://\s*)?\]\]>\s*$", "", raw).strip()
    raw = re.sub(r"^<!--|-->$", "", raw).strip()
    if not raw:
        return None
    try:
        return json.loads(raw, strict=False)
    except ValueError:
        pass
    fixed = re.sub(r",\s*([}\]])", r"\1", raw)  # trailing commas
    try:
        return json.loads(fixed, strict=False)
    except ValueError:
        return None


def _types(obj: dict) -> list[str]:
    t = obj.get("@type")
    items = t if isinstance(t, list) else [t]
    return [str(x).rsplit("/", 1)[-1].rsplit(":", 1)[-1].lower() for x in items if isinstance(x, str)]


def _walk(data: Any, depth: int = 0) -> Iterator[tuple[dict, int]]:
    if isinstance(data, list):
        for item in data:
            yield from _walk(item, depth)
    elif isinstance(data, dict):
        yield data, depth
        for key, value in data.items():
            if key == "@graph":
                yield from _walk(value, depth)
            elif isinstance(value, (dict, list)) and key not in ("author", "publisher", "creator"):
                yield from _walk(value, depth + 1)


class _JsonLd:
    def __init__(self, doc) -> None:
        self.objects: list[tuple[dict, int]] = []
        for script in doc.iter("script"):
            if "ld+json" not in (script.get("type") or "").lower():
                continue
            data = _jsonld_loads(script.text or "")
            if data is not None:
                self.objects.extend(_walk(data))
        self.by_id = {o["@id"]: o for o, _ in self.objects if isinstance(o.get("@id"), str)}

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict) and set(value) <= {"@id", "@type"} and value.get("@id") in self.by_id:
            return self.by_id[value["@id"]]
        return value

    def article(self) -> dict | None:
        best, best_key = None, None
        for i, (obj, depth) in enumerate(self.objects):
            scores = [ARTICLE_TYPES[t] for t in _types(obj) if t in ARTICLE_TYPES]
            if not scores:
                continue
            score = max(scores)
            has = 1 if (obj.get("headline") or obj.get("datePublished")) else 0
            key = (score + has * 2, -depth, -i)
            if best_key is None or key > best_key:
                best, best_key = obj, key
        return best

    def site_name(self) -> str | None:
        for obj, _ in self.objects:
            if "website" in _types(obj):
                name = _clean_str(obj.get("name"))
                if name:
                    return name
        return None


def _jsonld_authors(ld: _JsonLd, value: Any) -> list[Author]:
    out: list[Author] = []
    items = value if isinstance(value, list) else [value]
    for item in items:
        item = ld.resolve(item)
        if isinstance(item, str):
            if not re.match(r"https?://", item.strip()):
                out.extend(clean_byline(item))
        elif isinstance(item, dict):
            types = _types(item)
            name = _clean_str(item.get("name"))
            if not name and (item.get("familyName") or item.get("givenName")):
                family = _clean_str(item.get("familyName"))
                given = _clean_str(item.get("givenName"))
                if family:
                    out.append(Author(family=titlecase_name(family), given=titlecase_name(given) if given else None))
                continue
            if not name:
                continue
            if "organization" in types and "person" not in types or any(t.endswith("organization") and t != "organization" for t in types):
                out.append(Author(literal=name))
            else:
                out.extend(clean_byline(name))
    return dedupe(out)


def _collect_jsonld(doc, c: _Candidates) -> None:
    ld = _JsonLd(doc)
    art = ld.article()
    if art is None:
        name = ld.site_name()
        if name:
            c.add("outlet", "json-ld", "json-ld", name)
        return
    is_page = all(ARTICLE_TYPES.get(t, 0) == 0 for t in _types(art))
    title = _clean_str(art.get("headline")) or (None if is_page else _clean_str(art.get("name")))
    c.add("title", "json-ld", "json-ld", title)
    authors = _jsonld_authors(ld, art.get("author") or art.get("creator"))
    c.add("authors", "json-ld", "json-ld", authors)
    for key, field in (("datePublished", "published"), ("dateCreated", "published"), ("dateModified", "modified")):
        value = art.get(key)
        if isinstance(value, list):
            value = value[0] if value else None
        c.add(field, "json-ld", "json-ld", to_date(value))
    publisher = ld.resolve(art.get("publisher"))
    if isinstance(publisher, list):
        publisher = ld.resolve(publisher[0]) if publisher else None
    if isinstance(publisher, dict):
        c.add("outlet", "json-ld", "json-ld", _clean_str(publisher.get("name")))
    elif isinstance(publisher, str):
        c.add("outlet", "json-ld", "json-ld", _clean_str(publisher))
    c.add("outlet", "json-ld", "json-ld", ld.site_name())
    page = ld.resolve(art.get("mainEntityOfPage"))
    url = art.get("url") or (page.get("@id") if isinstance(page, dict) else page)
    if isinstance(url, str) and re.match(r"https?://", url):
        c.add("url", "json-ld", "json-ld", url.strip())
    lang = art.get("inLanguage")
    if isinstance(lang, dict):
        lang = lang.get("alternateName") or lang.get("name")
    c.add("language", "json-ld", "json-ld", normalise_language(lang))
    c.add("section", "json-ld", "json-ld", _clean_str(art.get("articleSection")))
    kw = art.get("keywords")
    if isinstance(kw, str):
        kw = [k for k in re.split(r"\s*[,;]\s*", kw)]
    if isinstance(kw, list):
        c.add("tags", "json-ld", "json-ld", [k for k in (_clean_str(x) for x in kw) if k])
    if "blogposting" in _types(art):
        c.add("kind", "json-ld", "json-ld", "blog")


# --------------------------------------------------------------------------- meta tags

_DATE_META = {  # meta names (lower case) that carry the publication date
    "pubdate", "publishdate", "publish-date", "publish_date", "publication_date", "publication-date",
    "date", "originalpublicationdate", "article.published", "article_date_original",
    "sailthru.date", "parsely-pub-date", "datepublished", "article:published", "published_time",
    "published-date", "release_date", "date.release", "displaydate", "dcsext.articlefirstpublished",
    "rnews:datepublished", "og:published_time", "article.created", "created", "dc.date.created",
    "pdate", "ptime", "cxenseparse:recs:publishtime", "date_published", "published_date",
    "publication_date_time", "original-publish-date", "first-published",
}
_MODIFIED_META = {
    "last-modified", "lastmod", "dcsext.articlelastmodified", "article.updated", "datemodified",
    "og:updated_time", "modified_time", "updated_time", "utime", "date.updated", "last_updated",
}
_AUTHOR_META = ("author", "byl", "parsely-author", "sailthru.author", "cxenseparse:author",
                "dc.creator", "article.author", "authors", "twitter:creator:name")


def _metas(doc) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for el in doc.iter("meta"):
        content = el.get("content")
        if content is None or not content.strip():
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = el.get(attr)
            if key:
                out.setdefault(key.strip().lower(), []).append(content.strip())
    return out


def _collect_meta(doc, metas: dict[str, list[str]], c: _Candidates, dayfirst: bool) -> None:
    def one(key: str) -> str | None:
        values = metas.get(key)
        return _clean_str(values[0]) if values else None

    # citation_* (Highwire Press tags, used by Google Scholar; some news sites use them too)
    c.add("title", "citation", "citation_title", one("citation_title"))
    c.add("authors", "citation", "citation_author", clean_bylines(metas.get("citation_author", [])))
    for key in ("citation_publication_date", "citation_date", "citation_online_date", "citation_cover_date"):
        c.add("published", "citation", key, to_date(one(key), dayfirst=dayfirst))
    for key in ("citation_journal_title", "citation_publisher", "citation_conference_title"):
        c.add("outlet", "citation", key, one(key))
    c.add("language", "citation", "citation_language", normalise_language(one("citation_language")))

    # Open Graph and article:*
    c.add("title", "og", "og", one("og:title"))
    c.add("outlet", "og", "og", one("og:site_name"))
    og_url = one("og:url")
    if og_url:
        c.add("url", "og", "og", og_url)
    c.add("language", "og", "og", normalise_language(one("og:locale")))
    for key in ("article:published_time", "og:article:published_time", "article:published"):
        c.add("published", "og", "og", to_date(one(key), dayfirst=dayfirst))
    for key in ("article:modified_time", "og:updated_time", "og:article:modified_time"):
        c.add("modified", "og", "og", to_date(one(key), dayfirst=dayfirst))
    authors = [a for a in metas.get("article:author", []) if not re.match(r"\s*(https?:|www\.)", a)]
    c.add("authors", "og", "og", clean_bylines(authors))
    c.add("section", "og", "og", one("article:section"))
    tags = [t for v in metas.get("article:tag", []) for t in re.split(r"\s*,\s*", v) if t.strip()]
    c.add("tags", "og", "og", tags)

    # Dublin Core
    for key in ("dc.title", "dcterms.title"):
        c.add("title", "dc", "dc", one(key))
    c.add("authors", "dc", "dc", clean_bylines(metas.get("dc.creator", []) + metas.get("dcterms.creator", [])))
    for key in ("dc.date.issued", "dcterms.issued", "dc.date", "dcterms.date", "dcterms.created", "dc.date.created"):
        c.add("published", "dc", "dc", to_date(one(key), dayfirst=dayfirst))
    for key in ("dcterms.modified", "dc.date.modified"):
        c.add("modified", "dc", "dc", to_date(one(key), dayfirst=dayfirst))
    for key in ("dc.publisher", "dcterms.publisher"):
        c.add("outlet", "dc", "dc", one(key))
    for key in ("dc.language", "dcterms.language"):
        c.add("language", "dc", "dc", normalise_language(one(key)))

    # other meta tags
    for key in _AUTHOR_META:
        if key.startswith("dc."):
            continue
        values = [v for v in metas.get(key, []) if not re.match(r"\s*(https?:|www\.|@)", v)]
        c.add("authors", "meta", f"meta:{key}", clean_bylines(values))
    for key in sorted(_DATE_META):
        if key in metas:
            c.add("published", "meta", f"meta:{key}", to_date(one(key), dayfirst=dayfirst))
    for key in sorted(_MODIFIED_META):
        if key in metas:
            c.add("modified", "meta", f"meta:{key}", to_date(one(key), dayfirst=dayfirst))
    for key in ("twitter:title", "parsely-title", "sailthru.title", "headline"):
        c.add("title", "meta", f"meta:{key}", one(key))
    for key in ("application-name", "apple-mobile-web-app-title", "twitter:site:name"):
        c.add("outlet", "meta", f"meta:{key}", one(key))
    for key in ("content-language", "language"):
        c.add("language", "meta", f"meta:{key}", normalise_language(one(key)))
    for key in ("parsely-section", "section", "article.section", "sailthru.section", "category"):
        c.add("section", "meta", f"meta:{key}", one(key))
    for key in ("news_keywords", "parsely-tags"):
        value = one(key)
        if value:
            c.add("tags", "meta", f"meta:{key}", [t for t in re.split(r"\s*,\s*", value) if t])
    # Parse.ly's JSON blob
    blob = one("parsely-page")
    if blob:
        try:
            data = json.loads(blob)
        except ValueError:
            data = None
        if isinstance(data, dict):
            label = "meta:parsely-page"
            c.add("title", "meta", label, _clean_str(data.get("title")))
            c.add("published", "meta", label, to_date(data.get("pub_date")))
            author = data.get("author") or data.get("authors")
            if isinstance(author, str):
                c.add("authors", "meta", label, clean_byline(author))
            elif isinstance(author, list):
                c.add("authors", "meta", label, clean_bylines([a for a in author if isinstance(a, str)]))
            c.add("section", "meta", label, _clean_str(data.get("section")))


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
