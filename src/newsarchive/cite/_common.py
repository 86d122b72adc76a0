"""Helpers shared by the citation styles: options, markup, dates, names, titles, archive data.

Everything here is pure (no I/O) and cheap to import.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

from ..errors import CitationError
from ..model import Author, Entry, PartialDate, Snapshot

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
# MLA 9 abbreviates months longer than four letters; May, June and July stay whole.
MLA_MONTHS = ("Jan.", "Feb.", "Mar.", "Apr.", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec.")

MARKUPS = ("text", "html", "markdown")

# kinds whose articles have (or are) a print counterpart: APA "periodical" form
PERIODICAL_KINDS = frozenset({"newspaper", "magazine"})


# --------------------------------------------------------------------------- options

@dataclass(frozen=True)
class Options:
    markup: str = "text"
    intext: bool = False
    ascii: bool = False


# --------------------------------------------------------------------------- markup

class Markup:
    """Renders plain strings and italics for one output markup.

    Styles build citations by concatenating ``m.t(text)`` (escaped text), ``m.i(text)``
    (italics) and ``m.url(url)`` pieces; only this class knows the markup.
    """

    def __init__(self, markup: str = "text", ascii: bool = False):
        if markup not in MARKUPS:
            raise CitationError(f"unknown markup {markup!r} (one of: {', '.join(MARKUPS)})")
        self.markup = markup
        self.ascii = ascii

    def t(self, text: str) -> str:
        if self.markup == "html":
            out = html.escape(text, quote=False)
            if self.ascii:
                out = out.encode("ascii", "xmlcharrefreplace").decode("ascii")
            return out
        if self.markup == "markdown":
            return re.sub(r"([\\`*_\[\]<>])", r"\\\1", text)
        return text

    def i(self, text: str) -> str:
        """Italic text. Nested italics (a title inside an italic title) are not needed here."""
        if not text:
            return ""
        if self.markup == "html":
            return f"<i>{self.t(text)}</i>"
        if self.markup == "markdown":
            # keep the emphasis markers tight around non-space text (CommonMark rule)
            lead = text[: len(text) - len(text.lstrip())]
            trail = text[len(text.rstrip()):]
            return f"{lead}*{self.t(text.strip())}*{trail}"
        return text

    def url(self, url: str) -> str:
        if self.markup == "html":
            return html.escape(url, quote=False)
        if self.markup == "markdown":
            return url.replace("<", "%3C").replace(">", "%3E")
        return url


def check_ascii_allowed(style: str, opts: Options) -> None:
    if opts.ascii and opts.markup != "html":
        raise CitationError(
            f"ascii output is available for bibtex, biblatex, csl-json and html markup, not {style} {opts.markup}"
        )


# --------------------------------------------------------------------------- snapshots and archive

def pick_snapshot(entry: Entry, snapshot: Snapshot | str | None) -> Snapshot | None:
    """The snapshot (version) to cite: the one given, else the newest one, else None.

    ``snapshot`` may be a Snapshot of the entry, or a string: a sha256 (or a unique prefix of at
    least 6 hex digits) or the snapshot's path.
    """
    if snapshot is None:
        return entry.snapshots[-1] if entry.snapshots else None
    if isinstance(snapshot, Snapshot):
        return snapshot
    key = str(snapshot).strip().lower()
    matches = [s for s in entry.snapshots if s.path == snapshot or (len(key) >= 6 and s.sha256.startswith(key))]
    if len(matches) != 1:
        what = "no" if not matches else "more than one"
        raise CitationError(f"{entry.citekey}: {what} snapshot matches {snapshot!r}")
    return matches[0]


def access_date(entry: Entry, snap: Snapshot | None) -> PartialDate | None:
    """Access/retrieval date: the cited snapshot's capture date, else the entry's accessed date."""
    if snap is not None and not capture_time_unknown(snap):
        return snap.captured_at
    return entry.accessed


def capture_time_unknown(snap: Snapshot) -> bool:
    """A snapshot whose recorded capture time is only the import time (a WARC record whose
    WARC-Date could not be read): no citation may present it as when the page was captured."""
    return bool((snap.http or {}).get("capture_time_unknown"))


_ARCHIVE_NAMES = {
    "web.archive.org": "Wayback Machine",
    "wayback.archive.org": "Wayback Machine",
    "archive.org": "Internet Archive",
    "archive.today": "archive.today",
    "archive.ph": "archive.today",
    "archive.is": "archive.today",
    "archive.li": "archive.today",
    "archive.md": "archive.today",
    "perma.cc": "Perma.cc",
    "webcitation.org": "WebCite",
    "www.webcitation.org": "WebCite",
}
_WAYBACK_STAMP = re.compile(r"/web/(\d{4})(\d{2})(\d{2})\d*[a-z_]*/")


@dataclass(frozen=True)
class ArchiveInfo:
    """Where the archived copy of the cited version is: public archive URL and local snapshot."""

    archived_url: str | None
    archive_name: str | None  # "Wayback Machine", "archive.today", ... or the host
    archive_date: PartialDate | None  # date of the public archive capture when the URL tells it
    captured: PartialDate | None  # capture date of the cited local snapshot
    sha256: str | None  # SHA-256 of the cited local snapshot

    def statement(self, *, url_wrap: Callable[[str], str] = lambda u: u, date_fmt: Callable[[PartialDate], str] | None = None) -> str:
        """One neutral sentence for note-like fields: "Archived at URL; snapshot captured
        2024-09-05, SHA-256 abc…". Empty when there is nothing to say."""
        fmt = date_fmt or (lambda d: d.iso()[:10])
        parts = []
        if self.archived_url:
            parts.append(f"Archived at {url_wrap(self.archived_url)}")
        if self.sha256:
            snap = "snapshot"
            if self.captured:
                snap += f" captured {fmt(self.captured)}"
            parts.append(f"{snap}, SHA-256 {self.sha256}")
        return "; ".join(parts)


