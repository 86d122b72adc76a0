"""Options that say what they do (issue 15): `edit --unset` takes the names `--set` takes,
`status -f csv|jsonl`, `diff --old/--new`, `cite --at-version`; the old spellings still work.
The pages below are samples written for these tests."""

from __future__ import annotations

import csv
import io
import json

import pytest

PAGE = ("<html><head><title>SAMPLE: Ferry timetable</title></head><body><article>"
        "<p>This is a sample page written for the newsarchive tests. {words}</p></article></body></html>")


@pytest.fixture
def two_versions(cli, tmp_path):
    """One entry with two captures of the same URL whose text differs."""
    url = "https://news.example/ferry"
    for n, words in enumerate(["Ferries leave every hour today.", "Ferries leave every half hour tomorrow."], 1):
        page = tmp_path / f"v{n}.html"
        page.write_text(PAGE.format(words=words), "utf-8")
        r = cli("add", page, "--url", url, "--format", "json")
        assert r.exit_code == 0, r.output
    entry_id = json.loads(cli("list", "--format", "json").stdout)[0]["id"]
    return entry_id


@pytest.mark.parametrize("alias,field", [("date", "published"), ("published", "published"),
                                         ("author", "authors"), ("lang", "language"), ("tag", "tags")])
def test_unset_takes_every_name_set_takes(cli, alias, field):
    entry_id = json.loads(cli("add", "--title", "Sample", "--format", "json").stdout)["id"]
    value = {"published": "2024-05-06", "authors": "Ana Sample", "language": "en", "tags": "sample"}[field]
    assert cli("edit", entry_id, "--set", f"{alias}={value}").exit_code == 0
    assert json.loads(cli("show", entry_id, "--format", "json").stdout).get(field)
    r = cli("edit", entry_id, "--unset", alias)
    assert r.exit_code == 0, r.output
    assert not json.loads(cli("show", entry_id, "--format", "json").stdout).get(field)


def test_unset_of_an_unknown_field_is_bad_usage(cli):
    entry_id = json.loads(cli("add", "--title", "Sample", "--format", "json").stdout)["id"]
    r = cli("edit", entry_id, "--unset", "colour")
    assert r.exit_code == 2 and "cannot unset 'colour'" in r.stderr


def test_status_csv_is_a_header_and_one_row(cli):
    cli("add", "--title", "Sample", "--outlet", "Sample Gazette")
    r = cli("status", "-f", "csv")
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert len(rows) == 1
    assert (rows[0]["entries"], rows[0]["index"], rows[0]["engine"]) == ("1", "ok", "whoosh")
    assert rows[0]["missing_from_index"] == ""  # an empty list is an empty cell


def test_status_jsonl_is_one_line_and_json_stays_indented(cli):
    cli("add", "--title", "Sample")
    r = cli("status", "-f", "jsonl")
    lines = r.stdout.splitlines()
    assert r.exit_code == 0 and len(lines) == 1
    assert json.loads(lines[0])["entries"] == 1
    r = cli("status", "-f", "json")
    assert len(r.stdout.splitlines()) > 1 and json.loads(r.stdout) == json.loads(lines[0])


def test_diff_old_new_and_the_old_names(cli, two_versions):
    new = json.loads(cli("diff", two_versions, "--old", "1", "--new", "2", "--format", "json").stdout)
    assert (new["from"]["version"], new["to"]["version"]) == (1, 2)
    assert new["words"]["inserted"] > 0
    old = json.loads(cli("diff", two_versions, "--from", "1", "--to", "2", "--format", "json").stdout)
    assert old == new  # the hidden old names do the same
    r = cli("diff", two_versions, "--old", "1", "--from", "2")
    assert r.exit_code == 2 and "--old and --from" in r.stderr
    help_text = cli("diff", "--help").stdout
    assert "--old" in help_text and "--new" in help_text and "--from" not in help_text


def test_cite_at_version_and_the_old_name(cli, two_versions):
    at = cli("cite", two_versions, "--style", "bibtex", "--at-version", "1")
    assert at.exit_code == 0, at.output
    newest = cli("cite", two_versions, "--style", "bibtex").stdout
    assert at.stdout != newest  # the first capture's hash, not the newest one's
    assert cli("cite", two_versions, "--style", "bibtex", "--version", "1").stdout == at.stdout
    r = cli("cite", two_versions, "--at-version", "1", "--version", "2")
    assert r.exit_code == 2 and "--at-version and --version" in r.stderr
    r = cli("cite", two_versions, "--at-version", "3")
    assert r.exit_code == 2 and "no version 3" in r.stderr
    help_text = cli("cite", "--help").stdout
    assert "--at-version" in help_text and "--version" not in help_text.replace("--at-version", "")


def test_an_unknown_citation_style_is_bad_usage(tmp_path):
    # found trying the tool as a new user: `cite X --style harvard` exited 1 while `export -f xml` exits 2
    from typer.testing import CliRunner

    from newsarchive.cli import app

    root = tmp_path / "c"
    runner = CliRunner()
    assert runner.invoke(app, ["init", str(root)]).exit_code == 0
    f = tmp_path / "a.txt"
    f.write_text("SAMPLE: a title\n\nSample body.\n")
    assert runner.invoke(app, ["--root", str(root), "add", str(f)]).exit_code == 0
    r = runner.invoke(app, ["--root", str(root), "cite", "anonnd", "--style", "harvard"])
    assert r.exit_code == 2 and "unknown citation style 'harvard'" in r.output, r.output
