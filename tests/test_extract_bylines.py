"""Byline cleaning: real-looking bylines (invented names) -> authors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsarchive.extract.bylines import clean_byline, clean_bylines, titlecase_name


def P(given_name: str, family: str) -> dict:
    return {"family": family, "given": given_name}


def L(name: str) -> dict:
    return {"literal": name}


CASES = [
    ("By JOVANA GEC Updated 10:32 AM EDT, September 4, 2024", [P("Jovana", "Gec")]),
    ("Jovana Gec and Dušan Stojanović", [P("Jovana", "Gec"), P("Dušan", "Stojanović")]),
    ("By Anna Berg, Mark Osei and Carla Díaz", [P("Anna", "Berg"), P("Mark", "Osei"), P("Carla", "Díaz")]),
    ("Anna Berg & Mark Osei", [P("Anna", "Berg"), P("Mark", "Osei")]),
    ("By The Associated Press", [L("The Associated Press")]),
    ("Associated Press", [L("Associated Press")]),
    ("Reuters", [L("Reuters")]),
    ("AP staff", [L("AP staff")]),
    ("BBC News", [L("BBC News")]),
    ("By Anna Berg, Reuters", [P("Anna", "Berg")]),
    ("Anna Berg, Staff Writer", [P("Anna", "Berg")]),
    ("Anna Berg, Senior Political Correspondent", [P("Anna", "Berg")]),
    ("By ANNA BERG and MARK OSEI - AP Technology Writers", [P("Anna", "Berg"), P("Mark", "Osei")]),
    ("Gec, Jovana", [P("Jovana", "Gec")]),
    ("Follow Anna Berg on Twitter", []),
    ("Twitter", []),
    ("Email", []),
    ("https://www.facebook.com/annaberg", []),
    ("By Anna Berg @annaberg", [P("Anna", "Berg")]),
    ("By Anna Berg | Published September 4, 2024", [P("Anna", "Berg")]),
    ("Anna Berg 2 hours ago", [P("Anna", "Berg")]),
    ("Reporting by Anna Berg in Belgrade; Editing by Mark Osei", [P("Anna", "Berg")]),
    ("By SEAN O'NEILL and MARY MCDONALD", [P("Sean", "O'Neill"), P("Mary", "McDonald")]),
    ("JEAN-PAUL MARTIN", [P("Jean-Paul", "Martin")]),
    ("Von Anna Müller und Peter Schmidt", [P("Anna", "Müller"), P("Peter", "Schmidt")]),
    ("Par Claire Dubois et Marc Lefèvre", [P("Claire", "Dubois"), P("Marc", "Lefèvre")]),
    ("Lauren del Valle", [{"family": "Valle", "given": "Lauren", "non_dropping_particle": "del"}]),
    ("By Anna Berg and Anna Berg", [P("Anna", "Berg")]),
    ("Anna Berg, CNN Legal Analyst", [P("Anna", "Berg")]),
    ("LAURE BRETTON Envoyée spéciale à Lyon", [P("Laure", "Bretton")]),
    ("samplenews.example", [L("samplenews.example")]),
    ("By Anna Berg (Sample Times)", [P("Anna", "Berg")]),
    ("Posted by Mark Osei on Monday, March 3", [P("Mark", "Osei")]),
    ("Anna Berg 2024-09-04", [P("Anna", "Berg")]),
    ("", []),
    ("By", []),
]


@pytest.mark.parametrize("byline, expected", CASES)
def test_clean_byline(byline, expected):
    assert [a.to_json() for a in clean_byline(byline)] == expected


def test_clean_bylines_dedupes_across_sources():
    out = clean_bylines(["By ANNA BERG", "Anna Berg", "Mark Osei"])
    assert [a.display for a in out] == ["Anna Berg", "Mark Osei"]


@pytest.mark.parametrize("raw, expected", [
    ("JOVANA GEC", "Jovana Gec"),
    ("Jovana Gec", "Jovana Gec"),
    ("URSULA VON DER LEYEN", "Ursula von der Leyen"),
    ("J.R. SMITH", "J.R. Smith"),
    ("BBC", "BBC"),
])
def test_titlecase_name(raw, expected):
    assert titlecase_name(raw) == expected


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120))
def test_clean_byline_never_raises(text):
    for author in clean_byline(text):
        assert author.display.strip()
