"""The tantivy backend (the only module that imports tantivy).

Same answers as the Whoosh index: every document is built by :func:`newsarchive.index._document`
and every text field is analysed by :mod:`newsarchive.index`'s analyzers, then handed to tantivy
as pre-tokenized text (each token with the position Whoosh gives it), so both engines hold the
same terms at the same positions. Queries are translated from the same parsed tree; prefixes
and fuzzy words expand over the term dictionary as Whoosh expands them; results are ordered by
:mod:`newsarchive.search.order` and snippets come from :func:`newsarchive.index.make_snippet`.
Scores are tantivy's BM25 (the same fields and boosts, not the same numbers as Whoosh's BM25F).

Layout of ``index_dir`` (beside the Whoosh files, which a conversion removes)::

    tantivy.json     {"engine": "tantivy", "schema_version": N, "generation": "t-...", ...}
    t-<stamp>/       one tantivy index
    tantivy.lock     held by writers and rebuilds
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import json
import os
import re
import shutil
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from ... import index as ix
from ... import query as Q
from ...errors import LockTimeout, SearchIndexError
from .. import order

if TYPE_CHECKING:  # pragma: no cover
    from ...model import Entry

SCHEMA_VERSION = 1000 + ix.SCHEMA_VERSION  # tantivy layout 1; the analysis version comes from index.py
META_NAME = "tantivy.json"
LOCK_NAME = "tantivy.lock"
REPAIR = ix.REPAIR
_TEXT_FIELDS = ("title", "body", "authors", "outlet", "section")
_EXACT = ("citekey", "kind", "tags", "lang", "url", "domain")
_FACET_FIELDS = {"outlet": "f_outlet", "year": "f_year", "kind": "f_kind", "author": "f_author", "tag": "f_tag"}
_REGEX_META = set("\\.+*?()|[]{}^$#&-~")
_WRITER_HEAP = 64_000_000


def _tv():
    import tantivy

    return tantivy


def _schema():
    tv = _tv()
    sb = tv.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw", index_option="basic")
    for name in _EXACT:
        sb.add_text_field(name, tokenizer_name="raw", index_option="basic")
    for name in _TEXT_FIELDS:
        sb.add_text_field(name, tokenizer_name="whitespace", index_option="position")
    sb.add_integer_field("pubday", indexed=True, fast=True)
    sb.add_integer_field("sortnum", fast=True)
    sb.add_unsigned_field("idkey", fast=True)
    for name in _FACET_FIELDS.values():
        sb.add_text_field(name, fast=True, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("meta", stored=True, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("facets", stored=True, tokenizer_name="raw", index_option="basic")
    return sb.build()


# --------------------------------------------------------------------------- documents


def _sortnum(key: str) -> int:
    """A sortable integer for ``PartialDate.sort_key()`` (0 = undated), same order as the string."""
    if not key:
        return 0
    day = int(key[:4]) * 10_000 + int(key[5:7]) * 100 + int(key[8:10])
    secs = 0
    if len(key) > 10:
        secs = 1 + int(key[11:13]) * 3600 + int(key[14:16]) * 60 + int(key[17:19])
    return day * 100_000 + secs


def _idkey(entry_id: str) -> int:
    return int.from_bytes(entry_id.encode("utf-8")[:8].ljust(8, b"\0"), "big")


_SENTINEL = " zzzsentinelzzz"
#: (analyzer stems?, text stemmed?) -> word -> its term (one term at one position) or
#: ((term, relative position), ...), positions taken)
_pieces: dict[tuple[bool, bool], dict[str, Any]] = {}


def _piece(cache: dict[str, Any], s: str, analyzer, stemming: bool) -> Any:
    """What the analyzer makes of one regex match ``s`` (computed once, then cached)."""
    value = s + _SENTINEL
    if not stemming and analyzer.stemming:
        value = ix._Unstemmed(value)
    toks = [(t.text, t.pos) for t in analyzer(value, positions=True, mode="index")]
    npos = toks.pop()[1]  # the sentinel's position = positions taken by s
    if ix._TOKEN_RE.findall(s) != [s]:  # pragma: no cover (a word that splits differently alone)
        got: Any = None
    elif len(toks) == 1 and npos == 1 and not any(c.isspace() for c in toks[0][0]):
        got = toks[0][0]
    else:
        got = (tuple(toks), npos)
    if len(cache) > 300_000:
        cache.clear()
    cache[s] = got
    return got


_chunks: dict[tuple[bool, bool], dict[str, Any]] = {}


def _chunk(chunks_cache: dict[str, Any], cache: dict[str, Any], chunk: str, analyzer, stemming: bool) -> Any:
    """A white-space-free chunk -> its plain terms joined by spaces, or None when one of its
    words is not one plain term at one position (then the slow path handles the text)."""
    got: Any = []
    for m in ix._TOKEN_RE.findall(chunk):
        p = cache.get(m, False)
        if p is False:
            p = _piece(cache, m, analyzer, stemming)
        got.append(p)
    if any(p.__class__ is not str for p in got):
        got = tuple(got)  # the pieces, for the slow path
    else:
        got = " ".join(got)
    if len(chunks_cache) > 300_000:
        chunks_cache.clear()
    chunks_cache[chunk] = got
    return got


def _add_text(doc, name: str, value: str, analyzer) -> None:
    """Index ``value`` as ``analyzer`` analyses it for Whoosh (same terms, same positions)."""
    got = _analysed(value, analyzer)
    if got.__class__ is str:
        doc.add_text(name, got)
    else:
        tv = _tv()
        doc.add_pre_tokenized_text(name, tv.PreTokenizedString("", [tv.Token(t, pos, 0, 0) for t, pos in got]))


def _analysed(value: str, analyzer) -> str | list[tuple[str, int]]:
    """The index terms of ``value`` with their positions, exactly as ``analyzer`` makes them.

    Each word is analysed once and cached. A text whose words are all one term at one position
    goes to tantivy as those terms joined by spaces (its whitespace tokenizer splits them in
    Rust); a text with hyphenated compounds or apostrophes, whose extra terms share a position,
    goes as pre-tokenized text with explicit positions. Returns the joined string in the
    first case, [(term, position), ...] in the second.
    """
    stemming = analyzer.stemming and not isinstance(value, ix._Unstemmed)
    key = (analyzer.stemming, stemming)
    cache = _pieces.setdefault(key, {})
    chunks_cache = _chunks.setdefault(key, {})
    # Words never contain white space and the word pattern looks no further than the next
    # character, so each white-space-separated chunk can be analysed (and cached) on its own.
    get = chunks_cache.get
    chunks = value.split()
    done = [get(c, False) for c in chunks]
    if False in done:
        done = [d if d is not False else _chunk(chunks_cache, cache, c, analyzer, stemming)
                for d, c in zip(done, chunks)]
    try:
        return " ".join(done)
    except TypeError:
        pass  # some words are not one plain term
    pieces: list[Any] = []
    for d in done:
        if d.__class__ is str:
            pieces.extend(d.split())
        else:
            pieces.extend(d)
    if None in pieces:  # pragma: no cover
        toks = [(t.text, t.pos) for t in analyzer(value, positions=True, mode="index")]
    else:
        toks, base = [], 0
        for p in pieces:
            if p.__class__ is str:
                toks.append((p, base))
                base += 1
            else:
                toks.extend((t, base + rel) for t, rel in p[0])
                base += p[1]
    return toks


def _tantivy_doc(entry: "Entry", body: str, fp: str | None):
    tv = _tv()
    d = ix._document(entry, body, fp)
    doc = tv.Document()
    doc.add_text("id", d["id"])
    for name in _EXACT:
        for v in d.get(name, ()):
            doc.add_text(name, v)
    for name in _TEXT_FIELDS:
        v = d.get(name)
        if v:
            _add_text(doc, name, v, ix._TEXT if name in ("title", "body") else ix._NAMES)
    if d.get("published"):
        doc.add_integer("pubday", int(d["published"][0].replace("-", "")))
    doc.add_integer("sortnum", _sortnum(d["sortdate"].decode("ascii")))
    doc.add_unsigned("idkey", _idkey(d["id"]))
    facets = d["facets"].decode("utf-8")
    parts = facets.split("\x1f")
    for slot, name in enumerate(("f_outlet", "f_year", "f_kind", "f_author", "f_tag")):
        values = parts[slot].split("\x1e") if slot >= 3 else [parts[slot]]
        for v in values:
            if v:
                doc.add_text(name, v)
    doc.add_text("meta", json.dumps(list(d["meta"]), ensure_ascii=False))
    doc.add_text("facets", facets)
    return doc


# --------------------------------------------------------------------------- layout


def _read_meta(index_dir: Path) -> dict[str, Any] | None:
    return ix._read_meta(index_dir, name=META_NAME)


def _check_meta(index_dir: Path, meta: dict[str, Any] | None) -> Path:
    return ix._check_meta(index_dir, meta, schema=SCHEMA_VERSION, complete=lambda gen: (gen / "meta.json").is_file())


def _write_meta(index_dir: Path, generation: str, extra: dict[str, Any] | None = None) -> None:
    data = {"engine": "tantivy", "schema_version": SCHEMA_VERSION, "generation": generation,
            "built": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
    data.update(extra or {})
    tmp = index_dir / f".{META_NAME}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(data, indent=1) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, index_dir / META_NAME)


def _new_generation(index_dir: Path) -> Path:
    path = index_dir / f"t-{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}-{os.urandom(3).hex()}"
    path.mkdir(parents=True)
    return path


class _Lock:
    """An exclusive fcntl lock on ``index_dir/tantivy.lock``, waited for up to ``timeout`` s."""

    def __init__(self, index_dir: Path, timeout: float, what: str):
        self.path, self.timeout, self.what = index_dir / LOCK_NAME, timeout, what
        self.fh = None

    def __enter__(self) -> "_Lock":
        self.fh = open(self.path, "a+")
        deadline = time.monotonic() + max(0.0, self.timeout)
        while True:
            try:
                fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    self.fh.close()
                    raise LockTimeout(
                        f"the search index is busy ({self.what}) and stayed locked for "
                        f"{self.timeout:g} s; try again when the other command has finished") from None
                time.sleep(0.05)

    def __exit__(self, *exc: Any) -> None:
        if self.fh is not None:
            fcntl.flock(self.fh, fcntl.LOCK_UN)
            self.fh.close()
            self.fh = None


def _open(gen: Path):
    tv = _tv()
    try:
        return tv.Index.open(str(gen))
    except (ValueError, OSError) as exc:
        raise SearchIndexError(f"cannot open the search index at {gen} ({exc}); {REPAIR}") from None


# --------------------------------------------------------------------------- reading cache

_cache_lock = threading.RLock()
#: index folder -> [generation, tantivy Index, signature of its meta.json, searcher]
_indexes: dict[str, list[Any]] = {}


def _forget(index_dir: Path) -> None:
    with _cache_lock:
        _indexes.pop(str(Path(index_dir).resolve()), None)


def _searcher(index_dir: Path):
    """(index, searcher) of the current generation, reloaded to the last commit."""
    key = str(index_dir.resolve())
    gen = _check_meta(index_dir, _read_meta(index_dir))
    cached = _indexes.get(key)
    if cached is None or cached[0] != gen.name:
        cached = [gen.name, _open(gen), None, None]
        _indexes[key] = cached
    index = cached[1]
    try:
        st = os.stat(gen / "meta.json")  # tantivy rewrites it at every commit
        sig = (st.st_mtime_ns, st.st_size, st.st_ino)
        if sig != cached[2] or cached[3] is None:
            index.reload()
            cached[2], cached[3] = sig, index.searcher()
        return index, cached[3]
    except (ValueError, OSError) as exc:
        _indexes.pop(key, None)
        raise SearchIndexError(f"cannot read the search index at {gen} ({exc}); {REPAIR}") from None


def _all_hits(searcher, query) -> list[tuple[float, Any]]:
    n = searcher.search(query, 1).count
    if not n:
        return []
    return searcher.search(query, n, count=False).hits


def _top_hits(searcher, query, want: int) -> tuple[list[tuple[float, Any]], int]:
    """The best ``want`` hits and every hit scoring the same as the last of them (so ties can
    be ordered), with the total number of matches."""
    if want <= 0:
        return [], searcher.search(query, 1).count
    n = want + 1
    while True:
        r = searcher.search(query, n)
        hits = r.hits
        if len(hits) < n or hits[-1][0] < hits[want - 1][0]:
            return hits, r.count
        n *= 4


# --------------------------------------------------------------------------- query translation


def _regex_escape(text: str) -> str:
    return "".join("\\" + c if c in _REGEX_META else c for c in text)


class _Translator:
    """A parsed query tree -> a tantivy query, mirroring ``index._Translator`` node by node.

    Returns None where Whoosh's translator does (nothing searchable). ``Not`` is kept as a
    marker so that ``And`` can turn it into MustNot, as Whoosh's And(Not) does.
    """

    #: ordered slop expansions beyond this many alternatives fall back to tantivy's own slop
    MAX_SLOP_VARIANTS = 512

    def __init__(self, schema, searcher):
        self.tv = _tv()
        self.schema = schema
        self.searcher = searcher

    def _or(self, qs: list) -> Any:
        tv = self.tv
        return qs[0] if len(qs) == 1 else tv.Query.boolean_query([(tv.Occur.Should, q) for q in qs])

    def _boost(self, q, boost: float):
        return q if boost == 1.0 else self.tv.Query.boost_query(q, boost)

    def _phrase(self, fname: str, terms: list[str], slop: int):
        tv = self.tv
        if slop <= 1:
            return tv.Query.phrase_query(self.schema, fname, terms, 0)
        # Whoosh: each word 1..slop positions after the one before it, in order
        n = len(terms) - 1
        if slop ** n <= self.MAX_SLOP_VARIANTS:
            import itertools

            qs = []
            for gaps in itertools.product(range(1, slop + 1), repeat=n):
                offs = [0]
                for g in gaps:
                    offs.append(offs[-1] + g)
                qs.append(tv.Query.phrase_query(self.schema, fname, list(zip(offs, terms)), 0))
            return self._or(qs)
        return tv.Query.phrase_query(self.schema, fname, terms, n * (slop - 1))

    def _text_query(self, fname: str, words: list[str], slop: int, boost: float):
        tv = self.tv
        variants: list[list[str]] = []
        for stemming in ((True, False) if fname in ix._STEMMED else (False,)):
            terms = [t.text for t in (ix._TEXT if stemming else ix._NAMES)(" ".join(words), mode="query")]
            if terms and terms not in variants:
                variants.append(terms)
        qs = []
        for terms in variants:
            if len(terms) == 1:
                qs.append(self._boost(tv.Query.term_query(self.schema, fname, terms[0]), boost))
            else:
                qs.append(self._boost(self._phrase(fname, terms, slop), boost))
        return self._or(qs) if qs else None

    def _fuzzy(self, fname: str, text: str, dist: int, boost: float):
        tv = self.tv
        found = [t for t, _n in self.searcher.terms_with_prefix(fname, text[0])
                 if abs(len(t) - len(text)) <= dist and ix._within(text, t, dist)]
        if not found:
            return tv.Query.empty_query()
        return self._boost(self._or([tv.Query.term_query(self.schema, fname, t) for t in sorted(found)]), boost)

    #: a prefix expanding to more terms than this is matched with a (constant-score) regex
    MAX_PREFIX_TERMS = 2048

    def _exact(self, fname: str, value: str):
        """An exact-field term: scored like Whoosh's ID fields (no length norm), i.e. by idf."""
        tv = self.tv
        import math

        n = self.searcher.doc_freq(fname, value)
        total = max(1, self.searcher.num_docs)
        idf = math.log(1 + (total - n + 0.5) / (n + 0.5))
        return tv.Query.const_score_query(tv.Query.term_query(self.schema, fname, value), idf)

    def _prefix(self, fname: str, text: str, boost: float):
        """Whoosh scores a prefix as the OR of the terms it expands to; so does this."""
        tv = self.tv
        found = self.searcher.terms_with_prefix(fname, text)
        if not found:
            return tv.Query.empty_query()
        if len(found) > self.MAX_PREFIX_TERMS:
            return self._boost(tv.Query.regex_query(self.schema, fname, _regex_escape(text) + ".*"), boost)
        return self._boost(self._or([tv.Query.term_query(self.schema, fname, t) for t, _n in sorted(found)]), boost)

    def positive(self, r):
        """A translation result as a query that matches (Not(x) -> all docs but x)."""
        tv = self.tv
        if isinstance(r, tuple):  # ("not", inner)
            return tv.Query.boolean_query([(tv.Occur.Must, tv.Query.all_query()), (tv.Occur.MustNot, r[1])])
        return r

    def __call__(self, node: Q.Node):
        tv = self.tv
        if isinstance(node, Q.MatchAll):
            return tv.Query.all_query()
        if isinstance(node, Q.And):
            items = [q for q in (self(n) for n in node.items) if q is not None]
            if not items:
                return None
            if len(items) == 1:
                return items[0]
            clauses = [(tv.Occur.MustNot, q[1]) if isinstance(q, tuple) else (tv.Occur.Must, q) for q in items]
            if all(isinstance(q, tuple) for q in items):
                clauses.insert(0, (tv.Occur.Must, tv.Query.all_query()))
            return tv.Query.boolean_query(clauses)
        if isinstance(node, Q.Or):
            items = [q for q in (self(n) for n in node.items) if q is not None]
            if not items:
                return None
            items = [self.positive(q) for q in items]
            return self._or(items)
        if isinstance(node, Q.Not):
            inner = self(node.item)
            if inner is None:
                return None
            return ("not", self.positive(inner))
        if isinstance(node, Q.DateRange):
            lo = int(node.start.strftime("%Y%m%d")) if node.start else None
            hi = int(node.end.strftime("%Y%m%d")) if node.end else None
            if lo is None and hi is None:  # pragma: no cover (the parser never makes one)
                return tv.Query.exists_query("pubday")
            return tv.Query.range_query(self.schema, "pubday", tv.FieldType.Integer, lo, hi, True, True)
        if isinstance(node, (Q.Term, Q.Phrase)):
            words = [node.text] if isinstance(node, Q.Term) else list(node.words)
            slop = node.slop if isinstance(node, Q.Phrase) else 1
            if node.field in Q.EXACT_FIELDS:
                fname = ix._FIELD_MAP[node.field]
                return self._exact(fname, ix._exact_term(fname, " ".join(words)))
            qs = [q for q in (self._text_query(f, words, slop, b) for f, b in self.fields_for(node.field))
                  if q is not None]
            return self._or(qs) if qs else None
        if isinstance(node, Q.Prefix):
            if node.field in Q.EXACT_FIELDS:
                fname = ix._FIELD_MAP[node.field]
                return tv.Query.regex_query(self.schema, fname,
                                            _regex_escape(ix._exact_term(fname, node.text)) + ".*")
            text = ix.fold(node.text.replace("’", "'"))
            if not text:
                return None
            qs = [self._prefix(f, text, b) for f, b in self.fields_for(node.field)]
            return self._or(qs)
        if isinstance(node, Q.Fuzzy):
            text = ix._normal_atom(node.text)
            if not text:
                return None
            return self._or([self._fuzzy(f, text, node.distance, b) for f, b in self.fields_for(node.field)])
        raise TypeError(f"unknown query node {node!r}")  # pragma: no cover

    @staticmethod
    def fields_for(field: str | None) -> list[tuple[str, float]]:
        if field is None:
            return list(ix.DEFAULT_FIELDS)
        return [(ix._FIELD_MAP[field], 1.0)]


