"""init/add/show/list/rm/import/export/status through the CLI, as a user types them."""

import csv
import io
import json

import pytest

from newsarchive import api
from newsarchive.cli import app
from typer.testing import CliRunner


def add_sample(cli, sample_file, *extra):
    r = cli("add", sample_file, "--outlet", "AP News", "--published", "Wednesday, Sept. 4, 2024",
            "--url", "https://apnews.com/article/sample-1", "--author", "Associated Press",
            "--tag", "serbia", "--tag", "russia", "--format", "json", *extra)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_init_creates_collection(tmp_path):
    r = CliRunner().invoke(app, ["init", str(tmp_path / "new")])
    assert r.exit_code == 0
    assert (tmp_path / "new" / "archive").is_dir() and (tmp_path / "new" / "index").is_dir()


def test_add_text_snapshot_infers_title_and_keeps_bytes(cli, root, sample_file):
    out = add_sample(cli, sample_file)
    entry = out["entry"]
    assert out["status"] == "created"
    assert entry["title"] == "SAMPLE: Test official meets minister, says Belgrade will not join penalties"
    assert entry["authors"] == [{"literal": "Associated Press"}]
    assert entry["published"] == "2024-09-04"
    assert entry["citekey"] == "associatedpress2024sample"
    assert entry["tags"] == ["serbia", "russia"]
    snap = entry["snapshots"][0]
    stored = (root / "archive" / entry["id"] / snap["path"]).read_bytes()
    assert stored == sample_file.read_bytes()
    import hashlib

    assert snap["sha256"] == hashlib.sha256(stored).hexdigest()
    assert entry["provenance"]["outlet"] == "user"
    assert entry["provenance"]["title"].startswith("extracted")


def test_show_by_prefix_table_and_json(cli, sample_file):
    entry = add_sample(cli, sample_file)["entry"]
    r = cli("show", entry["id"][:5])
    assert r.exit_code == 0
    assert entry["id"] in r.stdout and "sha256" in r.stdout and entry["snapshots"][0]["sha256"] in r.stdout
    r = cli("show", entry["citekey"], "--format", "json")
    assert json.loads(r.stdout) == entry


def test_same_snapshot_twice_is_a_duplicate(cli, sample_file):
    first = add_sample(cli, sample_file)
    again = add_sample(cli, sample_file)
    assert again["status"] == "duplicate" and again["id"] == first["id"]


def test_citekey_collision_gets_suffix(cli, tmp_path):
    keys = []
    for n in range(3):
        r = cli("add", "--title", f"Same title {n}", "--author", "Jovana Gec", "--published", "2024",
                "--format", "json")
        keys.append(json.loads(r.stdout)["entry"]["citekey"])
    assert keys == ["gec2024same", "gec2024samea", "gec2024sameb"]


