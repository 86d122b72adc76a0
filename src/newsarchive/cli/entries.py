"""init, add, show, list, rm, extract."""


import re
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from . import app
from .refs import complete, expand
from .common import (CsvRawOpt, Format, FormatOpt, ListFormatOpt, LockTimeoutOpt, Skips, echo, echo_data, fail,
                     handles_errors, note, root_of)

ENTRY_COLUMNS = ["id", "citekey", "published", "outlet", "title"]


@app.command()
@handles_errors
def init(directory: Annotated[Path, typer.Argument(help="Folder for the new collection.")] = Path("."),
         engine: Annotated[str, typer.Option(
             help="Search engine: whoosh (pure Python, the default) or tantivy (fast, for large "
                  "collections). `reindex --engine` switches later.")] = "whoosh") -> None:
    """Create a collection (a folder holding archive/, and index/ for derived data)."""
    from .. import api

    root = api.init(directory, engine=engine)
    echo(f"Initialised collection in {root} (search engine: {engine.strip().lower()})")


def _fields(**opts: Any) -> dict[str, Any]:
    """CLI options -> raw field values (only those given)."""
    out = {}
    for key, value in opts.items():
        if value is None or value == [] or value is False:
            continue
        out[key] = value
    return out


def _org(name: str) -> str:
    """--org NAME: the name braced, which keeps it whole as an organisation."""
    name = " ".join(name.split())
    if not name:
        raise fail("--org needs a name", 2)
    if "{" in name or "}" in name:
        raise fail(f"--org {name!r}: braces are not allowed in an organisation's name", 2)
    return "{" + name + "}"


