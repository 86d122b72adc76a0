"""Bytes -> text for snapshots: which encoding, in which order of trust.

Order: byte-order mark, then the charset the server declared (``media_type`` parameter), then a
``<meta charset>`` / ``http-equiv`` declaration in the first bytes of an HTML page, then UTF-8 when
the bytes are valid UTF-8, then a statistical guess (charset-normalizer), then windows-1252.
A declared single-byte Western charset (latin-1, windows-1252, ascii) is overruled by UTF-8 when
the bytes are valid UTF-8 and contain multi-byte sequences: that mislabel is common and UTF-8 is
practically never valid by accident. Invalid bytes are replaced (U+FFFD), never an error.

A statistical guess of a CJK code page (Shift_JIS, EUC-JP, GB18030, Big5, EUC-KR, ...) for
undeclared bytes that read as Western text is overruled by windows-1252: a short Latin-1 text
("£15.8m", "café", "Müller") gives the guesser too little to go on, and it often picks
Shift_JIS. "Reads as Western" (:func:`looks_western`): every byte over 0x7F is, in
windows-1252, a Latin letter or common punctuation, and most of them stand alone between ASCII
bytes (a double-byte CJK text has runs of them).
"""

from __future__ import annotations

import codecs
import re

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: same first two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# What browsers actually use for some labels (WHATWG Encoding Standard): the superset codec.
_SUPERSETS = {
    "iso-8859-1": "windows-1252",
    "latin-1": "windows-1252",
    "latin1": "windows-1252",
    "l1": "windows-1252",
    "us-ascii": "windows-1252",
    "ascii": "windows-1252",
    "iso-8859-9": "windows-1254",
    "iso-8859-11": "windows-874",
    "tis-620": "windows-874",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "big5": "big5hkscs",
    "utf8": "utf-8",
    "unicode": "utf-16-le",
}
# Display names for the codecs above (what we report as ``encoding``).
_NAMES = {"cp932": "shift_jis", "cp949": "euc-kr", "big5hkscs": "big5"}
_WESTERN = {"windows-1252", "cp1252"}
_CJK = {"cp932", "shift_jis", "shift_jis_2004", "shift_jisx0213", "euc_jp", "euc_jis_2004", "euc_jisx0213",
        "iso2022_jp", "iso2022_jp_2", "iso2022_kr", "gb18030", "gb2312", "gbk", "hz", "big5", "big5hkscs",
        "cp950", "cp949", "euc_kr", "johab"}
# windows-1252 characters over 0x7F that Western text uses: Latin letters and common signs
_WESTERN_CHARS = frozenset(
    "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿŒœŠšŽžŸƒ"
    "£€¥¢§©®°±²³´µ¶·¸¹º»«¼½¾¿¡‘’‚“”„†‡•…‰‹›–—˜™¨¯¬\xa0\xad×÷"
)

_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.IGNORECASE
)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9._\-]+)""", re.IGNORECASE)
_CT_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.IGNORECASE)


def normalise_label(label: str | None) -> str | None:
    """A charset label -> a Python codec name we trust, or None when unknown."""
    if not label:
        return None
    key = label.strip().strip("\"'").lower()
    key = _SUPERSETS.get(key, key)
    try:
        name = codecs.lookup(key).name
    except LookupError:
        return None
    if name in ("utf-16", "utf-32"):  # a declaration without a BOM is not to be believed
        return None
    if name in ("iso8859-1", "latin-1", "ascii"):
        name = "cp1252"
    return name


def display_name(codec: str) -> str:
    """Python codec name -> the label people know ("cp1251" -> "windows-1251")."""
    name = codecs.lookup(codec).name
    if name in _NAMES:
        return _NAMES[name]
    if name.startswith("cp") and name[2:].isdigit() and len(name) == 6 and name[2] == "1":
        return "windows-" + name[2:]
    m = re.fullmatch(r"iso8859-(\d+)", name)
    if m:
        return f"iso-8859-{m.group(1)}"
    return name


def charset_from_media_type(media_type: str | None) -> str | None:
    if not media_type:
        return None
    m = _CT_CHARSET.search(media_type)
    return m.group(1) if m else None


def sniff_html_charset(data: bytes) -> str | None:
    """The charset a page declares in its first 4 KiB (``<meta charset>``, http-equiv, XML)."""
    head = data[:4096]
    m = _XML_DECL.match(head) or _META_CHARSET.search(head)
    return m.group(1).decode("ascii", "ignore") if m else None


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _has_multibyte(data: bytes) -> bool:
    return any(b >= 0x80 for b in data[:200000])


def _guess(data: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - installed with trafilatura
        return None
    best = from_bytes(data[:200000]).best()
    if best is None:
        return None
    return normalise_label(best.encoding)


def looks_western(data: bytes) -> bool:
    """True when the bytes over 0x7F read as Western text in windows-1252 (see the module
    docstring): all of them Latin letters or common signs, most of them alone between ASCII."""
    sample = data[:200000]
    high = [i for i, b in enumerate(sample) if b >= 0x80]
    if not high:
        return True
    text = sample.decode("cp1252", errors="replace")  # one byte, one character
    if any(text[i] not in _WESTERN_CHARS for i in high):
        return False
    alone = sum(1 for i in high if (i == 0 or sample[i - 1] < 0x80) and (i + 1 >= len(sample) or sample[i + 1] < 0x80))
    return alone >= 0.6 * len(high)


def decode(data: bytes, media_type: str | None = None, *, html: bool = True) -> tuple[str, str]:
    """Decode snapshot bytes. Returns ``(text, encoding)``; never raises on bad bytes."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(name, errors="replace"), name
    declared = normalise_label(charset_from_media_type(media_type))
    if declared is None and html:
        declared = normalise_label(sniff_html_charset(data))
    if declared is not None:
        if declared in _WESTERN and _has_multibyte(data) and _is_utf8(data):
            declared = "utf-8"
        return data.decode(declared, errors="replace"), display_name(declared)
    if _is_utf8(data):
        return data.decode("utf-8"), "utf-8"
    guessed = _guess(data)
    if guessed in _CJK and looks_western(data):
        guessed = "cp1252"
    if guessed is not None:
        return data.decode(guessed, errors="replace"), display_name(guessed)
    return data.decode("cp1252", errors="replace"), "windows-1252"
