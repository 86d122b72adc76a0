"""Issue 15: no module under src/ is over 600 lines (split along a seam instead)."""

from pathlib import Path

MAX_LINES = 600
SRC = Path(__file__).resolve().parent.parent / "src"


def test_no_module_over_600_lines():
    sizes = {p.relative_to(SRC).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
             for p in SRC.rglob("*.py")}
    assert len(sizes) > 50  # the walk found the package
    too_long = {name: n for name, n in sizes.items() if n > MAX_LINES}
    assert too_long == {}


def test_split_modules_keep_their_public_names():
    from newsarchive import model, partialdate
    from newsarchive.extract import html, html_meta

    assert model.PartialDate is partialdate.PartialDate
    assert model.now_utc is partialdate.now_utc
    assert html.PRECEDENCE is html_meta.PRECEDENCE
