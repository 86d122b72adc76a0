"""Issue 12: a collection on whoosh past TANTIVY_SUGGESTED_FROM entries is told, by `status` and
`import`, how to switch to tantivy (the threshold is monkeypatched low; entries are samples)."""

from __future__ import annotations

import json

import pytest

from newsarchive import api
from newsarchive.search import advice


def _jsonl(tmp_path, n, *, start=0):
    path = tmp_path / "sample.jsonl"
    path.write_text("".join(json.dumps({"title": f"SAMPLE article {i}", "url": f"https://example.org/s/{i}",
                                        "text": f"Sample text number {i}."}) + "\n" for i in range(start, start + n)),
                    encoding="utf-8")
    return path


def test_engine_suggestion_only_for_whoosh_past_the_threshold():
    at = advice.TANTIVY_SUGGESTED_FROM
    assert at == 50_000
    assert advice.engine_suggestion(engine="whoosh", entries=at) is None
    hint = advice.engine_suggestion(engine="whoosh", entries=at + 1)
    assert hint and "`newsarchive reindex --engine tantivy`" in hint and "50,001" in hint
    assert advice.engine_suggestion(engine="tantivy", entries=10 * at) is None


def test_status_suggests_tantivy_past_the_threshold(cli, monkeypatch, tmp_path):
    assert cli("import", _jsonl(tmp_path, 3)).exit_code == 0
    r = cli("status")
    assert r.exit_code == 0 and "--engine tantivy" not in r.stderr
    assert json.loads(cli("status", "-f", "json").stdout)["suggestion"] is None

    monkeypatch.setattr(advice, "TANTIVY_SUGGESTED_FROM", 2)
    r = cli("status")
    assert r.exit_code == 0, r.output
    notes = [line for line in r.stderr.splitlines() if line.startswith("note:")]
    assert notes == ["note: 3 entries on the whoosh engine: tantivy imports and searches large collections "
                     "much faster; switch with `newsarchive reindex --engine tantivy`"]
    assert "--engine tantivy" not in r.stdout  # the table itself is unchanged
    s = json.loads(cli("status", "-f", "json").stdout)
    assert "newsarchive reindex --engine tantivy" in s["suggestion"]
    assert "--engine tantivy" not in cli("status", "-f", "json").stderr  # the JSON carries it, not stderr


def test_import_suggests_tantivy_once_past_the_threshold(cli, monkeypatch, tmp_path):
    monkeypatch.setattr(advice, "TANTIVY_SUGGESTED_FROM", 2)
    r = cli("import", _jsonl(tmp_path, 2))
    assert r.exit_code == 0 and "--engine tantivy" not in r.stderr  # 2 entries: not past it
    more = tmp_path / "more"
    more.mkdir()
    r = cli("import", _jsonl(more, 1, start=2))
    assert r.exit_code == 0, r.output
    assert [line for line in r.stderr.splitlines() if "--engine tantivy" in line] == [
        "note: 3 entries on the whoosh engine: tantivy imports and searches large collections "
        "much faster; switch with `newsarchive reindex --engine tantivy`"]
    r = cli("import", _jsonl(tmp_path, 1, start=7), "--dry-run")  # nothing created: no hint
    assert "--engine tantivy" not in r.stderr


def test_no_suggestion_on_tantivy(monkeypatch, tmp_path):
    pytest.importorskip("tantivy")
    monkeypatch.setattr(advice, "TANTIVY_SUGGESTED_FROM", 0)
    root = api.init(tmp_path / "t", engine="tantivy")
    list(api.import_file(root, _jsonl(tmp_path, 2)))
    s = api.status(root)
    assert s.engine == "tantivy" and s.suggestion is None and s.to_json()["suggestion"] is None
    assert advice.suggestion_for(root) is None
