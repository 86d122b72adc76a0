"""`newsarchive doctor`: one line per thing to fix, -f json, exit 1 when there is something."""

import json
import shutil

from newsarchive.doctor import citation_gaps


def _complete(cli, title="SAMPLE complete story", **extra):
    args = ["add", "--title", title, "--published", "2024-09-04", "--outlet", "Sample Wire", "--kind",
            "news website", "--url", f"https://example.org/{abs(hash(title))}", "--accessed", "2024-09-05",
            "--format", "json"]
    for k, v in extra.items():
        args += [f"--{k}", v]
    r = cli(*args)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)["entry"]


def test_a_healthy_collection_exits_0(cli):
    _complete(cli)
    r = cli("doctor")
    assert r.exit_code == 0, r.output
    assert r.stdout == "" and "nothing to fix" in r.stderr
    assert json.loads(cli("doctor", "-f", "json").stdout)["findings"] == []


def test_incomplete_entries_one_line_each_with_a_fix(cli):
    _complete(cli)
    bare = json.loads(cli("add", "--title", "SAMPLE bare", "--format", "json").stdout)["entry"]
    web = json.loads(cli("add", "--title", "SAMPLE web page", "--kind", "webpage", "--published", "2024",
                         "--outlet", "Example", "--format", "json").stdout)["entry"]
    r = cli("doctor")
    assert r.exit_code == 1
    lines = r.stdout.splitlines()
    assert len(lines) == 2
    bare_line = next(x for x in lines if bare["id"] in x)
    assert "no date" in bare_line and "no outlet" in bare_line and f"newsarchive edit {bare['id']}" in bare_line
    web_line = next(x for x in lines if web["id"] in x)
    assert "no URL" in web_line and "no access date" in web_line and "no date" not in web_line
    data = json.loads(cli("doctor", "-f", "json").stdout)
    assert {f["id"] for f in data["findings"]} == {bare["id"], web["id"]}
    assert all(f["kind"] == "incomplete" for f in data["findings"]) and data["checked"] == 3


def test_gaps_include_the_citation_codes_own():
    from newsarchive.model import Entry

    entry = Entry.from_json({"id": "sample01", "citekey": "sample", "published": "2024", "outlet": "X"})
    assert citation_gaps(entry) == ["no title"]  # cite._common.missing
    book = Entry.from_json({"id": "sample02", "citekey": "sample2", "title": "SAMPLE", "published": "2024",
                            "kind": "book", "publisher": "Sample Press"})
    assert citation_gaps(book) == []


def test_citekeys_that_differ_only_in_case(cli):
    _complete(cli, "SAMPLE one", citekey="Gec2024serbia")
    _complete(cli, "SAMPLE two", citekey="gec2024Serbia")
    r = cli("doctor")
    assert r.exit_code == 1
    line = next(x for x in r.stdout.splitlines() if x.startswith("duplicate-citekey"))
    assert "Gec2024serbia" in line and "gec2024Serbia" in line and "--set citekey=" in line


def test_damaged_and_missing_files_and_index_drift(cli, root):
    _complete(cli, "SAMPLE alpha")
    c = _complete(cli, "SAMPLE gamma")
    src = root.parent / "snap.txt"
    src.write_text("SAMPLE page text\n\nSample body about copper.\n", "utf-8")
    d = json.loads(cli("add", src, "--outlet", "Sample Wire", "--published", "2024", "--format", "json").stdout)["entry"]
    snap = root / "archive" / d["id"] / d["snapshots"][0]["path"]
    snap.write_bytes(b"SAMPLE changed")
    shutil.rmtree(root / "archive" / c["id"])  # gone behind the index's back: drift
    r = cli("doctor")
    assert r.exit_code == 1
    kinds = [line.split(":")[0] for line in r.stdout.splitlines()]
    assert "damaged" in kinds and "index" in kinds
    damaged = next(x for x in r.stdout.splitlines() if x.startswith("damaged"))
    assert d["id"] in damaged and str(snap) in damaged
    assert "newsarchive reindex" in next(x for x in r.stdout.splitlines() if x.startswith("index"))
    data = json.loads(cli("doctor", "-f", "json").stdout)
    assert {f["kind"] for f in data["findings"]} >= {"damaged", "index"}
