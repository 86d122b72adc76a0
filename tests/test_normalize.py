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
