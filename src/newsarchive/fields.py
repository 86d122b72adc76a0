"""The field registry: every entry field once, with everything the program needs to know of it.

Model validation, ``normalize`` (what ``add``/``edit``/imports accept), the query language's
field names, the search index (fields, boosts, exact fields, facets, sorts), the CSV columns,
``list --sort``/``--where`` and the order of ``show`` all read this table instead of keeping
their own lists. Adding an entry field means adding one :class:`Field` here (and its value in
``model.Entry`` and, when searchable, in ``search.documents.build``).

The order of :data:`FIELDS` is the order of ``show`` and of the CSV columns.

Pure data: importing this module imports nothing else of the package.
"""

from __future__ import annotations

from typing import Iterable

__all__ = ["Field", "Search", "FIELDS", "BY_NAME", "entry_field", "of_kind", "string_fields", "bib_fields",
           "settable", "unsettable", "editable", "aliases", "sortable",
           "filters", "csv_columns", "show_always", "show_when_set", "extracted", "search_fields",
           "search_field", "search_aliases", "facets", "search_sorts"]


class _Record:
    """A read-only record with keyword defaults. Plain classes, not dataclasses: this registry is
    read at every start-up, and building two dataclasses costs more than the whole table."""

    __slots__ = ()

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is read-only")

    def _set(self, **values) -> None:
        for k, v in values.items():
            object.__setattr__(self, k, v)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={getattr(self, k)!r}' for k in self.__slots__)})"

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and all(getattr(self, k) == getattr(other, k) for k in self.__slots__)

    def __hash__(self) -> int:
        return hash(tuple(getattr(self, k) for k in self.__slots__))


class Search(_Record):
    """How a field is searched (``field:value`` in a query) and indexed."""

    __slots__ = ("name", "index", "aliases", "exact", "stemmed", "boost", "default", "facet", "sortable", "dates")

    def __init__(self, name: str, index: str, aliases: tuple[str, ...] = (), *, exact: bool = False,
                 stemmed: bool = False, boost: float = 1.0, default: bool = False, facet: str | None = None,
                 sortable: bool = False, dates: bool = False) -> None:
        # name: the query field name users write (author:gec); index: the index field holding it
        # (authors); aliases: other names accepted in a query (authors:gec); exact: the value is
        # taken whole, no analysis (tag, url, lang, ...); stemmed: English stemming (title, body;
        # English entries only); boost: weight when searched by words without a field; default:
        # searched by words without a field; facet: the facet it gives (search --facet);
        # sortable: search --sort name / -name; dates: a date (published:2024, ranges)
        self._set(name=name, index=index, aliases=aliases, exact=exact, stemmed=stemmed, boost=boost,
                  default=default, facet=facet, sortable=sortable, dates=dates)


class Field(_Record):
    __slots__ = ("name", "kind", "aliases", "settable", "unsettable", "editable", "sortable", "filter", "csv",
                 "show", "extracted", "bib", "search")

    def __init__(self, name: str, kind: str, aliases: tuple[str, ...] = (), *, settable: bool = False,
                 unsettable: bool = False, editable: bool = False, sortable: bool = False,
                 filter: str | None = None, csv: bool = False, show: str = "always", extracted: bool = False,
                 bib: bool = False, search: Search | None = None) -> None:
        # name: the key in entry.json ("" for what only search knows); kind: id, key, text, code,
        # enum, url, date, names, tags, bool, derived (not stored in entry.json); aliases: other
        # names users may give it (add, edit --set/--unset, imports); settable: add, edit --set,
        # import; unsettable: edit --unset; editable: edit (besides the settable fields: citekey);
        # sortable: list --sort; filter: the name of its list --where filter; csv: a column of the
        # CSV export; show: "always", "set" (only when set), "" (never) in show; extracted: found
        # in an article page by extraction; bib: bibliographic detail (in entry.json only when set)
        self._set(name=name, kind=kind, aliases=aliases, settable=settable, unsettable=unsettable,
                  editable=editable, sortable=sortable, filter=filter, csv=csv, show=show, extracted=extracted,
                  bib=bib, search=search)


