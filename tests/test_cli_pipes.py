"""Pipes both ways: -f ids prints every match, - reads references from standard input, export
writes to standard output; import -f csv/json; import-time metadata (--set, --tag, folders)."""

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from newsarchive import api

EXE = Path(sys.executable).with_name("newsarchive")


def _many(root, tmp_path, n=25):
    for i in range(n):
        api.add(root, data=f"SAMPLE story {i:02d} about copper\n\nCopper prices rose {i} percent.\n".encode(),
                source=f"s{i}.txt", fields={"published": f"2024-01-{i % 28 + 1:02d}", "outlet": "Sample Wire",
                                            "authors": [f"Writer{chr(65 + i % 26)}, Sam"]})


def test_ids_prints_every_match_and_paged_formats_say_there_are_more(cli, root, tmp_path):
    _many(root, tmp_path)
    r = cli("search", "copper", "-f", "ids")
    assert r.exit_code == 0 and len(r.stdout.split()) == 25 and r.stderr == ""
    r = cli("search", "copper", "-f", "ids", "--limit", "3")
    assert len(r.stdout.split()) == 3 and "of 25 matches" in r.stderr
    r = cli("search", "copper", "-f", "jsonl")
    assert len(r.stdout.splitlines()) == 20
    assert "showing 1-20 of 25 matches" in r.stderr and "--offset 20" in r.stderr
    r = cli("search", "copper", "-f", "csv", "--offset", "20")
    assert len(r.stdout.splitlines()) == 1 + 5 and "of 25" not in r.stderr  # the last page: nothing more


def test_dash_reads_references_from_stdin(cli, root, tmp_path):
    _many(root, tmp_path, 3)
    ids = cli("list", "-f", "ids").stdout
    keys = [e["citekey"] for e in json.loads(cli("list", "-f", "json").stdout)]
    # IDs, citekeys, blank lines and comments
    given = f"# SAMPLE list\n{ids.split()[0]}\n\n  {keys[1]}  \n{ids.split()[2]}\n"
    r = cli("cite", "-", "--style", "bibtex", input=given)
    assert r.exit_code == 0, r.output
    assert len(re.findall(r"^@\w+\{", r.stdout, re.M)) == 3
    r = cli("show", "-", "-f", "json", input=ids)
    assert r.exit_code == 0 and sorted(e["id"] for e in json.loads(r.stdout)) == sorted(ids.split())
    r = cli("show", "-", input=ids)
    assert r.stdout.count("SAMPLE story") >= 3
    r = cli("export", "--id", "-", "--to", "csv", input=ids.split()[0] + "\n")
    assert r.exit_code == 0 and len(list(csv.DictReader(io.StringIO(r.stdout)))) == 1
    r = cli("verify", "-", input=ids)
    assert r.exit_code == 0 and "3 entries checked" in r.stdout
    r = cli("edit", "-", "--add-tag", "sampled", input=ids)
    assert r.exit_code == 0 and r.stdout.count("tags") == 3
    assert all("sampled" in e["tags"] for e in json.loads(cli("list", "-f", "json").stdout))
    r = cli("edit", "-", input=ids)
    assert r.exit_code == 2 and "--set" in r.stderr
    r = cli("rm", "-", input=ids)  # standard input is the list: rm cannot ask
    assert r.exit_code == 2 and "--yes" in r.stderr and len(cli("list", "-f", "ids").stdout.split()) == 3
    r = cli("rm", "-", "--yes", input=ids.split()[0] + "\n")
    assert r.exit_code == 0 and len(cli("list", "-f", "ids").stdout.split()) == 2


def test_dash_with_nothing_on_stdin_or_a_typo_is_one_line(cli, root, tmp_path):
    _many(root, tmp_path, 2)
    r = cli("cite", "-", input="")
    assert r.exit_code == 1 and r.stderr.strip() == \
        "Error: no entry references on standard input (one ID or citekey per line)"
    r = cli("cite", "-", "-", input="x\n")
    assert r.exit_code == 2
    ids = cli("list", "-f", "ids").stdout.split()
    r = cli("edit", "-", "--set", "section=World", input=f"{ids[0]}\nnosuchentry\n")
    assert r.exit_code == 1 and "nosuchentry" in r.stderr
    assert all(not e.get("section") for e in json.loads(cli("list", "-f", "json").stdout))  # nothing changed


