"""MLA 9th edition Works Cited entries and parenthetical citations for news articles.

``Gec, Jovana, and Dušan Stojanović. “Title in Title Case.” *AP News*, 4 Sept. 2024,
apnews.com/article/…. Accessed 5 Sept. 2024.`` (the access date only when there is no
publication date, or when the entry is marked designed_to_change).
"""

from __future__ import annotations

from ..model import Author, Entry, Snapshot
from . import _common as c


def _inverted(a: Author) -> str:
    """"Tolkien, J.R.R.", "von der Leyen, Ursula", "King, Martin Luther, Jr." (given names as
    written; particles never demoted, as in the CSL MLA style)."""
    return c.inverted_name(a)


def _direct(a: Author) -> str:
    return c.direct_name(a, suffix_comma=True)


def _cited_authors(entry: Entry) -> tuple[Author, ...]:
    # an organisation that is also the publisher is not repeated as author (MLA 9, 5.10)
    if len(entry.authors) == 1 and c.same_name(entry.authors[0], entry.outlet):
        return ()
    return entry.authors


def author_list(authors: tuple[Author, ...]) -> str:
    if len(authors) == 1:
        return _inverted(authors[0])
    if len(authors) == 2:
        return f"{_inverted(authors[0])}, and {_direct(authors[1])}"
    return f"{_inverted(authors[0])}, et al."


def date(d) -> str:
    return c.date_long(d, day_first=True, months=c.MLA_MONTHS)


def _pages(pages: str) -> str:
    p = pages.strip()
    if "," in p:  # not on consecutive pages: first page and a plus sign
        return f"pp. {p.split(',')[0].strip()}+"
    if "-" in p or "–" in p:
        return f"pp. {p.replace('-', '–')}"
    return f"p. {p}"


def _title(entry: Entry) -> str:
    title = c.require_title(entry)
    return c.inner_quotes(c.title_case(title, "mla") if c.english(entry) else title)


def reference(entry: Entry, snap: Snapshot | None, m: c.Markup) -> str:
    title = _title(entry)
    parts: list[str] = []
    authors = _cited_authors(entry)
    if authors:
        parts.append(m.t(c.add_period(author_list(authors))))
    quoted = title if c.ends_with_terminal(title) else title + "."
    parts.append(m.t(f"“{quoted}”"))

    # container: *Outlet*, date, pages, URL.
    elems: list[str] = []
    if entry.outlet:
        elems.append(m.i(entry.outlet))
    if entry.published:
        elems.append(m.t(date(entry.published)))
    if entry.pages:
        elems.append(m.t(_pages(entry.pages)))
    if entry.url:
        elems.append(m.url(c.mla_url(entry.url)))
    if elems:
        parts.append(", ".join(elems) + ".")

    accessed = c.access_date(entry, snap)
    if accessed is not None and (entry.published is None or entry.designed_to_change):
        parts.append(m.t(f"Accessed {date(accessed)}."))

    arch = c.archive_info(entry, snap)
    if arch.archived_url:  # the archive as a second container
        second = [m.i(arch.archive_name or "Web archive")]
        if arch.archive_date:
            second.append(m.t(date(arch.archive_date)))
        second.append(m.url(c.mla_url(arch.archived_url)))
        parts.append(", ".join(second) + ".")
    return " ".join(parts)


def intext(entry: Entry, snap: Snapshot | None, m: c.Markup) -> str:
    authors = _cited_authors(entry)
    if not authors:
        short = c.short_title(_title(entry))
        return m.t(f"(“{short}”)")
    first = c.short_name(authors[0])
    if len(authors) == 1:
        return m.t(f"({first})")
    if len(authors) == 2:
        second = c.short_name(authors[1])
        return m.t(f"({first} and {second})")
    return m.t(f"({first} et al.)")