FIELDS: tuple[Field, ...] = (
    Field("id", "id", sortable=True, csv=True,
          search=Search("id", "id", exact=True)),
    Field("citekey", "key", editable=True, sortable=True, csv=True,
          search=Search("citekey", "citekey", exact=True)),
    Field("title", "text", ("headline",), settable=True, unsettable=True, sortable=True, csv=True, extracted=True,
          search=Search("title", "title", stemmed=True, boost=2.5, default=True)),
    Field("", "derived", show="",
          search=Search("body", "body", ("text",), stemmed=True, default=True)),
    Field("authors", "names", ("author",), settable=True, unsettable=True, filter="author", csv=True,
          extracted=True, search=Search("author", "authors", ("authors",), default=True, facet="author")),
    Field("outlet", "text", ("source",), settable=True, unsettable=True, sortable=True, filter="outlet", csv=True,
          extracted=True, search=Search("outlet", "outlet", facet="outlet")),
    Field("kind", "enum", settable=True, unsettable=True, filter="kind", csv=True, extracted=True,
          search=Search("kind", "kind", exact=True, facet="kind")),
    Field("published", "date", ("date",), settable=True, unsettable=True, sortable=True, filter="year", csv=True,
          extracted=True, search=Search("published", "published", ("date",), facet="year", sortable=True,
                                        dates=True)),
    Field("modified", "date", settable=True, unsettable=True, csv=True, extracted=True),
    Field("accessed", "date", settable=True, unsettable=True, sortable=True, csv=True),
    Field("url", "url", ("link",), settable=True, unsettable=True, csv=True, extracted=True,
          search=Search("url", "url", exact=True)),
    Field("", "derived", show="",
          search=Search("domain", "domain", ("site",), exact=True)),
    Field("archived_url", "url", settable=True, unsettable=True, csv=True),
    Field("section", "text", settable=True, unsettable=True, filter="section", csv=True, extracted=True,
          search=Search("section", "section")),
    Field("pages", "text", settable=True, unsettable=True, csv=True),
    Field("language", "code", ("lang",), settable=True, unsettable=True, filter="language", csv=True,
          extracted=True, search=Search("lang", "lang", ("language",), exact=True)),
    Field("tags", "tags", ("tag",), settable=True, unsettable=True, filter="tag", csv=True, extracted=True,
          search=Search("tag", "tags", ("tags",), exact=True, facet="tag")),
    Field("notes", "text", settable=True, unsettable=True, csv=True),
    Field("designed_to_change", "bool", settable=True, unsettable=True, csv=True, show=""),
    Field("container_title", "text", settable=True, unsettable=True, csv=True, show="set", bib=True),
    Field("volume", "text", settable=True, unsettable=True, csv=True, show="set", bib=True),
    Field("issue", "text", settable=True, unsettable=True, csv=True, show="set", bib=True),
    Field("publisher", "text", settable=True, unsettable=True, csv=True, show="set", bib=True),
    Field("editors", "names", ("editor",), settable=True, unsettable=True, csv=True, show="set"),
    Field("doi", "text", settable=True, unsettable=True, csv=True, show="set", bib=True),
    Field("issn", "text", settable=True, unsettable=True, csv=True, show="set", bib=True),
    Field("isbn", "text", settable=True, unsettable=True, csv=True, show="set", bib=True),
    Field("source_key", "key", show="set"),
    Field("extra", "derived", show="set"),
    Field("added", "derived", sortable=True, show=""),  # when its first snapshot was captured
)

BY_NAME = {f.name: f for f in FIELDS if f.name}


def _names(fields: Iterable[Field]) -> tuple[str, ...]:
    return tuple(f.name for f in fields)


def entry_field(name: str) -> str:
    """An entry field name as given (an alias too) -> its name; unknown names are returned as given."""
    for f in FIELDS:
        if f.name and (name == f.name or name in f.aliases):
            return f.name
    return name


def of_kind(*kinds: str) -> tuple[str, ...]:
    """The stored entry fields of these kinds, in order (e.g. "date" -> published, modified, accessed)."""
    return _names(f for f in FIELDS if f.name and f.kind in kinds)


def string_fields() -> tuple[str, ...]:
    """The entry fields holding one string, bibliographic detail apart (model.TEXT_FIELDS)."""
    return _names(f for f in FIELDS if f.name and f.kind in ("text", "enum", "url", "code") and not f.bib)


def bib_fields() -> tuple[str, ...]:
    """Bibliographic detail held as strings, in entry.json only when set (model.BIB_FIELDS)."""
    return _names(f for f in FIELDS if f.bib)


def settable() -> tuple[str, ...]:
    return _names(f for f in FIELDS if f.settable)


def unsettable() -> tuple[str, ...]:
    return _names(f for f in FIELDS if f.unsettable)


def editable() -> tuple[str, ...]:
    """What ``edit`` may change: every settable field and the citekey."""
    return _names(f for f in FIELDS if f.settable) + _names(f for f in FIELDS if f.editable)


def aliases() -> dict[str, str]:
    """alias -> entry field, for every alias users may type."""
    return {a: f.name for f in FIELDS if f.name for a in f.aliases}


def sortable() -> tuple[str, ...]:
    return _names(f for f in FIELDS if f.sortable)


def filters() -> tuple[str, ...]:
    """The names ``list --where`` accepts."""
    return tuple(f.filter for f in FIELDS if f.filter)


def csv_columns() -> list[str]:
    return [f.name for f in FIELDS if f.csv]


def show_always() -> tuple[str, ...]:
    return _names(f for f in FIELDS if f.name and f.show == "always")


def show_when_set() -> tuple[str, ...]:
    return _names(f for f in FIELDS if f.name and f.show == "set")


def extracted() -> tuple[str, ...]:
    """The fields extraction looks for in an article page, in order."""
    return _names(f for f in FIELDS if f.extracted)


# --------------------------------------------------------------------------- search


def search_fields() -> tuple[Search, ...]:
    return tuple(f.search for f in FIELDS if f.search is not None)


def search_field(name: str) -> Search | None:
    """The search field a query names (an alias too), None when there is none."""
    for s in search_fields():
        if name == s.name or name in s.aliases:
            return s
    return None


def search_aliases() -> dict[str, str]:
    """alias -> query field name."""
    return {a: s.name for s in search_fields() for a in s.aliases if a != s.name}


def facets() -> tuple[str, ...]:
    return tuple(s.facet for s in search_fields() if s.facet)


def search_sorts() -> tuple[str, ...]:
    """``search --sort``: relevance, then each sortable search field up and down."""
    out = ["relevance"]
    for s in search_fields():
        if s.sortable:
            out += [s.name, "-" + s.name]
    return tuple(out)
