"""CSV/TSV: import one row per record, columns mapped to fields by name (``--map field=column``);
export one row per entry in :data:`CSV_COLUMNS` (which the import reads back by the same names).

Default mapping: a column whose header (case-insensitive) is a field name or a common alias
is used for that field: title/headline, authors/author/byline, outlet/source/publication/
publisher, published/date/pubdate, url/link, tags/keywords, and so on; ``text``/``body``/
``content`` gives the article text inline and ``snapshot``/``file``/``path`` a file relative
to the CSV. Other columns are ignored.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Iterable, Iterator, Mapping

from ..errors import UsageError
from ..fields import csv_columns
from ..model import Entry
from ..normalize import SETTABLE
from ..render import csv_cell, csv_unguard, flat
from .records import Record, failed

ALIASES = {
    "title": ("title", "headline", "heading"),
    "authors": ("authors", "author", "byline", "by", "creator", "creators"),
    "outlet": ("outlet", "source", "publication", "publisher", "newspaper", "site", "site_name"),
    "kind": ("kind", "type"),
    "published": ("published", "date", "pubdate", "publish_date", "published_at", "date_published"),
    "modified": ("modified", "updated", "date_modified", "updated_at"),
    "accessed": ("accessed", "access_date", "retrieved"),
    "url": ("url", "link", "href", "permalink"),
    "archived_url": ("archived_url", "archive_url", "wayback"),
    "section": ("section", "category", "desk"),
    "pages": ("pages", "page"),
    "language": ("language", "lang"),
    "tags": ("tags", "keywords", "topics"),
    "notes": ("notes", "note", "comment"),
    "designed_to_change": ("designed_to_change", "live"),
    "citekey": ("citekey", "key", "citation_key"),
    "container_title": ("container_title", "booktitle", "container"),
    "publisher": ("publisher",),  # when another column gave the outlet
    "volume": ("volume",),
    "issue": ("issue", "number"),
    "editors": ("editors", "editor"),
    "doi": ("doi",),
    "issn": ("issn",),
    "isbn": ("isbn",),
    "text": ("text", "body", "content", "article"),
    "snapshot": ("snapshot", "file", "path", "filename"),
}
TARGETS = set(SETTABLE) | {"citekey", "text", "snapshot"}
MAX_FIELD = 64 * 1024 * 1024


def column_map(header: list[str], mapping: Mapping[str, str]) -> dict[str, int]:
    """field -> column index, from the user's --map first, then the aliases."""
    lower = {h.strip().lower(): i for i, h in enumerate(header)}
    out: dict[str, int] = {}
    for field, column in mapping.items():
        if field not in TARGETS:
            raise UsageError(f"--map: unknown field {field!r} (fields: {', '.join(sorted(TARGETS))})")
        if column.strip().lower() not in lower:
            raise UsageError(f"--map {field}={column}: no column {column!r} (columns: {', '.join(header)})")
        out[field] = lower[column.strip().lower()]
    used = set(out.values())
    for field, names in ALIASES.items():
        if field in out:
            continue
        for name in names:
            if name in lower and lower[name] not in used:
                out[field] = lower[name]
                used.add(lower[name])
                break
    return out


def read(path: Path, *, mapping: Mapping[str, str] | None = None, delimiter: str | None = None) -> Iterator[Record]:
    csv.field_size_limit(MAX_FIELD)
    raw = path.open("rb")
    # bytes that are not UTF-8 become lone surrogates: the row holding them is reported, the rest read
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
    try:
        sample = text.read(8192)
        text.seek(0)
        if delimiter is None:
            try:
                delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
            except csv.Error:
                delimiter = ","
        reader = csv.reader(text, delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            return
        except (csv.Error, UnicodeDecodeError) as exc:
            yield failed("line 1", f"line 1: cannot read the header ({exc})")
            return
        if not _is_utf8(header):
            yield failed("line 1", "line 1: the header is not UTF-8 text; save the file as UTF-8")
            return
        cols = column_map(header, mapping or {})
        if "title" not in cols and "text" not in cols and "snapshot" not in cols and "url" not in cols:
            raise UsageError(f"{path.name}: no title, text, snapshot or url column; use --map field=column "
                             f"(columns: {', '.join(header)})")
        base = path.parent
        while True:
            line = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError as exc:
                yield failed(f"line {line}", f"line {line}: not UTF-8 ({exc.reason}); stopped here")
                return
            except csv.Error as exc:
                yield failed(f"line {line}", f"line {line}: {exc}")
                continue
            ref = f"line {line}"
            if not any(c.strip() for c in row):
                continue
            if not _is_utf8(row):
                yield failed(ref, f"{ref}: not UTF-8 text; skipped (save the file as UTF-8)")
                continue
            if len(row) != len(header):
                yield failed(ref, f"{ref}: {len(row)} cells where the header has {len(header)}")
                continue
            # a leading ' before = + - @ is the formula guard that CSV export adds: removed again
            values = {f: csv_unguard(row[i]).strip() for f, i in cols.items() if row[i].strip()}
            yield _record(values, ref=ref, base=base)
    finally:
        text.close()


def _is_utf8(cells: list[str]) -> bool:
    try:
        for c in cells:
            c.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _record(values: dict[str, str], *, ref: str, base: Path) -> Record:
    from .jsonl import record_from_json

    obj = dict(values)
    for key in ("authors", "tags", "editors"):
        if key in obj:
            obj[key] = [obj[key]]  # the normaliser splits "A; B" and "A and B"
    try:
        return record_from_json(obj, ref=ref, base=base)
    except Exception as exc:  # a bad row never stops the file
        return failed(ref, f"{ref}: {exc}")


# --------------------------------------------------------------------------- export

# the columns, in order: the field registry's (the import reads them back by the same names)
CSV_COLUMNS = csv_columns()


def write(entries: Iterable[Entry], sink, ctx) -> int:
    """One header row, then one row per entry, streamed to ``sink``. Cells that a spreadsheet
    would run as formulas get a leading apostrophe unless ``ctx.csv_raw`` (see
    :func:`newsarchive.render.csv_cell`)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    count = 0
    for e in entries:
        obj = e.to_json()
        w.writerow([csv_cell(flat(obj.get(c)), raw=ctx.csv_raw) for c in CSV_COLUMNS])
        count += 1
        sink(buf.getvalue())
        buf.seek(0)
        buf.truncate()
    if count == 0:
        sink(buf.getvalue())
    return count
