"""The search field vocabulary every engine shares: which index fields a query field reads,
their boosts, which are taken whole (exact), the facets and the sorts."""

from __future__ import annotations

FACETS = ("outlet", "year", "author", "tag", "kind")
SORTS = ("relevance", "published", "-published")
TITLE_BOOST = 2.5
#: (index field, boost) searched by words without a field
DEFAULT_FIELDS = (("title", TITLE_BOOST), ("body", 1.0), ("authors", 1.0))
#: query field -> index field
FIELD_MAP = {
    "title": "title", "body": "body", "author": "authors", "outlet": "outlet",
    "section": "section", "tag": "tags", "lang": "lang", "domain": "domain", "url": "url",
    "id": "id", "citekey": "citekey", "kind": "kind",
}
#: analysed index fields (the others hold exact terms)
TEXT_FIELDS = ("title", "body", "authors", "outlet", "section")
#: analysed index fields that are stemmed (in English)
STEMMED = frozenset({"title", "body"})
#: index fields holding exact terms (besides ``id``)
EXACT_FIELDS = ("citekey", "kind", "tags", "lang", "url", "domain")


def check(sort: str, facets: tuple[str, ...]) -> None:
    """ValueError for a sort or facet no engine knows."""
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r} (one of: {', '.join(SORTS)})")
    for n in facets:
        if n not in FACETS:
            raise ValueError(f"unknown facet {n!r} (one of: {', '.join(FACETS)})")


def fields_for(field: str | None) -> list[tuple[str, float]]:
    """(index field, boost) searched for a query field (None: words without a field)."""
    if field is None:
        return list(DEFAULT_FIELDS)
    return [(FIELD_MAP[field], 1.0)]
