"""Bulk import and export through the CLI: every source format, the report, deduplication,
--dry-run, --on-error, resume after an interruption, export round trips, WARC export checked by
warcio, and the progress bar (terminal only)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsarchive import api
from newsarchive.cli import app

from test_sources import build_warc, page


def jsonl_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def statuses(result) -> list[str]:
    return [o["status"] for o in jsonl_lines(result.stdout)]


def entries(cli) -> list[dict]:
    r = cli("list", "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def status_json(cli) -> dict:
    r = cli("status", "--format", "json")
    return json.loads(r.stdout)


def run_in(root: Path, *args, input=None):
    return CliRunner().invoke(app, ["--root", str(root), *map(str, args)], input=input, catch_exceptions=False)


def write_articles(path: Path, n: int, *, start: int = 0) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(start, start + n):
            fh.write(json.dumps({"title": f"Story {i} about the harbour", "authors": ["Jovana Gec"],
                                 "outlet": "AP News", "published": "2024-09-04",
                                 "url": f"https://news.example/{i}",
                                 "text": f"Story {i}. The harbour reopened on Tuesday, officials said. " * 3}) + "\n")
    return path


# --------------------------------------------------------------------------- each source format

def test_import_each_format(cli, tmp_path, root):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.jsonl").write_text(json.dumps({"title": "From JSONL", "published": "2024",
                                             "text": "Body of the JSONL article."}) + "\n")
    (src / "b.csv").write_text("headline,date,link\nFrom CSV,2023-01-02,https://csv.example/1\n")
    (src / "c.tsv").write_text("title\tdate\nFrom TSV, with a comma\t2022\n")
    (src / "d.json").write_text(json.dumps([{"id": "k", "type": "article-newspaper", "title": "From CSL-JSON",
                                             "issued": {"date-parts": [[2021, 2]]}}]))
    (src / "e.bib").write_text("@string{p = {The Paper}}\n@article{e, title = {From {BibTeX}}, journal = p, "
                               "year = 2020, month = jun}\n")
    (src / "f.ris").write_text("TY  - NEWS\nTI  - From RIS\nPY  - 2019\nER  - \n")
    (src / "g").mkdir()
    (src / "g" / "page.html").write_bytes(page("From a folder"))
    build_warc(src / "h.warc.gz")
    expected = {"a.jsonl": 1, "b.csv": 1, "c.tsv": 1, "d.json": 1, "e.bib": 1, "f.ris": 1, "g": 1, "h.warc.gz": 3}
    for name, n in expected.items():
        r = cli("import", src / name, "--format", "jsonl")
        assert r.exit_code == 0, (name, r.output)
        assert statuses(r).count("created") == n, (name, r.stdout)
    titles = {e["title"] for e in entries(cli)}
    assert {"From JSONL", "From CSV", "From TSV, with a comma", "From CSL-JSON", "From BibTeX", "From RIS",
            "From a folder", "Story number 0", "Story number 1"} <= titles
    bib = next(e for e in entries(cli) if e["title"] == "From BibTeX")
    assert (bib["outlet"], bib["published"]) == ("The Paper", "2020-06")
    # --from overrides the extension
    weird = src / "list.data"
    weird.write_text("title;date\nSemicolons;2018\n")
    r = cli("import", weird, "--from", "csv", "--format", "jsonl")
    assert statuses(r) == ["created"]
    r = cli("import", weird, "--from", "docx")
    assert r.exit_code == 2 and "unknown source format" in r.stderr


def test_csv_map_and_its_errors(cli, tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("Name,When,Who\nMapped,2021-03-04,Ana Ivić\n")
    r = cli("import", p, "--map", "nope=Name")
    assert r.exit_code == 2 and "unknown field 'nope'" in r.stderr
    r = cli("import", p, "--map", "title=Missing")
    assert r.exit_code == 2 and "no column 'Missing'" in r.stderr and "Name, When, Who" in r.stderr
    r = cli("import", p, "--map", "title")
    assert r.exit_code == 2 and "field=column" in r.stderr
    r = cli("import", p)
    assert r.exit_code == 2 and "--map" in r.stderr
    assert entries(cli) == []
    r = cli("import", p, "--map", "title=name", "--map", "published=When", "--map", "authors=Who")
    assert r.exit_code == 0, r.output
    (e,) = entries(cli)
    assert (e["title"], e["published"], e["authors"]) == ("Mapped", "2021-03-04", [{"family": "Ivić", "given": "Ana"}])


def test_csv_snapshot_column_and_a_bad_row(cli, tmp_path):
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "one.html").write_bytes(page("Saved one"))
    p = tmp_path / "list.csv"
    p.write_text("title,file,url\nOne,pages/one.html,https://s.example/1\nBroken,row\nTwo,,https://s.example/2\n")
    r = cli("import", p, "--format", "jsonl")
    assert r.exit_code == 1
    assert [(o["ref"], o["status"]) for o in jsonl_lines(r.stdout)] == [
        ("line 2", "created"), ("line 3", "failed"), ("line 4", "created")]
    one = next(e for e in entries(cli) if e["title"] == "One")
    assert one["snapshots"][0]["sha256"] == __import__("hashlib").sha256(page("Saved one")).hexdigest()


def test_truncated_warc_keeps_good_records_and_fails(cli, tmp_path):
    p = tmp_path / "w.warc"
    build_warc(p, gz=False)
    data = p.read_bytes()
    clipped = tmp_path / "clipped.warc"
    clipped.write_bytes(data[: data.index(b"https://news.example/1") + 300])
    r = cli("import", clipped, "--report", tmp_path / "rep.jsonl")
    assert r.exit_code == 1
    assert "truncated" in r.stderr and "1 created" in r.stderr and "1 failed" in r.stderr
    assert [e["url"] for e in entries(cli)] == ["https://news.example/0"]


class _Pages(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        body = page(f"Fetched {self.path}")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_import_url_list_from_a_local_server(cli, tmp_path):
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{srv.server_address[1]}"
        p = tmp_path / "urls.txt"
        p.write_text(f"{base}/one\n# a comment\n{base}/two\n")
        r = cli("import", p, "--host-delay", "0.05", "--format", "jsonl")
        assert r.exit_code == 0, r.output
        assert statuses(r) == ["created", "created"]
        r = cli("import", p, "--host-delay", "0.05", "--format", "jsonl")
        assert statuses(r) == ["duplicate", "duplicate"]  # the same bytes again
    finally:
        srv.shutdown()
        srv.server_close()
    es = entries(cli)
    assert sorted(e["title"] for e in es) == ["Fetched /one", "Fetched /two"]
    assert all(e["snapshots"][0].get("warc_path") for e in es)


# --------------------------------------------------------------------------- report, dedup, dry run, errors

def test_report_has_a_line_per_record_with_the_issue_fields(cli, tmp_path):
    src = tmp_path / "in.jsonl"
    lines = [json.dumps({"title": "One", "url": "https://r.example/1", "text": "First body."}),
             "{broken",
             json.dumps({"title": "One again", "url": "https://r.example/1", "text": "First body."}),
             json.dumps({"title": "One changed", "url": "https://r.example/1", "text": "A different body."}),
             json.dumps({"title": "Bad date", "published": "the day after", "text": "x"})]
    src.write_text("\n".join(lines) + "\n")
    report = tmp_path / "report.jsonl"
    r = cli("import", src, "--report", report)
    assert r.exit_code == 1
    rep = jsonl_lines(report.read_text())
    assert [(o["ref"], o["status"]) for o in rep] == [
        ("line 1", "created"), ("line 2", "failed"), ("line 3", "duplicate"), ("line 4", "new-version"),
        ("line 5", "failed")]
    for o in rep:
        assert set(o) == {"ref", "status", "id", "error" if o["status"] == "failed" else "message"}
    assert rep[0]["id"] == rep[2]["id"] == rep[3]["id"] and rep[1]["id"] is None
    assert "not valid JSON" in rep[1]["error"] and "date" in rep[4]["error"]
    # the summary line and the failures go to standard error; nothing on standard output
    assert r.stdout == ""
    assert "5 records" in r.stderr and "1 created, 1 duplicate, 2 failed, 1 new-version" in r.stderr
    assert "failed: line 2" in r.stderr
    # --format json: the counts as JSON
    r = cli("import", src, "--format", "json")
    assert json.loads(r.stdout)["counts"] == {"duplicate": 3, "failed": 2}
    # a report that cannot be written is a clear error, before anything is imported
    r = cli("import", src, "--report", tmp_path / "no" / "such" / "dir.jsonl")
    assert r.exit_code == 1 and "cannot write the report" in r.stderr


def test_reimport_is_all_duplicates_and_metadata_matches(cli, tmp_path):
    src = write_articles(tmp_path / "in.jsonl", 5)
    assert statuses(cli("import", src, "--format", "jsonl")) == ["created"] * 5
    r = cli("import", src, "--format", "jsonl")
    assert r.exit_code == 0 and statuses(r) == ["duplicate"] * 5
    # metadata-only records (strict, the default): the same work only when everything that tells
    # works apart agrees; the URL in any form of it
    ris = tmp_path / "cites.ris"
    ris.write_text("TY  - NEWS\nAU  - Gec, Jovana\nTI  - Story 4 about the harbour\nT2  - AP News\n"
                   "DA  - 2024/09/04/\nUR  - http://www.news.example/4/\nER  - \n"
                   "TY  - NEWS\nAU  - Gec, Jovana\nTI  - Story 4 about the harbour\nPY  - 2024\nER  - \n"
                   "TY  - NEWS\nTI  - Other words\nUR  - http://www.news.example/3/\nER  - \n")
    r = cli("import", ris, "--format", "jsonl")
    out = jsonl_lines(r.stdout)
    assert [o["status"] for o in out] == ["duplicate", "created", "created"]
    ids = {e["url"]: e["id"] for e in entries(cli) if e["url"]}
    assert out[0]["id"] == ids["https://news.example/4"]
    assert out[0]["message"] == (f"same title, authors, outlet, URL, date 2024-09-04 as entry {out[0]['id']}")
    assert len(entries(cli)) == 7
    # --match url: the same URL (any form of it) is the same work, whatever the rest says
    ris.write_text("TY  - NEWS\nTI  - Yet other words\nUR  - http://www.news.example/2/\nER  - \n")
    out = jsonl_lines(cli("import", ris, "--format", "jsonl", "--match", "url").stdout)
    assert [(o["status"], o["id"]) for o in out] == [("duplicate", ids["https://news.example/2"])]
    # --match none: every citation creates an entry
    out = jsonl_lines(cli("import", ris, "--format", "jsonl", "--match", "none").stdout)
    assert [o["status"] for o in out] == ["created"]
    assert cli("import", ris, "--match", "fuzzy").exit_code == 2
    assert len(entries(cli)) == 8
    # the same snapshot bytes are stored once
    originals = [p for p in (Path(status_json(cli)["root"]) / "archive").glob("*/v*/original.*")]
    assert len(originals) == 5 and len({p.read_bytes() for p in originals}) == 5


def test_dry_run_writes_nothing_and_says_what_would_happen(cli, tmp_path, root):
    src = write_articles(tmp_path / "in.jsonl", 3)
    cli("import", src)
    more = write_articles(tmp_path / "more.jsonl", 4, start=1)
    before = sorted(p.name for p in (root / "archive").iterdir())
    r = cli("import", more, "--dry-run", "--format", "jsonl")
    assert r.exit_code == 0
    assert statuses(r) == ["duplicate", "duplicate", "would-create", "would-create"]
    r = cli("import", more, "--dry-run")
    assert "(dry run)" in r.stderr
    assert sorted(p.name for p in (root / "archive").iterdir()) == before
    assert status_json(cli)["entries"] == 3
    # a dry run predicts the real run, also for repeats inside the input and across batches
    rep = tmp_path / "rep.jsonl"
    lines = more.read_text().splitlines()
    rep.write_text("\n".join(lines + lines[2:] + [json.dumps({"title": "Meta", "published": "2020"})] * 2) + "\n")
    dry = statuses(cli("import", rep, "--dry-run", "--format", "jsonl"))
    real = statuses(cli("import", rep, "--format", "jsonl"))
    assert [s.replace("would-create", "created") for s in dry] == real == \
        ["duplicate", "duplicate", "created", "created", "duplicate", "duplicate", "created", "duplicate"]


def test_on_error_skip_and_stop(cli, tmp_path):
    src = tmp_path / "in.jsonl"
    good = [json.dumps({"title": f"Good {i}", "text": f"Body {i}."}) for i in range(4)]
    src.write_text("\n".join([good[0], json.dumps({"title": "Bad", "published": "nope", "text": "x"}),
                              good[1], "{not json", good[2]]) + "\n")
    r = cli("import", src, "--on-error", "stop", "--format", "jsonl")
    assert r.exit_code == 1
    assert statuses(r) == ["created", "failed"]
    # nothing after the first failure was written, although it was in the same batch
    assert [e["title"] for e in entries(cli)] == ["Good 0"]
    r = cli("import", src, "--on-error", "skip", "--format", "jsonl")
    assert r.exit_code == 1
    assert statuses(r) == ["duplicate", "failed", "created", "failed", "created"]
    r = cli("import", src, "--on-error", "sometimes")
    assert r.exit_code == 2 and "skip or stop" in r.stderr


# --------------------------------------------------------------------------- interruption and resume

def _assert_consistent(root: Path, n: int) -> None:
    st = run_in(root, "status", "--format", "json")
    s = json.loads(st.stdout)
    assert (s["entries"], s["indexed"], s["index"]) == (n, n, "ok"), s
    assert s["missing_from_index"] == [] and s["extra_in_index"] == [] and s["interrupted_writes"] == []
    v = run_in(root, "verify")
    assert v.exit_code == 0, v.output
    titles = [e["title"] for e in json.loads(run_in(root, "list", "--format", "json").stdout)]
    assert len(titles) == len(set(titles)) == n  # every entry exactly once


def test_ctrl_c_mid_batch_then_resume(cli, root, tmp_path, monkeypatch):
    from newsarchive import store as st
    from newsarchive.api import importing

    src = write_articles(tmp_path / "in.jsonl", 30)
    real_ingest, real_create = api.ingest_records, st.Store.write_new  # every new entry folder is written there
    calls = {"n": 0}

    def small_batches(*a, **k):
        return real_ingest(*a, **{**k, "batch_size": 8})

    def create_then_interrupt(self, *a, **k):
        calls["n"] += 1
        if calls["n"] == 21:  # in the third batch, after 4 of its entries were written
            raise KeyboardInterrupt
        return real_create(self, *a, **k)

    monkeypatch.setattr(importing, "ingest_records", small_batches)  # what import_file calls
    monkeypatch.setattr(st.Store, "write_new", create_then_interrupt)
    report = tmp_path / "rep.jsonl"
    r = cli("import", src, "--report", report)
    assert r.exit_code == 130 and "run the same command again to resume" in r.stderr
    assert len(jsonl_lines(report.read_text())) == 16  # two whole batches were reported
    assert len([p for p in (root / "archive").iterdir() if not p.name.startswith(".")]) == 20
    monkeypatch.setattr(st.Store, "write_new", real_create)
    r = cli("import", src, "--format", "jsonl")
    assert r.exit_code == 0
    assert statuses(r) == ["duplicate"] * 20 + ["created"] * 10
    _assert_consistent(root, 30)


KILLER = textwrap.dedent("""
    import os, signal, sys
    from newsarchive import api, store
    from newsarchive.api import importing
    from newsarchive.cli import app

    real_ingest, real_create = api.ingest_records, store.Store.write_new  # every new entry folder is written there
    calls = [0]

    def create(self, *a, **k):
        calls[0] += 1
        if calls[0] == int(sys.argv[1]):
            os.kill(os.getpid(), signal.SIGKILL)  # no cleanup of any kind: as `kill -9`
        return real_create(self, *a, **k)

    importing.ingest_records = lambda *a, **k: real_ingest(*a, **{**k, "batch_size": 10})
    store.Store.write_new = create
    app(sys.argv[2:], prog_name="newsarchive")
