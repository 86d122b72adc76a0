"""CSL-JSON (Zotero, pandoc): an array of items, each a metadata-only record."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from . import Record, read_citations


def read(path: Path) -> Iterator[Record]:
    from ..cite import csljson as parser

    return read_citations(path, parser.parse)
