"""CSL-JSON export and import (CSL 1.0.2 schema), as read by pandoc --citeproc and Zotero.

Kinds map to CSL types: newspaper -> article-newspaper, magazine -> article-magazine,
news website / news agency / webpage -> webpage (the outlet as container-title), blog ->
post-weblog, broadcast -> broadcast, press release -> webpage with genre "Press release".
The kind itself is kept in ``custom.newsarchive_kind`` so that it survives a round trip.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..errors import ImportFormatError, InvalidEntry
from ..model import KINDS, Author, Entry, PartialDate
from ..cite import _common as c
from .records import Record, read_citations

CSL_TYPES = {
    "newspaper": "article-newspaper",
    "magazine": "article-magazine",
    "news website": "webpage",
    "news agency": "webpage",
    "webpage": "webpage",
    "blog": "post-weblog",
    "broadcast": "broadcast",
    "press release": "webpage",
    "journal article": "article-journal",
    "book": "book",
    "chapter": "chapter",
    "conference paper": "paper-conference",
    "report": "report",
    "thesis": "thesis",
    "manual": "book",
    "dataset": "dataset",
    "software": "software",
    "unpublished": "manuscript",
}
KIND_FROM_CSL = {
    "article-newspaper": "newspaper",
    "article-magazine": "magazine",
    "post-weblog": "blog",
    "broadcast": "broadcast",
    "post": "webpage",
    "article-journal": "journal article",
    "book": "book",
    "collection": "book",
    "chapter": "chapter",
    "entry-encyclopedia": "chapter",
    "entry-dictionary": "chapter",
    "paper-conference": "conference paper",
    "report": "report",
    "thesis": "thesis",
    "dataset": "dataset",
    "software": "software",
    "manuscript": "unpublished",
}
# kinds whose container-title is the book or proceedings they are part of, not an outlet
CONTAINED = frozenset({"chapter", "conference paper", "book", "report", "thesis", "manual", "dataset",
                       "software", "unpublished"})  # their container-title is not an outlet
# CSL variables the model holds; any other variable of an item is kept in extra["csl-json"]
KNOWN = frozenset("""id type title author container-title genre issued accessed URL page section language
    keyword archive archive_location note annote custom publisher volume issue DOI ISSN ISBN editor
    citation-key""".split())


def _parts(d: PartialDate) -> list[int]:
    return [d.year] + ([d.month] if d.month else []) + ([d.day] if d.day else [])


def _date(d: PartialDate) -> dict[str, Any]:
    """A CSL date. An EDTF literal becomes what CSL can say of it: a range as two date-parts,
    "~"/"?"/"%" as ``circa``, a season as ``season``; forms CSL has no parts for ("186X") as
    ``literal``. The literal itself is kept in ``raw`` for the round trip."""
    lit = d.literal
    if lit is None:
        return {"date-parts": [_parts(d)]}
    if "X" in lit:
        return {"literal": lit, "raw": lit}
    out: dict[str, Any] = {}
    sides = [p for p in lit.split("/")]
    if len(sides) == 2 and all(p not in ("", "..") for p in sides):
        end = PartialDate.from_iso(re.sub(r"[~?%]", "", sides[1]))
        out["date-parts"] = [_parts(d), _parts(end)]
    else:
        out["date-parts"] = [_parts(d)]
    m = re.match(r"^-?\d{4}-(2[1-4])$", re.sub(r"[~?%]", "", sides[0]))
    if m:
        out["season"] = int(m.group(1)) - 20
    if d.qualifier:
        out["circa"] = True
    out["raw"] = lit
    return out


def _name(a: Author) -> dict[str, str]:
    if a.literal is not None:
        return {"literal": a.literal}
    out = {"family": a.family or ""}
    # every part as stored (the suffix too: "Jr" stays "Jr"), so a round trip changes nothing
    for key, value in (("given", a.given), ("non-dropping-particle", a.non_dropping_particle),
                       ("dropping-particle", a.dropping_particle), ("suffix", a.suffix)):
        if value:
            out[key] = value
    return out


def item(entry: Entry, *, snapshot=None) -> dict[str, Any]:
    """One CSL-JSON item for an entry (the cited snapshot gives ``accessed`` and archive data)."""
    snap = c.pick_snapshot(entry, snapshot)
    arch = c.archive_info(entry, snap)
    accessed = c.access_date(entry, snap)
    out: dict[str, Any] = {"id": entry.citekey, "type": CSL_TYPES.get(entry.kind or "", "webpage" if entry.url else "article")}
    if entry.title:
        out["title"] = entry.title
    if entry.authors:
        out["author"] = [_name(a) for a in entry.authors]
    if entry.container_title or entry.outlet:
        out["container-title"] = entry.container_title or entry.outlet
    if entry.editors:
        out["editor"] = [_name(a) for a in entry.editors]
    for key, value in (("volume", entry.volume), ("issue", entry.issue), ("publisher", entry.publisher),
                       ("DOI", entry.doi), ("ISSN", entry.issn), ("ISBN", entry.isbn)):
        if value:
            out[key] = value
    if entry.kind == "press release":
        out["genre"] = "Press release"
    if entry.published:
        out["issued"] = _date(entry.published)
    if accessed:
        out["accessed"] = _date(accessed)
    if entry.url:
        out["URL"] = entry.url
    if entry.pages:
        out["page"] = entry.pages
    if entry.section:
        out["section"] = entry.section
    if entry.language:
        out["language"] = entry.language
    if entry.tags:
        out["keyword"] = ", ".join(entry.tags)
    # The archived copy is named in the note ("Archived at URL; snapshot ..."), not in
    # archive/archive_location: CSL styles print those as a repository ("Wayback Machine
    # (https://...)") before the outlet or in the middle of the reference.
    statement = arch.statement()
    if statement:
        out["note"] = statement
    if entry.notes:
        out["annote"] = entry.notes
    custom: dict[str, Any] = {}
    if entry.kind:
        custom["newsarchive_kind"] = entry.kind
    if entry.modified:
        custom["newsarchive_modified"] = entry.modified.iso()
    if entry.designed_to_change:
        custom["newsarchive_designed_to_change"] = True
    if entry.container_title:  # container-title is the container; the outlet beside it kept here
        custom["newsarchive_container"] = True
        if entry.outlet:
            custom["newsarchive_outlet"] = entry.outlet
    elif entry.outlet and entry.kind in CONTAINED:
        custom["newsarchive_container"] = False  # for this kind, container-title is the outlet
    if custom:
        out["custom"] = custom
    for key, value in (entry.extra.get("csl-json") or {}).items():  # kept from the source
        out.setdefault(key, value)
    return out


def format_entries(entries: Iterable[Entry], *, snapshots=None, ascii: bool = False) -> str:
    items = [item(e, snapshot=(snapshots or {}).get(e.id)) for e in entries]
    return json.dumps(items, ensure_ascii=ascii, indent=2) + "\n"


# --------------------------------------------------------------------------- import

def _parse_date(value: Any, name: str) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return PartialDate.from_iso(value).edtf()
    if not isinstance(value, dict):
        raise InvalidEntry(f"{name} must be a CSL date object")
    if isinstance(value.get("raw"), str) and value["raw"].strip():
        found = PartialDate.from_edtf(value["raw"].strip())  # our own export of an EDTF date
        if found is not None:
            return found.edtf()
    parts = value.get("date-parts")
    if parts:
        if not isinstance(parts, list) or not isinstance(parts[0], list) or not parts[0]:
            raise InvalidEntry(f"{name}: date-parts must be [[year, month, day]]")
        try:
            nums = [int(p) for p in parts[0][:3]]
        except (TypeError, ValueError):
            raise InvalidEntry(f"{name}: date-parts must be numbers") from None
        return PartialDate(*nums).iso()
    for key in ("raw", "literal"):
        if value.get(key):
            text = str(value[key]).strip()
            m = re.match(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", text)
            if m and key == "raw":
                return PartialDate.from_iso(m.group(0)).iso()
            raise InvalidEntry(f"{name}: cannot read date {text!r}")
    return None


def _author(value: Any) -> dict[str, str]:
    if isinstance(value, str):
        return Author.from_json(value).to_json()
    if not isinstance(value, dict):
        raise InvalidEntry("an author must be an object")
    if value.get("literal"):
        return {"literal": " ".join(str(value["literal"]).split())}
    parts = {key: " ".join(str(value[csl]).split()) for key, csl in (
        ("family", "family"), ("given", "given"), ("non_dropping_particle", "non-dropping-particle"),
        ("dropping_particle", "dropping-particle"), ("suffix", "suffix")) if value.get(csl)}
    parts = {k: v for k, v in parts.items() if v}
    if not parts.get("family"):
        if parts.get("given") and len(parts) == 1:
            return {"literal": parts["given"]}
        raise InvalidEntry("an author needs a family name or a literal")
    # particles given inside family/given (no particle keys) are read as CSL processors do
    return Author.from_json(parts).to_json()


def _text(data: dict, key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return str(value)
    if not isinstance(value, str):
        raise InvalidEntry(f"{key} must be a string")
    return value.strip() or None


_ARCHIVED = re.compile(r"Archived at (\S+?)(?=[;,]?\s|[;.]?$)")


def record(data: Any) -> dict[str, Any]:
    """One CSL-JSON item -> a record dict (public entry JSON without id)."""
    if not isinstance(data, dict):
        raise InvalidEntry("an item must be a JSON object")
    custom = data.get("custom") if isinstance(data.get("custom"), dict) else {}
    ctype = str(data.get("type") or "")
    kind = custom.get("newsarchive_kind") if custom.get("newsarchive_kind") in KINDS else None
    if kind is None:
        if ctype == "webpage":
            genre = (data.get("genre") or "").lower()
            kind = "press release" if genre == "press release" else ("news website" if data.get("container-title") else "webpage")
        else:
            kind = KIND_FROM_CSL.get(ctype)
    authors = data.get("author") or []
    if not isinstance(authors, list):
        raise InvalidEntry("author must be a list")
    notes = []
    archived = None
    note = _text(data, "note")
    if note:
        rest = []
        for line in note.splitlines():
            m = _ARCHIVED.search(line)
            if m:
                archived = m.group(1)
                if not re.fullmatch(r"Archived at \S+?(; snapshot( captured [\dT:+\-]+)?, SHA-256 [0-9a-f]{64})?", line.strip()):
                    rest.append(line)
            elif re.fullmatch(r"snapshot( captured \S+)?, SHA-256 [0-9a-f]{64}", line.strip()):
                continue
            else:
                rest.append(line)
        if "\n".join(rest).strip():
            notes.append("\n".join(rest).strip())
    if data.get("archive_location") and re.match(r"https?://", str(data["archive_location"])):
        archived = archived or str(data["archive_location"]).strip()
    annote = _text(data, "annote")
    if annote:
        notes.insert(0, annote)
    keywords = data.get("keyword") or ""
    if isinstance(keywords, list):
        tags = [str(k).strip() for k in keywords if str(k).strip()]
    else:
        tags = [t.strip() for t in re.split(r"[,;]", str(keywords)) if t.strip()]
    rec: dict[str, Any] = {}
    if data.get("id") not in (None, ""):
        rec["citekey"] = str(data["id"])
    container = _text(data, "container-title")
    contained = (bool(custom["newsarchive_container"]) if "newsarchive_container" in custom
                 else kind in CONTAINED)
    rec.update({
        "title": _text(data, "title"),
        "authors": [_author(a) for a in authors],
        "outlet": (str(custom.get("newsarchive_outlet") or "").strip() or None) if contained else container,
        "kind": kind,
        "published": _parse_date(data.get("issued"), "issued"),
        "modified": _parse_date(custom.get("newsarchive_modified"), "modified"),
        "accessed": _parse_date(data.get("accessed"), "accessed"),
        "url": _text(data, "URL") or c.doi_url(_text(data, "DOI")),
        "archived_url": archived,
        "section": _text(data, "section"),
        "pages": _text(data, "page"),
        "language": _text(data, "language"),
        "tags": tags,
        "notes": "\n".join(notes) or None,
        "designed_to_change": bool(custom.get("newsarchive_designed_to_change", False)),
    })
    bib = {"container_title": container if contained else None, "volume": _text(data, "volume"),
           "issue": _text(data, "issue"), "publisher": _text(data, "publisher"), "doi": _text(data, "DOI"),
           "issn": _text(data, "ISSN"), "isbn": _text(data, "ISBN")}
    rec.update({k: v for k, v in bib.items() if v})
    editors = data.get("editor") or []
    if not isinstance(editors, list):
        raise InvalidEntry("editor must be a list")
    if editors:
        rec["editors"] = [_author(a) for a in editors]
    extra = {k: v for k, v in data.items() if k not in KNOWN}
    if extra:
        rec["extra"] = {"csl-json": extra}
    return rec


def parse(text: str) -> Iterator[tuple[str, dict[str, Any] | Exception]]:
    """CSL-JSON text (an array of items, or one item) -> ("item N", record or error) per item."""
    from .records import check_record

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        yield "document", ImportFormatError(f"not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}")
        return
    except RecursionError:
        yield "document", ImportFormatError("not valid CSL-JSON: arrays or objects nested too deeply")
        return
    if isinstance(data, dict):
        data = data["items"] if isinstance(data.get("items"), list) else [data]
    if not isinstance(data, list):
        yield "document", ImportFormatError("CSL-JSON must be an array of items")
        return
    for n, raw in enumerate(data, 1):
        where = f"item {n}"
        if isinstance(raw, dict) and raw.get("id") not in (None, ""):
            where += f" ({raw['id']})"
        try:
            yield where, check_record(record(raw))
        except (InvalidEntry, ValueError, TypeError) as exc:
            yield where, ImportFormatError(f"{where}: {exc}")


# --------------------------------------------------------------------------- files (the registry's entry points)

def read(path: Path) -> Iterator[Record]:
    """A CSL-JSON file (Zotero, pandoc): an array of items, each a metadata-only record."""
    return read_citations(path, parse)


def whole_file(entries: Iterable[Entry], snapshots, ascii: bool) -> str:
    return format_entries(entries, snapshots=snapshots, ascii=ascii)


def write(entries: Iterable[Entry], sink, ctx) -> int:
    """Stream a CSL-JSON array to ``sink``, item by item in chunks (flat memory for big exports);
    the same text :func:`format_entries` makes."""
    from . import chunks

    sink("[\n")
    count = 0
    for chunk in chunks(entries, ctx):
        items = [json.dumps(item(e), ensure_ascii=ctx.ascii, indent=2) for e in chunk]
        body = ",\n".join("  " + i.replace("\n", "\n  ") for i in items)
        sink(("" if count == 0 else ",\n") + body)
        count += len(chunk)
    sink("\n]\n")
    return count
