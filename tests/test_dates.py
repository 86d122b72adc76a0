"""Date parsing: what people paste -> full or partial dates (table-driven)."""

import datetime as dt

import pytest

from newsarchive.dates import parse_date, parse_relative_days
from newsarchive.errors import DateError

CASES = [
    ("Wednesday, Sept. 4, 2024", False, "2024-09-04"),
    ("Sept. 4, 2024", False, "2024-09-04"),
    ("4 September 2024 10:32 CEST", False, "2024-09-04T10:32:00+02:00"),
    ("2024-09-04T10:32:00Z", False, "2024-09-04T10:32:00+00:00"),
    ("2024-09-04T10:32:00+02:00", False, "2024-09-04T10:32:00+02:00"),
    ("2024-09-04 10:32", False, "2024-09-04T10:32:00"),  # no zone given: none invented
    ("Sept. 2024", False, "2024-09"),
    ("September 2024", False, "2024-09"),
    ("2024-09", False, "2024-09"),
    ("2024", False, "2024"),
    ("Sep 4th 2024 at 3pm EDT", False, "2024-09-04T15:00:00-04:00"),
    ("04/09/2024", False, "2024-04-09"),  # ambiguous: month first by default
    ("04/09/2024", True, "2024-09-04"),  # --dayfirst
    ("13/09/2024", False, "2024-09-13"),  # unambiguous whatever the flag
    ("09/13/2024", True, "2024-09-13"),
    ("Thu, 05 Sep 2024 08:00:00 GMT", False, "2024-09-05T08:00:00+00:00"),
    ("  4   September   2024 ", False, "2024-09-04"),
]


@pytest.mark.parametrize("text,dayfirst,expected", CASES)
def test_parse_date(text, dayfirst, expected):
    assert parse_date(text, dayfirst=dayfirst).iso() == expected


@pytest.mark.parametrize("text,precision", [("2024", "year"), ("Sept. 2024", "month"),
                                            ("Sept. 4, 2024", "day"), ("2024-09-04T10:00Z", "datetime")])
def test_partial_dates_keep_their_precision(text, precision):
    assert parse_date(text).precision == precision


@pytest.mark.parametrize("text,message", [
    ("", "empty date"),
    ("garbage", "cannot understand"),
    ("Sept 4", "no year"),
    ("2024-13-01", "invalid date"),
    ("2024-02-30", "invalid date"),
])
def test_bad_dates_are_clear_errors(text, message):
    with pytest.raises(DateError, match=message):
        parse_date(text)


def test_relative_days():
    today = dt.date(2024, 9, 30)
    assert parse_relative_days("-30d", today=today) == dt.date(2024, 8, 31)
    assert parse_relative_days("-2w", today=today) == dt.date(2024, 9, 16)
    with pytest.raises(DateError):
        parse_relative_days("30d", today=today)
