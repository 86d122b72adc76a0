"""What people paste as a date -> ``PartialDate`` (python-dateutil behind one function).

Rules (documented in docs/capture.md, "Dates"):
- ISO forms are read exactly: "2024", "2024-09", "2024-09-04", "2024-09-04T10:32:00Z".
- Free text is read by python-dateutil: "Wednesday, Sept. 4, 2024", "4 September 2024 10:32 CEST",
  "Sept. 2024" (kept as a month), "2024" (kept as a year). A date without a year is an error.
- The zone abbreviations of ``TZ_ABBREVIATIONS`` are understood wherever they stand
  ("2024-09-04 10:32 CEST", "10:32 CEST, 4 September 2024"); ET, CT, MT and PT (US time
  without saying whether summer time applies) follow the US rules for that date; a time
  without a zone stays without one (it is not guessed).
- Dotted numeric dates are day first, as everywhere they are written so: "4.9.2024" is
  4 September 2024. ISO dates stay ISO.
- An ambiguous slashed or dashed date such as 04/09/2024 is read month first (April 9), as in
  the United States and in python-dateutil; ``dayfirst=True`` reads it as 4 September. When either
  number is over 12 there is no ambiguity and the flag does not matter.
- EDTF / BibLaTeX forms (seasons "2012-22", "186X", "2004~", "2004?", "2004%", ranges
  "2004-04/2004-05", "2004/..", years before 1 "-3000") are kept as written, with the nearest
  calendar date beside them (``PartialDate.literal``; see ``PartialDate.from_edtf``).
"""

from __future__ import annotations

import datetime as _dt
import re

from .errors import DateError, InvalidEntry
from .model import PartialDate

_H = 3600
#: Zone abbreviations common in news datelines -> UTC offset in seconds. Where an abbreviation
#: has several meanings the one news in English uses is taken: IST = India (UTC+5:30), not
#: Irish or Israel time; CST = US Central, not China; AST = Atlantic.
TZ_ABBREVIATIONS: dict[str, int] = {
    # Europe
    "UTC": 0, "GMT": 0, "Z": 0, "UT": 0, "WET": 0, "WEST": _H, "BST": _H, "CET": _H,
    "CEST": 2 * _H, "MET": _H, "MEST": 2 * _H, "EET": 2 * _H, "EEST": 3 * _H, "MSK": 3 * _H,
    "MEZ": _H, "MESZ": 2 * _H, "TRT": 3 * _H,
    # Africa, Middle East, Asia, Pacific
    "WAT": _H, "CAT": 2 * _H, "SAST": 2 * _H, "EAT": 3 * _H, "GST": 4 * _H, "PKT": 5 * _H,
    "IST": 5 * _H + 1800, "NPT": 5 * _H + 2700, "ICT": 7 * _H, "WIB": 7 * _H,
    "SGT": 8 * _H, "HKT": 8 * _H, "PHT": 8 * _H, "AWST": 8 * _H, "JST": 9 * _H, "KST": 9 * _H,
    "ACST": 9 * _H + 1800, "ACDT": 10 * _H + 1800,
    "AEST": 10 * _H, "AEDT": 11 * _H, "NZST": 12 * _H, "NZDT": 13 * _H,
    # the Americas
    "NST": -3 * _H - 1800, "NDT": -2 * _H - 1800, "BRT": -3 * _H, "ART": -3 * _H,
    "AST": -4 * _H, "ADT": -3 * _H, "EST": -5 * _H, "EDT": -4 * _H, "CST": -6 * _H, "CDT": -5 * _H,
    "MST": -7 * _H, "MDT": -6 * _H, "PST": -8 * _H, "PDT": -7 * _H, "AKST": -9 * _H,
    "AKDT": -8 * _H, "HST": -10 * _H,
}
#: US zones named without saying whether summer time applies: the offset follows the date.
TZ_REGIONS: dict[str, str] = {"ET": "America/New_York", "CT": "America/Chicago",
                              "MT": "America/Denver", "PT": "America/Los_Angeles"}