@app.command()
@handles_errors
def add(
    ctx: typer.Context,
    source: Annotated[Optional[str], typer.Argument(
        help="A file to archive (.html, .txt, .md, ...), - for standard input, or an http(s) URL to "
             "fetch. Leave out for a metadata-only entry.")] = None,
    title: Annotated[Optional[str], typer.Option(help="Headline (default: found in the snapshot).")] = None,
    author: Annotated[Optional[list[str]], typer.Option(
        "--author", "-a", help='An author; repeat for several. "Gec, Jovana", "Jovana Gec", "King, Martin '
        'Luther, Jr.", or an organisation such as "Associated Press" (kept whole); "{...}" keeps any '
        'name whole as an organisation.')] = None,
    org: Annotated[Optional[list[str]], typer.Option(
        "--org", help="An organisation as author, kept whole as written; repeat for several. Listed "
        'after the --author names (to put one first, give it as --author "{Name}").')] = None,
    outlet: Annotated[Optional[str], typer.Option(help="Publication, e.g. \"AP News\".")] = None,
    kind: Annotated[Optional[str], typer.Option(
        help="newspaper, news website, news agency, magazine, broadcast, blog, press release, webpage.")] = None,
    published: Annotated[Optional[str], typer.Option(help='Publication date, e.g. "Wednesday, Sept. 4, 2024".')] = None,
    modified: Annotated[Optional[str], typer.Option(help="Date the article was last updated.")] = None,
    accessed: Annotated[Optional[str], typer.Option(help="Date you read it (default: capture time).")] = None,
    url: Annotated[Optional[str], typer.Option(help="The article's live URL.")] = None,
    archived_url: Annotated[Optional[str], typer.Option(help="A public archived copy (Wayback, archive.today).")] = None,
    section: Annotated[Optional[str], typer.Option(help="Section, e.g. World.")] = None,
    pages: Annotated[Optional[str], typer.Option(help='Print pages, e.g. "A1, A4".')] = None,
    language: Annotated[Optional[str], typer.Option("--language", "--lang", help="Language code, e.g. en.")] = None,
    tag: Annotated[Optional[list[str]], typer.Option("--tag", "-t", help="A tag; repeat for several.")] = None,
    notes: Annotated[Optional[str], typer.Option(help="Free-text notes.")] = None,
    citekey: Annotated[Optional[str], typer.Option(help="Citation key (default: author+year+word).")] = None,
    designed_to_change: Annotated[bool, typer.Option(
        "--designed-to-change", help="The page is meant to change (APA then gives a retrieval date).")] = False,
    media_type: Annotated[Optional[str], typer.Option(help="Media type of the snapshot (default: guessed).")] = None,
    dayfirst: Annotated[bool, typer.Option("--dayfirst/--monthfirst",
                                           help="Read 04/09/2024 as 4 September (default: April 9).")] = False,
    new_entry: Annotated[bool, typer.Option(
        "--new-entry", help="Archive as a new entry even when the URL is already archived.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be stored; write nothing.")] = False,
    timestamp: Annotated[bool, typer.Option(
        "--timestamp", help="Then get an RFC 3161 trusted timestamp of the capture (from --tsa/--tsa-ca or "
                               "the settings' evidence.tsa_url/evidence.tsa_ca).")] = False,
    tsa: Annotated[Optional[str], typer.Option("--tsa", help="With --timestamp: the time-stamp authority's URL.")] = None,
    tsa_ca: Annotated[Optional[Path], typer.Option(
        "--tsa-ca", help="With --timestamp: PEM file of the TSA's CA certificates.", dir_okay=False)] = None,
    fmt: FormatOpt = Format.table,
    lock_timeout: LockTimeoutOpt = 30.0,
) -> None:
    """Archive a snapshot (file, stdin or URL) with its metadata."""
    from .. import api

    root = root_of(ctx)
    authors = list(author or []) + [_org(o) for o in org or []]
    fields = _fields(title=title, authors=authors or None, outlet=outlet, kind=kind, published=published,
                     modified=modified, accessed=accessed, url=url, archived_url=archived_url,
                     section=section, pages=pages, language=language, tags=tag or None, notes=notes,
                     designed_to_change=designed_to_change, citekey=citekey)
    data, name, warc, http, captured, tls_chain = None, None, None, None, None, None
    if timestamp and not dry_run:  # refused before anything is fetched or written
        from ..evidence import tsa_of
        from ..evidence.timestamp import check_options

        check_options(*tsa_of(root, url=tsa, ca=tsa_ca))
    if source is None:
        if not fields.get("title"):
            raise fail("give a file, - or a URL to archive, or at least --title for a metadata-only entry", 2)
    elif source == "-":
        data, name = sys.stdin.buffer.read(api.MAX_SNAPSHOT_BYTES + 1), "-"  # over the limit: refused below
    elif source.lower().startswith(("http://", "https://")):
        from ..evidence import operator_of

        capture = api.fetch(source, operator=operator_of(root))
        data, name, warc, http = capture.body, capture.final_url, capture.warc, capture.http
        media_type = media_type or capture.media_type
        captured = capture.captured_at
        tls_chain = capture.tls_chain
    elif re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", source):
        raise fail(f"only http and https URLs can be fetched, not {source.split(':', 1)[0]}://", 2)
    else:
        path = Path(source)
        if not path.is_file():
            raise fail(f"no such file: {source}", 2)
        data, name = api.read_snapshot_file(path, name=source, limit=api.MAX_SNAPSHOT_BYTES), str(path)
    from ..errors import IndexNotUpdated

    index_failure = None
    try:
        outcome = api.add(root, data=data, source=name, fields=fields, media_type=media_type, dayfirst=dayfirst,
                          new_entry=new_entry, dry_run=dry_run, lock_timeout=lock_timeout, warc=warc, http=http,
                          captured_at=captured, tls_chain=tls_chain)
    except IndexNotUpdated as exc:  # archived all the same: say so, and how to repair the index
        if exc.outcome is None:
            raise
        outcome, index_failure = exc.outcome, str(exc)
    try:
        _print_added(outcome, fmt, dry_run)
    finally:
        if index_failure:
            note(f"Error: {index_failure}")
    if index_failure:
        raise typer.Exit(1)
    if timestamp and not dry_run and outcome.id and outcome.status in ("created", "new-version", "duplicate",
                                                                        "unchanged"):
        from ..evidence.timestamp import stamp
        from .evidence import print_stamps

        if print_stamps(stamp(root, [outcome.id], tsa_url=tsa, ca_file=tsa_ca, lock_timeout=lock_timeout)):
            raise typer.Exit(1)


