"""Versions, diff, edit and history, verify, BagIt: a page served on 127.0.0.1 that changes."""

import json
import sys

import pytest

from newsarchive import api

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{headline} | Sample Wire</title>
<meta property="og:site_name" content="Sample Wire">
<meta property="article:published_time" content="2024-09-04T10:00:00+02:00">
<link rel="canonical" href="{canonical}">
</head><body>
<header><nav>Home | World | Politics</nav></header>
<aside class="sidebar"><h3>Most read</h3><ul><li>{sidebar}</li></ul><p>Updated {clock}</p></aside>
<article><h1>{headline}</h1>
<p class="byline">By Sample Reporter</p>
<p>SAMPLE text written for the newsarchive tests. The deputy prime minister met the president in
the far-eastern port city on Wednesday, on the sidelines of an economic forum.</p>
<p>He said the country would not impose sanctions and would not join the military alliance,
calling the two nations allies despite its bid to join the European Union.</p>
{extra}
</article>
<footer>Copyright Sample Wire</footer>
</body></html>"""


class Site:
    """A web server whose one article page can be changed between captures."""

    def __init__(self, serve):
        self.state = dict(headline="Official meets president, says country won't join sanctions",
                          sidebar="Storm hits coast", clock="10:01", extra="")
        self.url = serve(self.respond) + "/world/article-1"

    def respond(self, path):
        body = PAGE.format(**self.state, canonical=self.url).encode()
        return 200, {"Content-Type": "text/html; charset=utf-8"}, body


@pytest.fixture
def site(serve):
    return Site(serve)


def add_url(cli, url, *extra):
    r = cli("add", url, "--format", "json", *extra)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_versions_follow_article_text_not_page_furniture(cli, root, site):
    first = add_url(cli, site.url, "--tag", "serbia")
    assert first["status"] == "created"
    entry_id = first["id"]
    snap = first["entry"]["snapshots"][0]
    assert snap["warc_path"] == "v1/capture.warc.gz" and snap["http"]["status"] == 200

    # only the sidebar and its clock change: same article text, no new version
    site.state.update(sidebar="Markets fall", clock="10:45")
    again = add_url(cli, site.url)
    assert again["status"] == "unchanged" and again["id"] == entry_id
    assert again["message"].startswith("unchanged since ")

    # the headline is rewritten: version 2 of the same entry
    site.state["headline"] = "Deputy PM says country is an ally and rejects Western penalties"
    second = add_url(cli, site.url)
    assert (second["status"], second["id"]) == ("new-version", entry_id)
    assert "new version 2" in second["message"]
    assert second["entry"]["title"] == site.state["headline"]
    assert second["entry"]["tags"] == ["serbia"]  # what the user said stays

    # a correction is appended: version 3
    site.state["extra"] = "<p>Correction: An earlier version misstated the name of the forum.</p>"
    third = add_url(cli, site.url)
    assert third["status"] == "new-version" and len(third["entry"]["snapshots"]) == 3
    shas = [s["sha256"] for s in third["entry"]["snapshots"]]
    assert len(set(shas)) == 3

    # diff of the last two versions: the correction, word level
    r = cli("diff", entry_id, "--format", "json")
    d = json.loads(r.stdout)
    assert (d["from"]["version"], d["to"]["version"]) == (2, 3)
    inserted = " ".join(op["new"] for op in d["text"] if op["op"] in ("insert", "replace"))
    assert "Correction:" in inserted and d["words"]["deleted"] == 0
    assert d["metadata"] == []

    # diff 1 -> 2: the headline, in the text and in the metadata
    d = json.loads(cli("diff", entry_id, "--from", "1", "--to", "2", "--format", "json").stdout)
    assert [m["field"] for m in d["metadata"]] == ["title"]
    assert d["metadata"][0]["old"].startswith("Official meets president")
    r = cli("diff", entry_id, "--from", "1", "--to", "2")  # piped: unified-style text
    assert "\n-" in r.stdout and "\n+" in r.stdout and "words deleted" in r.stdout

    # history lists the captures, oldest first
    events = json.loads(cli("history", entry_id, "--format", "json").stdout)
    assert [e["action"] for e in events if e["action"] != "set"] == ["created", "new-version", "new-version"]

    # citing version 1 cites what the page said then
    v1 = cli("cite", entry_id, "--style", "apa", "--version", "1").stdout
    assert "Official meets president" in v1
    now = cli("cite", entry_id, "--style", "apa").stdout
    assert "rejects Western penalties" in now
    r = cli("cite", entry_id, "--version", "9")
    assert r.exit_code != 0 and "no version 9" in r.stderr

    # the index searches the newest version; --all-versions the older ones too
    hits = json.loads(cli("search", "correction misstated", "--format", "json").stdout)["hits"]
    assert [h["id"] for h in hits] == [entry_id] and "version" not in hits[0]
    assert json.loads(cli("search", "official", "--format", "json").stdout)["total"] == 0
    old = json.loads(cli("search", "official", "--all-versions", "--format", "json").stdout)
    assert old["total"] == 1
    assert (old["hits"][0]["id"], old["hits"][0]["version"]) == (entry_id, 1)
    assert "<b>official</b>" in old["hits"][0]["snippet"].lower()
    both = json.loads(cli("search", "correction", "--all-versions", "--format", "json").stdout)["hits"]
    assert [(h["id"], h.get("version")) for h in both] == [(entry_id, None)]  # the newest matches itself


def test_new_entry_keeps_captures_apart(cli, site):
    first = add_url(cli, site.url)
    site.state["headline"] = "A different headline"
    second = add_url(cli, site.url, "--new-entry")
    assert second["status"] == "created" and second["id"] != first["id"]


def test_edit_set_unset_tags_and_history(cli, sample_file):
    entry = json.loads(cli("add", sample_file, "--format", "json", "--tag", "a").stdout)["entry"]
    r = cli("edit", entry["id"], "--set", "section=World", "--set", "author=Jovana Gec",
            "--set", "published=Sept. 4, 2024", "--add-tag", "b", "--remove-tag", "a")
    assert r.exit_code == 0, r.output
    after = json.loads(cli("show", entry["id"], "--format", "json").stdout)
    assert after["section"] == "World"
    assert after["authors"] == [{"family": "Gec", "given": "Jovana"}]
    assert after["published"] == "2024-09-04" and after["tags"] == ["b"]
    assert after["provenance"]["section"] == "user"
    assert after["snapshots"] == entry["snapshots"]  # snapshots are never edited
    cli("edit", entry["id"], "--unset", "section")
    events = json.loads(cli("history", entry["id"], "--format", "json").stdout)
    changes = [(e["action"], e.get("field"), e.get("old"), e.get("new")) for e in events[1:]]
    assert ("set", "section", "News", "World") in changes
    assert ("unset", "section", "World", None) in changes
    assert ("set", "tags", ["a"], ["b"]) in changes
    # the index follows the edit
    hits = json.loads(cli("search", "author:gec", "--format", "json").stdout)["hits"]
    assert [h["id"] for h in hits] == [entry["id"]]


@pytest.mark.parametrize("args,message", [
    (["--set", "published=someday"], "cannot understand the date"),
    (["--set", "kind=tabloid"], "unknown 'tabloid'"),
    (["--set", "colour=red"], "unknown field"),
    (["--set", "noequals"], "field=value"),
    (["--unset", "snapshots"], "cannot unset"),
])
def test_edit_validates_like_add(cli, root, sample_file, args, message):
    entry = json.loads(cli("add", sample_file, "--format", "json").stdout)["entry"]
    before = (root / "archive" / entry["id"] / "entry.json").read_bytes()
    r = cli("edit", entry["id"], *args)
    assert r.exit_code != 0 and message in r.stderr
    assert (root / "archive" / entry["id"] / "entry.json").read_bytes() == before


def test_edit_citekey_must_stay_unique(cli):
    a = json.loads(cli("add", "--title", "One", "--format", "json").stdout)["entry"]
    b = json.loads(cli("add", "--title", "Two", "--format", "json").stdout)["entry"]
    r = cli("edit", b["id"], "--set", f"citekey={a['citekey']}")
    assert r.exit_code != 0 and "taken" in r.stderr


def test_edit_with_editor(cli, tmp_path, monkeypatch, sample_file):
    entry = json.loads(cli("add", sample_file, "--format", "json").stdout)["entry"]
    script = tmp_path / "editor.py"
    script.write_text("import json, sys\np = sys.argv[1]\nd = json.load(open(p))\n"
                      "d['section'] = 'Politics'\nd['tags'] = ['edited']\njson.dump(d, open(p, 'w'))\n")
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    r = cli("edit", entry["id"])
    assert r.exit_code == 0, r.output
    after = json.loads(cli("show", entry["id"], "--format", "json").stdout)
    assert after["section"] == "Politics" and after["tags"] == ["edited"]
    assert after["title"] == entry["title"]
    # a broken document changes nothing
    script.write_text("import sys\nopen(sys.argv[1], 'w').write('{ not json')\n")
    r = cli("edit", entry["id"])
    assert r.exit_code != 0 and "not valid JSON" in r.stderr
    assert json.loads(cli("show", entry["id"], "--format", "json").stdout) == after


def test_verify_finds_each_problem(cli, root, sample_file, tmp_path):
    e1 = json.loads(cli("add", sample_file, "--format", "json").stdout)["entry"]
    other = tmp_path / "other.txt"
    other.write_text("Another sample headline\n\nAnother sample body.\n")
    e2 = json.loads(cli("add", other, "--format", "json").stdout)["entry"]
    e3 = json.loads(cli("add", "--title", "Metadata only", "--format", "json").stdout)["entry"]
    assert cli("verify").exit_code == 0

    # flip one byte of a snapshot
    snap = root / "archive" / e1["id"] / e1["snapshots"][0]["path"]
    data = bytearray(snap.read_bytes())
    data[10] ^= 0x01
    snap.write_bytes(bytes(data))
    # remove another snapshot, break a metadata file
    (root / "archive" / e2["id"] / e2["snapshots"][0]["path"]).unlink()
    (root / "archive" / e3["id"] / "entry.json").write_text("{broken")
    r = cli("verify", "--format", "json")
    assert r.exit_code == 1
    problems = json.loads(r.stdout)["problems"]
    kinds = {(p["kind"], p["id"]) for p in problems}
    assert ("corrupt", e1["id"]) in kinds
    assert ("missing", e2["id"]) in kinds
    assert ("invalid", e3["id"]) in kinds
    assert any(p["path"].endswith(e1["snapshots"][0]["path"]) for p in problems if p["kind"] == "corrupt")


def test_verify_detects_and_repairs_stale_index(cli, root, sample_file):
    from newsarchive.model import Entry
    from newsarchive.store import Store

    entry = json.loads(cli("add", sample_file, "--format", "json").stdout)["entry"]
    # a committed change the index did not see (as a writer killed before its index update)
    store = Store(root)
    with store.lock():
        store.update(Entry.from_json({**entry, "title": "Changed without the index knowing"}))
    r = cli("verify", "--format", "json")
    assert r.exit_code == 1
    assert [p["kind"] for p in json.loads(r.stdout)["problems"]] == ["stale-index"]
    r = cli("verify", "--repair-index")
    assert r.exit_code == 0 and "rebuilt" in r.stdout
    assert cli("verify").exit_code == 0
    hits = json.loads(cli("search", "title:knowing", "--format", "json").stdout)["hits"]
    assert [h["id"] for h in hits] == [entry["id"]]


def test_repair_index_never_takes_tampered_metadata_as_truth(cli, root, sample_file):
    entry = json.loads(cli("add", sample_file, "--format", "json").stdout)["entry"]
    # change the metadata behind the store's back: it no longer matches its recorded hash
    path = root / "archive" / entry["id"] / "entry.json"
    data = json.loads(path.read_text())
    data["title"] = "Changed without the index knowing"
    path.write_text(json.dumps(data))
    r = cli("verify", "--format", "json")
    assert r.exit_code == 1
    problems = json.loads(r.stdout)["problems"]
    assert [(p["kind"], p["path"].rsplit("/", 1)[-1] if p["path"] else None) for p in problems] == [
        ("corrupt", "entry.json"), ("extra-in-index", None)]
    r = cli("verify", "--repair-index")
    assert r.exit_code == 1 and "rebuilt" in r.stdout and "corrupt:" in r.stdout
    r = cli("verify", "--format", "json")
    assert [p["kind"] for p in json.loads(r.stdout)["problems"]] == ["corrupt"]  # left out of the index
    hits = json.loads(cli("search", "title:knowing", "--format", "json").stdout)["hits"]
    assert hits == []


def test_every_single_byte_flip_is_detected(cli, root, sample_file):
    entry = json.loads(cli("add", sample_file, "--format", "json").stdout)["entry"]
    snap = root / "archive" / entry["id"] / entry["snapshots"][0]["path"]
    original = snap.read_bytes()
    for pos in range(0, len(original), max(1, len(original) // 25)):
        flipped = bytearray(original)
        flipped[pos] ^= 0x80
        snap.write_bytes(bytes(flipped))
        checked, problems, _ = api.verify(root, [entry["id"]])
        assert [p.kind for p in problems] == ["corrupt"], pos
    snap.write_bytes(original)
    assert api.verify(root)[1] == []


def test_bagit_export_validates(cli, root, sample_file, tmp_path):
    import bagit

    entry = json.loads(cli("add", sample_file, "--format", "json").stdout)["entry"]
    out = tmp_path / "bag"
    r = cli("export", entry["id"], "--to", "bagit", "-o", out)
    assert r.exit_code == 0, r.output
    bag = bagit.Bag(str(out))
    bag.validate()
    assert (out / "data" / entry["id"] / entry["snapshots"][0]["path"]).read_bytes() == sample_file.read_bytes()
    assert "sha256" in bag.algorithms
    r = cli("export", entry["id"], "--to", "bagit", "-o", out)  # never overwrites
    assert r.exit_code != 0 and "not an empty folder" in r.stderr


def test_warc_export_passes_warcio_check(cli, root, site, sample_file, tmp_path):
    from warcio.archiveiterator import ArchiveIterator

    add_url(cli, site.url)
    cli("add", sample_file)
    out = tmp_path / "all.warc.gz"
    assert cli("export", "--to", "warc", "-o", out).exit_code == 0
    with open(out, "rb") as fh:
        types = [r.rec_type for r in ArchiveIterator(fh, check_digests=True)]
    assert types[0] == "warcinfo" and "response" in types and "request" in types and "resource" in types
    from warcio.checker import Checker

    class Args:
        inputs = [str(out)]
        verbose = False

    assert Checker(Args()).process_all() == 0


def test_jsonl_import_indexes_the_newest_version_even_when_it_has_no_text(tmp_path):
    """Found by the round-trip property test: a newest version without extracted text was
    indexed with the previous version's text, so verify called the imported entry stale."""
    from newsarchive.formats.records import Record

    src, dst = api.init(tmp_path / "src"), api.init(tmp_path / "dst")
    batch = [Record(ref="r0", fields={"title": "SAMPLE: t", "url": "https://news.example/a"},
                    data=b":\n0", media_type="text/plain"),
             Record(ref="r1", fields={"url": "https://news.example/a"}, data=b"\r\nv2 0", media_type="text/plain")]
    assert [o.status for o in api.ingest_records(src, batch, durable=False, new_entry=False)] == ["created", "new-version"]
    out = tmp_path / "all.jsonl"
    api.export(src, to="jsonl", out=out)
    assert [o.status for o in api.import_file(dst, out)] == ["created"]
    assert api.verify(dst)[1] == []
