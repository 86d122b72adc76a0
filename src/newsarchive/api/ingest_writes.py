"""How an import batch writes: new entry folders through the run's writer process
(store_queue.py) while the next records are prepared, and what happens when one of those
writes fails. A part of :class:`~newsarchive.api.ingest.Ingest` (this module keeps ingest.py
readable)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import store as st
from .. import store_queue
from ..errors import FileAccessError, NewsArchiveError, os_error_message
from ..store_queue import CreateQueue

if TYPE_CHECKING:
    from ..formats.records import Record
    from ..model import Entry
    from .indexing import IndexSession


@dataclass(frozen=True)
class Outcome:
    """What happened to one input record (add, import)."""

    ref: str
    status: str  # created | duplicate | new-version | unchanged | failed | would-create ...
    id: str | None = None
    message: str | None = None
    entry: Entry | None = None
    error: NewsArchiveError | None = None
    index_error: str | None = None  # archived, but the search index could not be updated

    def to_json(self) -> dict[str, Any]:
        return {"ref": self.ref, "status": self.status, "id": self.id,
                "error" if self.status == "failed" else "message": self.message}


class _QueueFailed(Exception):
    """A queued write failed while a later record was being done: that record is done again
    after the failed one is taken back (see ``Ingest._write_batch``)."""


class BatchWrites:
    """The writing side of :class:`~newsarchive.api.ingest.Ingest` (a mixin: it uses the
    ingest's store, catalog, durability and ``_safe``)."""

    def _writer_for(self, records: list[Record]) -> CreateQueue | None:
        """The writer process for this batch's new folders (one per run, started with the first
        batch big enough to gain from it), or None: written here, one after another."""
        if self._writer is None and self.durable == "batch" and len(records) >= self.queue_min \
                and not self._writer_off and store_queue.available():
            self._writer = CreateQueue(self.store)
        return self._writer

    def close(self) -> None:
        """End the run: the writer process (if any) stops once it wrote what was queued."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()

    def _write_batch(self, records: list[Record], outcomes: list[Outcome], session: IndexSession,
                     ticked: set[int]) -> None:
        """The records of a batch, in order, under the lock; ``outcomes`` gets one per record
        processed. New folders may be written by the run's writer process meanwhile (see
        store_queue.py): when one of those writes fails, that record fails, the entries queued
        after it are taken back, and the records after it are done again, one at a time."""
        self._batch_session = session
        try:
            self._write_records(records, outcomes, session, ticked)
        finally:
            self._batch_session = None

    def _write_records(self, records: list[Record], outcomes: list[Outcome], session: IndexSession,
                       ticked: set[int]) -> None:
        i = 0
        while True:
            while i < len(records):
                r = records[i]
                i += 1
                try:
                    o = self._safe(r, write=True, session=session)
                except FileAccessError as exc:  # the collection refused a write: stop here
                    self.fatal = exc
                    break
                except _QueueFailed:  # an earlier entry's write failed: from there again
                    i = self._collect(outcomes, session) or i
                    if self.fatal is not None or self.stop_on_error:
                        break
                    continue
                if self._catalog_failure is not None:  # archived; the catalog refused it
                    from dataclasses import replace

                    failure, self._catalog_failure = self._catalog_failure, None
                    self.fatal = failure
                    if self._queue is not None:  # archived once its queued write is done
                        self._queue.settle()
                        outcomes.append(o)
                        if self._collect(outcomes, session) is not None:
                            break  # a write failed (this one or an earlier): said so, and the run ends
                        outcomes.pop()
                    said = f"archived, but the catalog could not be updated ({failure})"
                    outcomes.append(replace(o, message=f"{o.message}; {said}" if o.message else said))
                    break
                outcomes.append(o)
                if id(r) not in ticked:  # a record without a page: this was its work
                    ticked.add(id(r))
                    self._tick()
                if self._queue is not None:
                    resume = self._collect(outcomes, session)
                    if resume is not None:
                        i = resume
                        if self.fatal is not None or self.stop_on_error:
                            break
                        continue
                if self.stop_on_error and o.status == "failed":
                    break  # --on-error stop: nothing after the first failure is written
            if self._queue is None:
                return
            self._queue.settle()
            resume = self._collect(outcomes, session)
            if resume is None or self.fatal is not None or self.stop_on_error:
                return
            i = resume  # the records after a failed write, again (the queue is off now)

    def _collect(self, outcomes: list[Outcome], session: IndexSession) -> int | None:
        """Index what the queue wrote. After a failed write: that record's outcome is failed,
        the outcomes after it are dropped, their entries taken back from the catalog, the queue
        is off; returns how many records are done (where to go on), else None."""
        queue = self._queue
        assert queue is not None
        self._index_written(queue, session)
        if not queue.stopped:
            return None
        queue.settle()  # the writer gives up on everything queued after the failure
        self._index_written(queue, session)  # written before it failed or was lost
        return self._take_back_failed(outcomes)

    def _index_written(self, queue: CreateQueue, session: IndexSession) -> None:
        """The index takes the entries the queue says are written, with their stamps."""
        for new in queue.written():
            entry, body, stamp = self._queued.pop(new.entry_id)
            if new.stamp != stamp:  # a file system keeping coarser times: the stamp as it is
                with contextlib.suppress(FileAccessError):  # else the catalog's check finds it later
                    self.catalog.add(entry, stamp=new.stamp)
            session.upsert(entry, body, stamp=new.stamp, prepared=new.prepared)

    def _take_back_failed(self, outcomes: list[Outcome]) -> int:
        """After the (settled) queue stopped: its unwritten entries leave the catalog, the queue
        is off, and the outcomes are cut where the records must be done again."""
        queue = self._queue
        assert queue is not None
        failed_id, exc = queue.failure or ("", None)
        unwritten = set(queue.unwritten())
        for entry_id in unwritten:
            self._queued.pop(entry_id, None)
            self.catalog.remove(entry_id)
        self.close()
        self._queue, self._writer_off = None, True
        if not failed_id:  # the writer was lost: no record failed, the unwritten ones are done again here
            k = next((n for n, o in enumerate(outcomes) if o.id in unwritten and o.status == "created"),
                     len(outcomes))
            del outcomes[k:]
            return k
        k = next((n for n, o in enumerate(outcomes) if o.id == failed_id and o.status == "created"), None)
        if k is None:  # not this batch's (cannot happen): nothing to say of it
            return len(outcomes)
        if isinstance(exc, OSError):  # as ``_safe`` has it: the collection refuses writes, the run ends
            del outcomes[k:]
            self.fatal = FileAccessError(f"cannot write to the collection: {os_error_message(exc)}",
                                         path=exc.filename, errno=exc.errno)
            return k
        if not isinstance(exc, NewsArchiveError):
            raise exc  # (an interrupt) as it would have been raised without the queue
        outcomes[k] = Outcome(outcomes[k].ref, "failed", message=str(exc), error=exc)
        del outcomes[k + 1:]
        return k + 1

    def _create(self, entry: Entry, files: list[st.NewFile], history: list[dict], body: str,
                session: IndexSession) -> None:
        """Write a new entry folder, have the catalog learn it and the index take it: here, or
        (a bulk import) through the writer process, the index once it is written."""
        session.touch(entry.id)
        if self._queue is None:
            self.store.create(entry, files, history=history, durable=self.durable is True)
            self._learn(entry)
            session.upsert(entry, body)
            return
        import time

        new = self.store.stage_new(entry, files, history=history, mtime_ns=time.time_ns(), check_free=False)
        stamp = (new.mtime_ns, new.meta_size)
        self._queued[entry.id] = (entry, body, stamp)
        preparer = session.preparer  # the writer prepares its search document too (tantivy)
        self._queue.submit(new, prepare=(preparer, body) if preparer else None)
        self._learn(entry, stamp=stamp)

    def _archived(self, entry_id: str) -> Entry:
        """An entry as it is archived, to compare a record with: while its folder is still
        queued for the writer process, the entry it is written from (the same fields; waiting
        for the writer here would stall both processes), else read from its folder."""
        queued = self._queued.get(entry_id) if self._queue is not None else None
        if queued is not None:
            return queued[0]
        self._settled(entry_id)
        return self.store.read(entry_id)

    def _settled(self, entry_id: str | None = None) -> None:
        """Before reading or changing an entry (any entry: ``None``) the queue may still be
        writing: wait for it."""
        if self._queue is not None and (entry_id is None or self._queue.pending(entry_id)):
            self._queue.settle()
            if self._batch_session is not None:  # indexed now, before a change indexes a newer state
                self._index_written(self._queue, self._batch_session)
            if self._queue.stopped:
                raise _QueueFailed

