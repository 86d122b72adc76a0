"""Getting entries out: selection and export in every format (JSONL with files, CSV, citation files, WARC, BagIt)."""

from __future__ import annotations

import contextlib
import errno
import os
import re
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from .. import fields as registry
from .. import formats
from .. import store as st
from ..catalog import OnSkip, read_each, read_or_skip
from ..errors import AmbiguousID, EntryNotFound, FileAccessError, StoreError, UsageError, os_error_message
from ..model import Entry
from .citing import _report_incomplete, keyed
from .collection import Collection, as_collection
from .damage import _marked, checked_entries
from .indexing import ensure_index
from .parts import files_part_path, partial_file


def export_jsonl(root: Path | Collection, entries: Iterable[Entry], out: Path | None, *,
                 files_root: Path | None = None) -> Iterator[str]:
    """JSONL lines of ``entries``, their files copied beside ``out`` (see
    :func:`newsarchive.formats.jsonl.lines`)."""
    from ..formats import jsonl

    return jsonl.lines(as_collection(root).store, entries, out, files_root=files_root)


def select(root: Path | Collection, query: str | None, *, ids: Iterable[str] = (),
           on_skip: OnSkip | None = None) -> Iterator[Entry]:
    """Entries by search query (all when None) or by ID references. An entry that cannot be
    read is reported through ``on_skip`` and left out."""
    coll = as_collection(root)
    store = coll.store
    refs = list(ids)
    if refs:
        from .entries import resolve_all

        for entry_id in resolve_all(coll, refs):  # a typo stops before any output
            entry = read_or_skip(store, entry_id, on_skip)
            if entry is not None:
                yield entry
        return
    if not query:
        yield from read_each(store, on_skip=on_skip)
        return
    single = _exact_ref(coll, query)
    if single is not None:  # `export 7h2kq9xa --to bagit`: a whole ID or a citekey names one entry
        entry = read_or_skip(store, single, on_skip)
        if entry is not None:
            yield entry
        return
    ensure_index(store)
    result = coll.backend.search(query, limit=10**9, snippets=False, sort="published")
    for hit in result.hits:
        entry = read_or_skip(store, hit.id, on_skip)
        if entry is not None:
            yield entry


def _exact_ref(coll: Collection, text: str) -> str | None:
    from .entries import resolve

    store = coll.store
    text = text.strip()
    if not re.fullmatch(r"[A-Za-z0-9_:.\-+/]+", text):
        return None
    if st.ID_LIKE.match(text) and (store.archive / text).is_dir():
        return text
    try:
        found = resolve(coll, text)
        return found if store.read_json(found).get("citekey") == text else None
    except (EntryNotFound, AmbiguousID, StoreError):
        return None


EXPORT_FORMATS = tuple(formats.export_names())  # the registry's, for callers of the api
CSV_COLUMNS = registry.csv_columns()


def export(root: Path | Collection, *, to: str, out: Path | None, query: str | None = None, ids: Iterable[str] = (),
           write: Callable[[str], Any] | None = None, ascii: bool = False, key: str = "citekey",
           notify: Callable[[str], Any] | None = None,
           on_incomplete: Callable[[str], Any] | None = None, csv_raw: bool = False,
           include_damaged: bool = False, on_skip: OnSkip | None = None,
           on_damaged: OnSkip | None = None, on_entry: Callable[[], Any] | None = None) -> int:
    """Stream the selected entries to ``out`` (a file; None with ``write`` for stdout).
    ``on_entry`` is called once per entry checked and passed on (progress).
    Returns the number of entries written. ``notify`` hears of each record the WARC export had
    to repair (a digest that did not match the stored bytes). Citation formats write every
    entry with what it has; ``on_incomplete`` hears "CITEKEY: no title" for each entry that
    lacks something. CSV cells that a spreadsheet would run as formulas get a leading
    apostrophe unless ``csv_raw`` (see ``render.csv_cell``).

    Every entry is checked with :func:`fixity.check_entry` first: a damaged one is left out and
    reported through ``on_skip``; with ``include_damaged`` it is exported and marked (its notes,
    or the bag's and WARC's own report). Unreadable entries are reported and left out too."""
    exp = formats.exporter(to)
    if out is not None and not out.parent.is_dir():  # a typo in the folder never creates folders
        raise FileAccessError(f"cannot write {out}: the folder {out.parent} does not exist",
                              path=str(out), errno=errno.ENOENT)
    coll = as_collection(root)
    store = coll.store
    ids = list(ids)
    # every entry: by ID, so that the check reads each entry.json once
    selected = store.ids() if not ids and not query else select(coll, query, ids=ids, on_skip=on_skip)
    checked = checked_entries(store, selected, include_damaged=include_damaged, on_skip=on_skip,
                              on_damaged=on_damaged)
    if on_entry is not None:
        checked = _counted(checked, on_entry)
    ctx = formats.ExportContext(store, out, ascii=ascii, csv_raw=csv_raw, notify=notify,
                                incomplete=lambda chunk: _report_incomplete(chunk, on_incomplete))
    if exp.takes == "collection":
        if out is None:
            raise UsageError(f"--to {exp.name} needs -o FILE")
        try:
            with partial_file(store, out) as part:
                ctx.part = part
                return exp.write(checked, ctx)
        except OSError as exc:
            raise FileAccessError(os_error_message(exc, action="write", path=out),
                                  path=str(out), errno=exc.errno) from None
    entries = _marked(checked)
    if exp.keyed:
        entries = keyed(entries, key)
    if out is not None:  # JSONL: the files go to FILE.files, made complete before it is renamed
        ctx.files_part = files_part_path(out)
    with _output(out, write, store=store) as sink:
        return exp.write(entries, sink, ctx)


@contextlib.contextmanager
def _output(out: Path | None, write: Callable[[str], Any] | None, *,
            store: st.Store | None = None) -> Iterator[Callable[[str], Any]]:
    """Where an export goes: ``write`` (standard output), or ``out`` written as a ``.part`` file
    (see :func:`partial_file`) and renamed only when the whole export succeeded; a failed export
    leaves no file behind, a killed one leaves a ``.part`` that the next writer removes."""
    if out is None:
        if write is None:
            raise UsageError("export needs -o FILE or - for standard output")
        yield write
        return
    with partial_file(store, out) as tmp:
        try:
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                yield fh.write
            os.replace(tmp, out)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            if isinstance(exc, OSError):  # the user's path and the system's reason, not the temp file's
                missing = "" if out.parent.is_dir() else f" (the folder {out.parent} does not exist)"
                raise FileAccessError(os_error_message(exc, action="write", path=out) + missing,
                                      path=str(out), errno=exc.errno) from None
            raise


def _counted(items: Iterable[Any], tick: Callable[[], Any]) -> Iterator[Any]:
    for item in items:
        tick()
        yield item
