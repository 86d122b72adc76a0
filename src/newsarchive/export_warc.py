"""Export snapshots as one WARC file: captured WARC records as they are, other snapshots as
``resource`` records (with block and payload digests), after a ``warcinfo`` record.

The exported file passes ``warcio check``: a captured record whose WARC-Block-Digest or
WARC-Payload-Digest does not match its bytes (some crawlers write the block digest as the
payload digest; the import keeps such records when their block digest checks out) is written
with the digest recomputed from the bytes, and ``notify`` is told, one line per record. The
record's bytes themselves are never changed; the original capture stays in the collection.

The exporter hands over only entries that passed the fixity check, unless the user asked for
damaged ones too (--include-damaged): each of those gets a ``metadata`` record naming its damage,
its resource records carry ``X-Newsarchive-Damaged``, and files that are missing or no longer
readable as WARC are left out."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import os
from pathlib import Path
from typing import Callable, Iterable

from . import __version__
from .model import Entry
from .store import Store


def write(store: Store, items: Iterable[tuple[Entry, list[str]]], out: Path, *,
          part: Path | None = None, notify: Callable[[str], object] | None = None) -> int:
    from warcio.warcwriter import WARCWriter

    tmp = part or out.with_name(f".{out.name}.part")
    count = 0
    compress = out.name.lower().endswith(".gz")
    try:
        with open(tmp, "wb") as fh:
            writer = WARCWriter(fh, gzip=compress)
            info = writer.create_warcinfo_record(out.name, {"software": f"newsarchive/{__version__}",
                                                            "format": "WARC File Format 1.1"})
            writer.write_record(info)
            for entry, damage in items:
                if damage:
                    note = ("DAMAGED in the archive (exported with --include-damaged):\n"
                            + "".join(f"{line}\n" for line in damage)).encode("utf-8")
                    writer.write_record(writer.create_warc_record(
                        f"urn:newsarchive:{entry.id}", "metadata", payload=io.BytesIO(note),
                        length=len(note), warc_content_type="text/plain; charset=utf-8",
                        warc_headers_dict={"X-Newsarchive-Entry": entry.id,
                                           "X-Newsarchive-Damaged": "true"}))
                for n, snap in enumerate(entry.snapshots, 1):
                    try:
                        if snap.warc_path:  # the exchange as captured: copied record by record
                            data = store.read_file(entry.id, snap.warc_path)
                            fixed = _fix_digests(gzip.decompress(data), f"{entry.id} v{n}", notify)
                            if fixed is None:
                                fh.write(data if compress else gzip.decompress(data))
                            else:
                                for blob in fixed:
                                    fh.write(gzip.compress(blob) if compress else blob)
                            continue
                        payload = store.read_file(entry.id, snap.path)
                    except Exception:  # noqa: BLE001  (StoreError, a broken gzip, an unparsable record)
                        if damage:
                            continue  # missing or unreadable: named in the metadata record
                        raise
                    uri = entry.url or f"urn:newsarchive:{entry.id}:v{n}"
                    headers = {"WARC-Date": _warc_date(snap.captured_at.iso()),
                               "WARC-Source-URI": snap.source or "",
                               "X-Newsarchive-Entry": f"{entry.id} v{n}"}
                    if damage:
                        headers["X-Newsarchive-Damaged"] = "true"
                    record = writer.create_warc_record(
                        uri, "resource", payload=io.BytesIO(payload), length=len(payload),
                        warc_content_type=snap.media_type, warc_headers_dict=headers)
                    writer.write_record(record)
                count += 1
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return count


def _warc_date(iso: str) -> str:
    from .model import PartialDate
    import datetime as dt

    p = PartialDate.from_iso(iso)
    m = p.moment or dt.datetime(p.year, p.month or 1, p.day or 1, tzinfo=dt.timezone.utc)
    if m.tzinfo is not None:
        m = m.astimezone(dt.timezone.utc)
    return f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}Z"


def _digest(algorithm: str, data: bytes) -> str:
    """A WARC digest value in the algorithm (and base32 notation) the header used."""
    name = algorithm.lower().replace("-", "")
    h = hashlib.new(name if name in hashlib.algorithms_available else "sha1", data)
    label = name if name in hashlib.algorithms_available else "sha1"
    return f"{label}:{base64.b32encode(h.digest()).decode('ascii')}"


def _fix_digests(raw: bytes, where: str, notify: Callable[[str], object] | None) -> list[bytes] | None:
    """The records of one captured exchange (uncompressed), with any digest that does not match
    recomputed; None when every digest matched (the capture is copied as it is)."""
    from warcio.archiveiterator import ArchiveIterator

    spans = []
    bad = False
    it = ArchiveIterator(io.BytesIO(raw), check_digests=True)
    for record in it:
        record.raw_stream.read()
        it.read_to_end(record)
        failed = record.digest_checker.passed is False
        bad = bad or failed
        payload_length = record.payload_length if record.payload_length >= 0 else None
        rec_id = record.rec_headers.get_header("WARC-Record-ID") or "?"
        spans.append((it.get_record_offset(), failed, payload_length, rec_id))
    if not bad:
        return None
    out = []
    ends = [o for o, *_ in spans[1:]] + [len(raw)]
    for (offset, failed, payload_length, rec_id), end in zip(spans, ends):
        blob = raw[offset:end]  # the record with the blank lines that end it
        if failed:
            blob, fixed = _recompute(blob, payload_length)
            if notify is not None and fixed:
                notify(f"warc: entry {where}, record {rec_id}: {', '.join(fixed)} did not match the stored bytes; "
                       "recomputed")
        out.append(blob)
    return out


def _recompute(record: bytes, payload_length: int | None) -> tuple[bytes, list[str]]:
    """One uncompressed WARC record with its block and payload digests recomputed; the payload
    is the last ``payload_length`` bytes of the block (as warcio parsed the HTTP headers)."""
    head, sep, rest = record.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = None
    for line in lines:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    block = rest[:length] if length is not None else rest
    tail = rest[len(block):]
    payload = block
    if payload_length is not None and payload_length <= len(block):
        payload = block[len(block) - payload_length:]
    fixed = []
    new_lines = []
    for line in lines:
        name, colon, value = line.partition(b":")
        key = name.strip().lower()
        if colon and key in (b"warc-block-digest", b"warc-payload-digest"):
            algo = value.strip().split(b":", 1)[0].decode("ascii", "replace") or "sha1"
            want = _digest(algo, block if key == b"warc-block-digest" else payload)
            if value.strip().decode("ascii", "replace").lower() != want.lower():
                fixed.append(name.strip().decode("ascii", "replace"))
                line = name + b": " + want.encode("ascii")
        new_lines.append(line)
    return b"\r\n".join(new_lines) + sep + block + tail, fixed
