"""Export snapshots as one WARC file: captured WARC records as they are, other snapshots as
``resource`` records (with block and payload digests), after a ``warcinfo`` record."""

from __future__ import annotations

import gzip
import io
import os
from pathlib import Path
from typing import Iterable

from . import __version__
from .model import Entry
from .store import Store


def write(store: Store, entries: Iterable[Entry], out: Path) -> int:
    from warcio.warcwriter import WARCWriter

    tmp = out.with_name(f".{out.name}.part")
    count = 0
    compress = out.name.lower().endswith(".gz")
    try:
        with open(tmp, "wb") as fh:
            writer = WARCWriter(fh, gzip=compress)
            info = writer.create_warcinfo_record(out.name, {"software": f"newsarchive/{__version__}",
                                                            "format": "WARC File Format 1.1"})
            writer.write_record(info)
            for entry in entries:
                for n, snap in enumerate(entry.snapshots, 1):
                    if snap.warc_path:  # the exchange as captured: copied record by record
                        data = store.read_file(entry.id, snap.warc_path)
                        fh.write(data if compress else gzip.decompress(data))
                        continue
                    payload = store.read_file(entry.id, snap.path)
                    uri = entry.url or f"urn:newsarchive:{entry.id}:v{n}"
                    record = writer.create_warc_record(
                        uri, "resource", payload=io.BytesIO(payload), length=len(payload),
                        warc_content_type=snap.media_type,
                        warc_headers_dict={"WARC-Date": _warc_date(snap.captured_at.iso()),
                                           "WARC-Source-URI": snap.source or "",
                                           "X-Newsarchive-Entry": f"{entry.id} v{n}"})
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
    return m.strftime("%Y-%m-%dT%H:%M:%SZ")
