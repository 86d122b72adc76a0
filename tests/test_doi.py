"""Metadata-only records with a DOI are matched by it across formats."""

import json

import pytest

from newsarchive.cite._common import doi_url


@pytest.mark.parametrize("text,url", [
    ("10.1000/xyz123", "https://doi.org/10.1000/xyz123"),
    ("doi:10.1000/xyz123", "https://doi.org/10.1000/xyz123"),
    ("https://dx.doi.org/10.1000/xyz123.", "https://doi.org/10.1000/xyz123"),
    ("not a doi", None),
    (None, None),
])
def test_doi_url(text, url):
    assert doi_url(text) == url


def test_same_doi_in_bibtex_csl_and_ris_is_one_entry(cli, tmp_path):
    bib = tmp_path / "a.bib"
    bib.write_text("@article{one, title={Sample study of wire copy}, author={Gec, Jovana}, year={2021},"
                   " journal={Sample Journal}, doi={10.5555/sample.1}}\n")
    csl = tmp_path / "b.json"
    csl.write_text(json.dumps([{"id": "two", "type": "article-journal", "title": "A different title on purpose",
                                "DOI": "10.5555/SAMPLE.1", "issued": {"date-parts": [[2021]]}}]))
    ris = tmp_path / "c.ris"
    ris.write_text("TY  - JOUR\nTI  - Yet another title\nDO  - https://dx.doi.org/10.5555/sample.1\nPY  - 2021\nER  - \n")
    first = json.loads(cli("import", bib, "--format", "jsonl").stdout)
    assert first["status"] == "created"
    for f in (csl, ris):  # --match url: the DOI link alone identifies the work
        out = json.loads(cli("import", f, "--format", "jsonl", "--match", "url").stdout)
        assert (out["status"], out["id"]) == ("duplicate", first["id"]), f
        assert out["message"] == f"same URL as entry {first['id']} (--match url)"
    # strict (the default): a different title is a different record, DOI or not
    out = json.loads(cli("import", csl, "--format", "jsonl").stdout)
    assert out["status"] == "created"
    entry = json.loads(cli("show", first["id"], "--format", "json").stdout)
    assert entry["url"] == "https://doi.org/10.5555/sample.1" and entry["doi"] == "10.5555/sample.1"
