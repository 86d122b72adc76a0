"""BibTeX and BibLaTeX export and import through bibtexparser 2.

Export mapping (see notes/cite.md for the full table)::

    kind newspaper/magazine   BibLaTeX @article  journaltitle, entrysubtype = {newspaper|magazine}
    web-only kinds            BibLaTeX @online   organization (the site)   (@misc without URL)
    any kind with an outlet   BibTeX   @article  journal                   (@misc without outlet)

The citation key is ``entry.citekey``, unchanged. bibtexparser is imported inside functions.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..errors import CitationError, ImportFormatError, InvalidEntry
from ..model import KINDS, Author, Entry, PartialDate, looks_like_organisation
from ..names import split_particles_back
from ..cite import _common as c
from .records import Record, read_citations
from . import latex

MONTH_MACROS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

# ISO 639-1 code -> babel/polyglossia language name for BibLaTeX ``langid``
LANGIDS = {
    "en": "english", "en-us": "american", "en-gb": "british", "de": "ngerman", "fr": "french",
    "es": "spanish", "it": "italian", "pt": "portuguese", "nl": "dutch", "sv": "swedish",
    "da": "danish", "no": "norsk", "nb": "norsk", "nn": "nynorsk", "fi": "finnish", "pl": "polish",
    "cs": "czech", "sk": "slovak", "sl": "slovenian", "hr": "croatian", "sr": "serbian",
    "bs": "bosnian", "bg": "bulgarian", "ru": "russian", "uk": "ukrainian", "el": "greek",
    "tr": "turkish", "hu": "magyar", "ro": "romanian", "lt": "lithuanian", "lv": "latvian",
    "et": "estonian", "ca": "catalan", "ga": "irish", "cy": "welsh", "is": "icelandic",
    "he": "hebrew", "ar": "arabic", "ja": "japanese", "zh": "chinese", "ko": "korean",
}
_ISO_FROM_LANGID = {v: k for k, v in LANGIDS.items()} | {
    "english": "en", "american": "en-US", "british": "en-GB", "USenglish": "en-US", "UKenglish": "en-GB",
    "german": "de", "austrian": "de-AT", "naustrian": "de-AT", "swissgerman": "de-CH", "nswissgerman": "de-CH",
    "brazil": "pt-BR", "brazilian": "pt-BR", "portuges": "pt", "francais": "fr", "frenchb": "fr",
    "serbianc": "sr", "norwegian": "no", "nynorsk": "nn", "bokmal": "nb",
}

WEB_KINDS = frozenset(KINDS) - c.PERIODICAL_KINDS
SECTION_PREFIX = "Section: "


# --------------------------------------------------------------------------- export

def _name(a: Author, ascii: bool) -> str:
    """BibTeX's name forms: "von der Leyen, Ursula" (the non-dropping particle as the von part),
    "King, Jr., Martin Luther", "Goethe, Johann Wolfgang von" (a dropping particle stays after
    the given name), "{World Health Organization}" (an organisation, braced whole)."""
    if a.literal is not None:
        return "{" + latex.escape(a.literal, ascii=ascii) + "}"
    family = latex.escape(a.family or "", ascii=ascii)
    if len(family.split()) > 1 or (family[:1].islower() and a.non_dropping_particle is None):
        family = "{" + family + "}"  # "Santos Silva" is one family name, not given + family
    particle = latex.escape(a.non_dropping_particle or "", ascii=ascii)
    if particle:
        # a von part is lower case words; a capitalised one ("La Fontaine") is braced into it
        words = [w if w[:1].islower() else "{" + w + "}" for w in particle.split()]
        family = " ".join(words) + " " + family
    given = " ".join(latex.escape(p, ascii=ascii) for p in (a.given, a.dropping_particle) if p)
    if not given and not a.suffix and not particle:
        return family
    parts = [_protect_name_part(family)]
    if a.suffix:
        parts.append(_protect_name_part(latex.escape(a.suffix, ascii=ascii)))
    parts.append(_protect_name_part(given))
    return ", ".join(parts)


def _protect_name_part(part: str) -> str:
    # a comma or a free-standing "and" inside one part would split the name list
    if "," in part or re.search(r"(^|\s)and(\s|$)", part, re.IGNORECASE):
        return "{" + part + "}"
    return part


def _names(authors: Iterable[Author], ascii: bool) -> str:
    return " and ".join(_name(a, ascii) for a in authors)


def _note_text(entry: Entry, arch: c.ArchiveInfo, ascii: bool, *, include_archive: bool) -> str:
    sentences = []
    if entry.section:
        sentences.append(latex.escape(SECTION_PREFIX + entry.section, ascii=ascii))
    if include_archive:
        st = _archive_text(arch, ascii)
        if st:
            sentences.append(st)
    return ". ".join(sentences)


def _archive_text(arch: c.ArchiveInfo, ascii: bool) -> str:
    parts = []
    if arch.archived_url:
        parts.append("Archived at " + latex.url_in_text(arch.archived_url))
    if arch.sha256:
        snap = "snapshot"
        if arch.captured:
            snap += " captured " + arch.captured.iso()[:10]
        parts.append(f"{snap}, SHA-256 {arch.sha256}")
    return "; ".join(parts)


# kind -> (BibLaTeX type, BibTeX type) for the bibliographic kinds
BIB_TYPES = {
    "journal article": ("article", "article"),
    "book": ("book", "book"),
    "chapter": ("incollection", "incollection"),
    "conference paper": ("inproceedings", "inproceedings"),
    "report": ("report", "techreport"),
    "thesis": ("thesis", "phdthesis"),
    "manual": ("manual", "manual"),
    "dataset": ("dataset", "misc"),
    "software": ("software", "misc"),
    "unpublished": ("unpublished", "unpublished"),
}
# source entry type -> kind (import); types not named here keep kind None
KIND_FROM_TYPE = {
    "book": "book", "mvbook": "book", "collection": "book", "mvcollection": "book",
    "proceedings": "book", "mvproceedings": "book", "booklet": "book", "reference": "book",
    "mvreference": "book",
    "inbook": "chapter", "incollection": "chapter", "inreference": "chapter", "bookinbook": "chapter",
    "suppbook": "chapter", "suppcollection": "chapter",
    "inproceedings": "conference paper", "conference": "conference paper",
    "report": "report", "techreport": "report",
    "thesis": "thesis", "phdthesis": "thesis", "mastersthesis": "thesis",
    "manual": "manual", "dataset": "dataset", "software": "software", "unpublished": "unpublished",
}
RAW_TITLE_KEY = "@title"  # in extra["bibtex"]: the title as written, when it has commands we do not render
RAW_YEAR_KEY = "@year"  # in extra["bibtex"]: a year field that is more than a year ("1999a", "c. 1850")
TYPE_KEY = "@type"  # in extra["bibtex"]: the source's entry type when the kind alone does not say it
OUTLET_KEY = "@outlet"  # in extra["bibtex"]: the field that held the outlet of a non-article type


def _etype(entry: Entry, biblatex: bool) -> str | None:
    """The entry type for a bibliographic kind: the source's own when it fits the kind."""
    source_type = str((entry.extra.get("bibtex") or {}).get(TYPE_KEY) or "").lower() or None
    if source_type and KIND_FROM_TYPE.get(source_type) == entry.kind or (source_type and entry.kind is None):
        if biblatex or source_type not in ("report", "thesis", "dataset", "software", "mvbook", "collection"):
            return source_type
    if entry.kind in BIB_TYPES:
        return BIB_TYPES[entry.kind][0 if biblatex else 1]
    return None


