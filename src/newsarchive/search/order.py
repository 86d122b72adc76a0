"""One deterministic order of hits, shared by every engine.

Relevance: higher score first; equal scores newest published first (undated last), then by ID.
Date sorts: by published date (undated last either way), equal dates by ID. Only the groups of
equal keys that touch the requested page are looked at closely, so a large result set costs
one sort of (key, doc) pairs, not one stored-field read per match.
"""

from __future__ import annotations

import heapq
from typing import Callable, Hashable, Sequence, TypeVar

D = TypeVar("D", bound=Hashable)


def _groups(keys: Sequence[tuple[object, D]]) -> list[list[D]]:
    out: list[list[D]] = []
    last = object()
    for k, d in keys:
        if not out or k != last:
            out.append([])
            last = k
        out[-1].append(d)
    return out


def _page(groups: list[list[D]], offset: int, limit: int, refine: Callable[[list[D]], list[D]]) -> list[D]:
    out: list[D] = []
    start = 0
    end = offset + limit
    for g in groups:
        if start >= end:
            break
        if start + len(g) > offset and len(g) > 1:
            g = refine(g)
        out.extend(g)
        start += len(g)
    return out[offset:end]


def relevance_page(scored: Sequence[tuple[float, D]], offset: int, limit: int, *,
                   date_of: Callable[[D], str | int | None],
                   id_of: Callable[[D], str]) -> list[tuple[D, float]]:
    """``scored``: (score, doc) of every match -> the page as (doc, score)."""
    score = {d: s for s, d in scored}
    want = offset + limit
    if want <= 0 or not scored:
        return []
    top = heapq.nsmallest(want, (-s for s, _d in scored))
    bound = top[-1]  # every match scoring at least the page's last score, ties included
    by_score = sorted(((-s, d) for s, d in scored if -s <= bound), key=lambda x: x[0])

    def by_id(g: list[D]) -> list[D]:
        return sorted(g, key=id_of)

    def by_date(g: list[D]) -> list[D]:
        dates = {d: date_of(d) for d in g}
        dated = sorted((d for d in g if dates[d] not in (None, "", b"")), key=lambda d: dates[d], reverse=True)
        undated = [d for d in g if dates[d] in (None, "", b"")]
        out: list[D] = []
        for sub in _groups([(dates[d], d) for d in dated]):
            out.extend(by_id(sub) if len(sub) > 1 else sub)
        out.extend(by_id(undated))
        return out

    page = _page(_groups(by_score), offset, limit, by_date)
    return [(d, score[d]) for d in page]


def date_page(docs: Sequence[D], offset: int, limit: int, *, newest_first: bool,
              date_of: Callable[[D], str | int | None], id_of: Callable[[D], str]) -> list[D]:
    """Every match -> the page sorted by date (undated last), equal dates by ID."""
    keyed = [(date_of(d), d) for d in docs]
    dated = [(k, d) for k, d in keyed if k not in (None, "", b"")]
    undated = [d for k, d in keyed if k in (None, "", b"")]
    dated.sort(key=lambda x: x[0], reverse=newest_first)
    groups = _groups(dated) + ([undated] if undated else [])
    return _page(groups, offset, limit, lambda g: sorted(g, key=id_of))
