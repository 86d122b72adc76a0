"""What every command shares: the collection root, the output format option, error handling."""


import functools
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Callable, TypeVar

import typer

from ..errors import NewsArchiveError, os_error_message

F = TypeVar("F", bound=Callable[..., Any])


class Format(str, Enum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


class ListFormat(str, Enum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    ids = "ids"


FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)]
ListFormatOpt = Annotated[ListFormat, typer.Option("--format", "-f", help="Output format (ids: one ID per line).",
                                                   case_sensitive=False)]
CsvRawOpt = Annotated[bool, typer.Option(
    "--csv-raw", help="CSV: write cells exactly as they are. By default a cell that starts with = + - @ "
    "(or tab, carriage return) gets a leading ' so that a spreadsheet shows it instead of running it "
    "as a formula; import removes that ' again.")]
LockTimeoutOpt = Annotated[float, typer.Option("--lock-timeout", help="Seconds to wait for another writer.",
                                               min=0)]


def root_of(ctx: typer.Context) -> Path:
    """The collection: --root, else $NEWSARCHIVE_ROOT, else the nearest collection upwards."""
    from ..store import find_root

    explicit = (ctx.find_root().obj or {}).get("root") if ctx else None
    return find_root(explicit)


def echo(text: Any, *, err: bool = False, multiline: bool = False) -> None:
    """Print a line for people: control characters and bidi overrides from the data (a title,
    a file name, a message quoting input) are shown as escapes, never sent to the terminal
    (``render.safe``). Every line the CLI prints for people goes through here."""
    from ..render import safe

    typer.echo(safe(text, multiline=multiline), err=err)


def echo_data(text: str) -> None:
    """Print data a user may redirect into a file (a citation, article text): exact into a file
    or a pipe, and escaped like :func:`echo` when standard output is a terminal."""
    data_writer()(text + "\n")  # not typer.echo: off a terminal it strips escape sequences
    sys.stdout.flush()


def data_writer():
    """``write`` for data streamed to standard output (``export`` without ``-o``): exact into a
    file or a pipe, and escaped like :func:`echo` when standard output is a terminal."""
    if not is_terminal(sys.stdout):
        return sys.stdout.write
    from ..render import safe

    return lambda text: sys.stdout.write(safe(text, multiline=True))


def echo_json(obj: Any, **kw: Any) -> None:
    """Print JSON: values exact, terminal controls written as \\uXXXX (``render.dumps_json``)."""
    from ..render import dumps_json

    typer.echo(dumps_json(obj, **kw))


def fail(message: str, code: int = 1) -> typer.Exit:
    echo(f"Error: {message}", err=True)
    return typer.Exit(code)


def note(message: str) -> None:
    echo(message, err=True)


def handles_errors(fn: F) -> F:
    """Typed library errors -> a one-line message and a non-zero exit; never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except NewsArchiveError as exc:
            raise fail(str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__, exc.exit_code) from None
        except KeyboardInterrupt:
            raise fail("interrupted; the archive is consistent (run the same command again to resume)", 130) from None
        except BrokenPipeError:
            # the reader went away (| head): not an error worth a message
            with_devnull()
            raise typer.Exit(0) from None
        except OSError as exc:
            # the operating system said no (read-only folder, full disk, permission, a missing
            # folder): the path and the reason, exit 1; never "internal error"
            raise fail(os_error_message(exc), 1) from None
        except Exception as exc:  # a bug: one line for the user; the traceback on request
            if type(exc).__module__.startswith(("typer", "click")) or os.environ.get("NEWSARCHIVE_DEBUG"):
                raise
            raise fail(f"internal error ({exc.__class__.__name__}: {str(exc)[:200]}); this is a bug, please "
                       "report it (NEWSARCHIVE_DEBUG=1 shows the traceback)", 1) from None

    return wrapper  # type: ignore[return-value]


class Skips:
    """``on_skip`` for the library: one line on standard error per entry left out
    ("skipped ID: why"); ``exit_if_any`` ends with status 1 so that scripts notice."""

    def __init__(self) -> None:
        self.count = 0
        self._seen: set[str] = set()

    def __call__(self, entry_id: str, reason: str) -> None:
        if entry_id in self._seen:  # one line per entry, however many steps met it
            return
        self._seen.add(entry_id)
        self.count += 1
        note(f"skipped {entry_id}: {reason}")

    def exit_if_any(self) -> None:
        if self.count:
            raise typer.Exit(1)


def with_devnull() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def is_terminal(stream: Any = None) -> bool:
    stream = stream or sys.stdout
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def parse_assignments(items: list[str] | None, option: str, *, shape: str = "field=value",
                      joined: tuple[str, ...] = (), allow_empty: bool = True) -> dict[str, str]:
    """``--set field=value`` / ``--map field=column`` options -> a dict. Keys in ``joined`` may
    repeat and their values are joined with "; " (several ``--set author=...``)."""
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key or (not allow_empty and not value.strip()):
            raise fail(f"{option} takes {shape}, not {item!r}", 2)
        if key in joined and key in out:
            out[key] = out[key] + "; " + value
        else:
            out[key] = value if allow_empty else value.strip()
    return out
