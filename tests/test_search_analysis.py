"""The engine-neutral parts of search/: analysis (the index terms), documents, snippets."""

from __future__ import annotations

import pytest

from newsarchive import query as Q
from newsarchive.model import Entry, PartialDate, parse_name
from newsarchive.search import analysis, documents, snippets
from newsarchive.search.whoosh import schema as whoosh_schema

# --------------------------------------------------------------------------- analysis


@pytest.mark.parametrize("text, terms", [
    ("Vučić Đorđe Straße", ["vucic", "dorde", "strasse"]),
    ("SANCTIONS sanctioned sanctioning", ["sanction", "sanction", "sanction"]),
    ("Belgrade cities created", ["belgrade", "city", "create"]),
    ("won't won’t", ["won't", "won't"]),
    ("Vučić's", ["vucic"]),
    ("U.S. e.g.", ["us", "eg"]),
    ("1,000 2.5 1987.", ["1000", "2.5", "1987"]),
    ("US-sanctioned", ["us", "sanction"]),
])
def test_query_analysis(text, terms):
    assert analysis.analyze(text) == terms


def test_index_analysis_adds_joined_and_apostrophe_parts():
    assert analysis.analyze("US-sanctioned e-mail", query=False) == [
        "ussanction", "us", "sanction", "email", "e", "mail"]
    assert analysis.analyze("O'Brien INT'L", query=False) == ["o'brien", "brien", "int'l", "int"]
    assert analysis.analyze("Sanctions", stemming=False) == ["sanctions"]


def test_snippet_window_and_escaping():
    hl = snippets.Highlight(Q.parse("needle"))
    text = "<x> " + "filler " * 200 + "the needle & thread " + "tail " * 200
    snippet = snippets.make_snippet(text, hl)
    assert "<b>needle</b>" in snippet and "&amp;" in snippet
    assert snippet.startswith("…") and snippet.endswith("…")
    assert len(snippet.split()) <= snippets.SNIPPET_WORDS + 2
    assert "&lt;x&gt;" in snippets.make_snippet(text, snippets.Highlight(Q.parse("zzz")))


def test_snippet_words_inside_chunks_without_spaces():
    """Words joined by punctuation (no space) are still single words: the window can start in
    the middle of such a chunk, and the text before its first word is kept at the start."""
    def snip(text, q, words):
        return snippets.make_snippet(text, snippets.Highlight(Q.parse(q)), words)

    assert snip("«Leading» words: one/two/three-four (five) six.", "three", 8) == \
        "«Leading» words: one/two/<b>three</b>-four (five) six."
    assert snip("a/b/c/d/e/f/g/h needle/i/j/k/l/m/n/o/p, end", "needle", 5) == \
        "…e/f/g/h <b>needle</b>/i/j/k/l/m/n/o/p,…"
    assert snip("Prices rose 2.5% to 1,000 dlrs (U.S.)...next", "dlr", 6) == \
        "…rose 2.5% to 1,000 <b>dlrs</b> (U.S.)...next…"
    assert snip("-- ... --", "x", 5) is None  # no words at all
    # the same text twice (the second time from the remembered words) gives the same snippet
    text = "Sanctions, sanctioned: the U.S.-backed sanctions' end. " * 3
    once = snip(text, "sanction", 6)
    assert once == snip(text, "sanction", 6) and once.count("<b>") == 3


def _sample_entry(**kw):
    fields = dict(id="smpl0001", citekey="gec2024sample", title="Sample: Serbia and the sanctions",
                  authors=(parse_name("Jovana Gec"), parse_name("{Associated Press}")), outlet="AP News",
                  kind="news website", published=PartialDate.from_iso("2024-09-04"), tags=("Sample Tag", "serbia"),
                  url="https://www.apnews.com/article/sample-1?utm_source=x", language="en", section="World")
    fields.update(kw)
    return Entry(**fields)


def test_a_document_holds_the_values_queries_look_up():
    doc = documents.build(_sample_entry(), "Body text.")
    assert doc.id == "smpl0001" and doc.english and doc.day == "2024-09-04"
    assert doc.text["title"] == "Sample: Serbia and the sanctions" and doc.text["body"] == "Body text."
    assert doc.text["authors"] == "Jovana Gec ; Associated Press"
    assert doc.exact["tags"] == ["sample tag", "serbia"] and doc.exact["kind"] == ["news website"]
    assert documents.exact_term("domain", "www.apnews.com") in doc.exact["domain"]
    # the URL as given and its search form, which is what a url: query looks up
    assert set(doc.exact["url"]) == {"https://www.apnews.com/article/sample-1?utm_source=x",
                                     documents.exact_term("url", "https://apnews.com/article/sample-1")}
    assert doc.facets == {"author": ["Jovana Gec", "Associated Press"], "outlet": ["AP News"],
                          "kind": ["news website"], "year": ["2024"], "tag": ["Sample Tag", "serbia"]}
    assert doc.stored.fingerprint == documents.fingerprint(_sample_entry(), "Body text.")
    assert documents.build(_sample_entry(language="sr"), "").english is False


def test_whoosh_storage_keeps_facets_and_stored_values():
    """The packed facet column and the stored tuple are the Whoosh backend's own: they give
    back exactly the document's facet values and stored fields."""
    doc = documents.build(_sample_entry(), "Body text.", stamp=(123, 45))
    fields = whoosh_schema.to_fields(doc)
    assert whoosh_schema.unpack_facets(fields["facets"]) == doc.facets
    assert whoosh_schema.stored(fields["meta"]) == doc.stored
    undated = documents.build(_sample_entry(published=None, authors=(), tags=(), kind=None), "")
    assert whoosh_schema.unpack_facets(whoosh_schema.to_fields(undated)["facets"]) == undated.facets


def test_non_english_titles_are_not_stemmed_in_whoosh():
    doc = documents.build(_sample_entry(language="sr", title="Sankcije sanctions"), "")
    value = whoosh_schema.to_fields(doc)["title"]
    assert [t.text for t in whoosh_schema.TEXT(value, mode="index")] == ["sankcije", "sanctions"]
    doc = documents.build(_sample_entry(title="Sankcije sanctions"), "")
    assert [t.text for t in whoosh_schema.TEXT(whoosh_schema.to_fields(doc)["title"], mode="index")] == [
        "sankcije", "sanction"]


def test_every_search_field_and_facet_of_the_registry_gets_a_value():
    """A field added to fields.py with a search description must be filled in by
    documents.build (and every facet packed by the Whoosh backend), or the engines would
    index nothing for it without a word."""
    from newsarchive import fields
    from newsarchive.search import vocabulary

    doc = documents.build(_sample_entry(), "Body text.")
    held = set(doc.text) | set(doc.exact) | {"id"}
    for s in fields.search_fields():
        assert s.index in held, s.name
    assert set(doc.facets) == set(vocabulary.FACETS)
    assert all(doc.facets[n] for n in vocabulary.FACETS)
    assert set(whoosh_schema._SLOTS) == set(vocabulary.FACETS)
