"""The field registry (fields.py): one table that the model, normalize, the query language, the
search index, CSV, `list` and `show` all read, so they cannot drift apart."""

from __future__ import annotations

import dataclasses
import json

import pytest

from newsarchive import api, fields, model, normalize, query
from newsarchive.search import analysis, vocabulary


def test_every_stored_field_is_an_entry_attribute_and_back():
    entry_attrs = {f.name for f in dataclasses.fields(model.Entry)}
    stored = {f.name for f in fields.FIELDS if f.name and f.kind != "derived"}
    assert stored <= entry_attrs, stored - entry_attrs
    # what the registry leaves out of entry.json's editable/searchable vocabulary, on purpose
    assert entry_attrs - stored == {"snapshots", "provenance", "extra"}


def test_names_and_aliases_are_unambiguous():
    names = [f.name for f in fields.FIELDS if f.name]
    assert len(names) == len(set(names))
    aliases = [a for f in fields.FIELDS for a in f.aliases]
    assert len(aliases) == len(set(aliases)) and not set(aliases) & set(names)
    search_names = [s.name for s in fields.search_fields()]
    search_aliases = [a for s in fields.search_fields() for a in s.aliases]
    assert len(search_names) == len(set(search_names)) and not set(search_aliases) & set(search_names)


def test_readers_take_their_lists_from_the_registry():
    assert normalize.SETTABLE == fields.settable()
    assert normalize.FIELD_ALIASES["date"] == "published" and normalize.FIELD_ALIASES["author"] == "authors"
    assert query.FIELDS == tuple(s.name for s in fields.search_fields())
    assert query.FIELD_ALIASES["date"] == "published" and query.FIELD_ALIASES["authors"] == "author"
    assert query.EXACT_FIELDS == {"url", "id", "citekey", "domain", "lang", "kind", "tag"}
    assert model.DATE_FIELDS == ("published", "modified", "accessed")
    assert api.CSV_COLUMNS == fields.csv_columns()
    assert api.SORTS == vocabulary.SORTS == ("relevance", "published", "-published")
    assert set(api.FACETS) == set(vocabulary.FACETS) == {"outlet", "year", "author", "tag", "kind"}
    assert api.EDITABLE == fields.settable() + ("citekey",)
    assert vocabulary.DEFAULT_FIELDS == (("title", 2.5), ("body", 1.0), ("authors", 1.0))
    assert vocabulary.STEMMED == {"title", "body"}


def test_show_and_csv_follow_one_order():
    """`show` lists the fields in the CSV export's column order (plus what only `show` has)."""
    shown = [n for n in fields.show_always() + fields.show_when_set() if n in fields.csv_columns()]
    assert shown == [c for c in fields.csv_columns() if c in shown]
    assert fields.csv_columns()[:3] == ["id", "citekey", "title"]
    assert "designed_to_change" in fields.csv_columns() and "designed_to_change" not in shown


def test_every_alias_a_user_may_set_can_be_unset_too(cli, sample_file):
    """`edit --unset date` used to exit 2 while `--set date=...` worked."""
    entry = json.loads(cli("add", sample_file, "--format", "json").stdout)["entry"]
    assert cli("edit", entry["id"], "--set", "date=2024-09-04").exit_code == 0
    r = cli("edit", entry["id"], "--unset", "date")
    assert r.exit_code == 0, r.output
    assert json.loads(cli("show", entry["id"], "--format", "json").stdout)["published"] is None
    for alias, name in normalize.FIELD_ALIASES.items():
        assert name in fields.unsettable(), alias


@pytest.mark.parametrize("name", ["citekey", "id", "snapshots", "body", "added"])
def test_unsetting_what_cannot_be_unset_is_refused(cli, sample_file, name):
    entry = json.loads(cli("add", sample_file, "--format", "json").stdout)["entry"]
    r = cli("edit", entry["id"], "--unset", name)
    assert r.exit_code != 0 and "cannot unset" in r.stderr


@pytest.mark.parametrize("word", ["Þórsson", "Œuvre", "Işık", "Vučić", "Straße", "Łódź"])
def test_one_folding_for_keys_and_index_terms(word):
    """Citekeys and lookup keys fold letters as the index does: "Þórsson" is thorsson in both."""
    assert normalize.fold_key(word) == analysis.analyze(word, stemming=False)[0]


def test_folding_with_case_kept_for_citekey_formulas():
    assert normalize.fold("Đoković Þórsson Straße", keep_case=True) == "Dokovic THorsson Strasse"
    assert normalize.fold("Đoković Þórsson Straße") == "dokovic thorsson strasse"
    assert normalize.fold("Москва") == "москва"  # other scripts are kept (the index transliterates)
