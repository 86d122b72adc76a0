"""Citations of entries in a style or citation file format."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from ..catalog import OnSkip
from ..errors import UsageError
from ..model import Entry
from .collection import Collection, as_collection
from .damage import _marked, checked_entries
from .versions import _as_of

KEYS = ("citekey", "id")


def keyed(entries: Iterable[Entry], key: str) -> Iterator[Entry]:
    """Entries with the citation key that file formats should carry: the stored ``citekey``
    (readable, unique, stable once given) or the entry ``id`` (opaque, never changes)."""
    if key not in KEYS:
        raise UsageError(f"unknown --key {key!r} (one of: {', '.join(KEYS)})")
    for e in entries:
        yield e if key == "citekey" else e.evolve(citekey=e.id)


def cite(root: Path | Collection, refs: Iterable[str], *, style: str, markup: str = "text", intext: bool = False,
         version: int | None = None, ascii: bool = False, key: str = "citekey",
         on_incomplete: Callable[[str], Any] | None = None, include_damaged: bool = False,
         on_skip: OnSkip | None = None, on_damaged: OnSkip | None = None, order: str = "style") -> str:
    """Citations of the given entries in one style (a whole file for bibtex/biblatex/csl-json/ris).
    ``order``: "style" sorts the references of apa/mla/chicago as a reference list of that style
    (``cite.order``); "given" keeps the order of ``refs`` (files and in-text forms always do).
    ``version`` cites that capture of each entry: its capture date as the access date, its hash.
    An entry that lacks something a citation needs (a title) is cited with what exists, and
    ``on_incomplete`` hears "CITEKEY: no title" for it.

    As in :func:`export`, every entry is checked with :func:`fixity.check_entry` first: a damaged
    one (its recorded hash no longer proves its files) is left out and reported through
    ``on_skip``; with ``include_damaged`` it is cited, marked in its notes, and reported through
    ``on_damaged``. When every entry is left out the result is empty."""
    from .. import cite as citing

    if markup not in ("text", "html", "markdown"):
        raise UsageError(f"unknown markup {markup!r} (text, html or markdown)")
    if order not in ("style", "given"):
        raise UsageError(f"unknown order {order!r} (style or given)")
    prose = not citing.get_style(style).whole_file and not intext
    coll = as_collection(root)
    store = coll.store
    from .entries import resolve_all

    ids = resolve_all(coll, refs)
    if not ids:
        raise UsageError("give at least one entry ID (or pipe `search --format ids` into xargs)")
    entries = list(_marked(checked_entries(store, ids, include_damaged=include_damaged, on_skip=on_skip,
                                           on_damaged=on_damaged)))
    if not entries:
        return ""
    snapshots = {}
    if version is not None:
        for e in entries:
            if not 1 <= version <= len(e.snapshots):
                raise UsageError(f"entry {e.id} has {len(e.snapshots)} version(s); no version {version}")
            snapshots[e.id] = e.snapshots[version - 1]
        entries = [_as_of(e, snapshots[e.id]) for e in entries]
    entries = list(keyed(entries, key))
    if order == "style" and prose:
        from ..cite.order import sort_references

        entries = sort_references(entries, citing.get_style(style).name)
    _report_incomplete(entries, on_incomplete)
    return citing.format_entries(entries, style, markup=markup, intext=intext, snapshots=snapshots,
                                 ascii=ascii, sort=False)


def _report_incomplete(entries: Iterable[Entry], on_incomplete: Callable[[str], Any] | None) -> int:
    from ..cite._common import missing

    n = 0
    for e in entries:
        gaps = missing(e)
        if gaps:
            n += 1
            if on_incomplete is not None:
                on_incomplete(f"{e.citekey}: {', '.join(gaps)}")
    return n
