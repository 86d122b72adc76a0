"""Calendar dates that may be partial ("2024", "2024-09") or EDTF-shaped ("2004~", "186X").

Split out of model.py; ``newsarchive.model`` re-exports ``PartialDate`` and ``now_utc``.
"""

from __future__ import annotations

import datetime as _dt
import re
import time
from dataclasses import dataclass

from .errors import InvalidEntry

_ISO_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@dataclass(frozen=True, slots=True)
class PartialDate:
    """A calendar date that may be partial (year, year-month) or a full datetime.

    ``moment`` is set only for full timestamps; it carries its time zone when one was given.
    """

    year: int
    month: int | None = None
    day: int | None = None
    moment: _dt.datetime | None = None
    #: the EDTF / BibLaTeX form as written ("2012-22", "186X", "2004~", "2004-04/2004-05"), when
    #: year/month/day are only its nearest calendar date; None for plain dates
    literal: str | None = None

    def __post_init__(self) -> None:
        if self.literal is not None and -9999 <= self.year <= 0:
            pass  # "-3000": only as an EDTF literal
        elif not 1 <= self.year <= 9999:
            raise InvalidEntry(f"year out of range: {self.year}")
        if self.day is not None and self.month is None:
            raise InvalidEntry("a day needs a month")
        if self.month is not None and not 1 <= self.month <= 12:
            raise InvalidEntry(f"month out of range: {self.month}")
        if self.day is not None:
            try:
                _dt.date(self.year, self.month or 1, self.day)
            except ValueError as exc:
                raise InvalidEntry(f"invalid date: {exc}") from None
        if self.moment is not None:
            m = self.moment
            try:  # every layer sorts and compares in UTC: the moment must exist there too
                offset = m.utcoffset()
                if offset is not None:
                    m.astimezone(_dt.timezone.utc)
            except (OverflowError, ValueError):
                raise InvalidEntry(f"date out of range: {m.isoformat()} falls outside the years "
                                   f"1-9999 in UTC") from None

    # construction --------------------------------------------------------
    @classmethod
    def from_datetime(cls, moment: _dt.datetime) -> "PartialDate":
        return cls(moment.year, moment.month, moment.day, moment)

    @classmethod
    def from_date(cls, day: _dt.date) -> "PartialDate":
        return cls(day.year, day.month, day.day)

    @classmethod
    def from_iso(cls, text: str) -> "PartialDate":
        """Parse the ISO forms this model writes (and any ISO 8601 datetime)."""
        text = str(text).strip()
        m = _ISO_PARTIAL.match(text)
        if m:
            year, month, day = (int(g) if g else None for g in m.groups())
            if month is not None and 21 <= month <= 24 and day is None:
                return cls.from_edtf(text)  # a season: "2012-22" is summer 2012
            return cls(year, month, day)  # type: ignore[arg-type]
        try:
            moment = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            found = cls.from_edtf(text)
            if found is None:
                raise InvalidEntry(f"not an ISO 8601 date: {text!r}") from None
            return found
        return cls.from_datetime(moment)

    @classmethod
    def from_edtf(cls, text: str) -> "PartialDate | None":
        """An EDTF (ISO 8601-2, levels 0-1) or BibLaTeX date that a calendar date cannot hold:
        seasons ("2012-22"), unspecified digits ("186X", "2004-06-XX"), approximate "~",
        uncertain "?", both "%", ranges ("2004-04/2004-05", "2004/..", "../2004", "1988/") and
        years before 1 ("-3000"). Returns the nearest calendar date (the start of a range, the
        first year of "186X", the year of a season) with ``literal`` set to ``text``; None when
        ``text`` is not such a form."""
        text = str(text).strip()
        if not _EDTF_SHAPE.match(text):
            return None
        parts = text.split("/")
        if len(parts) > 2:
            return None
        sides = [p for p in parts if p not in ("", "..")]
        if not sides:
            return None
        nearest = None
        for side in sides:  # each side must be a date; the nearest is the first one
            one = _edtf_side(side)
            if one is None:
                return None
            nearest = nearest or one
        year, month, day = nearest
        try:
            out = cls(year, month, day, literal=text)
        except InvalidEntry:
            return None
        if out.iso() == text and year >= 1:
            return cls(year, month, day)  # a plain date after all
        return out

    @property
    def qualifier(self) -> str | None:
        """"approximate" (~), "uncertain" (?), "approximate and uncertain" (%), or None."""
        lit = self.literal or ""
        if "%" in lit or ("~" in lit and "?" in lit):
            return "approximate and uncertain"
        if "~" in lit:
            return "approximate"
        if "?" in lit:
            return "uncertain"
        return None

    @property
    def is_range(self) -> bool:
        return "/" in (self.literal or "")

    def edtf(self) -> str:
        """The form to store and re-export: the literal as written, else :meth:`iso`."""
        return self.literal if self.literal is not None else self.iso()

    # views ---------------------------------------------------------------
    @property
    def precision(self) -> str:
        if self.moment is not None:
            return "datetime"
        if self.day is not None:
            return "day"
        if self.month is not None:
            return "month"
        return "year"

    def iso(self) -> str:
        """The calendar date (the nearest one, for an EDTF literal) in ISO 8601."""
        if self.moment is not None:
            return self.moment.isoformat()
        out = f"{self.year:05d}" if self.year < 0 else f"{self.year:04d}"
        if self.month is not None:
            out += f"-{self.month:02d}"
        if self.day is not None:
            out += f"-{self.day:02d}"
        return out

    def as_date(self) -> _dt.date:
        """The first day the value covers (for sorting and ranges); years before 1 sort as 1."""
        if self.year < 1:
            return _dt.date(1, 1, 1)
        return _dt.date(self.year, self.month or 1, self.day or 1)

    def sort_key(self) -> str:
        """A string that sorts chronologically (UTC for datetimes with a zone)."""
        if self.moment is not None:
            m = self.moment
            if m.tzinfo is not None:
                m = m.astimezone(_dt.timezone.utc).replace(tzinfo=None)
            # not strftime("%Y"): it does not pad years before 1000 on every platform
            return f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}"
        return self.as_date().isoformat()

    def __str__(self) -> str:
        return self.edtf()


