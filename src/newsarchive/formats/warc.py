"""WARC: import (WARC, WARC.gz and ARC captures) and export (one WARC file).

Import. WARC, WARC.gz and ARC captures (Webrecorder, ArchiveBox, wget, Heritrix).

``response`` records (HTTP 200) and ``resource`` records whose payload is HTML or text become
entries: WARC-Target-URI as the URL, WARC-Date as the capture time, the payload as the
snapshot, and the original record kept beside it (``capture.warc.gz``). The payload digest is
checked when the record has one. A WARC-Date that cannot be read (or is read in a near form),
and a payload digest kept only because it repeats a matching block digest, are said on the
record's report line; such a WARC-Date is kept as written in the snapshot's ``http``
(``warc_headers``), and the capture time recorded is then the import time. ``revisit`` records are resolved to the entry of the URL they
revisit, or reported. A truncated or corrupt file keeps every good record and reports the
offset where it broke.

Export. Snapshots as one WARC file: captured WARC records as they are, other snapshots as
``resource`` records (with block and payload digests), after a ``warcinfo`` record.

The exported file passes ``warcio check``: a captured record whose WARC-Block-Digest or
WARC-Payload-Digest does not match its bytes (some crawlers write the block digest as the
payload digest; the import keeps such records when their block digest checks out) is written
with the digest recomputed from the bytes, and ``notify`` is told, one line per record. The
record's bytes themselves are never changed; the original capture stays in the collection.

The exporter hands over only entries that passed the fixity check, unless the user asked for
damaged ones too (--include-damaged): each of those gets a ``metadata`` record naming its damage,
its resource records carry ``X-Newsarchive-Damaged``, and files that are missing or no longer
readable as WARC are left out.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import os
import re
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .. import __version__
from ..media import TEXT_TYPES, base_type
from ..model import MAX_SNAPSHOT_BYTES, Entry, PartialDate
from ..store import Store
from .records import Record, failed, skipped

MAX_BYTES = MAX_SNAPSHOT_BYTES
WARC_TYPES = {"warcinfo", "response", "resource", "request", "metadata", "revisit", "conversion",
              "continuation"}
EXTRACTABLE = TEXT_TYPES  # the payloads that become entries: those text is extracted from


def _read_capped(stream, limit: int) -> bytes | None:
    """Read at most ``limit`` bytes (a decompression bomb stops here); None when over."""
    chunks, total = [], 0
    while True:
        chunk = stream.read(1 << 16)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > limit:
            return None
        chunks.append(chunk)


def read(path: Path, *, max_bytes: int = MAX_BYTES) -> Iterator[Record]:
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    is_arc = path.name.lower().endswith((".arc", ".arc.gz"))
    fh = path.open("rb")
    raw = path.open("rb")
    try:
        it = ArchiveIterator(fh, arc2warc=True, check_digests=True)
        records = 0
        last, last_failed = 0, False
        while True:
            # where the next record starts: the iterator's position once the previous record
            # was read to its end (get_record_offset() would read the new record's payload away)
            offset = it.offset
            try:
                record = next(it)
                records += 1
            except StopIteration:
                if records == 0 and path.stat().st_size > 0:  # damaged at the start, or not a WARC
                    yield failed("offset 0", f"{path.name}: no WARC or ARC record could be read "
                                             "(damaged at the start, or not a WARC file)")
                elif 0 <= offset < path.stat().st_size:
                    yield failed(f"offset {offset}", f"{path.name}: unreadable data from offset {offset} "
                                                     "to the end; records before it were read")
                elif records and not last_failed and not _last_member_complete(path, last):
                    yield failed(f"offset {last}", f"{path.name}: the file ends inside the gzip member that "
                                                   f"starts at offset {last} (cut short); records before it were read")
                return
            except (ArchiveLoadFailed, EOFError, OSError, ValueError, Exception) as exc:  # noqa: B014
                where = f"offset {offset}" if offset >= 0 else "a record whose offset cannot be told"
                reason = next((ln.strip() for ln in str(exc).splitlines() if ln.strip()), "unreadable")
                if isinstance(exc, (AttributeError, TypeError, KeyError, IndexError)):
                    reason = "a damaged record header"  # warcio's own error says nothing useful
                yield failed(where, f"{path.name}: broken at {where} ({exc.__class__.__name__}: {reason}); "
                                    f"records before it were read")
                return
            last, last_failed = offset, False
            try:
                for rec in _one(record, it, raw, path, offset, max_bytes=max_bytes, is_arc=is_arc):
                    last_failed = last_failed or rec.error is not None
                    yield rec
                it.read_to_end()
            except Exception as exc:  # a damaged record: report it and stop, keep what came before
                yield failed(f"offset {offset}", f"{path.name}: broken record at offset {offset} "
                                                 f"({exc.__class__.__name__}: {exc})")
                return
    finally:
        fh.close()
        raw.close()


def _last_member_complete(path: Path, start: int) -> bool:
    """For a gzip WARC: does the member that starts at ``start`` (the last record's) end with its
    gzip trailer? A file cut inside the trailer decompresses fully but is still cut short."""
    import zlib

    with path.open("rb") as fh:
        if fh.read(2) != b"\x1f\x8b":
            return True  # not gzip: a cut inside a record is found by its Content-Length
        fh.seek(max(start, 0))
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            while not d.eof:
                chunk = fh.read(1 << 16)
                if not chunk:
                    return False
                d.decompress(chunk, 1 << 20)  # bounded: a bomb in the last member is not inflated whole
                while d.unconsumed_tail and not d.eof:
                    d.decompress(d.unconsumed_tail, 1 << 20)
        except zlib.error:  # damaged compressed data: the member is not complete either
            return False
        return True


def _one(record, it, raw, path: Path, offset: int, *, max_bytes: int, is_arc: bool) -> Iterator[Record]:
    rtype = record.rec_type
    headers = record.rec_headers
    uri = headers.get_header("WARC-Target-URI")
    ref = headers.get_header("WARC-Record-ID") or f"offset {offset}"
    date = headers.get_header("WARC-Date")
    if rtype not in WARC_TYPES:
        yield failed(ref, f"{path.name}: record at offset {offset} has an unknown WARC-Type "
                          f"{str(rtype)[:40]!r} (a damaged header?); skipped")
        return
    # every response, resource and revisit record gets a report line; request, metadata,
    # warcinfo, conversion and continuation records describe captures and are not articles
    if rtype in ("response", "resource", "revisit") and not uri:
        record.content_stream().read()
        yield skipped(ref, f"{rtype} record at offset {offset} has no WARC-Target-URI")
        return
    if uri and rtype in ("response", "resource") and not uri.lower().startswith(("http://", "https://")):
        record.content_stream().read()  # dns:, metadata://, file records of the crawler
        yield skipped(ref, f"target URI is not a URL: {uri[:80]!r}")
        return
    if rtype == "revisit":
        refers = headers.get_header("WARC-Refers-To-Target-URI") or uri
        http = record.http_headers
        kind = (http.get_header("Content-Type") if http is not None else "") or ""
        record.content_stream().read()
        if kind and base_type(kind) not in EXTRACTABLE:
            yield skipped(ref, f"revisit of {refers}: not an article ({kind.split(';')[0].strip()[:60]})")
            return
        yield Record(ref=ref, fields={"url": refers}, origin="imported", match_only=True,
                     source=f"{path.name}#{ref}")
        return
    if rtype not in ("response", "resource"):
        record.content_stream().read()
        return
    if rtype == "response":
        http = record.http_headers
        if http is None:
            record.content_stream().read()
            yield skipped(ref, f"{uri}: response without HTTP headers")
            return
        status = http.get_statuscode()
        if status != "200":
            record.content_stream().read()
            yield skipped(ref, f"{uri}: HTTP {status}")
            return
        media_type = http.get_header("Content-Type") or ""
    else:
        media_type = headers.get_header("Content-Type") or ""
    base = base_type(media_type)
    if base and base not in EXTRACTABLE:
        record.content_stream().read()
        yield skipped(ref, f"{uri}: not an article ({base[:60]})")
        return
    payload = _read_capped(record.content_stream(), max_bytes)
    if payload is None:
        yield failed(ref, f"{uri}: payload over {max_bytes} bytes (limit); skipped")
        return
    it.read_to_end(record)  # the digests are checked as the record is read to its end
    if getattr(record.raw_stream, "limit", 0):  # fewer bytes than its Content-Length: cut off
        yield failed(ref, f"{path.name}: record for {uri} at offset {offset} is truncated "
                          f"({record.raw_stream.limit} bytes missing); not archived")
        return
    checker = getattr(record, "digest_checker", None)
    notes: list[str] = []
    if checker is not None and checker.passed is False:
        problems = "; ".join(checker.problems) or "digest mismatch"
        if not _block_digest_as_payload(headers, checker):
            yield failed(ref, f"{uri}: {problems}; not archived")
            return
        # kept (the block digest checks out), but never silently: the report line says so
        notes.append(f"WARC-Payload-Digest does not match the payload ({problems}); it repeats "
                     "WARC-Block-Digest, which matches the record, so the record is kept")
    length = it.get_record_length()
    original = None
    if not is_arc and length and length <= max_bytes:
        raw.seek(offset)
        blob = raw.read(length)
        original = blob if blob[:2] == b"\x1f\x8b" else gzip.compress(blob)
    captured, date_note = capture_date(date)
    http = None
    if date_note:
        notes.append(date_note)
        # the WARC-Date as the record has it, kept with the snapshot (the capture time is not it)
        http = {"warc_headers": {"WARC-Date": date}} if date is not None else {}
        if captured is None:  # citations must not present the import time as the capture time
            http[CAPTURE_TIME_UNKNOWN] = True
        http = http or None
    yield Record(ref=ref, fields={"url": uri}, data=payload, media_type=media_type or None,
                 source=f"{path.name}#{ref}", captured_at=captured, warc=original, origin="imported",
                 http=http, note="; ".join(notes) or None)


CAPTURE_TIME_UNKNOWN = "capture_time_unknown"  # in Snapshot.http: captured_at is the import time
_LENIENT_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})[T ]?(\d{2}):?(\d{2}):?(\d{2})(?:[.,](\d+))?"
                           r"\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?", re.I)


def capture_date(text: str | None) -> tuple[PartialDate | None, str | None]:
    """The capture time a WARC-Date gives, and a note when it is not the date as written.

    The WARC form (2008-10-29T05:21:46Z) and any ISO 8601 datetime are read as they are. A date
    with one sound reading in a near form (a space for the T, no separators as in ARC's
    20081029052146, lowercase t/z, an offset without colon, "UTC") is read so, and the note says
    how. A date that cannot be read gives None (the import time is recorded) and a note that
    says so; nothing is guessed (2008-10-294 could be the 29th or a typo for any day)."""
    import datetime as _dt

    if text is None or not text.strip():
        return None, "the record has no WARC-Date: the capture time recorded is the import time"
    raw = text.strip()
    shown = raw if len(raw) <= 80 else raw[:80] + "..."
    try:
        found = PartialDate.from_iso(raw)
    except Exception:  # noqa: BLE001 - not ISO 8601: a near form is tried below
        found = None
    if found is not None and getattr(found, "literal", None) is None:  # not an EDTF range, "186X", ...
        return found, None
    if found is None:
        m = _LENIENT_DATE.fullmatch(raw)
        if m:
            year, month, day, hour, minute, second, _frac, zone = m.groups()
            zone = (zone or "Z").upper()
            if zone in ("Z", "UTC", "GMT"):
                tz = _dt.timezone.utc
            else:
                sign = -1 if zone[0] == "-" else 1
                digits = zone[1:].replace(":", "")
                tz = _dt.timezone(sign * _dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
            try:
                moment = _dt.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                                      tzinfo=tz)
                found = PartialDate.from_datetime(moment)
            except Exception:  # noqa: BLE001 - day 31 of February, hour 25, an offset over a day
                found = None
            if found is not None:
                return found, (f"WARC-Date {shown!r} is not in the WARC form; read as "
                               f"{moment.astimezone(_dt.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')}")
    return None, f"WARC-Date {shown!r} is not a date: the capture time recorded is the import time"


def _block_digest_as_payload(headers, checker) -> bool:
    """A known crawler quirk (ClueWeb09, some Heritrix builds): WARC-Payload-Digest repeats the
    block digest. When the block digest itself checked out the record is intact; only the
    payload digest's label is wrong, so the record is kept."""
    payload = headers.get_header("WARC-Payload-Digest")
    block = headers.get_header("WARC-Block-Digest")
    problems = list(checker.problems or [])
    return bool(payload and block and payload == block and problems
                and all(p.startswith("payload digest failed") for p in problems))


# --------------------------------------------------------------------------- export


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


def export(items, ctx) -> int:
    """The exporter registry's entry point: ``items`` are the checked (entry, damage) pairs."""
    return write(ctx.store, items, ctx.out, part=ctx.part, notify=ctx.notify)
