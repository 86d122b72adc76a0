"""Chicago Manual of Style, 17th edition, notes-bibliography system: bibliography entries
and short notes for newspaper and news-website articles (CMOS 14.191-14.208).

``Gec, Jovana, and Dušan Stojanović. “Title in Headline Style.” *AP News*, September 4, 2024.
https://apnews.com/….``
"""

from __future__ import annotations

from ..model import Author, Entry, Snapshot
from . import _common as c


def _inverted(a: Author) -> str:
    """Bibliography order, CMOS 17 and the CSL Chicago styles: "King, Martin Luther, Jr.",
    "Leyen, Ursula von der" (a non-dropping particle is demoted in sort order)."""
    return c.inverted_name(a, demote=True)


def _direct(a: Author) -> str:
    """Reading order, as in notes: "Martin Luther King Jr." (no comma, CMOS 6.43)."""
    return c.direct_name(a)


def author_list(authors: tuple[Author, ...]) -> str:
    names = list(authors)
    if len(names) > 10:  # CMOS 14.76: more than ten authors, list seven followed by et al.
        shown = [_inverted(names[0])] + [_direct(a) for a in names[1:7]]
        return ", ".join(shown) + ", et al."
    if len(names) == 1:
        return _inverted(names[0])
    if len(names) == 2:
        return f"{_inverted(names[0])}, and {_direct(names[1])}"
    rest = [_direct(a) for a in names[1:]]
    return ", ".join([_inverted(names[0])] + rest[:-1]) + ", and " + rest[-1]


def _title(entry: Entry) -> str:
    title = c.require_title(entry)
    return c.inner_quotes(c.title_case(title, "chicago") if c.english(entry) else title)


def _outlet(entry: Entry, m: c.Markup) -> str:
    if not entry.outlet:
        return ""
    # websites are roman, publications with a print or news counterpart italic (CMOS 14.206)
    return m.t(entry.outlet) if entry.kind == "webpage" else m.i(entry.outlet)


def _quoted(title: str, closing: str = ".") -> str:
    return f"“{title}”" if c.ends_with_terminal(title) else f"“{title}{closing}”"


def reference(entry: Entry, snap: Snapshot | None, m: c.Markup) -> str:
    title = _title(entry)
    parts: list[str] = []
    outlet = _outlet(entry, m)
    date = c.date_long(entry.published) if entry.published else None
    if entry.authors:
        parts.append(m.t(c.add_period(author_list(entry.authors))))
        parts.append(m.t(_quoted(title)))
        if outlet:
            parts.append(outlet + (m.t(f", {date}.") if date else "."))
        elif date:
            parts.append(m.t(f"{date}."))
    else:
        # unsigned news: the publication stands in for the author (CMOS 14.207)
        if outlet:
            parts.append(outlet + ".")
        parts.append(m.t(_quoted(title)))
        if date:
            parts.append(m.t(f"{date}."))
    if entry.published is None:
        accessed = c.access_date(entry, snap)
        if entry.modified is not None:
            parts.append(m.t(f"Last modified {c.date_long(entry.modified)}."))
        elif accessed is not None:
            parts.append(m.t(f"Accessed {c.date_long(accessed)}."))
    if entry.url:
        parts.append(m.url(entry.url) + ".")
    arch = c.archive_info(entry, snap)
    if arch.archived_url:
        when = f" {c.date_long(arch.archive_date)}," if arch.archive_date else ""
        parts.append(m.t(f"Archived{when} at ") + m.url(arch.archived_url) + ".")
    return " ".join(parts)


def intext(entry: Entry, snap: Snapshot | None, m: c.Markup) -> str:
    """A short-form note: "Gec and Stojanović, “Short Title.”"."""
    short = c.short_title(_title(entry))
    quoted = _quoted(short)
    authors = entry.authors
    if not authors:
        return m.t(quoted)
    fam = [c.short_name(a) for a in authors]
    if len(fam) == 1:
        who = fam[0]
    elif len(fam) == 2:
        who = f"{fam[0]} and {fam[1]}"
    elif len(fam) == 3:
        who = f"{fam[0]}, {fam[1]}, and {fam[2]}"
    else:
        who = f"{fam[0]} et al."
    return m.t(f"{who}, {quoted}")
