"""Round-trip properties not covered by test_cite_formats: classic BibTeX (UTF-8) and CSL-JSON
with every field we write, and JSONL export then import into an empty collection."""

from __future__ import annotations

import json
import tempfile
import unicodedata
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsarchive import api, cite
from newsarchive.formats import bibtex, csljson
from newsarchive.model import Author, PartialDate
from newsarchive.formats.records import Record
from citefixtures import E

LATEX_SPECIALS = "&%$#_{}~^\\"
text_chars = st.characters(
    codec="utf-8", categories=("L", "M", "N", "P", "S", "Zs"), exclude_characters="\u00a0\u2028\u2029",
) | st.sampled_from(LATEX_SPECIALS + "\"'`-,.:;!?<>@|/ čćšžđČĆŠŽĐäöüßéèêçñøåłœÆ–—“”‘’…ΩЖ中文")


def _clean(s: str) -> str:
    return unicodedata.normalize("NFC", " ".join(s.split()))


texts = st.text(text_chars, min_size=1, max_size=40).map(_clean).filter(bool)
name_word = (st.text(text_chars, min_size=1, max_size=12).map(lambda s: _clean(s.replace(",", " ")))
             .filter(lambda s: bool(s) and s[0].isalpha()))
persons = st.builds(lambda f, g: Author(family=f, given=g), name_word, name_word)
orgs = st.builds(lambda s: Author(literal=s), texts)
authors = st.lists(persons | orgs, min_size=0, max_size=4).map(tuple)
tags = st.lists(st.from_regex(r"[a-z][a-z0-9 ]{0,10}", fullmatch=True).map(_clean).filter(bool),
                max_size=3).map(lambda t: tuple(dict.fromkeys(t)))
years = st.integers(1900, 2099)
dates = st.one_of(
    st.builds(PartialDate, years),
    st.builds(PartialDate, years, st.integers(1, 12)),
    st.builds(PartialDate, years, st.integers(1, 12), st.integers(1, 28)),
)
url_path = st.text(st.sampled_from("abcxyz0189-_.~%&=?"), max_size=20)
urls = st.builds(lambda p: f"https://news.example/{p}", url_path)
pages = st.from_regex(r"[A-Z]?[1-9][0-9]{0,2}(-[1-9][0-9]{0,2})?", fullmatch=True)
FAST = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings(max_examples=60, **FAST)
@given(title=texts, authors=authors, outlet=texts, published=dates, url=urls, notes=texts, section=texts,
       tags=tags, pages=pages)
def test_property_classic_bibtex_round_trip(title, authors, outlet, published, url, notes, section, tags, pages):
    e = E(title=title, authors=authors, outlet=outlet, published=published, url=url, notes=notes,
          section=section, tags=tags, pages=pages, kind="newspaper")
    out = cite.format_entry(e, "bibtex")
    (where, rec), = list(bibtex.parse(out))
    assert isinstance(rec, dict), rec
    assert rec["title"] == title
    assert [Author.from_json(a) for a in rec["authors"]] == list(authors)
    assert rec["outlet"] == outlet and rec["url"] == url and rec["notes"] == notes
    assert rec["section"] == section and rec["tags"] == list(tags) and rec["pages"] == pages
    # classic BibTeX has year and month only
    assert rec["published"] == PartialDate(published.year, published.month).iso()


@settings(max_examples=60, **FAST)
@given(title=texts, authors=authors, outlet=texts, published=dates, modified=dates, url=urls, notes=texts,
       section=texts, pages=pages, kind=st.sampled_from(["newspaper", "news website", "news agency",
                                                          "magazine", "broadcast", "blog", "press release"]),
       language=st.sampled_from(["en", "sr-Latn", "de", "fr"]), changing=st.booleans())
def test_property_csljson_every_field_round_trip(title, authors, outlet, published, modified, url, notes,
                                                section, pages, kind, language, changing):
    e = E(title=title, authors=authors, outlet=outlet, published=published, modified=modified, url=url,
          notes=notes, section=section, pages=pages, kind=kind, language=language, designed_to_change=changing)
    for ascii in (False, True):
        (where, rec), = list(csljson.parse(cite.format_entry(e, "csl-json", ascii=ascii)))
        assert isinstance(rec, dict), rec
        assert rec["title"] == title and rec["outlet"] == outlet and rec["url"] == url
        assert [Author.from_json(a) for a in rec["authors"]] == list(authors)
        assert rec["published"] == published.iso() and rec["modified"] == modified.iso()
        assert rec["notes"] == notes and rec["section"] == section and rec["pages"] == pages
        assert rec["kind"] == kind and rec["language"] == language
        assert bool(rec.get("designed_to_change")) == changing


# --------------------------------------------------------------------------- JSONL export -> import

body_texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=300)
author_values = st.lists(
    st.builds(lambda f, g: {"family": f, "given": g}, name_word, name_word) | st.builds(lambda s: {"literal": s}, texts),
    max_size=3)
records = st.fixed_dictionaries(
    {"title": texts},
    optional={"authors": author_values, "outlet": texts, "published": dates.map(PartialDate.iso),
              "url": urls, "notes": texts, "tags": tags.map(list), "section": texts,
              "text": body_texts, "text2": body_texts})


@settings(max_examples=15, **FAST)
@given(recs=st.lists(records, min_size=1, max_size=4))
def test_property_jsonl_export_then_import_gives_the_same_entries(recs):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src, dst = api.init(tmp / "src"), api.init(tmp / "dst")
        batch = []
        for n, r in enumerate(recs):
            fields = {k: v for k, v in r.items() if k not in ("text", "text2")}
            fields["title"] = f"{fields['title']} {n}"  # distinct records
            data = r["text"].encode("utf-8") + f"\n{n}".encode() if "text" in r else None
            batch.append(Record(ref=f"r{n}", fields=fields, data=data, media_type="text/plain" if data else None))
            if data is not None and "text2" in r and "url" in r:  # a second version of the same page
                batch.append(Record(ref=f"r{n}b", fields={"url": r["url"]}, media_type="text/plain",
                                    data=r["text2"].encode("utf-8") + f"\nv2 {n}".encode()))
        outcomes = list(api.ingest_records(src, batch, durable=False, new_entry=False))
        assert all(o.status != "failed" for o in outcomes), [o.message for o in outcomes if o.status == "failed"]
        out = tmp / "export" / "all.jsonl"
        out.parent.mkdir()
        assert api.export(src, to="jsonl", out=out) == len(api.list_entries(src))
        results = list(api.import_file(dst, out))
        assert [o.status for o in results] == ["created"] * len(results), [o.message for o in results]
        before = {e.id: e.to_json() for e in api.list_entries(src)}
        after = {e.id: e.to_json() for e in api.list_entries(dst)}
        assert before == after
        for e in api.list_entries(dst):
            for s in e.snapshots:
                for rel in (s.path, s.text_path):
                    if rel:
                        assert (dst / "archive" / e.id / rel).read_bytes() == (src / "archive" / e.id / rel).read_bytes()
        again = tmp / "export" / "again.jsonl"
        api.export(dst, to="jsonl", out=again)

        def strip(p: Path) -> list[dict]:
            return [{k: v for k, v in json.loads(line).items() if k != "snapshot"} for line in p.read_text("utf-8").splitlines()]

        assert strip(out) == strip(again)
        checked, problems, _ = api.verify(dst)
        assert checked == len(before) and problems == []
