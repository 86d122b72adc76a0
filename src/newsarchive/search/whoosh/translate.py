"""A parsed query tree (:mod:`newsarchive.query`) -> a Whoosh query."""

from __future__ import annotations

from ... import query as Q
from ..analysis import fold, normal_atom
from ..documents import exact_term
from ..vocabulary import FIELD_MAP, fields_for, term_variants


class _Translator:
    def __init__(self, W):
        self.W = W  # whoosh.query

    def _text_query(self, fname: str, words: list[str], slop: int, boost: float):
        W = self.W
        qs = []
        for terms in term_variants(fname, words):
            if len(terms) == 1:
                qs.append(W.Term(fname, terms[0], boost=boost))
            else:
                qs.append(W.Phrase(fname, terms, slop=slop, boost=boost))
        if not qs:
            return None
        return qs[0] if len(qs) == 1 else W.compound.DefaultOr(qs)

    def __call__(self, node: Q.Node):
        W = self.W
        if isinstance(node, Q.MatchAll):
            return W.Every()
        if isinstance(node, Q.And):
            items = [q for q in (self(n) for n in node.items) if q is not None]
            if not items:
                return None
            nots = [q for q in items if isinstance(q, W.Not)]
            if len(nots) > 1:  # NOT a AND NOT b = NOT (a OR b): one pass over the documents, not one per NOT
                items = [q for q in items if not isinstance(q, W.Not)] + [W.Not(W.Or([q.query for q in nots]))]
            if all(isinstance(q, W.Not) for q in items):
                items.insert(0, W.Every())
            return items[0] if len(items) == 1 else W.And(items)
        if isinstance(node, Q.Or):
            items = [q for q in (self(n) for n in node.items) if q is not None]
            if not items:
                return None
            items = [W.And([W.Every(), q]) if isinstance(q, W.Not) else q for q in items]
            return items[0] if len(items) == 1 else W.compound.DefaultOr(items)
        if isinstance(node, Q.Not):
            inner = self(node.item)
            return None if inner is None else W.Not(inner)
        if isinstance(node, Q.DateRange):
            start = node.start.isoformat() if node.start else None
            end = node.end.isoformat() if node.end else None
            return W.TermRange("published", start, end, startexcl=False, endexcl=False)
        if isinstance(node, (Q.Term, Q.Phrase)):
            words = [node.text] if isinstance(node, Q.Term) else list(node.words)
            slop = node.slop if isinstance(node, Q.Phrase) else 1
            if node.field in Q.EXACT_FIELDS:
                fname = FIELD_MAP[node.field]
                return W.Term(fname, exact_term(fname, " ".join(words)))
            qs = [q for q in (self._text_query(f, words, slop, b) for f, b in fields_for(node.field))
                  if q is not None]
            if not qs:
                return None
            return qs[0] if len(qs) == 1 else W.compound.DefaultOr(qs)
        if isinstance(node, Q.Prefix):
            if node.field in Q.EXACT_FIELDS:
                fname = FIELD_MAP[node.field]
                return W.Prefix(fname, exact_term(fname, node.text))
            text = fold(node.text.replace("’", "'"))
            if not text:
                return None
            qs = [W.Prefix(f, text, boost=b) for f, b in fields_for(node.field)]
            return qs[0] if len(qs) == 1 else W.compound.DefaultOr(qs)
        if isinstance(node, Q.Fuzzy):
            text = normal_atom(node.text)
            if not text:
                return None
            qs = [W.FuzzyTerm(f, text, boost=b, maxdist=node.distance, prefixlength=1)
                  for f, b in fields_for(node.field)]
            return qs[0] if len(qs) == 1 else W.compound.DefaultOr(qs)
        raise TypeError(f"unknown query node {node!r}")  # pragma: no cover


def to_whoosh(tree: Q.Node):
    """The Whoosh query for a parsed query tree (``NullQuery`` when nothing is searchable)."""
    import whoosh.query as W
    import whoosh.query.compound  # noqa: F401  (DefaultOr)

    q = _Translator(W)(tree)
    return W.NullQuery if q is None else q
