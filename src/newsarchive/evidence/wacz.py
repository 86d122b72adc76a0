"""Export captures as a WACZ file (Web Archive Collection Zipped, version 1.1.1), the format
ReplayWeb.page opens and ``wacz validate`` checks.

Layout of the zip::

    archive/<id>-v<N>.warc.gz           a capture's WARC exactly as stored (its SHA-256 is the one
                                        the entry and its timestamp recorded)
    archive/<id>-v<N>-resource.warc.gz  a snapshot that was not fetched from the web (a file, a
                                        paste): one ``resource`` record written for the export
    indexes/index.cdxj                  one line per response/resource record, sorted
    pages/pages.jsonl                   one page per capture (its final URL, time and title)
    datapackage.json                    every file above with its SHA-256 and size
    datapackage-digest.json             the SHA-256 of datapackage.json

WARCs (already gzip-compressed) are stored in the zip uncompressed, as the format asks, so that
a replay tool can read records at their offsets. py-wacz itself is not used here: it needs
frictionless and a SURT library with network look-ups at run time; the index is written with
warcio's record iterator and a SURT key computed here, the way replay tools compute it.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import json
import os
import re
import zipfile
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit

from .. import __version__

WACZ_VERSION = "1.1.1"


def surt(url: str) -> str:
    """The sort-friendly key of a URL in a CDXJ index (``com,example)/path?a=1&b=2``): scheme
    and ``www.`` dropped, host labels reversed (not for an IP address), lower case, query
    arguments sorted. Other URLs (``urn:``) are their own key."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return url
    host = parts.hostname.lower()
    host = re.sub(r"^www\d*\.", "", host)
    if not re.fullmatch(r"[\d.]+|[0-9a-f:]+", host):
        host = ",".join(reversed(host.split(".")))
    port = parts.port
    if port and not ((parts.scheme.lower() == "http" and port == 80) or (parts.scheme.lower() == "https" and port == 443)):
        host += f":{port}"
    key = host + ")" + (parts.path or "/").lower()
    if parts.query:
        key += "?" + urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True))).lower()
    return key


def _ts14(date: str) -> str:
    """``2024-09-04T10:32:00Z`` -> ``20240904103200``."""
    return re.sub(r"\D", "", date)[:14].ljust(14, "0")


def index_lines(data: bytes, filename: str) -> list[str]:
    """CDXJ lines for the response, resource, revisit and metadata records of one WARC file."""
    from warcio.archiveiterator import ArchiveIterator

    out = []
    it = ArchiveIterator(io.BytesIO(data))
    for record in it:
        kind = record.rec_type
        if kind not in ("response", "resource", "revisit"):
            record.content_stream().read()
            continue
        url = record.rec_headers.get_header("WARC-Target-URI") or ""
        date = record.rec_headers.get_header("WARC-Date") or ""
        fields: dict[str, Any] = {"url": url}
        if kind == "response" and record.http_headers is not None:
            ctype = record.http_headers.get_header("Content-Type") or ""
            fields["mime"] = re.split(r"[;\s]", ctype, maxsplit=1)[0] or "unk"
            fields["status"] = str(record.http_headers.get_statuscode() or "")
        elif kind == "revisit":
            fields["mime"] = "warc/revisit"
        else:
            ctype = record.rec_headers.get_header("Content-Type") or ""
            fields["mime"] = re.split(r"[;\s]", ctype, maxsplit=1)[0] or "unk"
        digest = record.rec_headers.get_header("WARC-Payload-Digest")
        if digest:
            fields["digest"] = digest
        record.content_stream().read()
        it.read_to_end(record)
        fields["length"] = str(it.get_record_length())
        fields["offset"] = str(it.get_record_offset())
        fields["filename"] = filename
        out.append(f"{surt(url)} {_ts14(date)} {json.dumps(fields, ensure_ascii=False)}")
    return out


def _resource_warc(entry: Any, n: int, payload: bytes, filename: str, damage: list[str]) -> tuple[bytes, str]:
    """A WARC holding one snapshot that was not fetched (a file, a paste) as a ``resource``
    record; returns (bytes, the record's URI)."""
    from ..formats.warc import _warc_date
    from ..extract.fetch import warc_writer

    snap = entry.snapshots[n - 1]
    out = io.BytesIO()
    writer = warc_writer(out)
    writer.write_record(writer.create_warcinfo_record(filename, {
        "software": f"newsarchive/{__version__}", "format": "WARC File Format 1.0",
        "description": f"entry {entry.id} version {n}: a snapshot that was not fetched from the web "
                       f"(source: {snap.source or 'unknown'})"}))
    uri = entry.url or f"urn:newsarchive:{entry.id}:v{n}"
    headers = {"WARC-Date": _warc_date(snap.captured_at.iso()), "X-Newsarchive-Entry": f"{entry.id} v{n}"}
    if damage:
        headers["X-Newsarchive-Damaged"] = "true"
    writer.write_record(writer.create_warc_record(uri, "resource", payload=io.BytesIO(payload),
                                                  length=len(payload), warc_content_type=snap.media_type,
                                                  warc_headers_dict=headers))
    return out.getvalue(), uri


