"""The Whoosh schema, and a :class:`~newsarchive.search.documents.Document` as Whoosh stores it.

Whoosh pickles the schema (with its analyzer objects) into every index, so the classes named
here are part of the on-disk format: moving or renaming them needs a :data:`SCHEMA_VERSION`
bump (an older index then asks for a reindex instead of failing to load).
"""

from __future__ import annotations

from typing import Any

from ..analysis import ANALYSIS_VERSION, Analyzer
from ..documents import Document, Stored
from ..vocabulary import EXACT_FIELDS, STEMMED, TEXT_FIELDS, TITLE_BOOST

#: bump whenever the schema, the pickled classes or the analysis change
SCHEMA_VERSION = ANALYSIS_VERSION + 1  # 3: the analyzer class moved from newsarchive.index


class Unstemmed(str):
    """A text value Whoosh must analyse without stemming (title or body not in English).

    Whoosh hands a field's value to its analyzer and nothing else, so the value carries the
    flag. Only this backend makes and reads these.
    """

    __slots__ = ()


class WhooshAnalyzer(Analyzer):
    """:class:`~newsarchive.search.analysis.Analyzer` as the Whoosh schema holds it."""

    def __call__(self, value: str, **kwargs: Any):
        if isinstance(value, Unstemmed):
            kwargs["stemming"] = False
        return super().__call__(value, **kwargs)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WhooshAnalyzer) and other.stemming == self.stemming

    def __hash__(self) -> int:
        return hash(("WhooshAnalyzer", self.stemming))


TEXT = WhooshAnalyzer(stemming=True)
NAMES = WhooshAnalyzer(stemming=False)
_SEP, _MULTI = "\x1f", "\x1e"


def schema():
    """The Whoosh schema, from the search vocabulary (exact fields as IDs, analysed ones as TEXT)."""
    from whoosh import columns, fields

    spec: dict[str, Any] = {
        "id": fields.ID(stored=True, unique=True),
        "meta": fields.STORED(),
        "published": fields.ID(),
        "facets": fields.COLUMN(columns.VarBytesColumn()),
        "sortdate": fields.COLUMN(columns.VarBytesColumn()),
    }
    for name in EXACT_FIELDS:
        spec[name] = fields.ID()
    for name in TEXT_FIELDS:
        boost = {"field_boost": TITLE_BOOST} if name == "title" else {}
        spec[name] = fields.TEXT(analyzer=TEXT if name in STEMMED else NAMES, **boost)
    return fields.Schema(**spec)


def to_fields(doc: Document) -> dict[str, Any]:
    """The keyword arguments of ``writer.add_document`` for ``doc``."""
    st = doc.stored
    f = doc.facets
    packed = _SEP.join([
        _MULTI.join(f.get("outlet", ())),
        _MULTI.join(f.get("year", ())),
        _MULTI.join(f.get("kind", ())),
        _MULTI.join(f.get("author", ())),
        _MULTI.join(f.get("tag", ())),
    ])
    out: dict[str, Any] = {
        "id": doc.id,
        "meta": (st.citekey, st.title, st.outlet, st.published, st.fingerprint)
                + ((tuple(st.stamp),) if st.stamp else ()),
        "facets": packed.encode("utf-8"),
        "sortdate": doc.sortdate.encode("ascii"),
    }
    for name, value in doc.text.items():
        out[name] = value if doc.english or name not in STEMMED else Unstemmed(value)
    for name, terms in doc.exact.items():
        out[name] = list(terms)
    return out


def stored(meta: tuple) -> Stored:
    """The stored tuple of a document -> :class:`Stored`."""
    stamp = tuple(meta[5]) if len(meta) > 5 and meta[5] else None
    return Stored(meta[0], meta[1], meta[2], meta[3], meta[4], stamp)


_SLOTS = {"outlet": 0, "year": 1, "kind": 2, "author": 3, "tag": 4}  # every name in FACETS
_LISTS = ("author", "tag")


def unpack_facets(raw: bytes | None) -> dict[str, list[str]]:
    """The packed facet column of a document -> facet name -> values."""
    if not raw:
        return {}
    parts = raw.decode("utf-8").split(_SEP)
    out: dict[str, list[str]] = {}
    for name, i in _SLOTS.items():
        v = parts[i]
        out[name] = ([x for x in v.split(_MULTI) if x] if name in _LISTS else [v]) if v else []
    return out
