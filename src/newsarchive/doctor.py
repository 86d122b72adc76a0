"""``newsarchive doctor``: what in a collection needs a user's attention, one finding each.

- ``incomplete``: an entry that cannot be cited fully. The citation code's own gaps
  (``cite._common.missing``: no title) plus what every style wants of a news item: a
  publication date, an outlet (or container title / publisher for bibliographic kinds), and for
  online kinds (news website, blog, webpage) a URL and an access date (the cited snapshot's
  capture time, else ``accessed``).
- ``duplicate-citekey``: two entries whose citekeys differ only in case or not at all (BibTeX
  and biber cannot tell them apart).
- ``damaged``: a file that is missing, changed or unlisted, as ``fixity.check_entry`` (the one
  definition of damage ``verify`` and the exporters use) finds it; ``unreadable``: an entry
  folder whose metadata cannot be read.
- ``index``: the search index out of step with the archive, as ``status`` reports it.

Reads only; every finding says how to fix it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable, Iterator

ONLINE_KINDS = ("news website", "blog", "webpage")
BIBLIOGRAPHIC_KINDS = ("journal article", "book", "chapter", "conference paper", "report", "thesis", "manual",
                       "dataset", "software", "unpublished")


@dataclass(frozen=True)
class Finding:
    kind: str  # incomplete | duplicate-citekey | damaged | unreadable | index
    id: str | None
    detail: str
    fix: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "detail": self.detail, "fix": self.fix}


def citation_gaps(entry: Any) -> list[str]:
    """What a full citation of ``entry`` lacks: ["no title", "no date", ...] (empty: complete)."""
    from .cite._common import access_date, missing, pick_snapshot

    gaps = list(missing(entry))
    if entry.published is None:
        gaps.append("no date")
    kind = entry.kind or ""
    if kind in BIBLIOGRAPHIC_KINDS:
        if not (entry.outlet or getattr(entry, "container_title", None) or getattr(entry, "publisher", None)):
            gaps.append("no outlet, container title or publisher")
    elif not entry.outlet:
        gaps.append("no outlet")
    if kind in ONLINE_KINDS:
        if not entry.url:
            gaps.append("no URL")
        if access_date(entry, pick_snapshot(entry, None)) is None:
            gaps.append("no access date")
    return gaps


def _fix_for(gaps: list[str]) -> str:
    fields = {"no title": "title=...", "no date": "published=YYYY-MM-DD", "no outlet": "outlet=...",
              "no outlet, container title or publisher": "outlet=...", "no URL": "url=https://...",
              "no access date": "accessed=YYYY-MM-DD"}
    sets = " ".join(f"--set {fields[g]}" for g in gaps if g in fields)
    return f"newsarchive edit ID {sets}".strip()


def diagnose(root: str | os.PathLike, *, on_entry: Callable[[], Any] | None = None) -> Iterator[Finding]:
    """Every finding in the collection at ``root``, entry by entry, then duplicate citekeys and
    the index. ``on_entry`` is called once per entry checked (progress)."""
    from . import api
    from .fixity import check_entry

    store = api.open_store(root)
    by_key: dict[str, list[tuple[str, str]]] = {}
    for entry_id in store.ids():
        entry, problems = check_entry(store, entry_id)
        for p in problems:
            if p.kind == "note":
                continue
            yield Finding("damaged", entry_id, f"{p.kind}: {p.path}: {p.detail}",
                          "newsarchive verify " + entry_id + " (then restore the file from a backup)")
        if entry is None:
            if not problems:
                yield Finding("unreadable", entry_id, f"{store.entry_dir(entry_id)}: metadata cannot be read",
                              "newsarchive verify " + entry_id)
            if on_entry is not None:
                on_entry()
            continue
        gaps = citation_gaps(entry)
        if gaps:
            yield Finding("incomplete", entry_id, f"[{entry.citekey}] {entry.title or '(untitled)'}: "
                          + ", ".join(gaps), _fix_for(gaps).replace(" ID ", f" {entry_id} ", 1))
        by_key.setdefault(entry.citekey.casefold(), []).append((entry_id, entry.citekey))
        if on_entry is not None:
            on_entry()
    for pairs in by_key.values():
        if len(pairs) > 1:
            named = ", ".join(f"{i} [{k}]" for i, k in sorted(pairs))
            yield Finding("duplicate-citekey", pairs[0][0], f"one citekey for {len(pairs)} entries: {named}",
                          f"newsarchive edit {sorted(pairs)[1][0]} --set citekey=NEWKEY")
    s = api.status(root, full=True)  # every entry.json's stamp compared with the disk
    if s.index_state not in ("ok", "missing"):  # missing: built by the first search, nothing to fix
        what = {"outdated": "built by another version", "damaged": f"damaged ({s.detail or 'cannot be read'})",
                "drift": "out of step with the archive"}.get(s.index_state, s.index_state)
        counts = []
        if s.missing_from_index:
            counts.append(f"{len(s.missing_from_index)} not indexed")
        if s.extra_in_index:
            counts.append(f"{len(s.extra_in_index)} indexed but not in the archive")
        if s.stale:
            counts.append(f"{len(s.stale)} indexed from an older entry.json")
        yield Finding("index", None, f"the search index is {what}" + (f": {', '.join(counts)}" if counts else ""),
                      "newsarchive reindex")