def _final_response(data: bytes) -> tuple[str | None, str | None]:
    """(URL, WARC-Date) of the last response record of a capture: the page as it was served."""
    from warcio.archiveiterator import ArchiveIterator

    url = date = None
    for record in ArchiveIterator(io.BytesIO(data)):
        if record.rec_type in ("response", "resource"):
            url = record.rec_headers.get_header("WARC-Target-URI")
            date = record.rec_headers.get_header("WARC-Date")
        record.content_stream().read()
    return url, date


def write(store: Any, items: Iterable[tuple[Any, list[str]]], out: Path, *, part: Path | None = None,
          title: str | None = None) -> int:
    """Write the WACZ of ``items`` ((entry, damage lines) as the exporter checked them) to
    ``out`` (through ``part``, renamed into place when complete). Damaged entries (only with
    --include-damaged) carry their damage in their pages; files that cannot be read are left
    out. Returns the number of entries written."""
    from ..errors import StoreError, UsageError
    from ..formats.warc import _warc_date

    tmp = part or out.with_name(f".{out.name}.part")
    resources: list[dict[str, Any]] = []
    lines: list[str] = []
    pages: list[dict[str, Any]] = []
    count = 0

    def add(zf: zipfile.ZipFile, name: str, data: bytes, *, stored: bool) -> None:
        info = zipfile.ZipInfo(name, date_time=_dt.datetime.now(_dt.timezone.utc).timetuple()[:6])
        info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
        zf.writestr(info, data)
        resources.append({"name": Path(name).name.lower(), "path": name,
                          "hash": "sha256:" + hashlib.sha256(data).hexdigest(), "bytes": len(data)})

    try:
        with zipfile.ZipFile(tmp, "w", allowZip64=True) as zf:
            for entry, damage in items:
                wrote = False
                for n, snap in enumerate(entry.snapshots, 1):
                    try:
                        if snap.warc_path:
                            name = f"{entry.id}-v{n}.warc.gz"
                            data = store.read_file(entry.id, snap.warc_path)
                            url, date = _final_response(data)
                        else:
                            name = f"{entry.id}-v{n}-resource.warc.gz"
                            data, url = _resource_warc(entry, n, store.read_file(entry.id, snap.path), name, damage)
                            date = _warc_date(snap.captured_at.iso())
                        found = index_lines(data, name)
                    except Exception as exc:  # noqa: BLE001  (a missing file, a WARC that no longer reads)
                        if damage:
                            continue  # missing or unreadable: the damage lines name it
                        raise StoreError(f"entry {entry.id} version {n}: cannot read its capture ({exc})") from None
                    add(zf, f"archive/{name}", data, stored=True)
                    lines.extend(found)
                    page: dict[str, Any] = {"id": f"{entry.id}-v{n}", "url": url or entry.url or "",
                                            "ts": date or _warc_date(snap.captured_at.iso()),
                                            "title": entry.title or "", "newsarchive_entry": entry.id,
                                            "newsarchive_version": n}
                    if snap.timestamp:
                        page["newsarchive_timestamp"] = snap.timestamp.get("time")
                    if damage:
                        page["newsarchive_damaged"] = damage
                    pages.append(page)
                    wrote = True
                if wrote:
                    count += 1
            if not count:
                raise UsageError("nothing to export: no entry with a snapshot matched")
            add(zf, "indexes/index.cdxj", "".join(f"{x}\n" for x in sorted(lines)).encode("utf-8"), stored=False)
            header = {"format": "json-pages-1.0", "id": "pages", "title": title or "newsarchive captures"}
            body = json.dumps(header, ensure_ascii=False) + "\n" + "".join(
                json.dumps(p, ensure_ascii=False) + "\n" for p in pages)
            add(zf, "pages/pages.jsonl", body.encode("utf-8"), stored=False)
            now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            package: dict[str, Any] = {
                "profile": "data-package", "wacz_version": WACZ_VERSION,
                "title": title or f"{count} archived news entr{'y' if count == 1 else 'ies'}",
                "created": now, "modified": now, "software": f"newsarchive/{__version__}",
                "resources": list(resources),
            }
            if len(pages) == 1:
                package["mainPageURL"] = pages[0]["url"]
                package["mainPageDate"] = pages[0]["ts"]
            raw = json.dumps(package, indent=2, ensure_ascii=False).encode("utf-8")
            info = zipfile.ZipInfo("datapackage.json", date_time=_dt.datetime.now(_dt.timezone.utc).timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, raw)
            digest = {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(raw).hexdigest()}
            info = zipfile.ZipInfo("datapackage-digest.json", date_time=_dt.datetime.now(_dt.timezone.utc).timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, json.dumps(digest, indent=2).encode("utf-8"))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return count
