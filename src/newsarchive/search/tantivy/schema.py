"""The tantivy schema, and a :class:`~newsarchive.search.documents.Document` as tantivy holds it.

Text fields are analysed by :mod:`newsarchive.search.analysis` (the analyzer Whoosh runs) and
handed to tantivy as pre-tokenized text, each term at the position Whoosh gives it, so both
engines hold the same terms at the same positions.
"""

from __future__ import annotations

import json
from itertools import repeat
from typing import Any

from ..analysis import ANALYSIS_VERSION, NAMES, TEXT, TOKEN_RE
from ..documents import Document, Stored
from ..vocabulary import EXACT_FIELDS, STEMMED, TEXT_FIELDS

#: tantivy layout 3 (stored facets as JSON, entry.json stamps) + the analysis version
SCHEMA_VERSION = 3000 + ANALYSIS_VERSION
FACET_FIELDS = {"outlet": "f_outlet", "year": "f_year", "kind": "f_kind", "author": "f_author", "tag": "f_tag"}


def _tv():
    import tantivy

    return tantivy


def _schema():
    tv = _tv()
    sb = tv.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw", index_option="basic")
    for name in EXACT_FIELDS:
        sb.add_text_field(name, tokenizer_name="raw", index_option="basic")
    for name in TEXT_FIELDS:
        sb.add_text_field(name, tokenizer_name="whitespace", index_option="position")
    sb.add_integer_field("pubday", indexed=True, fast=True)
    sb.add_integer_field("sortnum", fast=True)
    sb.add_unsigned_field("idkey", fast=True)
    for name in FACET_FIELDS.values():
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
    if "-" not in s and "‐" not in s and "‑" not in s:
        m = TOKEN_RE.match(s)
        if m is not None and m.end() == len(s):
            # one plain word: the analyzer yields its term alone (no transliteration, no
            # apostrophe parts) at one position, as below, without running it on a text
            text = analyzer.term_uncached(s, stemming)  # cached here, not twice
            if text and text.isascii() and text.isprintable() and " " not in text and "'" not in text:
                if len(cache) > 300_000:
                    cache.clear()
                cache[s] = text
                return text
    value = s + _SENTINEL
    toks = [(t.text, t.pos) for t in analyzer(value, positions=True, mode="index", stemming=stemming)]
    npos = toks.pop()[1]  # the sentinel's position = positions taken by s
    if TOKEN_RE.findall(s) != [s]:  # pragma: no cover (a word that splits differently alone)
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
    for m in TOKEN_RE.findall(chunk):
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


def _add_text(doc, name: str, value: str, analyzer, stemming: bool, given: Any = None) -> None:
    """Index ``value`` as ``analyzer`` analyses it (the terms and positions Whoosh indexes).
    ``given``: its analysis as :func:`prepare` made it (``_analysed(..., make=COLUMNS)``)."""
    tv = _tv()
    got = _analysed(value, analyzer, stemming, tv.Token) if given is None else given
    if got.__class__ is str:
        doc.add_text(name, got)
        return
    if given is not None:
        got = list(map(tv.Token, got[0], got[1], repeat(0)))
    doc.add_pre_tokenized_text(name, tv.PreTokenizedString("", got))


def COLUMNS(term: str, pos: int, offset: int) -> None:  # noqa: N802 - a marker, never called
    """``make`` for :func:`_analysed`: the terms and their positions as two lists."""
    raise AssertionError("a marker")


def _pair(term: str, pos: int, _offset: int) -> tuple[str, int]:
    return term, pos


