"""The search query language: a string -> a small immutable tree (pure Python, no Whoosh).

Grammar (operators are upper case; lower-case ``or``/``and``/``not`` are ordinary words)::

    query    := or_expr?
    or_expr  := and_expr ("OR" and_expr)*
    and_expr := unary ("AND"? unary)*          # juxtaposition means AND
    unary    := "NOT" unary | "-" atom | "+"? atom
    atom     := "(" or_expr ")" | [field ":"] value
    value    := word | word"*" | word"~" | word"~"N | '"a phrase"' ['~'N]

Limits (each a :class:`~newsarchive.errors.QueryError`, never a crash): a query is at most
``MAX_QUERY_CHARS`` characters, holds at most ``MAX_TERMS`` distinct search terms (of which at
most ``MAX_FUZZY`` fuzzy and ``MAX_PREFIX`` wildcard ones, which expand over the vocabulary),
and nests parentheses and NOTs at most ``MAX_DEPTH`` deep. A term repeated under the same AND or OR is
kept once (``the the the`` is ``the``). Dates never overflow: a relative date further back than
year 1 means "since the earliest date", and a range past 9999-12-31 or before 0001-01-01 is an
error.

Each search backend (:mod:`newsarchive.search`) turns the tree into its engine's queries; the
words are analysed there (folding, stemming), so a ``Term`` holds the text exactly as typed.

Every error is a :class:`~newsarchive.errors.QueryError` whose ``position`` is the 0-based
column of the problem; :func:`caret` draws it under the query.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import re
from dataclasses import dataclass
from typing import Union

from . import fields as _registry
from .errors import DateError, QueryError

__all__ = [
    "Term", "Phrase", "Prefix", "Fuzzy", "DateRange", "And", "Or", "Not", "MatchAll",
    "Node", "parse", "caret", "FIELDS", "FIELD_ALIASES", "positive_leaves",
]

# --------------------------------------------------------------------------- the tree


@dataclass(frozen=True, slots=True)
class Term:
    field: str | None  # None: the default fields (title, body, authors)
    text: str


@dataclass(frozen=True, slots=True)
class Phrase:
    field: str | None
    words: tuple[str, ...]
    slop: int = 1  # 1 = the words next to each other in this order


@dataclass(frozen=True, slots=True)
class Prefix:
    field: str | None
    text: str


@dataclass(frozen=True, slots=True)
class Fuzzy:
    field: str | None
    text: str
    distance: int = 1


@dataclass(frozen=True, slots=True)
class DateRange:
    """``published`` between ``start`` and ``end``, both inclusive; ``None`` is open."""

    start: _dt.date | None
    end: _dt.date | None
    field: str = "published"


@dataclass(frozen=True, slots=True)
class And:
    items: tuple["Node", ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple["Node", ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: "Node"


@dataclass(frozen=True, slots=True)
class MatchAll:
    pass


Node = Union[Term, Phrase, Prefix, Fuzzy, DateRange, And, Or, Not, MatchAll]

# --------------------------------------------------------------------------- fields

#: canonical field names a user may write before a colon, other names for them, and the
#: fields whose value is taken whole (no wildcards inside, ``:`` and ``/`` allowed): see fields.py
FIELDS = tuple(s.name for s in _registry.search_fields())
FIELD_ALIASES = _registry.search_aliases()
EXACT_FIELDS = frozenset(s.name for s in _registry.search_fields() if s.exact)

# --------------------------------------------------------------------------- limits

MAX_QUERY_CHARS = 2_000
MAX_TERMS = 100
MAX_DEPTH = 32
MAX_FUZZY = 10  # word~ terms: each is matched against the whole vocabulary (100 took 12 s of CPU on 2,000 articles)
MAX_PREFIX = 25  # word* terms: each expands to every word it starts

# --------------------------------------------------------------------------- lexer

_OPERATORS = {"OR", "AND", "NOT"}
_STOP_CHARS = set(' \t\r\n()"')
_FIELD_RE = re.compile(r"([A-Za-z]+):")


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # WORD PHRASE LPAREN RPAREN OR AND NOT MINUS FIELD
    text: str
    pos: int
    slop: int | None = None  # PHRASE "..."~N
    quoted: bool = False


def _err(message: str, query: str, pos: int) -> QueryError:
    return QueryError(f"{message} (at column {pos + 1})", query=query, position=pos)


def _lex(q: str) -> list[_Tok]:
    out: list[_Tok] = []
    i, n = 0, len(q)
    while i < n:
        c = q[i]
        if c.isspace():
            i += 1
            continue
        if c == "(":
            out.append(_Tok("LPAREN", c, i))
            i += 1
            continue
        if c == ")":
            out.append(_Tok("RPAREN", c, i))
            i += 1
            continue
        if c in "\"“”":
            end = _closing_quote(q, i + 1)
            if end < 0:
                raise _err("unbalanced quote: no closing \"", q, i)
            text = q[i + 1:end]
            j = end + 1
            slop = None
            m = re.match(r"~(\d{1,2})?", q[j:])
            if m and (j + m.end() >= n or q[j + m.end()] in _STOP_CHARS):
                slop = int(m.group(1) or 2)
                j += m.end()
            elif j < n and q[j] not in _STOP_CHARS:
                raise _err("expected a space after the closing quote", q, j)
            out.append(_Tok("PHRASE", text, i, slop=slop, quoted=True))
            i = j
            continue
        if c == "-" and i + 1 < n and not q[i + 1].isspace() and (not out or _before_ok(q, i)):
            out.append(_Tok("MINUS", c, i))
            i += 1
            continue
        if c == "+" and i + 1 < n and not q[i + 1].isspace():
            i += 1  # "+word" = required, which every bare word already is
            continue
        m = _FIELD_RE.match(q, i)
        if m and not q.startswith("//", m.end()):
            name = m.group(1).lower()
            if FIELD_ALIASES.get(name, name) not in FIELDS:
                raise _err(f"unknown field {m.group(1)!r} (fields: {', '.join(FIELDS)})", q, i)
            out.append(_Tok("FIELD", m.group(1), i))
            i = m.end()
            if i >= n or q[i].isspace() or q[i] == ")":
                raise _err(f"missing value after {m.group(1)}:", q, i)
            if q[i] == "(":
                raise _err(f"{m.group(1)}: takes one word or a \"phrase\", not a group", q, i)
            continue
        j = i
        while j < n and q[j] not in _STOP_CHARS:
            j += 1
        word = q[i:j]
        if word in _OPERATORS:
            out.append(_Tok(word, word, i))
        elif m and not (out and out[-1].kind == "FIELD"):  # a pasted URL: https://example.com/a
            out.append(_Tok("FIELD", "url", i))
            out.append(_Tok("WORD", word, i))
        else:
            out.append(_Tok("WORD", word, i))
        i = j
    return out


def _closing_quote(q: str, start: int) -> int:
    for k in range(start, len(q)):
        if q[k] in "\"“”":
            return k
    return -1


def _before_ok(q: str, i: int) -> bool:
    """A '-' is a NOT only at the start of a word (after space or an opening parenthesis)."""
    return i == 0 or q[i - 1].isspace() or q[i - 1] == "("


# --------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, q: str, today: _dt.date):
        self.q = q
        self.today = today
        self.toks = _lex(q)
        self.i = 0
        self.depth = 0  # parentheses and NOTs open around the current token

    def enter(self, tok: _Tok) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _err(f"the query nests parentheses or NOT more than {MAX_DEPTH} levels deep", self.q, tok.pos)

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node:
        if not self.toks:
            return MatchAll()
        node = self.or_expr()
        tok = self.peek()
        if tok is not None:
            if tok.kind == "RPAREN":
                raise _err("unbalanced parenthesis: ')' without '('", self.q, tok.pos)
            raise _err(f"unexpected {tok.text!r}", self.q, tok.pos)  # pragma: no cover
        return node

    def or_expr(self) -> Node:
        first = self.peek()
        if first is not None and first.kind in ("OR", "AND"):
            raise _err(f"{first.kind} needs a term before it", self.q, first.pos)
        items = [self.and_expr()]
        while (tok := self.peek()) is not None and tok.kind == "OR":
            self.take()
            nxt = self.peek()
            if nxt is None or nxt.kind in ("RPAREN", "OR", "AND"):
                raise _err("OR needs a term after it", self.q, tok.pos)
            items.append(self.and_expr())
        return _group(Or, items)

    def and_expr(self) -> Node:
        items = [self.unary()]
        while (tok := self.peek()) is not None and tok.kind not in ("OR", "RPAREN"):
            if tok.kind == "AND":
                self.take()
                nxt = self.peek()
                if nxt is None or nxt.kind in ("RPAREN", "OR", "AND"):
                    raise _err("AND needs a term after it", self.q, tok.pos)
            items.append(self.unary())
        return _group(And, items)

    def unary(self) -> Node:
        tok = self.peek()
        assert tok is not None
        if tok.kind in ("NOT", "MINUS"):
            self.take()
            nxt = self.peek()
            if nxt is None or nxt.kind in ("RPAREN", "OR", "AND"):
                what = "NOT" if tok.kind == "NOT" else "'-'"
                raise _err(f"{what} needs a term after it", self.q, tok.pos)
            if tok.kind == "MINUS" and nxt.kind in ("NOT", "MINUS"):
                raise _err("double negation", self.q, nxt.pos)
            self.enter(tok)
            inner = self.unary() if tok.kind == "NOT" else self.atom()
            self.depth -= 1
            return Not(inner)
        return self.atom()

    def atom(self) -> Node:
        tok = self.take()
        if tok.kind == "LPAREN":
            nxt = self.peek()
            if nxt is None:
                raise _err("unbalanced parenthesis: '(' is never closed", self.q, tok.pos)
            if nxt.kind == "RPAREN":
                raise _err("empty parentheses", self.q, tok.pos)
            self.enter(tok)
            node = self.or_expr()
            self.depth -= 1
            close = self.peek()
            if close is None or close.kind != "RPAREN":
                raise _err("unbalanced parenthesis: '(' is never closed", self.q, tok.pos)
            self.take()
            return node
        if tok.kind == "RPAREN":
            raise _err("unbalanced parenthesis: ')' without '('", self.q, tok.pos)
        if tok.kind in ("OR", "AND"):
            raise _err(f"{tok.kind} needs a term before it", self.q, tok.pos)
        if tok.kind == "FIELD":
            return self.field_value(tok)
        return self.value(None, tok)

    def field_value(self, ftok: _Tok) -> Node:
        name = ftok.text.lower()
        name = FIELD_ALIASES.get(name, name)
        vtok = self.peek()
        if vtok is None or vtok.kind not in ("WORD", "PHRASE", "OR", "AND", "NOT"):
            raise _err(f"missing value after {ftok.text}:", self.q, ftok.pos + len(ftok.text) + 1)
        self.take()
        if name == "published":
            return self.date_value(vtok)
        return self.value(name, vtok)

    def value(self, field: str | None, tok: _Tok) -> Node:
        text = tok.text
        if tok.kind == "PHRASE":
            words = tuple(text.split())
            if not words:
                raise _err("empty phrase", self.q, tok.pos)
            if field in EXACT_FIELDS:
                return Term(field, " ".join(words))
            if len(words) == 1 and tok.slop is None:
                return Term(field, words[0])
            return Phrase(field, words, tok.slop if tok.slop is not None else 1)
        if field in EXACT_FIELDS:
            if text.endswith("*") and len(text) > 1 and "*" not in text[:-1]:
                return Prefix(field, text[:-1])
            return Term(field, text)
        m = re.fullmatch(r"(.*?)~(\d*)", text)
        if m and m.group(1):
            base, dist = m.group(1), m.group(2)
            self._plain(base, tok)
            d = int(dist) if dist else 1
            if not 1 <= d <= 2:
                raise _err("fuzzy distance must be 1 or 2 (word~ or word~2)", self.q, tok.pos + len(base))
            return Fuzzy(field, base, d)
        if text.endswith("*"):
            base = text.rstrip("*")
            if not base:
                raise _err("a wildcard needs at least one letter before '*'", self.q, tok.pos)
            self._plain(base, tok)
            return Prefix(field, base)
        self._plain(text, tok)
        return Term(field, text)

    def _plain(self, text: str, tok: _Tok) -> None:
        for k, ch in enumerate(text):
            if ch == "*":
                raise _err("'*' is allowed only at the end of a word", self.q, tok.pos + k)
            if ch == "~":
                raise _err("'~' is allowed only at the end of a word", self.q, tok.pos + k)

    # -- dates ------------------------------------------------------------
    def date_value(self, tok: _Tok) -> DateRange:
        text = tok.text.strip()
        col = tok.pos + (1 if tok.quoted else 0)
        try:
            return _date_range(text, self.today)
        except (DateError, ValueError, OverflowError) as exc:
            raise _err(f"bad date {text!r}: {_one_line(exc)}", self.q, col) from None


def _group(kind, items: list[Node]) -> Node:
    """``And``/``Or`` of ``items`` with repeats dropped (``a a`` is ``a``, ``a OR a`` is ``a``)."""
    unique = list(dict.fromkeys(items))
    return unique[0] if len(unique) == 1 else kind(tuple(unique))


def _one_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__


_ISO_PART = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


def _span(text: str) -> tuple[_dt.date, _dt.date]:
    """The first and last day a (partial) date covers."""
    m = _ISO_PART.match(text)
    if m:
        y = int(m.group(1))
        mo = int(m.group(2)) if m.group(2) else None
        d = int(m.group(3)) if m.group(3) else None
        if mo is None:
            return _dt.date(y, 1, 1), _dt.date(y, 12, 31)
        if not 1 <= mo <= 12:
            raise ValueError(f"month out of range: {mo}")
        if d is None:
            return _dt.date(y, mo, 1), _dt.date(y, mo, calendar.monthrange(y, mo)[1])
        day = _dt.date(y, mo, d)  # ValueError on 2024-02-30
        return day, day
    from .dates import parse_date  # free text ("Sept 2024"): dateutil, loaded only here

    pd = parse_date(text)
    if pd.month is None:
        return _span(f"{pd.year:04d}")
    if pd.day is None:
        return _span(f"{pd.year:04d}-{pd.month:02d}")
    first = pd.as_date()
    return first, first


def _date_range(text: str, today: _dt.date) -> DateRange:
    if not text:
        raise ValueError("empty date")
    if re.fullmatch(r"-\d+[dwmy]", text):
        from .dates import parse_relative_days

        try:
            return DateRange(parse_relative_days(text, today=today), None)
        except OverflowError:  # further back than year 1: every date qualifies
            return DateRange(_dt.date.min, None)
    for op in (">=", "<=", ">", "<"):
        if text.startswith(op):
            rest = text[len(op):].strip()
            first, last = _span(rest)
            if op == ">=":
                return DateRange(first, None)
            if op == ">":
                if last == _dt.date.max:
                    raise ValueError("there is no date after 9999-12-31")
                return DateRange(last + _dt.timedelta(days=1), None)
            if op == "<=":
                return DateRange(None, last)
            if first == _dt.date.min:
                raise ValueError("there is no date before 0001-01-01")
            return DateRange(None, first - _dt.timedelta(days=1))
    if ".." in text:
        a, _, b = text.partition("..")
        a, b = a.strip(), b.strip()
        if not a and not b:
            raise ValueError("a range needs at least one end")
        start = _span(a)[0] if a else None
        end = _span(b)[1] if b else None
        if start and end and start > end:
            raise ValueError("the range ends before it starts")
        return DateRange(start, end)
    first, last = _span(text)
    return DateRange(first, last)


# --------------------------------------------------------------------------- API


def parse(query: str, *, today: _dt.date | None = None) -> Node:
    """Parse a query string. ``today`` anchors relative dates (``published:-30d``)."""
    if query is None:
        query = ""
    query = str(query)
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is {len(query)} characters long; the limit is {MAX_QUERY_CHARS} "
                         f"(at column {MAX_QUERY_CHARS + 1})", query=query, position=MAX_QUERY_CHARS)
    tree = _Parser(query, today or _dt.date.today()).parse()
    leaves = set(_leaves(tree))
    if len(leaves) > MAX_TERMS:
        raise QueryError(f"the query has {len(leaves)} different search terms; the limit is {MAX_TERMS}",
                         query=query, position=None)
    for kind, limit, what in ((Fuzzy, MAX_FUZZY, "fuzzy terms (word~)"), (Prefix, MAX_PREFIX, "wildcard terms (word*)")):
        n = sum(1 for leaf in leaves if isinstance(leaf, kind))
        if n > limit:
            raise QueryError(f"the query has {n} {what}; the limit is {limit}", query=query, position=None)
    return tree


def _leaves(node: Node) -> list[Node]:
    """Every leaf of the tree (iteratively: no recursion on deep trees)."""
    out: list[Node] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, (And, Or)):
            stack.extend(n.items)
        elif isinstance(n, Not):
            stack.append(n.item)
        elif not isinstance(n, MatchAll):
            out.append(n)
    return out


def caret(query: str, position: int | None) -> str:
    """Two lines for a terminal: the query and a ``^`` under the problem."""
    if position is None:
        return query
    return f"{query}\n{' ' * max(0, min(position, len(query)))}^"


def positive_leaves(node: Node) -> list[Node]:
    """Leaves that are not under a ``Not`` (what snippets should highlight)."""
    out: list[Node] = []

    def walk(n: Node) -> None:
        if isinstance(n, (And, Or)):
            for item in n.items:
                walk(item)
        elif isinstance(n, Not):
            return
        elif not isinstance(n, MatchAll):
            out.append(n)

    walk(node)
    return out
