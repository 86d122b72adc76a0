"""Adding records: ``add`` (one), ``ingest_records`` (a stream, in batches), ``open_source``/``import_file`` (a file or folder)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

from ..works import MATCH_MODES
from ..errors import IndexNotUpdated, NewsArchiveError, UsageError
from ..model import PartialDate
from ..formats.records import Record
from .capture import fetch
from .collection import Collection, as_collection
from .indexing import index_failure
from .ingest import Ingest, Outcome

BATCH_SIZE = 500
#: a batch also ends once its records hold this many bytes of snapshots (a batch's records and
#: their extracted texts stay in memory until it is written: 5,000 news pages of 300 KB would
#: take gigabytes)
BATCH_BYTES = 16 * 2**20


def add(root: Path | Collection, *, data: bytes | None, source: str | None, fields: Mapping[str, Any],
        media_type: str | None = None, dayfirst: bool = False, new_entry: bool = False,
        dry_run: bool = False, lock_timeout: float | None = None,
        warc: bytes | None = None, http: Mapping[str, Any] | None = None,
        captured_at: PartialDate | None = None, tls_chain: bytes | None = None) -> Outcome:
    """Archive one snapshot (or a metadata-only entry when ``data`` is None)."""
    coll = as_collection(root)
    store = coll.store
    ingest = Ingest(store, dayfirst=dayfirst, new_entry=new_entry, dry_run=dry_run,
                    lock_timeout=coll.timeout(lock_timeout))
    record = Record(ref=source or "-", fields=dict(fields), data=data, media_type=media_type,
                    source=source, warc=warc, http=http, captured_at=captured_at, tls_chain=tls_chain)
    outcome = ingest.run_batch([record])[0]
    if ingest.fatal is not None:  # written, but the index could not be (the journal recovers it)
        raise ingest.fatal
    if outcome.status == "failed":
        raise outcome.error or UsageError(outcome.message or "failed")
    if outcome.index_error:
        verb = "archived" if outcome.status == "created" else "added a new version to"
        raise IndexNotUpdated(index_failure(f"{verb} {outcome.id}", outcome.index_error), outcome=outcome)
    return outcome


def ingest_records(root: Path | Collection, records: Iterable[Record], *, dayfirst: bool = False,
                   dry_run: bool = False, on_error: str = "skip", batch_size: int | None = None,
                   lock_timeout: float | None = None, durable: bool | str = "batch",
                   new_entry: bool = False, match: str = "strict",
                   on_record: Callable[[], Any] | None = None) -> Iterator[Outcome]:
    """The one pipeline for every importer: a stream of records in, outcomes out, in batches.
    ``durable="batch"`` syncs the archive once per batch (see :class:`Ingest`). ``on_record``
    is called once per record as it is processed (progress; outcomes come a batch at a time).
    ``batch_size``: records per batch (one lock, one file-system sync, one index commit); by
    default the engine's ``batch_size``, else :data:`BATCH_SIZE`. A batch ends sooner when its
    records hold :data:`BATCH_BYTES` of snapshots."""
    if on_error not in ("skip", "stop"):
        raise UsageError("--on-error is skip or stop")
    coll = as_collection(root)
    store = coll.store
    if batch_size is None:
        try:
            batch_size = int(getattr(coll.backend, "batch_size", BATCH_SIZE))
        except NewsArchiveError:  # no engine to ask (not installed): the first batch says why
            batch_size = BATCH_SIZE
    ingest = Ingest(store, dayfirst=dayfirst, dry_run=dry_run, lock_timeout=coll.timeout(lock_timeout),
                    durable=durable, new_entry=new_entry, match=match)
    ingest.stop_on_error = on_error == "stop"
    ingest.on_record = on_record
    batch: list[Record] = []
    held = 0  # bytes of snapshots in ``batch``

    def flush() -> Iterator[Outcome]:
        nonlocal held
        good = [r for r in batch if r.error is None and r.skipped is None]
        done = iter(ingest.run_batch(good)) if good else iter(())
        for r in batch:
            if r.error is not None:
                ingest._tick()
                yield Outcome(r.ref, "failed", message=r.error)
            elif r.skipped is not None:
                ingest._tick()
                yield Outcome(r.ref, "skipped", message=r.skipped)
            else:
                o = next(done, None)
                if o is None:  # the batch ended at a failure (--on-error stop)
                    break
                yield o
        batch.clear()
        held = 0
        if ingest.fatal is not None:  # after the lines of what was written before it
            raise ingest.fatal

    try:
        for record in records:
            if on_error == "stop" and record.error is not None:
                for o in flush():
                    yield o
                    if o.status == "failed":
                        return
                yield Outcome(record.ref, "failed", message=record.error)
                return
            batch.append(record)
            held += len(record.data or b"") + len(record.warc or b"")
            if len(batch) >= batch_size or held >= BATCH_BYTES:
                for o in flush():
                    yield o
                    if o.status == "failed" and on_error == "stop":
                        return
        for o in flush():
            yield o
            if o.status == "failed" and on_error == "stop":
                return
    finally:
        ingest.close()  # the writer process, when the run had one


def open_source(path: Path, *, source_format: str | None = None, mapping: Mapping[str, str] | None = None,
                fetcher: Callable[[str], Any] | None = None, host_delay: float | None = None) -> Iterator[Record]:
    """The record stream of an input file or folder, its format detected or given (a name or an
    alias of :data:`newsarchive.formats.IMPORTERS`). ``host_delay``: URL lists, seconds between
    two requests to one host (default: the source's own)."""
    from .. import formats

    if str(path) != "-" and not path.exists():
        raise UsageError(f"no such file or folder: {path}")
    imp = formats.importer(source_format) if source_format else formats.detect(path)
    if mapping and "mapping" not in imp.takes:
        raise UsageError("--map applies to CSV/TSV sources")
    return imp.read(path, mapping=dict(mapping or {}), fetcher=fetcher or fetch, host_delay=host_delay)


def import_file(root: Path | Collection, path: Path, *, source_format: str | None = None,
                mapping: Mapping[str, str] | None = None, dayfirst: bool = False, dry_run: bool = False,
                on_error: str = "skip", lock_timeout: float | None = None,
                batch_size: int | None = None, host_delay: float | None = None,
                match: str = "strict", options: Any = None,
                on_record: Callable[[], Any] | None = None) -> Iterator[Outcome]:
    """Import a file or folder. ``match``: when a metadata-only record is an archived work:
    ``strict`` (the default: everything that tells works apart agrees), ``url`` (the same URL
    or DOI is enough), ``none`` (every such record creates an entry). ``options``: an
    :class:`newsarchive.import_options.ImportOptions` (``--set``, ``--tag``, folder filters)."""
    coll = as_collection(root)
    if match not in MATCH_MODES:
        raise UsageError(f"unknown --match {match!r} (one of: {', '.join(MATCH_MODES)})")
    from functools import partial

    from ..evidence import operator_of

    records = open_source(path, source_format=source_format, mapping=mapping, host_delay=host_delay,
                          fetcher=partial(fetch, operator=operator_of(coll.root)))
    if options is not None:
        records = options.apply(records, folder=str(path) != "-" and Path(path).is_dir())
    return ingest_records(coll, records, dayfirst=dayfirst, dry_run=dry_run, on_error=on_error,
                          lock_timeout=lock_timeout, batch_size=batch_size, match=match, on_record=on_record)
