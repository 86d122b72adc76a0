"""The search package's seams: each engine's library is imported in its own backend only, the
engine-neutral modules import no engine, and no module grows past 600 lines."""

from __future__ import annotations

import re
from pathlib import Path

import newsarchive

SRC = Path(newsarchive.__file__).parent
_IMPORT = r"^\s*(?:import|from)\s+{lib}\b"


def _importers(lib: str) -> set[str]:
    pattern = re.compile(_IMPORT.format(lib=lib), re.M)
    return {str(p.relative_to(SRC)) for p in SRC.rglob("*.py") if pattern.search(p.read_text("utf-8"))}


def test_whoosh_is_imported_only_by_the_whoosh_backend():
    found = _importers("whoosh")
    assert found, "the pattern finds nothing: the test would pass whatever the code does"
    assert {p for p in found if not p.startswith("search/whoosh/")} == set()


def test_tantivy_is_imported_only_by_the_tantivy_backend():
    found = _importers("tantivy")
    assert found
    assert {p for p in found if not p.startswith("search/tantivy/")} == set()


def test_the_pattern_sees_indented_imports(tmp_path):
    pattern = re.compile(_IMPORT.format(lib="whoosh"), re.M)
    assert pattern.search("def f():\n    from whoosh import fields\n")
    assert pattern.search("    import whoosh.query as W\n")
    assert not pattern.search("from .whoosh import schema\nimport whooshy\n")


def test_backends_do_not_reach_into_each_other():
    for name, other in (("whoosh", "tantivy"), ("tantivy", "whoosh")):
        for p in (SRC / "search" / name).rglob("*.py"):
            text = p.read_text("utf-8")
            assert not re.search(rf"from \.\.{other}\b|search\.{other}\b", text), p


def test_no_module_over_600_lines_in_search_and_fields():
    paths = [*(SRC / "search").rglob("*.py"), SRC / "fields.py"]
    long = {str(p.relative_to(SRC)): n for p in paths if (n := len(p.read_text("utf-8").splitlines())) > 600}
    assert long == {}


def test_the_old_index_module_is_gone():
    assert not (SRC / "index.py").exists()
