"""Text analysis shared by every engine: words, case and accent folding, a light English
stemmer, transliteration of non-Latin words, and :class:`Analyzer`, which turns a text into
index terms with positions.

Both engines index exactly these terms (Whoosh calls the analyzer itself, tantivy receives its
output as pre-tokenized text), and both query translators analyse query words with it, so the
same words match on either engine. Changing what any function here returns changes the index
terms: bump :data:`ANALYSIS_VERSION` so that ``status`` asks for a reindex.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from ..normalize import fold

__all__ = ["ANALYSIS_VERSION", "Analyzer", "TEXT", "NAMES", "fold", "stem", "normal_atom",
           "translit", "analyze", "within", "TOKEN_RE", "ATOM_RE"]

#: bump whenever the analysis changes (the terms of an existing index would no longer match)
ANALYSIS_VERSION = 2  # 2: non-Latin words also indexed transliterated (anyascii)

# A word: letters/digits, joined by apostrophes (won't) or, between digits, by . or ,
# (1,000 / 2.5); dotted acronyms (U.S.) are one word. Words joined by hyphens form a compound
# that is indexed as its parts (us, sanctioned) plus the parts run together (ussanctioned).
_ATOM = r"(?:[^\W\d_](?:\.[^\W\d_])+\.?(?![^\W_])|[^\W_]+(?:(?<=\d)[.,]\d+|['’][^\W_]+)*)"
TOKEN_RE = re.compile(rf"{_ATOM}(?:[-‐‑]{_ATOM})*")
ATOM_RE = re.compile(_ATOM)
_VOWELS = frozenset("aeiouy")
_KEEP = frozenset("news series species always perhaps whereas".split())


def _has_vowel(s: str) -> bool:
    return any(c in _VOWELS for c in s)


def _measure(s: str) -> int:
    """Porter's m: the number of vowel-consonant sequences."""
    m, prev = 0, False
    for c in s:
        v = c in "aeiou"
        if prev and not v:
            m += 1
        prev = v
    return m


def _short_cvc(s: str) -> bool:
    """One syllable ending consonant-vowel-consonant (not w/x/y): hop, plan."""
    return (len(s) >= 3 and s[-1] not in _VOWELS and s[-1] not in "wx" and s[-2] in _VOWELS
            and s[-3] not in _VOWELS and _measure(s) == 1)


def _after_suffix(base: str) -> str:
    if base.endswith(("at", "bl", "iz")):
        return base + "e"
    if len(base) > 2 and base[-1] == base[-2] and base[-1] not in _VOWELS and base[-1] not in "lsz":
        return base[:-1]
    if _short_cvc(base):
        return base + "e"
    return base


def stem(w: str) -> str:
    """A light English stemmer: plurals, possessives, -ed and -ing only.

    Inflections are merged ("sanctions", "sanctioned" -> "sanction") but word endings are not
    cut (unlike Porter, "belgrade" stays "belgrade", so ``belgrad`` does not find it).
    """
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) <= 3 or w in _KEEP or "'" in w or not w.isalpha():
        return w
    if w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("ies"):
        w = w[:-3] + ("y" if len(w) > 4 else "ie")
    elif w.endswith(("xes", "zes", "ches", "shes")):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if w.endswith("eed"):
        if _has_vowel(w[:-3]) and len(w) > 4:
            w = w[:-1]
    elif w.endswith("ed") and len(w) > 4 and _has_vowel(w[:-2]):
        w = _after_suffix(w[:-2])
    elif w.endswith("ing") and len(w) > 5 and _has_vowel(w[:-3]):
        w = _after_suffix(w[:-3])
    return w


def normal_atom(atom: str) -> str:
    """One word as typed -> folded, before stemming ("U.S." -> "us", "1,000" -> "1000")."""
    if "." in atom or "," in atom:
        if atom[0].isdigit():
            atom = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", atom)
        else:
            atom = atom.replace(".", "")
    return fold(atom)


class Token:
    """One term at one position (the attributes are those Whoosh's formats read: text, pos,
    boost, chars, stopped). The analyzer yields one object, updated in place, per term."""

    __slots__ = ("text", "pos", "startchar", "endchar", "boost", "stopped", "positions",
                 "chars", "removestops", "mode", "original")

    def __init__(self, positions: bool, chars: bool, mode: str):
        self.positions, self.chars, self.mode = positions, chars, mode
        self.boost, self.stopped, self.removestops = 1.0, False, True
        self.text = self.original = ""
        self.pos = self.startchar = self.endchar = 0


