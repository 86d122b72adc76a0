"""Snippets: the best window of a hit's text, HTML-escaped, matched words in ``<b>..</b>``.

Engine-neutral: the words are matched with the same analysis the index uses
(:mod:`.analysis`), against the positive leaves of the parsed query.
"""

from __future__ import annotations

import html
import re

from .. import query as Q
from .analysis import ATOM_RE, TEXT, fold, normal_atom, translit, within

__all__ = ["Highlight", "make_snippet", "SNIPPET_WORDS"]

SNIPPET_WORDS = 32


class Highlight:
    """Which words of a text match the positive parts of a query."""

    def __init__(self, tree: Q.Node):
        self.terms: set[str] = set()
        self.prefixes: list[str] = []
        self.fuzzy: list[tuple[str, int]] = []
        for leaf in Q.positive_leaves(tree):
            field = getattr(leaf, "field", None)
            if field not in (None, "body", "title"):
                continue
            if isinstance(leaf, Q.Term):
                self._add_words(leaf.text)
            elif isinstance(leaf, Q.Phrase):
                self._add_words(" ".join(leaf.words))
            elif isinstance(leaf, Q.Prefix):
                p = fold(leaf.text.replace("’", "'"))
                if p:
                    self.prefixes.append(p)
            elif isinstance(leaf, Q.Fuzzy):
                w = normal_atom(leaf.text)
                if w:
                    self.fuzzy.append((w, leaf.distance))

    def _add_words(self, text: str) -> None:
        for m in ATOM_RE.finditer(text):
            self.terms.add(TEXT.term(m.group(), True))
            self.terms.add(TEXT.term(m.group(), False))

    def __bool__(self) -> bool:
        return bool(self.terms or self.prefixes or self.fuzzy)

    def key(self, atom: str) -> str | None:
        stemmed = TEXT.term(atom, True)
        if stemmed in self.terms:
            return stemmed
        plain = TEXT.term(atom, False)
        if plain in self.terms:
            return plain
        if not plain.isascii() and translit(plain) in self.terms:
            return translit(plain)
        for p in self.prefixes:
            if plain.startswith(p):
                return p
        for w, d in self.fuzzy:
            if abs(len(w) - len(plain)) <= d and plain[:1] == w[:1] and within(w, plain, d):
                return w
        return None


def make_snippet(text: str, hl: Highlight, words: int = SNIPPET_WORDS,
                 max_chars: int = 200_000) -> str | None:
    """The best window of ``words`` words, HTML-escaped, matched words in ``<b>..</b>``."""
    if not text:
        return None
    text = text[:max_chars]
    spans: list[tuple[int, int]] = []
    hits: list[tuple[int, str]] = []  # (word index, key)
    seen: dict[str, str | None] = {}  # words repeat: look each up once
    key = hl.key
    for m in ATOM_RE.finditer(text):
        w = m.group()
        k = seen[w] if w in seen else seen.setdefault(w, key(w) if hl else None)
        if k is not None:
            hits.append((len(spans), k))
        spans.append((m.start(), m.end()))
    if not spans:
        return None
    first = 0
    if hits:
        best = (-1, -1)
        j = 0
        for i in range(len(hits)):  # windows starting a little before each hit
            while j < len(hits) and hits[j][0] < hits[i][0] + words - 4:
                j += 1
            distinct = len({k for _, k in hits[i:j]})
            if (distinct, j - i) > best:
                best, first = (distinct, j - i), max(0, hits[i][0] - 4)
    last = min(len(spans), first + words) - 1
    marked = {i for i, _ in hits if first <= i <= last}
    out = ["…" if first > 0 else ""]
    cursor = 0 if first == 0 else spans[first][0]
    for i in range(first, last + 1):
        s, e = spans[i]
        out.append(html.escape(text[cursor:s], quote=False))
        w = html.escape(text[s:e] if e - s <= 80 else text[s:s + 80] + "…", quote=False)  # no 1 MB "word"
        out.append(f"<b>{w}</b>" if i in marked else w)
        cursor = e
    tail = re.match(r"\S*", text[cursor:cursor + 20])  # closing punctuation
    out.append(html.escape(tail.group() if tail else "", quote=False))
    if last < len(spans) - 1:
        out.append("…")
    return " ".join("".join(out).split())