_EDTF_SHAPE = re.compile(r"^[0-9X\-~?%/.]{1,40}$")
_EDTF_SIDE = re.compile(r"^[~?%]?(-?)([0-9X]{4})[~?%]?(?:-[~?%]?([0-9X]{2})[~?%]?(?:-[~?%]?([0-9X]{2}))?)?[~?%]?$")


def _edtf_side(text: str) -> tuple[int, int | None, int | None] | None:
    """One date of an EDTF value -> (year, month, day), the month and day None where they are
    absent, unspecified (XX) or a season (21-24); the checks of the ``edtf`` library decide
    what is valid."""
    m = _EDTF_SIDE.match(text)
    if not m:
        return None
    try:
        from edtf import parse_edtf

        parse_edtf(text)
    except Exception:  # noqa: BLE001 - the library raises several kinds for invalid input
        return None
    sign, y, mo, d = m.groups()
    if y[0] == "X":  # "XXXX", "X999": no year to sort by
        return None
    year = int(y.replace("X", "0")) * (-1 if sign else 1)
    month = int(mo) if mo and "X" not in mo and int(mo) <= 12 else None
    day = int(d) if month and d and "X" not in d else None
    return year, month, day


def now_utc() -> PartialDate:
    return PartialDate.from_datetime(_dt.datetime.now(_dt.timezone.utc).replace(microsecond=0))


class UtcClock:
    """:func:`now_utc` for a run of records: within one second every call gives the value (and
    ISO string) made by the first, as :func:`now_utc` would have given it (it keeps whole
    seconds), without building a date for each record."""

    __slots__ = ("_second", "_now", "_iso")

    def __init__(self) -> None:
        self._second: int | None = None
        self._now: PartialDate | None = None
        self._iso = ""

    def _tick(self) -> None:
        second = int(time.time())
        if second != self._second:
            moment = _dt.datetime.fromtimestamp(second, _dt.timezone.utc)
            self._now, self._iso, self._second = PartialDate.from_datetime(moment), moment.isoformat(), second

    def now(self) -> PartialDate:
        self._tick()
        return self._now  # type: ignore[return-value]

    def iso(self) -> str:
        """``now().iso()``."""
        self._tick()
        return self._iso
