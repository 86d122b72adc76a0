"""Bibliographic and data formats, each in one module, and the two registries that name them.

One module per format, with ``read`` (a file -> :class:`~.records.Record` stream) and a writer
where the format goes both ways: ``bibtex`` (BibTeX and BibLaTeX), ``ris``, ``csljson``,
``jsonl``, ``csv``; one-way ones too: ``warc`` (import and export of captures), ``bagit``
(export), ``folder`` and ``urls`` (import). The prose styles (APA, MLA, Chicago) live apart in
:mod:`newsarchive.cite`.

The registries describe each format (name, aliases, suffixes, sniffing, media type, what a
writer takes) and load its module only when it is used, so reading them costs nothing at
start-up. The api, the CLI's help and ``cite --style`` all read them::

    from newsarchive import formats
    formats.importer("biblatex").read(path)          # the bibtex importer, by an alias
    formats.detect(Path("refs.ris")).name            # "ris"
    formats.exporter("csl-json").media_type

A new format: its module (``read`` and/or a writer) and its tests, plus one line below.
"""

from __future__ import annotations

import re
from importlib import import_module
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

__all__ = ["IMPORTERS", "EXPORTERS", "Importer", "Exporter", "ExportContext", "importer", "exporter",
           "import_names", "export_names", "citation_exporters", "detect", "estimate", "chunks", "help_list",
           "suffix_list"]


# --------------------------------------------------------------------------- sniffing (cheap, on bytes)

def _text(head: bytes) -> str:
    return head.decode("utf-8", "replace").lstrip("\ufeff \r\n\t")


def _sniff_warc(head: bytes) -> bool:
    return head[:2] == b"\x1f\x8b" or head.startswith((b"WARC/", b"filedesc://"))


def _starts(prefix: str) -> Callable[[bytes], bool]:
    return lambda head: _text(head).startswith(prefix)


def _content_lines(head: bytes) -> list[str]:
    return [ln.strip() for ln in _text(head).splitlines() if ln.strip() and not ln.startswith("#")]


def _sniff_urls(head: bytes) -> bool:
    lines = _content_lines(head)
    return bool(lines) and all(ln.lower().startswith(("http://", "https://")) for ln in lines[:20])


def _sniff_csv(head: bytes) -> bool:
    lines = _content_lines(head)
    return "," in (lines[0] if lines else "")


# --------------------------------------------------------------------------- importers

class Importer:
    """An import format. ``suffixes`` name it outright; ``maybe_suffixes`` only when ``sniff``
    agrees (a ``.txt`` file is a URL list or nothing). ``sniff(first_bytes)`` tells it from
    content; importers are tried in registry order, the ones that only ``guess`` last.
    ``takes``: the options of :func:`newsarchive.api.open_source` its ``read`` accepts
    (``mapping``, ``fetcher``, ``host_delay``); ``fixed``: keyword arguments always given (TSV's
    tab). ``count_lines``: a line that starts a record, for a cheap count (the progress bar's
    ETA), the first one a header when ``header_row``; ``folder``: it reads a folder.

    (A plain class, not a dataclass: the registry is read at every start-up.)"""

    __slots__ = ("name", "description", "module", "aliases", "suffixes", "maybe_suffixes", "sniff", "guess",
                 "takes", "fixed", "count_lines", "header_row", "folder")

    def __init__(self, name: str, description: str, module: str, *, aliases: tuple[str, ...] = (),
                 suffixes: tuple[str, ...] = (), maybe_suffixes: tuple[str, ...] = (),
                 sniff: Callable[[bytes], bool] | None = None, guess: bool = False,
                 takes: frozenset[str] = frozenset(), fixed: tuple[tuple[str, Any], ...] = (),
                 count_lines: bytes | None = None, header_row: bool = False, folder: bool = False):
        self.name, self.description, self.module = name, description, module
        self.aliases, self.suffixes, self.maybe_suffixes = aliases, suffixes, maybe_suffixes
        self.sniff, self.guess, self.takes, self.fixed = sniff, guess, takes, fixed
        self.count_lines, self.header_row, self.folder = count_lines, header_row, folder

    def __repr__(self) -> str:
        return f"Importer({self.name!r})"

    def load(self):
        return import_module(f"{__name__}.{self.module}")

    def read(self, path: Path, **options: Any):
        """The record stream of ``path``; ``options`` other than the ones it ``takes`` are
        dropped (pass ``None`` for the ones not given)."""
        kwargs = {k: v for k, v in options.items() if k in self.takes and v is not None}
        kwargs.update(self.fixed)
        return self.load().read(path, **kwargs)


