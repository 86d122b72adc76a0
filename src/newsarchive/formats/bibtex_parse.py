"""BibTeX and BibLaTeX import: the parser behind :func:`newsarchive.formats.bibtex.read`.

bibtexparser 2 splits the file into blocks; this module evaluates @string macros and
concatenation, resolves crossref, decodes LaTeX, and maps each entry to a record dict (what the
model cannot take is kept in ``extra["bibtex"]`` and exported again). The tables it shares with
the writer (types, month macros, language ids) are in :mod:`.bibtex`.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from ..cite import _common as c
from ..errors import ImportFormatError, InvalidEntry
from ..model import PartialDate, looks_like_organisation
from ..names import split_particles_back
from . import latex
from .records import NOTES_KEY, check_record
from .bibtex import (BIB_TYPES, KIND_FROM_TYPE, MONTH_MACROS, OUTLET_KEY, RAW_TITLE_KEY, RAW_YEAR_KEY,
                     SECTION_PREFIX, TYPE_KEY, _ISO_FROM_LANGID)

_MONTH_NAMES = {m.lower(): i + 1 for i, m in enumerate(c.MONTHS)}
_MONTH_NAMES.update({m: i + 1 for i, m in enumerate(MONTH_MACROS)})
_MACRO_DEFAULTS = {m: c.MONTHS[i] for i, m in enumerate(MONTH_MACROS)}


class _BibError(Exception):
    pass


def _split_concat(value: str) -> list[str]:
    parts, depth, quoted, cur = [], 0, False, []
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            cur.append(value[i : i + 2])
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == '"' and depth == 0:
            quoted = not quoted
        elif ch == "#" and depth == 0 and not quoted:
            parts.append("".join(cur))
            cur = []
            i += 1
            continue
        cur.append(ch)
        i += 1
    parts.append("".join(cur))
    return [p.strip() for p in parts]


def _evaluate(raw: str, macros: dict[str, str]) -> str:
    """A raw field value: {...}, "...", a number, a @string macro, or a # concatenation."""
    out = []
    for piece in _split_concat(raw.strip()):
        if len(piece) >= 2 and piece[0] == "{" and piece[-1] == "}":
            out.append(piece[1:-1])
        elif len(piece) >= 2 and piece[0] == '"' and piece[-1] == '"':
            out.append(piece[1:-1])
        elif piece.isdigit():
            out.append(piece)
        elif piece.lower() in macros:
            out.append(macros[piece.lower()])
        elif piece.lower() in _MACRO_DEFAULTS:
            out.append(_MACRO_DEFAULTS[piece.lower()])
        else:
            raise _BibError(f"undefined @string macro {piece!r}")
    return "".join(out)


def _is_braced_whole(name: str) -> bool:
    if not (name.startswith("{") and name.endswith("}")):
        return False
    depth = 0
    for i, ch in enumerate(name):
        if ch == "{" and (i == 0 or name[i - 1] != "\\"):
            depth += 1
        elif ch == "}" and (i == 0 or name[i - 1] != "\\"):
            depth -= 1
            if depth == 0 and i != len(name) - 1:
                return False
    return depth == 0


