"""Field normalisation and citation keys."""

import pytest

from newsarchive.errors import DateError, InvalidEntry, UsageError
from newsarchive.normalize import citekey_base, normalise_fields, unique_citekey


def test_normalise_fields_from_cli_strings():
    out = normalise_fields({"title": "  A   title ", "authors": ["Jovana Gec and Dušan Stojanović"],
                            "published": "Wednesday, Sept. 4, 2024", "tags": ["Serbia", "russia, Serbia"],
                            "kind": "News Agency", "url": "https://apnews.com/x"})
    assert out == {"title": "A title", "authors": [{"family": "Gec", "given": "Jovana"},
                                                  {"family": "Stojanović", "given": "Dušan"}],
                   "published": "2024-09-04", "tags": ["serbia", "russia"], "kind": "news agency",
                   "url": "https://apnews.com/x"}


@pytest.mark.parametrize("raw,error", [
    ({"titel": "x"}, UsageError),
    ({"published": "someday"}, DateError),
    ({"url": "javascript:alert(1)"}, InvalidEntry),
    ({"kind": "tabloid"}, InvalidEntry),
    ({"language": "english!"}, InvalidEntry),
])
def test_bad_values(raw, error):
    with pytest.raises(error):
        normalise_fields(raw)


@pytest.mark.parametrize("fields,key", [
    ({"authors": [{"literal": "Associated Press"}], "published": "2024-09-04",
      "title": "US-sanctioned Serbia official meets Putin"}, "associatedpress2024ussanctioned"),
    ({"authors": [{"family": "Stojanović", "given": "Dušan"}], "published": "2024",
      "title": "The Vučić question"}, "stojanovic2024vucic"),
    ({"outlet": "AP News", "title": "A day"}, "apnews" + "nd" + "day"),
    ({"title": "Ära"}, "anonndara"),
])
def test_citekey_base(fields, key):
    assert citekey_base(fields) == key


def test_unique_citekey_with_known_taken_suffixes_gives_the_first_free_one():
    """Remembering how many suffixes of a base are taken changes no key: each is still the first
    free one, also when a key handed out was not taken after all, or when other keys of the
    base were taken in between."""
    import random

    rng = random.Random(5)
    taken = {"k", "kb", "kc", "ke", "kz", "kab"}
    known: dict[str, int] = {}
    for step in range(200):
        base = rng.choice(["k", "k", "k", "m"])
        got = unique_citekey(base, taken, known_taken=known)
        assert got == unique_citekey(base, taken)
        if rng.random() < 0.8:  # the record was written; else it failed and its key stays free
            taken.add(got)
        if rng.random() < 0.1:  # another key of the base, taken without asking
            taken.add("k" + chr(ord("a") + rng.randrange(26)) * rng.randint(1, 2))
    assert known["k"] > 26  # past z: aa, ab, ...


def test_unique_citekey_suffixes():
    taken = {"k", "ka", "kb"}
    assert unique_citekey("k", taken) == "kc"
    assert unique_citekey("new", taken) == "new"
    many = {"k"} | {"k" + chr(c) for c in range(ord("a"), ord("z") + 1)}
    assert unique_citekey("k", many) == "kaa"


def test_compatibility_capitals_fold_to_lower_case():
    # found by the citekey property test: "𝖠" casefolds to itself and only NFKD makes it "A"
    from newsarchive.normalize import fold, fold_key

    assert fold("𝖠𝖡𝖢") == "abc"
    assert fold("𝖠𝖡𝖢", keep_case=True) == "ABC"
    assert fold_key("𝖠") == "a"
    assert fold("ＴＡＳＳ") == "tass"  # fullwidth letters, as some East Asian pages write acronyms
