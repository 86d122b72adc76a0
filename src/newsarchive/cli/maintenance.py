"""reindex, status."""


import time
from typing import Annotated, Optional

import typer

from . import app
from .common import Format, FormatOpt, LockTimeoutOpt, Skips, echo, echo_json, handles_errors, note, root_of


@app.command()
@handles_errors
def reindex(ctx: typer.Context, lock_timeout: LockTimeoutOpt = 30.0,
            engine: Annotated[Optional[str], typer.Option(
                help="Convert the collection to this search engine (whoosh or tantivy): the new "
                     "index is built beside the old one, then swapped in.")] = None) -> None:
    """Rebuild the search index from the archive alone."""
    from .. import api

    from .progress import Bar

    started = time.monotonic()
    skips = Skips()
    root = root_of(ctx)
    with Bar("indexing", total=len(api.open_store(root).ids())) as bar:
        n = api.reindex(root, lock_timeout=lock_timeout, engine=engine, on_skip=skips, on_entry=bar.advance)
    how = f" with {engine.strip().lower()}" if engine else ""
    echo(f"Indexed {n} entries{how} in {time.monotonic() - started:.1f} s"
         + (f"; {skips.count} skipped" if skips.count else ""))
    skips.exit_if_any()


@app.command()
@handles_errors
def status(
    ctx: typer.Context,
    fmt: FormatOpt = Format.table,
    full: Annotated[bool, typer.Option("--full", help="Compare every entry.json with the catalog first (one "
                                                      "stat each; by default a slice of them per command, "
                                                      "see docs/search-engines.md).")] = False,
) -> None:
    """Entry and index counts, and any drift between archive and index."""
    from .. import api
    from ..render import key_values

    skips = Skips()
    s = api.status(root_of(ctx), on_skip=skips, full=full)
    if fmt is not Format.table:
        if fmt is Format.json:
            echo_json(s.to_json(), indent=2)
        else:  # one record: a JSON line, or a CSV header and row (lists joined as in `list -f csv`)
            from ..render import write_records

            record = s.to_json()
            write_records([record], fmt=fmt.value, columns=list(record))
        if s.index_state != "ok" or s.versions_index == "damaged":
            raise typer.Exit(1)
        skips.exit_if_any()
        return
    advice = {"ok": "in step with the archive", "missing": "not built yet; run `newsarchive reindex`",
              "outdated": "built by another version; run `newsarchive reindex`",
              "damaged": "damaged; run `newsarchive reindex`",
              "drift": "out of step with the archive; run `newsarchive reindex`"}[s.index_state]
    pairs = [("collection", s.root), ("entries", s.entries), ("snapshots", s.snapshots),
             ("indexed", "-" if s.indexed is None else s.indexed), ("index", advice), ("engine", s.engine)]
    if s.indexed is not None:  # the index is there: say whether its older versions are
        pairs.append(("older versions", {
            "ok": "indexed (search --all-versions)",
            "missing": "not indexed (an index built by an earlier version); `newsarchive reindex` "
                       "or the first `search --all-versions` builds it",
            "damaged": "damaged; run `newsarchive reindex`"}[s.versions_index]))
    if s.missing_from_index:
        pairs.append(("not indexed", ", ".join(s.missing_from_index[:10])))
    if s.extra_in_index:
        pairs.append(("indexed, not in archive", ", ".join(s.extra_in_index[:10])))
    if s.detail:
        pairs.append(("problem", s.detail))
    if s.stale:
        pairs.append(("indexed from an older entry.json", ", ".join(s.stale[:10])))
    if s.unreadable:
        pairs.append(("unreadable entries", ", ".join(s.unreadable[:10])))
    if s.pending:
        pairs.append(("interrupted writes", ", ".join(s.pending[:10])))
    key_values(pairs)
    if s.suggestion:
        note(f"note: {s.suggestion}")
    if s.index_state != "ok" or s.versions_index == "damaged":
        raise typer.Exit(1)
    skips.exit_if_any()
