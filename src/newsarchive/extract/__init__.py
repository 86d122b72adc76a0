"""Snapshot bytes -> article text and metadata with provenance.

``import newsarchive.extract`` is cheap: lxml, trafilatura and httpx are imported only when a
function needs them.

    >>> from newsarchive.extract import extract
    >>> x = extract(b"News\\n\\nA title\\n\\nBody.", media_type="text/plain")
    >>> x.fields["title"], x.provenance["title"]
    ('A title', 'text:first-line')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from ..errors import ExtractError
from ..fields import extracted as extracted_fields

__all__ = ["Extraction", "extract", "extract_html", "extract_text", "ExtractError"]

FIELD_ORDER = extracted_fields()  # what extraction looks for, in the registry's order (fields.py)


@dataclass(frozen=True)
class Extraction:
    """What a snapshot says about itself.

    ``fields`` uses the public JSON shapes of ``Entry.to_json()`` and holds only what was found:
    title (str), authors (list of {"family","given"} / {"literal"}), outlet, kind, published and
    modified (ISO strings, partial where partial), url (canonical), language, section, tags (list).
    ``provenance`` maps each of those fields to where it came from ("json-ld", "og", ...).
    ``text`` is the article text for indexing and display; ``encoding`` the charset used to
    decode the bytes. ``note`` says why nothing was extracted when a page exceeds the
    extraction limits (see ``extract.html.LIMITS``); the snapshot is still archived.
    """

    fields: Mapping[str, Any] = field(default_factory=dict)
    provenance: Mapping[str, str] = field(default_factory=dict)
    text: str = ""
    encoding: str | None = None
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        out = {
            "fields": dict(self.fields),
            "provenance": dict(self.provenance),
            "encoding": self.encoding,
            "text": self.text,
        }
        if self.note:
            out["note"] = self.note
        return out


_TEXT_TYPES = ("text/plain", "text/markdown", "text/x-markdown")


def _kind_of(data: bytes, media_type: str | None) -> str:
    from .. import media

    base = media.base_type(media_type)
    if base in media.HTML_TYPES:
        return "html"
    if base in _TEXT_TYPES:
        return "markdown" if "markdown" in base else "text"
    if base and not base.startswith("text/") and base != "application/octet-stream":
        raise ExtractError(f"cannot extract text from {base} snapshots (HTML and plain text only)")
    sniffed = media.sniff(data)
    if sniffed == "text/html":
        return "html"
    if sniffed != "text/plain":
        raise ExtractError("snapshot looks binary, not HTML or text")
    return "text"


def extract(data: bytes, *, media_type: str | None = None, url: str | None = None) -> Extraction:
    """Dispatch on ``media_type`` ("text/html; charset=...", "text/plain", "text/markdown";
    sniffed from the bytes when absent) to :func:`extract_html` or :func:`extract_text`."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ExtractError(f"extract() needs bytes, not {type(data).__name__}")
    data = bytes(data)
    kind = _kind_of(data, media_type)
    if kind == "html":
        return extract_html(data, media_type=media_type, url=url)
    return extract_text(data, media_type=media_type, url=url, markdown=kind == "markdown")


def extract_html(data: bytes, *, media_type: str | None = None, url: str | None = None) -> Extraction:
    from .html import extract_html as _impl

    return _impl(data, media_type=media_type, url=url)


def extract_text(data: bytes, *, media_type: str | None = None, url: str | None = None,
                 markdown: bool | None = None) -> Extraction:
    from .text import extract_text as _impl

    return _impl(data, media_type=media_type, url=url, markdown=markdown)
