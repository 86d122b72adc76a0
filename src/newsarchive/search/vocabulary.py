"""The search field vocabulary every engine shares, read from the field registry
(:mod:`newsarchive.fields`): which index field a query field reads, the boosts of words without
a field, which fields are taken whole (exact) or stemmed, the facets and the sorts."""

from __future__ import annotations

from .. import fields as _registry

_SEARCH = _registry.search_fields()

FACETS = _registry.facets()
SORTS = _registry.search_sorts()
#: (index field, boost) searched by words without a field
DEFAULT_FIELDS = tuple((s.index, s.boost) for s in _SEARCH if s.default)
TITLE_BOOST = dict(DEFAULT_FIELDS)["title"]
#: query field -> index field (``published`` is searched as a date, not through this map)
FIELD_MAP = {s.name: s.index for s in _SEARCH if not s.dates}
#: analysed index fields (the others hold exact terms)
TEXT_FIELDS = tuple(s.index for s in _SEARCH if not s.exact and not s.dates)
#: analysed index fields that are stemmed (in English)
STEMMED = frozenset(s.index for s in _SEARCH if s.stemmed)
#: index fields holding exact terms (``id`` apart: every engine stores it its own way)
EXACT_FIELDS = tuple(s.index for s in _SEARCH if s.exact and s.index != "id")


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


def term_variants(fname: str, words: list[str]) -> list[list[str]]:
    """The term lists a query's words give in an index field, as every engine searches them: the
    stemmed analysis and the unstemmed one in a stemmed field (so an exact form still matches),
    the unstemmed one elsewhere; empty and repeated lists left out."""
    from .analysis import NAMES, TEXT

    variants: list[list[str]] = []
    for stemming in ((True, False) if fname in STEMMED else (False,)):
        terms = [t.text for t in (TEXT if stemming else NAMES)(" ".join(words), mode="query")]
        if terms and terms not in variants:
            variants.append(terms)
    return variants
