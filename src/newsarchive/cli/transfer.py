"""import and export."""


import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import app
from .. import formats
from ..errors import NewsArchiveError
from .refs import complete, expand
from .common import (CsvRawOpt, Format, FormatOpt, LockTimeoutOpt, Skips, data_writer, echo_json, fail,
                     handles_errors, is_terminal, note, parse_assignments, root_of)


@app.command("import")
@handles_errors
def import_(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(help=f"A file ({formats.suffix_list(formats.IMPORTERS)}, "
                                                "URL list) or a folder of pages.")],
    from_: Annotated[Optional[str], typer.Option("--from", help=f"Source format: {formats.help_list(formats.IMPORTERS)} "
                                                 "(default: detected from the name or the first bytes).")] = None,
    map_: Annotated[Optional[list[str]], typer.Option("--map", help="CSV: field=column, e.g. title=headline.")] = None,
    report: Annotated[Optional[Path], typer.Option(help="Write one JSON line per record to this file.")] = None,
    on_error: Annotated[str, typer.Option("--on-error", help="skip: go on past a bad record; stop: end there.")] = "skip",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would happen; write nothing.")] = False,
    dayfirst: Annotated[bool, typer.Option("--dayfirst/--monthfirst", help="Read 04/09/2024 as 4 September.")] = False,
    host_delay: Annotated[float, typer.Option("--host-delay", min=0,
                                              help="URL lists: seconds between two requests to one host.")] = 1.0,
    match: Annotated[str, typer.Option("--match", help="When a citation (a record without a snapshot) is "
                                       "an archived work: strict (everything that tells works apart agrees: "
                                       "title, authors, full date, outlet, volume, issue, pages, DOI, URL, "
                                       "key), url (the same URL or DOI is enough), none (never).")] = "strict",
    set_: Annotated[Optional[list[str]], typer.Option(
        "--set", help="FIELD=VALUE for every record, e.g. outlet=BBC or kind=news website (repeatable). A "
                      "record's own value (in the file, or from its page) wins unless --override.")] = None,
    tag: Annotated[Optional[list[str]], typer.Option("--tag", help="Add this tag to every record (repeatable).")] = None,
    override: Annotated[bool, typer.Option("--override", help="--set values replace the records' own values "
                                                              "(each replacement is said in the record's line).")] = False,
    tags_from_folders: Annotated[bool, typer.Option(
        "--tags-from-folders", help="Folders: tag each file with the names of the subfolders it is in.")] = False,
    include: Annotated[Optional[list[str]], typer.Option(
        "--include", help="Folders: import only files matching this glob (path inside the folder, or file "
                          "name); repeatable.")] = None,
    exclude: Annotated[Optional[list[str]], typer.Option(
        "--exclude", help="Folders: skip files matching this glob; repeatable. README, LICENSE, CHANGES and "
                          "similar files are skipped unless --include names them.")] = None,
    fmt: FormatOpt = Format.table,
    lock_timeout: LockTimeoutOpt = 30.0,
) -> None:
    """Import records: each becomes an entry (duplicates are recognised and skipped).

    Statuses: created, duplicate (already archived: same bytes, or the same work under --match;
    the report names the entry and why), new-version (a changed page at an archived URL),
    unchanged, skipped (passed over, with the reason: a WARC record that is not an article, a
    revisit with nothing to resolve to), failed; with --dry-run would-create and would-add-version."""
    import time

    from .. import api
    from ..render import dumps_json

    from ..import_options import ImportOptions

    root = root_of(ctx)
    options = ImportOptions(set_fields=parse_assignments(set_, "--set", allow_empty=False), tags=tuple(tag or ()),
                            override=override, include=tuple(include or ()), exclude=tuple(exclude or ()),
                            tags_from_folders=tags_from_folders)
    ticks = {"done": 0}
    bar: dict = {}

    def tick() -> None:  # once per record as it is processed (outcomes come a batch at a time)
        ticks["done"] += 1
        if bar:
            rate = ticks["done"] / max(time.monotonic() - started, 1e-6)
            bar["progress"].update(bar["task"], completed=ticks["done"], rate=f"{rate:.0f}")

    outcomes = api.import_file(root, source, source_format=from_, mapping=parse_assignments(map_, "--map", shape="field=column", allow_empty=False), dayfirst=dayfirst,
                               dry_run=dry_run, on_error=on_error, lock_timeout=lock_timeout,
                               host_delay=host_delay, match=match, options=options, on_record=tick)
    try:
        # line-buffered: what was reported survives an interruption
        report_fh = open(report, "w", encoding="utf-8", buffering=1) if report else None
    except OSError as exc:
        raise fail(f"cannot write the report {report}: {exc.strerror or exc}") from None
    counts: dict[str, int] = {}
    # the progress bar goes to standard error, and only when that is a terminal (never into a pipe
    # or a file); with --format jsonl on a terminal the lines themselves show the progress
    progress = None
    if is_terminal(sys.stderr) and (fmt is Format.table or not is_terminal(sys.stdout)):
        progress = _progress()
    task = None
    started = time.monotonic()
    failures: list[str] = []
    notes: list[str] = []
    index_failures: list[str] = []  # archived records whose batch could not reach the index
    done = 0
    # --format json: every record's line, printed with the summary; kept rendered, in a file
    # once they are many (a large import's report is not held as objects in memory)
    lines = _JsonOutcomes() if fmt is Format.json else None
    csv_out = None
    if fmt is Format.csv:  # one row per record, as it is processed
        import csv as _csv

        from ..render import csv_cell, safe

        shown = safe if is_terminal(sys.stdout) else (lambda text: text)  # as write_records does
        csv_out = _csv.writer(sys.stdout, lineterminator="\n")
        csv_out.writerow(["ref", "status", "id", "message"])
    try:
        if progress is not None:
            progress.start()
            task = progress.add_task("import", total=_estimate(source, from_), rate="0")
            bar.update(progress=progress, task=task)
        for o in outcomes:
            counts[o.status] = counts.get(o.status, 0) + 1
            done += 1
            if o.index_error:
                index_failures.append(o.index_error)
            line = o.to_json()
            if report_fh:
                report_fh.write(dumps_json(line) + "\n")
            if fmt is Format.jsonl:
                echo_json(line)
            elif lines is not None:
                lines.add(line)
            elif csv_out is not None:
                csv_out.writerow([shown(csv_cell(str(v) if v is not None else "")) for v in
                                  (o.ref, o.status, o.id, o.message)])
                sys.stdout.flush()
            if o.status == "failed" and len(failures) < 20:
                failures.append(o.message if o.message and o.ref in o.message else f"{o.ref}: {o.message}")
            elif o.status in ("created", "would-create") and o.message and len(notes) < 20:
                notes.append(f"{o.ref}: {o.message}")  # e.g. a page over the extraction limits
    finally:
        if progress is not None:
            progress.stop()
        if report_fh:
            report_fh.close()
    elapsed = time.monotonic() - started
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "nothing"
    if lines is not None:
        lines.write({"records": done, "counts": counts, "seconds": round(elapsed, 2)})
    elif fmt is Format.table:
        for n in notes:
            note(f"note: {n}")
        for f in failures:
            note(f"failed: {f}")
        more = counts.get("failed", 0) - len(failures)
        if more > 0:
            note(f"failed: ... and {more} more" + (f" (all in {report})" if report else " (--report FILE lists all)"))
        note(f"{done} records in {elapsed:.1f} s ({done / max(elapsed, 1e-6):.0f}/s): {summary}"
             + (" (dry run)" if dry_run else ""))
        if counts.get("created") and not dry_run:
            from ..search.advice import suggestion_for

            hint = suggestion_for(root)
            if hint:
                note(f"note: {hint}")
    if index_failures:
        from ..api import index_failure

        n = len(index_failures)
        note("Error: " + index_failure(f"archived {n} record{'s' if n != 1 else ''}", index_failures[-1]))
    if counts.get("failed") or index_failures:
        raise typer.Exit(1)