def _authors(value: str) -> list[dict[str, str]]:
    from bibtexparser.middlewares.names import parse_single_name_into_parts, split_multiple_persons_names

    out = []
    # split the list and the names on the raw LaTeX, decode afterwards: decoding first would
    # drop the braces that mark "{Associated Press}" as one organisation
    for raw in split_multiple_persons_names(value):
        raw = raw.strip()
        if not raw or raw.lower() == "others":
            continue
        if _is_braced_whole(raw):
            out.append({"literal": latex.decode(raw[1:-1])})
            continue
        if "," not in raw and looks_like_organisation(latex.decode(raw)) and len(raw.split()) > 1:
            # "World Health Organization" left unbraced: an organisation, not "Organization, W. H."
            out.append({"literal": latex.decode(raw)})
            continue
        parts = parse_single_name_into_parts(raw, strict=False)
        particle = latex.decode(" ".join(parts.von))
        family = latex.decode(" ".join(parts.last))
        given = latex.decode(" ".join(parts.first))
        jr = latex.decode(" ".join(parts.jr))
        if not family and particle:
            family, particle = particle, ""
        if not family:
            family, given = given, ""
        if not family:
            continue
        if not given and not jr and not particle and "," not in raw and looks_like_organisation(family):
            out.append({"literal": family})
            continue
        person = {"family": family}
        if given:
            # trailing lower-case particles of the first part are a dropping particle
            given, dropping = split_particles_back(given)
            person["given"] = given
            if dropping:
                person["dropping_particle"] = dropping
        if particle:
            person["non_dropping_particle"] = particle
        if jr:
            person["suffix"] = jr
        out.append(person)
    return out


