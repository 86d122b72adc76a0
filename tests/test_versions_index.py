"""Older versions in the index of a collection, on every engine: indexed when a new version comes
to exist (add, import), kept in step by edit and rm, rebuilt by reindex (and an engine switch),
recovered after a kill, and built on demand for a collection indexed before they were.

The SAMPLE texts are written for these tests (not real reporting).
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsarchive import api
from newsarchive import store as st
from newsarchive.cli import app
from newsarchive.search import engines

from crashrun import run

URL = "https://versions.example/world/ferry"
TEXTS = [
    "SAMPLE: Ferry row\n\nA bridge closure stranded commuters on the far bank of the river.\n",
    "SAMPLE: Ferry row\n\nThe bridge stayed closed; officials promised a ferry for Monday.\n",
    "SAMPLE: Ferry row\n\nThe ferry runs again after repairs to the pier, the council said.\n",
]
OTHER = "SAMPLE: Library hours\n\nThe city library will open on Sundays from next month.\n"
META = {"whoosh": "index.json", "tantivy": "tantivy.json"}


@pytest.fixture(params=sorted(engines.ENGINES))
def kind(request):
    return request.param


@pytest.fixture
def root(tmp_path, kind) -> Path:
    return api.init(tmp_path / "coll", engine=kind)


def cli(root: Path, *args):
    return CliRunner().invoke(app, ["--root", str(root), *map(str, args)])


def add(root: Path, tmp_path: Path, text: str, url: str = URL) -> dict:
    f = tmp_path / f"page-{abs(hash(text))}.txt"
    f.write_text(text, encoding="utf-8")
    r = cli(root, "add", f, "--url", url, "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def search(root: Path, *args) -> dict:
    r = cli(root, "search", *args, "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def hits(root: Path, *args) -> list[tuple[str, int | None]]:
    return [(h["id"], h.get("version")) for h in search(root, *args)["hits"]]


def index_problems(root: Path) -> list:
    return [p for p in api.verify(root)[1] if p.kind in ("stale-index", "not-indexed", "extra-in-index")]


def three_versions(root: Path, tmp_path: Path) -> str:
    entry_id = add(root, tmp_path, TEXTS[0])["id"]
    for text in TEXTS[1:]:
        assert add(root, tmp_path, text)["status"] == "new-version"
    return entry_id


def test_versions_are_indexed_as_they_come_and_follow_edit_and_rm(root, tmp_path):
    entry_id = three_versions(root, tmp_path)
    other = add(root, tmp_path, OTHER, "https://versions.example/library")["id"]
    backend = engines.for_store(st.Store(root))
    assert sorted(backend.older_fingerprints()[entry_id]) == [1, 2]
    assert hits(root, "commuters") == []
    assert hits(root, "commuters", "--all-versions") == [(entry_id, 1)]
    assert hits(root, "officials promised", "--all-versions") == [(entry_id, 2)]
    found = search(root, "stranded", "--all-versions")["hits"][0]
    assert "<b>stranded</b>" in found["snippet"] and found["version"] == 1
    assert hits(root, "ferry", "--all-versions") == [(entry_id, None)]  # the newest matches itself
    assert api.status(root).versions_index == "ok" and index_problems(root) == []
    # an edit changes what every version carries (tags are the entry's, not a capture's)
    assert cli(root, "edit", entry_id, "--add-tag", "rivers").exit_code == 0
    assert hits(root, "tags:rivers commuters", "--all-versions") == [(entry_id, 1)]
    assert index_problems(root) == []
    # rm takes the older versions away with the entry
    assert cli(root, "rm", "--yes", entry_id).exit_code == 0
    assert hits(root, "commuters", "--all-versions") == []
    assert entry_id not in backend.older_fingerprints()
    assert index_problems(root) == [] and api.status(root).index_state == "ok"
    assert hits(root, "library") == [(other, None)]


def test_verify_names_an_older_version_the_index_holds_in_another_state(root, tmp_path):
    entry_id = three_versions(root, tmp_path)
    backend = engines.for_store(st.Store(root))
    entry = st.Store(root).read(entry_id)
    with backend.writer() as w:  # as a writer that did not follow: version 1 with other text
        w.upsert(entry, TEXTS[2], older=[(entry, 1, "something else"), (entry, 2, TEXTS[1]), (entry, 5, "x")])
    problems = {(p.kind, p.detail) for p in index_problems(root)}
    assert ("stale-index", "the older-versions index holds an older state of version 1") in problems
    assert any(k == "extra-in-index" and "version 5" in d for k, d in problems)
    _, _, repaired = api.verify(root, repair_index=True)
    assert repaired and index_problems(root) == []
    assert hits(root, "stranded", "--all-versions") == [(entry_id, 1)]


def test_reindex_and_an_engine_switch_rebuild_the_older_versions(root, tmp_path, kind):
    entry_id = three_versions(root, tmp_path)
    assert cli(root, "reindex").exit_code == 0
    assert hits(root, "commuters", "--all-versions") == [(entry_id, 1)]
    other = "tantivy" if kind == "whoosh" else "whoosh"
    r = cli(root, "reindex", "--engine", other)
    assert r.exit_code == 0, r.output
    assert api.status(root).engine == other and api.status(root).versions_index == "ok"
    assert hits(root, "commuters", "--all-versions") == [(entry_id, 1)]
    assert hits(root, "officials promised", "--all-versions") == [(entry_id, 2)]
    assert index_problems(root) == []
    prefix = {"whoosh": "gv-", "tantivy": "tv-"}[kind]  # the old engine's files are gone, both kinds
    assert not [p for p in (root / "index").iterdir() if p.name.startswith(prefix)]


def test_import_of_an_entry_with_versions_indexes_them(root, tmp_path):
    entry_id = three_versions(root, tmp_path)
    out = tmp_path / "export.jsonl"
    assert cli(root, "export", "--to", "jsonl", "-o", out).exit_code == 0
    second = api.init(tmp_path / "second")
    r = cli(second, "import", out)
    assert r.exit_code == 0, r.output
    assert hits(second, "commuters", "--all-versions") == [(entry_id, 1)]
    assert index_problems(second) == []


def _drop_older(root: Path, kind: str) -> None:
    """The index as a version before the older-versions index left it: no ``older`` key."""
    path = root / "index" / META[kind]
    meta = json.loads(path.read_text())
    shutil.rmtree(root / "index" / meta.pop("older"))
    path.write_text(json.dumps(meta))


def test_a_collection_indexed_before_older_versions_were_builds_them_when_asked(root, tmp_path, kind):
    entry_id = three_versions(root, tmp_path)
    plain = {q: search(root, q) for q in ("ferry", "bridge", "river OR pier", "sample")}
    _drop_older(root, kind)
    # plain search answers exactly as before (scores too): older versions never entered it
    assert {q: search(root, q) for q in plain} == plain
    s = api.status(root)
    assert s.index_state == "ok" and s.versions_index == "missing"
    r = cli(root, "status")
    assert r.exit_code == 0 and "older versions" in r.stdout and "not indexed" in r.stdout
    assert json.loads(cli(root, "status", "--format", "json").stdout)["versions_index"] == "missing"
    problems = index_problems(root)
    assert [p.kind for p in problems] == ["stale-index"] and "older versions are not indexed" in problems[0].detail
    # a writer meanwhile leaves them out rather than start a partial index
    assert add(root, tmp_path, "SAMPLE: Ferry row\n\nThe pier is open and the timetable is back.\n")["status"] == "new-version"
    assert api.status(root).versions_index == "missing"
    # the first --all-versions search builds it from the archive, and finds every older version
    assert hits(root, "commuters", "--all-versions") == [(entry_id, 1)]
    assert hits(root, "repairs", "--all-versions") == [(entry_id, 3)]
    assert api.status(root).versions_index == "ok" and index_problems(root) == []


def test_a_damaged_older_versions_index_is_one_line_and_reindex_repairs_it(root, tmp_path, kind):
    three_versions(root, tmp_path)
    meta = json.loads((root / "index" / META[kind]).read_text())
    shutil.rmtree(root / "index" / meta["older"])
    assert api.status(root).versions_index == "damaged"
    r = cli(root, "status")
    assert r.exit_code == 1 and "older versions" in r.stdout and "damaged" in r.stdout
    r = cli(root, "search", "commuters", "--all-versions")
    assert r.exit_code == 1 and "reindex" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert cli(root, "search", "ferry").exit_code == 0
    assert cli(root, "reindex").exit_code == 0
    assert api.status(root).versions_index == "ok"


def test_a_kill_between_the_older_versions_and_the_current_index_is_recovered(root, tmp_path):
    """Killed after the older versions were committed and before the current index was: the
    journal names the entry, and the next writer brings both indexes in step."""
    pages = []
    for n, text in enumerate(TEXTS[:2]):
        pages.append(tmp_path / f"v{n}.txt")
        pages[-1].write_text(text, encoding="utf-8")
    assert run(root, "add", str(pages[0]), "--url", URL).returncode == 0
    r = run(root, "add", str(pages[1]), "--url", URL, crash_at="index-older-committed")
    assert r.returncode == -signal.SIGKILL
    (entry_id,) = st.Store(root).ids()
    assert api.status(root).pending == [entry_id]
    other = tmp_path / "other.txt"
    other.write_text(OTHER, encoding="utf-8")
    assert run(root, "add", str(other)).returncode == 0  # the next writer replays the journal
    s = api.status(root)
    assert (s.index_state, s.pending, s.versions_index) == ("ok", [], "ok"), s
    assert index_problems(root) == []
    assert hits(root, "commuters", "--all-versions") == [(entry_id, 1)]
    assert hits(root, "officials") == [(entry_id, None)]


WRITE = """
import sys
from pathlib import Path
from newsarchive.model import Entry
from newsarchive.search import engines
b = engines.backend(sys.argv[1], Path(sys.argv[2]))
with b.writer() as w:
    w.upsert(Entry.from_json({"id": "abcd1234", "citekey": "k1", "title": sys.argv[3]}), sys.argv[3])