""")


def test_sigkill_mid_batch_then_resume(root, tmp_path):
    src = write_articles(tmp_path / "in.jsonl", 35)
    script = tmp_path / "killer.py"
    script.write_text(KILLER)
    env = {**os.environ, "PYTHONPATH": str(Path(api.__file__).parents[1])}
    proc = subprocess.run([sys.executable, str(script), "26", "--root", str(root), "import", str(src)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == -9, proc.stderr
    # killed inside the third batch: its first 5 entries are in the archive, not yet in the index
    archived = [p for p in (root / "archive").iterdir() if not p.name.startswith(".")]
    assert len(archived) == 25
    s = json.loads(run_in(root, "status", "--format", "json").stdout)
    assert s["index"] != "ok" and s["indexed"] == 20
    r = run_in(root, "import", src, "--format", "jsonl")
    assert r.exit_code == 0, r.output
    assert statuses(r) == ["duplicate"] * 25 + ["created"] * 10
    _assert_consistent(root, 35)
    assert not [p for p in (root / "archive").iterdir() if p.name.startswith(".tmp-")]


# --------------------------------------------------------------------------- export round trips

@pytest.fixture
def varied(cli, tmp_path):
    """Entries with people and organisations, partial dates, every text field, one snapshot."""
    s = tmp_path / "s.txt"
    s.write_text("Test official meets minister in Vladivostok\n\nThe body of the article. It has sentences.\n")
    adds = [
        ("--title", "Serbia official meets Putin, says “no sanctions”", "--author", "Jovana Gec",
         "--author", "Associated Press", "--outlet", "AP News", "--kind", "news agency",
         "--published", "2024-09-04", "--url", "https://apnews.com/article/serbia-putin",
         "--section", "World", "--language", "en", "--tag", "serbia", "--tag", "russia",
         "--archived-url", "https://web.archive.org/web/2024/https://apnews.com/article/serbia-putin"),
        ("--title", "Editorial: Ćirilica & the {braces} 100%", "--author", "Ivić, Ana", "--author", "Marko Marković",
         "--outlet", "Politika", "--kind", "newspaper", "--published", "2023-05", "--pages", "A3",
         "--url", "https://politika.rs/x?id=1&b=2"),
        ("--title", "Just a title", "--published", "2019"),
        (s, "--outlet", "The Blog", "--kind", "newspaper", "--published", "2022-01-02", "--author", "Jane Doe",
         "--url", "https://blog.example/post", "--section", "News"),
    ]
    for args in adds:
        r = cli("add", *args)
        assert r.exit_code == 0, r.output
    return entries(cli)


# what each format carries (the rest is lost by the format itself, not by the round trip)
CARRIED = {
    "csv": ("citekey", "title", "authors", "outlet", "kind", "published", "modified", "accessed", "url",
            "archived_url", "section", "pages", "language", "tags", "notes", "designed_to_change"),
    "csl-json": ("citekey", "title", "authors", "outlet", "kind", "published", "url", "archived_url", "section",
                 "pages", "language", "tags"),
    "ris": ("citekey", "title", "authors", "outlet", "kind", "published", "url", "archived_url", "section",
            "pages", "language", "tags"),
    "bibtex": ("citekey", "title", "authors", "outlet", "url", "archived_url", "section", "pages", "tags"),
    "biblatex": ("citekey", "title", "authors", "outlet", "published", "url", "archived_url", "section",
                 "pages", "language", "tags"),
}


@pytest.mark.parametrize("fmt", sorted(CARRIED))
def test_export_then_import_into_an_empty_collection(cli, tmp_path, varied, fmt):
    out = tmp_path / f"out.{fmt}"
    r = cli("export", "--to", fmt, "-o", out)
    assert r.exit_code == 0 and f"exported {len(varied)} entries" in r.stderr
    other = api.init(tmp_path / f"other-{fmt}")
    r = run_in(other, "import", out, "--from", "bibtex" if fmt == "biblatex" else fmt, "--format", "jsonl")
    assert r.exit_code == 0, r.output
    assert statuses(r) == ["created"] * len(varied)
    back = {e["citekey"]: e for e in json.loads(run_in(other, "list", "--format", "json").stdout)}
    assert set(back) == {e["citekey"] for e in varied}
    for e in varied:
        b = back[e["citekey"]]
        for key in CARRIED[fmt]:
            assert b[key] == e[key], (fmt, e["citekey"], key, e[key], b[key])
    # the dates a format carries as day precision keep the day
    if fmt != "bibtex":
        assert back[varied[0]["citekey"]]["published"] in ("2024-09-04", "2023-05", "2019", "2022-01-02")
    # importing the same file again: all duplicates
    r = run_in(other, "import", out, "--from", "bibtex" if fmt == "biblatex" else fmt, "--format", "jsonl")
    assert statuses(r) == ["duplicate"] * len(varied)


def test_jsonl_export_round_trip_is_exact_with_files(cli, tmp_path, varied, root):
    out = tmp_path / "x" / "all.jsonl"
    out.parent.mkdir()
    assert cli("export", "--to", "jsonl", "-o", out).exit_code == 0
    other = api.init(tmp_path / "other")
    r = run_in(other, "import", out, "--format", "jsonl")
    assert statuses(r) == ["created"] * len(varied)
    back = json.loads(run_in(other, "list", "--format", "json").stdout)
    strip = lambda es: sorted(({k: v for k, v in e.items()} for e in es), key=lambda e: e["id"])  # noqa: E731
    assert strip(back) == strip(varied)
    assert run_in(other, "verify").exit_code == 0


def test_export_to_stdout_and_by_query(cli, varied):
    r = cli("export", "--to", "csv", "-o", "-")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert len(rows) == len(varied) and "designed_to_change" in rows[0]
    r = cli("export", "putin", "--to", "ris", "-o", "-")
    assert r.stdout.count("TY  - ") == 1 and "Serbia official meets Putin" in r.stdout
    r = cli("export", "--to", "csl-json", "-o", "-")
    assert len(json.loads(r.stdout)) == len(varied)
    r = cli("export", "--to", "warc", "-o", "-")
    assert r.exit_code == 2 and "-o FILE" in r.stderr


def test_warc_export_passes_warcio_check_and_reimports(cli, tmp_path, root, varied):
    from warcio.archiveiterator import ArchiveIterator

    build_warc(tmp_path / "in.warc.gz")
    cli("import", tmp_path / "in.warc.gz")
    for name in ("out.warc.gz", "out.warc"):
        out = tmp_path / name
        r = cli("export", "--to", "warc", "-o", out)
        assert r.exit_code == 0, r.output
        check = subprocess.run([sys.executable, "-c", "import sys; from warcio.cli import main; main()",
                                "check", "-v", str(out)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        assert "digest pass" in check.stdout
        with open(out, "rb") as fh:
            recs = [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI")) for r in ArchiveIterator(fh)]
        assert recs[0][0] == "warcinfo"
        # the three captured records as they were, the one text snapshot as a resource record
        assert sorted(u for t, u in recs if t == "response") == ["https://news.example/0", "https://news.example/1"]
        assert ("resource", "https://blog.example/post") in recs
        assert ("resource", "https://news.example/r.txt") in recs
    # and it imports into an empty collection with the same snapshot bytes
    other = api.init(tmp_path / "other")
    r = run_in(other, "import", tmp_path / "out.warc.gz", "--format", "jsonl")
    assert statuses(r).count("created") == 4
    sha = lambda rt: sorted(e["snapshots"][0]["sha256"] for e in json.loads(  # noqa: E731
        run_in(rt, "list", "--format", "json").stdout) if e["snapshots"])
    assert sha(other) == sha(root)


# --------------------------------------------------------------------------- progress

PROGRESS_RUN = textwrap.dedent("""
    import sys
    from newsarchive.cli import app
    app(sys.argv[1:], prog_name="newsarchive")