IMPORTERS: tuple[Importer, ...] = (
    Importer("jsonl", "newsarchive JSONL (entries with snapshot or text; what export --to jsonl writes)",
             "jsonl", aliases=("ndjson",), suffixes=(".jsonl", ".ndjson"), sniff=_starts("{"),
             count_lines=rb"^\s*\S"),
    Importer("csv", "CSV, one row per record (--map field=column)", "csv", suffixes=(".csv",),
             sniff=_sniff_csv, guess=True, takes=frozenset({"mapping"}), fixed=(("delimiter", None),),
             count_lines=rb"^\s*\S", header_row=True),
    Importer("tsv", "TSV, one row per record (--map field=column)", "csv", suffixes=(".tsv",),
             takes=frozenset({"mapping"}), fixed=(("delimiter", "\t"),), count_lines=rb"^\s*\S",
             header_row=True),
    Importer("csl-json", "CSL-JSON array (Zotero, pandoc)", "csljson", aliases=("csljson", "csl", "json"),
             suffixes=(".json",), sniff=_starts("[")),
    Importer("bibtex", "BibTeX and BibLaTeX .bib (@string, crossref, LaTeX decoded)", "bibtex",
             aliases=("biblatex", "bib"), suffixes=(".bib", ".bibtex"), sniff=_starts("@"),
             count_lines=rb"^\s*@(?!(?:string|comment|preamble)\b)"),
    Importer("ris", "RIS (Zotero, EndNote, Mendeley)", "ris", suffixes=(".ris",), sniff=_starts("TY  -"),
             count_lines=rb"^TY  -"),
    Importer("folder", "a folder of saved pages (.html, .htm, .xhtml, .txt, .md)", "folder", folder=True),
    Importer("warc", "WARC, WARC.gz or ARC captures", "warc", aliases=("arc",),
             suffixes=(".warc", ".warc.gz", ".arc", ".arc.gz"),
             sniff=_sniff_warc),
    Importer("urls", "a list of URLs, one per line, each fetched", "urls", maybe_suffixes=(".txt",),
             sniff=_sniff_urls, takes=frozenset({"fetcher", "host_delay"}), count_lines=rb"^\s*[^\s#]"),
)

def import_names(*, aliases: bool = False) -> list[str]:
    names = [i.name for i in IMPORTERS]
    return names + [a for i in IMPORTERS for a in i.aliases] if aliases else names


def _named(table: tuple, name: str, what: str):
    """The entry of a registry called ``name`` or one of its aliases; raises UsageError."""
    key = (name or "").strip().lower()
    for item in table:
        if key == item.name or key in item.aliases:
            return item
    from ..errors import UsageError

    raise UsageError(f"unknown {what} {name!r} (one of: {', '.join(i.name for i in table)})")


def importer(name: str) -> Importer:
    """The importer called ``name`` or one of its aliases; raises UsageError."""
    return _named(IMPORTERS, name, "source format")


def _unknown(path: Path) -> None:
    from ..errors import ImportFormatError

    raise ImportFormatError(f"cannot tell the format of {path}; pass --from ({', '.join(import_names())})")


