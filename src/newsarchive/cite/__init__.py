"""Citation layer: one pure formatter per style over the entry model, in a registry.

    from newsarchive import cite
    cite.format_entry(entry, "apa")                      # one reference, plain text
    cite.format_entry(entry, "mla", markup="html")       # <i>…</i> for italics
    cite.format_entry(entry, "chicago", intext=True)     # short note
    cite.format_entries(entries, "biblatex")             # a whole .bib file
    cite.format_entry(entry, "bibtex", ascii=True)       # classic BibTeX, LaTeX accents
    cite.format_entry(entry, "apa", snapshot=entry.snapshots[0])   # cite an older version

The file formats (bibtex, biblatex, csl-json, ris) are the citation exporters of
:mod:`newsarchive.formats`, where they are read and written; they are offered here as styles.

No I/O and no configuration here; bibtexparser is imported only when BibTeX is written or read.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Callable, Iterable, Mapping

from .. import formats
from ..errors import CitationError

if TYPE_CHECKING:
    from ..model import Entry, Snapshot

__all__ = ["STYLES", "Style", "format_entry", "format_entries", "style_names"]


class Style:
    """One citation style of the registry. A plain class, not a dataclass: the registry is read
    at start-up for the CLI's help."""

    __slots__ = ("name", "description", "whole_file", "reference", "intext", "file", "sort_key")

    def __init__(self, name: str, description: str, whole_file: bool, reference: Callable | None = None,
                 intext: Callable | None = None, file: Callable | None = None,
                 sort_key: Callable | None = None) -> None:
        self.name = name
        self.description = description
        self.whole_file = whole_file  # True: output is a file format (bibtex, csl-json, ris), not prose
        self.reference = reference  # (entry, snapshot, markup) -> str, prose styles
        self.intext = intext
        self.file = file  # (entries, snapshots, ascii) -> str, file formats
        self.sort_key = sort_key

    def __repr__(self) -> str:
        return f"Style({self.name!r})"


def _text_sort(entry: Entry):
    from . import _common as c

    return (c.author_key(entry), entry.published.sort_key() if entry.published else "", entry.citekey)


def _prose(module: str, name: str, description: str) -> Style:
    """A prose style whose module (``reference`` and ``intext``) is imported when first used,
    so that reading the registry (the CLI's help) stays cheap."""
    def load(attr: str) -> Callable:
        return lambda *args: getattr(import_module(f"{__name__}.{module}"), attr)(*args)

    return Style(name, description, False, load("reference"), load("intext"), sort_key=_text_sort)


STYLES: dict[str, Style] = {
    "apa": _prose("apa", "apa", "APA 7th edition reference"),
    "mla": _prose("mla", "mla", "MLA 9th edition Works Cited entry"),
    "chicago": _prose("chicago", "chicago", "Chicago 17th edition bibliography entry (notes-bibliography)"),
}
# the file formats: every exporter that can write a whole citation file, as the registry says
STYLES.update({
    exp.name: Style(exp.name, exp.description, True, file=exp.whole_file) for exp in formats.citation_exporters()
})
_ALIASES = {"apa7": "apa", "mla9": "mla", "chicago17": "chicago", "cmos": "chicago"} | {
    alias: exp.name for exp in formats.citation_exporters() for alias in exp.aliases}


def _robust(entry: Entry, snapshot: Snapshot | None, markup: object = None) -> str:
    """A Robust Link (evidence/robustlinks.py): the same anchor in running text and in a list."""
    return import_module("newsarchive.evidence.robustlinks").reference(entry, snapshot)


STYLES["robust-links"] = Style("robust-links", "Robust Links HTML anchor (the live URL with its archived copy "
                               "and date)", False, _robust, _robust)
_ALIASES |= {"robustlinks": "robust-links", "robust": "robust-links"}


def style_names() -> list[str]:
    return list(STYLES)


def help_list() -> str:
    """``apa (apa7), ...``: the styles and their aliases, for the CLI's help."""
    return ", ".join(name + (f" ({', '.join(a for a, n in _ALIASES.items() if n == name)})"
                             if name in _ALIASES.values() else "") for name in STYLES)


def get_style(name: str) -> Style:
    key = (name or "").strip().lower()
    key = _ALIASES.get(key, key)
    if key not in STYLES:
        raise CitationError(f"unknown citation style {name!r} (one of: {', '.join(STYLES)})")
    return STYLES[key]


def format_entry(
    entry: Entry,
    style: str,
    *,
    markup: str = "text",
    intext: bool = False,
    snapshot: Snapshot | str | None = None,
    ascii: bool = False,
) -> str:
    """One entry in one style. For file formats this is a complete one-entry file.

    ``snapshot``: the version to cite (a Snapshot of the entry, or a sha256 prefix / path);
    default the newest one. Its capture date is the access date and its SHA-256 is given
    where the style has room. ``intext``: the in-text form (APA/MLA parenthetical, Chicago
    short note). ``ascii``: LaTeX commands instead of UTF-8 (bibtex/biblatex), \\u escapes
    (csl-json), character references (html markup). Raises CitationError.
    """
    from . import _common as c

    st = get_style(style)
    snap = c.pick_snapshot(entry, snapshot)
    if st.whole_file:
        if intext:
            raise CitationError(f"{st.name} has no in-text form")
        return st.file([entry], {entry.id: snap} if snap else None, ascii)
    opts = c.Options(markup=markup, intext=intext, ascii=ascii)
    c.check_ascii_allowed(st.name, opts)
    m = c.Markup(markup, ascii)
    fn = st.intext if intext else st.reference
    return fn(entry, snap, m)


def format_entries(
    entries: Iterable[Entry],
    style: str,
    *,
    markup: str = "text",
    intext: bool = False,
    snapshots: Mapping[str, Snapshot] | None = None,
    ascii: bool = False,
    sort: bool = True,
) -> str:
    """Several entries: a whole file for file formats (in the order given); for prose styles a
    reference list, one entry per line, sorted by the style's order (first author or title,
    then date) unless ``sort=False``. ``snapshots`` maps entry id -> the Snapshot to cite."""
    st = get_style(style)
    entries = list(entries)
    snapshots = dict(snapshots or {})
    if st.whole_file:
        if intext:
            raise CitationError(f"{st.name} has no in-text form")
        keys = [e.citekey for e in entries]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise CitationError(f"duplicate citation key(s): {', '.join(dupes)}")
        return st.file(entries, snapshots, ascii)
    if sort and not intext and st.sort_key:
        entries.sort(key=st.sort_key)
    return "\n".join(
        format_entry(e, st.name, markup=markup, intext=intext, snapshot=snapshots.get(e.id), ascii=ascii)
        for e in entries
    ) + ("\n" if entries else "")
