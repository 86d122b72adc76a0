"""RIS export and import.

Export: one record per entry, ``TAG  - value`` lines, ``ER  - `` at the end, LF line ends.
TY is NEWS (newspaper, news agency), MGZN (magazine), ELEC (news website, webpage), BLOG (blog),
GEN (broadcast, press release); M3 carries the exact kind. ID is the citekey.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..errors import CitationError, ImportFormatError, InvalidEntry
from ..model import KINDS, Author, Entry, PartialDate, parse_name
from ..cite import _common as c
from .records import Record, read_citations

RIS_TYPES = {
    "newspaper": "NEWS",
    "news agency": "NEWS",
    "magazine": "MGZN",
    "news website": "ELEC",
    "webpage": "ELEC",
    "blog": "BLOG",
    "broadcast": "GEN",
    "press release": "GEN",
    "journal article": "JOUR",
    "book": "BOOK",
    "chapter": "CHAP",
    "conference paper": "CPAPER",
    "report": "RPRT",
    "thesis": "THES",
    "manual": "BOOK",
    "dataset": "DATA",
    "software": "COMP",
    "unpublished": "UNPB",
}
KIND_FROM_RIS = {"NEWS": "newspaper", "MGZN": "magazine", "ELEC": "webpage", "WEB": "webpage", "BLOG": "blog",
                 "ICOMM": "webpage", "JOUR": "journal article", "JFULL": "journal article", "BOOK": "book",
                 "EDBOOK": "book", "CHAP": "chapter", "CPAPER": "conference paper", "CONF": "conference paper",
                 "RPRT": "report", "THES": "thesis", "DATA": "dataset", "COMP": "software", "UNPB": "unpublished"}
CONTAINED = frozenset({"chapter", "conference paper", "book", "report", "thesis", "manual", "dataset",
                       "software", "unpublished"})  # their container-title is not an outlet
# tags the model holds; any other tag of a record is kept in extra["ris"]
KNOWN = frozenset("TY ID AU A1 TI T1 T2 JO JF JA BT PB PY DA Y1 SE SP EP UR L2 Y2 LA M3 KW N1 DO VL IS ED A2 SN ER".split())

_LINE = re.compile(r"^([A-Z][A-Z0-9])  -(?: (.*))?$")


def _name(a: Author) -> str:
    if a.literal is not None:
        return a.literal  # no comma: read back as one name (Zotero: single-field)
    # "von der Leyen, Ursula", "Goethe, Johann Wolfgang von", "King, Martin Luther, Jr." (each
    # part as stored, so that reading it back gives the same name)
    given = " ".join(p for p in (a.given, a.dropping_particle) if p)
    return ", ".join(p for p in (a.family_full, given, a.suffix) if p)


def _date(d: PartialDate) -> str:
    """RIS ``YYYY/MM/DD/other``; an EDTF date ("2012-22", "2004~") goes in the free "other"
    part after its nearest calendar date."""
    year = f"{d.year:05d}" if d.year < 0 else f"{d.year:04d}"
    out = f"{year}/" + (f"{d.month:02d}" if d.month else "") + "/" + (f"{d.day:02d}" if d.day else "") + "/"
    return out + (d.literal or "")


def record_lines(entry: Entry, *, snapshot=None) -> list[str]:
    snap = c.pick_snapshot(entry, snapshot)
    arch = c.archive_info(entry, snap)
    accessed = c.access_date(entry, snap)
    lines = [("TY", RIS_TYPES.get(entry.kind or "", "ELEC" if entry.url else "GEN")), ("ID", entry.citekey)]
    lines += [("AU", _name(a)) for a in entry.authors]
    if entry.title:
        lines.append(("TI", entry.title))
    lines += [("ED", _name(a)) for a in entry.editors]
    if entry.container_title or (entry.outlet and entry.kind not in CONTAINED):
        lines.append(("T2", entry.container_title or entry.outlet))
    elif entry.outlet:  # a kind whose T2 is a container: the outlet goes as JO
        lines.append(("JO", entry.outlet))
    if entry.container_title:  # BT names the container, JO the outlet beside it: both read back
        lines.append(("BT", entry.container_title))
        if entry.outlet:
            lines.append(("JO", entry.outlet))
    if entry.published:
        lines.append(("PY", str(entry.published.year)))
        lines.append(("DA", _date(entry.published)))
    if entry.section:
        lines.append(("SE", entry.section))
    if entry.volume:
        lines.append(("VL", entry.volume))
    if entry.issue:
        lines.append(("IS", entry.issue))
    if entry.pages:
        lines.append(("SP", entry.pages))
    if entry.publisher:
        lines.append(("PB", entry.publisher))
    if entry.doi:
        lines.append(("DO", entry.doi))
    for number in (entry.issn, entry.isbn):
        if number:
            lines.append(("SN", number))
    if entry.url:
        lines.append(("UR", entry.url))
    if accessed:
        lines.append(("Y2", _date(accessed).rstrip("/")))
    if entry.language:
        lines.append(("LA", entry.language))
    if entry.kind:
        lines.append(("M3", entry.kind))
    lines += [("KW", t) for t in entry.tags]
    if entry.notes:
        lines.append(("N1", entry.notes))
    statement = arch.statement()
    if statement:
        lines.append(("N1", statement))
    for tag, values in (entry.extra.get("ris") or {}).items():  # kept from the source
        if re.fullmatch(r"[A-Z][A-Z0-9]", tag) and tag not in KNOWN:
            lines += [(tag, v) for v in (values if isinstance(values, list) else [values])]
    out = []
    for tag, value in lines:
        value = " ".join(str(value).split()) if tag != "N1" else str(value).replace("\r\n", "\n")
        out.append(f"{tag}  - {value}")
    out.append("ER  - ")
    return out


def format_entries(entries: Iterable[Entry], *, snapshots=None) -> str:
    blocks = ["\n".join(record_lines(e, snapshot=(snapshots or {}).get(e.id))) for e in entries]
    return "\n\n".join(blocks) + "\n"


# --------------------------------------------------------------------------- import

def _parse_date(text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    parts = text.split("/", 3)
    if len(parts) == 4 and parts[3].strip():  # "2012///2012-22": the EDTF form we wrote
        found = PartialDate.from_edtf(parts[3].strip())
        if found is not None:
            return found.edtf()
    m = re.match(r"^(\d{4})(?:[/-](\d{1,2})?(?:[/-](\d{1,2})?)?)?", text)
    if not m:
        raise InvalidEntry(f"cannot read date {text!r}")
    year, month, day = m.group(1), m.group(2), m.group(3)
    return PartialDate(int(year), int(month) if month else None, int(day) if day and month else None).iso()


_ARCHIVED = re.compile(r"Archived at (\S+?)(?=[;,]?\s|[;.]?$)")


def _author(value: str) -> dict[str, str]:
    value = value.strip()
    if "," not in value:
        return {"literal": value}
    return parse_name(value).to_json()


def _record(fields: list[tuple[str, str]]) -> dict[str, Any]:
    get = lambda *tags: next((v for t, v in fields if t in tags and v.strip()), None)  # noqa: E731
    ty = (get("TY") or "").strip().upper()
    kind = KIND_FROM_RIS.get(ty)
    m3 = (get("M3") or "").strip().lower()
    if m3 in KINDS:
        kind = m3
    notes, archived = [], None
    for tag, value in fields:
        if tag != "N1" or not value.strip():
            continue
        m = _ARCHIVED.search(value)
        if m:
            archived = archived or m.group(1)
        if re.fullmatch(r"(Archived at \S+?(; )?)?(snapshot( captured \S+)?, SHA-256 [0-9a-f]{64})?", value.strip()):
            continue
        notes.append(value.strip())
    pages = get("SP")
    end = get("EP")
    if pages and end and end.strip() != pages.strip():
        pages = f"{pages.strip()}–{end.strip()}"
    date = get("DA") or get("PY", "Y1")
    tags = []
    for t, v in fields:
        if t == "KW":
            tags += [x.strip() for x in re.split(r"[;\n]", v) if x.strip()]
    rec: dict[str, Any] = {}
    if get("ID"):
        rec["citekey"] = get("ID").strip()
    contained = kind in CONTAINED
    container = (get("BT") or "").strip() or None
    if container is None and contained:
        container = (get("T2") or "").strip() or None
    t2 = (get("T2") or "").strip() or None
    rec.update({
        "title": (get("TI", "T1") or "").strip() or None,
        "authors": [_author(v) for t, v in fields if t in ("AU", "A1") and v.strip()],
        "outlet": ((t2 if t2 != container else None) or (get("JO", "JF", "JA") or "").strip() or None),
        "kind": kind,
        "published": _parse_date(date) if date else None,
        "modified": None,
        "accessed": _parse_date(get("Y2")) if get("Y2") else None,
        "url": (get("UR", "L2") or "").strip() or c.doi_url(get("DO")),
        "archived_url": archived,
        "section": (get("SE") or "").strip() or None,
        "pages": pages.strip() if pages else None,
        "language": (get("LA") or "").strip() or None,
        "tags": tags,
        "notes": "\n".join(notes) or None,
        "designed_to_change": False,
    })
    issn = isbn = None
    for t, v in fields:
        if t == "SN" and v.strip():
            digits = re.sub(r"[^0-9Xx]", "", v)
            if len(digits) == 8 and issn is None:
                issn = v.strip()
            elif isbn is None:
                isbn = v.strip()
    bib = {"container_title": container, "volume": get("VL"), "issue": get("IS"), "publisher": get("PB"),
           "doi": get("DO"), "issn": issn, "isbn": isbn}
    rec.update({k: v.strip() for k, v in bib.items() if v and v.strip()})
    editors = [_author(v) for t, v in fields if t in ("ED", "A2") and v.strip()]
    if editors:
        rec["editors"] = editors
    extra: dict[str, list[str]] = {}
    for t, v in fields:
        if t not in KNOWN:
            extra.setdefault(t, []).append(v)
    if extra:
        rec["extra"] = {"ris": extra}
    return rec


def parse(text: str) -> Iterator[tuple[str, dict[str, Any] | Exception]]:
    """RIS text -> ("record at line N", record dict or ImportFormatError) per record."""
    from .records import check_record

    text = text.lstrip("\ufeff")
    fields: list[tuple[str, str]] | None = None
    start = 0
    last_tag = None
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.rstrip()
        m = _LINE.match(stripped)
        if m:
            tag, value = m.group(1), (m.group(2) or "")
            if tag == "TY":
                if fields is not None:
                    yield f"record at line {start}", ImportFormatError(f"record at line {start}: no ER before the next TY (line {n})")
                fields, start, last_tag = [("TY", value)], n, "TY"
                continue
            if fields is None:
                yield f"line {n}", ImportFormatError(f"line {n}: {tag} outside a record (no TY before it)")
                continue
            if tag == "ER":
                where = f"record at line {start}"
                try:
                    yield where, check_record(_record(fields))
                except (InvalidEntry, ValueError) as exc:
                    yield where, ImportFormatError(f"{where}: {exc}")
                fields, last_tag = None, None
                continue
            fields.append((tag, value))
            last_tag = tag
        elif stripped.strip():
            if fields is not None and last_tag is not None:
                # a continuation line: belongs to the previous field
                t, v = fields[-1]
                fields[-1] = (t, v + ("\n" if t == "N1" else " ") + stripped.strip())
            else:
                yield f"line {n}", ImportFormatError(f"line {n}: not a RIS line: {stripped[:40]!r}")
    if fields is not None:
        yield f"record at line {start}", ImportFormatError(f"record at line {start}: no ER at the end of the file")


# --------------------------------------------------------------------------- files (the registry's entry points)

def read(path: Path) -> Iterator[Record]:
    """A .ris file: each TY..ER record a metadata-only record."""
    return read_citations(path, parse)


def _no_ascii(ascii: bool) -> None:
    if ascii:
        raise CitationError("ascii output is available for bibtex, biblatex, csl-json and html markup, not ris")


def whole_file(entries: Iterable[Entry], snapshots, ascii: bool) -> str:
    _no_ascii(ascii)
    return format_entries(entries, snapshots=snapshots)


def write(entries: Iterable[Entry], sink, ctx) -> int:
    """Stream a .ris file to ``sink`` in chunks (flat memory for big exports)."""
    from . import chunks

    _no_ascii(ctx.ascii)
    count = 0
    for chunk in chunks(entries, ctx):
        sink(("" if count == 0 else "\n") + format_entries(chunk))
        count += len(chunk)
    return count
