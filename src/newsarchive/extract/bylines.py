"""Bylines as pages print them -> a clean list of ``Author``.

"By JOVANA GEC Updated 10:32 AM EDT, September 4, 2024" -> [Jovana Gec]
"Jovana Gec and Dušan Stojanović" -> two people; "A, B and C" and "A & B" -> three and two.
Rules, in order:
1. URLs, e-mail addresses and @handles are removed; a lead-in ("By", "Written by", "Reporting by",
   "Von", "Par", "Por", "Door", ...) is removed.
2. The byline is cut where a date, a time or a word such as "Updated"/"Published" starts.
3. What is left is split on commas, semicolons, "|", "·", " and ", " & ", ", and " (and "und", "et",
   "y", "e").
   Two single words around one comma ("Gec, Jovana") are read as "family, given".
4. Each part loses parenthesised asides, trailing roles ("Staff Writer", "Senior Correspondent"),
   and social-media words ("Twitter", "Email", "Follow"); a part made only of role words is dropped.
5. ALL-CAPS (and all-lower-case) names are title-cased (``McX``, ``O'X``, hyphenated parts,
   particles such as "von", roman numerals such as "II" kept).
6. Organisations ("Associated Press", "Reuters", "AP staff", "BBC News") are kept whole as literal
   authors, except an organisation that only follows named people after a comma ("By Jane Doe,
   Reuters"): that is the people's affiliation and is dropped.
7. Duplicates (case-insensitive) are removed, first occurrence kept.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Iterable

from ..model import Author, looks_like_organisation, parse_name
from ..names import PARTICLES, is_suffix, titlecase_word

_URL = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+|(?<!\w)@\w+", re.IGNORECASE)
_LEAD_IN = re.compile(
    r"^(?:(?:written|reported|reporting|words|story|text|posted|compiled|edited|photos?|video|"
    r"additional reporting|interview|analysis|opinion|commentary|column|review)\s+by|by|von|par|por|door|av|autor(?:in)?|author|"
    r"autore|auteur|text)\s*[:\-–—]?\s+",
    re.IGNORECASE,
)
_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_CUT = re.compile(
    r"\b(?:updated|published|posted|last\s+updated|modified|created|first\s+published|"
    r"aktualisiert|mis\s+à\s+jour|publié|actualizado|publicado)\b"
    r"|\b\d{1,2}:\d{2}\b"
    r"|\b\d{4}-\d{1,2}-\d{1,2}\b"
    r"|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b"
    rf"|\b(?:{_MONTHS})\.?\s+\d{{1,2}}\b"
    rf"|\b\d{{1,2}}\s+(?:{_MONTHS})\b"
    r"|\b(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day)?\b,?\s"
    r"|\b\d+\s+(?:minutes?|hours?|days?|mins?|hrs?)\s+ago\b",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"\s*(?:,\s*(?:and|&|und|et|y|e)\s|,|;|\||·|•|/|\n|\s[-–—]\s|\s&\s|\s(?:and|und|et|y|e|og|och|en)\s)\s*", re.IGNORECASE)
_AFFIX = re.compile(r"\s+(?:for|in|from|at|with|special to|reporting from)\s+")
_DOMAIN = re.compile(r"^(?i:[\w-]+(?:\.[\w-]+)*)\.[a-z]{2,24}$")
_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_ROLE_WORDS = frozenset(
    """staff writer writers senior chief correspondent correspondents reporter reporters editor
    editors contributor contributing columnist associate special investigative political national
    international foreign business sports science health technology tech deputy managing digital
    news producer photographer photojournalist analyst reviewer guest freelance freelancer
    intern assistant executive white house washington bureau desk for the a an of in at to
    journalist journalists author authors redaktion redakteur rédaction""".split()
)
_JUNK_WORDS = frozenset(
    """twitter email e-mail mail facebook instagram linkedin follow share tweet contact bio
    profile more articles stories posts view all see comments comment print subscribe rss
    whatsapp mastodon threads bluesky youtube tiktok read""".split()
)
_HONORIFIC = re.compile(r"^(?:dr|prof|professor|mr|mrs|ms|mx|sir|dame|rev)\.?\s+(?=\S+\s+\S)", re.IGNORECASE)
_ORG_ACRONYM = re.compile(r"^[A-Z]{2,5}$")


def titlecase_name(name: str) -> str:
    """"JOVANA GEC" -> "Jovana Gec", "RONALD MCDONALD" -> "Ronald McDonald", "MARY O'NEIL" ->
    "Mary O'Neil", "JOHN SMITH II" -> "John Smith II", "URSULA VON DER LEYEN" -> "Ursula von
    der Leyen"; an all-lower-case name is capitalised the same way; names already in mixed
    case are left alone."""
    letters = [c for c in name if c.isalpha() and c.lower() != c.upper()]
    if not letters:
        return name
    if not (all(c.isupper() for c in letters) or all(c.islower() for c in letters)):
        return name
    if _ORG_ACRONYM.match(name):  # "AP", "BBC"
        return name
    words = name.split()
    return " ".join(titlecase_word(w, first=i == 0) for i, w in enumerate(words))


def _caps_family(part: str) -> str | None:
    """"Laure BRETTON", "Ana María GARCÍA LÓPEZ": the family name in capitals after given names
    in mixed case (a French and Spanish convention) marks exactly where the family name starts:
    -> "Bretton, Laure", "García López, Ana María". None when the part is not written so; a
    single capitals word of three letters or fewer ("CNN", "LI") is left alone."""
    words = part.split()
    caps = [len([c for c in w if c.isalpha()]) >= 2 and w.isupper() for w in words]
    if len(words) < 2 or caps[0] or not caps[-1]:
        return None
    start = len(words)
    while start > 0 and caps[start - 1]:
        start -= 1
    given, family = words[:start], words[start:]
    if any(caps[:start]) or not all(w[:1].isupper() for w in given):
        return None
    if len(family) == 1 and len(family[0]) <= 3:
        return None
    suffix = family.pop() if len(family) > 1 and is_suffix(family[-1]) else None
    # particles that start the family name stay lower case ("DE LA TOUR" -> "de la Tour")
    family = [titlecase_word(w, first=i == len(family) - 1) for i, w in enumerate(family)]
    return ", ".join([" ".join(family), " ".join(given)] + ([suffix] if suffix else []))


def _clean_part(part: str) -> str | None:
    part = _PARENS.sub(" ", part)
    part = _AFFIX.split(part, maxsplit=1)[0]
    abbreviated = re.search(r"\b(?:jr|sr)\.[\s,;]*$", part, re.IGNORECASE)
    part = part.strip(" \t\r\n-–—:.,;|·•*\"'“”‘’")
    if abbreviated:
        part += "."  # "John Smith Jr." keeps the period of its suffix
    part = " ".join(part.split())
    part = _HONORIFIC.sub("", part)  # "Dr. Jane Smith": a byline's courtesy title, not a name
    if not part:
        return None
    words = part.split()
    low = [w.lower().strip(".,:") for w in words]
    if any(w in _JUNK_WORDS for w in low):
        # "Follow Jane on Twitter", "Email", "More from Jane Doe": social furniture
        keep = [w for w, lw in zip(words, low) if lw not in _JUNK_WORDS]
        if len(keep) == len(words) - 1 and low[-1] in _JUNK_WORDS and len(keep) >= 2:
            words, low = keep, low[:-1]
        else:
            return None
    # drop a trailing job title ("Jane Doe Staff Writer") but keep "AP staff", "BBC News" whole
    n = len(words)
    while n > 1 and low[n - 1] in _ROLE_WORDS:
        n -= 1
    if n < len(words) and _role_tail(low):
        words, low = words[:n], low[:n]
    # "LAURE BRETTON Envoyés spéciaux": a name in capitals followed by words that are not
    caps = [len([c for c in w if c.isalpha()]) > 1 and w.isupper() for w in words]
    if len(words) > 2 and caps[0] and caps[1] and not all(caps):
        n = caps.index(False)
        words, low = words[:n], low[:n]
    if all(w in _ROLE_WORDS for w in low):
        return None
    if any(any(ch.isdigit() for ch in w) for w in words):
        return None
    return " ".join(words)


def _role_tail(low: list[str]) -> bool:
    """True when the last words are a job title rather than part of an organisation's name."""
    roles = {"writer", "writers", "correspondent", "reporter", "editor", "contributor", "columnist",
             "producer", "photographer", "journalist", "analyst", "intern", "reporters",
             "correspondents", "editors", "contributors", "journalists"}
    return low[-1] in roles