def test_export_writes_to_stdout_without_o_and_refuses_binary_formats(cli, root, tmp_path):
    _many(root, tmp_path, 2)
    r = cli("export", "--to", "bibtex")
    assert r.exit_code == 0 and r.stdout.count("@") == 2 and "exported" not in r.stderr
    for to, arg in (("warc", "-o FILE"), ("bagit", "-o FOLDER")):
        r = cli("export", "--to", to)
        assert r.exit_code == 2 and arg in r.stderr and len(r.stderr.splitlines()) == 1


def test_a_real_shell_pipeline(root, tmp_path):
    if shutil.which("bash") is None or not EXE.exists():
        pytest.skip("needs bash and the installed newsarchive script")
    _many(root, tmp_path, 23)
    env = {**os.environ, "NEWSARCHIVE_ROOT": str(root)}
    p = subprocess.run(["bash", "-c", "set -o pipefail; newsarchive search copper -f ids | newsarchive cite - --style apa"],
                       env={**env, "PATH": f"{EXE.parent}:{env.get('PATH', '')}"}, capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert len(lines) == 23 and all("Sample Wire" in line for line in lines)
    assert lines == sorted(lines, key=lambda s: s.split(",")[0])  # a reference list: by author
    p = subprocess.run(["bash", "-c", "set -o pipefail; newsarchive list -f ids | head -2 | newsarchive export --id - --to csl-json"],
                       env={**env, "PATH": f"{EXE.parent}:{env.get('PATH', '')}"}, capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    assert len(json.loads(p.stdout)) == 2


# --------------------------------------------------------------------------- import -f

def _jsonl(tmp_path):
    src = tmp_path / "sample.jsonl"
    src.write_text('{"title": "SAMPLE A", "outlet": "Reuters"}\n{"title": "SAMPLE B"}\nnot json\n', "utf-8")
    return src


def test_import_csv_and_json_formats_have_one_row_per_record(cli, tmp_path):
    src = _jsonl(tmp_path)
    r = cli("import", src, "-f", "csv", "--dry-run")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [row["ref"] for row in rows] == ["line 1", "line 2", "line 3"]
    assert [row["status"] for row in rows] == ["would-create", "would-create", "failed"]
    assert "not valid JSON" in rows[2]["message"] and r.exit_code == 1
    r = cli("import", src, "-f", "json")
    data = json.loads(r.stdout)
    assert data["records"] == 3 and [o["status"] for o in data["outcomes"]] == ["created", "created", "failed"]


# --------------------------------------------------------------------------- import-time metadata

def test_set_fills_what_records_lack_and_says_what_it_did_not_use(cli, tmp_path):
    src = _jsonl(tmp_path)
    r = cli("import", src, "--set", "outlet=BBC", "--set", "kind=news website", "--tag", "batch1", "-f", "jsonl")
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert "kept its own outlet 'Reuters'" in lines[0]["message"] and lines[1]["message"] is None
    entries = {e["title"]: e for e in json.loads(cli("list", "-f", "json").stdout)}
    assert entries["SAMPLE A"]["outlet"] == "Reuters" and entries["SAMPLE B"]["outlet"] == "BBC"
    assert entries["SAMPLE A"]["kind"] == entries["SAMPLE B"]["kind"] == "news website"
    assert entries["SAMPLE A"]["tags"] == entries["SAMPLE B"]["tags"] == ["batch1"]
    shown = json.loads(cli("show", entries["SAMPLE B"]["id"], "-f", "json").stdout)
    assert shown["provenance"]["outlet"] == "import --set"


def test_override_replaces_and_says_so(cli, tmp_path):
    src = _jsonl(tmp_path)
    r = cli("import", src, "--set", "outlet=BBC", "--override", "-f", "jsonl")
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert lines[0]["message"] == "outlet 'Reuters' replaced by --set 'BBC'"
    assert {e["outlet"] for e in json.loads(cli("list", "-f", "json").stdout)} == {"BBC"}


def test_set_values_are_checked_before_anything_is_imported(cli, tmp_path):
    src = _jsonl(tmp_path)
    for bad, word in (("outlt=x", "unknown field"), ("published=someday", "someday"), ("kind=poem", "kind"),
                      ("tags=x", "--tag"), ("outlet", "field=value")):
        r = cli("import", src, "--set", bad)
        assert r.exit_code == 2 and word in r.stderr, (bad, r.stderr)
    assert cli("list", "-f", "ids").stdout == ""


def test_set_on_a_folder_of_pages_fills_what_the_page_does_not_say(cli, tmp_path):
    folder = tmp_path / "pages"
    (folder / "sport").mkdir(parents=True)
    (folder / "business" / "2004").mkdir(parents=True)
    (folder / "sport" / "001.txt").write_text("SAMPLE Chelsea sack Mutu\n\nChelsea have sacked Mutu.\n", "utf-8")
    (folder / "business" / "2004" / "001.txt").write_text("SAMPLE Ad sales boost profits\n\nProfits rose.\n", "utf-8")
    (folder / "page.html").write_text('<html><head><title>SAMPLE page</title><meta property="og:site_name" '
                                      'content="Example Times"></head><body><article><p>Sample text of a page '
                                      'about copper prices in a sample town.</p></article></body></html>', "utf-8")
    (folder / "README.md").write_text("# SAMPLE notes about this folder\n", "utf-8")
    (folder / "LICENSE.txt").write_text("SAMPLE licence text\n", "utf-8")
    r = cli("import", folder, "--set", "outlet=BBC", "--tags-from-folders", "--tag", "bbc", "-f", "jsonl")
    lines = {x["ref"]: x for x in map(json.loads, r.stdout.splitlines())}
    assert lines["README.md"]["status"] == "skipped" and "project document" in lines["README.md"]["message"]
    assert lines["LICENSE.txt"]["status"] == "skipped"
    assert lines["page.html"]["status"] == "created" and "kept its own outlet 'Example Times'" in lines["page.html"]["message"]
    entries = {e["title"]: e for e in json.loads(cli("list", "-f", "json").stdout)}
    assert entries["SAMPLE Chelsea sack Mutu"]["tags"] == ["bbc", "sport"]
    assert entries["SAMPLE Ad sales boost profits"]["tags"] == ["bbc", "business", "2004"]
    assert entries["SAMPLE Chelsea sack Mutu"]["outlet"] == "BBC" and entries["SAMPLE page"]["outlet"] == "Example Times"
    assert len(lines) == 5  # one line per file


def test_include_and_exclude_patterns(cli, tmp_path):
    folder = tmp_path / "pages"
    (folder / "drafts").mkdir(parents=True)
    for rel in ("a.txt", "b.md", "drafts/c.txt", "README.txt"):
        (folder / rel).write_text(f"SAMPLE {rel}\n\nSample body of {rel}.\n", "utf-8")
    r = cli("import", folder, "--exclude", "drafts", "-f", "jsonl", "--dry-run")
    status = {x["ref"]: x["status"] for x in map(json.loads, r.stdout.splitlines())}
    assert status == {"a.txt": "would-create", "b.md": "would-create", "drafts/c.txt": "skipped",
                      "README.txt": "skipped"}
    r = cli("import", folder, "--include", "*.txt", "-f", "jsonl", "--dry-run")
    status = {x["ref"]: x["status"] for x in map(json.loads, r.stdout.splitlines())}
    assert status == {"a.txt": "would-create", "b.md": "skipped", "drafts/c.txt": "would-create",
                      "README.txt": "would-create"}  # --include names it: imported
    r = cli("import", _jsonl(tmp_path), "--include", "*.txt")
    assert r.exit_code == 2 and "folder imports" in r.stderr


def test_timestamp_reads_references_from_stdin(cli, root, tsa):
    one = api.add(root, data=b"SAMPLE one\n\nA sample body about a harbour.\n", source="one.txt", fields={}).entry
    two = api.add(root, data=b"SAMPLE two\n\nA sample body about a vote.\n", source="two.txt", fields={}).entry
    r = cli("timestamp", "-", "--tsa", tsa.url, "--tsa-ca", tsa.ca, input=f"{one.id}\n{two.citekey}\n")
    assert r.exit_code == 0, r.output
    assert r.stdout.count("stamped: ") == 2 and one.id in r.stdout and two.id in r.stdout
