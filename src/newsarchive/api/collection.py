"""Opening a collection: create one, open its store and search backend, and report its state (status)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import store as st
from ..catalog import JOURNAL, Catalog, OnSkip, _skip, entry_stamp
from ..errors import FileAccessError, SearchIndexError, os_error_message
from ..fixity import metadata_ok

DEFAULT_LOCK_TIMEOUT = 30.0


def init(path: str | os.PathLike[str], *, engine: str = "whoosh") -> Path:
    from ..search import engines

    engines.check_name(engine)
    try:
        root = st.init_collection(path)
        engines.record(root, engine)
    except OSError as exc:
        raise FileAccessError(os_error_message(exc, action="create a collection in", path=path),
                              path=str(path), errno=exc.errno) from None
    return root


def search_backend(store: st.Store):
    """The search backend of this collection (the engine it records; Whoosh by default)."""
    from ..search import engines

    return engines.for_store(store)


def open_store(root: str | os.PathLike[str]) -> st.Store:
    """The collection at ``root``: ``archive/`` makes it one; ``index/`` is derived and is
    recreated (by the next writer, search or ``reindex``) when it is missing."""
    store = st.Store(root)
    if not st.is_collection(store.root):
        raise st.NotACollection(f"{store.root} is not a collection (no archive/)")
    return store


@dataclass(frozen=True)
class Status:
    root: str
    entries: int
    snapshots: int
    indexed: int | None
    index_state: str  # ok | missing | outdated | damaged | drift
    missing_from_index: list[str]
    extra_in_index: list[str]
    pending: list[str]
    engine: str = "whoosh"
    stale: list[str] = ()  # type: ignore[assignment]  # indexed from an older entry.json
    unreadable: list[str] = ()  # type: ignore[assignment]  # entry folders that cannot be read
    detail: str | None = None  # why the index is damaged

    def to_json(self) -> dict[str, Any]:
        return {"root": self.root, "entries": self.entries, "snapshots": self.snapshots,
                "indexed": self.indexed, "index": self.index_state,
                "missing_from_index": self.missing_from_index, "extra_in_index": self.extra_in_index,
                "stale_in_index": list(self.stale), "unreadable": list(self.unreadable),
                "interrupted_writes": self.pending, "engine": self.engine}


def _has_stamps(backend: Any) -> bool:
    """Whether the engine records entry.json stamps (the Whoosh one does)."""
    return callable(getattr(backend, "stored_stamps", None))


def status(root: Path, *, on_skip: OnSkip | None = None) -> Status:
    """Counts, and whether the index is in step with the archive: each entry.json's stamp (one
    stat each) against the stamp the index recorded when it indexed it (engines that record
    stamps; others are compared by IDs). Entries that cannot be read are reported through
    ``on_skip``."""
    store = open_store(root)
    backend = search_backend(store)
    catalog = Catalog(store)  # the cached catalog, checked against the disk by its stamps
    catalog.refresh(store, on_skip=on_skip)
    ids = store.ids()  # every entry folder, readable or not
    snapshots = sum(len(shas) for _key, shas, *_rest in catalog.entries.values())
    journal = store.index_dir / JOURNAL
    try:
        pending = sorted(set(journal.read_bytes().decode("utf-8", "replace").split())) if journal.exists() else []
    except OSError:
        pending = ["(unreadable journal)"]
    unreadable = sorted(catalog.unreadable)
    name = backend.name
    if not backend.exists():
        state = backend.condition()
        return Status(str(root), len(ids), snapshots, None, state, [], [], pending, name, [], unreadable)
    try:
        if _has_stamps(backend):
            stamps = backend.stored_stamps()
        else:
            stamps = {i: "unknown" for i in backend.ids()}
    except SearchIndexError as exc:
        return Status(str(root), len(ids), snapshots, None, "damaged", [], [], pending, name, [], unreadable,
                      str(exc))
    good = [i for i in ids if i in catalog.entries]
    missing = sorted(i for i in good if i not in stamps)
    stale = sorted(i for i in ids if i in stamps and stamps[i] != "unknown"
                   and (stamps[i] is None or stamps[i] != entry_stamp(store, i)))
    extra = sorted(set(stamps) - set(ids))
    # an entry.json that fails its recorded hash is damage, never indexed (see rebuild_index):
    # hashed only for the few entries that look missing or stale, so status stays cheap
    for entry_id in [*missing, *stale]:
        if not metadata_ok(store, entry_id):
            _skip(on_skip, entry_id, f"{store.entry_dir(entry_id) / st.ENTRY_FILE}: does not match its "
                                     "recorded SHA-256 (see `newsarchive verify`)")
            unreadable.append(entry_id)
            if entry_id in missing:
                missing.remove(entry_id)  # rightly not in the index
    unreadable.sort()
    state = "ok" if not (missing or extra or pending or stale) else "drift"
    return Status(str(root), len(ids), snapshots, len(stamps), state, missing, extra, pending, name, stale,
                  unreadable)
