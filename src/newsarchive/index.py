"""The full-text search index (the only module that imports Whoosh).

Layout of ``index_dir``::

    index_dir/
      index.json          {"schema_version": N, "generation": "g-...", ...}  (replaced atomically)
      g-<stamp>/          one Whoosh index (segments, TOC, WRITELOCK)
      rebuild.lock        held while a rebuild builds and swaps generations

A rebuild builds a new generation beside the current one and then swaps ``index.json``, so a
search during a reindex reads the old generation until the swap. One document per entry; the
body is the newest snapshot's text.

Whoosh is imported inside functions only: ``import newsarchive.index`` stays cheap, and the
analyzer classes below do not subclass Whoosh (they follow its analyzer protocol), so the
pickled schema can be loaded without importing anything else.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import html
import json
import os
import re
import shutil
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from . import query as Q
from .errors import LockTimeout, SearchIndexError
from .urls import domains, search_form

if TYPE_CHECKING:  # pragma: no cover
    from .model import Entry, Hit

__all__ = [
    "SCHEMA_VERSION", "SearchResult", "IndexWriter", "writer", "rebuild", "search", "ids",
    "count", "optimize", "stored_fingerprints", "fingerprint", "exists", "analyze", "FACETS",
]

#: bump whenever the schema or the analysis changes; old indexes then ask for a reindex
SCHEMA_VERSION = 2  # 2: non-Latin words also indexed transliterated (anyascii)
META_NAME = "index.json"
FACETS = ("outlet", "year", "author", "tag", "kind")
TITLE_BOOST = 2.5
DEFAULT_FIELDS = (("title", TITLE_BOOST), ("body", 1.0), ("authors", 1.0))
SNIPPET_WORDS = 32
REPAIR = "run `newsarchive reindex`"

# --------------------------------------------------------------------------- text analysis

# A word: letters/digits, joined by apostrophes (won't) or, between digits, by . or ,
# (1,000 / 2.5); dotted acronyms (U.S.) are one word. Words joined by hyphens form a compound
# that is indexed as its parts (us, sanctioned) plus the parts run together (ussanctioned).
_ATOM = r"(?:[^\W\d_](?:\.[^\W\d_])+\.?(?![^\W_])|[^\W_]+(?:(?<=\d)[.,]\d+|['’][^\W_]+)*)"
_TOKEN_RE = re.compile(rf"{_ATOM}(?:[-‐‑]{_ATOM})*")
_ATOM_RE = re.compile(_ATOM)
_SPECIAL_FOLD = str.maketrans({
    "đ": "d", "ð": "d", "ø": "o", "ł": "l", "æ": "ae", "œ": "oe", "þ": "th", "ı": "i",
    "ħ": "h", "ŧ": "t", "ŀ": "l", "’": "'",
})
_VOWELS = frozenset("aeiouy")
_KEEP = frozenset("news series species always perhaps whereas".split())


def fold(word: str) -> str:
    """Case and accent folding: "Vučić" -> "vucic", "Straße" -> "strasse"."""
    w = word.casefold()
    if w.isascii():
        return w
    w = w.translate(_SPECIAL_FOLD)
    if w.isascii():
        return w
    return "".join(c for c in unicodedata.normalize("NFKD", w) if not unicodedata.combining(c))


def _has_vowel(s: str) -> bool:
    return any(c in _VOWELS for c in s)


def _measure(s: str) -> int:
    """Porter's m: the number of vowel-consonant sequences."""
    m, prev = 0, False
    for c in s:
        v = c in "aeiou"
        if prev and not v:
            m += 1
        prev = v
    return m


def _short_cvc(s: str) -> bool:
    """One syllable ending consonant-vowel-consonant (not w/x/y): hop, plan."""
    return (len(s) >= 3 and s[-1] not in _VOWELS and s[-1] not in "wx" and s[-2] in _VOWELS
            and s[-3] not in _VOWELS and _measure(s) == 1)


def _after_suffix(base: str) -> str:
    if base.endswith(("at", "bl", "iz")):
        return base + "e"
    if len(base) > 2 and base[-1] == base[-2] and base[-1] not in _VOWELS and base[-1] not in "lsz":
        return base[:-1]
    if _short_cvc(base):
        return base + "e"
    return base


def stem(w: str) -> str:
    """A light English stemmer: plurals, possessives, -ed and -ing only.

    Inflections are merged ("sanctions", "sanctioned" -> "sanction") but word endings are not
    cut (unlike Porter, "belgrade" stays "belgrade", so ``belgrad`` does not find it).
    """
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) <= 3 or w in _KEEP or "'" in w or not w.isalpha():
        return w
    if w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("ies"):
        w = w[:-3] + ("y" if len(w) > 4 else "ie")
    elif w.endswith(("xes", "zes", "ches", "shes")):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if w.endswith("eed"):
        if _has_vowel(w[:-3]) and len(w) > 4:
            w = w[:-1]
    elif w.endswith("ed") and len(w) > 4 and _has_vowel(w[:-2]):
        w = _after_suffix(w[:-2])
    elif w.endswith("ing") and len(w) > 5 and _has_vowel(w[:-3]):
        w = _after_suffix(w[:-3])
    return w


def _normal_atom(atom: str) -> str:
    """One word as typed -> folded, before stemming ("U.S." -> "us", "1,000" -> "1000")."""
    if "." in atom or "," in atom:
        if atom[0].isdigit():
            atom = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", atom)
        else:
            atom = atom.replace(".", "")
    return fold(atom)


class _Unstemmed(str):
    """Text in a language other than English: indexed folded but not stemmed."""

    __slots__ = ()