_ISO_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_NUMERIC = re.compile(r"^\s*(\d{1,2})([/.\-])(\d{1,2})\2(\d{2,4})\b")
# Two defaults that differ in every component: what changes between them was not in the text.
_D1 = _dt.datetime(2001, 1, 1, 0, 0, 0)
_D2 = _dt.datetime(2002, 2, 2, 1, 1, 1)


def parse_date(text: str, *, dayfirst: bool = False, fuzzy: bool = False) -> PartialDate:
    """Parse a date as people write it. Raises ``DateError`` with a one-line message."""
    if text is None:
        raise DateError("empty date")
    raw = " ".join(str(text).split())
    if not raw:
        raise DateError("empty date")
    if _ISO_DATE.match(raw):
        try:
            return PartialDate.from_iso(raw)
        except InvalidEntry as exc:
            raise DateError(f"invalid date {raw!r}: {exc}") from None
        except Exception:
            raise DateError(f"invalid date {raw!r}") from None
    if _ISO_DATETIME.match(raw):
        try:
            return PartialDate.from_iso(raw)
        except Exception:
            pass  # "2024-09-04 10:32 CEST": a zone name; python-dateutil reads it below
    edtf = PartialDate.from_edtf(raw)
    if edtf is not None:
        return edtf
    from dateutil import parser as du

    cleaned = re.sub(r"\b(Sept)\.?(?=\s|$)", "Sep", raw, flags=re.I)  # dateutil knows Sep, not Sept.
    cleaned = re.sub(r"\b(\d{1,2})(st|nd|rd|th)\b", r"\1", cleaned)
    cleaned = re.sub(r"\bat\b", " ", cleaned, flags=re.I)
    m = _NUMERIC.match(cleaned)
    if m and m.group(2) == ".":
        dayfirst = True  # dotted dates are day first
    if m and (int(m.group(1)) > 12) != (int(m.group(3)) > 12):
        dayfirst = int(m.group(1)) > 12  # unambiguous
    try:
        a = du.parse(cleaned, default=_D1, dayfirst=dayfirst, fuzzy=fuzzy, tzinfos=_zones())
        b = du.parse(cleaned, default=_D2, dayfirst=dayfirst, fuzzy=fuzzy, tzinfos=_zones())
    except (ValueError, OverflowError, TypeError):
        raise DateError(f"cannot understand the date {raw!r} (try YYYY-MM-DD)") from None
    if a.year != b.year:
        raise DateError(f"the date {raw!r} has no year")
    has_month = a.month == b.month
    has_day = has_month and a.day == b.day
    has_time = has_day and a.hour == b.hour  # minutes default to 0 from _D1 ("3pm")
    if not has_month:
        return PartialDate(a.year)
    if not has_day:
        return PartialDate(a.year, a.month)
    try:
        if not has_time:
            return PartialDate(a.year, a.month, a.day)
        return PartialDate.from_datetime(a)
    except InvalidEntry as exc:
        raise DateError(f"invalid date {raw!r}: {exc}") from None


_ZONES: dict[str, object] = {}


def _zones() -> dict[str, object]:
    """The zone table python-dateutil is given: fixed offsets, and the US regional names as
    zoneinfo zones (built once: zoneinfo caches its zones anyway)."""
    if not _ZONES:
        from zoneinfo import ZoneInfo

        _ZONES.update(TZ_ABBREVIATIONS)
        _ZONES.update({name: ZoneInfo(key) for name, key in TZ_REGIONS.items()})
    return _ZONES


def parse_relative_days(text: str, *, today: _dt.date) -> _dt.date:
    """"-30d" -> the date 30 days before ``today`` (used by the query language)."""
    m = re.fullmatch(r"-(\d{1,5})([dwmy])", text.strip())
    if not m:
        raise DateError(f"not a relative date: {text!r} (use e.g. -30d, -2w, -6m, -1y)")
    n, unit = int(m.group(1)), m.group(2)
    days = {"d": 1, "w": 7, "m": 30, "y": 365}[unit] * n
    return today - _dt.timedelta(days=days)
