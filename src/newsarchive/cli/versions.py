"""edit, history, diff, verify."""


import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from . import app
from .refs import complete, expand
from .common import (Format, FormatOpt, LockTimeoutOpt, echo, echo_json, fail, handles_errors, is_terminal,
                     note, parse_assignments, root_of)


@app.command()
@handles_errors
def edit(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Entry ID, unique prefix or citekey; - reads several from standard "
                                            "input (one per line) and makes the same change to each.",
                                       autocompletion=complete)],
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="field=value, e.g. section=World; repeatable.")] = None,
    unset: Annotated[Optional[list[str]], typer.Option(help="Remove a field's value; repeatable.")] = None,
    add_tag: Annotated[Optional[list[str]], typer.Option("--add-tag", help="Add a tag; repeatable.")] = None,
    remove_tag: Annotated[Optional[list[str]], typer.Option("--remove-tag", help="Remove a tag; repeatable.")] = None,
    dayfirst: Annotated[bool, typer.Option("--dayfirst/--monthfirst", help="Read 04/09/2024 as 4 September.")] = False,
    fmt: FormatOpt = Format.table,
    lock_timeout: LockTimeoutOpt = 30.0,
) -> None:
    """Change an entry's metadata (with no option: open $EDITOR on it). Every change is kept in its history."""
    from .. import api

    coll = api.Collection(root_of(ctx), lock_timeout=lock_timeout)
    replace_all = None
    expect_sha256 = None
    if ref == "-":
        if not (set_ or unset or add_tag or remove_tag):
            raise fail("edit - (references from standard input) needs --set/--unset/--add-tag/--remove-tag", 2)
        _edit_many(coll, expand([ref]), set_, unset, add_tag, remove_tag, dayfirst, fmt)
        return
    if not (set_ or unset or add_tag or remove_tag):
        entry = api.get_for_change(coll, ref)
        ref = entry.id
        import os

        if not (sys.stdin.isatty() or os.environ.get("VISUAL") or os.environ.get("EDITOR")):
            raise fail("give --set/--unset/--add-tag/--remove-tag, or set $EDITOR to edit the entry", 2)
        # the hash first, then the entry: if it changes in between, the edit is refused (never lost)
        expect_sha256 = api.entry_sha256(coll.store, entry.id)  # compared again under the lock
        entry = coll.get(entry.id)
        original = api.edit_document(entry)
        edited = _run_editor(original)
        if edited == original:
            note("no change")
            return
        replace_all = api.parse_edit_document(edited)
    updated, changes = coll.edit(ref, set_fields=parse_assignments(set_, "--set", joined=("author", "authors", "tag", "tags")), unset=unset or (),
                                 add_tags=add_tag or (), remove_tags=remove_tag or (), dayfirst=dayfirst,
                                 replace_all=replace_all, expect_sha256=expect_sha256)
    if fmt is not Format.table:
        from ..render import write_records

        write_records(changes, fmt=fmt.value, columns=["at", "action", "field", "old", "new"])
        return
    if not changes:
        echo(f"{updated.id}: no change")
    for c in changes:
        echo(f"{updated.id}: {c['field']}: {_short(c['old'])} -> {_short(c['new'])}")


def _edit_many(coll, refs, set_, unset, add_tag, remove_tag, dayfirst, fmt) -> None:
    """The same change to several entries: every reference is resolved first (a typo changes
    nothing); then each entry is changed and gets its own lines."""
    from .. import api

    ids = [api.get_for_change(coll, r).id for r in refs]
    fields = parse_assignments(set_, "--set", joined=("author", "authors", "tag", "tags"))
    rows = []
    for entry_id in dict.fromkeys(ids):  # an entry named twice is changed once
        updated, changes = coll.edit(entry_id, set_fields=fields, unset=unset or (), add_tags=add_tag or (),
                                     remove_tags=remove_tag or (), dayfirst=dayfirst)
        if fmt is not Format.table:
            rows.extend({"id": updated.id, **c} for c in changes)
            continue
        if not changes:
            echo(f"{updated.id}: no change")
        for c in changes:
            echo(f"{updated.id}: {c['field']}: {_short(c['old'])} -> {_short(c['new'])}")
    if fmt is not Format.table:
        from ..render import write_records

        write_records(rows, fmt=fmt.value, columns=["id", "at", "action", "field", "old", "new"])