def to_tantivy(tree: Q.Node, schema, searcher):
    """The tantivy query for a parsed tree (an empty query when nothing is searchable)."""
    tr = _Translator(schema, searcher)
    q = tr(tree)
    return _tv().Query.empty_query() if q is None else tr.positive(q)


# --------------------------------------------------------------------------- writing


class TantivyWriter:
    """Buffered upserts and deletes, one tantivy commit when the ``with`` block ends normally."""

    def __init__(self, index_dir: Path, *, timeout: float = 30.0):
        self.index_dir = Path(index_dir)
        self.timeout = timeout
        self._pending: dict[str, tuple["Entry", str, str | None] | None] = {}
        self._lock: _Lock | None = None
        self.added = self.deleted = 0

    def __enter__(self) -> "TantivyWriter":
        self.index_dir.mkdir(parents=True, exist_ok=True)
        self._lock = _Lock(self.index_dir, self.timeout, "another process is writing it").__enter__()
        try:
            if _read_meta(self.index_dir) is None and not any(self.index_dir.glob("t-*")):
                gen = _new_generation(self.index_dir)
                _tv().Index(_schema(), path=str(gen), reuse=False)
                _write_meta(self.index_dir, gen.name, {"count": 0})
            self._gen = _check_meta(self.index_dir, _read_meta(self.index_dir))
        except BaseException:
            self._lock.__exit__(None, None, None)
            raise
        return self

    def upsert(self, entry: "Entry", body_text: str = "", *, fingerprint: str | None = None) -> None:
        self._pending[entry.id] = (entry, body_text or "", fingerprint)

    def delete(self, entry_id: str) -> None:
        self._pending[entry_id] = None

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None and self._pending:
                index = _open(self._gen)
                searcher = index.searcher()
                try:
                    w = index.writer(_WRITER_HEAP, 1)
                except ValueError as err:
                    raise LockTimeout(f"another process is writing the search index ({err})") from None
                try:
                    for eid in self._pending:
                        if searcher.doc_freq("id", eid):
                            w.delete_documents_by_term("id", eid)
                            self.deleted += 1
                    for item in self._pending.values():
                        if item is not None:
                            entry, body, fp = item
                            w.add_document(_tantivy_doc(entry, body, fp))
                            self.added += 1
                    w.commit()
                except BaseException:
                    w.rollback()
                    raise
                w.wait_merging_threads()
        finally:
            self._pending.clear()
            _forget(self.index_dir)
            if self._lock is not None:
                self._lock.__exit__(None, None, None)
                self._lock = None