def _date_from(fields: dict[str, str]) -> str | None:
    if fields.get("date"):
        whole = fields["date"].strip()
        found = PartialDate.from_edtf(whole) if not re.fullmatch(r"\d{4}(-\d{2}){0,2}", whole) else None
        if found is not None:  # a season, "186X", "2004~", a range: kept as written
            return found.edtf()
        text = whole.split("/")[0].strip()
        m = re.match(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", text)
        if not m:
            raise _BibError(f"date {fields['date']!r} is not an ISO 8601 date")
        if len(text) > 10 and "T" in text:
            return PartialDate.from_iso(text).iso()
        return m.group(0)
    year = fields.get("year", "").strip()
    if not year:
        return None
    m = re.search(r"\d{4}", year)
    if not m:
        raise _BibError(f"year {year!r} has no four-digit year")
    out = m.group(0)
    month = fields.get("month", "").strip().rstrip(".").lower()
    if month:
        num = int(month) if month.isdigit() else _MONTH_NAMES.get(month) or _MONTH_NAMES.get(month[:3])
        if not num or not 1 <= num <= 12:
            raise _BibError(f"month {fields['month']!r} is not a month")
        out += f"-{num:02d}"
        day = fields.get("day", "").strip()
        if day.isdigit():
            out += f"-{int(day):02d}"
    return out


_ARCHIVED = re.compile(r"Archived at (?:\\url\{([^}]*)\}|(\S+?))(?=[;,]?\s|[;.]?$)")


def _strip_url_macro(text: str) -> str | None:
    m = re.fullmatch(r"\s*\\url\{([^}]*)\}\s*", text)
    if m:
        return _unescape_url(m.group(1))
    if re.fullmatch(r"\s*https?://\S+\s*", text):
        return _unescape_url(text.strip())
    return None


def _unescape_url(url: str) -> str:
    # a backslash never belongs in a URL: "\_" "\%" "\#" "\&" are LaTeX escapes people write
    return re.sub(r"\\([_%#&~$])", r"\1", url).strip()


_NEWSPAPER_NAME = re.compile(
    r"\b(times|post|herald|tribune|gazette|daily|dispatch|courier|chronicle|telegraph|guardian|observer|"
    r"inquirer|examiner|newspaper|zeitung|wall street journal|le monde|el pa[ií]s|politika|"
    r"associated press|reuters|news)\b", re.IGNORECASE)


def _record(etype: str, key: str, raw: dict[str, str]) -> dict[str, Any]:
    d = lambda name: latex.decode(raw[name]) if raw.get(name) else None  # noqa: E731
    title = d("title")
    if title and raw.get("subtitle"):
        title = f"{title}: {d('subtitle')}"
    doi = _unescape_url(raw["doi"]) if raw.get("doi") else None
    url = _unescape_url(raw["url"]) if raw.get("url") else c.doi_url(doi)
    how_url = _strip_url_macro(raw["howpublished"]) if raw.get("howpublished") else None
    url = url or how_url
    etype = etype.lower()
    subtype = (raw.get("entrysubtype") or "").strip().lower()
    web = etype in ("online", "www", "electronic", "misc")
    used = {"title", "subtitle", "author", "editor", "doi", "volume", "number", "pages", "note",
            "addendum", "annotation", "annote", "urldate", "keywords", "issn", "isbn", "crossref",
            "xdata", "entryset", "url", "booktitle"}  # read into the model
    used |= {"date"} if raw.get("date") else {"year", "month", "day"}
    if how_url and not raw.get("url"):
        used.add("howpublished")
    outlet = outlet_field = None
    # the periodical or site; books, reports and theses have a publisher instead
    for name in ("journaltitle", "journal", "howpublished") + (("organization",) if web else ()):
        if raw.get(name) and not (name == "howpublished" and how_url):
            outlet = d(name)
            used.add(name)
            outlet_field = name
            break
    # the publisher field as given, for every type (a web page's site is its organization)
    publisher = None
    for name in ("publisher", "institution", "school") + (("organization",) if etype == "manual" else ()):
        if raw.get(name) and name not in used:
            publisher = d(name)
            used.add(name)
            break
    container = d("booktitle")
    if container and raw.get("booksubtitle"):
        container = f"{container}: {d('booksubtitle')}"
        used.add("booksubtitle")
    if etype == "article":
        if subtype in ("newspaper", "magazine"):
            kind = subtype
            used.add("entrysubtype")
        else:  # BibTeX has no subtype: a newspaper's name still tells it ("The Washington Post")
            kind = "newspaper" if outlet and _NEWSPAPER_NAME.search(latex.decode(outlet)) else "journal article"
    elif etype in ("online", "www", "electronic"):
        kind = "news website" if outlet else "webpage"
    elif etype == "misc":
        kind = "webpage" if url else None
    else:
        kind = KIND_FROM_TYPE.get(etype)
    if not raw.get("number"):
        used.add("issue")
    used.add("langid" if raw.get("langid") else "language")
    extra: dict[str, str] = {}
    canonical = {k: v for k, v in BIB_TYPES.items()}
    if kind not in ("newspaper", "magazine", "news website", "webpage") and not (
            kind in canonical and etype in canonical[kind]) and etype not in ("article", "misc"):
        extra[TYPE_KEY] = etype  # @mastersthesis, @collection, @patent...: kept for export
    if outlet_field and outlet_field != "howpublished" and etype not in ("article", "misc", "online", "www",
                                                                          "electronic"):
        extra[OUTLET_KEY] = outlet_field  # where a book or report had its outlet: written there again
    for name, value in raw.items():  # every field the model did not take is kept
        if name in used or name.startswith("@"):
            continue
        if name == "type" and (etype, value.strip().lower()) in (("report", "techreport"), ("thesis", "phdthesis")):
            continue  # the default the export writes again
        extra[name] = value
    section = archived = None
    extra_notes = []
    for name in ("note", "addendum"):
        if not raw.get(name):
            continue
        text = raw[name]
        m = _ARCHIVED.search(text)
        if m:
            archived = _unescape_url(m.group(1) or m.group(2))
        rest = []
        for sentence in re.split(r"\.\s+(?=[A-Z]|snapshot\b)", text):  # our archive sentence starts lower case
            plain = latex.decode(sentence)
            if plain.startswith(SECTION_PREFIX):
                section = plain[len(SECTION_PREFIX):].strip() or None  # a final "." is part of it ("U.S.")
            elif sentence.startswith("Archived at ") or re.match(r"snapshot( captured [\d-]+)?, SHA-256", sentence):
                continue
            elif plain:
                rest.append(plain)
        if rest:
            extra_notes.append(". ".join(rest))
    for name in ("annotation", "annote"):
        if raw.get(name):
            extra_notes.append(d(name))

    lang = None
    if raw.get("langid") or raw.get("language"):
        value = (raw.get("langid") or raw.get("language") or "").strip()
        lang = _ISO_FROM_LANGID.get(value) or _ISO_FROM_LANGID.get(value.lower())
        if lang is None and re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]+)*", value):
            lang = value
    accessed = raw.get("urldate", "").strip() or None
    if accessed:
        accessed = accessed.split("/")[0]
    tags = [t.strip() for t in re.split(r"[,;]", d("keywords") or "") if t.strip()]
    pages = d("pages")
    notes: list[str] = []  # what could not go into the model as given: kept in extra, and said
    if title and "\\" in title and raw.get("title"):  # a command we cannot render stays as written
        extra[RAW_TITLE_KEY] = raw["title"]
        notes.append("the title has LaTeX commands newsarchive does not render: kept as written "
                     "and exported again")
    year_text = raw.get("year", "").strip()
    if not raw.get("date") and year_text and not re.fullmatch(r"\d{4}", year_text) and re.search(r"\d{4}", year_text):
        extra[RAW_YEAR_KEY] = raw["year"]
        found_year = re.search(r"\d{4}", year_text).group(0)
        notes.append(f"year {year_text!r} read as {found_year}; kept as written and exported again")
    try:
        published = _date_from(raw)
    except _BibError as exc:
        # "\bibstring{nodate}", "forthcoming": a year with no year in it is no date, kept as
        # written; an impossible month or a broken date field still fails the entry
        if raw.get("date") or re.search(r"\d{4}", raw.get("year", "")):
            raise
        published = None
        for name in ("year", "month", "day"):
            if raw.get(name):
                extra[name] = raw[name]
        notes.append(f"{exc}: the entry has no date; the field is kept as written and exported again")
    from ..normalize import normalise_url

    try:
        url = normalise_url(url, field="url")
    except InvalidEntry:  # ftp://, an e-mail address: not a link a citation can give
        extra.setdefault("url" if raw.get("url") else "howpublished", raw.get("url") or raw.get("howpublished"))
        notes.append(f"url {url!r} is not an http(s) URL: kept as written and exported again, not cited as the link")
        url = c.doi_url(doi)
    record = {
        "citekey": key,
        "title": title,
        "authors": _authors(raw["author"]) if raw.get("author") else [],
        "outlet": outlet,
        "kind": kind,
        "published": published,
        "modified": None,
        "accessed": accessed,
        "url": url,
        "archived_url": archived,
        "section": section,
        "pages": pages,
        "language": lang,
        "tags": tags,
        "notes": "\n".join(extra_notes) or None,
        "designed_to_change": False,
    }
    bib = {"container_title": container, "volume": d("volume"), "issue": d("number") or d("issue"),
           "publisher": publisher, "doi": doi, "issn": d("issn"), "isbn": d("isbn")}
    record.update({k: " ".join(v.split()) for k, v in bib.items() if v and v.strip()})
    if raw.get("editor"):
        record["editors"] = _authors(raw["editor"])
    if extra:
        record["extra"] = {"bibtex": extra}
    if notes:
        record[NOTES_KEY] = notes
    return record


