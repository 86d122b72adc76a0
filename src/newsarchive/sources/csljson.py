"""CSL-JSON (Zotero, pandoc): an array of items, each a metadata-only record."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from . import Record, failed


def read(path: Path) -> Iterator[Record]:
    from ..cite import csljson as parser

    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    for ref, result in parser.parse(text):
        if isinstance(result, Exception):
            yield failed(ref, str(result))  # the parser names the place already
        else:
            yield Record(ref=ref, fields=dict(result), origin="imported")
