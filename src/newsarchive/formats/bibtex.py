"""BibTeX and BibLaTeX: export here, import in :mod:`.bibtex_parse` (both through bibtexparser 2).

Export mapping (docs/formats.md and docs/citations.md say what each field becomes)::

    kind newspaper/magazine   BibLaTeX @article  journaltitle, entrysubtype = {newspaper|magazine}
    web-only kinds            BibLaTeX @online   organization (the site)   (@misc without URL)
    any kind with an outlet   BibTeX   @article  journal                   (@misc without outlet)

The citation key is ``entry.citekey``, unchanged. bibtexparser is imported inside functions.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..errors import CitationError
from ..model import KINDS, Author, Entry, PartialDate
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


def _biblatex_date(d: PartialDate) -> str:
    """BibLaTeX's date field: ISO 8601 to the day, or the EDTF literal as written (BibLaTeX
    reads seasons, X digits, ~ ? %, ranges; an open end is written "2004/", not "2004/..")."""
    if d.literal is None:
        return d.iso()[:10]
    return d.literal.replace("..", "")



# --------------------------------------------------------------------------- files (the registry's entry points)

def parse(text: str) -> Iterator[tuple[str, dict[str, Any] | Exception]]:
    """BibTeX/BibLaTeX text -> (source reference, record dict or ImportFormatError) per entry;
    see :func:`newsarchive.formats.bibtex_parse.parse`."""
    from .bibtex_parse import parse as parse_text

    return parse_text(text)


def skip_comments(text: str) -> str:
    from .bibtex_parse import skip_comments as skip

    return skip(text)


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
