"""Both engines record how each entry.json looked when it was indexed, so that `status` tells a
stale index with one stat per entry (issue 12: tantivy as whoosh)."""

import json

import pytest
from typer.testing import CliRunner

from newsarchive import api
from newsarchive.cli import app


@pytest.fixture(params=["whoosh", "tantivy"])
def coll(request, tmp_path, monkeypatch):
    monkeypatch.delenv("NEWSARCHIVE_ROOT", raising=False)
    monkeypatch.setenv("NEWSARCHIVE_DEBUG", "1")
    root = tmp_path / "coll"
    runner = CliRunner()

    def cli(*args):
        return runner.invoke(app, ["--root", str(root), *map(str, args)], catch_exceptions=False)

    r = runner.invoke(app, ["init", str(root), "--engine", request.param], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return root, cli


def _three(root):
    return [api.add(root, data=f"Sample article about {w}.\n".encode(), source="sample.txt",
                    fields={"title": f"Sample {w}", "url": f"https://example.org/{w}"}).entry
            for w in ("alpha", "beta", "gamma")]


def test_status_notices_an_entry_edited_behind_the_index(coll):
    root, cli = coll
    a, _b, _c = _three(root)
    status = json.loads(cli("status", "-f", "json").stdout)
    assert status["stale_in_index"] == [] and status["indexed"] == 3
    (root / "archive" / a.id / "manifest-sha256.txt").unlink()  # an entry from before manifests
    path = root / "archive" / a.id / "entry.json"
    data = json.loads(path.read_text())
    data["title"] = "Sample retitled by hand"
    path.write_text(json.dumps(data, indent=2))
    r = cli("status", "-f", "json")
    assert r.exit_code == 1 and json.loads(r.stdout)["stale_in_index"] == [a.id]
    assert cli("reindex").exit_code == 0
    assert json.loads(cli("status", "-f", "json").stdout)["stale_in_index"] == []
    assert cli("search", "retitled", "-f", "ids").stdout.split() == [a.id]


def test_a_reindex_and_an_edit_record_stamps(coll):
    root, cli = coll
    a, _b, _c = _three(root)
    assert cli("reindex").exit_code == 0
    api.edit(root, a.id, set_fields={"section": "World"})
    r = cli("status", "-f", "json")
    assert r.exit_code == 0 and json.loads(r.stdout)["stale_in_index"] == []