def _print_added(outcome, fmt, dry_run: bool) -> None:
    if fmt is not Format.table:
        from ..render import write_records

        rec = outcome.to_json()
        if outcome.entry is not None:
            rec["entry"] = outcome.entry.to_json()
        write_records([rec], fmt=fmt.value, columns=["ref", "status", "id", "message"], single=True)
        return
    entry = outcome.entry
    if outcome.status in ("created", "would-create"):
        verb = "Would archive" if dry_run else "Archived"
        echo(f"{verb} {entry.id}  [{entry.citekey}]  {entry.title or '(no title)'}")
        if outcome.message:
            note(f"note: {outcome.message}")
        if not entry.title:
            note(f"no title was found; set one with: newsarchive edit {entry.id} --set 'title=...'")
    else:
        echo(f"{outcome.status}: {outcome.id}: {outcome.message}")


def entry_pairs(entry, paths: dict[str, str] | None = None, *, provenance: bool = False) -> list[tuple[str, Any]]:
    from ..render import flat

    data = entry.to_json()
    prov = data.get("provenance") or {}
    pairs: list[tuple[str, Any]] = []
    from ..fields import show_always, show_when_set

    for key in show_always():
        value = data[key]
        if provenance and flat(value) and key in prov:
            value = f"{flat(value)}   ({prov[key]})"
            if key == "url" and prov.get("url_given"):
                value += f"; given as {prov['url_given']}"
        pairs.append((key, value))
    for key in show_when_set():
        if key in data:  # bibliographic fields: shown when set
            value = data[key]
            if provenance and flat(value) and key in prov:
                value = f"{flat(value)}   ({prov[key]})"
            pairs.append((key, value))
    if data["designed_to_change"]:
        pairs.append(("designed_to_change", True))
    for n, s in enumerate(entry.snapshots, 1):
        label = f"version {n}" if len(entry.snapshots) > 1 else "snapshot"
        where = (paths or {}).get(s.path, s.path)
        pairs.append((label, f"{where}  {s.media_type}  {s.size} bytes  captured {s.captured_at.iso()}"))
        pairs.append(("sha256", s.sha256))
        if s.source:
            pairs.append(("source", s.source))
        if s.timestamp:
            pairs.append(("timestamp", f"{s.timestamp.get('time')} by {s.timestamp.get('tsa')}  ({s.timestamp.get('token')})"))
    return pairs


@app.command()
@handles_errors
def show(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Entry ID, unique ID prefix, or citekey; - reads several from "
                                            "standard input, one per line.", autocompletion=complete)],
    fmt: FormatOpt = Format.table,
    provenance: Annotated[bool, typer.Option("--provenance", help="Say where each field came from.")] = False,
) -> None:
    """Show one entry: metadata, snapshot hashes, where the files live."""
    from .. import api
    from ..render import key_values, write_records

    root = root_of(ctx)
    if ref == "-":  # several entries: each resolved first, so that a typo shows nothing
        entries = [api.get(root, r) for r in expand([ref])]
        if fmt is Format.table:
            for n, entry in enumerate(entries):
                if n:
                    echo("")
                key_values(entry_pairs(entry, api.entry_paths(root, entry), provenance=provenance))
        else:
            rows = [e.to_json() for e in entries]
            write_records(rows, fmt=fmt.value, columns=list(rows[0]))
        return
    entry = api.get(root, ref)
    if fmt is Format.table:
        key_values(entry_pairs(entry, api.entry_paths(root, entry), provenance=provenance))
    else:
        write_records([entry.to_json()], fmt=fmt.value, columns=list(entry.to_json()), single=True)


