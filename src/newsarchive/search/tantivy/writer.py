"""The tantivy engine's writer: buffered upserts and deletes of one batch, committed together
(split out of ``__init__``, whose helpers it uses)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from ...errors import LockTimeout
from ...store import crash_point
from .. import documents, layout
from . import (META_NAME, PREFIX, _WRITE_ERRORS, _WRITER_HEAP, _complete, _current, _guarded, _is_panic, _lock,
               _open, _read_meta, _write_meta, forget, memory)
from . import older as older_index
from .schema import SCHEMA_VERSION, _schema, _tv, to_document

if TYPE_CHECKING:
    from ...model import Entry

#: upserts in one writer session from which documents go to tantivy as they come (an import's
#: batch) rather than all at its commit (a single ``add``)
EAGER_FROM = 32


class TantivyWriter:
    """Buffered upserts and deletes, one tantivy commit when the ``with`` block ends normally."""

    def __init__(self, index_dir: Path, *, timeout: float = 30.0):
        self.index_dir = Path(index_dir)
        self.timeout = timeout
        #: id -> (entry, body, fingerprint, stamp, its document: None when it failed to build,
        #: False once given to the eager writer) or None (a delete)
        self._pending: dict[str, tuple["Entry", str, str | None, Any, Any] | None] = {}
        #: entry id -> its older versions, replacing the indexed ones ([] removes them)
        self._older: dict[str, list[tuple["Entry", int, str]]] = {}
        self._older_gen: Path | None = None
        self._lock: layout.DirLock | None = None
        #: a batch of EAGER_FROM upserts or more: (tantivy writer, searcher, IDs added), taking
        #: each document as it comes (tantivy's thread indexes it meanwhile), committed at the end
        self._eager: tuple[Any, Any, set[str]] | None = None
        self._eager_off = False  # it failed once: this batch is done at the commit, as below it

    def __enter__(self) -> "TantivyWriter":
        self.index_dir.mkdir(parents=True, exist_ok=True)
        self._lock = _lock(self.index_dir, self.timeout, "another process is writing it").__enter__()
        try:
            if _read_meta(self.index_dir) is None and not any(self.index_dir.glob(f"{PREFIX}-*")):
                gen = layout.new_generation(self.index_dir, PREFIX)
                _tv().Index(_schema(), path=str(gen), reuse=False)
                ogen = layout.new_generation(self.index_dir, older_index.PREFIX)
                older_index.create(ogen)
                _write_meta(self.index_dir, gen.name, {"count": 0, layout.OLDER: ogen.name})
            self._gen = _current(self.index_dir)
            # none: an index built before older versions were indexed (they are left out)
            self._older_gen = layout.older_folder(self.index_dir, META_NAME, schema=SCHEMA_VERSION,
                                                  complete=_complete)
        except BaseException:
            self._lock.__exit__(None, None, None)
            raise
        return self

    def upsert(self, entry: "Entry", body_text: str = "", *, fingerprint: str | None = None,
               stamp: Any = None, older: Iterable[tuple["Entry", int, str]] | None = None,
               prepared: Any = None) -> None:
        """``stamp``: how its entry.json looked on disk (see ``stored_stamps``). ``older``: its
        older versions (entry as that version showed it, version, text), replacing those
        indexed; None leaves them as they are. ``prepared``: the document as ``schema.prepare``
        made it of the same entry, body and stamp (in an import's writer process)."""
        item = (entry, body_text or "", fingerprint, stamp)
        try:  # built now, while an import's writer process writes the next folders (see store_queue.py)
            if prepared is not None and fingerprint is None and prepared[0].id == entry.id \
                    and prepared[0].stored.stamp == (tuple(stamp) if stamp else None):
                doc = to_document(*prepared)
            else:
                doc = to_document(documents.build(*item))
        except Exception:  # noqa: BLE001 - built again at the commit, which reports what fails
            doc = None
        self._pending[entry.id] = (*item, doc)
        if older is not None:
            self._older[entry.id] = list(older)
        else:
            self._older.pop(entry.id, None)
        if self._eager is not None:
            self._eager_do(entry.id, doc, delete=False)
        elif len(self._pending) >= EAGER_FROM and not self._eager_off:
            self._eager_start()

    def delete(self, entry_id: str) -> None:
        self._pending[entry_id] = None
        self._older[entry_id] = []
        if self._eager is not None:
            self._eager_do(entry_id, None, delete=True)

    def _eager_start(self) -> None:
        """Open the writer now and give it the documents so far (see ``_eager``)."""
        if any(item is not None and item[4] is None for item in self._pending.values()):
            self._eager_off = True  # a document failed to build: the commit builds it again and says why
            return
        try:
            index = _open(self._gen)
            self._eager = (index.writer(_WRITER_HEAP, 1), index.searcher(), set())
        except BaseException as exc:  # noqa: BLE001 - a busy or damaged index: the commit says so
            self._eager_off = True
            if not isinstance(exc, Exception) and not _is_panic(exc):
                raise
            return
        for eid, item in list(self._pending.items()):
            if self._eager is None:
                return
            self._eager_do(eid, item[4] if item is not None else None, delete=item is None)

    def _eager_do(self, entry_id: str, doc: Any, *, delete: bool) -> None:
        """Give the open writer one upsert (``doc``; None: it did not build) or ``delete``; on
        any failure the batch goes back to being done at the commit (where it is reported)."""
        assert self._eager is not None
        w, searcher, added = self._eager
        try:
            if doc is None and not delete:
                raise ValueError("a document that did not build")
            if delete or entry_id in added or searcher.doc_freq("id", entry_id):
                w.delete_documents_by_term("id", entry_id)
            if not delete:
                w.add_document(doc)  # tantivy keeps a copy: ours is let go (False: given, not kept)
                added.add(entry_id)
                self._pending[entry_id] = (*self._pending[entry_id][:4], False)
        except BaseException as exc:  # noqa: BLE001
            self._eager_stop()
            if not isinstance(exc, Exception) and not _is_panic(exc):
                raise

    def _eager_stop(self) -> None:
        eager, self._eager = self._eager, None
        self._eager_off = True
        if eager is not None:
            with contextlib.suppress(BaseException):
                eager[0].rollback()

    def __exit__(self, exc_type, exc, tb) -> None:
        wrote = exc_type is None and bool(self._pending or self._older)
        try:
            if exc_type is None and self._older and self._older_gen is not None:
                with _guarded(self.index_dir, _WRITE_ERRORS):
                    older_index.replace(_open(self._older_gen), self._older)
                crash_point("index-older-committed")
            if exc_type is None and self._pending:
                self._commit()
        finally:
            if self._eager is not None:  # not committed: what it was given is dropped
                self._eager_stop()
            self._eager_off = False
            self._pending.clear()
            self._older.clear()
            forget(self.index_dir)
            if self._lock is not None:
                self._lock.__exit__(None, None, None)
                self._lock = None
            if wrote:
                memory.release_heap()  # what the writer's threads freed (see .memory)

    def _commit(self) -> None:
        with _guarded(self.index_dir, _WRITE_ERRORS):
            searcher = None
            if self._eager is not None:  # it holds the batch already
                w, self._eager = self._eager[0], None
            else:
                index = _open(self._gen)
                searcher = index.searcher()
                try:
                    w = index.writer(_WRITER_HEAP, 1)
                except ValueError as err:
                    raise LockTimeout(f"another process is writing the search index ({err})") from None
            with contextlib.ExitStack() as merging:
                try:
                    if searcher is not None:
                        self._give(w, searcher)
                    # the pages of the segments the commit's merges read (see .memory)
                    merging.enter_context(memory.ReleasePages(self._gen))
                    w.commit()
                except BaseException:
                    w.rollback()
                    raise
                w.wait_merging_threads()

    def _give(self, w: Any, searcher: Any) -> None:
        """The batch's deletes and documents, all at once (a batch not given as it came)."""
        for eid in self._pending:
            if searcher.doc_freq("id", eid):
                w.delete_documents_by_term("id", eid)
        for item in self._pending.values():
            if item is not None:
                entry, body, fp, stamp, doc = item
                w.add_document(doc if doc is not None and doc is not False
                               else to_document(documents.build(entry, body, fp, stamp)))