def parse(text: str) -> Iterator[tuple[str, dict[str, Any] | Exception]]:
    """BibTeX/BibLaTeX text -> (source reference, record dict or ImportFormatError) per entry.

    Handles @string macros and # concatenation, month macros, crossref (fields inherited from
    the parent; the parent's title becomes booktitle), LaTeX-encoded text and names decoded to
    Unicode after the names were split, braced names as organisations. Blocks bibtexparser cannot
    split are reported with their line; @comment and @preamble are skipped.
    """
    import bibtexparser
    from bibtexparser import model as bm

    lib = bibtexparser.parse_string(skip_comments(text), parse_stack=[])
    macros: dict[str, str] = {}
    pending: list[tuple[str, bm.Entry | Exception]] = []
    for block in lib.blocks:
        line = (block.start_line or 0) + 1
        if isinstance(block, bm.DuplicateBlockKeyBlock) and isinstance(block.ignore_error_block, bm.String):
            block = block.ignore_error_block  # a @string defined again: the later one counts, as in biber
        if isinstance(block, bm.String):
            try:
                macros[block.key.lower()] = _evaluate(block.value, macros)
            except _BibError as exc:
                pending.append((f"@string {block.key!r} at line {line}", ImportFormatError(f"line {line}: {exc}")))
        elif isinstance(block, bm.ParsingFailedBlock):
            where = f"block at line {line}"
            key = getattr(block, "key", None)
            if key:
                where = f"entry {key!r} at line {line}"
            detail = getattr(block.error, "abort_reason", None) or str(block.error)
            reason = (detail.strip().splitlines() or [type(block.error).__name__])[0]
            pending.append((where, ImportFormatError(f"{where}: {reason}")))
        elif isinstance(block, bm.Entry):
            pending.append((f"entry {block.key!r} at line {line}", block))

    evaluated: dict[str, tuple[str, dict[str, str]]] = {}
    for where, item in pending:
        if isinstance(item, bm.Entry):
            try:
                raw = {f.key.lower(): _evaluate(f.value, macros) for f in item.fields}
            except _BibError as exc:
                raw = exc  # type: ignore[assignment]
            evaluated[item.key.lower()] = (item.entry_type, raw)  # type: ignore[assignment]

    for where, item in pending:
        if isinstance(item, Exception):
            yield where, item
            continue
        etype, raw = evaluated[item.key.lower()]
        if isinstance(raw, Exception):
            yield where, ImportFormatError(f"{where}: {raw}")
            continue
        try:
            raw = _resolve_crossref(raw, evaluated)
            record = _record(etype, item.key, raw)
            check_record(record)
        except (_BibError, InvalidEntry, ValueError) as exc:
            yield where, ImportFormatError(f"{where}: {exc}")
            continue
        except RecursionError:  # thousands of nested braces: the LaTeX decoder recurses per level
            yield where, ImportFormatError(f"{where}: braces nested too deeply")
            continue
        yield where, record


