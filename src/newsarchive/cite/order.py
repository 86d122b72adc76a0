"""The order of a reference list, as each style prescribes it. Pure functions over entries.

- APA 7 (9.44-9.47): by the first author's surname, then given names; a work by one author
  before works by that author with others (then by the co-authors' names); works by the same
  authors by year, undated ("n.d.") first; the same authors and year by title.
- MLA 9 and Chicago 17 bibliographies (notes-bibliography): by the first author's surname, then
  given names, then the co-authors; works by the same authors by title.
- A work without an author is placed by its title (APA moves the title to the author
  position; MLA and Chicago list it under its title) and an organisation by its name.
  Titles and organisation names are filed under their first word that is not an article (The,
  A, An; for a German, French, Spanish, Italian or Dutch entry also that language's articles).
- Comparison is letter by letter, case- and accent-insensitive, and "nothing precedes
  something" (Brown before Browning). Equal keys keep a stable order (citekey last).
"""

from __future__ import annotations

import re
from typing import Iterable

from ..model import Entry

STYLES_BY_YEAR = {"apa"}
#: leading articles ignored when filing a title or an organisation's name, by language
ARTICLES = {
    "en": ("the", "a", "an"),
    "de": ("der", "die", "das", "ein", "eine"),
    "fr": ("le", "la", "les", "l'", "un", "une"),
    "es": ("el", "la", "los", "las", "un", "una"),
    "it": ("il", "lo", "la", "i", "gli", "le", "l'", "un", "una"),
    "nl": ("de", "het", "een"),
}


def _fold(text: str) -> str:
    from ..normalize import fold

    return re.sub(r"[\W_]", "", fold(text))  # letter by letter; letters of other scripts kept


def filing_title(text: str, language: str | None = None) -> str:
    """``text`` as it is filed: without a leading article ("The Guardian" -> "guardian")."""
    words = (text or "").strip().lstrip("\"'“‘«[(").split()
    lang = (language or "en").split("-")[0].lower()
    articles = set(ARTICLES["en"]) | set(ARTICLES.get(lang, ()))
    first = words[0].casefold().replace("’", "'") if words else ""
    if len(words) > 1 and first in articles:
        words = words[1:]
    elif any(a.endswith("'") and first.startswith(a) and len(first) > len(a) for a in articles):
        words[0] = words[0][2:]  # l'Express -> Express
    return _fold(" ".join(words))


def _names(entry: Entry) -> tuple[tuple[str, str], ...]:
    out = []
    for a in entry.authors:
        if a.literal is not None:
            out.append((filing_title(a.literal, entry.language), ""))
        else:
            out.append((_fold(a.family_full), _fold(a.given or "")))
    return tuple(out)


def _year(entry: Entry) -> str:
    return entry.published.sort_key() if entry.published else ""  # undated first ("n.d.")


def reference_key(entry: Entry, style: str) -> tuple:
    """The sort key of ``entry`` in a reference list of ``style`` (apa, mla or chicago)."""
    title = filing_title(entry.title or "", entry.language)
    names = _names(entry) or ((title, ""),)  # no author: filed by title
    if style in STYLES_BY_YEAR:
        return (names, _year(entry), title, entry.citekey)
    return (names, title, _year(entry), entry.citekey)


def sort_references(entries: Iterable[Entry], style: str) -> list[Entry]:
    """``entries`` in the order of a reference list of ``style``."""
    return sorted(entries, key=lambda e: reference_key(e, style))