class _Token:
    """The token object Whoosh's formats read (text, pos, boost, chars, stopped)."""

    __slots__ = ("text", "pos", "startchar", "endchar", "boost", "stopped", "positions",
                 "chars", "removestops", "mode", "original")

    def __init__(self, positions: bool, chars: bool, mode: str):
        self.positions, self.chars, self.mode = positions, chars, mode
        self.boost, self.stopped, self.removestops = 1.0, False, True
        self.text = self.original = ""
        self.pos = self.startchar = self.endchar = 0


class Analyzer:
    """Unicode words, case + accent folding, optional light English stemming.

    Follows Whoosh's analyzer protocol (callable yielding tokens) without subclassing it, and
    keeps a cache of word -> term (news vocabulary repeats a lot).
    """

    def __init__(self, stemming: bool = True):
        self.stemming = stemming
        self._cache: dict[str, tuple[str, str]] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {"stemming": self.stemming}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.stemming = state["stemming"]
        self._cache = {}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Analyzer) and other.stemming == self.stemming

    def __hash__(self) -> int:
        return hash(("Analyzer", self.stemming))

    def __repr__(self) -> str:
        return f"Analyzer(stemming={self.stemming})"

    def has_morph(self) -> bool:
        return self.stemming

    def clean(self) -> None:
        self._cache.clear()

    def term(self, atom: str, stemming: bool) -> str:
        """The index term for one word (cached)."""
        got = self._cache.get(atom)
        if got is None:
            plain = _normal_atom(atom)
            got = (stem(plain) if plain else plain, plain)
            if len(self._cache) > 300_000:
                self._cache.clear()
            self._cache[atom] = got
        return got[0] if stemming else got[1]

    def __call__(self, value: str, positions: bool = False, chars: bool = False,
                 keeporiginal: bool = False, removestops: bool = True, start_pos: int = 0,
                 start_char: int = 0, tokenize: bool = True, mode: str = "", **kwargs: Any):
        stemming = self.stemming and not isinstance(value, _Unstemmed)
        joined = mode != "query"
        t = _Token(positions, chars, mode)
        pos = start_pos
        term = self.term
        for m in _TOKEN_RE.finditer(value):
            s = m.group()
            if "-" not in s and "‐" not in s and "‑" not in s:
                text = term(s, stemming)
                if not text:
                    continue
                t.text = text
                t.pos = pos
                if chars:
                    t.startchar, t.endchar = start_char + m.start(), start_char + m.end()
                yield t
                if joined and not text.isascii():
                    # Избори, Москва: findable as izbori, moskva too, at the same position
                    latin = translit(text)
                    if latin and latin != text:
                        t.text = latin
                        yield t
                if joined and "'" in text:
                    # o'brien, int'l: the parts are findable too, at the same position
                    for part in text.split("'"):
                        if len(part) > 1 and part != "s":
                            t.text = stem(part) if stemming else part
                            yield t
                pos += 1
                continue
            parts = [(p.group(), p.start(), p.end()) for p in _ATOM_RE.finditer(s)]
            if joined:
                whole = "".join(_normal_atom(p[0]) for p in parts)
                t.text = stem(whole) if stemming else whole
                t.pos = pos
                if chars:
                    t.startchar, t.endchar = start_char + m.start(), start_char + m.end()
                yield t
            for ptext, pstart, pend in parts:
                text = term(ptext, stemming)
                if not text:
                    continue
                t.text = text
                t.pos = pos
                if chars:
                    t.startchar = start_char + m.start() + pstart
                    t.endchar = start_char + m.start() + pend
                yield t
                if joined and not text.isascii():
                    latin = translit(text)
                    if latin and latin != text:
                        t.text = latin
                        yield t
                pos += 1


_TEXT = Analyzer(stemming=True)
_NAMES = Analyzer(stemming=False)
_translit_cache: dict[str, str] = {}


def translit(term: str) -> str:
    """A folded non-Latin term in Latin letters (anyascii): "избори" -> "izbori", "" when none."""
    got = _translit_cache.get(term)
    if got is None:
        from anyascii import anyascii

        got = "".join(c for c in anyascii(term).lower() if c.isalnum() or c == "'")
        if len(_translit_cache) > 100_000:
            _translit_cache.clear()
        _translit_cache[term] = got
    return got


def analyze(text: str, *, stemming: bool = True, query: bool = True) -> list[str]:
    """The index terms for ``text`` (for tests and for explaining a search)."""
    ana = _TEXT if stemming else _NAMES
    return [t.text for t in ana(text, mode="query" if query else "index")]


# --------------------------------------------------------------------------- document values


def _norm_url(url: str) -> str:
    return search_form(url)


def _domains(url: str | None) -> list[str]:
    return domains(url)


def _tag_term(tag: str) -> str:
    return fold(" ".join(tag.split()))


def _lang_terms(lang: str | None) -> list[str]:
    if not lang:
        return []
    full = lang.strip().lower().replace("_", "-")
    primary = full.split("-", 1)[0]
    return sorted({full, primary})


def _is_english(lang: str | None) -> bool:
    return not lang or lang.strip().lower()[:2] == "en"


def _day(entry: "Entry") -> str | None:
    p = entry.published
    if p is None:
        return None
    return p.as_date().isoformat()  # years before 1 (EDTF "-3000") sort as year 1


def fingerprint(entry: "Entry", body_text: str) -> str:
    """A short hash of what the index holds for an entry (compare with ``stored_fingerprints``)."""
    h = hashlib.blake2b(digest_size=10)
    h.update(json.dumps(entry.to_json(), sort_keys=True, ensure_ascii=False).encode("utf-8"))
    h.update(b"\x00")
    h.update((body_text or "").encode("utf-8"))
    return h.hexdigest()


