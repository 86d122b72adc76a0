"""The Typer application. Commands are thin: parse options, call one api function, render."""


from pathlib import Path
from typing import Annotated, Optional

import typer

from .. import __version__

app = typer.Typer(
    name="newsarchive",
    help="Archive news article snapshots with their metadata, search them as full text, cite them.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish); IDs and citekeys complete from the catalog cache
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"newsarchive {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    root: Annotated[Optional[Path], typer.Option(
        "--root", "-C", help="The collection folder (default: $NEWSARCHIVE_ROOT, else the nearest "
        "folder upwards holding a collection's archive/).", file_okay=False)] = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    ctx.obj = {"root": root}
    _show_library_notes()


def _show_library_notes() -> None:
    """What the library logs (recovery after an interrupted command, a repaired history line) is
    shown on standard error as ``note: ...``; warnings of the libraries we read files with
    (warcio: "Replacing spaces in invalid WARC-Target-URI: ...") as ``note: warcio: ...``. Both
    may quote input, so control characters are escaped (never written raw to a terminal)."""
    import logging
    import sys

    from ..render import safe

    class _Notes(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            source = record.name.split(".")[0]
            said = "" if source == "newsarchive" else f"{source}: "
            sys.stderr.write(f"note: {said}{safe(record.getMessage())}\n")

    root = logging.getLogger()
    if not any(type(h).__name__ == "_Notes" for h in root.handlers):
        root.addHandler(_Notes())
    logging.getLogger("newsarchive").setLevel(logging.INFO)


from . import cite, config, doctor, entries, evidence, maintenance, search, serve, transfer, versions  # noqa: E402,F401  (registers commands)
