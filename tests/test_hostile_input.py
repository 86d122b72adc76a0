"""Hostile input: bounded work, no crash, clear messages (issue 17). Every page, file and
server here is a small sample written for these tests."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from newsarchive import query as Q
from newsarchive.errors import FetchError, QueryError

# --------------------------------------------------------------------------- query limits

_WORDS_150 = " ".join(f"w{i}" for i in range(150))


@pytest.mark.parametrize("text, message", [
    ("(" * 300 + "a" + ")" * 300, "more than 32 levels deep"),
    ("NOT " * 40 + "a", "more than 32 levels deep"),
    (" ".join(f"word{i}" for i in range(1000)), "characters long; the limit is 2000"),
    (_WORDS_150, "150 different search terms; the limit is 100"),
    (" OR ".join(f"word{i}~" for i in range(11)), "11 fuzzy terms (word~); the limit is 10"),
    (" OR ".join(f"wo{i}*" for i in range(26)), "26 wildcard terms (word*); the limit is 25"),
    ("published:>9999", "no date after 9999-12-31"),
    ("published:<0001", "no date before 0001-01-01"),
    ("published:0000", "bad date"),
    ("published:99999999999999999999", "bad date"),
    ("published:-999999d", "bad date"),
])
def test_hostile_queries_are_clear_errors(text, message):
    import re

    with pytest.raises(QueryError, match=re.escape(message)) as err:
        Q.parse(text)
    assert "\n" not in str(err.value)


def test_repeated_terms_are_folded():
    assert Q.parse(" ".join(["the"] * 200)) == Q.Term(None, "the")
    assert Q.parse(" OR ".join(["putin"] * 200)) == Q.Term(None, "putin")
    assert Q.parse("a b a b") == Q.And((Q.Term(None, "a"), Q.Term(None, "b")))
    # within the limits a deep but legal query parses
    assert Q.parse("(" * 30 + "a" + ")" * 30) == Q.Term(None, "a")


def test_relative_dates_older_than_year_one_are_clamped():
    import datetime as dt

    assert Q.parse("published:-3000y") == Q.DateRange(dt.date.min, None)
    assert Q.parse("published:-99999y") == Q.DateRange(dt.date.min, None)
    assert Q.parse("published:>=9999") == Q.DateRange(dt.date(9999, 1, 1), None)


def test_hostile_queries_through_the_cli(cli, sample_file):
    assert cli("add", sample_file).exit_code == 0
    for text in ("(" * 300 + "a" + ")" * 300, "published:>9999", _WORDS_150):
        r = cli("search", text)
        assert r.exit_code == 2, r.output
        assert "Error:" in r.output and "internal error" not in r.output
    r = cli("search", " ".join(["sample"] * 200), "-f", "ids")
    assert r.exit_code == 0 and len(r.output.split()) == 1


# --------------------------------------------------------------------------- fetch deadline

@pytest.fixture
def trickle():
    """A sample server on 127.0.0.1 that sends a response slowly: its status line, then one
    header line (mode "headers") or one body fragment (mode "body") every 0.1 s, forever."""
    servers = []

    def start(mode: str) -> str:
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen()
        servers.append(srv)

        def handle(conn):
            try:
                conn.recv(65536)
                if mode == "headers":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n")
                    piece = b"X-Sample-Slow: 1\r\n"
                else:
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n<p>")
                    piece = b"sample "
                while True:
                    time.sleep(0.1)
                    conn.sendall(piece)
            except OSError:
                pass
            finally:
                conn.close()

        def accept():
            while True:
                try:
                    conn, _ = srv.accept()
                except OSError:
                    return
                threading.Thread(target=handle, args=(conn,), daemon=True).start()

        threading.Thread(target=accept, daemon=True).start()
        return f"http://127.0.0.1:{srv.getsockname()[1]}/"

    yield start
    for srv in servers:
        srv.close()


@pytest.mark.parametrize("mode", ["headers", "body"])
def test_fetch_deadline_covers_trickled_headers_and_body(trickle, mode):
    from newsarchive.extract.fetch import fetch

    url = trickle(mode)
    result: list[BaseException] = []

    def run():
        try:
            fetch(url, total_timeout=0.5, read_timeout=5)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            result.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(30)  # a hang detector, not a timing: without the deadline it never ends
    assert not worker.is_alive(), "the fetch went on past its deadline"
    assert len(result) == 1 and isinstance(result[0], FetchError), result
    assert "took longer than 0.5 s (the deadline for the whole fetch)" in str(result[0])


# --------------------------------------------------------------------------- sizes checked before reading

def _sparse(path, size):
    """A sample file of ``size`` bytes that takes no disk space (a hole)."""
    with open(path, "wb") as fh:
        fh.truncate(size)
    return path


@pytest.mark.parametrize("kind", ["jsonl", "csv", "folder"])
def test_oversized_snapshot_files_fail_unread(root, tmp_path, kind):
    import json
    import tracemalloc

    from newsarchive import api
    from newsarchive.model import MAX_SNAPSHOT_BYTES

    src = tmp_path / "in"
    src.mkdir()
    _sparse(src / "huge.html", MAX_SNAPSHOT_BYTES + 1)
    (src / "small.txt").write_text("Sample title\n\nA small sample body.\n")
    if kind == "jsonl":
        source = tmp_path / "in.jsonl"
        source.write_text(json.dumps({"title": "huge", "snapshot": "in/huge.html"}) + "\n"
                          + json.dumps({"title": "small", "snapshot": "in/small.txt"}) + "\n")
    elif kind == "csv":
        source = tmp_path / "in.csv"
        source.write_text("title,snapshot\nhuge,in/huge.html\nsmall,in/small.txt\n")
    else:
        source = src
    tracemalloc.start()
    try:
        outcomes = list(api.import_file(root, source))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    statuses = sorted(o.status for o in outcomes)
    assert statuses == ["created", "failed"], outcomes
    bad = next(o for o in outcomes if o.status == "failed")
    assert f"is {MAX_SNAPSHOT_BYTES + 1} bytes; the snapshot limit is {MAX_SNAPSHOT_BYTES}" in bad.message
    assert "huge.html" in bad.message
    assert peak < 16 * 1024 * 1024  # the 64 MiB file was never read into memory


def test_add_and_extract_refuse_an_oversized_file_unread(cli, tmp_path):
    from newsarchive.model import MAX_SNAPSHOT_BYTES

    huge = _sparse(tmp_path / "huge.html", MAX_SNAPSHOT_BYTES + 1)
    for args in (("add", huge), ("extract", huge)):
        r = cli(*args)
        assert r.exit_code == 2 and f"the snapshot limit is {MAX_SNAPSHOT_BYTES}" in r.output, r.output


def test_a_fifo_is_refused_unread(root, tmp_path):
    import os

    from newsarchive.errors import UsageError
    from newsarchive.formats.records import read_snapshot_file

    fifo = tmp_path / "pipe.html"
    os.mkfifo(fifo)
    with pytest.raises(UsageError, match="not a regular file"):
        read_snapshot_file(fifo)  # would block forever if it were opened for a plain read


# --------------------------------------------------------------------------- bounded extraction

def _hostile_pages():
    from newsarchive.extract.html import MAX_CHILDREN, MAX_ELEMENTS

    head = b"<html><head><title>Sample hostile page</title></head><body><article><p>Sample text.</p>"
    tail = b"</article></body></html>"
    return {
        # one table row wider than the limit (the tester's page had 100,000 cells)
        "row": (head + b"<table><tr>" + b"<td>x</td>" * (MAX_CHILDREN + 1) + b"</tr></table>" + tail,
                f"more than {MAX_CHILDREN} cells in one table row"),
        # more elements than the limit, each container within its own child limit
        "elements": (head + (b"<div>" + b"<span>y</span>" * 1000 + b"</div>") * (MAX_ELEMENTS // 1000 + 1) + tail,
                     f"more than {MAX_ELEMENTS} elements"),
        # so many tags that the page is refused before lxml builds a tree of it
        "tags": (head + b"<b>z</b>" * (3 * MAX_ELEMENTS + 1) + tail, f"more than {3 * MAX_ELEMENTS} tags"),
    }


@pytest.mark.parametrize("kind", ["row", "elements", "tags"])
def test_a_page_over_the_extraction_limits_is_archived_unextracted(cli, root, tmp_path, kind):
    import hashlib

    from newsarchive import api
    from newsarchive.extract import extract

    page, reason = _hostile_pages()[kind]
    x = extract(page, media_type="text/html")
    assert x.text == "" and dict(x.fields) == {} and reason in x.note
    f = tmp_path / "hostile.html"
    f.write_bytes(page)
    r = cli("add", f, "--title", "Sample hostile page")
    assert r.exit_code == 0, r.output
    assert f"note: text not extracted: the page has {reason}" in r.output
    (entry,) = api.list_entries(root)
    snap = entry.snapshot
    assert snap.sha256 == hashlib.sha256(page).hexdigest() and snap.size == len(page)
    assert snap.text_path is None  # no extracted text
    stored = (root / "archive" / entry.id / snap.path).read_bytes()
    assert stored == page  # the bytes are intact
    r = cli("history", entry.id, "-f", "json")
    assert reason in r.stdout  # the note stays with the entry
    r = cli("extract", f)
    assert r.exit_code == 0 and reason in r.output


def test_a_normal_page_is_within_the_limits():
    from newsarchive.extract import extract

    page = (b"<html><head><title>Sample story</title></head><body><article>"
            + b"<p>A sample paragraph of the story, long enough to count as text.</p>" * 200
            + b"<table>" + b"<tr>" + b"<td>cell</td>" * 20 + b"</tr>" * 50 + b"</table></article></body></html>")
    x = extract(page, media_type="text/html")
    assert x.note is None and "sample paragraph" in x.text


def test_extraction_runs_before_the_collection_lock(root, tmp_path, monkeypatch):
    import fcntl
    import os

    import newsarchive.extract as extract_mod
    from newsarchive import api

    real = extract_mod.extract
    held: list[bool] = []

    def spy(data, **kw):
        fd = os.open(root / "archive" / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # fails while a writer holds the lock
            fcntl.flock(fd, fcntl.LOCK_UN)
            held.append(False)
        except BlockingIOError:
            held.append(True)
        finally:
            os.close(fd)
        return real(data, **kw)

    monkeypatch.setattr(extract_mod, "extract", spy)
    pages = tmp_path / "pages"
    pages.mkdir()
    for n in range(3):
        (pages / f"p{n}.html").write_text(f"<html><head><title>Sample page {n}</title></head>"
                                          f"<body><p>Sample body number {n}.</p></body></html>")
    outcomes = list(api.import_file(root, pages))
    assert [o.status for o in outcomes] == ["created"] * 3
    api.add(root, data=b"Sample title\n\nSample text of an added file.\n", source="s.txt", fields={})
    api.add(root, data=b"<html><head><title>Sample with URL</title></head><body><p>Sample.</p></body></html>",
            source="u.html", fields={"url": "https://example.org/sample?utm_source=feed"})
    assert held == [False] * 5  # each page extracted once, and never under the lock


# --------------------------------------------------------------------------- operating-system errors

import errno as _errno  # noqa: E402
import os as _os  # noqa: E402

_OS_ERRORS = [
    (_errno.EACCES, "Permission denied", "Permission denied"),
    (_errno.EROFS, "Read-only file system", "Read-only file system"),
    (_errno.ENOSPC, "No space left on device", "No space left on device (the disk is full)"),
]


def _one_clear_line(r, *needles):
    assert r.exit_code == 1, (r.exit_code, r.output)
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1 and err.startswith("Error: "), err
    assert "internal error" not in err and "Traceback" not in r.output
    for n in needles:
        assert n in err, (n, err)


@pytest.mark.parametrize("code, strerror, shown", _OS_ERRORS)
def test_add_into_a_collection_that_refuses_writes(cli, root, sample_file, monkeypatch, code, strerror, shown):
    from newsarchive import store

    target = root / "archive" / "sample-entry"

    def refuse(self, *args, **kwargs):
        raise OSError(code, strerror, str(target))

    monkeypatch.setattr(store.Store, "create", refuse)
    r = cli("add", sample_file)
    _one_clear_line(r, "cannot write to the collection", str(target), shown)


@pytest.mark.parametrize("code, strerror, shown", _OS_ERRORS)
def test_import_stops_at_a_collection_that_refuses_writes(cli, root, tmp_path, monkeypatch, code, strerror, shown):
    from newsarchive import store

    pages = tmp_path / "pages"
    pages.mkdir()
    for n in range(3):
        (pages / f"p{n}.txt").write_text(f"Sample title {n}\n\nSample body {n}.\n")

    def refuse(self, *args, **kwargs):
        raise OSError(code, strerror)

    monkeypatch.setattr(store.Store, "write_new", refuse)
    r = cli("import", pages)
    _one_clear_line(r, "cannot write to the collection", shown)


def test_import_reports_what_it_wrote_before_the_disk_filled(cli, root, tmp_path, monkeypatch):
    import json

    from newsarchive import api, store

    pages = tmp_path / "pages"
    pages.mkdir()
    for n in range(4):
        (pages / f"p{n}.txt").write_text(f"Sample title {n}\n\nSample body {n}.\n")
    real = store.Store.write_new  # where every new entry folder is written
    calls = []

    def fills_up(self, *args, **kwargs):
        calls.append(1)
        if len(calls) > 2:
            raise OSError(_errno.ENOSPC, "No space left on device")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(store.Store, "write_new", fills_up)
    r = cli("import", pages, "--format", "jsonl")
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert [(x["ref"], x["status"]) for x in lines] == [("p0.txt", "created"), ("p1.txt", "created")]
    _one_clear_line(r, "cannot write to the collection: No space left on device (the disk is full)")
    assert len(api.list_entries(root)) == 2
    monkeypatch.setattr(store.Store, "write_new", real)
    r = cli("import", pages, "--format", "jsonl")  # room again: the same command completes it
    assert [json.loads(x)["status"] for x in r.stdout.splitlines()] == ["duplicate", "duplicate", "created", "created"]


@pytest.mark.skipif(hasattr(_os, "geteuid") and _os.geteuid() == 0,
                    reason="running as root: file permissions do not stop root, so chmod cannot make the "
                           "collection read-only (the monkeypatched tests above cover the same path)")
def test_a_really_read_only_collection(cli, root, sample_file):
    archive = root / "archive"
    modes = {p: p.stat().st_mode for p in [archive, *archive.rglob("*")]}
    try:
        for p in modes:
            p.chmod(0o555 if p.is_dir() else 0o444)
        r = cli("add", sample_file)
        _one_clear_line(r, "Permission denied")
    finally:
        for p, mode in modes.items():
            p.chmod(mode)


@pytest.mark.parametrize("code, strerror, shown", _OS_ERRORS)
def test_init_where_the_system_refuses(tmp_path, monkeypatch, code, strerror, shown):
    from typer.testing import CliRunner

    from newsarchive import store
    from newsarchive.cli import app

    target = tmp_path / "coll"

    def refuse(path):
        raise OSError(code, strerror, str(target / "archive"))

    monkeypatch.setattr(store, "init_collection", refuse)
    r = CliRunner().invoke(app, ["init", str(target)])
    _one_clear_line(r, f"cannot create a collection in {target}: {shown}")


def test_export_to_a_missing_folder(cli, root, sample_file, tmp_path):
    assert cli("add", sample_file).exit_code == 0
    for to in ("bibtex", "csv", "warc", "bagit"):
        out = tmp_path / "no" / "such" / f"x.{to}"
        r = cli("export", "--to", to, "-o", out)
        _one_clear_line(r, f"cannot write {out}: the folder {out.parent} does not exist")
        assert not (tmp_path / "no").exists()  # a typo never creates folders


def test_export_on_a_full_disk(cli, root, sample_file, tmp_path, monkeypatch):
    from newsarchive import api

    assert cli("add", sample_file).exit_code == 0
    real_open = open

    class Full:
        def __init__(self, fh):
            self.fh = fh

        def write(self, text):
            raise OSError(_errno.ENOSPC, "No space left on device")

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

    monkeypatch.setattr(api.transfer, "open", lambda *a, **k: Full(real_open(*a, **k)), raising=False)
    out = tmp_path / "x.bib"
    r = cli("export", "--to", "bibtex", "-o", out)
    _one_clear_line(r, f"cannot write {out}: No space left on device (the disk is full)")
    assert list(tmp_path.glob("*x.bib*")) == []  # no partial file left behind


def test_an_os_error_escaping_anywhere_is_one_line_not_a_bug(cli, root, monkeypatch):
    from newsarchive import api

    def broken(*args, **kwargs):
        raise PermissionError(_errno.EACCES, "Permission denied", str(root / "index"))

    monkeypatch.setattr(api, "reindex", broken)
    r = cli("reindex")
    _one_clear_line(r, str(root / "index"), "Permission denied")


# --------------------------------------------------------------------------- safe output

OSC52 = "\x1b]52;c;c2FtcGxl\x07"  # a clipboard write
OSC0 = "\x1b]0;sample window title\x07"
CLEAR = "\x1b[2J"
RLO = "\u202e"
C1_CSI = "\x9b2J"
HOSTILE_TITLE = f"Sample {OSC52}title{CLEAR} with{RLO} controls {C1_CSI}{OSC0}\x7f end"
_RAW = ("\x1b", "\x07", "\u202e", "\x9b", "\x7f")


def _clean(text: str) -> bool:
    return not any(ch in text for ch in _RAW)


@pytest.fixture
def hostile(cli, root, tmp_path):
    """An entry whose title, author, URL and source file name hold terminal escape sequences."""
    name = tmp_path / f"sample{CLEAR}file.txt"
    name.write_text(f"Sample heading\n\nSample body of a hostile entry, {OSC0} inside.\n")
    r = cli("add", name, "--title", HOSTILE_TITLE, "--author", f"Jana {OSC52}Sample",
            "--url", f"https://example.org/{CLEAR}x", "--format", "json")
    assert r.exit_code == 0, r.output
    import json

    return json.loads(r.stdout)["id"]


@pytest.mark.parametrize("args", [
    ("show", "{id}"),
    ("show", "{id}", "--provenance"),
    ("list",),
    ("search", "hostile"),
    ("search", "hostile", "--no-snippets"),
    ("cite", "{id}", "--style", "apa"),
    ("cite", "{id}", "--style", "mla"),
    ("cite", "{id}", "--style", "chicago"),
    ("history", "{id}"),
    ("edit", "{id}", "--set", f"notes=Sample {OSC52} note"),
    ("show", f"no{CLEAR}such"),
    ("search", f"{CLEAR}\"open"),
])
def test_terminal_output_never_carries_control_characters(cli, hostile, args):
    r = cli(*(a.format(id=hostile) for a in args))
    assert _clean(r.stdout) and _clean(r.stderr), (r.stdout, r.stderr)
    if r.exit_code == 0:
        assert r.stdout.strip()


def test_escapes_are_shown_not_dropped(cli, hostile):
    r = cli("show", hostile)
    assert "\\x1b]52;c;c2FtcGxl\\x07title\\x1b[2J with\\u202e controls \\x9b2J" in r.stdout
    assert "sample\\x1b[2Jfile.txt" in r.stdout  # the file name too


def test_add_and_import_report_lines_are_escaped(cli, root, tmp_path):
    import json

    f = tmp_path / "sample.txt"
    f.write_text("Sample heading\n\nSample text.\n")
    r = cli("add", f, "--title", HOSTILE_TITLE)
    assert r.exit_code == 0 and _clean(r.output) and "Archived" in r.stdout
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"title": HOSTILE_TITLE, "snapshot": f"missing{CLEAR}.html"}) + "\n"
                   + json.dumps({"title": f"ok {OSC0}", "text": "Sample body."}) + "\n")
    r = cli("import", src, "--dry-run")
    assert r.exit_code == 1 and _clean(r.stderr) and "missing\\x1b[2J.html" in r.stderr, r.stderr
    r = cli("import", src, "--format", "jsonl", "--dry-run")
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert "missing\x1b[2J.html" in lines[0]["error"]  # JSON keeps the value exact
    assert _clean(r.stdout)  # ... written as \u001b


def test_json_output_is_exact_and_terminal_safe(cli, hostile):
    import json

    for args in (("show", hostile, "-f", "json"), ("list", "-f", "jsonl"), ("list", "-f", "json"),
                 ("search", "hostile", "-f", "json"), ("cite", hostile, "--style", "csl-json")):
        r = cli(*args)
        assert r.exit_code == 0 and _clean(r.stdout), args
        data = json.loads(r.stdout) if not args[-1] == "jsonl" else json.loads(r.stdout.splitlines()[0])
        text = json.dumps(data, ensure_ascii=False)
        assert "Sample" in text
    entry = json.loads(cli("show", hostile, "-f", "json").stdout)
    assert entry["title"] == HOSTILE_TITLE


def test_data_outputs_are_exact_into_a_pipe_and_escaped_on_a_terminal(cli, hostile, monkeypatch):
    from newsarchive.cli import common
    from newsarchive.render import safe

    r = cli("cite", hostile, "--style", "bibtex")
    assert "\x1b]52" in r.stdout  # into a file (>> refs.bib) the citation is exact
    assert f"title{CLEAR}" in r.stdout  # CSI sequences too (click's echo strips them)
    exported = {to: cli("export", "--to", to).stdout for to in ("bibtex", "ris", "csv", "jsonl")}
    assert all("\x1b]52" in exported[to] for to in ("bibtex", "ris", "csv"))  # exact into a pipe
    monkeypatch.setattr(common, "is_terminal", lambda stream=None: True)
    r = cli("cite", hostile, "--style", "bibtex")
    assert _clean(r.stdout) and "\\x1b]52" in r.stdout
    for to in ("bibtex", "ris", "csv", "jsonl", "csl-json"):  # an export shown on the terminal
        r = cli("export", "--to", to)
        assert r.exit_code == 0 and _clean(r.stdout) and "Sample" in r.stdout, to
        if to in ("bibtex", "ris", "csv"):
            assert "\\x1b]52" in r.stdout and r.stdout == safe(exported[to], multiline=True), to


def test_safe_escapes_every_kind_of_control():
    from newsarchive.render import safe

    assert safe("a\x1bb\x07c\x00d\x7fe\x85f\x9bg") == "a\\x1bb\\x07c\\x00d\\x7fe\\x85f\\x9bg"
    for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u2028\u2029":
        assert safe(f"x{ch}y") == f"x\\u{ord(ch):04x}y"
    assert safe("one\ntwo\tthree\rfour") == "one\\ntwo\\tthree\\rfour"
    assert safe("one\ntwo\tthree\rfour", multiline=True) == "one\ntwo\tthree\\rfour"
    assert safe("Vučić — «ok» 中文") == "Vučić — «ok» 中文"  # ordinary text untouched


# --------------------------------------------------------------------------- CSV formula guard

FORMULAS = ["=HYPERLINK(\"http://example.invalid\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "'=already quoted"]


@pytest.mark.parametrize("value", FORMULAS)
def test_csv_cells_are_guarded_by_default_and_raw_on_request(value):
    from newsarchive.render import csv_cell, csv_unguard

    guarded = csv_cell(value)
    assert guarded == "'" + value and csv_unguard(guarded) == value
    assert csv_cell(value, raw=True) == value
    assert csv_cell("Plain title") == "Plain title" and csv_cell("'quoted") == "'quoted"


def test_every_csv_output_is_guarded_and_round_trips(cli, root, tmp_path):
    import csv
    import io

    from newsarchive import api

    for n, title in enumerate(FORMULAS):
        r = cli("add", "--title", title, "--url", f"https://example.org/sample-{n}", "--tag", "-sample")
        assert r.exit_code == 0, r.output
    outputs = {
        "list": cli("list", "-f", "csv").stdout,
        "search": cli("search", "tag:-sample", "-f", "csv").stdout,
    }
    out = tmp_path / "all.csv"
    assert cli("export", "--to", "csv", "-o", out).exit_code == 0
    outputs["export"] = out.read_text(encoding="utf-8")
    for where, text in outputs.items():
        rows = list(csv.DictReader(io.StringIO(text)))
        assert rows, where
        for row in rows:
            for cell in row.values():
                assert not cell or cell[0] not in "=+-@\t\r", (where, cell)
    raw = list(csv.DictReader(io.StringIO(cli("list", "-f", "csv", "--csv-raw").stdout)))
    assert sorted(r["title"] for r in raw) == sorted(FORMULAS)
    raw_export = tmp_path / "raw.csv"
    assert cli("export", "--to", "csv", "-o", raw_export, "--csv-raw").exit_code == 0
    assert ',"=HYPERLINK(' in raw_export.read_text(encoding="utf-8")
    # the guarded export imports back exactly
    other = api.init(tmp_path / "other")
    outcomes = list(api.import_file(other, out))
    assert [o.status for o in outcomes] == ["created"] * len(FORMULAS)
    assert sorted(e.title for e in api.list_entries(other)) == sorted(FORMULAS)
    assert {t for e in api.list_entries(other) for t in e.tags} == {"-sample"}


def test_many_negations_become_one_pass(cli, tmp_path):
    import whoosh.query as W

    from newsarchive.search.whoosh.translate import to_whoosh

    wq = to_whoosh(Q.parse(" ".join(f"-w{i}" for i in range(100))))
    nots = [q for q in wq.subqueries if isinstance(q, W.Not)] if isinstance(wq, W.And) else []
    assert len(nots) == 1  # NOT a AND NOT b ... as NOT (a OR b OR ...): one pass, not 100
    for word in ("alpha", "beta", "gamma"):
        f = tmp_path / f"{word}.txt"
        f.write_text(f"Sample {word} heading\n\nSample text about {word} only.\n")
        assert cli("add", f).exit_code == 0
    r = cli("search", "-f", "json", "--", "-alpha -beta")
    import json

    titles = [h["title"] for h in json.loads(r.stdout)["hits"]]
    assert titles == ["Sample gamma heading"]
    r = cli("search", "sample -alpha -beta -gamma", "-f", "ids")
    assert r.exit_code == 0 and r.stdout.strip() == ""


def test_import_reports_the_note_of_a_page_over_the_limits(cli, tmp_path):
    import json

    page, reason = _hostile_pages()["row"]
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "wide.html").write_bytes(page)
    (folder / "fine.html").write_bytes(b"<html><head><title>Sample fine page</title></head>"
                                       b"<body><p>A fine sample paragraph.</p></body></html>")
    r = cli("import", folder, "--dry-run")
    assert r.exit_code == 0 and f"note: wide.html: text not extracted: the page has {reason}" in r.stderr
    r = cli("import", folder, "--format", "jsonl")
    lines = {x["ref"]: x for x in map(json.loads, r.stdout.splitlines())}
    assert lines["wide.html"]["status"] == "created" and reason in lines["wide.html"]["message"]
    assert lines["fine.html"]["status"] == "created" and lines["fine.html"]["message"] is None
