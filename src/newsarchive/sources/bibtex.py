"""BibTeX and BibLaTeX: each entry a metadata-only record (@string macros, crossref, months)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterator

from . import Record, failed


def read(path: Path) -> Iterator[Record]:
    from ..cite import bibtex as parser

    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    # bibtexparser logs every block it cannot parse; the failed record carries the reason
    # instead, so the log would only repeat it on standard error (and break piped output)
    log = logging.getLogger("bibtexparser")
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        results = parser.parse(text)
        for ref, result in results:
            if isinstance(result, Exception):
                yield failed(ref, str(result))  # the parser names the place already
            else:
                yield Record(ref=ref, fields=dict(result), origin="imported")
    finally:
        log.setLevel(level)
