"""The per-record preparation of an import, made cheaper, gives what the plain code gave: each
fast path is checked against the straightforward version of the same rule."""

from __future__ import annotations

import re

from hypothesis import given, settings, strategies as hs

from newsarchive.api.capture import _normal_text

# every kind of whitespace str.split() knows, line breaks of every convention, and letters
_TEXT = hs.text(alphabet=" \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u2028\u3000ab.", max_size=40)


def _normal_text_plain(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    out = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return out + "\n" if out else ""


@settings(max_examples=500, deadline=None)
@given(_TEXT)
def test_normal_text_is_the_plain_rule(text):
    assert _normal_text(text) == _normal_text_plain(text)


def test_normal_text_collapses_spaces_and_empty_lines():
    assert _normal_text("  Title \r\n\r\n\r\n\n  a   b\t c \n \n\n\nend  ") == "Title\n\na b c\n\nend\n"
    assert _normal_text(" \n\t\n") == ""



def _tags_plain(values: list[str]) -> list[str]:
    from newsarchive.model import normalise_tags

    tags: list[str] = []
    for t in values:
        tags.extend(x for x in re.split(r"\s*[;,]\s*", t) if x)
    return list(normalise_tags(tags))


@settings(max_examples=300, deadline=None)
@given(hs.lists(hs.text(alphabet=" \t;,aB\u00e9\u2028", max_size=8), max_size=5))
def test_tags_are_split_as_the_plain_rule_splits_them(values):
    from newsarchive.normalize import normalise_fields

    assert normalise_fields({"tags": values})["tags"] == _tags_plain(values)


@settings(max_examples=300, deadline=None)
@given(hs.text(alphabet="\n #aB.\t\u2028", max_size=60))
def test_plain_text_is_read_as_markdown_by_the_plain_rule(text):
    from newsarchive.extract.text import extract_text

    data = text.encode()
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    markdown = any(re.match(r"^#\s+(.+?)\s*#*\s*$", ln.strip()) for ln in lines[:20])  # every line tried
    got = extract_text(data, media_type="text/plain")
    assert got == extract_text(data, media_type="text/plain", markdown=markdown)
    assert "\n\n\n" not in got.text  # blank runs collapsed (only texts that have one are scanned)


# --------------------------------------------------------------------------- the entries built

import datetime as dt  # noqa: E402
import hashlib  # noqa: E402

import pytest  # noqa: E402

from newsarchive import api  # noqa: E402
from newsarchive import store as st  # noqa: E402
from newsarchive.formats.records import Record  # noqa: E402
from newsarchive.model import Entry, PartialDate, Snapshot, now_utc  # noqa: E402
from newsarchive.partialdate import UtcClock  # noqa: E402


def _records(n: int) -> list[Record]:
    out = []
    for i in range(n):
        text = f"Sample first line {i}\n\n  A sample   story, number {i}, written for these tests.\n\n\n\nEnd.\n"
        fields = {"title": f"SAMPLE story {i}", "outlet": "Sample Wire", "published": "1987-03-0{}".format(1 + i % 9),
                  "authors": ["Ana Sample"] if i % 2 else [], "tags": ["Sample; Wire"]}
        record = Record(ref=f"line {i + 1}", fields=fields, data=text.encode(), media_type="text/plain",
                        source=f"line {i + 1}", origin="imported")
        if i % 3 == 0:  # a capture time given with the record, in a zone other than UTC
            zone = dt.timezone(dt.timedelta(hours=2))
            record.captured_at = PartialDate.from_datetime(dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=zone))
        out.append(record)
    return out


