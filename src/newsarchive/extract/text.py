"""Plain-text and Markdown snapshots: title, section label, body without page furniture.

Rules:
- Markdown: the first ``# Heading`` line (before any body text) is the title.
- Plain text: a first line that is a short section label ("News", "World", "Politics", or one or
  two words followed by another short line) is not the title; it becomes ``section``. The title is
  the next non-empty line (when it is not a paragraph: at most 300 characters).
- The text returned for indexing is the body after the title, with page furniture at the end left
  out: trailing lines that are bare numbers, "Comments", "Comments on this article", "Share",
  "Advertisement", "Related", "Read more", "Subscribe ...", "Follow us ...", copyright lines, etc.
  The snapshot bytes are not changed; only the returned text leaves these lines out.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ..normalize import collapse_blank_runs
from ._util import readable_domain
from .encoding import decode

SECTION_LABELS = frozenset(
    """news world politics business sport sports opinion opinions technology tech science health
    entertainment culture arts local national international europe africa asia americas
    us uk breaking economy markets money lifestyle travel analysis live video latest
    environment climate education media comment editorial features feature investigations
    weather crime justice nation region regional metro society""".split()
) | {"top stories", "breaking news", "world news", "us news", "uk news", "middle east",
     "latin america", "north america", "fact check", "ap news"}

_FURNITURE = re.compile(
    r"^(?:"
    r"[\d\s.,]+"                                            # a bare count: "0", "12"
    r"|(?:\d+\s+)?(?:comments?|responses?|replies|reactions?)"  # "3 comments", "Comments on this article"
    r"(?:\s+(?:on|to|about)\s+this\s+(?:article|story|post|page))?\s*(?:\(\d+\)|:)?"
    r"|(?:show|view|load|read|add|leave|post|join)\s+(?:\w+\s+)?(?:comments?|conversation|discussion).*"
    r"|share(?:\s+(?:this|on|via)\b.*)?|share\s+(?:article|story)"
    r"|advertisement|advert|ad|sponsored(?:\s+content)?|promoted"
    r"|related(?:\s+(?:articles?|stories|coverage|content|topics|news|links))?:?"
    r"|read\s+(?:more|next|also)\b.*|more\s+(?:on|from|stories|news)\b.*|see\s+also:?.*"
    r"|(?:sign\s+up|subscribe|newsletter|follow\s+us|follow|get\s+the\s+app)\b.*"
    r"|(?:©|\(c\)|copyright\b).*|all\s+rights\s+reserved.*"
    r"|back\s+to\s+top|print|email|e-mail|tweet|twitter|facebook|whatsapp|linkedin|reddit|"
    r"pinterest|copy\s+link|link\s+copied"
    r"|(?:top|most)\s+(?:stories|read|popular|viewed)|recommended(?:\s+for\s+you)?|trending"
    r"|tags?:.*|topics?:.*|filed\s+under:?.*"
    r"|(?:previous|next)(?:\s+(?:article|story|post))?"
    r")$",
    re.IGNORECASE,
)
_MD_HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$")


def is_furniture(line: str) -> bool:
    line = line.strip()
    if len(line) > 120:
        return False
    if len(line.split()) > 8 and line.endswith((".", "!", "?")) and not re.match(r"(?i)©|\(c\)|copyright", line):
        return False  # a sentence of prose, not a page element
    return bool(_FURNITURE.match(line))


def strip_trailing_furniture(lines: list[str]) -> list[str]:
    """Drop furniture and blank lines from the end (the start of an article is left alone)."""
    end = len(lines)
    while end > 0 and (not lines[end - 1].strip() or is_furniture(lines[end - 1])):
        end -= 1
    return lines[:end]


def _is_label(line: str, next_line: str | None) -> bool:
    words = line.split()
    if not words or len(line) > 30 or re.search(r"[.!?,;:\"“”]$", line):
        return False
    if line.casefold() in SECTION_LABELS:
        return next_line is not None
    # any other one- or two-word line counts only when a title-like line follows
    return (len(words) <= 2 and next_line is not None and len(next_line) <= 300
            and len(next_line.split()) > len(words) and not next_line.rstrip().endswith("."))


def extract_text(data: bytes, *, media_type: str | None = None, url: str | None = None,
                 markdown: bool | None = None):
    from . import Extraction

    text, encoding = decode(data, media_type, html=False)
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    lines = text.split("\n")
    if markdown is None:
        markdown = any("#" in ln and _MD_HEADING.match(ln.strip()) for ln in lines[:20])
    fields: dict[str, object] = {}
    prov: dict[str, str] = {}
    idx = [i for i, ln in enumerate(lines) if ln.strip()]
    body_start = 0
    if markdown:
        for i in idx[:10]:
            m = _MD_HEADING.match(lines[i].strip())
            if m:
                fields["title"], prov["title"] = m.group(1).strip(), "text:heading"
                body_start = i + 1
                break
            if lines[i].strip() and not lines[i].lstrip().startswith(("---", "<!--")):
                break
    if "title" not in fields and idx:
        first = lines[idx[0]].strip()
        second = lines[idx[1]].strip() if len(idx) > 1 else None
        pos = 0
        if len(idx) > 2 and _is_label(first, second):
            fields["section"], prov["section"] = first, "text:label"
            pos = 1
        candidate = lines[idx[pos]].strip().lstrip("#").strip()
        if candidate and len(candidate) <= 300 and not is_furniture(candidate):
            fields["title"], prov["title"] = candidate, "text:first-line"
            body_start = idx[pos] + 1
        elif pos:
            body_start = idx[pos]
    body = strip_trailing_furniture(lines[body_start:])
    body_text = "\n".join(ln.rstrip() for ln in body).strip("\n")
    body_text = collapse_blank_runs(body_text)
    if url:
        host = urlsplit(url).hostname
        if host:
            fields["url"], prov["url"] = url, "given"
            fields["outlet"], prov["outlet"] = readable_domain(host), "domain"
    return Extraction(fields=fields, provenance=prov, text=body_text, encoding=encoding)
