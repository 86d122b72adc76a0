"""The query language: tables of good inputs -> trees and bad inputs -> messages."""

from __future__ import annotations

import datetime as dt

import pytest

from newsarchive.errors import QueryError, UsageError
from newsarchive.query import (
    And, DateRange, Fuzzy, MatchAll, Not, Or, Phrase, Prefix, Term, caret, parse, positive_leaves,
)

TODAY = dt.date(2024, 10, 15)
D = dt.date


def T(text, field=None):
    return Term(field, text)


GOOD = [
    # bare words, AND by default
    ("sanctions", T("sanctions")),
    ("serbia sanctions", And((T("serbia"), T("sanctions")))),
    ("serbia AND sanctions", And((T("serbia"), T("sanctions")))),
    ("  spaced   out  ", And((T("spaced"), T("out")))),
    ("", MatchAll()),
    ("   ", MatchAll()),
    # OR binds looser than AND
    ("a OR b", Or((T("a"), T("b")))),
    ("a b OR c", Or((And((T("a"), T("b"))), T("c")))),
    ("a (b OR c)", And((T("a"), Or((T("b"), T("c")))))),
    ("((a))", T("a")),
    # lower-case operators are words
    ("war or peace", And((T("war"), T("or"), T("peace")))),
    # negation
    ("NOT a", Not(T("a"))),
    ("a -b", And((T("a"), Not(T("b"))))),
    ("a NOT (b OR c)", And((T("a"), Not(Or((T("b"), T("c"))))))),
    ("-\"a b\"", Not(Phrase(None, ("a", "b")))),
    ("+a", T("a")),
    # hyphens and apostrophes stay inside words
    ("us-sanctioned", T("us-sanctioned")),
    ("won't", T("won't")),
    ("10:30", T("10:30")),
    # phrases
    ('"won\'t join"', Phrase(None, ("won't", "join"))),
    ('"a  b c"~3', Phrase(None, ("a", "b", "c"), 3)),
    ('"single"', T("single")),
    ("“curly quotes”", Phrase(None, ("curly", "quotes"))),
    # prefix and fuzzy
    ("belgrad*", Prefix(None, "belgrad")),
    ("vucic~", Fuzzy(None, "vucic", 1)),
    ("vucic~2", Fuzzy(None, "vucic", 2)),
    # fields and aliases
    ("title:serbia", T("serbia", "title")),
    ('title:"won\'t join"', Phrase("title", ("won't", "join"))),
    ("author:gec", T("gec", "author")),
    ("authors:gec", T("gec", "author")),
    ('author:"Jovana Gec"', Phrase("author", ("Jovana", "Gec"))),
    ("outlet:reuters", T("reuters", "outlet")),
    ("section:world", T("world", "section")),
    ("tag:sanctions", T("sanctions", "tag")),
    ('tag:"middle east"', T("middle east", "tag")),
    ("tags:x", T("x", "tag")),
    ("lang:sr", T("sr", "lang")),
    ("language:en", T("en", "lang")),
    ("domain:bbc.co.uk", T("bbc.co.uk", "domain")),
    ("site:bbc.co.uk", T("bbc.co.uk", "domain")),
    ("url:https://apnews.com/a?b=c", T("https://apnews.com/a?b=c", "url")),
    ("url:https://apnews.com/article/*", Prefix("url", "https://apnews.com/article/")),
    ("https://apnews.com/x", T("https://apnews.com/x", "url")),
    ("id:01h2x3", T("01h2x3", "id")),
    ("id:01h*", Prefix("id", "01h")),
    ("citekey:gec2024serbia", T("gec2024serbia", "citekey")),
    ('kind:"news agency"', T("news agency", "kind")),
    ("TITLE:x", T("x", "title")),
    ("body:x*", Prefix("body", "x")),
    ("(title:a OR author:b) c", And((Or((T("a", "title"), T("b", "author"))), T("c")))),
    # dates (inclusive)
    ("published:2024", DateRange(D(2024, 1, 1), D(2024, 12, 31))),
    ("published:2024-02", DateRange(D(2024, 2, 1), D(2024, 2, 29))),
    ("published:2024-09-04", DateRange(D(2024, 9, 4), D(2024, 9, 4))),
    ("published:2024-09-01..2024-09-30", DateRange(D(2024, 9, 1), D(2024, 9, 30))),
    ("published:2023..2024-06", DateRange(D(2023, 1, 1), D(2024, 6, 30))),
    ("published:2024..", DateRange(D(2024, 1, 1), None)),
    ("published:..2024-03", DateRange(None, D(2024, 3, 31))),
    ("published:>2024-09-01", DateRange(D(2024, 9, 2), None)),
    ("published:>=2024-09-01", DateRange(D(2024, 9, 1), None)),
    ("published:>2024", DateRange(D(2025, 1, 1), None)),
    ("published:<2024", DateRange(None, D(2023, 12, 31))),
    ("published:<=2024-09", DateRange(None, D(2024, 9, 30))),
    ("published:-30d", DateRange(D(2024, 9, 15), None)),
    ("published:-2w", DateRange(D(2024, 10, 1), None)),
    ('published:"Sept 2024"', DateRange(D(2024, 9, 1), D(2024, 9, 30))),
    ("date:2024", DateRange(D(2024, 1, 1), D(2024, 12, 31))),
    ("serbia published:2024 -tag:sport",
     And((T("serbia"), DateRange(D(2024, 1, 1), D(2024, 12, 31)), Not(T("sport", "tag"))))),
]


