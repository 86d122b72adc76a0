"""What the index holds for one entry, whatever the engine: :class:`Document`.

An engine turns a :class:`Document` into its own storage (Whoosh: a dict of field values,
packed columns and a stored tuple; tantivy: a document with fast fields); nothing else reads
those. The values here are already normalised the way queries normalise them: exact fields
(``url``, ``tags``, ``lang``, ...) hold the terms an exact query looks up
(:func:`exact_term`), text fields hold the text to analyse, ``english`` says whether the
title and body are stemmed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from ..urls import domains, search_form
from .analysis import fold
from .vocabulary import FACETS

if TYPE_CHECKING:  # pragma: no cover
    from ..model import Entry

__all__ = ["Document", "build", "build_version", "version_of", "fingerprint", "exact_term", "tag_term",
           "count_facets"]


@dataclass(frozen=True)
class Stored:
    """What a hit shows without reading the archive, and what ``status``/``verify`` compare."""

    citekey: str
    title: str | None
    outlet: str | None
    published: str | None  # the ISO form of the published date
    fingerprint: str
    #: how entry.json looked on disk when it was indexed (mtime_ns, size), so that ``status``
    #: can tell a stale index with one stat per entry; None when not recorded
    stamp: tuple | None = None


@dataclass
class Document:
    """One entry as the index holds it (the newest version's text as ``body``)."""

    id: str
    stored: Stored
    english: bool  # title and body are stemmed only in English (and when no language is given)
    #: analysed text fields (absent when empty): title, body, authors, outlet, section
    text: dict[str, str] = field(default_factory=dict)
    #: exact fields -> their terms: citekey, kind, tags, lang, url, domain, published
    exact: dict[str, list[str]] = field(default_factory=dict)
    #: facet name -> its values for this entry (see vocabulary.FACETS)
    facets: dict[str, list[str]] = field(default_factory=dict)
    #: ``PartialDate.sort_key()`` of the published date, "" when undated
    sortdate: str = ""
    #: the published day as YYYY-MM-DD (date queries and ranges), None when undated
    day: str | None = None


def fingerprint(entry: "Entry", body_text: str) -> str:
    """A short hash of what the index holds for an entry (compare with the backend's
    ``stored_fingerprints``)."""
    h = hashlib.blake2b(digest_size=10)
    h.update(json.dumps(entry.to_json(), sort_keys=True, ensure_ascii=False).encode("utf-8"))
    h.update(b"\x00")
    h.update((body_text or "").encode("utf-8"))
    return h.hexdigest()


def tag_term(tag: str) -> str:
    return fold(" ".join(tag.split()))


def _lang_terms(lang: str | None) -> list[str]:
    if not lang:
        return []
    full = lang.strip().lower().replace("_", "-")
    primary = full.split("-", 1)[0]
    return sorted({full, primary})


def _is_english(lang: str | None) -> bool:
    return not lang or lang.strip().lower()[:2] == "en"


def exact_term(field_name: str, text: str) -> str:
    """The term an exact query on index field ``field_name`` looks up (as :func:`build` stores it)."""
    t = text.strip()
    if field_name == "url":
        return search_form(t)
    if field_name == "domain":
        t = t.lower()
        return t[4:] if t.startswith("www.") else t
    if field_name == "tags":
        return tag_term(t)
    if field_name == "lang":
        return t.lower().replace("_", "-")
    return t.lower()


def build(entry: "Entry", body: str, fp: str | None = None, stamp: Any = None) -> Document:
    """The document for ``entry`` with ``body`` (its newest text). ``fp``: the fingerprint to
    record (computed when None; an older version's number when searching older versions)."""
    authors = [a.display for a in entry.authors]
    published = entry.published
    day = published.as_date().isoformat() if published is not None else None  # years before 1 sort as year 1
    doc = Document(
        id=entry.id,
        stored=Stored(entry.citekey, entry.title, entry.outlet, published.iso() if published else None,
                      fp if fp is not None else fingerprint(entry, body),
                      tuple(stamp) if stamp else None),
        english=_is_english(entry.language),
        sortdate=published.sort_key() if published else "",
        day=day,
    )
    facets = {
        "outlet": [entry.outlet] if entry.outlet else [],
        "year": [str(published.year)] if published else [],
        "kind": [entry.kind] if entry.kind else [],
        "author": [a for a in authors if a],
        "tag": [t for t in entry.tags if t],
    }
    doc.facets = {n: facets[n] for n in FACETS}
    text = doc.text
    if entry.title:
        text["title"] = entry.title
    if body:
        text["body"] = body
    if authors:
        text["authors"] = " ; ".join(authors)
    if entry.outlet:
        text["outlet"] = entry.outlet
    if entry.section:
        text["section"] = entry.section
    exact = doc.exact
    exact["citekey"] = [entry.citekey.lower()]
    if entry.kind:
        exact["kind"] = [entry.kind.lower()]
    if entry.tags:
        exact["tags"] = sorted({tag_term(t) for t in entry.tags})
    if entry.language:
        exact["lang"] = _lang_terms(entry.language)
    if entry.url:
        exact["url"] = sorted({entry.url.strip(), search_form(entry.url)})
        exact["domain"] = domains(entry.url)
    if day:
        exact["published"] = [day]
    return doc


def build_version(entry: "Entry", version: int, text: str) -> Document:
    """The document of an older version of an entry in the older-versions index: ``entry`` as
    that version showed it, ``text`` its text. Its fingerprint slot holds ``"<version>:<fingerprint>"``
    (:func:`version_of` reads the number back)."""
    return build(entry, text or "", f"{int(version)}:{fingerprint(entry, text or '')}")


def version_of(fp: str) -> int:
    """The version number an older version's document records (see :func:`build_version`; a
    plain number is what the in-memory path of ``search(older_versions=...)`` records)."""
    return int(str(fp).split(":", 1)[0])


def version_fingerprint(fp: str) -> str:
    """The fingerprint part of what :func:`build_version` records ("" for a plain number)."""
    return str(fp).partition(":")[2]


def count_facets(counts: dict[str, dict[str, int]], values: dict[str, list[str]]) -> None:
    """Add one document's facet ``values`` to ``counts`` (facet name -> value -> documents)."""
    for name, c in counts.items():
        for v in values.get(name, ()):
            c[v] = c.get(v, 0) + 1


def sorted_facets(counts: dict[str, dict[str, int]]) -> dict[str, list[tuple[str, int]]]:
    """Facet counts as shown: most documents first, then by value."""
    return {n: sorted(c.items(), key=lambda kv: (-kv[1], kv[0])) for n, c in counts.items()}


def first_of_each(docs: Iterable[tuple]) -> Iterator[Document]:
    """The documents of a rebuild's ``(entry, body[, stamp])`` tuples, the first of each ID only
    (an archive has unique IDs anyway): what every engine's ``rebuild`` indexes."""
    for document, _older in with_older(docs):
        yield document


def with_older(docs: Iterable[tuple], older: "Callable[[Entry], Iterable[tuple[Entry, int, str]]] | None" = None
               ) -> Iterator[tuple[Document, list[Document]]]:
    """As :func:`first_of_each`, each document with the documents of its entry's older
    versions: ``older(entry)`` gives them as (entry as that version showed it, version, text);
    none when ``older`` is None."""
    seen: set[str] = set()
    for doc in docs:
        entry, body = doc[0], doc[1]
        if entry.id in seen:
            continue
        seen.add(entry.id)
        versions = [build_version(e, n, t) for e, n, t in older(entry)] if older is not None else []
        yield build(entry, body or "", None, doc[2] if len(doc) > 2 else None), versions