def _run_editor(text: str) -> str:
    """Open $VISUAL/$EDITOR (else vi) on a temporary copy of ``text``; return what was saved."""
    import os
    import shlex
    import subprocess
    import tempfile

    command = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    fd, path = tempfile.mkstemp(prefix="newsarchive-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        try:
            code = subprocess.call([*shlex.split(command), path])
        except OSError as exc:
            raise fail(f"cannot run the editor {command!r}: {exc.strerror}", 2) from None
        if code != 0:
            raise fail(f"the editor exited with status {code}; nothing changed", 1)
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    finally:
        os.unlink(path)


def _short(value: Any) -> str:
    from ..render import flat

    text = flat(value)
    return (text[:60] + "…") if len(text) > 60 else (text or "(none)")


@app.command()
@handles_errors
def history(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Entry ID, unique prefix or citekey.", autocompletion=complete)],
    fmt: FormatOpt = Format.table,
) -> None:
    """Versions and metadata edits of an entry, oldest first."""
    from .. import api
    from ..render import write_records

    events = api.history(root_of(ctx), ref)
    if fmt is Format.table:
        rows = []
        for e in events:
            detail = {k: v for k, v in e.items() if k not in ("at", "action")}
            if e.get("action") in ("set", "unset"):
                text = f"{e.get('field')}: {_short(e.get('old'))} -> {_short(e.get('new'))}"
            else:
                text = ", ".join(f"{k} {_short(v)}" for k, v in detail.items())
            rows.append({"at": e.get("at"), "action": e.get("action"), "detail": text})
        write_records(rows, fmt="table", columns=["at", "action", "detail"])
    else:
        write_records(events, fmt=fmt.value, columns=["at", "action", "field", "old", "new", "version", "sha256", "source"])


@app.command()
@handles_errors
def diff(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Entry ID, unique prefix or citekey.", autocompletion=complete)],
    old: Annotated[Optional[int], typer.Option("--old", min=1, help="Older version (default: the one before --new).")] = None,
    new: Annotated[Optional[int], typer.Option("--new", min=1, help="Newer version (default: the newest).")] = None,
    from_: Annotated[Optional[int], typer.Option("--from", min=1, hidden=True, help="Old name of --old.")] = None,
    to: Annotated[Optional[int], typer.Option("--to", min=1, hidden=True, help="Old name of --new.")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text (coloured at a terminal) or json.")] = "text",
) -> None:
    """Word-level changes in the article text between two versions, and changed metadata."""
    from .. import api

    if fmt not in ("text", "json"):
        raise fail("diff --format is text or json", 2)
    old = _one_of(old, from_, "--old", "--from")
    new = _one_of(new, to, "--new", "--to")
    d = api.diff(root_of(ctx), ref, from_version=old, to_version=new)
    if fmt == "json":
        echo_json(d, indent=2)
        return
    a, b = d["from"], d["to"]
    header = [f"--- version {a['version']} captured {a['captured_at']} sha256 {a['sha256'][:16]}",
              f"+++ version {b['version']} captured {b['captured_at']} sha256 {b['sha256'][:16]}"]
    for m in d["metadata"]:
        header.append(f"{m['field']}: {_short(m['old'])} -> {_short(m['new'])}")
    for line in header:
        echo(line)
    if is_terminal():
        from rich.console import Console
        from rich.text import Text

        from ..render import safe

        out = Text()
        for op in d["text"]:
            if op["op"] == "equal":
                out.append(safe(op["old"], multiline=True) + " ")
                continue
            if op["old"]:
                out.append(safe(op["old"], multiline=True), style="red strike")
                out.append(" ")
            if op["new"]:
                out.append(safe(op["new"], multiline=True), style="green bold")
                out.append(" ")
        Console().print(out)
    else:  # piped: unified-style markers, one change per line with a little context
        for n, op in enumerate(d["text"]):
            if op["op"] == "equal":
                continue
            before = d["text"][n - 1]["old"].split()[-6:] if n and d["text"][n - 1]["op"] == "equal" else []
            after = d["text"][n + 1]["old"].split()[:6] if n + 1 < len(d["text"]) and d["text"][n + 1]["op"] == "equal" else []
            echo("@@ " + " ".join(before) + " @@")
            if op["old"]:
                echo("-" + op["old"])
            if op["new"]:
                echo("+" + op["new"])
            if after:
                echo("  " + " ".join(after))
    echo(f"{d['words']['deleted']} words deleted, {d['words']['inserted']} inserted")


def _one_of(value: Any, alias: Any, name: str, old_name: str) -> Any:
    """An option given by its name or its old name (kept working, hidden from help); both,
    with different values, is a usage error."""
    if value is not None and alias is not None and value != alias:
        raise fail(f"{name} and {old_name} (its old name) give different versions; give one", 2)
    return value if value is not None else alias


@app.command()
@handles_errors
def verify(
    ctx: typer.Context,
    refs: Annotated[Optional[list[str]], typer.Argument(
        help="Entries to check (default: all); - reads them from standard input, one per line.",
        autocompletion=complete)] = None,
    repair_index: Annotated[bool, typer.Option("--repair-index", help="Rebuild the index when it is stale.")] = False,
    seal: Annotated[bool, typer.Option("--seal", help="Add a fixity manifest to entries written by an older "
                                                      "version, once they check out.")] = False,
    record: Annotated[bool, typer.Option("--record", help="Append a verify event to the custody log of each "
                                                          "entry that checks out.")] = False,
    tsa_roots: Annotated[Optional[Path], typer.Option(
        "--tsa-roots", help="PEM file of the root certificates you trust for trusted timestamps (as the "
                            "authorities publish them): each token must chain to one of them, not just to the "
                            "chain stored beside it.")] = None,
    fmt: FormatOpt = Format.table,
    lock_timeout: LockTimeoutOpt = 30.0,
) -> None:
    """Re-hash every stored file, validate every entry, compare archive and index; exit 1 on any problem."""
    from .. import api
    from ..render import write_records

    from .progress import Bar

    root = root_of(ctx)
    refs = expand(refs)
    with Bar("verifying", total=len(refs) if refs else len(api.open_store(root).ids())) as bar:
        checked, problems, repaired = api.verify(root, refs, repair_index=repair_index, seal=seal,
                                                 lock_timeout=lock_timeout, record=record,
                                                 on_entry=bar.advance, tsa_roots=tsa_roots)
    notes = [p for p in problems if p.kind == "note"]
    damage = [p for p in problems if p.kind != "note"]
    if fmt is Format.table:
        for p in problems:
            where = p.path or p.id or ""
            echo(f"{p.kind}: {where}: {p.detail}")
        if repaired:
            echo("index: rebuilt from the archive")
        summary = f"{checked} entries checked, {len(damage)} problem{'s' if len(damage) != 1 else ''}"
        if notes:
            summary += f", {len(notes)} note{'s' if len(notes) != 1 else ''}"
        echo(summary)
    elif fmt is Format.json:
        echo_json({"checked": checked, "problems": [p.to_json() for p in problems],
                   "index_repaired": repaired}, indent=2)
    else:
        write_records([p.to_json() for p in problems], fmt=fmt.value, columns=["kind", "id", "path", "detail"])
    if damage:
        raise typer.Exit(1)
