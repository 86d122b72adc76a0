"""Entry references on the command line: ``-`` reads them from standard input (one per line, as
``search -f ids`` and ``list -f ids`` print them), and shell completion of IDs and citekeys
from the catalog cache."""


import sys
from typing import Any, Iterable, TextIO

STDIN = "-"


def expand(refs: Iterable[str] | None, *, stdin: TextIO | None = None) -> list[str]:
    """``refs`` as given, with ``-`` replaced by the references read from standard input: one
    per line, surrounding spaces removed, blank lines and ``#`` comment lines skipped. Raises
    the CLI's one-line failure when ``-`` is given twice or standard input holds no reference."""
    from .common import fail

    refs = list(refs or [])
    if refs.count(STDIN) > 1:
        raise fail("- (read references from standard input) can be given once", 2)
    if STDIN not in refs:
        return refs
    stream = stdin or sys.stdin
    read = []
    for line in stream:
        line = line.strip()
        if line and not line.startswith("#"):
            read.append(line)
    if not read:
        raise fail("no entry references on standard input (one ID or citekey per line)", 1)
    at = refs.index(STDIN)
    return [*refs[:at], *read, *refs[at + 1:]]


def complete(ctx: Any, incomplete: str) -> list[tuple[str, str]]:
    """Shell completion of entry references: IDs and citekeys that start with what is typed, read
    from the collection's catalog cache (never the archive itself; nothing when there is no
    cache). Must be fast and must never fail: a completion error would be shown in the shell."""
    try:
        return _complete(ctx, incomplete)
    except Exception:  # noqa: BLE001  (completion must never break the shell)
        return []


def _complete(ctx: Any, incomplete: str) -> list[tuple[str, str]]:
    from pathlib import Path

    from ..store import find_root

    explicit = None
    node = ctx
    while node is not None:  # --root given before the command
        params = getattr(node, "params", None) or {}
        if params.get("root"):
            explicit = params["root"]
        node = getattr(node, "parent", None)
    try:
        root = find_root(explicit)
    except Exception:  # noqa: BLE001
        return []
    import sqlite3

    from ..catalog import Catalog

    cache = Path(root) / "index" / Catalog.CACHE  # read only, never written or made here
    if not cache.is_file():
        return []
    db = sqlite3.connect(f"{cache.resolve().as_uri()}?mode=ro", uri=True, timeout=0.5)
    try:
        low = incomplete.lower()
        top = low + "\U0010ffff"
        rows = db.execute("SELECT id, citekey FROM entries WHERE id >= ? AND id < ? "
                          "UNION ALL SELECT citekey, id FROM entries WHERE citekey_low >= ? AND citekey_low < ? "
                          "ORDER BY 1 LIMIT 500", (low, top, low, top)).fetchall()
    finally:
        db.close()
    return [(str(a), str(b)) for a, b in rows]
