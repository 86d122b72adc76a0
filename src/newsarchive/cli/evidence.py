"""Commands for evidence a third party can check: ``timestamp``."""


from pathlib import Path
from typing import Annotated, Optional

import typer

from . import app
from .common import Format, FormatOpt, LockTimeoutOpt, echo, handles_errors, root_of
from .refs import complete, expand

TsaOpt = Annotated[Optional[str], typer.Option(
    "--tsa", help="URL of the RFC 3161 time-stamp authority (default: evidence.tsa_url of the settings; "
                  "nothing is sent to a third party unless you name one).")]
TsaCaOpt = Annotated[Optional[Path], typer.Option(
    "--tsa-ca", help="PEM file with the TSA's CA certificates up to its root (the TSA publishes them); kept "
                     "beside each token so that it can be checked offline (default: evidence.tsa_ca).",
    dir_okay=False)]


def print_stamps(outcomes, fmt: Format = Format.table) -> int:
    """One line per capture; returns how many failed."""
    from ..render import write_records

    if fmt is not Format.table:
        write_records([o.to_json() for o in outcomes], fmt=fmt.value,
                      columns=["ref", "status", "id", "version", "message"])
    else:
        for o in outcomes:
            where = f"{o.id} v{o.version}" if o.version else (o.id or o.ref)
            echo(f"{o.status}: {where}: {o.message}")
    return sum(1 for o in outcomes if o.status == "failed")


@app.command()
@handles_errors
def timestamp(
    ctx: typer.Context,
    refs: Annotated[list[str], typer.Argument(help="Entries whose captures to timestamp (ID, prefix or citekey); "
                                                   "- reads them from standard input, one per line.",
                                              autocompletion=complete)],
    tsa: TsaOpt = None,
    tsa_ca: TsaCaOpt = None,
    fmt: FormatOpt = Format.table,
    lock_timeout: LockTimeoutOpt = 30.0,
) -> None:
    """Get an RFC 3161 trusted timestamp for every capture of the entries that has none yet.

    Per capture, a manifest of its files with their SHA-256 is written beside it, its hash is
    stamped by the TSA, and the token and the TSA's chain are stored beside it. `verify` checks
    them offline; `openssl ts -verify` does too (see docs/evidence.md)."""
    from ..evidence.timestamp import stamp

    outcomes = stamp(root_of(ctx), expand(refs), tsa_url=tsa, ca_file=tsa_ca, lock_timeout=lock_timeout)
    if print_stamps(outcomes, fmt):
        raise typer.Exit(1)
