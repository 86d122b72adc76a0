"""The index follows the archive through the CLI: add, rm, import, edit, reindex, status."""

import json
import shutil


def hits(cli, query, *extra):
    r = cli("search", query, "--format", "json", *extra)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_index_follows_add_rm_import_and_reindex_gives_the_same_results(cli, root, tmp_path, sample_file):
    added = json.loads(cli("add", sample_file, "--format", "json", "--tag", "serbia",
                           "--published", "Sept. 4, 2024").stdout)["id"]
    assert [h["id"] for h in hits(cli, "vucic sanctions")["hits"]] == [added]  # accent folding, stemming

    src = tmp_path / "more.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in [
        {"title": "Sample: Kosovo talks stall", "text": "Sample text about talks in Brussels.", "published": "2024-03",
         "outlet": "Sample Wire", "tags": ["kosovo"]},
        {"title": "Sample: Serbia and the EU", "text": "Sample text about sanctions and Vučić.", "published": "2023",
         "outlet": "Sample Wire", "tags": ["serbia"]},
    ]) + "\n")
    assert cli("import", src).exit_code == 0
    result = hits(cli, "sanctions", "--sort", "-published", "--facet", "outlet", "--facet", "tag")
    assert result["total"] == 2
    assert [h["published"] for h in result["hits"]] == ["2024-09-04", "2023"]
    facets = {k: {f["value"]: f["count"] for f in v} for k, v in result["facets"].items()}
    assert facets["tag"] == {"serbia": 2}
    assert hits(cli, "brussels")["total"] == 1

    def ranked(q):  # the same hits with the same scores; ties may come in another order
        return sorted((-h["score"], h["id"], h["title"], h["snippet"]) for h in hits(cli, q)["hits"])

    queries = ("sanctions", "tag:serbia", "outlet:\"Sample Wire\"", "published:2024", "talks OR vucic")
    before = {q: ranked(q) for q in queries}
    shutil.rmtree(root / "index")
    (root / "index").mkdir()
    status = json.loads(cli("status", "--format", "json").stdout)
    assert status["index"] == "missing" and status["entries"] == 3
    assert cli("reindex").exit_code == 0
    after = {q: ranked(q) for q in queries}
    assert after == before
    assert json.loads(cli("status", "--format", "json").stdout)["index"] == "ok"

    cli("rm", added, "--yes")
    assert [h["title"] for h in hits(cli, "sanctions")["hits"]] == ["Sample: Serbia and the EU"]
    assert json.loads(cli("status", "--format", "json").stdout)["indexed"] == 2


def test_search_formats_and_errors(cli, sample_file):
    entry_id = json.loads(cli("add", sample_file, "--format", "json").stdout)["id"]
    r = cli("search", "sanctions", "--format", "ids")
    assert r.stdout.split() == [entry_id]
    r = cli("search", "sanctions", "--format", "csv")
    assert r.stdout.splitlines()[0] == "id,citekey,published,outlet,title,score,snippet"
    assert "<b>" not in r.stdout
    j = hits(cli, "sanctions")
    assert "<b>sanctions</b>" in j["hits"][0]["snippet"].lower()
    for bad, message in [('"open', "unbalanced quote"), ("autor:x", "unknown field"), ("published:2024-13", "bad date")]:
        r = cli("search", bad)
        assert r.exit_code == 2 and message in r.stderr and len(r.stderr.splitlines()) == 1
    r = cli("search", "x", "--facet", "colour")
    assert r.exit_code == 2 and "unknown facet" in r.stderr