def _document(entry: "Entry", body: str, fp: str | None, stamp: Any = None) -> dict[str, Any]:
    english = _is_english(entry.language)

    def txt(s: str) -> str:
        return s if english else _Unstemmed(s)

    authors = [a.display for a in entry.authors]
    day = _day(entry)
    facets = "\x1f".join([
        entry.outlet or "",
        str(entry.published.year) if entry.published else "",
        entry.kind or "",
        "\x1e".join(authors),
        "\x1e".join(entry.tags),
    ])
    doc: dict[str, Any] = {
        "id": entry.id,
        "citekey": [entry.citekey.lower()],
        # stamp: what entry.json looked like on disk when it was indexed (mtime_ns, size),
        # so that ``status`` can tell a stale index with one stat per entry
        "meta": (entry.citekey, entry.title, entry.outlet,
                 entry.published.iso() if entry.published else None,
                 fp if fp is not None else fingerprint(entry, body))
                + ((tuple(stamp),) if stamp else ()),
        "facets": facets.encode("utf-8"),
        "sortdate": (entry.published.sort_key() if entry.published else "").encode("ascii"),
    }
    if entry.title:
        doc["title"] = txt(entry.title)
    if body:
        doc["body"] = txt(body)
    if authors:
        doc["authors"] = " ; ".join(authors)
    if entry.outlet:
        doc["outlet"] = entry.outlet
    if entry.section:
        doc["section"] = entry.section
    if entry.kind:
        doc["kind"] = [entry.kind.lower()]
    if entry.tags:
        doc["tags"] = sorted({_tag_term(t) for t in entry.tags})
    if entry.language:
        doc["lang"] = _lang_terms(entry.language)
    if entry.url:
        doc["url"] = sorted({entry.url.strip(), _norm_url(entry.url)})
        doc["domain"] = _domains(entry.url)
    if day:
        doc["published"] = [day]
    return doc


def _schema():
    from whoosh import columns, fields

    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        citekey=fields.ID(),
        meta=fields.STORED(),
        title=fields.TEXT(analyzer=_TEXT, field_boost=TITLE_BOOST),
        body=fields.TEXT(analyzer=_TEXT),
        authors=fields.TEXT(analyzer=_NAMES),
        outlet=fields.TEXT(analyzer=_NAMES),
        section=fields.TEXT(analyzer=_NAMES),
        kind=fields.ID(),
        tags=fields.ID(),
        lang=fields.ID(),
        url=fields.ID(),
        domain=fields.ID(),
        published=fields.ID(),
        facets=fields.COLUMN(columns.VarBytesColumn()),
        sortdate=fields.COLUMN(columns.VarBytesColumn()),
    )


# --------------------------------------------------------------------------- layout