class _JsonOutcomes:
    """``import --format json``'s outcome lines, rendered as they come (as ``echo_json(...,
    indent=2)`` renders them inside the summary) and spooled to a temporary file past a few MB."""

    def __init__(self, spool_over: int = 8 << 20) -> None:
        import tempfile

        self._file = tempfile.SpooledTemporaryFile(max_size=spool_over, mode="w+", encoding="utf-8", newline="")
        self._n = 0

    def add(self, line: dict) -> None:
        from ..render import dumps_json

        text = dumps_json(line, indent=2).replace("\n", "\n    ")  # JSON text has no raw newline in a value
        self._file.write((",\n    " if self._n else "    ") + text)
        self._n += 1

    def write(self, summary: dict) -> None:
        """Print ``summary`` with the lines as its last key, ``outcomes``."""
        from ..render import dumps_json

        if not self._n:
            typer.echo(dumps_json({**summary, "outcomes": []}, indent=2))
            return
        typer.echo(dumps_json(summary, indent=2)[:-2] + ',\n  "outcomes": [')  # without its closing "\n}"
        self._file.seek(0)
        while chunk := self._file.read(1 << 16):
            typer.echo(chunk, nl=False)
        typer.echo("\n  ]\n}")
        self._file.close()


def _progress():
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)

    return Progress(TextColumn("importing"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[rate]}/s"), TimeElapsedColumn(), TextColumn("ETA"),
                    TimeRemainingColumn(), transient=True, console=Console(stderr=True),
                    redirect_stdout=False)  # standard output carries the report lines (-f jsonl > file)


