"""serve."""


from typing import Annotated

import typer

from . import app
from .common import echo, handles_errors, note, root_of


@app.command()
@handles_errors
def serve(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port (0: any free port).")] = 8765,
    host: Annotated[str, typer.Option(
        help="Address to listen on. The default, 127.0.0.1, is reachable from this machine only; "
             "any other address lets others on the network read the collection (a warning is printed).")]
        = "127.0.0.1",
) -> None:
    """Search, read, compare and cite in a browser: a local, read-only web app (prints the URL to open)."""
    import sys

    from ..web.server import run

    def say(line: str) -> None:
        echo(line)
        sys.stdout.flush()

    run(root_of(ctx), host=host, port=port, say=say, warn=note)