def _split(text: str) -> list[tuple[str, str]]:
    """Split into (separator-before, part) pairs."""
    out: list[tuple[str, str]] = []
    pos, sep = 0, ""
    for m in _SPLIT.finditer(text):
        out.append((sep, text[pos:m.start()]))
        sep = m.group(0).strip().lower() or " "
        pos = m.end()
    out.append((sep, text[pos:]))
    return [(s, p) for s, p in out if p.strip()]


def clean_byline(text: str | None) -> list[Author]:
    """One byline string -> authors (possibly empty). Never raises."""
    if not text:
        return []
    text = " ".join(str(text).replace("\xa0", " ").split())
    text = _URL.sub(" ", text)
    text = re.sub(r"(?<=[^\W\d_])(?=\d{4}-\d{2}-\d{2})", " ", text)  # "Seth Fiegerman2014-01-26"
    text = text.strip(" -–—:|,;")
    for _ in range(2):
        text = _LEAD_IN.sub("", text).strip()
    if _LEAD_IN.fullmatch(text + " "):
        return []  # nothing but "By"
    m = _CUT.search(text)
    if m:
        text = text[:m.start()]
    text = re.sub(r"\s+(?:on|at|am|le|el|il)\s*$", "", text.strip(" -–—:|,;"), flags=re.IGNORECASE)
    if not text:
        return []
    parts = _split(text)
    # "Gec, Jovana": a single comma between two single words is family, given
    if len(parts) == 2 and parts[1][0] == "," and all(len(p.split()) == 1 for _, p in parts):
        a, b = parts[0][1].strip(), parts[1][1].strip()
        if not looks_like_organisation(f"{a} {b}") and a[:1].isupper() and b[:1].isupper():
            return [parse_name(f"{titlecase_name(a)}, {titlecase_name(b)}")]
    found: list[tuple[str, Author]] = []
    for sep, raw in parts:
        # a lead-in may also start a later part: "Reporting by A; Editing by B"
        if re.match(r"^(?:editing|edited|photos?|graphics|video|illustration)s?\s+by\b", raw.strip(), re.I):
            break
        raw = _LEAD_IN.sub("", raw.strip())
        tail = raw.lower().split()[-1:]
        if sep in (",", "-", "–", "—") and found and tail and _role_tail(tail):
            continue  # "Joan Doe, CNN Legal Analyst": the job title of the name before
        part = _clean_part(raw)
        if part is None:
            continue
        if is_suffix(part) and found and not found[-1][1].is_organisation and not found[-1][1].suffix:
            # "JOHN SMITH, JR.": the suffix of the name before
            found[-1] = (found[-1][0], replace(found[-1][1], suffix=titlecase_word(raw.strip(" ,;"), first=False)))
            continue
        words = part.split()
        if len(words) > 6:
            continue
        if not any(c.isalpha() for c in part):
            continue
        if _DOMAIN.match(part):  # "FoxNews.com", "elmundo.es"
            found.append((sep, Author(literal=part)))
            continue
        if part == part.lower() and len([w for w in words if w.lower() not in PARTICLES]) > 3:
            continue  # a phrase in lower case ("en charge de la politique"), not a name
        part = _caps_family(part) or titlecase_name(part)
        try:
            author = parse_name(part)
        except Exception:
            continue
        if author.is_organisation and len(words) == 1 and words[0][:1].islower():
            continue  # "admin", "staff"
        found.append((sep, author))
    people = [a for _, a in found if not a.is_organisation]
    result: list[Author] = []
    for i, (sep, author) in enumerate(found):
        if author.is_organisation and people and sep in (",", "-", "–", "—", "|") and i > 0 and not found[i - 1][1].is_organisation:
            if all(a.is_organisation for _, a in found[i:]):
                continue  # "Jane Doe, Reuters": affiliation
        result.append(author)
    return dedupe(result)


def dedupe(authors: Iterable[Author]) -> list[Author]:
    seen: set[str] = set()
    out: list[Author] = []
    for a in authors:
        key = re.sub(r"\W+", " ", a.display.casefold()).strip()
        if key and key not in seen:
            seen.add(key)
            out.append(a)
    return out


def clean_bylines(texts: Iterable[str]) -> list[Author]:
    """Several byline strings (several meta tags, several elements) -> one deduplicated list."""
    out: list[Author] = []
    for t in texts:
        out.extend(clean_byline(t))
    return dedupe(out)
