"""Media types: what a snapshot's bytes are, from its name or its first bytes, and the file
extension it is stored under. The one place that sniffs (``add``, imports, extraction and
network capture all ask here)."""

from __future__ import annotations

#: media type -> the extension a snapshot of that type is stored under (others: ``.bin``)
EXTENSIONS = {"text/html": ".html", "application/xhtml+xml": ".html", "text/plain": ".txt",
              "text/markdown": ".md", "application/pdf": ".pdf", "application/json": ".json"}
#: the types text is extracted from
TEXT_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "text/markdown")
#: file suffix -> media type of the saved pages a folder import takes (other files are left)
PAGE_SUFFIXES = {".html": "text/html", ".htm": "text/html", ".xhtml": "application/xhtml+xml",
                 ".txt": "text/plain", ".md": "text/markdown", ".markdown": "text/markdown"}
#: the types read as HTML (XML is HTML's kind of markup for extraction)
HTML_TYPES = ("text/html", "application/xhtml+xml", "application/xml", "text/xml")

_HTML_STARTS = (b"<!doctype html", b"<html", b"<?xml", b"<head", b"<!--")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def base_type(media_type: str | None) -> str:
    """``"text/html; charset=utf-8"`` -> ``"text/html"`` (lower case; empty when None)."""
    return (media_type or "").split(";")[0].strip().lower()


def extension(media_type: str | None) -> str:
    return EXTENSIONS.get(base_type(media_type), ".bin")


def looks_like_html(data: bytes) -> bool:
    """Markup in the first 2 KiB (after a byte-order mark and white space)."""
    head = data[:2048].lstrip(b"\xef\xbb\xbf\r\n\t ").lower()
    return head.startswith(_HTML_STARTS) or b"<html" in head or b"<body" in head or b"<head" in head


def looks_binary(data: bytes) -> bool:
    """A NUL byte early on, in bytes that are not UTF-16 text."""
    return b"\x00" in data[:8192] and not data.startswith(_UTF16_BOMS)


def sniff(data: bytes) -> str:
    """``text/html``, ``text/plain`` or ``application/octet-stream``, from the bytes alone."""
    if looks_like_html(data):
        return "text/html"
    if looks_binary(data):
        return "application/octet-stream"
    return "text/plain"


def guess(name: str | None, data: bytes) -> str:
    """The media type of a file: by its name's extension when it has a known one, else sniffed."""
    if name:
        lower = name.lower()
        if lower.endswith((".md", ".markdown")):
            return "text/markdown"
        if ":" not in lower:  # a file name with a page's suffix: known without reading the system's
            for suffix, media_type in PAGE_SUFFIXES.items():  # mime.types (a few ms per command)
                if lower.endswith(suffix):
                    return media_type
        import mimetypes

        guessed, _ = mimetypes.guess_type(lower)
        if guessed:
            return guessed
    return sniff(data)
