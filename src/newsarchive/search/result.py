"""What a search returns, whatever the engine: :class:`SearchResult` of :class:`Hit`.

Also the two steps every engine's ``search`` shares: checking the request and parsing the
query (:func:`prepare`), and turning the page's stored values into hits with snippets
(:func:`make_hits`).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable

from .. import query as Q
from . import vocabulary

if TYPE_CHECKING:  # pragma: no cover
    from .documents import Stored

__all__ = ["Hit", "SearchResult", "prepare", "make_hits"]


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result."""

    id: str
    citekey: str
    title: str | None
    outlet: str | None
    published: str | None
    score: float
    snippet: str | None = None  # matched terms wrapped in <b>...</b>
    version: int | None = None  # set when only an older version matched (--all-versions)

    def to_json(self) -> dict[str, Any]:
        out = {
            "id": self.id,
            "citekey": self.citekey,
            "title": self.title,
            "outlet": self.outlet,
            "published": self.published,
            "score": round(self.score, 4),
            "snippet": self.snippet,
        }
        if self.version is not None:
            out["version"] = self.version
        return out


@dataclass
class SearchResult:
    hits: list[Hit]
    total: int
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    query: Q.Node | None = None
    took: float = 0.0  # seconds

    def to_json(self, *, query: str, offset: int) -> dict[str, Any]:
        """The JSON of ``search -f json`` (the one shape of a search result in JSON)."""
        return {"query": query, "total": self.total, "offset": offset,
                "hits": [h.to_json() for h in self.hits],
                "facets": {k: [{"value": v, "count": n} for v, n in items] for k, items in self.facets.items()}}


def prepare(query: "str | Q.Node", *, sort: str, facets: Iterable[str], limit: int, offset: int,
            today: _dt.date | None) -> tuple[Q.Node, tuple[str, ...], int, int]:
    """Check a request (ValueError for an unknown sort or facet; ``QueryError`` for a malformed
    query string) -> (query tree, facets, limit, offset)."""
    facets = tuple(facets)
    vocabulary.check(sort, facets)
    tree = Q.parse(query, today=today) if isinstance(query, str) else query
    return tree, facets, max(0, int(limit)), max(0, int(offset))


def make_hits(rows: Iterable[tuple[str, "Stored", float, "tuple[int, str | None] | None"]], tree: Q.Node, *,
              snippets: bool, body_loader: Callable[[str], str] | None,
              version_loader: Callable[[str, int], str] | None = None) -> list[Hit]:
    """The page's hits from (entry id, stored values, score, (version, text) when only an older
    version matched). Snippets come from ``body_loader(entry_id)``, or for an older version from
    its text, else ``version_loader(entry_id, version)``; a text that cannot be loaded gives a
    hit without a snippet."""
    from .snippets import Highlight, make_snippet

    hl = Highlight(tree) if snippets and body_loader is not None else None
    out = []
    for entry_id, st, score, old in rows:
        snippet = None
        if hl is not None:
            try:
                if old is None:
                    text = body_loader(entry_id)
                elif old[1] is not None:
                    text = old[1]
                else:
                    text = version_loader(entry_id, old[0]) if version_loader is not None else None
                snippet = make_snippet(text, hl) if text is not None else None
            except Exception:
                snippet = None  # a missing body must not break a search
        out.append(Hit(id=entry_id, citekey=st.citekey, title=st.title, outlet=st.outlet,
                       published=st.published, score=float(score), snippet=snippet,
                       version=old[0] if old else None))
    return out
