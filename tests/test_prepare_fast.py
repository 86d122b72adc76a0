"""The per-record preparation of an import, made cheaper, gives what the plain code gave: each
fast path is checked against the straightforward version of the same rule."""

from __future__ import annotations

import re

from hypothesis import given, settings, strategies as hs

from newsarchive.api.capture import _normal_text

# every kind of whitespace str.split() knows, line breaks of every convention, and letters
_TEXT = hs.text(alphabet=" \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u2028\u3000ab.", max_size=40)


def _normal_text_plain(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    out = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return out + "\n" if out else ""


@settings(max_examples=500, deadline=None)
@given(_TEXT)
def test_normal_text_is_the_plain_rule(text):
    assert _normal_text(text) == _normal_text_plain(text)


def test_normal_text_collapses_spaces_and_empty_lines():
    assert _normal_text("  Title \r\n\r\n\r\n\n  a   b\t c \n \n\n\nend  ") == "Title\n\na b c\n\nend\n"
    assert _normal_text(" \n\t\n") == ""
