"""BibTeX and BibLaTeX: each entry a metadata-only record (@string macros, crossref, months)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterator

from . import Record, read_citations


def read(path: Path) -> Iterator[Record]:
    from ..cite import bibtex as parser

    # bibtexparser logs each block it cannot parse; the failed record already carries the reason,
    # and the log line would only repeat it on standard error (and clutter piped output)
    log = logging.getLogger("bibtexparser")
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        yield from read_citations(path, parser.parse)
    finally:
        log.setLevel(level)