def test_list_formats(cli, sample_file):
    add_sample(cli, sample_file)
    cli("add", "--title", "Metadata only", "--published", "2023-01")
    r = cli("list", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [row["title"] for row in rows][0] == "Metadata only"  # sorted by published
    assert rows[1]["authors"] == "Associated Press"
    r = cli("list", "--format", "json", "--sort", "-published")
    assert [e["published"] for e in json.loads(r.stdout)] == ["2024-09-04", "2023-01"]
    r = cli("list", "--tag", "serbia", "--format", "ids")
    assert len(r.stdout.split()) == 1
    r = cli("list")
    assert "Metadata only" in r.stdout


def test_list_csv_has_the_export_csv_shape(cli, sample_file, tmp_path):
    add_sample(cli, sample_file)
    cli("add", "--title", "SAMPLE: metadata only", "--published", "2023-01", "--notes", "a note")
    listed = cli("list", "--format", "csv").stdout.splitlines()
    out = tmp_path / "export.csv"
    assert cli("export", "--to", "csv", "-o", out).exit_code == 0
    exported = out.read_text(encoding="utf-8").splitlines()
    assert listed[0] == exported[0]
    assert "notes" in listed[0].split(",") and "doi" in listed[0].split(",")
    assert sorted(listed[1:]) == sorted(exported[1:]) and len(listed) == 3


def test_rm_asks_and_yes(cli, root, sample_file):
    entry = add_sample(cli, sample_file)["entry"]
    r = cli("rm", entry["id"], input="n\n")
    assert r.exit_code == 2 or "kept" in r.output  # not a terminal: refuses without --yes
    assert (root / "archive" / entry["id"]).exists()
    r = cli("rm", entry["id"], "--yes")
    assert r.exit_code == 0
    assert not (root / "archive" / entry["id"]).exists()


@pytest.mark.parametrize("args,message", [
    (["show", "zzzz"], "no entry matches"),
    (["add", "missing.txt"], "no such file"),
    (["add", "--title", "x", "--published", "someday"], "cannot understand the date"),
    (["add", "--title", "x", "--kind", "tabloid"], "unknown 'tabloid'"),
    (["list", "--sort", "colour"], "cannot sort by"),
    (["rm", "zzzz", "--yes"], "no entry matches"),
    (["import", "nope.jsonl"], "no such file"),
    (["add", "-"], "empty snapshot"),
])
def test_user_mistakes_are_one_line_errors(cli, root, args, message):
    def entries():  # every entry folder and stray file; the lock file is not data
        return sorted(p.relative_to(root) for p in (root / "archive").rglob("*") if p.name != ".lock")

    before = entries()
    r = cli(*args)
    assert r.exit_code != 0
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.output
    assert entries() == before


def test_ambiguous_prefix(cli, root, monkeypatch):
    from newsarchive import store

    given = iter(["7h2kq9xa", "7h2mw3rb", "9d4ve6pc"])  # the first two share the prefix "7h2"
    monkeypatch.setattr(store, "new_id", lambda length=8: next(given))
    ids = [json.loads(cli("add", "--title", f"Sample {n}", "--format", "json").stdout)["id"] for n in range(3)]
    assert ids == ["7h2kq9xa", "7h2mw3rb", "9d4ve6pc"]
    r = cli("show", "7h2")
    assert r.exit_code != 0 and "matches 2 entries" in r.stderr
    assert "7h2kq9xa" in r.stderr and "7h2mw3rb" in r.stderr
    r = cli("show", "7h2k", "--format", "json")  # one more character: one entry
    assert r.exit_code == 0 and json.loads(r.stdout)["id"] == "7h2kq9xa"
    r = cli("show", "9", "--format", "json")  # a prefix no other ID shares
    assert r.exit_code == 0 and json.loads(r.stdout)["id"] == "9d4ve6pc"


def test_no_collection_is_clear(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSARCHIVE_ROOT", raising=False)
    r = CliRunner().invoke(app, ["list"])
    assert r.exit_code != 0 and "no collection" in r.stderr


def test_jsonl_round_trip_is_exact(cli, root, tmp_path, sample_file):
    add_sample(cli, sample_file)
    cli("add", "--title", "Metadata only", "--author", "Gec, Jovana", "--published", "2023-01")
    out = tmp_path / "out" / "all.jsonl"
    out.parent.mkdir()
    r = cli("export", "--to", "jsonl", "-o", out)
    assert r.exit_code == 0, r.output
    other = api.init(tmp_path / "other")
    r = CliRunner().invoke(app, ["--root", str(other), "import", str(out), "--format", "jsonl"])
    assert r.exit_code == 0, r.output
    assert [json.loads(l)["status"] for l in r.stdout.splitlines()] == ["created", "created"]
    before = {e.id: e.to_json() for e in api.list_entries(root)}
    after = {e.id: e.to_json() for e in api.list_entries(other)}
    assert before == after
    for e in api.list_entries(other):
        for s in e.snapshots:
            assert (other / "archive" / e.id / s.path).read_bytes() == (root / "archive" / e.id / s.path).read_bytes()
    # and export of the copy gives the same lines
    out2 = tmp_path / "out" / "again.jsonl"
    CliRunner().invoke(app, ["--root", str(other), "export", "--to", "jsonl", "-o", str(out2)])
    strip = lambda p: [{k: v for k, v in json.loads(l).items() if k != "snapshot"} for l in p.read_text().splitlines()]
    assert strip(out) == strip(out2)
    # importing again: every record is a duplicate, nothing changes
    r = CliRunner().invoke(app, ["--root", str(other), "import", str(out), "--format", "jsonl"])
    assert [json.loads(l)["status"] for l in r.stdout.splitlines()] == ["duplicate", "duplicate"]


def test_import_reports_each_line(cli, root, tmp_path):
    src = tmp_path / "in.jsonl"
    (tmp_path / "snap.txt").write_text("Headline from file\n\nBody text here.\n")
    src.write_text("\n".join([
        json.dumps({"title": "Inline", "text": "Inline body about sanctions.", "published": "Sept. 2024"}),
        "{broken",
        json.dumps({"title": "Bad date", "published": "someday"}),
        json.dumps({"snapshot": "snap.txt", "authors": ["Jovana Gec"]}),
        json.dumps({"snapshot": "../../etc/passwd"}),
        json.dumps(["not", "an", "object"]),
    ]) + "\n")
    report = tmp_path / "report.jsonl"
    r = cli("import", src, "--format", "jsonl", "--report", report)
    assert r.exit_code == 1  # some records failed
    lines = [json.loads(l) for l in r.stdout.splitlines()]
    assert [l["ref"] for l in lines] == ["line 1", "line 2", "line 3", "line 4", "line 5", "line 6"]
    assert [l["status"] for l in lines] == ["created", "failed", "failed", "created", "failed", "failed"]
    assert "line 2: not valid JSON" in lines[1]["error"]
    assert "someday" in lines[2]["error"]
    assert "leaves the manifest" in lines[4]["error"]
    assert [json.loads(l) for l in report.read_text().splitlines()] == lines
    titles = sorted(e.title for e in api.list_entries(root))
    assert titles == ["Headline from file", "Inline"]


def test_import_on_error_stop(cli, root, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"title": "one"}\n{bad\n{"title": "three"}\n')
    r = cli("import", src, "--on-error", "stop", "--format", "jsonl")
    assert r.exit_code == 1
    assert [json.loads(l)["status"] for l in r.stdout.splitlines()] == ["created", "failed"]
    assert [e.title for e in api.list_entries(root)] == ["one"]


def test_import_dry_run_writes_nothing(cli, root, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"title": "one"}\n')
    r = cli("import", src, "--dry-run", "--format", "jsonl")
    assert json.loads(r.stdout)["status"] == "would-create"
    assert api.list_entries(root) == []


def test_status_counts(cli, sample_file):
    add_sample(cli, sample_file)
    r = cli("status", "--format", "json")
    s = json.loads(r.stdout)
    assert (s["entries"], s["snapshots"], s["indexed"], s["index"]) == (1, 1, 1, "ok")


def test_help_for_every_command_is_in_readme():
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    for cmd in app.registered_commands:
        name = cmd.name or cmd.callback.__name__
        r = CliRunner().invoke(app, [name, "--help"])
        assert r.exit_code == 0 and "Usage" in r.stdout
        assert f"newsarchive {name}" in readme, f"README does not document `newsarchive {name}`"


def test_failed_export_leaves_no_partial_file(cli, tmp_path, monkeypatch):
    from newsarchive.errors import CitationError
    from newsarchive.formats import bibtex

    for n in range(3):
        cli("add", "--title", f"Entry {n}", "--author", "Jovana Gec", "--published", "2024")
    out = tmp_path / "refs.bib"
    calls = []

    def failing(entries, **kw):
        calls.append(kw)
        raise CitationError("cannot write this one")

    monkeypatch.setattr(bibtex, "format_entries", failing)
    r = cli("export", "--to", "bibtex", "-o", out)
    assert r.exit_code == 1 and "cannot write this one" in r.stderr and calls
    assert list(tmp_path.glob("*refs.bib*")) == []


def test_key_choice_for_citation_files(cli, tmp_path):
    entry = json.loads(cli("add", "--title", "Keyed", "--author", "Jovana Gec", "--published", "2024",
                           "--format", "json").stdout)["entry"]
    import re

    assert re.match(r"@\w+\{gec2024keyed,", cli("cite", entry["id"], "--style", "bibtex").stdout)
    out = cli("cite", entry["id"], "--style", "biblatex", "--key", "id").stdout
    assert out.split("{", 1)[1].startswith(entry["id"] + ",")
    ris = tmp_path / "k.ris"
    cli("export", "--to", "ris", "--key", "id", "-o", ris)
    assert f"ID  - {entry['id']}" in ris.read_text()
    r = cli("cite", entry["id"], "--key", "colour")
    assert r.exit_code == 2 and "unknown --key" in r.stderr


def test_a_value_that_is_not_utf8_is_one_clear_failure(cli, root, tmp_path):
    """A shell's $'x\\x9by' reaches Python as a lone surrogate: one clear line, nothing stored."""
    page = tmp_path / "sample.txt"
    page.write_text("SAMPLE text of an article.\n", encoding="utf-8")
    r = cli("add", str(page), "--title", "x\udc9by")
    assert r.exit_code != 0
    assert "not valid UTF-8" in r.output and "internal error" not in r.output
    assert cli("list", "-f", "ids").stdout == ""