@pytest.mark.parametrize("n", [3, 40])  # 40: a batch big enough for the writer process
def test_a_new_entry_is_what_its_folder_reads_back(tmp_path, n):
    root = api.init(tmp_path / "c")
    outcomes = list(api.ingest_records(root, _records(n)))
    assert [o.status for o in outcomes] == ["created"] * n
    store = st.Store(root)
    for o in outcomes:
        stored = store.read(o.id)
        assert o.entry == stored  # the entry the catalog and the index took
        assert o.entry.to_json() == store.read_json(o.id)
        given = (int(o.ref.split()[1]) - 1) % 3 == 0
        assert (stored.snapshot.captured_at.iso() == "2024-05-06T07:08:09+02:00") == given
        hashes = store.manifest(o.id)  # each hash was computed once, of the bytes written
        folder = store.entry_dir(o.id)
        assert set(hashes) == {"v1/original.txt", "v1/text.txt", "history.jsonl", "entry.json"}
        for rel, sha in hashes.items():
            assert hashlib.sha256((folder / rel).read_bytes()).hexdigest() == sha
        assert stored.snapshot.sha256 == hashes["v1/original.txt"]
        assert stored.snapshot.text_sha256 == hashes["v1/text.txt"]
        history = store.read_history(o.id)
        assert history[0]["action"] == "created"
        assert PartialDate.from_iso(history[0]["at"]).moment.tzinfo == dt.timezone.utc


def test_an_entry_takes_its_snapshots_once():
    snap = Snapshot(path="v1/original.txt", media_type="text/plain", size=1, sha256="a" * 64, captured_at=now_utc())
    entry = Entry.from_json({"id": "abcd1234", "citekey": "k"}, snapshots=(snap,))
    assert entry.snapshots == (snap,)
    with pytest.raises(Exception, match="snapshots given twice"):
        Entry.from_json({"id": "abcd1234", "citekey": "k", "snapshots": [snap.to_json()]}, snapshots=(snap,))


def test_the_clock_gives_what_now_utc_gives():
    clock = UtcClock()
    for _ in range(3):  # a second may turn between the two readings: then again
        before, got, after = now_utc(), clock.now(), now_utc()
        if before == after:
            break
    assert got == before and got.moment.tzinfo is before.moment.tzinfo
    for _ in range(3):
        first, iso, second = clock.now(), clock.iso(), clock.now()
        if first == second:
            break
    assert iso == first.iso() and second is first  # made once within a second


def test_placing_a_snapshot_keeps_every_field_it_does_not_set():
    """_place_snapshot builds the placed snapshot field by field: a field added to Snapshot
    must be carried over there too (this fails until it is)."""
    from dataclasses import fields

    from newsarchive.api.ingest import _place_snapshot

    snap = Snapshot(path="", media_type="text/html", size=4, sha256=hashlib.sha256(b"page").hexdigest(),
                    captured_at=now_utc(), source="s.html", text_sha256=hashlib.sha256(b"text").hexdigest(),
                    http={"status": 200}, meta={"title": "T"}, timestamp={"token": "v1/x.tsr"})
    # every field is given a value above: a field added to Snapshot fails here until it is
    # given one, and carried over by _place_snapshot
    assert {f.name for f in fields(Snapshot)} == {
        "path", "media_type", "size", "sha256", "captured_at", "source", "text_path", "text_sha256",
        "warc_path", "http", "meta", "warc_sha256", "timestamp"}
    placed, files = _place_snapshot(snap, 2, b"page", b"text", b"warc", b"pem")
    set_here = {"path", "text_path", "warc_path", "warc_sha256", "http"}
    for f in fields(Snapshot):
        if f.name not in set_here:
            assert getattr(placed, f.name) == getattr(snap, f.name), f.name
    assert (placed.path, placed.text_path, placed.warc_path) == ("v2/original.html", "v2/text.txt", "v2/capture.warc.gz")
    assert placed.warc_sha256 == hashlib.sha256(b"warc").hexdigest()
    assert placed.http == {"status": 200, "tls_chain": "v2/tls-chain.pem",
                           "tls_chain_sha256": hashlib.sha256(b"pem").hexdigest()}
    assert [(f.path, f.sha256) for f in files] == [(f.path, hashlib.sha256(f.data).hexdigest()) for f in files]


def test_a_jsonl_line_whose_media_type_is_no_string_fails_alone(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"title": "SAMPLE one", "text": "Sample text one.", "media_type": 5}\n'
                      '{"title": "SAMPLE two", "text": "Sample text two."}\n')
    outcomes = list(api.ingest_records(api.init(tmp_path / "c"), api.open_source(source)))
    assert [o.status for o in outcomes] == ["failed", "created"]
    assert outcomes[0].message == 'line 1: `media_type` must be a string, such as "text/html"'
