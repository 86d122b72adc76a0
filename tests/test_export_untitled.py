"""One untitled citation (imported from BibTeX without a title) must not stop a whole export."""

from newsarchive import api
from newsarchive.formats import bibtex


def test_bibtex_export_with_an_untitled_entry(root, tmp_path):
    src = tmp_path / "in.bib"
    src.write_text("@book{notitle2000, author = {Sample, Ann}, year = {2000}, publisher = {Sample Press}}\n"
                   "@article{titled2001, author = {Sample, Bob}, title = {SAMPLE titled}, journal = {Sample Review},"
                   " year = {2001}}\n", encoding="utf-8")
    outcomes = list(api.import_file(root, src))
    assert [o.status for o in outcomes] == ["created", "created"]
    for fmt in ("bibtex", "biblatex"):
        out = tmp_path / f"out-{fmt}.bib"
        assert api.export(root, to=fmt, out=out) == 2
        back = {r["citekey"]: r for _, r in bibtex.parse(out.read_text(encoding="utf-8")) if isinstance(r, dict)}
        assert set(back) == {"notitle2000", "titled2001"}
        assert back["notitle2000"].get("title") in (None, "") and back["titled2001"]["title"] == "SAMPLE titled"
