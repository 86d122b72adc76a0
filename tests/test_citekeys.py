"""Citekey patterns (citekeys.py) and the collection's citekey.pattern setting."""

import json

import pytest
from hypothesis import given, settings as hsettings, strategies as stt

from newsarchive import citekeys
from newsarchive.errors import UsageError
from newsarchive.normalize import citekey_base

SAMPLE = {"title": "The Serbian Election: results are in", "published": "2024-05-01",
          "authors": [{"family": "Leyen", "non_dropping_particle": "von der", "given": "Ursula"},
                      {"family": "Gec", "given": "Jovana"}], "outlet": "AP News", "kind": "news website"}


@pytest.mark.parametrize("pattern, key", [
    ("[auth:lower][year][veryshorttitle:lower]", "vonderleyen2024serbian"),
    ("[auth][year]", "vonderLeyen2024"),
    ("[auth:capitalize]_[year]", "VonderLeyen_2024"),
    ("[authors:lower][year]", "vonderleyengec2024"),
    ("[auth:lower:5][year][shorttitle:lower]", "vonde2024serbianelectionresults"),
    ("[shorttitle:capitalize]", "SerbianElectionResults"),
    ("[outlet:lower]-[year]", "apnews-2024"),
    ("news:[auth:upper:3][year]", "news:VON2024"),
])
def test_patterns(pattern, key):
    assert citekeys.make(pattern, SAMPLE) == key


def test_fallbacks_when_fields_are_missing():
    assert citekeys.make("[auth:lower][year]", {"title": "x"}) == "anonnd"
    assert citekeys.make("[auth:lower][year]", {"outlet": "Sample Wire", "published": "2020"}) == "samplewire2020"
    assert citekeys.make("[authors][year]", {"authors": [{"family": n} for n in "ABCD"]}) == "ABCEtAlnd"


@pytest.mark.parametrize("pattern, word", [
    ("[author][year]", "unknown citekey field"), ("[auth:shout]", "unknown citekey modifier"),
    ("[auth", "unbalanced"), ("keyonly", r"no \[field\]"), ("[auth] [year]", "characters a citekey cannot hold"),
    ("", "non-empty"),
])
def test_bad_patterns_are_refused(pattern, word):
    with pytest.raises(UsageError, match=word):
        citekeys.parse(pattern)


name = stt.text(stt.characters(codec="utf-8", categories=("L", "N", "Zs", "P")), max_size=20)


@hsettings(max_examples=150, deadline=None)
@given(title=name, family=name, outlet=name, year=stt.sampled_from([None, "2024", "1999-05", "2001-02-03"]))
def test_the_default_pattern_is_the_old_key_byte_for_byte(title, family, outlet, year):
    fields = {"title": title, "authors": [{"family": family}] if family.strip() else [], "outlet": outlet}
    if year:
        fields["published"] = year
    assert citekeys.base(citekeys.DEFAULT_PATTERN, fields) == citekey_base(fields)
    made = citekeys.make(citekeys.DEFAULT_PATTERN, fields)  # the formula agrees with the old code too
    assert made == citekey_base(fields)


def test_new_entries_use_the_pattern_and_existing_keys_never_change(cli, root):
    first = json.loads(cli("add", "--title", "Copper prices rise (SAMPLE)", "--author", "Jovana Gec",
                           "--published", "2024", "--format", "json").stdout)["entry"]
    assert first["citekey"] == "gec2024copper"
    r = cli("config", "--set", "citekey.pattern=[auth:capitalize][year][shorttitle:capitalize]")
    assert r.exit_code == 0, r.output
    second = json.loads(cli("add", "--title", "Wheat prices fall (SAMPLE)", "--author", "Jovana Gec",
                            "--published", "2024", "--format", "json").stdout)["entry"]
    assert second["citekey"] == "Gec2024WheatPricesFall"
    again = json.loads(cli("add", "--title", "Wheat prices fall (SAMPLE) again", "--author", "Jovana Gec",
                           "--published", "2024", "--format", "json").stdout)["entry"]
    assert again["citekey"] == "Gec2024WheatPricesFalla"  # unique as always
    assert json.loads(cli("show", first["id"], "-f", "json").stdout)["citekey"] == "gec2024copper"
    given_key = json.loads(cli("add", "--title", "SAMPLE mine", "--citekey", "mykey", "--format", "json").stdout)
    assert given_key["entry"]["citekey"] == "mykey"


def test_a_bad_pattern_in_the_file_stops_add_with_one_line(cli, root):
    (root / "newsarchive.toml").write_text('[citekey]\npattern = "[author]"\n', "utf-8")
    r = cli("add", "--title", "SAMPLE x")
    assert r.exit_code == 1 and "citekey.pattern" in r.stderr and len(r.stderr.splitlines()) == 1
