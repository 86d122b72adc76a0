"""doctor: what in the collection needs attention, one line each."""


import typer

from . import app
from .common import Format, FormatOpt, echo, handles_errors, note, root_of


@app.command()
@handles_errors
def doctor(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """List what needs fixing, one line each: entries that cannot be cited fully (no title, date,
    outlet; no URL or access date for online kinds), duplicate citekeys, missing or damaged files,
    an index out of step with the archive. Exit status 1 when there is something to fix."""
    from .. import api
    from ..doctor import diagnose
    from ..render import write_records
    from .progress import Bar

    root = root_of(ctx)
    store = api.open_store(root)
    with Bar("checking", total=len(store.ids())) as bar:
        findings = list(diagnose(root, on_entry=bar.advance))
    if fmt is Format.table:
        for f in findings:
            echo(f"{f.kind}: {f.id + ': ' if f.id else ''}{f.detail}  (fix: {f.fix})")
        kinds: dict[str, int] = {}
        for f in findings:
            kinds[f.kind] = kinds.get(f.kind, 0) + 1
        said = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        note(f"{bar.count} entries checked: " + (said if findings else "nothing to fix"))
    elif fmt is Format.json:
        from .common import echo_json

        echo_json({"checked": bar.count, "findings": [f.to_json() for f in findings]}, indent=2)
    else:
        write_records([f.to_json() for f in findings], fmt=fmt.value, columns=["kind", "id", "detail", "fix"])
    if findings:
        raise typer.Exit(1)
