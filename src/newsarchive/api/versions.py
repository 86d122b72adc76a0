"""History, versions and diffs, and ``verify`` (fixity of every stored file, index in step)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any, Callable, Iterable

from .. import store as st
from ..catalog import JOURNAL
from ..errors import SearchIndexError, UsageError
from ..fixity import Problem, check_entry
from ..fsutil import atomic_write
from ..model import Entry
from .collection import Collection, as_collection
from .indexing import IndexSession, _reason, as_of, body_text, older_versions, rebuild_index


def history(root: Path | Collection, ref: str) -> list[dict[str, Any]]:
    coll = as_collection(root)
    store = coll.store
    from .entries import resolve

    entry_id = resolve(coll, ref)
    return store.read_history(entry_id)


def version_text(store: st.Store, entry: Entry, version: int) -> str:
    if not 1 <= version <= len(entry.snapshots):
        raise UsageError(f"entry {entry.id} has {len(entry.snapshots)} version(s); no version {version}")
    return body_text(store, entry, version=version)


def diff(root: Path | Collection, ref: str, *, from_version: int | None = None, to_version: int | None = None) -> dict[str, Any]:
    """Word-level differences of the extracted text between two versions, and changed metadata."""
    import difflib

    coll = as_collection(root)
    store = coll.store
    from .entries import resolve

    entry = store.read(resolve(coll, ref))
    n = len(entry.snapshots)
    if n < 2 and (from_version is None or to_version is None):
        raise UsageError(f"entry {entry.id} has {n} version(s); nothing to compare")
    b = to_version or n
    a = from_version or (b - 1)
    old_text, new_text = version_text(store, entry, a), version_text(store, entry, b)
    old_words, new_words = old_text.split(), new_text.split()
    ops = []
    sm = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        ops.append({"op": tag, "old": " ".join(old_words[i1:i2]), "new": " ".join(new_words[j1:j2])})
    meta = []
    ma, mb = entry.snapshots[a - 1].meta or {}, entry.snapshots[b - 1].meta or {}
    for key in ("title", "modified", "authors"):
        if ma.get(key) != mb.get(key):
            meta.append({"field": key, "old": ma.get(key), "new": mb.get(key)})
    sa, sb = entry.snapshots[a - 1], entry.snapshots[b - 1]
    return {"id": entry.id, "from": {"version": a, "captured_at": sa.captured_at.iso(), "sha256": sa.sha256},
            "to": {"version": b, "captured_at": sb.captured_at.iso(), "sha256": sb.sha256},
            "metadata": meta, "text": ops,
            "words": {"deleted": sum(len(o["old"].split()) for o in ops if o["op"] in ("delete", "replace")),
                      "inserted": sum(len(o["new"].split()) for o in ops if o["op"] in ("insert", "replace"))}}


def verify(root: Path | Collection, refs: Iterable[str] = (), *, repair_index: bool = False, seal: bool = False,
           lock_timeout: float | None = None, record: bool = False,
           on_entry: Callable[[], Any] | None = None,
           tsa_roots: Path | None = None) -> tuple[int, list[Problem], bool]:
    """Re-hash every stored file, validate every entry, compare archive and index.
    ``on_entry`` is called once per entry checked (progress).
    Returns (entries checked, problems, whether the index was repaired). Problems of kind
    ``note`` are not damage (an entry without a manifest, written by an older version).
    ``seal`` adds the manifest to such entries when they check out (nothing else wrong).
    ``record`` appends a ``verify`` event to the custody log of every entry that checked out
    (see ``evidence/custody.py``). ``tsa_roots``: a PEM file of the root certificates trusted for
    trusted timestamps; each token must chain to one of them (else to the root stored beside it,
    which shows only that token and chain agree)."""
    from ..fixity import sealed

    roots = None
    if tsa_roots is not None:
        from ..evidence.timestamp import load_roots

        roots = load_roots(Path(tsa_roots))

    coll = as_collection(root)
    store = coll.store
    backend = coll.backend
    refs = list(refs)
    from .entries import resolve_all

    if refs:
        ids = resolve_all(coll, refs)
    else:  # the whole collection: the catalog compares every entry.json's stamp too
        coll.catalog(full=True).close()
        ids = store.ids()
    problems: list[Problem] = []
    good: dict[str, Entry] = {}
    unsealed: list[str] = []
    with coll.lock(timeout=lock_timeout) if seal else contextlib.nullcontext():
        for entry_id in ids:
            entry, found = check_entry(store, entry_id, tsa_roots=roots)
            if on_entry is not None:
                on_entry()
            if not sealed(store, entry_id) and not any(p.path and p.path.endswith(st.MANIFEST_FILE) for p in found):
                if seal and entry is not None and _seal(store, entry_id):
                    entry, found = check_entry(store, entry_id, tsa_roots=roots)
                else:
                    unsealed.append(entry_id)
            problems.extend(found)
            if entry is not None:
                good[entry_id] = entry
    for entry_id in unsealed:
        problems.append(Problem("note", entry_id, str(store.entry_dir(entry_id)),
                                "no manifest (written by an older version); `newsarchive verify --seal` adds one "
                                "once the entry checks out"))
    if not refs:
        with os.scandir(store.archive) as it:
            for d in it:
                if d.name.startswith((".tmp-", ".trash-")):
                    problems.append(Problem("extra", None, d.path, "left by an interrupted write; the next writer removes it"))
                elif d.name.startswith(st.COMMIT_PREFIX):
                    problems.append(Problem("extra", None, d.path, "a change committed by an interrupted command; "
                                            "the next writer (e.g. `newsarchive reindex`) finishes it"))
    index_problems: list[Problem] = []
    stored = None
    if not backend.exists():
        if ids:  # an empty collection has nothing to index: its missing index is not drift
            index_problems.append(Problem("stale-index", None, str(store.index_dir),
                                          "the index is missing or outdated"))
    else:
        try:
            stored = backend.stored_fingerprints()
        except SearchIndexError as exc:  # damaged: a problem to report (and repair), not a crash
            index_problems.append(Problem("stale-index", None, str(store.index_dir), _reason(exc)))
            stored = None
    if stored is not None:
        for entry_id, entry in good.items():
            if entry_id not in stored:
                index_problems.append(Problem("not-indexed", entry_id, None, "entry is not in the search index"))
            elif stored[entry_id] != backend.fingerprint(entry, body_text(store, entry)):
                index_problems.append(Problem("stale-index", entry_id, None, "the index holds an older state of this entry"))
        for entry_id in ids:
            if entry_id not in good and entry_id in stored:
                index_problems.append(Problem("extra-in-index", entry_id, None,
                                              "indexed, but its metadata is damaged (see above)"))
        if not refs:
            for entry_id in sorted(set(stored) - set(store.ids())):
                index_problems.append(Problem("extra-in-index", entry_id, None, "indexed but not in the archive"))
        index_problems += _older_problems(store, backend, good, ids, whole=not refs)
    repaired = False
    if repair_index and index_problems:
        with coll.lock(timeout=lock_timeout):
            rebuild_index(store)
        repaired = True
        index_problems = []
    elif repair_index and (store.index_dir / JOURNAL).exists():
        with coll.lock(timeout=lock_timeout), IndexSession(store) as session:
            pass  # replays what an interrupted writer journalled, as the next writer would
        repaired = session.error is None
    if record:
        from ..evidence.custody import record_verify

        damaged = {p.id for p in problems if p.kind != "note"}
        ok = [i for i in ids if i in good and i not in damaged]
        files = {i: len(store.manifest(i) or {}) for i in ok}
        for entry_id, why in record_verify(coll.root, ok, files=files, lock_timeout=coll.timeout(lock_timeout)):
            problems.append(Problem("note", entry_id, str(store.entry_dir(entry_id)),
                                    f"the check could not be recorded in the custody log: {why}"))
    return len(ids), problems + index_problems, repaired


def _older_problems(store: st.Store, backend: Any, good: dict[str, Entry], ids: list[str], *,
                   whole: bool) -> list[Problem]:
    """The older-versions index against the archive: every older version of every entry in
    ``good`` indexed as it is now, nothing else (``whole``: the whole collection was checked)."""
    want = {entry_id: {n: backend.fingerprint(e, text) for e, n, text in older_versions(store, entry)}
            for entry_id, entry in good.items() if len(entry.snapshots) > 1}
    where = str(store.index_dir)
    condition = backend.older_condition()
    if condition == "missing":
        if not want:
            return []  # nothing it would hold; `search --all-versions` builds it when first asked
        return [Problem("stale-index", None, where, "the older versions are not indexed (an index built by an "
                        "earlier version); `newsarchive reindex` or the first `search --all-versions` builds it")]
    try:
        have = backend.older_fingerprints()
    except SearchIndexError as exc:
        return [Problem("stale-index", None, where, f"the older-versions index: {_reason(exc)}")]
    out: list[Problem] = []
    for entry_id in good:
        wanted, got = want.get(entry_id, {}), have.get(entry_id, {})
        for n in sorted(wanted):
            if n not in got:
                out.append(Problem("not-indexed", entry_id, None, f"version {n} is not in the older-versions index"))
            elif got[n] != wanted[n]:
                out.append(Problem("stale-index", entry_id, None,
                                   f"the older-versions index holds an older state of version {n}"))
        for n in sorted(set(got) - set(wanted)):
            out.append(Problem("extra-in-index", entry_id, None,
                               f"version {n} is in the older-versions index, not an older version in the archive"))
    for entry_id in ids:
        if entry_id not in good and entry_id in have:
            out.append(Problem("extra-in-index", entry_id, None,
                               "older versions indexed, but its metadata is damaged (see above)"))
    if whole:
        for entry_id in sorted(set(have) - set(store.ids())):
            out.append(Problem("extra-in-index", entry_id, None, "older versions indexed but not in the archive"))
    return out


def _seal(store: st.Store, entry_id: str) -> bool:
    """Add the manifest to an entry written by an older version, when nothing is wrong with it
    but what an interrupted write of that version left (a torn last history line, a temp
    file), which is cleared first and logged. Damaged entries are never sealed."""
    from ..fixity import check_entry as check
    from ..fixity import hash_file, sealed

    folder = store.entry_dir(entry_id)  # the caller holds the lock
    if sealed(store, entry_id):
        return True
    entry, found = check(store, entry_id)
    fixable = []
    for p in found:
        name = Path(p.path or "").name
        if p.kind == "invalid" and name == st.HISTORY_FILE and "cut short" in p.detail:
            fixable.append(p)
        elif p.kind == "extra" and name.startswith(".") and name.endswith(".tmp"):
            fixable.append(p)
        else:
            return False
    if entry is None:
        return False
    for p in fixable:
        path = Path(p.path or "")
        if path.name == st.HISTORY_FILE:
            complete, torn = st.split_history(path.read_bytes())
            atomic_write(path, complete)
            st.log.warning("%s: dropped a torn last line (%d bytes) left by an interrupted write", path, len(torn))
        else:
            path.unlink()
            st.log.warning("%s: removed a temp file left by an interrupted write", path)
    entry, found = check(store, entry_id)
    if entry is None or found:
        return False
    hashes = {}
    for path in folder.rglob("*"):
        if path.is_file():
            hashes[path.relative_to(folder).as_posix()] = hash_file(path)
    store.seal(entry_id, hashes)
    return True


_as_of = as_of  # the name searching.py imports