class Analyzer:
    """Unicode words, case + accent folding, optional light English stemming.

    A callable yielding :class:`Token` objects (the shape of Whoosh's analyzer protocol, without
    importing Whoosh), with a cache of word -> term (news vocabulary repeats a lot).
    ``stemming=False`` in a call analyses one text without stemming (a text that is not English).
    ``mode="query"`` leaves out the extra terms an indexed text gets (joined compounds,
    transliterations, the parts of words with apostrophes).
    """

    def __init__(self, stemming: bool = True):
        self.stemming = stemming
        self._cache: dict[str, tuple[str, str]] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {"stemming": self.stemming}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.stemming = state["stemming"]
        self._cache = {}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Analyzer) and other.stemming == self.stemming

    def __hash__(self) -> int:
        return hash(("Analyzer", self.stemming))

    def __repr__(self) -> str:
        return f"Analyzer(stemming={self.stemming})"

    def has_morph(self) -> bool:
        return self.stemming

    def clean(self) -> None:
        self._cache.clear()

    def term(self, atom: str, stemming: bool) -> str:
        """The index term for one word (cached)."""
        got = self._cache.get(atom)
        if got is None:
            got = self.terms(atom)
        return got[0] if stemming else got[1]

    def term_uncached(self, atom: str, stemming: bool) -> str:
        """The index term for one word, as :meth:`term` gives it, without adding it to the cache:
        for a caller that keeps its own cache of the words (tantivy's documents), so that a
        large import does not hold each word twice."""
        got = self._cache.get(atom)
        if got is not None:
            return got[0] if stemming else got[1]
        plain = normal_atom(atom)
        return (stem(plain) if plain else plain) if stemming else plain

    def terms(self, atom: str) -> tuple[str, str]:
        """(stemmed term, unstemmed term) of one word (cached)."""
        got = self._cache.get(atom)
        if got is None:
            plain = normal_atom(atom)
            got = (stem(plain) if plain else plain, plain)
            if len(self._cache) > 300_000:
                self._cache.clear()
            self._cache[atom] = got
        return got

    def __call__(self, value: str, positions: bool = False, chars: bool = False,
                 keeporiginal: bool = False, removestops: bool = True, start_pos: int = 0,
                 start_char: int = 0, tokenize: bool = True, mode: str = "", stemming: bool | None = None,
                 **kwargs: Any) -> Iterator[Token]:
        stemming = self.stemming if stemming is None else (self.stemming and stemming)
        joined = mode != "query"
        t = Token(positions, chars, mode)
        pos = start_pos
        term = self.term
        for m in TOKEN_RE.finditer(value):
            s = m.group()
            if "-" not in s and "‐" not in s and "‑" not in s:
                text = term(s, stemming)
                if not text:
                    continue
                t.text = text
                t.pos = pos
                if chars:
                    t.startchar, t.endchar = start_char + m.start(), start_char + m.end()
                yield t
                if joined and not text.isascii():
                    # Избори, Москва: findable as izbori, moskva too, at the same position
                    latin = translit(text)
                    if latin and latin != text:
                        t.text = latin
                        yield t
                if joined and "'" in text:
                    # o'brien, int'l: the parts are findable too, at the same position
                    for part in text.split("'"):
                        if len(part) > 1 and part != "s":
                            t.text = stem(part) if stemming else part
                            yield t
                pos += 1
                continue
            parts = [(p.group(), p.start(), p.end()) for p in ATOM_RE.finditer(s)]
            if joined:
                whole = "".join(normal_atom(p[0]) for p in parts)
                t.text = stem(whole) if stemming else whole
                t.pos = pos
                if chars:
                    t.startchar, t.endchar = start_char + m.start(), start_char + m.end()
                yield t
            for ptext, pstart, pend in parts:
                text = term(ptext, stemming)
                if not text:
                    continue
                t.text = text
                t.pos = pos
                if chars:
                    t.startchar = start_char + m.start() + pstart
                    t.endchar = start_char + m.start() + pend
                yield t
                if joined and not text.isascii():
                    latin = translit(text)
                    if latin and latin != text:
                        t.text = latin
                        yield t
                pos += 1


TEXT = Analyzer(stemming=True)
NAMES = Analyzer(stemming=False)
_translit_cache: dict[str, str] = {}


def translit(term: str) -> str:
    """A folded non-Latin term in Latin letters (anyascii): "избори" -> "izbori", "" when none."""
    got = _translit_cache.get(term)
    if got is None:
        from anyascii import anyascii

        got = "".join(c for c in anyascii(term).lower() if c.isalnum() or c == "'")
        if len(_translit_cache) > 100_000:
            _translit_cache.clear()
        _translit_cache[term] = got
    return got


def analyze(text: str, *, stemming: bool = True, query: bool = True) -> list[str]:
    """The index terms for ``text`` (for tests and for explaining a search)."""
    ana = TEXT if stemming else NAMES
    return [t.text for t in ana(text, mode="query" if query else "index")]


def within(a: str, b: str, limit: int) -> bool:
    """Levenshtein distance of a and b is at most ``limit``."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > limit:
            return False
        prev = cur
    return prev[-1] <= limit