def _analysed(value: str, analyzer, stemming: bool = True, make: Any = _pair) -> str | list[Any]:
    """The index terms of ``value`` with their positions, exactly as ``analyzer`` makes them.

    Each word is analysed once and cached. A text whose words are all one term at one position
    goes to tantivy as those terms joined by spaces (its whitespace tokenizer splits them in
    Rust); a text with hyphenated compounds or apostrophes, whose extra terms share a position,
    goes as pre-tokenized text with explicit positions. Returns the joined string in the
    first case, ``[make(term, position, 0), ...]`` in the second (by default (term, position)
    pairs; tantivy's ``Token`` when indexing; ``([term, ...], [position, ...])`` for ``COLUMNS``).
    """
    stemming = analyzer.stemming and stemming
    key = (analyzer.stemming, stemming)
    cache = _pieces.setdefault(key, {})
    chunks_cache = _chunks.setdefault(key, {})
    # Words never contain white space and the word pattern looks no further than the next
    # character, so each white-space-separated chunk can be analysed (and cached) on its own.
    chunks = value.split()
    done = list(map(chunks_cache.get, chunks))  # None: not seen yet (a cached value never is None)
    if None in done:
        done = [d if d is not None else _chunk(chunks_cache, cache, c, analyzer, stemming)
                for d, c in zip(done, chunks)]
    try:
        return " ".join(done)
    except TypeError:
        pass  # some words are not one plain term
    # Some chunks are not plain terms (they are few): the plain runs between them are joined and
    # split in C, and the tokens are made in one ``map``.
    terms: list[str] = []
    positions: list[int] = []
    base = start = 0
    n = len(done)
    for i in [i for i, d in enumerate(done) if d.__class__ is not str] + [n]:
        if i > start:
            run = " ".join(done[start:i]).split()
            terms += run
            positions += range(base, base + len(run))
            base += len(run)
        if i == n:
            break
        for p in done[i]:  # the chunk's pieces: a plain term, or (((term, relative position), ...), positions)
            if p.__class__ is str:
                terms.append(p)
                positions.append(base)
                base += 1
            elif p is None:  # pragma: no cover (a word that splits differently alone)
                toks = [(t.text, t.pos) for t in analyzer(value, positions=True, mode="index", stemming=stemming)]
                if make is COLUMNS:
                    return [t for t, _ in toks], [p for _, p in toks]
                return [make(t, p, 0) for t, p in toks]
            else:
                for t, rel in p[0]:
                    terms.append(t)
                    positions.append(base + rel)
                base += p[1]
        start = i + 1
    if make is COLUMNS:
        return terms, positions
    return list(map(make, terms, positions, repeat(0)))


def prepare(entry, body: str, stamp: Any) -> tuple[Document, dict[str, Any]]:
    """What :func:`to_document` makes of ``entry`` with ``body`` (as ``documents.build``
    gives it, with a computed fingerprint), up to the tantivy objects, which cannot leave a
    process: the document and the analysis of each text field. An import's writer process
    prepares the documents of the entries it writes (see store_queue.py), as this engine's
    ``preparer``; the import's :meth:`TantivyWriter.upsert` takes them as ``prepared``."""
    from .. import documents

    d = documents.build(entry, body, None, stamp)
    return d, {name: _analysed(v, analyzer, stemming, COLUMNS) for name, v, analyzer, stemming in _texts(d)}


def _texts(d: Document):
    """(field, text, analyzer, stemmed?) of each text field ``d`` has."""
    for name in TEXT_FIELDS:
        v = d.text.get(name)
        if v:
            stemmed = name in STEMMED
            yield name, v, TEXT if stemmed else NAMES, stemmed and d.english


def to_document(d: Document, analysed: dict[str, Any] | None = None):
    """A tantivy document for ``d``; ``analysed``: its text fields' analysis, as :func:`prepare`
    made it."""
    tv = _tv()
    doc = tv.Document()
    doc.add_text("id", d.id)
    for name in EXACT_FIELDS:
        for v in d.exact.get(name, ()):
            doc.add_text(name, v)
    for name, v, analyzer, stemming in _texts(d):
        _add_text(doc, name, v, analyzer, stemming, analysed.get(name) if analysed is not None else None)
    if d.day:
        doc.add_integer("pubday", int(d.day.replace("-", "")))
    doc.add_integer("sortnum", _sortnum(d.sortdate))
    doc.add_unsigned("idkey", _idkey(d.id))
    for name, values in d.facets.items():
        for v in values:
            doc.add_text(FACET_FIELDS[name], v)
    st = d.stored
    doc.add_text("meta", json.dumps([st.citekey, st.title, st.outlet, st.published, st.fingerprint,
                                     list(st.stamp) if st.stamp else None], ensure_ascii=False))
    doc.add_text("facets", json.dumps(d.facets, ensure_ascii=False))
    return doc


def stored(searcher, addr) -> tuple[str, Stored, dict[str, list[str]]]:
    """(entry id, stored values, facet values) of the document at ``addr``."""
    d = searcher.doc(addr)
    meta = json.loads(d["meta"][0])
    stamp = tuple(meta[5]) if len(meta) > 5 and meta[5] else None  # (mtime_ns, size) of entry.json
    return d["id"][0], Stored(*meta[:5], stamp), json.loads(d["facets"][0])
