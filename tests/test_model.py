"""The entry model: names, dates, validation and the public JSON round trip."""

import pytest

from newsarchive.errors import InvalidEntry
from newsarchive.model import Author, Entry, PartialDate, Snapshot, check_relative_path, parse_name

NAMES = [
    ("Jovana Gec", {"family": "Gec", "given": "Jovana"}),
    ("Gec, Jovana", {"family": "Gec", "given": "Jovana"}),
    ("Dušan Stojanović", {"family": "Stojanović", "given": "Dušan"}),
    ("Ursula von der Leyen", {"family": "Leyen", "given": "Ursula", "non_dropping_particle": "von der"}),
    ("Jean-Paul Sartre", {"family": "Sartre", "given": "Jean-Paul"}),
    ("Martin Luther King Jr.", {"family": "King", "given": "Martin Luther", "suffix": "Jr."}),
    ("Associated Press", {"literal": "Associated Press"}),
    ("Reuters", {"literal": "Reuters"}),
    ("{Foo Bar}", {"literal": "Foo Bar"}),
    ("AP staff", {"literal": "AP staff"}),
    ("BBC News", {"literal": "BBC News"}),
]


@pytest.mark.parametrize("text,expected", NAMES)
def test_parse_name(text, expected):
    assert parse_name(text).to_json() == expected


def test_author_is_person_or_literal():
    with pytest.raises(InvalidEntry):
        Author(family="A", literal="B")
    with pytest.raises(InvalidEntry):
        Author(given="Only")
    with pytest.raises(InvalidEntry):
        Author.from_json({"family": "X", "middle": "Y"})


def test_partial_date_iso_round_trip():
    for text in ("2024", "2024-09", "2024-09-04", "2024-09-04T10:32:00+02:00"):
        assert PartialDate.from_iso(text).iso() == text
    with pytest.raises(InvalidEntry):
        PartialDate(2024, None, 3)


def test_sort_key_orders_partial_and_zoned_dates():
    a = PartialDate.from_iso("2024-09-04T10:00:00+02:00")  # 08:00 UTC
    b = PartialDate.from_iso("2024-09-04T09:00:00+00:00")
    assert a.sort_key() < b.sort_key()
    assert PartialDate.from_iso("2024-09").sort_key() < PartialDate.from_iso("2024-09-02").sort_key()


SNAP = {"path": "v1/original.txt", "media_type": "text/plain", "size": 3, "sha256": "a" * 64,
        "captured_at": "2024-09-05T08:00:00+00:00", "source": "x.txt"}


def full_json():
    return {
        "id": "abcd1234", "citekey": "gec2024serbia", "title": "T", "authors": [{"family": "Gec", "given": "Jovana"},
                                                                             {"literal": "Associated Press"}],
        "outlet": "AP News", "kind": "news agency", "published": "2024-09", "modified": None,
        "accessed": "2024-09-05", "url": "https://example.org/a", "archived_url": None, "section": "World",
        "pages": None, "language": "en", "tags": ["serbia"], "notes": None, "designed_to_change": False,
        "snapshots": [SNAP], "provenance": {"title": "user"},
    }


def test_entry_json_round_trip_is_exact():
    data = full_json()
    assert Entry.from_json(data).to_json() == data


@pytest.mark.parametrize("change,message", [
    ({"id": "../etc"}, "invalid id"),
    ({"citekey": "has space"}, "invalid citekey"),
    ({"kind": "tabloid"}, "unknown kind"),
    ({"titel": "typo"}, "unknown key"),
    ({"published": "Sept 4"}, "not an ISO 8601 date"),
    ({"tags": "serbia"}, "tags must be a list"),
    ({"snapshots": [{**SNAP, "path": "../../etc/passwd"}]}, "inside its folder"),
    ({"snapshots": [{**SNAP, "path": "/etc/passwd"}]}, "relative"),
    ({"snapshots": [{**SNAP, "sha256": "xyz"}]}, "64 hex"),
])
def test_entry_validation(change, message):
    with pytest.raises(InvalidEntry, match=message):
        Entry.from_json({**full_json(), **change})


def test_entry_is_frozen():
    e = Entry.from_json(full_json())
    with pytest.raises(AttributeError):
        e.title = "x"  # type: ignore[misc]
    assert e.snapshot == Snapshot.from_json(SNAP)


@pytest.mark.parametrize("path", ["a/../../b", "", "C:/x", "a//b", "./a"])
def test_relative_paths_cannot_escape(path):
    with pytest.raises(InvalidEntry):
        check_relative_path(path)