# --------------------------------------------------------------------------- the backend


class TantivyBackend:
    name = "tantivy"
    schema_version = SCHEMA_VERSION

    def __init__(self, index_dir: Path):
        self.index_dir = Path(index_dir)

    def exists(self) -> bool:
        try:
            _check_meta(self.index_dir, _read_meta(self.index_dir))
            return True
        except SearchIndexError:
            return False

    def present(self) -> bool:
        return (self.index_dir / META_NAME).exists()

    def writer(self, *, timeout: float = 30.0) -> TantivyWriter:
        return TantivyWriter(self.index_dir, timeout=timeout)

    def rebuild(self, docs: Iterable[tuple["Entry", str]], *, timeout: float = 30.0,
                threads: int = 2) -> int:
        tv = _tv()
        index_dir = self.index_dir
        index_dir.mkdir(parents=True, exist_ok=True)
        with _Lock(index_dir, timeout, "a rebuild is running"):
            gen = _new_generation(index_dir)
            n = 0
            try:
                index = tv.Index(_schema(), path=str(gen), reuse=False)
                w = index.writer(_WRITER_HEAP * threads, threads)
                try:
                    seen: set[str] = set()
                    for entry, body in docs:
                        if entry.id in seen:
                            continue  # first one wins; an archive has unique ids anyway
                        seen.add(entry.id)
                        w.add_document(_tantivy_doc(entry, body or "", None))
                        n += 1
                    w.commit()
                except BaseException:
                    w.rollback()
                    raise
                w.wait_merging_threads()
                _write_meta(index_dir, gen.name, {"count": n})
            except BaseException:
                shutil.rmtree(gen, ignore_errors=True)
                raise
            for p in index_dir.glob("t-*"):
                if p.name != gen.name and p.is_dir():
                    shutil.rmtree(p, ignore_errors=True)  # open readers keep their files (POSIX)
            _forget(index_dir)
        return n

    # -- reading ----------------------------------------------------------
    def _stored(self, searcher, addr) -> dict[str, Any]:
        d = searcher.doc(addr)
        return {"id": d["id"][0], "meta": json.loads(d["meta"][0]), "facets": d["facets"][0]}

    def ids(self) -> set[str]:
        with _cache_lock:
            _index, s = _searcher(self.index_dir)
            return {s.doc(a)["id"][0] for _sc, a in _all_hits(s, _tv().Query.all_query())}

    def count(self) -> int:
        with _cache_lock:
            return _searcher(self.index_dir)[1].num_docs

    def stored_fingerprints(self) -> dict[str, str]:
        with _cache_lock:
            _index, s = _searcher(self.index_dir)
            out = {}
            for _sc, a in _all_hits(s, _tv().Query.all_query()):
                d = s.doc(a)
                out[d["id"][0]] = json.loads(d["meta"][0])[4]
            return out

    def fingerprint(self, entry: "Entry", body_text: str) -> str:
        return ix.fingerprint(entry, body_text)

    def state(self) -> dict[str, Any]:
        return {"engine": self.name, "schema_version": SCHEMA_VERSION, "exists": self.exists()}

    def remove(self) -> None:
        _forget(self.index_dir)
        (self.index_dir / META_NAME).unlink(missing_ok=True)
        for p in self.index_dir.glob("t-*"):
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)

    def _facets(self, searcher, query, names: tuple[str, ...], extra: list[str]) -> dict[str, list[tuple[str, int]]]:
        counts: dict[str, dict[str, int]] = {n: {} for n in names}
        spec = {n: {"terms": {"field": _FACET_FIELDS[n], "size": 60_000, "segment_size": 60_000}} for n in names}
        try:
            res = searcher.aggregate(query, spec)
            for n in names:
                for b in res[n]["buckets"]:
                    counts[n][b["key"]] = b["doc_count"]
        except (ValueError, KeyError):  # too many distinct values for one aggregation
            counts = {n: {} for n in names}
            extra = extra + [self._stored(searcher, a)["facets"] for _s, a in _all_hits(searcher, query)]
        slot = {"outlet": 0, "year": 1, "kind": 2, "author": 3, "tag": 4}
        for raw in extra:
            parts = raw.split("\x1f")
            for n in names:
                v = parts[slot[n]]
                if not v:
                    continue
                c = counts[n]
                for x in (v.split("\x1e") if n in ("author", "tag") else [v]):
                    c[x] = c.get(x, 0) + 1
        return {n: sorted(c.items(), key=lambda kv: (-kv[1], kv[0])) for n, c in counts.items()}

    def _older(self, searcher, tree, older_versions) -> dict[Any, tuple[float, int, str, str]]:
        """Main doc address -> (score, version, text, facets) for entries matching only in an
        older version (searched in a throwaway in-memory index, as Whoosh does)."""
        tv = _tv()
        versions = list(older_versions)
        if not versions:
            return {}
        schema = _schema()
        ram = tv.Index(schema)
        w = ram.writer(_WRITER_HEAP, 1)
        texts: dict[tuple[str, int], str] = {}
        for entry, version, text in versions:
            w.add_document(_tantivy_doc(entry, text or "", str(version)))
            texts[(entry.id, version)] = text or ""
        w.commit()
        w.wait_merging_threads()
        ram.reload()
        rs = ram.searcher()
        main_schema = schema  # the same schema as the main index
        main_q = to_tantivy(tree, main_schema, searcher)
        best: dict[Any, tuple[float, int, str, str]] = {}
        found: dict[str, Any] = {}
        for score, a in _all_hits(rs, to_tantivy(tree, schema, rs)):
            d = self._stored(rs, a)
            entry_id, version = d["id"], int(d["meta"][4])
            if entry_id not in found:
                own = _all_hits(searcher, tv.Query.term_query(main_schema, "id", entry_id))
                if not own:
                    found[entry_id] = None  # gone from the archive
                else:
                    both = tv.Query.boolean_query([(tv.Occur.Must, main_q),
                                                   (tv.Occur.Must, tv.Query.term_query(main_schema, "id", entry_id))])
                    found[entry_id] = None if searcher.search(both, 1).count else own[0][1]
            addr = found[entry_id]
            if addr is None:
                continue  # the newest version matches anyway
            key = (addr.segment_ord, addr.doc)
            if key not in best or score > best[key][0]:
                best[key] = (score, version, texts[(entry_id, version)], addr)
        return best

    def search(self, query: "str | Q.Node", *, limit: int = 20, offset: int = 0, sort: str = "relevance",
               facets: Iterable[str] = (), snippets: bool = True,
               body_loader: Callable[[str], str] | None = None, today: _dt.date | None = None,
               all_versions: bool = False,
               older_versions: Iterable[tuple["Entry", int, str]] = ()) -> ix.SearchResult:
        from ...model import Hit

        t0 = time.perf_counter()
        if sort not in ix._SORTS:
            raise ValueError(f"unknown sort {sort!r} (one of: {', '.join(ix._SORTS)})")
        facets = tuple(facets)
        for n in facets:
            if n not in ix.FACETS:
                raise ValueError(f"unknown facet {n!r} (one of: {', '.join(ix.FACETS)})")
        tree = Q.parse(query, today=today) if isinstance(query, str) else query
        limit = max(0, int(limit))
        offset = max(0, int(offset))
        with _cache_lock:
            index, s = _searcher(self.index_dir)
            try:
                schema = index.schema
                tq = to_tantivy(tree, schema, s)
                older = self._older(s, tree, older_versions) if all_versions else {}
                if sort == "relevance" and not older:
                    hits, total = _top_hits(s, tq, offset + limit)
                else:
                    hits = _all_hits(s, tq)
                    total = None
                by_key = {(a.segment_ord, a.doc): a for _sc, a in hits}
                scored = [(sc, (a.segment_ord, a.doc)) for sc, a in hits]
                for k, (sc, _v, _t, a) in older.items():
                    if k not in by_key:
                        by_key[k] = a
                        scored.append((sc, k))
                if total is None:
                    total = len(scored)
                keys = [k for _sc, k in scored]
                addrs = [by_key[k] for k in keys]
                dates = dict(zip(keys, s.fast_field_values("sortnum", addrs))) if addrs else {}
                idkeys = dict(zip(keys, s.fast_field_values("idkey", addrs))) if addrs else {}
                date_of = lambda k: dates.get(k) or None  # noqa: E731  (0 = undated)
                # IDs compare by their first 8 bytes (a fast field); the rare IDs that share
                # them (longer than 8 characters) compare by the whole stored ID
                seen: dict[int, int] = {}
                for v in idkeys.values():
                    seen[v] = seen.get(v, 0) + 1

                def id_of(k):
                    v = idkeys.get(k, 0)
                    return (v, self._stored(s, by_key[k])["id"] if seen.get(v, 0) > 1 else "")
                if sort == "relevance":
                    page = order.relevance_page(scored, offset, limit, date_of=date_of, id_of=id_of)
                else:
                    page = [(k, 0.0) for k in order.date_page(keys, offset, limit,
                                                              newest_first=(sort == "-published"),
                                                              date_of=date_of, id_of=id_of)]
                facet_counts: dict[str, list[tuple[str, int]]] = {}
                if facets:
                    matched = {(a.segment_ord, a.doc) for _sc, a in hits}
                    extra = [self._stored(s, by_key[k])["facets"] for k in older if k not in matched]
                    facet_counts = self._facets(s, tq, facets, extra)
                stored = [(self._stored(s, by_key[k]), sc, older.get(k)) for k, sc in page]
            except ValueError as exc:
                raise SearchIndexError(f"cannot read the search index at {self.index_dir} ({exc}); {REPAIR}") from None
        hl = ix._Highlight(tree) if snippets and body_loader is not None else None
        out = []
        for f, sc, old in stored:
            citekey, title, outlet, published, _fp = f["meta"]
            snippet = None
            if hl is not None:
                try:
                    snippet = ix.make_snippet((old[2] if old else body_loader(f["id"])) or "", hl)
                except Exception:
                    snippet = None  # a missing body must not break a search
            out.append(Hit(id=f["id"], citekey=citekey, title=title, outlet=outlet, published=published,
                           score=float(sc), snippet=snippet, version=old[1] if old else None))
        return ix.SearchResult(hits=out, total=total, facets=facet_counts, query=tree,
                               took=time.perf_counter() - t0)
