"""The one output layer: records -> table | json | jsonl | csv | ids.

Records are plain dicts in the public JSON shape. ``json`` prints a list (or one object for a
single-record command such as ``show``), ``jsonl`` one object per line, ``csv`` one row per
record with lists joined by "; ", ``table`` a rich table of the chosen columns, ``ids`` one ID
per line (for ``xargs``).
"""

from __future__ import annotations

import csv
import io
import json
import sys
from typing import Any, Iterable, Sequence, TextIO

FORMATS = ("table", "json", "jsonl", "csv", "ids")


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
    return json.dumps(obj, ensure_ascii=False, indent=2)


def write_records(records: Iterable[dict[str, Any]], *, fmt: str, columns: Sequence[str],
                  out: TextIO | None = None, single: bool = False, title: str | None = None) -> None:
    out = out or sys.stdout
    if fmt == "json":
        rows = list(records)
        out.write(dumps(rows[0] if single and len(rows) == 1 else rows) + "\n")
    elif fmt == "jsonl":
        for r in records:
            out.write(json.dumps(r, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        records = list(records)
        cols = list(columns) if columns else (list(records[0]) if records else [])
        w = csv.writer(out, lineterminator="\n")
        w.writerow(cols)
        for r in records:
            w.writerow([flat(r.get(c)) for c in cols])
    elif fmt == "ids":
        for r in records:
            out.write(f"{r['id']}\n")
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
    t = Table(title=title, show_lines=False, expand=False)
    for c in columns:
        t.add_column(c, overflow="fold", no_wrap=c in ("id", "published", "score"))
    for r in rows:
        t.add_row(*(r.get(c) if c == "snippet" and r.get(c) else escape(_cell(flat(r.get(c)))) for c in columns))
    console.print(t)


def key_values(pairs: Sequence[tuple[str, Any]], *, out: TextIO | None = None) -> None:
    """A single record as aligned ``key: value`` lines (``show`` in a terminal)."""
    out = out or sys.stdout
    width = max((len(k) for k, _ in pairs), default=0)
    buf = io.StringIO()
    for k, v in pairs:
        text = flat(v)
        if text:
            buf.write(f"{k.rjust(width)}: {text}\n")
    out.write(buf.getvalue())