@app.command("list")
@handles_errors
def list_(
    ctx: typer.Context,
    sort: Annotated[str, typer.Option(help="published, title, outlet, citekey, id, accessed, added; "
                                           "-field sorts descending.")] = "published",
    tag: Annotated[Optional[str], typer.Option(help="Only entries with this tag.")] = None,
    outlet: Annotated[Optional[str], typer.Option(help="Only this outlet.")] = None,
    kind: Annotated[Optional[str], typer.Option(help="Only this kind.")] = None,
    author: Annotated[Optional[str], typer.Option(help="Only authors whose name contains this.")] = None,
    year: Annotated[Optional[int], typer.Option(help="Only this publication year.")] = None,
    language: Annotated[Optional[str], typer.Option("--language", "--lang", help="Only this language.")] = None,
    limit: Annotated[Optional[int], typer.Option(min=1, help="At most this many.")] = None,
    fmt: ListFormatOpt = "table",  # type: ignore[assignment]
    csv_raw: CsvRawOpt = False,
) -> None:
    """List entries, sorted and filtered by simple fields."""
    from .. import api
    from ..fields import csv_columns
    from ..render import write_records

    where = {k: str(v) for k, v in dict(tag=tag, outlet=outlet, kind=kind, author=author, year=year,
                                        language=language).items() if v is not None}
    skips = Skips()
    entries = api.list_entries(root_of(ctx), sort=sort, where=where, limit=limit, on_skip=skips)
    fmt_value = getattr(fmt, "value", fmt)
    # list -f csv has the columns of export --to csv (the field registry's): one CSV shape,
    # which import reads back by the same names
    cols = ENTRY_COLUMNS if fmt_value in ("table", "ids") else csv_columns()
    write_records((e.to_json() for e in entries), fmt=fmt_value, columns=cols, csv_raw=csv_raw)
    skips.exit_if_any()


@app.command()
@handles_errors
def rm(
    ctx: typer.Context,
    refs: Annotated[list[str], typer.Argument(help="Entry IDs, unique prefixes or citekeys; - reads them from "
                                                   "standard input (then --yes is needed).", autocompletion=complete)],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
    lock_timeout: LockTimeoutOpt = 30.0,
) -> None:
    """Delete entries with their snapshots (asks first)."""
    from .. import api

    coll = api.Collection(root_of(ctx), lock_timeout=lock_timeout)
    # resolve all first: a typo removes nothing. An entry whose metadata cannot be read can be
    # removed by its exact folder ID
    catalog = coll.catalog()
    targets = [api.removal_target(coll, r, catalog=catalog) for r in expand(refs)]
    for entry_id, entry, why in targets:
        if not yes:
            if not sys.stdin.isatty():
                raise fail("rm asks before deleting; pass --yes when not at a terminal", 2)
            from ..render import safe

            what = (f"{entry.id} [{entry.citekey}] {entry.title or ''}" if entry is not None
                    else f"{entry_id} (unreadable: {why})")
            if not typer.confirm(safe(f"Delete {what} and its snapshots?")):
                note(f"kept {entry_id}")
                continue
        coll.remove(entry_id)
        echo(f"Removed {entry_id}")


@app.command()
@handles_errors
def extract(
    file: Annotated[Path, typer.Argument(help="An HTML or text file.", exists=False)],
    url: Annotated[Optional[str], typer.Option(help="The page's URL (helps outlet and canonical URL).")] = None,
    media_type: Annotated[Optional[str], typer.Option(help="Media type (default: guessed).")] = None,
    fmt: FormatOpt = Format.table,
    text: Annotated[bool, typer.Option("--text", help="Also print the extracted article text.")] = False,
) -> None:
    """Show the metadata and text that would be taken from a file, without archiving it."""
    from .. import api
    from ..render import key_values, write_records

    if not file.is_file():
        raise fail(f"no such file: {file}", 2)
    result = api.extract_preview(api.read_snapshot_file(file), name=str(file), url=url, media_type=media_type)
    if fmt is Format.table:
        pairs = [(k, f"{v}   ({result['provenance'].get(k, '')})") for k, v in result["fields"].items()]
        key_values(pairs)
        if result.get("note"):
            note(f"note: {result['note']}")
        if text:
            echo_data("\n" + result["text"])
    else:
        write_records([result if text else {k: v for k, v in result.items() if k != "text"}],
                      fmt=fmt.value, columns=["fields", "provenance"], single=True)
