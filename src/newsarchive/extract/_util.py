"""Small helpers shared by the HTML and text extractors (no heavy imports)."""

from __future__ import annotations

import datetime as _dt
import re
from urllib.parse import urlsplit

from ..dates import parse_date
from ..errors import DateError
from ..model import PartialDate

_HOST_PREFIXES = ("www.", "www2.", "m.", "mobile.", "amp.")


def readable_domain(host_or_url: str) -> str:
    """"https://www.apnews.com/x" -> "apnews.com" (the outlet when a page names none)."""
    host = urlsplit(host_or_url).hostname if "//" in host_or_url else host_or_url
    host = (host or host_or_url).lower().rstrip(".")
    for prefix in _HOST_PREFIXES:
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix):]
            break
    return host


def normalise_language(value: object) -> str | None:
    """"en_US" -> "en-US", "EN" -> "en"; None for anything that is not a language tag."""
    if not isinstance(value, str):
        return None
    tag = value.strip().replace("_", "-")
    if not re.fullmatch(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*", tag):
        return None
    parts = tag.split("-")
    out = [parts[0].lower()]
    for p in parts[1:]:
        out.append(p.upper() if len(p) == 2 else (p.title() if len(p) == 4 else p.lower()))
    return "-".join(out)


_UNIX = re.compile(r"^\d{9,13}$")
_MIN_YEAR = 1800


def to_date(value: object, *, dayfirst: bool = False, fuzzy: bool = False) -> PartialDate | None:
    """A date as pages give it (ISO, free text, Unix seconds or milliseconds) -> PartialDate."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) or (isinstance(value, str) and _UNIX.match(value.strip())):
        number = float(value)
        if number > 1e11:  # milliseconds
            number /= 1000
        try:
            moment = _dt.datetime.fromtimestamp(number, _dt.timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
        return _sane(PartialDate.from_datetime(moment))
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    if not text or len(text) > 120:
        return None
    for fz in ((False, True) if fuzzy else (False,)):
        try:
            return _sane(parse_date(text, dayfirst=dayfirst, fuzzy=fz))
        except (DateError, ValueError, OverflowError, TypeError):
            continue
        except Exception:  # a malformed value must never break extraction
            return None
    return None


def _sane(date: PartialDate) -> PartialDate | None:
    this_year = _dt.date.today().year
    if not _MIN_YEAR <= date.year <= this_year + 1:
        return None
    return date


_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-]?(0[1-9]|1[0-2])[/-]?(0[1-9]|[12]\d|3[01])(?:/|[-_]|$)")
_URL_DATE_LOOSE = re.compile(r"/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})/")


def date_from_url(url: str | None) -> PartialDate | None:
    """"/2023/11/06/politics/..." or "/20231106/" -> 2023-11-06 (day precision)."""
    if not url:
        return None
    path = urlsplit(url).path
    for pattern in (_URL_DATE, _URL_DATE_LOOSE):
        m = pattern.search(path)
        if m:
            try:
                return _sane(PartialDate(int(m.group(1)), int(m.group(2)), int(m.group(3))))
            except Exception:
                continue
    return None