def fields_for(entry: Entry, *, biblatex: bool, snapshot=None, ascii: bool = False) -> tuple[str, list[tuple[str, str]]]:
    """The entry type and (field, LaTeX value) pairs written for one entry. What the entry lacks
    is left out (an untitled entry has no title field); :func:`_common.missing` names it."""
    snap = c.pick_snapshot(entry, snapshot)
    # an untitled entry (a citation imported without one) is written without a title: one such
    # entry must not stop the export of a whole collection
    title = " ".join(entry.title.split()) if entry.title and entry.title.strip() else None
    arch = c.archive_info(entry, snap)
    accessed = c.access_date(entry, snap)
    esc = lambda s: latex.escape(s, ascii=ascii)  # noqa: E731
    f: list[tuple[str, str]] = []
    if entry.authors:
        f.append(("author", _names(entry.authors, ascii)))
        if biblatex and any(a.non_dropping_particle for a in entry.authors):
            # the von part stays in citations ("von der Leyen"): a non-dropping particle
            f.append(("options", "useprefix=true"))
    if entry.editors:
        f.append(("editor", _names(entry.editors, ascii)))
    if title:
        f.append(("title", latex.protect_title(title, ascii=ascii)))
    bib_type = _etype(entry, biblatex)
    if bib_type is not None:
        etype = bib_type
        if entry.outlet:
            if etype == "article":
                f.append(("journaltitle" if biblatex else "journal", esc(entry.outlet)))
            else:
                name = str((entry.extra.get("bibtex") or {}).get(OUTLET_KEY) or "howpublished")
                f.append((name if re.fullmatch(r"[a-z]+", name) else "howpublished", esc(entry.outlet)))
    elif biblatex:
        if entry.kind in c.PERIODICAL_KINDS:
            etype = "article"
            if entry.outlet:
                f.append(("journaltitle", esc(entry.outlet)))
            f.append(("entrysubtype", entry.kind))
        elif entry.url or not entry.outlet:
            etype = "online"
            if entry.outlet:
                f.append(("organization", "{" + esc(entry.outlet) + "}"))
        else:
            etype = "misc"
            f.append(("howpublished", esc(entry.outlet)))
    else:
        etype = "article" if entry.outlet else "misc"
        if entry.outlet:
            f.append(("journal", esc(entry.outlet)))
        if entry.kind in c.PERIODICAL_KINDS:
            f.append(("entrysubtype", entry.kind))  # ignored by BibTeX styles; keeps the kind on import
    if entry.container_title:
        f.append(("booktitle", esc(entry.container_title)))
    if entry.published:
        if biblatex:
            f.append(("date", _biblatex_date(entry.published)))
        else:
            lit = entry.published.literal
            # BibTeX's year is free text: "186X", "2004?" and "-3000~" are printed as written
            plain_year = lit is not None and re.fullmatch(r"-?[0-9X]{4}[~?%]?", lit)
            f.append(("year", lit if plain_year else str(entry.published.year)))
            if entry.published.month and not entry.published.is_range:
                f.append(("month", MONTH_MACROS[entry.published.month - 1]))
    if entry.volume:
        f.append(("volume", esc(entry.volume)))
    if entry.issue:
        f.append(("number", esc(entry.issue)))
    if entry.pages:
        f.append(("pages", esc(entry.pages)))
    if entry.publisher:
        name = "publisher"
        if etype in ("techreport", "report"):
            name = "institution"
        elif etype in ("phdthesis", "mastersthesis", "thesis"):
            name = "institution" if biblatex else "school"
        f.append((name, esc(entry.publisher)))
    note = _note_text(entry, arch, ascii, include_archive=not biblatex)
    if note:
        f.append(("note", note))
    if entry.doi:
        f.append(("doi", latex.clean_url(entry.doi, ascii=ascii)))
    if entry.issn:
        f.append(("issn", esc(entry.issn)))
    if entry.isbn:
        f.append(("isbn", esc(entry.isbn)))
    # a URL that is only the DOI's link (given to DOI-only citations on import) is not written
    # again beside the doi field: styles would print the same link twice
    url = entry.url if not (entry.doi and entry.url == c.doi_url(entry.doi)) else None
    if url:
        f.append(("url", latex.clean_url(url, ascii=ascii)))
    if accessed and url:
        f.append(("urldate", accessed.iso()[:10]))
    if biblatex:
        if entry.language:
            lid = LANGIDS.get(entry.language.lower()) or LANGIDS.get(entry.language.lower()[:2])
            if lid:
                f.append(("langid", lid))
        addendum = _archive_text(arch, ascii)
        if addendum:
            f.append(("addendum", addendum))
    if entry.tags:
        f.append(("keywords", esc(", ".join(entry.tags))))
    if entry.notes:
        f.append(("annotation" if biblatex else "annote", esc(entry.notes)))
    source = entry.extra.get("bibtex") or {}
    raw_title = source.get(RAW_TITLE_KEY)
    if isinstance(raw_title, str) and title and latex.braces_balanced(raw_title) and latex.decode(raw_title) == title:
        # the title as the source wrote it: LaTeX commands we do not render go back unchanged
        f = [(k, raw_title if k == "title" else v) for k, v in f]
    raw_year = source.get(RAW_YEAR_KEY)
    if isinstance(raw_year, str) and entry.published and re.search(r"\d{4}", raw_year) \
            and re.search(r"\d{4}", raw_year).group(0) == f"{entry.published.year:04d}":
        f = [(k, raw_year if k == "year" else v) for k, v in f]  # "1999a", "c. 1850" as written
    written = {k for k, _v in f}
    for key, value in source.items():  # kept verbatim from the source
        if key.startswith("@") or key in written or not isinstance(value, str):
            continue
        if re.fullmatch(r"[A-Za-z][\w:.+-]*", key):
            # raw LaTeX as the source had it; a value whose braces do not pair up (not from a
            # .bib file) is escaped, so that it cannot break the file
            f.append((key, value if latex.braces_balanced(value) else esc(value)))
    # biblatex's @thesis and @report need a type (biber --validate-datamodel)
    if etype in ("thesis", "report") and biblatex and "type" not in {k for k, _v in f}:
        f.append(("type", "phdthesis" if etype == "thesis" else "techreport"))
    return etype, f


