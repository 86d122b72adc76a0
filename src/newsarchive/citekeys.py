"""Citekey formulas: how new entries' citekeys are made, in a syntax like Better BibTeX's.

A formula is literal text and ``[field]`` or ``[field:modifier:...]`` parts, e.g.
``[auth:lower][year][shorttitle:lower]``. Fields:

- ``auth``: first author's family name (with its particle, "vanderleyen"), or the organisation;
  the outlet when there is no author; ``anon`` when there is neither (24 characters at most).
- ``authors``: every author's family name (or organisation), joined (at most three, then ``etal``).
- ``year``: the year published, ``nd`` when unknown.
- ``veryshorttitle``: the first title word that is not a stop word (20 characters at most).
- ``shorttitle``: the first three such words.
- ``title``: every title word.
- ``outlet``: the outlet; ``kind``: the entry's kind.

Modifiers: ``lower``, ``upper``, ``capitalize`` (first letter of each word up), and a number
``N`` keeps the first N characters. Every part is folded to ASCII letters and digits (a key must
be safe in BibTeX and in file names). The default formula makes the keys newsarchive has
always made ("associatedpress2024sample"). Pure functions; no I/O.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from .errors import UsageError

DEFAULT_PATTERN = "[auth:lower][year][veryshorttitle:lower]"
FIELDS = ("auth", "authors", "year", "veryshorttitle", "shorttitle", "title", "outlet", "kind")
MODIFIERS = ("lower", "upper", "capitalize")
_PART = re.compile(r"\[([^\[\]]*)\]")
_LITERAL_OK = re.compile(r"^[A-Za-z0-9_:.\-+/]*$")


def parse(pattern: str) -> list[tuple[str, Any]]:
    """``pattern`` -> parts: ``("text", s)`` or ``("field", (name, [modifiers]))``. Raises
    UsageError naming what is wrong."""
    if not isinstance(pattern, str) or not pattern.strip():
        raise UsageError("a citekey pattern must be a non-empty text such as [auth:lower][year]")
    parts: list[tuple[str, Any]] = []
    pos = 0
    for m in _PART.finditer(pattern):
        literal = pattern[pos:m.start()]
        if literal:
            parts.append(("text", _literal(literal)))
        name, *mods = [p.strip() for p in m.group(1).split(":")]
        if name not in FIELDS:
            raise UsageError(f"unknown citekey field [{m.group(1)}] (fields: {', '.join(FIELDS)})")
        for mod in mods:
            if mod not in MODIFIERS and not (mod.isdigit() and int(mod) > 0):
                raise UsageError(f"unknown citekey modifier {mod!r} in [{m.group(1)}] "
                                 f"(modifiers: {', '.join(MODIFIERS)}, or a number of characters)")
        parts.append(("field", (name, mods)))
        pos = m.end()
    if pattern[pos:]:
        parts.append(("text", _literal(pattern[pos:])))
    if not any(kind == "field" for kind, _ in parts):
        raise UsageError(f"the citekey pattern {pattern!r} has no [field]; every key would be the same")
    return parts


def _literal(text: str) -> str:
    if "[" in text or "]" in text:
        raise UsageError(f"unbalanced brackets in the citekey pattern near {text!r}")
    if not _LITERAL_OK.match(text):
        raise UsageError(f"the citekey pattern's text {text!r} has characters a citekey cannot hold "
                         "(letters, digits and _ : . - + / only)")
    return text


def _fold(text: str) -> str:
    """ASCII letters and digits, case kept."""
    from .normalize import fold

    return re.sub(r"[^A-Za-z0-9]", "", fold(text, keep_case=True))


def _family(author: Mapping[str, Any]) -> str:
    return " ".join(p for p in (author.get("non_dropping_particle"), author.get("family")) if p) \
        or author.get("literal") or ""


def _title_words(fields: Mapping[str, Any]) -> list[str]:
    from .normalize import _STOP

    words = [_fold(w) for w in re.split(r"\s+", fields.get("title") or "")]
    return [w for w in words if w and w.lower() not in _STOP]


def _value(name: str, fields: Mapping[str, Any]) -> str:
    authors = fields.get("authors") or []
    if name == "auth":
        first = _fold(_family(authors[0])) if authors else ""
        return (first or _fold(str(fields.get("outlet") or "")) or "anon")[:24]
    if name == "authors":
        names = [_fold(_family(a)) for a in authors]
        names = [n for n in names if n]
        if not names:
            return _value("auth", fields)
        return "".join(names[:3]) + ("EtAl" if len(names) > 3 else "")
    if name == "year":
        published = fields.get("published")
        year = re.match(r"-?\d{4}", str(published)) if published else None
        return year.group(0).lstrip("-") if year else "nd"
    if name == "veryshorttitle":
        words = _title_words(fields)
        return words[0][:20] if words else ""
    if name == "shorttitle":
        return "".join(_title_words(fields)[:3])
    if name == "title":
        return "".join(_fold(w) for w in re.split(r"\s+", fields.get("title") or ""))
    if name == "outlet":
        return _fold(str(fields.get("outlet") or ""))
    if name == "kind":
        return _fold(str(fields.get("kind") or ""))
    raise UsageError(f"unknown citekey field {name!r}")  # pragma: no cover  (parse checks)


def _modify(value: str, mods: list[str], raw: str) -> str:
    for mod in mods:
        if mod == "lower":
            value = value.lower()
        elif mod == "upper":
            value = value.upper()
        elif mod == "capitalize":
            value = value[:1].upper() + value[1:]
        elif mod.isdigit():
            value = value[: int(mod)]
    return value


def make(pattern: str, fields: Mapping[str, Any]) -> str:
    """The citekey ``pattern`` gives for an entry's ``fields`` (before making it unique)."""
    out = []
    for kind, part in parse(pattern):
        if kind == "text":
            out.append(part)
            continue
        name, mods = part
        if name in ("authors", "shorttitle", "title") and "capitalize" in mods:
            # capitalize each word: rebuild the value from capitalised words
            value = _capitalised(name, fields)
            mods = [m for m in mods if m != "capitalize"]
        else:
            value = _value(name, fields)
        out.append(_modify(value, mods, name))
    key = "".join(out)[:100]
    return key or "anon"


def _capitalised(name: str, fields: Mapping[str, Any]) -> str:
    if name == "authors":
        names = [_fold(_family(a)) for a in fields.get("authors") or []]
        names = [n[:1].upper() + n[1:] for n in names if n]
        return "".join(names[:3]) + ("EtAl" if len(names) > 3 else "") if names else _value("auth", fields)
    words = _title_words(fields) if name == "shorttitle" else \
        [w for w in (_fold(x) for x in re.split(r"\s+", fields.get("title") or "")) if w]
    words = words[:3] if name == "shorttitle" else words
    return "".join(w[:1].upper() + w[1:] for w in words)


def base(pattern: str, fields: Mapping[str, Any]) -> str:
    """The key for ``fields`` under ``pattern``; the default pattern is the key newsarchive has
    always made (``normalize.citekey_base``), byte for byte."""
    if pattern == DEFAULT_PATTERN:
        from .normalize import citekey_base

        return citekey_base(fields)
    return make(pattern, fields)