def _read_meta(index_dir: Path, *, name: str = META_NAME) -> dict[str, Any] | None:
    """An engine's metadata file in ``index/`` (``name``): None when missing; damaged -> error."""
    try:
        data = json.loads((index_dir / name).read_text("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        raise SearchIndexError(f"the search index at {index_dir} is damaged; {REPAIR}") from None
    return data if isinstance(data, dict) else None


def _check_meta(index_dir: Path, meta: dict[str, Any] | None, *, schema: int = SCHEMA_VERSION,
                complete: Any = Path.is_dir) -> Path:
    """The current generation's folder, after checking the metadata: it exists, it is of this
    ``schema``, and ``complete(folder)`` holds (each engine says what a whole generation is)."""
    if meta is None:
        raise SearchIndexError(f"there is no search index at {index_dir}; {REPAIR}")
    if meta.get("schema_version") != schema:
        raise SearchIndexError(f"the search index was built by an older version; {REPAIR}")
    gen = index_dir / str(meta.get("generation", ""))
    if not meta.get("generation") or not complete(gen):
        raise SearchIndexError(f"the search index at {index_dir} is incomplete; {REPAIR}")
    return gen


def _meta_or_none(index_dir: Path) -> dict[str, Any] | None:
    """index.json, or None when it is missing or damaged (a rebuild replaces it anyway)."""
    try:
        return _read_meta(index_dir)
    except SearchIndexError:
        return None


def _write_meta(index_dir: Path, generation: str, extra: dict[str, Any] | None = None) -> None:
    data = {"schema_version": SCHEMA_VERSION, "generation": generation,
            "built": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
    data.update(extra or {})
    tmp = index_dir / f".{META_NAME}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(data, indent=1) + "\n", "utf-8")
    os.replace(tmp, index_dir / META_NAME)


def _new_generation(index_dir: Path) -> Path:
    name = f"g-{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}-{os.urandom(3).hex()}"
    path = index_dir / name
    path.mkdir(parents=True)
    return path


def _remove_old_generations(index_dir: Path, keep: Iterable[str]) -> int:
    """Remove every generation folder but ``keep``: older ones, and builds a killed rebuild
    left behind. Returns how many were removed."""
    keep = set(keep)
    removed = 0
    for p in index_dir.glob("g-*"):
        if p.name not in keep and p.is_dir():
            shutil.rmtree(p, ignore_errors=True)  # open readers keep their files (POSIX)
            removed += 1
    return removed


def sweep(index_dir: str | os.PathLike) -> int:
    """Remove generation folders other than the current one: what a killed rebuild left.
    Skipped while a rebuild runs. Returns how many were removed."""
    index_dir = Path(index_dir)
    meta = _meta_or_none(index_dir)
    if not meta or not meta.get("generation") or not index_dir.is_dir():
        return 0
    from whoosh.util.filelock import FileLock

    lock = FileLock(str(index_dir / "rebuild.lock"))
    try:
        if not lock.acquire(blocking=False):
            return 0
    except OSError:
        return 0
    try:
        meta = _meta_or_none(index_dir) or {}
        if not meta.get("generation"):
            return 0
        return _remove_old_generations(index_dir, keep=[str(meta["generation"])])
    finally:
        lock.release()


def exists(index_dir: str | os.PathLike) -> bool:
    """True when a usable index of the current schema version is there."""
    try:
        _check_meta(Path(index_dir), _read_meta(Path(index_dir)))
        return True
    except SearchIndexError:
        return False


class _DirLock:
    """An exclusive lock on a file in ``index_dir`` (rebuilds, first creation)."""

    def __init__(self, path: Path, timeout: float, what: str):
        from whoosh.util.filelock import FileLock

        self.lock = FileLock(str(path))
        self.timeout, self.what = timeout, what

    def __enter__(self) -> "_DirLock":
        deadline = time.monotonic() + max(0.0, self.timeout)
        while not self.lock.acquire(blocking=False):
            if time.monotonic() >= deadline:
                raise LockTimeout(
                    f"the search index is busy ({self.what}) and stayed locked for "
                    f"{self.timeout:g} s; try again when the other command has finished"
                )
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.lock.release()


def _storage(gen: Path, *, mmap: bool = True):
    """The Whoosh storage of a generation. Searches memory-map the segment files (fastest).
    Writers do not: merging maps every segment it reads, and a long import's resident memory
    grew with the index (6,000 synthetic articles: 306 MB with maps, 211 MB without, for 20%
    more time; buffering small files or separate segment files saved little of that time)."""
    from whoosh.filedb.filestore import FileStorage

    return FileStorage(str(gen), supports_mmap=mmap)


def _open_whoosh(gen: Path, *, mmap: bool = True):
    return _storage(gen, mmap=mmap).open_index()


# --------------------------------------------------------------------------- writing


class IndexWriter:
    """Add, replace and delete entries in one batch (one Whoosh writer, one commit).

    Operations are buffered (last one per id wins) and applied on exit: the whole batch is
    committed when the block ends normally and dropped when it raises.
    """

    def __init__(self, index_dir: str | os.PathLike, *, timeout: float = 30.0,
                 limitmb: int = 128, optimize: bool = False):
        self.index_dir = Path(index_dir)
        self.optimize = optimize
        self.timeout = timeout
        self.limitmb = limitmb
        self._pending: dict[str, tuple["Entry", str, str | None, Any] | None] = {}
        self._writer = None
        self.added = self.deleted = 0

    def __enter__(self) -> "IndexWriter":
        from whoosh.index import LockError

        self.index_dir.mkdir(parents=True, exist_ok=True)
        meta = _read_meta(self.index_dir)
        if meta is None and not any(self.index_dir.glob("g-*")):
            with _DirLock(self.index_dir / "rebuild.lock", self.timeout, "being created"):
                if _read_meta(self.index_dir) is None:
                    gen = _new_generation(self.index_dir)
                    from whoosh import index as wi

                    wi.create_in(str(gen), _schema())
                    _write_meta(self.index_dir, gen.name)
            meta = _read_meta(self.index_dir)
        gen = _check_meta(self.index_dir, meta)
        try:
            ix = _open_whoosh(gen, mmap=False)
            self._writer = ix.writer(timeout=self.timeout, delay=0.05, limitmb=self.limitmb)
        except LockError:
            raise LockTimeout(
                f"another process is writing the search index ({gen}) and held its lock for "
                f"{self.timeout:g} s; try again when it has finished"
            ) from None
        except Exception as exc:  # a truncated TOC or segment: derived data, rebuild it
            raise _damaged(self.index_dir, exc) from None
        # a rebuild may have swapped generations while we waited for the lock
        if _read_meta(self.index_dir) != meta:
            self._writer.cancel()
            raise LockTimeout("the search index was rebuilt while waiting; try again")
        return self

    def upsert(self, entry: "Entry", body_text: str = "", *, fingerprint: str | None = None,
               stamp: Any = None) -> None:
        """Index ``entry`` with ``body_text`` (the newest version's text), replacing any old doc.
        ``stamp``: how its entry.json looked on disk (see ``stored_stamps``)."""
        self._pending[entry.id] = (entry, body_text or "", fingerprint, stamp)

    def delete(self, entry_id: str) -> None:
        self._pending[entry_id] = None

    def __exit__(self, exc_type, exc, tb) -> None:
        w = self._writer
        if w is None:
            return
        self._writer = None
        if exc_type is not None:
            w.cancel()
            return
        try:
            if self._pending:
                reader = w.reader()
                try:
                    for eid in self._pending:
                        if reader.doc_frequency("id", eid):
                            w.delete_by_term("id", eid)
                            self.deleted += 1
                finally:
                    reader.close()
                for item in self._pending.values():
                    if item is not None:
                        entry, body, fp, stamp = item
                        w.add_document(**_document(entry, body, fp, stamp))
                        self.added += 1
            if self.optimize:
                w.commit(optimize=True)
            else:
                w.commit(mergetype=_merge_tiered)
        except BaseException as exc:
            try:
                w.cancel()
            except Exception:  # pragma: no cover
                pass
            if isinstance(exc, Exception) and not isinstance(exc, (SearchIndexError, LockTimeout)):
                raise _damaged(self.index_dir, exc) from None
            raise
        finally:
            self._pending.clear()
            _forget(self.index_dir)


MERGE_FANOUT = 8


def _merge_tiered(w, segments):
    """Whoosh merge policy: merge a size tier once it holds MERGE_FANOUT segments.

    Tiers grow by a factor of MERGE_FANOUT, so with batches of 1,000 each document is copied
    about log8(N/1000) times (Whoosh's default policy re-merges small segments at nearly every
    commit, which made batched imports 2-3x slower). Segments that are mostly deleted
    documents are merged too.
    """
    import math

    from whoosh.reading import SegmentReader

    tiers: dict[int, list] = {}
    merge = []
    for seg in segments:
        n = seg.doc_count_all()
        if n and seg.deleted_count() * 2 > n:
            merge.append(seg)
            continue
        tiers.setdefault(int(math.log(max(n, 1), MERGE_FANOUT)), []).append(seg)
    for tier in tiers.values():
        if len(tier) >= MERGE_FANOUT:
            merge.extend(tier)
    if not merge:
        return segments
    for seg in merge:
        reader = SegmentReader(w.storage, w.schema, seg)
        w.add_reader(reader)
        reader.close()
    keep = {id(x) for x in merge}
    return [seg for seg in segments if id(seg) not in keep]


def optimize(index_dir: str | os.PathLike, *, timeout: float = 30.0) -> None:
    """Merge all segments into one (after a large import; searches get a little faster)."""
    with IndexWriter(index_dir, timeout=timeout, optimize=True):
        pass


def writer(index_dir: str | os.PathLike, *, timeout: float = 30.0) -> IndexWriter:
    """``with index.writer(dir) as w: w.upsert(entry, text); w.delete(id)``."""
    return IndexWriter(index_dir, timeout=timeout)


def rebuild(index_dir: str | os.PathLike, docs: Iterable[tuple], *,
            timeout: float = 30.0, procs: int = 1, limitmb: int = 256) -> int:
    """Build a fresh index from ``docs`` beside the current one, then swap it in. Returns count.

    Searches keep using the old generation until the swap; writers wait (and time out)
    while the rebuild runs.
    """
    from whoosh.index import LockError

    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    with _DirLock(index_dir / "rebuild.lock", timeout, "a rebuild is running"):
        old_lock = None
        meta = _meta_or_none(index_dir)  # damaged: rebuilt all the same
        previous = str(meta.get("generation") or "") if meta else ""
        if previous and not re.fullmatch(r"g-[\w.-]+", previous):
            previous = ""
        if previous and (index_dir / previous).is_dir():
            try:
                from whoosh.filedb.filestore import FileStorage

                old_lock = FileStorage(str(index_dir / previous)).lock("WRITELOCK")
                deadline = time.monotonic() + timeout
                while not old_lock.acquire(blocking=False):
                    if time.monotonic() >= deadline:
                        raise LockTimeout(
                            f"another process is writing the search index; waited {timeout:g} s")
                    time.sleep(0.05)
            except LockError:  # pragma: no cover
                raise LockTimeout("another process is writing the search index") from None
        gen = _new_generation(index_dir)
        n = 0
        try:
            ix = _storage(gen, mmap=False).create_index(_schema())
            kw: dict[str, Any] = {"limitmb": limitmb}
            if procs > 1:
                kw.update(procs=procs, multisegment=True)
            w = ix.writer(**kw)
            try:
                seen: set[str] = set()
                for doc in docs:
                    entry, body = doc[0], doc[1]
                    stamp = doc[2] if len(doc) > 2 else None
                    if entry.id in seen:
                        continue  # first one wins; an archive has unique ids anyway
                    seen.add(entry.id)
                    w.add_document(**_document(entry, body or "", None, stamp))
                    n += 1
                w.commit()
            except BaseException:
                w.cancel()
                raise
            _write_meta(index_dir, gen.name, {"count": n})
        except BaseException:
            shutil.rmtree(gen, ignore_errors=True)
            raise
        finally:
            if old_lock is not None:
                old_lock.release()
        # readers that read index.json just before the swap find the old generation gone and
        # read index.json again (see _searcher); open searchers keep their files (POSIX)
        _remove_old_generations(index_dir, keep=[gen.name])
        _forget(index_dir)
    return n


# --------------------------------------------------------------------------- reading

_cache_lock = threading.RLock()
_searchers: dict[str, tuple[str, Any]] = {}


def _forget(index_dir: Path) -> None:
    with _cache_lock:
        item = _searchers.pop(str(Path(index_dir).resolve()), None)
    if item is not None:
        try:
            item[1].close()
        except Exception:  # pragma: no cover
            pass


def _damaged(index_dir: Path, exc: BaseException) -> SearchIndexError:
    return SearchIndexError(f"the search index at {index_dir} is damaged "
                            f"({exc.__class__.__name__}: {str(exc)[:120]}); {REPAIR}")


def _searcher(index_dir: Path):
    """A cached, up-to-date Whoosh searcher for ``index_dir`` (call under ``_cache_lock``)."""
    from whoosh import scoring

    key = str(index_dir.resolve())
    gen = _check_meta(index_dir, _read_meta(index_dir))
    cached = _searchers.get(key)
    if cached is not None and cached[0] == gen.name:
        s = cached[1]
        try:
            if not s.up_to_date():
                s = s.refresh()
                _searchers[key] = (gen.name, s)
            return s
        except Exception:
            _forget(index_dir)
    last: Exception | None = None
    for attempt in range(4):
        # a commit may delete a segment between reading the TOC and opening it, and a rebuild
        # may swap generations between reading index.json and opening: read both again
        if attempt:
            time.sleep(0.05 * attempt)
            gen = _check_meta(index_dir, _read_meta(index_dir))
        try:
            ix = _open_whoosh(gen)
            s = ix.searcher(weighting=scoring.BM25F(B=0.75, K1=1.2))
            _searchers[key] = (gen.name, s)
            return s
        except Exception as exc:  # EmptyIndexError, a truncated TOC or segment, ...
            last = exc
    raise _damaged(index_dir, last or RuntimeError("cannot open"))


def _reading(fn):
    """Readers report a damaged index as one SearchIndexError naming the repair."""
    import functools

    @functools.wraps(fn)
    def wrapper(index_dir, *args, **kwargs):
        from .errors import NewsArchiveError

        try:
            return fn(index_dir, *args, **kwargs)
        except (NewsArchiveError, MemoryError):
            raise
        except Exception as exc:
            with _cache_lock:
                _forget(Path(index_dir))
            raise _damaged(Path(index_dir), exc) from None

    return wrapper


@_reading
def ids(index_dir: str | os.PathLike) -> set[str]:
    """All entry ids in the index."""
    with _cache_lock:
        r = _searcher(Path(index_dir)).reader()
        return {f["id"] for _, f in r.iter_docs()}


@_reading
def count(index_dir: str | os.PathLike) -> int:
    with _cache_lock:
        return _searcher(Path(index_dir)).doc_count()


@_reading
def stored_fingerprints(index_dir: str | os.PathLike) -> dict[str, str]:
    """entry id -> ``fingerprint(entry, body)`` recorded when it was indexed."""
    with _cache_lock:
        r = _searcher(Path(index_dir)).reader()
        return {f["id"]: f["meta"][4] for _, f in r.iter_docs()}


@_reading
def stored_stamps(index_dir: str | os.PathLike) -> dict[str, tuple | None]:
    """entry id -> the stamp of its entry.json when it was indexed (None: not recorded)."""
    with _cache_lock:
        r = _searcher(Path(index_dir)).reader()
        out = {}
        for _, f in r.iter_docs():
            meta = f["meta"]
            out[f["id"]] = tuple(meta[5]) if len(meta) > 5 and meta[5] else None
        return out


# --------------------------------------------------------------------------- query translation

_FIELD_MAP = {
    "title": "title", "body": "body", "author": "authors", "outlet": "outlet",
    "section": "section", "tag": "tags", "lang": "lang", "domain": "domain", "url": "url",
    "id": "id", "citekey": "citekey", "kind": "kind",
}
_STEMMED = {"title", "body"}


def _exact_term(field: str, text: str) -> str:
    t = text.strip()
    if field == "url":
        return _norm_url(t)
    if field == "domain":
        t = t.lower()
        return t[4:] if t.startswith("www.") else t
    if field == "tags":
        return _tag_term(t)
    if field == "lang":
        return t.lower().replace("_", "-")
    return t.lower()


class _Translator:
    def __init__(self, W):
        self.W = W  # whoosh.query

    def fields_for(self, field: str | None) -> list[tuple[str, float]]:
        if field is None:
            return list(DEFAULT_FIELDS)
        return [(_FIELD_MAP[field], 1.0)]

    def _text_query(self, fname: str, words: list[str], slop: int, boost: float):
        W = self.W
        variants = []
        for stemming in ((True, False) if fname in _STEMMED else (False,)):
            terms = [t.text for t in (_TEXT if stemming else _NAMES)(" ".join(words), mode="query")]
            if terms and terms not in variants:
                variants.append(terms)
        qs = []
        for terms in variants:
            if len(terms) == 1:
                qs.append(W.Term(fname, terms[0], boost=boost))
            else:
                qs.append(W.Phrase(fname, terms, slop=slop, boost=boost))
        if not qs:
            return None
        return qs[0] if len(qs) == 1 else W.compound.DefaultOr(qs)

    def __call__(self, node: Q.Node):
        W = self.W
        if isinstance(node, Q.MatchAll):
            return W.Every()
        if isinstance(node, Q.And):
            items = [q for q in (self(n) for n in node.items) if q is not None]
            if not items:
                return None
            nots = [q for q in items if isinstance(q, W.Not)]
            if len(nots) > 1:  # NOT a AND NOT b = NOT (a OR b): one pass over the documents, not one per NOT
                items = [q for q in items if not isinstance(q, W.Not)] + [W.Not(W.Or([q.query for q in nots]))]
            if all(isinstance(q, W.Not) for q in items):
                items.insert(0, W.Every())
            return items[0] if len(items) == 1 else W.And(items)
        if isinstance(node, Q.Or):
            items = [q for q in (self(n) for n in node.items) if q is not None]
            if not items:
                return None
            items = [W.And([W.Every(), q]) if isinstance(q, W.Not) else q for q in items]
            return items[0] if len(items) == 1 else W.compound.DefaultOr(items)
        if isinstance(node, Q.Not):
            inner = self(node.item)
            return None if inner is None else W.Not(inner)
        if isinstance(node, Q.DateRange):
            start = node.start.isoformat() if node.start else None
            end = node.end.isoformat() if node.end else None
            return W.TermRange("published", start, end, startexcl=False, endexcl=False)
        if isinstance(node, (Q.Term, Q.Phrase)):
            words = [node.text] if isinstance(node, Q.Term) else list(node.words)
            slop = node.slop if isinstance(node, Q.Phrase) else 1
            if node.field in Q.EXACT_FIELDS:
                fname = _FIELD_MAP[node.field]
                return W.Term(fname, _exact_term(fname, " ".join(words)))
            qs = [q for q in (self._text_query(f, words, slop, b) for f, b in self.fields_for(node.field))
                  if q is not None]
            if not qs:
                return None
            return qs[0] if len(qs) == 1 else W.compound.DefaultOr(qs)
        if isinstance(node, Q.Prefix):
            if node.field in Q.EXACT_FIELDS:
                fname = _FIELD_MAP[node.field]
                return W.Prefix(fname, _exact_term(fname, node.text))
            text = fold(node.text.replace("’", "'"))
            if not text:
                return None
            qs = [W.Prefix(f, text, boost=b) for f, b in self.fields_for(node.field)]
            return qs[0] if len(qs) == 1 else W.compound.DefaultOr(qs)
        if isinstance(node, Q.Fuzzy):
            text = _normal_atom(node.text)
            if not text:
                return None
            qs = [W.FuzzyTerm(f, text, boost=b, maxdist=node.distance, prefixlength=1)
                  for f, b in self.fields_for(node.field)]
            return qs[0] if len(qs) == 1 else W.compound.DefaultOr(qs)
        raise TypeError(f"unknown query node {node!r}")  # pragma: no cover


def to_whoosh(tree: Q.Node):
    """The Whoosh query for a parsed query tree (``NullQuery`` when nothing is searchable)."""
    import whoosh.query as W
    import whoosh.query.compound  # noqa: F401  (DefaultOr)

    q = _Translator(W)(tree)
    return W.NullQuery if q is None else q


# --------------------------------------------------------------------------- snippets


class _Highlight:
    """Which words of a text match the positive parts of a query."""

    def __init__(self, tree: Q.Node):
        self.terms: set[str] = set()
        self.prefixes: list[str] = []
        self.fuzzy: list[tuple[str, int]] = []
        for leaf in Q.positive_leaves(tree):
            field = getattr(leaf, "field", None)
            if field not in (None, "body", "title"):
                continue
            if isinstance(leaf, Q.Term):
                self._add_words(leaf.text)
            elif isinstance(leaf, Q.Phrase):
                self._add_words(" ".join(leaf.words))
            elif isinstance(leaf, Q.Prefix):
                p = fold(leaf.text.replace("’", "'"))
                if p:
                    self.prefixes.append(p)
            elif isinstance(leaf, Q.Fuzzy):
                w = _normal_atom(leaf.text)
                if w:
                    self.fuzzy.append((w, leaf.distance))

    def _add_words(self, text: str) -> None:
        for m in _ATOM_RE.finditer(text):
            self.terms.add(_TEXT.term(m.group(), True))
            self.terms.add(_TEXT.term(m.group(), False))

    def __bool__(self) -> bool:
        return bool(self.terms or self.prefixes or self.fuzzy)

    def key(self, atom: str) -> str | None:
        stemmed = _TEXT.term(atom, True)
        if stemmed in self.terms:
            return stemmed
        plain = _TEXT.term(atom, False)
        if plain in self.terms:
            return plain
        if not plain.isascii() and translit(plain) in self.terms:
            return translit(plain)
        for p in self.prefixes:
            if plain.startswith(p):
                return p
        for w, d in self.fuzzy:
            if abs(len(w) - len(plain)) <= d and plain[:1] == w[:1] and _within(w, plain, d):
                return w
        return None


def _within(a: str, b: str, limit: int) -> bool:
    """Levenshtein distance of a and b is at most ``limit``."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > limit:
            return False
        prev = cur
    return prev[-1] <= limit


def make_snippet(text: str, hl: _Highlight, words: int = SNIPPET_WORDS,
                 max_chars: int = 200_000) -> str | None:
    """The best window of ``words`` words, HTML-escaped, matched words in ``<b>..</b>``."""
    if not text:
        return None
    text = text[:max_chars]
    spans: list[tuple[int, int]] = []
    hits: list[tuple[int, str]] = []  # (word index, key)
    seen: dict[str, str | None] = {}  # words repeat: look each up once
    key = hl.key
    for m in _ATOM_RE.finditer(text):
        w = m.group()
        k = seen[w] if w in seen else seen.setdefault(w, key(w) if hl else None)
        if k is not None:
            hits.append((len(spans), k))
        spans.append((m.start(), m.end()))
    if not spans:
        return None
    first = 0
    if hits:
        best = (-1, -1)
        j = 0
        for i in range(len(hits)):  # windows starting a little before each hit
            while j < len(hits) and hits[j][0] < hits[i][0] + words - 4:
                j += 1
            distinct = len({k for _, k in hits[i:j]})
            if (distinct, j - i) > best:
                best, first = (distinct, j - i), max(0, hits[i][0] - 4)
    last = min(len(spans), first + words) - 1
    marked = {i for i, _ in hits if first <= i <= last}
    out = ["…" if first > 0 else ""]
    cursor = 0 if first == 0 else spans[first][0]
    for i in range(first, last + 1):
        s, e = spans[i]
        out.append(html.escape(text[cursor:s], quote=False))
        w = html.escape(text[s:e] if e - s <= 80 else text[s:s + 80] + "…", quote=False)  # no 1 MB "word"
        out.append(f"<b>{w}</b>" if i in marked else w)
        cursor = e
    tail = re.match(r"\S*", text[cursor:cursor + 20])  # closing punctuation
    out.append(html.escape(tail.group() if tail else "", quote=False))
    if last < len(spans) - 1:
        out.append("…")
    return " ".join("".join(out).split())


# --------------------------------------------------------------------------- search


@dataclass
class SearchResult:
    hits: list["Hit"]
    total: int
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    query: Q.Node | None = None
    took: float = 0.0  # seconds

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "hits": [h.to_json() for h in self.hits],
            "facets": {k: [[v, n] for v, n in items] for k, items in self.facets.items()},
        }


_SORTS = ("relevance", "published", "-published")


def _facet_counts(reader, docnums: Iterable[int], names: Iterable[str]) -> dict[str, list[tuple[str, int]]]:
    wanted = [n for n in names]
    for n in wanted:
        if n not in FACETS:
            raise ValueError(f"unknown facet {n!r} (one of: {', '.join(FACETS)})")
    counts: dict[str, dict[str, int]] = {n: {} for n in wanted}
    docnums = list(docnums)
    if not docnums:  # an empty index has no columns (Whoosh's EmptyReader raises)
        return {n: [] for n in wanted}
    col = reader.column_reader("facets")
    slot = {"outlet": 0, "year": 1, "kind": 2, "author": 3, "tag": 4}
    for d in docnums:
        raw = col[d]
        if not raw:
            continue
        parts = raw.decode("utf-8").split("\x1f")
        for n in wanted:
            v = parts[slot[n]]
            if not v:
                continue
            c = counts[n]
            if n in ("author", "tag"):
                for x in v.split("\x1e"):
                    c[x] = c.get(x, 0) + 1
            else:
                c[v] = c.get(v, 0) + 1
    return {n: sorted(c.items(), key=lambda kv: (-kv[1], kv[0])) for n, c in counts.items()}


def _older_matches(s, wq, older_versions: Iterable[tuple["Entry", int, str]]) -> dict[int, tuple[float, int, str]]:
    """Search older versions in a throwaway in-memory index. Returns, for entries that match
    there but not in the main index, main docnum -> (score, version, text) of the best version."""
    from whoosh import scoring
    from whoosh.filedb.filestore import RamStorage

    versions = list(older_versions)
    if not versions:
        return {}
    ram = RamStorage().create_index(_schema())
    w = ram.writer()
    texts: dict[tuple[str, int], str] = {}
    for entry, version, text in versions:
        w.add_document(**_document(entry, text or "", str(version)))
        texts[(entry.id, version)] = text or ""
    w.commit()
    best: dict[int, tuple[float, int, str]] = {}
    main_matches = set(s.docs_for_query(wq))
    with ram.searcher(weighting=scoring.BM25F(B=0.75, K1=1.2)) as rs:
        for hit in rs.search(wq, limit=None):
            entry_id, version = hit["id"], int(hit["meta"][4])
            docnum = s.document_number(id=entry_id)
            if docnum is None or docnum in main_matches:
                continue  # gone from the archive, or the newest version matches anyway
            if docnum not in best or hit.score > best[docnum][0]:
                best[docnum] = (hit.score, version, texts[(entry_id, version)])
    return best


def _scored_matches(s, wq) -> list[tuple[float, int]]:
    """(-score, docnum) of every match, in one pass (gives the total and facets too)."""
    ctx = s.context(needs_current=False, weighting=s.weighting)
    out: list[tuple[float, int]] = []
    append = out.append
    for sub, offset in s.leaf_searchers():
        m = wq.matcher(sub, ctx)
        while m.is_active():
            append((-m.score(), offset + m.id()))
            m.next()
    return out


def search(index_dir: str | os.PathLike, query: str | Q.Node, *, limit: int = 20, offset: int = 0,
           sort: str = "relevance", facets: Iterable[str] = (), snippets: bool = True,
           body_loader: Callable[[str], str] | None = None, today: _dt.date | None = None,
           all_versions: bool = False,
           older_versions: Iterable[tuple["Entry", int, str]] = ()) -> SearchResult:
    """Run a query; ``total`` and ``facets`` count all matches, ``hits`` is one page.

    ``query`` is a query string (raises ``QueryError`` when malformed) or a parsed tree.
    Snippets come from ``body_loader(entry_id)`` (the index does not store bodies); without a
    loader hits have no snippet. ``sort``: "relevance", "published" (oldest first) or
    "-published" (newest first; undated entries last either way).

    The index holds the newest version of each entry. With ``all_versions``, the older versions
    given as ``older_versions`` ((entry as that version showed it, version number, its text))
    are searched too, in a temporary in-memory index: an entry that matches only in an older
    version is a hit with ``version`` set to the best-matching one.
    """
    t0 = time.perf_counter()
    if sort not in _SORTS:
        raise ValueError(f"unknown sort {sort!r} (one of: {', '.join(_SORTS)})")
    facets = tuple(facets)
    for n in facets:
        if n not in FACETS:
            raise ValueError(f"unknown facet {n!r} (one of: {', '.join(FACETS)})")
    tree = Q.parse(query, today=today) if isinstance(query, str) else query
    return _search(index_dir, tree, limit=limit, offset=offset, sort=sort, facets=facets,
                   snippets=snippets, body_loader=body_loader, all_versions=all_versions,
                   older_versions=older_versions, t0=t0)


@_reading
def _search(index_dir, tree, *, limit, offset, sort, facets, snippets, body_loader, all_versions,
            older_versions, t0):
    from .model import Hit
    from .search import order

    wq = to_whoosh(tree)
    limit = max(0, int(limit))
    offset = max(0, int(offset))
    with _cache_lock:
        s = _searcher(Path(index_dir))
        reader = s.reader()
        alldocs: list[int] | None = None
        older = _older_matches(s, wq, older_versions) if all_versions else {}
        col = reader.column_reader("sortdate") if reader.doc_count_all() else None  # none when empty
        date_of = (lambda d: col[d]) if col is not None else (lambda d: None)  # noqa: E731
        id_of = lambda d: reader.stored_fields(d)["id"]  # noqa: E731  (equal keys only: search/order.py)
        if sort == "relevance":
            scored = _scored_matches(s, wq)
            if older:
                matched = {d for _, d in scored}
                scored += [(-sc, d) for d, (sc, _v, _t) in older.items() if d not in matched]
            total = len(scored)
            page = order.relevance_page([(-neg, d) for neg, d in scored], offset, limit,
                                        date_of=date_of, id_of=id_of)
            if facets:
                alldocs = [d for _, d in scored]
        else:
            alldocs = list(s.docs_for_query(wq))
            if older:
                matched = set(alldocs)
                alldocs += [d for d in older if d not in matched]
            total = len(alldocs)
            page = [(d, 0.0) for d in order.date_page(alldocs, offset, limit, newest_first=(sort == "-published"),
                                                      date_of=date_of, id_of=id_of)]
        facet_counts = _facet_counts(reader, alldocs or [], facets) if facets else {}
        stored = [(reader.stored_fields(d), sc, older.get(d)) for d, sc in page]
    hl = _Highlight(tree) if snippets and body_loader is not None else None
    hits = []
    for f, sc, old in stored:
        citekey, title, outlet, published = f["meta"][:4]
        snippet = None
        if hl is not None:
            try:
                snippet = make_snippet((old[2] if old else body_loader(f["id"])) or "", hl)
            except Exception:
                snippet = None  # a missing body must not break a search
        hits.append(Hit(id=f["id"], citekey=citekey, title=title, outlet=outlet,
                        published=published, score=float(sc), snippet=snippet,
                        version=old[1] if old else None))
    return SearchResult(hits=hits, total=total, facets=facet_counts, query=tree,
                        took=time.perf_counter() - t0)