@pytest.mark.parametrize("text, tree", GOOD, ids=[g[0] or "<empty>" for g in GOOD])
def test_parse(text, tree):
    assert parse(text, today=TODAY) == tree


BAD = [
    # (query, part of the message, 0-based position)
    ("foo:bar", "unknown field 'foo'", 0),
    ("serbia autor:gec", "unknown field 'autor'", 7),
    ("(a b", "'(' is never closed", 0),
    ("a (b (c)", "'(' is never closed", 2),
    ("a b)", "')' without '('", 3),
    (")", "')' without '('", 0),
    ("()", "empty parentheses", 0),
    ('"abc', "unbalanced quote", 0),
    ('a "b c', "unbalanced quote", 2),
    ("a OR", "OR needs a term after it", 2),
    ("OR a", "OR needs a term before it", 0),
    ("a OR OR b", "OR needs a term after it", 2),
    ("(a OR)", "OR needs a term after it", 3),
    ("a AND", "AND needs a term after it", 2),
    ("NOT", "NOT needs a term after it", 0),
    ("a NOT", "NOT needs a term after it", 2),
    ("title:", "missing value after title:", 6),
    ("title: x", "missing value after title:", 6),
    ("title:(a b)", "not a group", 6),
    ("published:2024-13", "bad date '2024-13'", 10),
    ("published:2024-02-30", "bad date", 10),
    ("published:yesterdayish", "bad date", 10),
    ("published:2024-09..2024-01", "ends before it starts", 10),
    ("published:..", "at least one end", 10),
    ('published:"13/13/2024"', "bad date", 11),
    ("a~5", "fuzzy distance must be 1 or 2", 1),
    ("a*b", "'*' is allowed only at the end", 1),
    ("*", "needs at least one letter", 0),
    ('"a b"c', "space after the closing quote", 5),
    ('""', "empty phrase", 0),
]


@pytest.mark.parametrize("text, message, position", BAD, ids=[b[0] for b in BAD])
def test_bad_queries(text, message, position):
    with pytest.raises(QueryError) as info:
        parse(text, today=TODAY)
    err = info.value
    assert message in str(err)
    assert err.position == position
    assert err.query == text
    assert "\n" not in str(err)
    assert f"column {position + 1}" in str(err)
    assert isinstance(err, UsageError)


def test_caret_points_at_the_problem():
    with pytest.raises(QueryError) as info:
        parse("serbia autor:gec")
    assert caret("serbia autor:gec", info.value.position) == "serbia autor:gec\n       ^"
    assert caret("q", None) == "q"


def test_relative_dates_default_to_today():
    tree = parse("published:-1d")
    assert tree == DateRange(dt.date.today() - dt.timedelta(days=1), None)


def test_trees_are_immutable_and_hashable():
    tree = parse("a (b OR c) -d", today=TODAY)
    assert hash(tree) == hash(parse("a (b OR c) -d", today=TODAY))
    with pytest.raises(Exception):
        tree.items = ()  # type: ignore[misc]


def test_positive_leaves_skip_negations():
    tree = parse('a "b c" -d NOT (e OR f) g*', today=TODAY)
    assert positive_leaves(tree) == [T("a"), Phrase(None, ("b", "c")), Prefix(None, "g")]


def test_query_module_does_not_import_whoosh():
    import subprocess
    import sys

    code = "import sys, newsarchive.query, newsarchive.search.whoosh; print('whoosh' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