def _estimate(source: Path, from_: str | None) -> int | None:
    """The number of records, counted cheaply for the ETA; None when unknown (the bar then shows
    the count and rate only)."""
    try:
        return formats.estimate(source, formats.importer(from_) if from_ else formats.detect(source))
    except (OSError, ValueError, NewsArchiveError):
        return None


@app.command()
@handles_errors
def export(
    ctx: typer.Context,
    query: Annotated[Optional[str], typer.Argument(help="A search query selecting entries (default: all).")] = None,
    to: Annotated[str, typer.Option("--to", "--format", "-f", help=formats.help_list(formats.EXPORTERS)
                                    + " (-f/--format: the same option, spelled as on every other command).")] = "jsonl",
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="File to write (default or -: standard "
                                                  "output; warc and bagit need a file or folder).")] = None,
    id_: Annotated[Optional[list[str]], typer.Option("--id", help="Export this entry (repeatable) instead of a query; "
                                                     "--id - reads IDs/citekeys from standard input.",
                                                     autocompletion=complete)] = None,
    ascii_: Annotated[bool, typer.Option("--ascii", help="BibTeX: LaTeX escapes instead of UTF-8.")] = False,
    key: Annotated[str, typer.Option("--key", help="Citation key in BibTeX/BibLaTeX/CSL-JSON/RIS: citekey "
                                                   "(readable, the default) or id (the entry ID).")] = "citekey",
    csv_raw: CsvRawOpt = False,
    include_damaged: Annotated[bool, typer.Option(
        "--include-damaged", help="Export entries that fail their fixity check too, marked as damaged "
                                  "(default: leave them out and name them).")] = False,
) -> None:
    """Export entries (all, a search query's matches, or --id ones) to a file.

    Each entry's files are checked against their recorded SHA-256 first; a damaged entry is left
    out and named on standard error (exit status 1) unless --include-damaged is given."""
    from .. import api

    root = root_of(ctx)
    exp = formats.exporter(to)
    if (output is None or output == "-") and exp.takes == "collection":  # warc, bagit: a file or a folder
        what, arg = ("a file", "-o FILE") if exp.suffix else ("a folder", "-o FOLDER")
        raise fail(f"--to {exp.name} writes {what}, not text for standard output: give {arg}", 2)
    out = None if output is None or output == "-" else Path(output)
    id_ = expand(id_) if id_ else id_
    incomplete: list[str] = []

    def tell(what: str) -> None:
        incomplete.append(what)
        note(f"incomplete: {what}")

    skips = Skips()
    from .progress import Bar

    total = len(id_) if id_ else (None if query else len(api.open_store(root).ids()))
    # the bar is on standard error, and not while the export itself is shown on the terminal
    bar = Bar("exporting", total=total, enabled=out is not None or not is_terminal(sys.stdout))
    with bar:
        n = _export(api, root, to, out, query, id_, ascii_, key, tell, csv_raw, include_damaged, skips, bar)
    also = f" ({len(incomplete)} incomplete, written with what they have)" if incomplete else ""
    if skips.count:
        also += f"; {skips.count} skipped"
    if out is not None:
        note(f"exported {n} entries to {out}{also}")
    elif incomplete:
        note(f"{len(incomplete)} of {n} entries incomplete, written with what they have")
    skips.exit_if_any()


def _export(api, root, to, out, query, id_, ascii_, key, tell, csv_raw, include_damaged, skips, bar) -> int:
    return api.export(root, to=to, out=out, query=query, ids=id_ or (),
                      write=data_writer() if out is None else None, ascii=ascii_, key=key, notify=note,
                      on_incomplete=tell, csv_raw=csv_raw, include_damaged=include_damaged, on_skip=skips,
                      on_damaged=lambda entry_id, why: note(f"exported {entry_id} marked as damaged: {why}"),
                      on_entry=bar.advance)