"""


def test_a_long_running_reader_sees_a_replacement_another_process_committed(tmp_path, kind):
    """(serve keeps its searchers): after another process replaced a document, the old one is
    gone for this process too, not found beside the new one."""
    index_dir = tmp_path / "index"

    def write(title):
        subprocess.run([sys.executable, "-c", WRITE, kind, str(index_dir), title], check=True, timeout=120)

    b = engines.backend(kind, index_dir)
    write("first headline")
    assert b.count() == 1 and b.search("first").total == 1
    write("second headline")
    assert b.count() == 1 and b.search("first").total == 0 and b.search("second").total == 1


def test_serve_searches_every_archived_version_from_the_index(root, tmp_path):
    from starlette.testclient import TestClient

    from newsarchive.web import create_app

    entry_id = three_versions(root, tmp_path)
    with TestClient(create_app(root), base_url="http://127.0.0.1:8765") as client:
        plain = client.get("/search", params={"q": "commuters"})
        assert plain.status_code == 200 and f'/entries/{entry_id}"' not in plain.text
        every = client.get("/search", params={"q": "commuters", "versions": "all"})
        assert every.status_code == 200 and f'/entries/{entry_id}"' in every.text
        assert "matched in version 1" in every.text and "<mark>commuters</mark>" in every.text