def archive_info(entry: Entry, snap: Snapshot | None) -> ArchiveInfo:
    url = entry.archived_url
    name = stamp = None
    if url:
        host = (urlsplit(url).hostname or "").lower()
        name = _ARCHIVE_NAMES.get(host) or (host[4:] if host.startswith("www.") else host) or None
        m = _WAYBACK_STAMP.search(url)
        if m:
            try:
                stamp = PartialDate(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except Exception:
                stamp = None
    captured = snap.captured_at if snap else None
    if snap is not None and capture_time_unknown(snap):
        captured = None  # a WARC record whose WARC-Date could not be read: only the import time is known
    return ArchiveInfo(url, name, stamp, captured, snap.sha256 if snap else None)


# --------------------------------------------------------------------------- dates

SEASONS = ("Spring", "Summer", "Autumn", "Winter")


def _year_words(year: int) -> str:
    return f"{-year} BCE" if year < 1 else str(year)


def literal_date(d: PartialDate) -> str | None:
    """How a text citation says an EDTF date (None for a plain date): "ca. 1920" (~ ? %),
    "2004–2005" (a range), "2004–" (an open one), "1860s" (186X), "1800s" (18XX), "Summer 2012"
    (a season), "3000 BCE" (a year before 1)."""
    lit = d.literal
    if lit is None:
        return None
    plain = re.sub(r"[~?%]", "", lit)
    if "/" in plain:
        sides = [PartialDate.from_edtf(x) if x not in ("", "..") else None for x in plain.split("/", 1)]
        a, b = (x if x is None or x.literal is None or "X" in x.literal or x.year < 1
                else PartialDate(x.year, x.month, x.day) for x in sides)

        def words(x: PartialDate | None) -> str:
            if x is None:
                return ""
            return literal_date(x) or date_long(x)

        if a and b and a.year == b.year and a.month and b.month:
            if a.month == b.month and a.day and b.day:
                text = f"{MONTHS[a.month - 1]} {a.day}–{b.day}, {a.year}"
            elif a.day and b.day:
                text = f"{MONTHS[a.month - 1]} {a.day}–{MONTHS[b.month - 1]} {b.day}, {a.year}"
            else:
                text = f"{MONTHS[a.month - 1]}–{MONTHS[b.month - 1]} {a.year}"
        else:
            text = f"{words(a)}–{words(b)}"
    elif "X" in plain:
        digits = plain.lstrip("-")[:4]
        text = digits.replace("X", "0") + "s"
    else:
        m = re.fullmatch(r"-?\d{4}-(2[1-4])", plain)
        text = f"{SEASONS[int(m.group(1)) - 21]} {_year_words(d.year)}" if m else None
        if text is None:
            text = date_long(PartialDate(d.year, d.month, d.day)) if d.year >= 1 else _year_words(d.year)
    return f"ca. {text}" if d.qualifier else text


def date_long(d: PartialDate, *, day_first: bool = False, months=MONTHS) -> str:
    """"September 4, 2024" (US) or "4 September 2024" (day_first); partial dates shorten."""
    if d.literal is not None:
        return literal_date(d) or str(d.year)
    if d.month is None:
        return str(d.year)
    month = months[d.month - 1]
    if d.day is None:
        return f"{month} {d.year}"
    return f"{d.day} {month} {d.year}" if day_first else f"{month} {d.day}, {d.year}"


# --------------------------------------------------------------------------- names

def normalise_suffix(suffix: str) -> str:
    """"Jr" -> "Jr."; roman numerals stay."""
    if suffix.lower() in ("jr", "sr"):
        return suffix + "."
    return suffix


def initials(given: str | None) -> str:
    """APA initials: "Jovana" -> "J.", "Jean-Paul" -> "J.-P.", "Mary Ann" -> "M. A.",
    "J.R.R." and "J. R. R." -> "J. R. R.", "S.A." -> "S. A.", "Ch." stays (a digraph written
    as an abbreviation)."""
    if not given:
        return ""
    # initials written together ("J.R.R.", "S.A.") are separate initials
    given = re.sub(r"\.(?=[^\W\d_])", ". ", given)
    out = []
    for word in given.split():
        pieces = []
        for part in word.split("-"):
            if not part:
                continue
            if part.endswith(".") and len(part) <= 3:  # already an initial ("J.", "Ch.")
                pieces.append(part)
                continue
            letters = [c for c in part if c.isalpha()]
            if not letters:
                continue
            pieces.append(letters[0].upper() + ".")
        if pieces:
            out.append("-".join(pieces))
    return " ".join(out)


def inverted_name(a: Author, *, initialise: bool = False, demote: bool = False) -> str:
    """A name in sort order, by the CSL rules: "von der Leyen, Ursula" (``demote`` False, as
    APA and MLA) or "Leyen, Ursula von der" (``demote`` True, as Chicago), "Goethe, Johann
    Wolfgang von" (a dropping particle follows the given name), "King, Martin Luther, Jr."."""
    if a.literal is not None:
        return a.literal
    given = initials(a.given) if initialise else a.given
    if demote:
        head = a.family or ""
        tail = [given, a.dropping_particle, a.non_dropping_particle]
    else:
        head = a.family_full
        tail = [given, a.dropping_particle]
    rest = " ".join(p for p in tail if p)
    out = head + (f", {rest}" if rest else "")
    if a.suffix:
        out += f", {normalise_suffix(a.suffix)}"
    return out


def direct_name(a: Author, *, suffix_comma: bool = False) -> str:
    """A name in reading order: "Ursula von der Leyen", "Martin Luther King Jr." (with
    ``suffix_comma``: "Martin Luther King, Jr.")."""
    if a.literal is not None:
        return a.literal
    from ..names import family_first

    if family_first(a.family, a.given) and not a.non_dropping_particle:
        out = f"{a.family} {a.given}"  # "Kim Jong Un": family name first, as written
    else:
        out = " ".join(p for p in (a.given, a.dropping_particle, a.non_dropping_particle, a.family) if p)
    if a.suffix:
        out += (", " if suffix_comma else " ") + normalise_suffix(a.suffix)
    return out


def short_name(a: Author) -> str:
    """The name as it stands alone in in-text citations and short notes: the organisation, or
    the family name with its non-dropping particle ("von der Leyen", "Goethe", "King")."""
    return a.family_full


def inner_quotes(text: str) -> str:
    """Quotation marks inside a title that a style sets in double quotation marks become single
    ones (MLA 9 6.39, CMOS 6.11): 'Leader says "no"' -> 'Leader says ‘no’'. A straight quote
    opens after a space or an opening bracket and closes otherwise; apostrophes are left alone."""
    out = []
    for i, ch in enumerate(text):
        if ch == '"':
            before = text[i - 1] if i else " "
            ch = "‘" if before.isspace() or before in "([{‘“-–—/" else "’"
        elif ch == "“":
            ch = "‘"
        elif ch == "”":
            ch = "’"
        out.append(ch)
    return "".join(out)


def ends_with_period(text: str) -> bool:
    return text.rstrip().endswith(".")


def add_period(text: str) -> str:
    """Close an element with a period unless it already ends with . ? or !."""
    text = text.rstrip()
    if not text or text[-1] in ".?!":
        return text
    # a period after a closing quote/bracket that follows ? or ! would still double up
    if text[-1] in "”\"’')]" and len(text) > 1 and text[-2] in ".?!":
        return text
    return text + "."


def ends_with_terminal(text: str) -> bool:
    """Ends with . ? or !, also just inside closing quotation marks ("… ‘Plan.’")."""
    return bool(text) and text.rstrip().rstrip("’”\"'")[-1:] in (".", "?", "!")


# --------------------------------------------------------------------------- titles

_MINOR_WORDS_APA = {
    "a", "an", "the", "and", "but", "or", "nor", "for", "so", "yet",
    "as", "at", "by", "in", "of", "off", "on", "per", "to", "up", "via", "vs", "vs.",
}
# Chicago (CMOS 8.159) lowercases all prepositions; MLA too (MLA 9, 1.2.1). A practical list:
_PREPOSITIONS = {
    "about", "above", "across", "after", "against", "along", "amid", "among", "around", "as", "at",
    "before", "behind", "below", "beneath", "beside", "besides", "between", "beyond", "by", "despite",
    "down", "during", "except", "for", "from", "in", "inside", "into", "like", "near", "of", "off",
    "on", "onto", "out", "outside", "over", "past", "per", "since", "through", "throughout", "till",
    "to", "toward", "towards", "under", "underneath", "until", "unto", "up", "upon", "via", "with",
    "within", "without", "vs", "vs.",
}
_MINOR_WORDS_CMOS = {"a", "an", "the", "and", "but", "or", "nor", "for", "so", "yet", "as"} | _PREPOSITIONS

_WORD_SPLIT = re.compile(r"(\s+)")


def title_case(title: str, style: str) -> str:
    """Headline-style capitalisation for English titles (APA, MLA, Chicago rules).

    Only lower-case words are changed (capitalised); words with any capital letter, digit or
    symbol-only content (acronyms, "iPhone", "eBay", "US-sanctioned") are left as written, so a
    title already in title case or with proper nouns is never damaged. Minor words stay lower
    case except as the first or last word or after a colon, dash or end punctuation.
    """
    minor = _MINOR_WORDS_APA if style == "apa" else _MINOR_WORDS_CMOS
    tokens = _WORD_SPLIT.split(title)
    words = [i for i, tok in enumerate(tokens) if tok and not tok.isspace()]
    out = list(tokens)
    force_next = True
    for n, idx in enumerate(words):
        tok = tokens[idx]
        is_last = n == len(words) - 1
        out[idx] = _case_word(tok, minor, force=force_next or is_last)
        force_next = tok[-1:] in (":", "?", "!", ".", "—", "–") or tok in ("-", "—", "–")
    return "".join(out)


def _case_word(tok: str, minor: set[str], force: bool) -> str:
    # leading punctuation (quotes, brackets) is kept aside
    m = re.match(r"^([^\w]*)(.*?)([^\w]*)$", tok, re.UNICODE)
    if not m:
        return tok
    lead, core, trail = m.groups()
    if not core or "://" in core or "@" in core:
        return tok
    parts = core.split("-")
    new = []
    for j, part in enumerate(parts):
        if not part or any(c.isupper() or c.isdigit() for c in part) or not part[0].isalpha():
            new.append(part)
            continue
        lower = part.lower()
        if j == 0 and not force and lower in minor:
            new.append(part)
        elif j > 0 and len(part) <= 2 and lower in minor:  # "Out-of-the-Way": keep short minors
            new.append(part)
        else:
            new.append(part[0].upper() + part[1:])
    return lead + "-".join(new) + trail


def english(entry: Entry) -> bool:
    lang = (entry.language or "en").lower()
    return lang == "en" or lang.startswith(("en-", "en_", "english"))


def short_title(title: str, words: int = 4) -> str:
    """A shortened title for in-text citations and short notes: the part before a colon, at
    most ``words`` words (the whole title when short), trailing punctuation removed except ? !."""
    main = re.split(r":\s", title, maxsplit=1)[0]
    tokens = main.split()
    short = " ".join(tokens[:words])
    shortened = len(tokens) > words or main != title
    short = short.rstrip(",;:—–-")
    if shortened:
        # do not end a shortened title on a minor word ("Says He", "Meets in the")
        kept = short.split()
        while len(kept) > 1 and kept[-1].lower().strip(",;:") in _TRAILING_MINOR:
            kept.pop()
        short = " ".join(kept).rstrip(".?!,;:—–-")
    return short


_TRAILING_MINOR = _MINOR_WORDS_CMOS | {"he", "she", "it", "they", "we", "i", "you", "his", "her", "its", "their",
                                       "is", "are", "was", "were", "be", "will", "would", "says", "said", "not"}


def mla_url(url: str) -> str:
    """MLA 9 recommends giving URLs without the protocol."""
    return re.sub(r"^https?://", "", url)


def author_key(entry: Entry) -> str:
    """A sort key for reference lists: first author's family name or literal, else title."""
    if entry.authors:
        a = entry.authors[0]
        return (a.literal or f"{a.family_full} {a.given or ''}").casefold()
    return (entry.title or "").casefold()


UNTITLED = "[Untitled]"  # what prose styles show for an entry without a title (APA 9.22 brackets)


def require_title(entry: Entry) -> str:
    """The title to show in a prose citation; an untitled entry is cited with what exists and a
    bracketed placeholder (the export names it as incomplete, see :func:`missing`)."""
    if not entry.title or not entry.title.strip():
        return UNTITLED
    return " ".join(entry.title.split())


def missing(entry: Entry) -> list[str]:
    """What a citation of this entry lacks (each becomes an "incomplete" line): ["no title"]."""
    out = []
    if not entry.title or not entry.title.strip():
        out.append("no title")
    return out


def same_name(a: Author, outlet: str | None) -> bool:
    return bool(a.literal and outlet and a.literal.casefold().strip() == outlet.casefold().strip())


_DOI = re.compile(r"(10\.\d{4,9}/\S+)")


def doi_url(value: str | None) -> str | None:
    """A DOI as people write it ("10.1000/xyz", "doi:10.1000/xyz", a doi.org link) -> its
    https://doi.org/ URL, used as the entry's URL when a citation has a DOI but no URL."""
    if not value:
        return None
    m = _DOI.search(str(value).strip())
    return f"https://doi.org/{m.group(1).rstrip('.,;')}" if m else None
