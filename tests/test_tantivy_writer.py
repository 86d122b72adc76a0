"""The tantivy writer of a large batch (an import's) gives tantivy each document as it comes
(``EAGER_FROM``) instead of all at the commit: the same index either way, including upserts of
one entry twice, deletes, a document that fails to build, and a batch that ends in an error.
Sample entries written for these tests."""

from __future__ import annotations

import pytest

from newsarchive.errors import SearchIndexError
from newsarchive.model import Entry
from newsarchive.search import tantivy as tb
from newsarchive.search.tantivy import writer as tw

pytest.importorskip("tantivy")


def entry(i: int, title: str | None = None) -> Entry:
    return Entry.from_json({"id": f"e{i:07d}", "citekey": f"sample{i}", "title": title or f"Sample story {i}",
                            "outlet": "Sample Wire", "published": f"2024-{1 + i % 12:02d}-01"})


def state(index_dir) -> list[tuple[str, str]]:
    backend = tb.TantivyBackend(index_dir)
    return sorted(backend.stored_fingerprints().items())


def fill(index_dir, n: int, *, eager: bool, monkeypatch, extra=None) -> None:
    monkeypatch.setattr(tw, "EAGER_FROM", 32 if eager else 10**9)
    with tb.TantivyBackend(index_dir).writer() as w:
        for i in range(n):
            w.upsert(entry(i), f"Body of sample story {i}, a harbour report.")
        if extra:
            extra(w)
        if eager:
            assert w._eager is not None  # the documents went to tantivy as they came
        else:
            assert w._eager is None


def test_eager_and_deferred_batches_make_the_same_index(tmp_path, monkeypatch):
    def changes(w):
        w.upsert(entry(3, "Sample story 3, corrected"), "A corrected body.")  # twice in one batch
        w.upsert(entry(3, "Sample story 3, corrected again"), "A body corrected again.")
        w.delete("e0000005")  # added in this batch, then removed
        w.upsert(entry(77), "Late sample.")

    for eager in (False, True):
        fill(tmp_path / f"ix-{eager}", 50, eager=eager, monkeypatch=monkeypatch, extra=changes)
    a, b = state(tmp_path / "ix-False"), state(tmp_path / "ix-True")
    assert a == b and len(a) == 50  # 50 + e77 - e5
    assert "e0000005" not in dict(b) and "e0000077" in dict(b)
    for eager in (False, True):  # one document per entry: the twice-upserted one too
        backend = tb.TantivyBackend(tmp_path / f"ix-{eager}")
        assert backend.count() == 50
        assert [h.title for h in backend.search("corrected", limit=10).hits] == ["Sample story 3, corrected again"]
    for eager in (False, True):  # a second batch over the first: upserts replace, deletes remove
        fill(tmp_path / f"ix-{eager}", 40, eager=eager, monkeypatch=monkeypatch,
             extra=lambda w: [w.delete(f"e{i:07d}") for i in range(10)])
    a, b = state(tmp_path / "ix-False"), state(tmp_path / "ix-True")
    assert a == b and len(a) == 41
    hits = tb.TantivyBackend(tmp_path / "ix-True").search("corrected", limit=10)
    assert hits.total == 0  # entry 3 was upserted again by the second batch
    # 10-39 of the second batch and 40-49 of the first
    assert [tb.TantivyBackend(tmp_path / f"ix-{e}").search("harbour", limit=100).total for e in (False, True)] == [40, 40]


def test_a_document_that_does_not_build_sends_the_batch_back_to_the_commit(tmp_path, monkeypatch):
    monkeypatch.setattr(tw, "EAGER_FROM", 8)
    real = tw.to_document
    monkeypatch.setattr(tw, "to_document", lambda d, *a: (_ for _ in ()).throw(ValueError("garbled"))
                        if d.id == "e0000012" else real(d, *a))
    with pytest.raises(SearchIndexError):
        with tb.TantivyBackend(tmp_path / "ix").writer() as w:
            for i in range(20):
                w.upsert(entry(i), "body")
            assert w._eager is None and w._eager_off  # given back, rolled back
    assert state(tmp_path / "ix") == []  # nothing of the failed batch was committed
    monkeypatch.setattr(tw, "to_document", real)
    with tb.TantivyBackend(tmp_path / "ix").writer() as w:  # the next batch goes eagerly again
        for i in range(20):
            w.upsert(entry(i), "body")
        assert w._eager is not None
    assert len(state(tmp_path / "ix")) == 20


def test_a_batch_that_ends_in_an_error_commits_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(tw, "EAGER_FROM", 8)
    with pytest.raises(RuntimeError):
        with tb.TantivyBackend(tmp_path / "ix").writer() as w:
            for i in range(20):
                w.upsert(entry(i), "body")
            assert w._eager is not None
            raise RuntimeError("interrupted")
    assert state(tmp_path / "ix") == []
    with tb.TantivyBackend(tmp_path / "ix").writer() as w:  # the index is writable again
        w.upsert(entry(1), "body")
    assert len(state(tmp_path / "ix")) == 1


@pytest.mark.parametrize("engine", ["whoosh", "tantivy"])
def test_an_import_batches_as_its_engine_says(tmp_path, monkeypatch, engine):
    import json

    from newsarchive import api
    from newsarchive.api.ingest import Ingest
    from newsarchive.search import engines

    cls = type(engines.backend(engine, tmp_path / "ix"))
    assert getattr(cls, "batch_size", api.BATCH_SIZE) == {"whoosh": 500, "tantivy": 5000}[engine]
    size = 300  # the engine's batch size, made small to keep the test quick
    monkeypatch.setattr(cls, "batch_size", size, raising=False)
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"title": f"Sample {i}", "text": f"Sample text {i}."}) + "\n"
                           for i in range(size + 1)), "utf-8")
    root = api.init(tmp_path / "c", engine=engine)
    sizes = []
    real = Ingest.run_batch
    monkeypatch.setattr(Ingest, "run_batch", lambda self, records: (sizes.append(len(records)), real(self, records))[1])
    got = list(api.ingest_records(root, api.open_source(src), durable=False))
    assert sizes == [size, 1] and [o.status for o in got] == ["created"] * (size + 1)
    sizes.clear()
    assert len(list(api.ingest_records(root, api.open_source(src), batch_size=100, durable=False))) == size + 1
    assert sizes == [100] * (size // 100) + [1]  # a size given wins


def test_a_batch_ends_at_its_bytes_of_snapshots(tmp_path, monkeypatch):
    import json

    from newsarchive import api
    from newsarchive.api import importing
    from newsarchive.api.ingest import Ingest

    monkeypatch.setattr(importing, "BATCH_BYTES", 1000)
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"title": f"Sample {i}", "text": f"Sample text {i:03}. " + "x" * 284}) + "\n"
                           for i in range(10)), "utf-8")  # 300 bytes of text each
    root = api.init(tmp_path / "c", engine="tantivy")
    sizes = []
    real = Ingest.run_batch
    monkeypatch.setattr(Ingest, "run_batch", lambda self, records: (sizes.append(len(records)), real(self, records))[1])
    got = list(api.ingest_records(root, api.open_source(src), durable=False))
    assert sizes == [4, 4, 2] and [o.status for o in got] == ["created"] * 10