def detect(path: Path) -> Importer:
    """The importer for ``path``: a folder, its suffix (``.gz`` looked through), or, failing
    that, its first bytes. Raises ImportFormatError when nothing tells."""
    for imp in IMPORTERS:
        if imp.folder and path.is_dir():
            return imp
    full = path.name.lower()
    name = full[:-3] if full.endswith(".gz") else full
    suffix = Path(name).suffix
    for imp in IMPORTERS:
        if any(name.endswith(s) or full.endswith(s) for s in imp.suffixes):
            return imp
    with open(path, "rb") as fh:
        head = fh.read(4096)
    hinted = any(suffix and suffix in i.maybe_suffixes for i in IMPORTERS)
    # the sure signs first (WARC's magic, a "{", "TY  -"...); a mere guess (CSV: a comma) last,
    # and never for a file whose suffix names a format only when its content agrees (.txt)
    order = [i for i in IMPORTERS if not i.guess] + ([] if hinted else [i for i in IMPORTERS if i.guess])
    for imp in order:
        if imp.sniff is not None and imp.sniff(head):
            return imp
    _unknown(path)
    raise AssertionError("unreachable")


def estimate(path: Path, imp: Importer) -> int | None:
    """How many records a source holds, counted cheaply (a scan, no parsing) for the progress
    bar's ETA; None when that cannot be told without reading the records (CSL-JSON, WARC)."""
    if imp.folder:
        return imp.load().count(path)
    if imp.count_lines is None or not path.is_file():
        return None
    line = re.compile(imp.count_lines, re.I)
    n = 0
    with open(path, "rb") as fh:
        for raw in fh:
            if line.match(raw):
                n += 1
    return max(n - 1, 0) if imp.header_row else n


# --------------------------------------------------------------------------- exporters

class ExportContext:
    """What a writer may use besides the entries: the open store, the output file (None for
    standard output), the user's options, and the callbacks that report.

    ``part``: collection writers build the output there before it is renamed; ``files_part``:
    JSONL gathers the entries' files there; ``incomplete`` hears each chunk of entries before a
    citation file writes it; ``notify`` hears what the WARC export repaired."""

    __slots__ = ("store", "out", "part", "files_part", "ascii", "csv_raw", "incomplete", "notify")

    def __init__(self, store: Any, out: Path | None = None, *, part: Path | None = None,
                 files_part: Path | None = None, ascii: bool = False, csv_raw: bool = False,
                 incomplete: Callable[[list], Any] | None = None, notify: Callable[[str], Any] | None = None):
        self.store, self.out, self.part, self.files_part = store, out, part, files_part
        self.ascii, self.csv_raw, self.incomplete, self.notify = ascii, csv_raw, incomplete, notify


class Exporter:
    """An export format. ``takes``: ``entries`` (a writer ``write(entries, sink, ctx) -> count``
    that streams text to ``sink``) or ``collection`` (``write(items, ctx) -> count`` over the
    checked (entry, damage) pairs, building ``ctx.out`` from the stored files; needs -o).
    ``writer``: the writer's name in the module. ``citation``: the name of a
    ``(entries, snapshots, ascii) -> str`` function that makes a whole file, offered as a
    ``cite --style``; ``keyed``: ``--key`` chooses its citation key; ``ascii``: ``--ascii``
    changes its output."""

    __slots__ = ("name", "description", "module", "suffix", "media_type", "takes", "writer", "aliases",
                 "citation", "keyed", "ascii")

    def __init__(self, name: str, description: str, module: str, suffix: str, media_type: str, *,
                 takes: str = "entries", writer: str = "write", aliases: tuple[str, ...] = (),
                 citation: str | None = None, keyed: bool = False, ascii: bool = False):
        self.name, self.description, self.module = name, description, module
        self.suffix, self.media_type, self.takes, self.writer = suffix, media_type, takes, writer
        self.aliases, self.citation, self.keyed, self.ascii = aliases, citation, keyed, ascii

    def __repr__(self) -> str:
        return f"Exporter({self.name!r})"

    def load(self):
        return import_module(f"{__name__}.{self.module}")

    @property
    def write(self) -> Callable[..., int]:
        return getattr(self.load(), self.writer)

    def whole_file(self, entries, snapshots, ascii: bool) -> str:
        return getattr(self.load(), self.citation)(entries, snapshots, ascii)


