"""The metadata readers of HTML snapshots: JSON-LD and <meta> tags (citation_*, OpenGraph,
Dublin Core, parsely/sailthru, ...), and the candidate table with its precedence rules.

Split out of html.py (which keeps the visible page, the title cleaning, the limits and
``extract_html``); the source labels are described there.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

from ..model import Author
from ._util import normalise_language, to_date
from .bylines import clean_byline, clean_bylines, dedupe, titlecase_name

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
