"""BibTeX and BibLaTeX: each entry a metadata-only record (@string macros, crossref, months)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from . import Record, read_citations


def read(path: Path) -> Iterator[Record]:
    from ..cite import bibtex as parser

    return read_citations(path, parser.parse)