""")


def _run_with_stderr(root: Path, src: Path, tmp_path: Path, *, tty: bool) -> tuple[int, str, str]:
    script = tmp_path / "run.py"
    script.write_text(PROGRESS_RUN)
    env = {**os.environ, "PYTHONPATH": str(Path(api.__file__).parents[1]), "COLUMNS": "120", "TERM": "xterm"}
    env.pop("NO_COLOR", None)
    args = [sys.executable, str(script), "--root", str(root), "import", str(src)]
    if not tty:
        p = subprocess.run(args, capture_output=True, env=env, timeout=120)
        return p.returncode, p.stdout.decode(), p.stderr.decode()
    import pty

    master, slave = pty.openpty()
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the other end closed
            break
        if not data:
            break
        chunks.append(data)
    out = p.stdout.read()
    p.wait(timeout=120)
    os.close(master)
    return p.returncode, out.decode(), b"".join(chunks).decode("utf-8", "replace")


def test_progress_bar_on_a_terminal_only(root, tmp_path):
    src = write_articles(tmp_path / "in.jsonl", 40)
    code, out, err = _run_with_stderr(root, src, tmp_path, tty=False)
    assert code == 0
    assert out == ""
    # piped: the summary line only, no bar, no cursor movement, no ETA
    assert err.strip().splitlines() == [err.strip()] and "40 records in" in err
    assert "\x1b" not in err and "━" not in err and "ETA" not in err and "importing" not in err
    src2 = write_articles(tmp_path / "in2.jsonl", 40, start=100)
    code, out, err = _run_with_stderr(root, src2, tmp_path, tty=True)
    assert code == 0 and out == ""
    assert "importing" in err and "ETA" in err and "/40" in err and "40 records in" in err


def test_import_json_report_is_one_document_rendered_as_before(cli, tmp_path):
    """--format json prints the summary with every record's line as one JSON document, exactly
    as rendering it whole with indent=2 would (the lines are rendered as they come)."""
    from newsarchive.render import dumps_json

    src = write_articles(tmp_path / "in.jsonl", 3)
    with open(src, "a", encoding="utf-8") as fh:
        fh.write('{"title": "Bad \\u202e date", "published": "not a date \\u202e"}\n{oops\n')
    r = cli("import", src, "--format", "json")
    doc = json.loads(r.stdout)
    assert [o["status"] for o in doc["outcomes"]] == ["created"] * 3 + ["failed"] * 2
    assert list(doc) == ["records", "counts", "seconds", "outcomes"] and doc["records"] == 5
    assert r.stdout == dumps_json(doc, indent=2) + "\n"
    assert "\u202e" not in r.stdout  # written as \u202e, as everywhere
    # nothing imported: an empty list
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    r = cli("import", empty, "--format", "json")
    assert r.stdout == dumps_json({"records": 0, "counts": {}, "seconds": json.loads(r.stdout)["seconds"],
                                   "outcomes": []}, indent=2) + "\n"


def test_import_json_outcomes_spooled_to_a_file_print_the_same(capsys):
    from newsarchive.cli.transfer import _JsonOutcomes
    from newsarchive.render import dumps_json

    lines = [{"ref": f"line {i}", "status": "created", "id": f"id{i:05d}", "message": "é" * (i % 7)}
             for i in range(300)]
    out = _JsonOutcomes(spool_over=100)  # rolls over to a file after the first line
    for line in lines:
        out.add(line)
    out.write({"records": 300, "counts": {"created": 300}, "seconds": 1.5})
    printed = capsys.readouterr().out
    assert printed == dumps_json({"records": 300, "counts": {"created": 300}, "seconds": 1.5,
                                  "outcomes": lines}, indent=2) + "\n"
