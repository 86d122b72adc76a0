"""Damage as exports and citations see it (the definition lives in :mod:`newsarchive.fixity`)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterable, Iterator

from .. import store as st
from ..catalog import OnSkip, read_or_skip, report_skip
from ..fixity import Problem, check_entry
from ..model import Entry

# what fixity.check_entry reports that is not damage of the entry itself
_NOT_DAMAGE = frozenset({"note", "info", "stale-index", "not-indexed", "extra-in-index"})


def damage_of(store: st.Store, entry: Entry) -> tuple[Entry, list[Problem]]:
    """The entry as checked by :func:`fixity.check_entry` (THE definition of damage) and its
    damage: every problem found in its folder."""
    checked, problems = check_entry(store, entry.id)
    return (checked or entry), [p for p in problems if p.kind not in _NOT_DAMAGE]


def _where(store: st.Store, entry_id: str, p: Problem) -> str:
    """A problem's file, relative to the entry folder when inside it."""
    if not p.path:
        return entry_id
    with contextlib.suppress(ValueError):
        return Path(p.path).relative_to(store.archive).as_posix()
    return p.path


def checked_entries(store: st.Store, entries: Iterable[Entry | str], *, include_damaged: bool = False,
                    on_skip: OnSkip | None = None,
                    on_damaged: OnSkip | None = None) -> Iterator[tuple[Entry, list[str]]]:
    """Each entry with its damage (one line per problem, naming the file). Damaged entries are
    left out and reported through ``on_skip`` ("damaged: FILE: DETAIL"), or with
    ``include_damaged`` passed on with that list (the exporter marks them) and reported through
    ``on_damaged``. ``entries`` may be entry IDs (read once, by the check itself)."""
    for item in entries:
        if isinstance(item, str):
            checked, problems = check_entry(store, item)
            if checked is None:  # unreadable: reported as every reader reports it
                read_or_skip(store, item, on_skip)
                continue
            problems = [p for p in problems if p.kind not in _NOT_DAMAGE]
            entry = checked
        else:
            entry, problems = damage_of(store, item)
        lines = [f"{_where(store, entry.id, p)}: {p.detail}" for p in problems]
        if lines:
            more = f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""
            if not include_damaged:
                report_skip(on_skip, entry.id, f"damaged: {lines[0]}{more}")
                continue
            report_skip(on_damaged, entry.id, f"damaged: {lines[0]}{more}")
        yield entry, lines


def damage_mark(lines: list[str]) -> str:
    return ("DAMAGED in the archive (exported with --include-damaged): " + "; ".join(lines))


def _marked(items: Iterable[tuple[Entry, list[str]]]) -> Iterator[Entry]:
    """Entries, a damaged one with the damage put first in its notes (carried by JSONL, CSV,
    BibTeX/BibLaTeX annote, CSL-JSON annote, RIS)."""
    for entry, damage in items:
        if damage:
            mark = damage_mark(damage)
            entry = entry.evolve(notes=f"{mark}\n\n{entry.notes}" if entry.notes else mark)
        yield entry