def format_entries(entries: Iterable[Entry], *, biblatex: bool, snapshots=None, ascii: bool = False) -> str:
    import bibtexparser
    from bibtexparser import model as bm

    lib = bibtexparser.Library()
    seen: set[str] = set()
    for entry in entries:
        if entry.citekey in seen:
            raise CitationError(f"duplicate citation key {entry.citekey!r}")
        seen.add(entry.citekey)
        snap = (snapshots or {}).get(entry.id)
        etype, pairs = fields_for(entry, biblatex=biblatex, snapshot=snap, ascii=ascii)
        fields = []
        for key, value in pairs:
            fld = bm.Field(key, value)
            if key == "month":
                fld.enclosing = "no-enclosing"  # a macro (sep), not a string
            fields.append(fld)
        lib.add(bm.Entry(etype, entry.citekey, fields))
    fmt = bibtexparser.BibtexFormat()
    fmt.indent = "  "
    fmt.block_separator = "\n"
    fmt.trailing_comma = True
    return bibtexparser.write_string(lib, bibtex_format=fmt)


# --------------------------------------------------------------------------- import

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


def _biblatex_date(d: PartialDate) -> str:
    """BibLaTeX's date field: ISO 8601 to the day, or the EDTF literal as written (BibLaTeX
    reads seasons, X digits, ~ ? %, ranges; an open end is written "2004/", not "2004/..")."""
    if d.literal is None:
        return d.iso()[:10]
    return d.literal.replace("..", "")


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


