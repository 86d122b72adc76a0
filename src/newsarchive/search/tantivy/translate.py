"""A parsed query tree (:mod:`newsarchive.query`) -> a tantivy query.

Query words are analysed as the index analysed its texts; prefixes and fuzzy words expand over
the term dictionary as Whoosh expands them, so both engines match the same documents.
"""

from __future__ import annotations

from typing import Any

from ... import query as Q
from ..analysis import fold, normal_atom, within
from ..documents import exact_term
from ..vocabulary import FIELD_MAP, fields_for, term_variants
from .schema import _tv

_REGEX_META = set("\\.+*?()|[]{}^$#&-~")


def _regex_escape(text: str) -> str:
    return "".join("\\" + c if c in _REGEX_META else c for c in text)


class _Translator:
    """A parsed query tree -> a tantivy query, mirroring the Whoosh translator node by node.

    Returns None where Whoosh's translator does (nothing searchable). ``Not`` is kept as a
    marker so that ``And`` can turn it into MustNot, as Whoosh's And(Not) does.
    """

    #: ordered slop expansions beyond this many alternatives fall back to tantivy's own slop
    MAX_SLOP_VARIANTS = 512

    def __init__(self, schema, searcher):
        self.tv = _tv()
        self.schema = schema
        self.searcher = searcher

    def _or(self, qs: list) -> Any:
        tv = self.tv
        return qs[0] if len(qs) == 1 else tv.Query.boolean_query([(tv.Occur.Should, q) for q in qs])

    def _boost(self, q, boost: float):
        return q if boost == 1.0 else self.tv.Query.boost_query(q, boost)

    def _phrase(self, fname: str, terms: list[str], slop: int):
        tv = self.tv
        if slop <= 1:
            return tv.Query.phrase_query(self.schema, fname, terms, 0)
        # Whoosh: each word 1..slop positions after the one before it, in order
        n = len(terms) - 1
        if slop ** n <= self.MAX_SLOP_VARIANTS:
            import itertools

            qs = []
            for gaps in itertools.product(range(1, slop + 1), repeat=n):
                offs = [0]
                for g in gaps:
                    offs.append(offs[-1] + g)
                qs.append(tv.Query.phrase_query(self.schema, fname, list(zip(offs, terms)), 0))
            return self._or(qs)
        return tv.Query.phrase_query(self.schema, fname, terms, n * (slop - 1))

    def _text_query(self, fname: str, words: list[str], slop: int, boost: float):
        tv = self.tv
        qs = []
        for terms in term_variants(fname, words):
            if len(terms) == 1:
                qs.append(self._boost(tv.Query.term_query(self.schema, fname, terms[0]), boost))
            else:
                qs.append(self._boost(self._phrase(fname, terms, slop), boost))
        return self._or(qs) if qs else None

    def _fuzzy(self, fname: str, text: str, dist: int, boost: float):
        tv = self.tv
        found = [t for t, _n in self.searcher.terms_with_prefix(fname, text[0])
                 if abs(len(t) - len(text)) <= dist and within(text, t, dist)]
        if not found:
            return tv.Query.empty_query()
        return self._boost(self._or([tv.Query.term_query(self.schema, fname, t) for t in sorted(found)]), boost)

    #: a prefix expanding to more terms than this is matched with a (constant-score) regex
    MAX_PREFIX_TERMS = 2048

    def _exact(self, fname: str, value: str):
        """An exact-field term: scored like Whoosh's ID fields (no length norm), i.e. by idf."""
        tv = self.tv
        import math

        n = self.searcher.doc_freq(fname, value)
        total = max(1, self.searcher.num_docs)
        idf = math.log(1 + (total - n + 0.5) / (n + 0.5))
        return tv.Query.const_score_query(tv.Query.term_query(self.schema, fname, value), idf)

    def _prefix(self, fname: str, text: str, boost: float):
        """Whoosh scores a prefix as the OR of the terms it expands to; so does this."""
        tv = self.tv
        found = self.searcher.terms_with_prefix(fname, text)
        if not found:
            return tv.Query.empty_query()
        if len(found) > self.MAX_PREFIX_TERMS:
            return self._boost(tv.Query.regex_query(self.schema, fname, _regex_escape(text) + ".*"), boost)
        return self._boost(self._or([tv.Query.term_query(self.schema, fname, t) for t, _n in sorted(found)]), boost)

    def positive(self, r):
        """A translation result as a query that matches (Not(x) -> all docs but x)."""
        tv = self.tv
        if isinstance(r, tuple):  # ("not", inner)
            return tv.Query.boolean_query([(tv.Occur.Must, tv.Query.all_query()), (tv.Occur.MustNot, r[1])])
        return r

    def __call__(self, node: Q.Node):
        tv = self.tv
        if isinstance(node, Q.MatchAll):
            return tv.Query.all_query()
        if isinstance(node, Q.And):
            items = [q for q in (self(n) for n in node.items) if q is not None]
            if not items:
                return None
            if len(items) == 1:
                return items[0]
            clauses = [(tv.Occur.MustNot, q[1]) if isinstance(q, tuple) else (tv.Occur.Must, q) for q in items]
            if all(isinstance(q, tuple) for q in items):
                clauses.insert(0, (tv.Occur.Must, tv.Query.all_query()))
            return tv.Query.boolean_query(clauses)
        if isinstance(node, Q.Or):
            items = [q for q in (self(n) for n in node.items) if q is not None]
            if not items:
                return None
            items = [self.positive(q) for q in items]
            return self._or(items)
        if isinstance(node, Q.Not):
            inner = self(node.item)
            if inner is None:
                return None
            return ("not", self.positive(inner))
        if isinstance(node, Q.DateRange):
            lo = int(node.start.strftime("%Y%m%d")) if node.start else None
            hi = int(node.end.strftime("%Y%m%d")) if node.end else None
            if lo is None and hi is None:  # pragma: no cover (the parser never makes one)
                return tv.Query.exists_query("pubday")
            return tv.Query.range_query(self.schema, "pubday", tv.FieldType.Integer, lo, hi, True, True)
        if isinstance(node, (Q.Term, Q.Phrase)):
            words = [node.text] if isinstance(node, Q.Term) else list(node.words)
            slop = node.slop if isinstance(node, Q.Phrase) else 1
            if node.field in Q.EXACT_FIELDS:
                fname = FIELD_MAP[node.field]
                return self._exact(fname, exact_term(fname, " ".join(words)))
            qs = [q for q in (self._text_query(f, words, slop, b) for f, b in self.fields_for(node.field))
                  if q is not None]
            return self._or(qs) if qs else None
        if isinstance(node, Q.Prefix):
            if node.field in Q.EXACT_FIELDS:
                fname = FIELD_MAP[node.field]
                return tv.Query.regex_query(self.schema, fname,
                                            _regex_escape(exact_term(fname, node.text)) + ".*")
            text = fold(node.text.replace("’", "'"))
            if not text:
                return None
            qs = [self._prefix(f, text, b) for f, b in self.fields_for(node.field)]
            return self._or(qs)
        if isinstance(node, Q.Fuzzy):
            text = normal_atom(node.text)
            if not text:
                return None
            return self._or([self._fuzzy(f, text, node.distance, b) for f, b in self.fields_for(node.field)])
        raise TypeError(f"unknown query node {node!r}")  # pragma: no cover

    @staticmethod
    def fields_for(field: str | None) -> list[tuple[str, float]]:
        return fields_for(field)


def to_tantivy(tree: Q.Node, schema, searcher):
    """The tantivy query for a parsed tree (an empty query when nothing is searchable)."""
    tr = _Translator(schema, searcher)
    q = tr(tree)
    return _tv().Query.empty_query() if q is None else tr.positive(q)
