"""RIS (Zotero, EndNote, Mendeley): each TY..ER record a metadata-only record."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from . import Record, read_citations


def read(path: Path) -> Iterator[Record]:
    from ..cite import ris as parser

    return read_citations(path, parser.parse)
