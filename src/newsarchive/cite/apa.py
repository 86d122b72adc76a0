"""APA 7th edition: reference-list entries and parenthetical in-text citations for news.

Forms (Publication Manual, 7th ed., 9.8, 10.1 examples 15-16, 10.16 example 110):

* periodical form, kinds "newspaper" and "magazine" (and anything else with a print
  counterpart): ``Author, A. A. (2024, September 4). Title. *Outlet*, A1, A4. URL``; a journal
  article adds its volume and issue: ``Title. *Journal*, *2*(1), 43–44. https://doi.org/…``
* webpage-on-a-news-website form, web-only kinds ("news website", "news agency", "blog",
  "webpage", "press release", "broadcast"): ``Author. (Date). *Title*. Outlet. URL``
"""

from __future__ import annotations

import re

from ..model import Author, Entry, Snapshot
from . import _common as c


def _periodical(entry: Entry) -> bool:
    return entry.kind in c.PERIODICAL_KINDS or entry.kind == "journal article"


def person_name(a: Author) -> str:
    """"Tolkien, J. R. R.", "von der Leyen, U.", "Goethe, J. W. von", "King, M. L., Jr." (the CSL
    APA style: particles never demoted, given names as initials)."""
    return c.inverted_name(a, initialise=True)


def author_list(authors: tuple[Author, ...]) -> str:
    names = [person_name(a) for a in authors]
    if len(names) == 1:
        return names[0]
    if len(names) <= 20:
        return ", ".join(names[:-1]) + ", & " + names[-1]
    # 21 or more: the first 19, an ellipsis, the final author (no ampersand)
    return ", ".join(names[:19]) + ", . . . " + names[-1]


def date_part(entry: Entry) -> str:
    d = entry.published
    if d is None:
        return "(n.d.)"
    if d.literal is not None:  # an EDTF date: "(ca. 1920)", "(2004–2005)", "(2012, Summer)"
        m = re.fullmatch(r"(-?\d{4})-(2[1-4])", d.literal)
        if m:
            return f"({d.year}, {c.SEASONS[int(m.group(2)) - 21]})"
        return f"({c.literal_date(d)})"
    if d.month is None:
        return f"({d.year})"
    month = c.MONTHS[d.month - 1]
    if d.day is None:
        return f"({d.year}, {month})"
    return f"({d.year}, {month} {d.day})"


def reference(entry: Entry, snap: Snapshot | None, m: c.Markup) -> str:
    title = c.require_title(entry)
    periodical = _periodical(entry)
    authors = entry.authors
    date = date_part(entry) + "."

    # the title element, with its own closing punctuation
    description = " [Press release]" if entry.kind == "press release" else ""
    if periodical:
        title_el = m.t(c.add_period(title + description))
    else:
        title_el = m.i(title) + m.t(description)
        if description or not c.ends_with_terminal(title):
            title_el += "."

    parts: list[str] = []
    if authors:
        parts.append(m.t(c.add_period(author_list(authors))))
        parts.append(m.t(date))
        parts.append(title_el)
    else:  # no author: the title moves to the author position, before the date
        parts.append(title_el)
        parts.append(m.t(date))

    outlet = entry.outlet
    if outlet and not (len(authors) == 1 and c.same_name(authors[0], outlet)):
        if periodical:
            src = m.i(outlet)
            if entry.kind == "journal article" and entry.volume:  # 10.1: *Journal*, *2*(1), 43–44
                src += m.t(", ") + m.i(entry.volume) + (m.t(f"({entry.issue})") if entry.issue else "")
            if entry.pages:
                src += m.t(f", {entry.pages}")
            parts.append(src + ".")
        else:
            parts.append(m.t(c.add_period(outlet)))
    elif periodical and entry.pages:
        parts.append(m.t(f"{entry.pages}."))

    url = entry.url
    accessed = c.access_date(entry, snap)
    if url:
        if entry.designed_to_change and accessed is not None:
            parts.append(m.t(f"Retrieved {c.date_long(accessed)}, from ") + m.url(url))
        else:
            parts.append(m.url(url))
    arch = c.archive_info(entry, snap)
    if arch.archived_url:
        when = f" {c.date_long(arch.archive_date)}," if arch.archive_date else ""
        parts.append(m.t(f"Archived{when} at ") + m.url(arch.archived_url))
    return " ".join(p for p in parts if p)


def intext(entry: Entry, snap: Snapshot | None, m: c.Markup) -> str:
    year = "n.d."
    if entry.published:
        year = str(entry.published.year)
        if entry.published.literal is not None:
            year = c.literal_date(entry.published) or year
            if re.fullmatch(r"-?\d{4}-2[1-4]", entry.published.literal):
                year = str(entry.published.year)  # APA: the season only in the reference
    authors = entry.authors
    if not authors:
        title = c.require_title(entry)
        short = c.short_title(title)
        if c.english(entry):
            short = c.title_case(short, "apa")
        if _periodical(entry):
            # quotation marks for a part of a periodical; the comma goes inside
            return m.t(f"(“{short},” {year})")
        return m.t("(") + m.i(short) + m.t(f", {year})")
    first = c.short_name(authors[0])
    if len(authors) == 1:
        who = first
    elif len(authors) == 2:
        second = c.short_name(authors[1])
        who = f"{first} & {second}"
    else:
        who = f"{first} et al."
    return m.t(f"({who}, {year})")
