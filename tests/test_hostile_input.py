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
    ("published:>9999", "no date after 9999-12-31"),
    ("published:<0001", "no date before 0001-01-01"),
    ("published:0000", "bad date"),
    ("published:99999999999999999999", "bad date"),
    ("published:-999999d", "bad date"),
])
def test_hostile_queries_are_clear_errors(text, message):
    with pytest.raises(QueryError, match=message) as err:
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
    from newsarchive.sources import read_snapshot_file

    fifo = tmp_path / "pipe.html"
    os.mkfifo(fifo)
    with pytest.raises(UsageError, match="not a regular file"):
        read_snapshot_file(fifo)  # would block forever if it were opened for a plain read