_COMMENT = re.compile(r"@\s*comment\s*([{(])", re.IGNORECASE)


def skip_comments(text: str) -> str:
    """Blank out every ``@comment{...}`` (or ``@comment(...)``) whose brackets balance, as biber
    does: what is inside, entries included, is not read; and every line that starts with ``%``.
    Newlines are kept so that line numbers stay right. An unbalanced @comment is left to the
    parser, which reports it."""
    out, pos = [], 0
    for m in _COMMENT.finditer(text):
        if m.start() < pos:
            continue  # inside a comment already blanked
        opening = m.group(1)
        closing = "}" if opening == "{" else ")"
        depth, i = 0, m.end() - 1
        end = None
        while i < len(text):
            ch = text[i]
            if ch == opening:
                depth += 1
            elif ch == closing:
                depth -= 1
                if depth == 0:
                    end = i + 1
                    break
            i += 1
        if end is None:
            continue
        out.append(text[pos:m.start()])
        out.append(re.sub(r"[^\n]", " ", text[m.start():end]))
        pos = end
    out.append(text[pos:])
    # a line starting with % is a comment for biber (btparse), inside and outside entries
    return re.sub(r"(?m)^[ \t]*%[^\n]*", lambda m: " " * len(m.group(0)), "".join(out))


def _resolve_crossref(raw: dict[str, str], evaluated: dict) -> dict[str, str]:
    parent_key = (raw.get("crossref") or "").strip().lower()
    if not parent_key:
        return raw
    if parent_key not in evaluated or isinstance(evaluated[parent_key][1], Exception):
        raise _BibError(f"crossref {raw['crossref']!r} not found")
    parent = evaluated[parent_key][1]
    out = dict(raw)
    for key, value in parent.items():
        if key in ("crossref", "ids", "entryset", "xdata"):
            continue
        target = {"title": "booktitle", "subtitle": "booksubtitle"}.get(key, key)
        out.setdefault(target, value)
    return out


