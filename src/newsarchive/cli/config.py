"""config: the collection's settings (newsarchive.toml) and where each value comes from."""


from typing import Annotated, Optional

import typer

from . import app
from ..errors import SettingsError
from .common import Format, FormatOpt, echo, echo_json, fail, handles_errors, parse_assignments, root_of


@app.command()
@handles_errors
def config(
    ctx: typer.Context,
    key: Annotated[Optional[str], typer.Argument(help="Show only this key (e.g. cite.style).")] = None,
    set_: Annotated[Optional[list[str]], typer.Option(
        "--set", help="Write KEY=VALUE into the collection's newsarchive.toml (repeatable; the "
                      "file's other lines and comments are kept).")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Show the settings in force (newsarchive.toml at the collection root), and where each value
    comes from: the default or the file. See docs/settings.md for every key."""
    from .. import settings

    root = root_of(ctx)
    if set_:
        changes = parse_assignments(set_, "--set", shape="key=value")
        for name in changes:
            if name not in settings.KEYS:
                raise fail(f"unknown setting {name!r} (one of: {', '.join(settings.KEYS)})", 2)
        if "search.engine" in changes:
            raise fail("the search engine is switched with `newsarchive reindex --engine NAME` "
                       "(which rebuilds the index)", 2)
        for name, value in changes.items():  # a bad value is bad usage, refused before the file is read
            try:
                settings.check(name, value)
            except SettingsError as exc:
                raise fail(str(exc), 2) from None
        path = settings.update(root, changes)
        for name, value in changes.items():
            echo(f"set {name} = {value!r} in {path}")
        return
    current = settings.load(root)
    items = current.items()
    if key is not None:
        if key not in settings.KEYS:
            raise fail(f"unknown setting {key!r} (one of: {', '.join(settings.KEYS)})", 2)
        items = [s for s in items if s.key == key]
    path = settings.path_of(root)
    if fmt is not Format.table:
        if key is not None:
            echo_json(items[0].to_json(), indent=2)
        else:
            echo_json({"file": str(path), "exists": path.exists(),
                       "settings": [s.to_json() for s in items]}, indent=2)
        return
    if key is not None:
        echo(items[0].value)
        return
    echo(f"# {path}" + ("" if path.exists() else " (not present: every value is the default)"))
    width = max(len(s.key) for s in items)
    for s in items:
        value = s.value if s.value != "" else '""'
        echo(f"{s.key:<{width}}  {value}  ({s.source})")