EXPORTERS: tuple[Exporter, ...] = (
    Exporter("jsonl", "newsarchive JSONL, with the entries' files beside it (import restores them)", "jsonl",
             ".jsonl", "application/x-ndjson", aliases=("ndjson",)),
    Exporter("csv", "CSV, one row per entry (for spreadsheets)", "csv", ".csv", "text/csv"),
    Exporter("csl-json", "CSL-JSON (pandoc --citeproc, Zotero)", "csljson", ".json",
             "application/vnd.citationstyles.csl+json", aliases=("csljson", "csl", "json"),
             citation="whole_file", keyed=True, ascii=True),
    Exporter("bibtex", "BibTeX (.bib for bibtex/natbib)", "bibtex", ".bib", "application/x-bibtex",
             writer="write_bibtex", aliases=("bib",), citation="whole_bibtex", keyed=True, ascii=True),
    Exporter("biblatex", "BibLaTeX (.bib for biber)", "bibtex", ".bib", "application/x-bibtex",
             writer="write_biblatex", citation="whole_biblatex", keyed=True, ascii=True),
    Exporter("ris", "RIS (Zotero, EndNote, Mendeley)", "ris", ".ris", "application/x-research-info-systems",
             citation="whole_file", keyed=True),
    Exporter("warc", "one WARC file of the snapshots (captures as recorded)", "warc", ".warc.gz",
             "application/warc", takes="collection", writer="export"),
    Exporter("bagit", "a BagIt bag (RFC 8493) of the stored files, a new folder", "bagit", "",
             "inode/directory", takes="collection", writer="export"),
    Exporter("wacz", "a WACZ file of the captures (ReplayWeb.page, wacz validate)", "wacz", ".wacz",
             "application/wacz", takes="collection", writer="export"),
    Exporter("evidence", "an evidence package to hand over: a BagIt bag with the WACZ, timestamps, custody "
             "logs and a report per entry, a new folder (docs/evidence.md)", "evidence", "",
             "inode/directory", takes="collection", writer="export"),
)


def export_names(*, aliases: bool = False) -> list[str]:
    names = [e.name for e in EXPORTERS]
    return names + [a for e in EXPORTERS for a in e.aliases] if aliases else names


def exporter(name: str) -> Exporter:
    """The exporter called ``name`` or one of its aliases; raises UsageError."""
    return _named(EXPORTERS, name, "export format")


def citation_exporters() -> list[Exporter]:
    """The file formats ``cite --style`` offers beside the prose styles."""
    return [e for e in EXPORTERS if e.citation]


def chunks(entries: Iterable, ctx: ExportContext, *, size: int = 500) -> Iterator[list]:
    """Entries in lists of ``size`` (flat memory for big exports), each first handed to
    ``ctx.incomplete`` and checked for duplicate citation keys (a file with two entries under one
    key would cite one of them silently). Raises CitationError."""
    import itertools

    from ..errors import CitationError

    it = iter(entries)
    while True:
        chunk = list(itertools.islice(it, size))
        if not chunk:
            return
        if ctx.incomplete is not None:
            ctx.incomplete(chunk)
        keys = [e.citekey for e in chunk]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise CitationError(f"duplicate citation key(s): {', '.join(dupes)}")
        yield chunk


def help_list(registry: Iterable[Importer | Exporter]) -> str:
    """``name, name (alias), ...`` for a CLI option's help."""
    parts = []
    for item in registry:
        parts.append(item.name + (f" ({', '.join(item.aliases)})" if item.aliases else ""))
    return ", ".join(parts)


def suffix_list(registry: Iterable[Importer | Exporter]) -> str:
    """``.jsonl, .csv, ...``: the file suffixes of the registry's formats, for a CLI help."""
    seen: list[str] = []
    for item in registry:
        for s in getattr(item, "suffixes", ()) or (getattr(item, "suffix", ""),):
            if s and s not in seen:
                seen.append(s)
    return ", ".join(seen)
