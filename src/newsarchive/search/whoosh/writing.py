"""Writing a Whoosh index: batched upserts and deletes, the merge policy, rebuilds."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from ...errors import LockTimeout, SearchIndexError
from ...fsutil import wait_for
from ...store import crash_point
from .. import documents, layout
from . import storage
from .reading import forget
from .schema import schema, to_fields

if TYPE_CHECKING:  # pragma: no cover
    from ...model import Entry


class IndexWriter:
    """Add, replace and delete entries in one batch (one Whoosh writer, one commit).

    Operations are buffered (last one per id wins) and applied on exit: the whole batch is
    committed when the block ends normally and dropped when it raises.
    """

    def __init__(self, index_dir: str | os.PathLike, *, timeout: float = 30.0,
                 limitmb: int = 128, optimize: bool = False):
        self.index_dir = Path(index_dir)
        self.optimize = optimize
        self.timeout = timeout
        self.limitmb = limitmb
        self._pending: dict[str, tuple["Entry", str, str | None, Any] | None] = {}
        #: entry id -> its older versions (entry as that version showed it, version, text), to
        #: replace the ones in the older-versions index; [] removes them
        self._older: dict[str, list[tuple["Entry", int, str]]] = {}
        self._older_gen: Path | None = None
        self._writer = None

    def __enter__(self) -> "IndexWriter":
        from whoosh.index import LockError

        self.index_dir.mkdir(parents=True, exist_ok=True)
        meta = storage.read_meta(self.index_dir)
        if meta is None and not any(self.index_dir.glob(f"{storage.PREFIX}-*")):
            with storage.rebuild_lock(self.index_dir, self.timeout, "being created"):
                if storage.read_meta(self.index_dir) is None:
                    gen = layout.new_generation(self.index_dir, storage.PREFIX)
                    from whoosh import index as wi

                    wi.create_in(str(gen), schema())
                    older = layout.new_generation(self.index_dir, storage.OLDER_PREFIX)
                    wi.create_in(str(older), schema())
                    storage.write_meta(self.index_dir, gen.name, {layout.OLDER: older.name})
            meta = storage.read_meta(self.index_dir)
        gen = storage.check_meta(self.index_dir, meta)
        try:
            ix = storage.open_index(gen, mmap=False)
            self._writer = ix.writer(timeout=self.timeout, delay=0.05, limitmb=self.limitmb)
        except LockError:
            raise LockTimeout(
                f"another process is writing the search index ({gen}) and held its lock for "
                f"{self.timeout:g} s; try again when it has finished"
            ) from None
        except Exception as exc:  # a truncated TOC or segment: derived data, rebuild it
            raise storage.damaged(self.index_dir, exc) from None
        # a rebuild may have swapped generations while we waited for the lock
        if storage.read_meta(self.index_dir) != meta:
            self._writer.cancel()
            raise LockTimeout("the search index was rebuilt while waiting; try again")
        older = meta.get(layout.OLDER) if meta else None  # none: built before older versions were indexed
        self._older_gen = self.index_dir / str(older) if older and (self.index_dir / str(older)).is_dir() else None
        return self

    def upsert(self, entry: "Entry", body_text: str = "", *, fingerprint: str | None = None,
               stamp: Any = None, older: Iterable[tuple["Entry", int, str]] | None = None) -> None:
        """Index ``entry`` with ``body_text`` (the newest version's text), replacing any old doc.
        ``stamp``: how its entry.json looked on disk (see ``stored_stamps``). ``older``: its older
        versions (entry as that version showed it, version, text), replacing those indexed;
        None leaves them as they are."""
        self._pending[entry.id] = (entry, body_text or "", fingerprint, stamp)
        if older is not None:
            self._older[entry.id] = list(older)
        else:
            self._older.pop(entry.id, None)

    def delete(self, entry_id: str) -> None:
        self._pending[entry_id] = None
        self._older[entry_id] = []

    def __exit__(self, exc_type, exc, tb) -> None:
        w = self._writer
        if w is None:
            return
        self._writer = None
        if exc_type is not None:
            w.cancel()
            return
        try:
            if self._older and self._older_gen is not None:
                _replace_older(self._older_gen, self._older, timeout=self.timeout)
                crash_point("index-older-committed")
            if self._pending:
                reader = w.reader()
                try:
                    for eid in self._pending:
                        if reader.doc_frequency("id", eid):
                            w.delete_by_term("id", eid)
                finally:
                    reader.close()
                for item in self._pending.values():
                    if item is not None:
                        entry, body, fp, stamp = item
                        w.add_document(**to_fields(documents.build(entry, body, fp, stamp)))
            if self.optimize:
                w.commit(optimize=True)
            else:
                w.commit(mergetype=merge_tiered)
        except BaseException as exc:
            try:
                w.cancel()
            except Exception:  # pragma: no cover
                pass
            if isinstance(exc, Exception) and not isinstance(exc, (SearchIndexError, LockTimeout)):
                raise storage.damaged(self.index_dir, exc) from None
            raise
        finally:
            self._pending.clear()
            self._older.clear()
            forget(self.index_dir)


def _replace_older(gen: Path, older: dict[str, list[tuple["Entry", int, str]]], *, timeout: float) -> None:
    """Replace the older versions of these entries in the older-versions index ``gen`` (one commit;
    nothing is opened for writing when there is nothing to delete or add)."""
    ix = storage.open_index(gen, mmap=False)
    reader = ix.reader()
    try:
        present = [eid for eid in older if reader.doc_frequency("id", eid)]
    finally:
        reader.close()
    if not present and not any(older.values()):
        return
    w = ix.writer(timeout=timeout, delay=0.05)
    try:
        for eid in present:
            w.delete_by_term("id", eid)
        for versions in older.values():
            for entry, version, text in versions:
                w.add_document(**to_fields(documents.build_version(entry, version, text)))
        w.commit(mergetype=merge_tiered)
    except BaseException:
        w.cancel()
        raise


MERGE_FANOUT = 8


def merge_tiered(w, segments):
    """Whoosh merge policy: merge a size tier once it holds MERGE_FANOUT segments.

    Tiers grow by a factor of MERGE_FANOUT, so with batches of 1,000 each document is copied
    about log8(N/1000) times (Whoosh's default policy re-merges small segments at nearly every
    commit, which made batched imports 2-3x slower). Segments that are mostly deleted
    documents are merged too.
    """
    import math

    from whoosh.reading import SegmentReader

    tiers: dict[int, list] = {}
    merge = []
    for seg in segments:
        n = seg.doc_count_all()
        if n and seg.deleted_count() * 2 > n:
            merge.append(seg)
            continue
        tiers.setdefault(int(math.log(max(n, 1), MERGE_FANOUT)), []).append(seg)
    for tier in tiers.values():
        if len(tier) >= MERGE_FANOUT:
            merge.extend(tier)
    if not merge:
        return segments
    for seg in merge:
        reader = SegmentReader(w.storage, w.schema, seg)
        w.add_reader(reader)
        reader.close()
    keep = {id(x) for x in merge}
    return [seg for seg in segments if id(seg) not in keep]


def optimize(index_dir: str | os.PathLike, *, timeout: float = 30.0) -> None:
    """Merge all segments into one (after a large import; searches get a little faster)."""
    with IndexWriter(index_dir, timeout=timeout, optimize=True):
        pass


def writer(index_dir: str | os.PathLike, *, timeout: float = 30.0) -> IndexWriter:
    """``with writer(dir) as w: w.upsert(entry, text); w.delete(id)``."""
    return IndexWriter(index_dir, timeout=timeout)


def rebuild(index_dir: str | os.PathLike, docs: Iterable[tuple], *,
            timeout: float = 30.0, procs: int = 1, limitmb: int = 256,
            older: "Callable[[Entry], Iterable[tuple[Entry, int, str]]] | None" = None) -> int:
    """Build a fresh index from ``docs`` beside the current one, then swap it in. Returns count.

    With ``older`` (entry -> its older versions), the older-versions index is built too and
    swapped in with the same metadata write; without, the new index has none.
    Searches keep using the old generation until the swap; writers wait (and time out)
    while the rebuild runs.
    """
    from whoosh.index import LockError

    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    with storage.rebuild_lock(index_dir, timeout, "a rebuild is running"):
        old_lock = None
        meta = storage.meta_or_none(index_dir)  # damaged: rebuilt all the same
        previous = str(meta.get("generation") or "") if meta else ""
        if previous and not re.fullmatch(r"g-[\w.-]+", previous):
            previous = ""
        if previous and (index_dir / previous).is_dir():
            try:
                from whoosh.filedb.filestore import FileStorage

                old_lock = FileStorage(str(index_dir / previous)).lock("WRITELOCK")
                if not wait_for(lambda: old_lock.acquire(blocking=False), timeout=timeout):
                    raise LockTimeout(f"another process is writing the search index; waited {timeout:g} s")
            except LockError:  # pragma: no cover
                raise LockTimeout("another process is writing the search index") from None
        gen = layout.new_generation(index_dir, storage.PREFIX)
        ogen = layout.new_generation(index_dir, storage.OLDER_PREFIX) if older is not None else None
        n = 0
        try:
            ix = storage.storage(gen, mmap=False).create_index(schema())
            kw: dict[str, Any] = {"limitmb": limitmb}
            if procs > 1:
                kw.update(procs=procs, multisegment=True)
            w = ix.writer(**kw)
            ow = storage.storage(ogen, mmap=False).create_index(schema()).writer(limitmb=64) if ogen else None
            try:
                for document, versions in documents.with_older(docs, older):
                    w.add_document(**to_fields(document))
                    n += 1
                    for version in versions:
                        ow.add_document(**to_fields(version))
                if ow is not None:
                    ow.commit()
                w.commit()
            except BaseException:
                w.cancel()
                if ow is not None:
                    ow.cancel()
                raise
            storage.write_meta(index_dir, gen.name, {"count": n, **({layout.OLDER: ogen.name} if ogen else {})})
        except BaseException:
            shutil.rmtree(gen, ignore_errors=True)
            if ogen is not None:
                shutil.rmtree(ogen, ignore_errors=True)
            raise
        finally:
            if old_lock is not None:
                old_lock.release()
        # readers that read index.json just before the swap find the old generation gone and
        # read index.json again (see reading.searcher); open searchers keep their files (POSIX)
        layout.remove_generations(index_dir, storage.PREFIX, keep=[gen.name])
        layout.remove_generations(index_dir, storage.OLDER_PREFIX, keep=[ogen.name] if ogen else [])
        forget(index_dir)
    return n


def build_older(index_dir: str | os.PathLike, versions: Iterable[tuple["Entry", int, str]], *,
                timeout: float = 30.0) -> int:
    """Build the older-versions index of an index that has none (built before older versions
    were indexed) or a new one, from ``versions`` (entry as that version showed it, version,
    text), and record it in the metadata. Writers wait meanwhile. Returns how many versions."""
    from whoosh.filedb.filestore import FileStorage

    index_dir = Path(index_dir)
    with storage.rebuild_lock(index_dir, timeout, "a rebuild is running"):
        gen = storage.current(index_dir)
        main_lock = FileStorage(str(gen)).lock("WRITELOCK")  # no writer changes entries meanwhile
        if not wait_for(lambda: main_lock.acquire(blocking=False), timeout=timeout):
            raise LockTimeout(f"another process is writing the search index; waited {timeout:g} s")
        ogen = layout.new_generation(index_dir, storage.OLDER_PREFIX)
        n = 0
        try:
            ow = storage.storage(ogen, mmap=False).create_index(schema()).writer(limitmb=64)
            try:
                for entry, version, text in versions:
                    ow.add_document(**to_fields(documents.build_version(entry, version, text)))
                    n += 1
                ow.commit()
            except BaseException:
                ow.cancel()
                raise
            meta = storage.read_meta(index_dir) or {}
            extra = {k: v for k, v in meta.items() if k not in ("schema_version", "generation", "built")}
            storage.write_meta(index_dir, gen.name, {**extra, layout.OLDER: ogen.name})
        except BaseException:
            shutil.rmtree(ogen, ignore_errors=True)
            raise
        finally:
            main_lock.release()
        layout.remove_generations(index_dir, storage.OLDER_PREFIX, keep=[ogen.name])
        forget(index_dir)
    return n
