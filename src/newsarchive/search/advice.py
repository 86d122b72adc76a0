"""When to suggest the tantivy engine (issue 12): Whoosh is pure Python and slows down as a
collection grows (tens of seconds per thousand imports, seconds per ``status`` at 100,000
entries), so past :data:`TANTIVY_SUGGESTED_FROM` entries ``status`` and ``import`` say how to
switch. Only a suggestion: nothing changes until the user runs the command.
"""

from __future__ import annotations

import os

#: a collection on whoosh with more entries than this is told about tantivy
TANTIVY_SUGGESTED_FROM = 50_000

SWITCH_COMMAND = "newsarchive reindex --engine tantivy"


def engine_suggestion(*, engine: str, entries: int) -> str | None:
    """The suggestion for a collection of ``entries`` entries on ``engine``, or None."""
    if engine != "whoosh" or entries <= TANTIVY_SUGGESTED_FROM:
        return None
    return (f"{entries:,} entries on the whoosh engine: tantivy imports and searches large "
            f"collections much faster; switch with `{SWITCH_COMMAND}`")


def suggestion_for(root: str | os.PathLike[str]) -> str | None:
    """:func:`engine_suggestion` for the collection at ``root`` (its entries counted only when it
    is on whoosh)."""
    from ..store import Store
    from .engines import configured

    engine = configured(root)
    if engine != "whoosh":
        return None
    return engine_suggestion(engine=engine, entries=len(Store(root).ids()))
