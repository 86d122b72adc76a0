"""Snippets: the best window of a hit's text, HTML-escaped, matched words in ``<b>..</b>``.

Engine-neutral: the words are matched with the same analysis the index uses
(:mod:`.analysis`), against the positive leaves of the parsed query.
"""

from __future__ import annotations

import html
import re
from typing import Collection

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
        self._memo: dict[str, str | None] = {}
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

    def matching(self, words: Collection[str]) -> dict[str, str]:
        """word -> its key, for those of ``words`` that match (remembered: the hits of one
        search share most of their words)."""
        memo = self._memo
        if len(memo) + len(words) > 100_000:
            memo.clear()
        key = self.key
        for w in [w for w in words if w not in memo]:
            memo[w] = key(w)
        return {w: k for w in words if (k := memo[w]) is not None}

    def __bool__(self) -> bool:
        return bool(self.terms or self.prefixes or self.fuzzy)

    def key(self, atom: str) -> str | None:
        stemmed, plain = TEXT.terms(atom)
        terms = self.terms
        if stemmed in terms:
            return stemmed
        if plain in terms:
            return plain
        if not plain.isascii() and translit(plain) in terms:
            return translit(plain)
        for p in self.prefixes:
            if plain.startswith(p):
                return p
        for w, d in self.fuzzy:
            if abs(len(w) - len(plain)) <= d and plain[:1] == w[:1] and within(w, plain, d):
                return w
        return None


#: a piece of text split into (separator, word, separator, word, ..., separator): the words
#: are the matches of ATOM_RE, found in one pass in C
_SPLIT_RE = re.compile(f"({ATOM_RE.pattern})")
#: white-space-free chunk -> its words (a text's words are those of its chunks, in order:
#: words never contain white space and ATOM_RE looks no further than the next character);
#: news vocabulary repeats, so most chunks of a text are known from earlier snippets
_chunk_words: dict[str, tuple[str, ...]] = {}


def _words(chunks: list[str]) -> list[tuple[str, ...]]:
    cache = _chunk_words
    got = [cache.get(c) for c in chunks]
    if None in got:
        if len(cache) > 200_000:
            cache.clear()
        for i, c in enumerate(chunks):
            if got[i] is None:
                got[i] = cache[c] = tuple(ATOM_RE.findall(c))
    return got


def make_snippet(text: str, hl: Highlight, words: int = SNIPPET_WORDS,
                 max_chars: int = 200_000) -> str | None:
    """The best window of ``words`` words, HTML-escaped, matched words in ``<b>..</b>``."""
    if not text:
        return None
    text = text[:max_chars]
    chunks = text.split()
    per_chunk = _words(chunks)
    atoms = [w for ws in per_chunk for w in ws]
    if not atoms:
        return None
    hits: list[tuple[int, str]] = []  # (word index, key)
    if hl:
        matching = hl.matching(set(atoms))  # words repeat: each looked up once
        if matching:
            hits = [(i, matching[w]) for i, w in enumerate(atoms) if w in matching]
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
    last = min(len(atoms), first + words) - 1
    marked = {i for i, _ in hits if first <= i <= last}
    # the characters of the window: from the chunk holding word ``first`` (or the start of the
    # text) to the end of the chunk holding word ``last``
    pos = n = 0
    lo = hi = skip = -1
    for c, ws in zip(chunks, per_chunk):
        pos = text.find(c, pos)
        if lo < 0 and n + len(ws) > first:
            lo, skip = (pos, first - n) if first else (0, 0)
        n += len(ws)
        pos += len(c)
        if n > last:
            hi = pos
            break
    parts = _SPLIT_RE.split(text[lo:hi])  # parts[2 * i + 1] is the window's word i (after ``skip``)
    out = ["…" if first > 0 else ""]
    for i in range(first, last + 1):
        k = 2 * (i - first + skip)
        if i > first or first == 0:
            out.append(html.escape(parts[k], quote=False))
        a = atoms[i]
        w = html.escape(a if len(a) <= 80 else a[:80] + "…", quote=False)  # no 1 MB "word"
        out.append(f"<b>{w}</b>" if i in marked else w)
    end = lo + sum(map(len, parts[:2 * (last - first + skip) + 2]))  # where the last word ends
    tail = re.match(r"\S*", text[end:end + 20])  # closing punctuation
    out.append(html.escape(tail.group() if tail else "", quote=False))
    if last < len(atoms) - 1:
        out.append("…")
    return " ".join("".join(out).split())
