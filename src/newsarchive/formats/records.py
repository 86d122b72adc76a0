"""What importers yield: every source is a stream of :class:`Record` objects, which the api's
one ingest pipeline deduplicates, archives and indexes in batches; and the helpers they share."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

from ..model import MAX_SNAPSHOT_BYTES, PartialDate


@dataclass
class Record:
    """One input record for the ingest pipeline (from ``add`` or any importer)."""

    ref: str
    fields: dict[str, Any] = field(default_factory=dict)
    data: bytes | None = None
    media_type: str | None = None
    source: str | None = None
    captured_at: PartialDate | None = None
    warc: bytes | None = None
    http: Mapping[str, Any] | None = None
    tls_chain: bytes | None = None  # PEM certificate chain(s) of an https capture, kept beside it
    origin: str = "user"  # provenance label for given fields: "user" or "imported"
    exact: Mapping[str, Any] | None = None  # a whole exported entry (round trip)
    files_dir: Path | None = None  # where an exported entry's files are
    error: str | None = None  # set when the source could not read this record
    match_only: bool = False  # only report which entry it matches (a WARC revisit); never create
    skipped: str | None = None  # set when the source passes this record over, with the reason
    note: str | None = None  # what the source had to say about a record it read (e.g. a value kept aside)
    defaults: dict[str, Any] = field(default_factory=dict)  # import --set: used where the record has no value


def skipped(ref: str, reason: str) -> Record:
    """A record the source passes over on purpose (a WARC response with HTTP 404): reported as
    skipped with the reason, never archived."""
    return Record(ref=ref, skipped=reason)


def read_snapshot_file(path: Path | str, *, name: str | None = None, limit: int | None = None) -> bytes:
    """The bytes of a file that input names (``add FILE``, a JSONL/CSV ``snapshot``, a folder
    import, an exported entry's files). The size is checked on the open file before anything is
    read, and at most ``limit + 1`` bytes are ever read (a file that grows meanwhile is refused
    too), so an oversized file never reaches memory. Devices and FIFOs are refused unread.

    Raises ``SnapshotTooLarge`` (over the limit), ``UsageError`` (not a regular file) or
    ``FileAccessError`` (missing, permission denied, ...); each message names the file."""
    import os
    import stat

    from ..errors import FileAccessError, SnapshotTooLarge, UsageError, os_error_message

    limit = MAX_SNAPSHOT_BYTES if limit is None else limit
    label = name if name is not None else str(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise FileAccessError(os_error_message(exc, action="read", path=label), path=label,
                              errno=exc.errno) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UsageError(f"{label} is not a regular file")
        if info.st_size > limit:
            raise SnapshotTooLarge(f"{label} is {info.st_size} bytes; the snapshot limit is {limit}")
        pieces, total = [], 0
        with os.fdopen(fd, "rb", buffering=0, closefd=False) as fh:
            want = info.st_size + 1  # the whole file in one read (a buffer of its size, not the limit's)
            while True:
                piece = fh.read(want)
                if not piece:
                    break
                pieces.append(piece)
                total += len(piece)
                if total > limit:
                    raise SnapshotTooLarge(f"{label} grew past the snapshot limit of {limit} bytes while being read")
                want = 1 << 20
        return b"".join(pieces) if len(pieces) != 1 else pieces[0]
    except OSError as exc:
        raise FileAccessError(os_error_message(exc, action="read", path=label), path=label,
                              errno=exc.errno) from None
    finally:
        os.close(fd)


def read_citations(path: Path, parse) -> "Iterator[Record]":
    """A citation file (CSL-JSON, BibTeX, RIS) as metadata-only records; ``parse`` is the
    matching ``newsarchive.formats`` parser, which names the place of each error itself."""
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    for ref, result in parse(text):
        if isinstance(result, Exception):
            yield failed(ref, str(result))
        else:
            fields = dict(result)
            notes = fields.pop(NOTES_KEY, None)
            yield Record(ref=ref, fields=fields, origin="imported", note="; ".join(notes) if notes else None)


def failed(ref: str, message: str) -> Record:
    """A record that could not be read: reported as failed by the pipeline, never archived."""
    return Record(ref=ref, error=message)


NOTES_KEY = "@notes"  # in a parsed record: what the import report should say about it


def check_record(record: dict[str, Any]) -> dict[str, Any]:
    """Validate a record dict against the entry model (raises InvalidEntry)."""
    from ..model import Entry

    data = {k: v for k, v in record.items() if k not in ("citekey", NOTES_KEY)}
    Entry.from_json({"id": "0000", "citekey": "check", **data})
    return record
