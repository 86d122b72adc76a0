"""search."""


import html
import re
from typing import Annotated, Optional

import typer

from . import app
from .common import CsvRawOpt, ListFormatOpt, Skips, echo_json, handles_errors, is_terminal, note, root_of

HIT_COLUMNS = ["id", "citekey", "published", "outlet", "title", "score", "snippet"]


def _terminal_snippet(snippet: str | None) -> str:
    """The index's HTML snippet (escaped text, matches in <b>) as rich markup: matches in bold."""
    from rich.markup import escape

    from ..render import safe

    if not snippet:
        return ""
    parts = re.split(r"(<b>.*?</b>)", snippet)
    return "".join(f"[bold]{escape(safe(html.unescape(p[3:-4])))}[/bold]" if p.startswith("<b>")
                   else escape(safe(html.unescape(p))) for p in parts)


def _plain_snippet(snippet: str | None) -> str:
    return html.unescape(re.sub(r"</?b>", "", snippet or ""))


def _table_snippet(snippet: str | None) -> str:
    """A plain snippet as table markup (the table takes snippets as markup)."""
    from rich.markup import escape

    from ..render import safe

    return escape(safe(_plain_snippet(snippet)))


@app.command()
@handles_errors
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help='Query, e.g. \'vucic sanctions\', \'outlet:"AP News" '
                                              'published:2024-09 putin\'. The language: docs/search.md.')],
    sort: Annotated[str, typer.Option(help="relevance, published (oldest first) or -published.")] = "relevance",
    limit: Annotated[Optional[int], typer.Option(
        "--limit", "-n", min=0, help="Hits to show (default 20; with -f ids every match).")] = None,
    offset: Annotated[int, typer.Option(min=0, help="Hits to skip (paging).")] = 0,
    facet: Annotated[Optional[list[str]], typer.Option(
        help="Count all matches by outlet, year, author, tag or kind; repeatable.")] = None,
    snippets: Annotated[bool, typer.Option("--snippets/--no-snippets", help="Show matching text.")] = True,
    all_versions: Annotated[bool, typer.Option("--all-versions", help="Search every archived version.")] = False,
    fmt: ListFormatOpt = "table",  # type: ignore[assignment]
    csv_raw: CsvRawOpt = False,
) -> None:
    """Search the archive as full text; ranked hits with highlighted snippets."""
    from .. import api

    fmt_value = getattr(fmt, "value", fmt)
    want_snippets = snippets and fmt_value != "ids"
    skips = Skips()
    root = root_of(ctx)
    if limit is None and fmt_value == "ids":  # a pipe wants every match: count them, then fetch all
        limit = api.search(root, query, limit=0, offset=offset, sort=sort, all_versions=all_versions,
                           snippets=False).total
    result = api.search(root, query, limit=20 if limit is None else limit, offset=offset, sort=sort,
                        facets=facet or (), snippets=want_snippets, all_versions=all_versions, on_skip=skips)
    _print_hits(result, query, fmt_value, offset, want_snippets, all_versions, csv_raw)
    shown = offset + len(result.hits)
    if result.total > shown and fmt_value != "table":  # the table's title says it already
        note(f"showing {offset + 1 if result.hits else offset}-{shown} of {result.total} matches; "
             f"--offset {shown} for the next page, --limit N for more, -f ids for every ID")
    skips.exit_if_any()


def _print_hits(result, query: str, fmt_value: str, offset: int, want_snippets: bool, all_versions: bool,
                csv_raw: bool = False) -> None:
    from ..render import write_records

    if fmt_value == "json":
        echo_json(result.to_json(query=query, offset=offset), indent=2)
        return
    hits = [h.to_json() for h in result.hits]
    if fmt_value == "table":
        terminal = is_terminal()
        for h in hits:
            h["published"] = (h["published"] or "")[:10]
            h["snippet"] = _terminal_snippet(h["snippet"]) if terminal else _table_snippet(h["snippet"])
        cols = HIT_COLUMNS if want_snippets else HIT_COLUMNS[:-1]
        if all_versions:
            cols = [*cols[:5], "version", *cols[5:]]
        write_records(hits, fmt="table", columns=cols,
                      title=f"{result.total} match{'es' if result.total != 1 else ''}"
                            + (f", showing {offset + 1}-{offset + len(hits)}" if hits else ""))
        for name, items in result.facets.items():
            write_records([{name: v, "count": n} for v, n in items], fmt="table", columns=[name, "count"])
        return
    if fmt_value == "csv":  # a spreadsheet wants text, not HTML
        for h in hits:
            h["snippet"] = _plain_snippet(h["snippet"])
    write_records(hits, fmt=fmt_value, columns=HIT_COLUMNS, csv_raw=csv_raw)
