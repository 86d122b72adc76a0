"""Reading and changing entries: get, list, edit, remove, and the helpers of ``show`` and ``edit``."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any, Iterable, Mapping

from .. import store as st
from ..catalog import Catalog, OnSkip, entry_stamp, matches, unreadable_reason
from ..errors import AmbiguousID, EntryChanged, EntryNotFound, StoreError, UsageError
from ..model import Entry, now_utc
from .. import fields as registry
from ..normalize import SETTABLE, normalise_fields
from .collection import Collection, as_collection
from .indexing import IndexSession, body_text


def get(root: Path | Collection, ref: str) -> Entry:
    coll = as_collection(root)
    return coll.store.read(resolve(coll, ref))


def resolve(root: Path | Collection, ref: str, *, catalog: Catalog | None = None) -> str:
    """An ID, a unique ID prefix (like git) or an exact citekey -> the entry's ID, through the
    catalog (an exact ID is one ``lstat``); what the catalog says is checked on the disk."""
    return resolve_all(root, [ref], catalog=catalog)[0]


def resolve_all(root: Path | Collection, refs: Iterable[str], *, catalog: Catalog | None = None) -> list[str]:
    """:func:`resolve` for each reference, with one catalog."""
    coll = as_collection(root)
    store = coll.store
    own = None
    out = []
    try:
        for ref in refs:
            text = (ref or "").strip()
            low = text.lower()
            if st.ID_LIKE.match(low) and (store.archive / low).is_dir():
                out.append(low)
                continue
            if not text:
                out.append(store.resolve(text))  # the one message for an empty reference
                continue
            if catalog is None:
                catalog = own = coll.catalog()
            out.append(_resolve_in(store, catalog, ref, text, low))
    finally:
        if own is not None:
            own.close()
    return out


def _resolve_in(store: st.Store, catalog: Catalog, ref: str, text: str, low: str) -> str:
    if st.ID_LIKE.match(low):
        found = catalog.ids_with_prefix(low)
        if len(found) > 1:
            return store.resolve(text)  # ambiguous: the store names the candidates
        if found and (store.archive / found[0]).is_dir():
            return found[0]
    entry_id = catalog.find_citekey(text)
    if entry_id is not None:
        try:
            if store.read_json(entry_id).get("citekey") == text:
                return entry_id
        except (StoreError, EntryNotFound):
            pass
    if not catalog.unreadable:  # the catalog knows every readable entry: no such reference
        raise EntryNotFound(f"no entry matches {ref!r}")
    return store.resolve(text)  # an unreadable entry among them: the store's own search


def get_for_change(root: Path | Collection, ref: str) -> Entry:
    """Like :func:`get`, for a command that changes or deletes: a reference that could mean
    two entries (an ID prefix of one, the citekey of another) is refused."""
    coll = as_collection(root)
    catalog = coll.catalog()
    try:
        return coll.store.read(_resolve_for_change(coll, catalog, ref))
    finally:
        catalog.close()


def entry_paths(root: Path | Collection, entry: Entry) -> dict[str, str]:
    """Absolute paths of an entry's folder and files (for ``show``)."""
    coll = as_collection(root)
    store = coll.store
    folder = store.entry_dir(entry.id)
    return {"folder": str(folder), **{s.path: str(folder / s.path) for s in entry.snapshots}}


_SORTABLE = set(registry.sortable())


