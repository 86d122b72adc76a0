r"""The one output layer: records -> table | json | jsonl | csv | ids.

Records are plain dicts in the public JSON shape. ``json`` prints a list (or one object for a
single-record command such as ``show``), ``jsonl`` one object per line, ``csv`` one row per
record with lists joined by "; ", ``table`` a rich table of the chosen columns, ``ids`` one ID
per line (for ``xargs``).

Two safety rules live here and nowhere else:

- :func:`safe` is what text meant for a terminal goes through: control characters (C0 except
  newline and tab in multi-line text, DEL, C1), bidirectional overrides and isolates (U+202A-E,
  U+2066-9, ...) and line/paragraph separators are shown as escapes (``\x1b``, ``\u202e``),
  so a title holding an escape sequence (an OSC 52 clipboard write, a window title, a screen
  clear) is printed, never run. Tables, ``key: value`` lines and every message of the CLI use
  it. JSON output keeps every value exact: :func:`dumps_json` writes those characters as JSON
  ``\uXXXX`` escapes, which decode to the same strings.
- :func:`csv_cell` neutralises spreadsheet formulas in every CSV written (``list``/``search``
  ``-f csv``, ``export --to csv``): a cell starting with ``=``, ``+``, ``-``, ``@``, tab or
  carriage return (after any apostrophes) gets an apostrophe in front (OWASP's advice), which
  the CSV importer removes again, so an export imports back exactly. ``--csv-raw`` writes the
  cells as they are.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from typing import Any, Iterable, Sequence, TextIO

FORMATS = ("table", "json", "jsonl", "csv", "ids")

# C0 (without \t \n), DEL, C1, bidi marks/embeddings/overrides/isolates, line/paragraph separators
_UNSAFE_MULTILINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
                               "\u202a-\u202e\u2066-\u2069]")
_UNSAFE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_FORMULA = re.compile("'*[=+\\-@\t\r]")
_GUARDED = re.compile("'+[=+\\-@\t\r]")


_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape(m: re.Match) -> str:
    ch = m.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(text: Any, *, multiline: bool = False) -> str:
    """``text`` as it may be shown on a terminal: control and bidi characters escaped. With
    ``multiline`` newlines and tabs stay (article text, citations); otherwise they are escaped
    too, so one value stays on one line. Carriage returns are always escaped."""
    text = "" if text is None else str(text)
    return (_UNSAFE_MULTILINE if multiline else _UNSAFE_LINE).sub(_escape, text)


JSON_UNSAFE_RE = _JSON_UNSAFE


def json_escape(m: re.Match) -> str:
    """A character matched by ``JSON_UNSAFE_RE`` as a JSON ``\\uXXXX`` escape."""
    return f"\\u{ord(m.group()):04x}"


def dumps_json(obj: Any, **kw: Any) -> str:
    """``json.dumps`` (UTF-8 kept) with DEL, C1 and bidi controls written as ``\\uXXXX``: the
    same values for any JSON reader, nothing a terminal would act on. (Outside strings JSON
    holds no such characters, so the substitution only ever touches string contents.)"""
    if kw == {"indent": 2}:  # the same characters, written faster (an import's report lines)
        from .ondisk import pretty_json

        return _JSON_UNSAFE.sub(json_escape, pretty_json(obj))
    return _JSON_UNSAFE.sub(json_escape, json.dumps(obj, ensure_ascii=False, **kw))


def csv_cell(text: str, *, raw: bool = False) -> str:
    """One CSV cell; unless ``raw``, a cell a spreadsheet would run as a formula gets a leading
    apostrophe (also a cell of apostrophes before such a character, so that :func:`csv_unguard`
    restores every value exactly)."""
    if not raw and _FORMULA.match(text):
        return "'" + text
    return text


def csv_unguard(text: str) -> str:
    """Undo :func:`csv_cell` on a cell read back from a CSV."""
    return text[1:] if _GUARDED.match(text) else text


def flat(value: Any) -> str:
    """A JSON value as one cell of text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        if "literal" in value:
            return str(value["literal"])
        if "family" in value:
            # "von der Leyen, Ursula", "Goethe, Johann Wolfgang von", "King, Martin Luther, Jr.":
            # every part of the name, in a form that reads back as the same name
            family = " ".join(p for p in (value.get("non_dropping_particle"), value.get("family")) if p)
            given = " ".join(p for p in (value.get("given"), value.get("dropping_particle")) if p)
            return ", ".join(p for p in (family, given, value.get("suffix")) if p)
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "; ".join(flat(v) for v in value)
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def dumps(obj: Any) -> str:
    return dumps_json(obj, indent=2)


def _isatty(out: Any) -> bool:
    try:
        return bool(out.isatty())
    except (AttributeError, ValueError):
        return False


def write_records(records: Iterable[dict[str, Any]], *, fmt: str, columns: Sequence[str],
                  out: TextIO | None = None, single: bool = False, title: str | None = None,
                  csv_raw: bool = False) -> None:
    out = out or sys.stdout
    if fmt == "json":
        rows = list(records)
        out.write(dumps(rows[0] if single and len(rows) == 1 else rows) + "\n")
    elif fmt == "jsonl":
        for r in records:
            out.write(dumps_json(r) + "\n")
    elif fmt == "csv":
        records = list(records)
        cols = list(columns) if columns else (list(records[0]) if records else [])
        # a CSV shown on a terminal is read by people: escapes shown, never run; to a file or a
        # pipe the cells stay exact (apart from the formula guard)
        shown = safe if _isatty(out) else (lambda text: text)
        w = csv.writer(out, lineterminator="\n")
        w.writerow([shown(csv_cell(c, raw=csv_raw)) for c in cols])
        for r in records:
            w.writerow([shown(csv_cell(flat(r.get(c)), raw=csv_raw)) for c in cols])
    elif fmt == "ids":
        for r in records:
            out.write(f"{safe(r['id'])}\n")
    elif fmt == "table":
        table(list(records), columns, out=out, title=title)
    else:
        raise ValueError(f"unknown format {fmt!r}")


def _cell(text: str, limit: int = 2000) -> str:
    """A table is read by people: a huge value (a megabyte title) is cut, json/csv keep it whole."""
    return text if len(text) <= limit else text[:limit] + "…"


def table(rows: list[dict[str, Any]], columns: Sequence[str], *, out: TextIO, title: str | None = None) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(file=out, highlight=False, soft_wrap=False)
    if not console.is_terminal:  # piped or captured: no terminal width to respect
        console.width = 160
    t = Table(title=escape(safe(title)) if title else None, show_lines=False, expand=False)
    for c in columns:
        t.add_column(c, overflow="fold", no_wrap=c in ("id", "published", "score"))
    for r in rows:
        t.add_row(*(r.get(c) if c == "snippet" and r.get(c) else escape(safe(_cell(flat(r.get(c))))) for c in columns))
    console.print(t)


def key_values(pairs: Sequence[tuple[str, Any]], *, out: TextIO | None = None) -> None:
    """A single record as aligned ``key: value`` lines (``show`` in a terminal)."""
    out = out or sys.stdout
    width = max((len(k) for k, _ in pairs), default=0)
    buf = io.StringIO()
    for k, v in pairs:
        text = safe(flat(v))
        if text:
            buf.write(f"{safe(k).rjust(width)}: {text}\n")
    out.write(buf.getvalue())
