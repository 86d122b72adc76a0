"""What makes two records the same work: the metadata key that finds candidates, and the full
comparison that decides (title, authors, editors, date, outlet, container, volume, issue, pages,
DOI, URL, the record's own key). Pure functions; the catalog stores their keys."""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable, Mapping

from .model import Entry
from .normalize import fold_key
from .urls import url_key


def meta_key(fields: Mapping[str, Any], citekey: str | None = None) -> str | None:
    """Title (or, for an untitled record, its citation key) + year + first author, folded: the
    catalog's lookup key for metadata-only records (a citation from BibTeX, RIS, CSL-JSON). It
    only finds candidates; :func:`same_work` decides whether a candidate is the same work."""
    title = fold_key(fields.get("title") or "")
    if not title and citekey:
        title = "key:" + citekey
    if not title:
        return None
    year = str(fields.get("published") or "")[:4]
    authors = fields.get("authors") or []
    first = authors[0] if authors else {}
    family = " ".join(p for p in (first.get("non_dropping_particle"), first.get("family")) if p)  # "von der Leyen"
    name = fold_key(family or first.get("literal") or "")
    return f"{title}|{year}|{name}"


MATCH_MODES = ("strict", "url", "none")


def _fold(value: Any) -> str:
    return fold_key(str(value or ""))


def _name_keys(people: Any) -> list[str]:
    return [_fold(p.get("family") or p.get("literal") or "") for p in (people or []) if isinstance(p, Mapping)]


def _doi_key(value: Any) -> str:
    text = str(value or "").strip().lower()
    return re.sub(r"^(https?://)?(dx\.)?doi\.org/|^doi:\s*", "", text)


def _dates_agree(a: str, b: str) -> bool:
    """The same date at the precision both give ("2024-09" and "2024-09-04" agree; a BibTeX
    export keeps year and month only); a time of day is not compared."""
    a, b = a[:10], b[:10]
    n = min(len(a), len(b))
    return a[:n] == b[:n]


# what tells works apart, in the order a duplicate's reason names them: (label, field, fold)
_WORK_FIELDS = (
    ("title", "title", _fold),
    ("authors", "authors", _name_keys),
    ("editors", "editors", _name_keys),
    ("outlet", "outlet", _fold),
    ("container", "container_title", _fold),
    ("volume", "volume", _fold),
    ("issue", "issue", _fold),
    ("pages", "pages", _fold),
    ("DOI", "doi", _doi_key),
    ("URL", "url", lambda u: (_url_keys(u) or [""])[0]),
)


def work_summary(fields: Mapping[str, Any], keys: Iterable[str | None] = ()) -> tuple:
    """What tells a work apart, folded for comparison: (values of _WORK_FIELDS, published date,
    the keys it answers to). Computed once per entry and import batch (see Ingest.find_work)."""
    values = tuple(_folded(fold, fields.get(name)) for _label, name, fold in _WORK_FIELDS)
    return values, str(fields.get("published") or "")[:10], frozenset(k for k in keys if k)


def _folded(fold: Callable[[Any], Any], value: Any) -> Any:
    return fold(value) if value else None


def _same(record: tuple, key: str | None, other: tuple) -> str | None:
    values, date, _keys = record
    o_values, o_date, o_keys = other
    if key and key not in o_keys:
        return None
    if values != o_values:
        return None
    if (date or o_date) and not (date and o_date and _dates_agree(date, o_date)):
        return None
    said = [f"key {key!r}"] if key else []
    said += [label for (label, _n, _f), v in zip(_WORK_FIELDS, values) if v]
    if date:
        said.append(f"date {min(date, o_date, key=len)}")
    return "same " + ", ".join(said) if said else None


def same_work(fields: Mapping[str, Any], key: str | None, entry: Entry) -> str | None:
    """Whether a metadata-only record is the same work as ``entry``: only when everything that
    tells works apart agrees (title, authors, editors, full date, outlet, container, volume,
    issue, pages, DOI, URL, and the record's own key when it has one); a value that one side has
    and the other lacks is a difference. Returns the reason ("same key 'k', title, date 1981-05,
    ...") or None."""
    return _same(work_summary(fields), key, _entry_summary(entry))


def _entry_summary(entry: Entry) -> tuple:
    return work_summary(entry.to_json(), (entry.citekey, entry.id, entry.source_key))


def _url_keys(url: str | list | tuple | None) -> list[str]:
    """The deduplication keys of one URL or several (see ``newsarchive.urls.url_key``)."""
    urls = [url] if isinstance(url, str) else list(url or ())
    keys = (url_key(u) for u in urls if isinstance(u, str))
    return list(dict.fromkeys(k for k in keys if k))