def list_entries(root: Path | Collection, *, sort: str = "published", where: Mapping[str, str] | None = None,
                 limit: int | None = None, on_skip: OnSkip | None = None) -> list[Entry]:
    """All entries, filtered by simple field equality/containment, sorted. ``-field`` sorts down.
    An entry that cannot be read is reported through ``on_skip`` and left out."""
    key = sort.lstrip("-")
    if key not in _SORTABLE:
        raise UsageError(f"cannot sort by {sort!r} (one of: {', '.join(sorted(_SORTABLE))})")
    filters = dict(where or {})
    for f in filters:
        if f not in registry.filters():
            raise UsageError(f"cannot filter by {f!r} ({', '.join(registry.filters())})")
    coll = as_collection(root)
    store = coll.store
    catalog = coll.catalog(on_skip=on_skip)
    try:
        for _attempt in range(3):
            out: list[Entry] = []
            stale = False
            ids = catalog.list_ids(sort=sort, where=filters)
            for entry_id in ids:
                if limit and len(out) >= limit:
                    break
                # what is listed is read from the archive; a row the catalog holds from another
                # entry.json than the one on disk (a hand edit it has not seen yet) is learnt
                # again and the list made again
                stamp = entry_stamp(store, entry_id)
                try:
                    entry = store.read(entry_id)
                except (StoreError, EntryNotFound):
                    stale = True
                    break
                if stamp is None or catalog.stamp_of(entry_id) != stamp:
                    stale = True
                    break
                if matches(entry, filters):
                    out.append(entry)
            ids.close()  # the query ends here (before a refresh writes)
            if not stale:
                return out
            catalog.refresh(store, on_skip=None, full=True)
        return out
    finally:
        catalog.close()


def removal_target(root: Path | Collection, ref: str, *,
                   catalog: Catalog | None = None) -> tuple[str, Entry | None, str | None]:
    """What ``rm ref`` would delete: (entry ID, the entry or None, why its metadata cannot be
    read). An entry whose metadata is unreadable can be removed by its exact folder ID only;
    a reference that could mean two entries is refused (see :func:`_resolve_for_change`)."""
    coll = as_collection(root)
    store = coll.store
    if catalog is None:
        catalog = coll.catalog()
    entry_id = _resolve_for_change(coll, catalog, ref)
    try:
        return entry_id, store.read(entry_id), None
    except (StoreError, EntryNotFound) as exc:
        if ref.strip().lower() != entry_id:
            raise StoreError(f"{unreadable_reason(store, entry_id, exc) or exc}; to remove it anyway, "
                             f"give its whole ID: {entry_id}") from None
        return entry_id, None, unreadable_reason(store, entry_id, exc) or str(exc)


def remove(root: Path | Collection, ref: str, *, lock_timeout: float | None = None) -> Entry | None:
    """Delete an entry. Returns it, or None when its metadata could not be read (allowed only for
    an exact folder ID, see :func:`removal_target`)."""
    coll = as_collection(root)
    store = coll.store
    with coll.lock(timeout=lock_timeout):
        catalog = coll.catalog(locked=True)
        entry_id, entry, _why = removal_target(coll, ref, catalog=catalog)
        with IndexSession(store, catalog=catalog) as session:
            session.touch(entry_id)
            store.remove(entry_id)
            session.delete(entry_id)
        with contextlib.suppress(Exception):  # derived: the next refresh sees the folder is gone
            catalog.note_archive(store)
        catalog.close()
        session.check(f"removed {entry_id}")
        return entry


EDITABLE = registry.editable()