NOTES_KEY = "@notes"  # in a parsed record: what the import report should say about it


def check_record(record: dict[str, Any]) -> dict[str, Any]:
    """Validate a record dict against the entry model (raises InvalidEntry)."""
    data = {k: v for k, v in record.items() if k not in ("citekey", NOTES_KEY)}
    Entry.from_json({"id": "0000", "citekey": "check", **data})
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


# --------------------------------------------------------------------------- files (the registry's entry points)

def read(path: Path) -> Iterator[Record]:
    """A .bib file (BibTeX or BibLaTeX): each entry a metadata-only record (@string macros,
    crossref, months)."""
    import logging

    # bibtexparser logs each block it cannot parse; the failed record already carries the reason,
    # and the log line would only repeat it on standard error (and clutter piped output)
    log = logging.getLogger("bibtexparser")
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        yield from read_citations(path, parse)
    finally:
        log.setLevel(level)


def whole_bibtex(entries: Iterable[Entry], snapshots, ascii: bool) -> str:
    return format_entries(entries, biblatex=False, snapshots=snapshots, ascii=ascii)


def whole_biblatex(entries: Iterable[Entry], snapshots, ascii: bool) -> str:
    return format_entries(entries, biblatex=True, snapshots=snapshots, ascii=ascii)


def write_bibtex(entries: Iterable[Entry], sink, ctx) -> int:
    return _write(entries, sink, ctx, biblatex=False)


def write_biblatex(entries: Iterable[Entry], sink, ctx) -> int:
    return _write(entries, sink, ctx, biblatex=True)


def _write(entries: Iterable[Entry], sink, ctx, *, biblatex: bool) -> int:
    """Stream a .bib file to ``sink`` in chunks (flat memory for big exports)."""
    from . import chunks

    count = 0
    for chunk in chunks(entries, ctx):
        sink(("" if count == 0 else "\n") + format_entries(chunk, biblatex=biblatex, ascii=ctx.ascii))
        count += len(chunk)
    return count