def edit(root: Path | Collection, ref: str, *, set_fields: Mapping[str, Any] | None = None, unset: Iterable[str] = (),
         add_tags: Iterable[str] = (), remove_tags: Iterable[str] = (), dayfirst: bool = False,
         replace_all: Mapping[str, Any] | None = None, expect_sha256: str | None = None,
         lock_timeout: float | None = None) -> tuple[Entry, list[dict[str, Any]]]:
    """Change an entry's metadata. Values are validated as in ``add``; every change is appended to
    the entry's history. ``replace_all`` is a whole edited document (from $EDITOR): every
    editable field it has, or lacks, is taken as the new state. Snapshots cannot be edited.
    ``expect_sha256`` (see :func:`entry_sha256`): refuse if the entry changed since it was read."""
    coll = as_collection(root)
    store = coll.store
    with coll.lock(timeout=lock_timeout):
        catalog = coll.catalog(locked=True)
        entry_id = _resolve_for_change(coll, catalog, ref)
        entry = store.read(entry_id)
        if expect_sha256 is not None and entry_sha256(store, entry_id) != expect_sha256:
            raise EntryChanged(f"entry {entry_id} was changed by another command while you were editing it; "
                               "nothing changed (run `newsarchive edit` again to start from its current state)")
        current = entry.to_json()
        new = dict(current)
        if replace_all is not None:
            unknown = set(replace_all) - set(EDITABLE)
            if unknown:
                raise UsageError(f"cannot edit {', '.join(sorted(unknown))} (editable: {', '.join(EDITABLE)})")
            doc = {k: v for k, v in replace_all.items() if k != "citekey"}
            normalised = normalise_fields({k: v for k, v in doc.items() if v not in (None, "", [])}, dayfirst=dayfirst)
            for key in SETTABLE:
                new[key] = normalised.get(key, _empty(key))
            if "citekey" in replace_all:
                new["citekey"] = replace_all["citekey"]
        for key, value in (set_fields or {}).items():
            if key == "citekey":
                new["citekey"] = str(value)
                continue
            norm = normalise_fields({key: value}, dayfirst=dayfirst)
            new.update(norm)
        for key in unset:
            name = registry.entry_field(key)  # the names --set takes: `--unset date` as `--set date=`
            if name not in registry.unsettable():
                raise UsageError(f"cannot unset {key!r} (fields: {', '.join(registry.unsettable())})")
            new[name] = _empty(name)
        tags = list(new.get("tags") or [])
        for t in normalise_fields({"tags": list(add_tags)}).get("tags", []):
            if t not in tags:
                tags.append(t)
        drop = set(normalise_fields({"tags": list(remove_tags)}).get("tags", []))
        new["tags"] = [t for t in tags if t not in drop]
        if new["citekey"] != current["citekey"]:
            catalog.check_citekey(str(new["citekey"] or ""), entry_id=entry_id)
        changes = [{"at": now_utc().iso(), "action": "set" if new.get(k) not in (None, [], False) else "unset",
                    "field": k, "old": current.get(k), "new": new.get(k)}
                   for k in EDITABLE if (new.get(k) or None) != (current.get(k) or None)
                   and not (k == "designed_to_change" and not new.get(k) and not current.get(k))]
        if not changes:
            return entry, []
        prov = dict(current.get("provenance") or {})
        for c in changes:
            if c["action"] == "set":
                prov[c["field"]] = "user"
            else:
                prov.pop(c["field"], None)
        new["provenance"] = prov
        updated = Entry.from_json(new)
        with IndexSession(store, catalog=catalog) as session:  # the catalog learns it there
            session.touch(entry_id)
            store.commit(updated, history=changes, expect_sha256=expect_sha256)
            session.upsert(updated, body_text(store, updated))
        session.check(f"edited {entry_id}")
        return updated, changes


def _empty(name: str) -> Any:
    """The value of a field that has none (what ``--unset`` leaves)."""
    kind = registry.BY_NAME[name].kind
    return [] if kind in ("names", "tags") else (False if kind == "bool" else None)


def entry_sha256(store: st.Store, entry_id: str) -> str:
    """The SHA-256 of an entry's ``entry.json`` as stored: what an edit started from."""
    try:
        return st.sha256_bytes((store.entry_dir(entry_id) / st.ENTRY_FILE).read_bytes())
    except FileNotFoundError:
        raise EntryNotFound(f"no entry {entry_id!r}") from None


def _resolve_for_change(coll: Collection, catalog: Catalog, ref: str) -> str:
    """Resolve a reference for a command that changes or deletes: refused when it could mean
    two entries (an ID prefix of one and the citekey of another)."""
    entry_id = resolve(coll, ref)
    text = (ref or "").strip()
    if text != entry_id:
        other = catalog.find_citekey(text)
        if other is not None and other != entry_id:
            raise AmbiguousID(f"{text!r} is a prefix of entry {entry_id}'s ID and the citekey of entry "
                              f"{other}; give the full ID of the one you mean")
    return entry_id


def edit_document(entry: Entry) -> str:
    """The editable fields as a JSON document for $EDITOR."""
    data = entry.to_json()
    doc = {k: data.get(k, [] if k == "editors" else None) for k in ("citekey",) + tuple(SETTABLE)}
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def parse_edit_document(text: str) -> dict[str, Any]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"the edited document is not valid JSON (line {exc.lineno}: {exc.msg}); nothing changed") from None
    if not isinstance(doc, dict):
        raise UsageError("the edited document must be a JSON object; nothing changed")
    return doc
