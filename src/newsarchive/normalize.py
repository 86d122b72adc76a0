"""User- and import-supplied field values -> validated public-JSON values.

The CLI's options, JSONL lines, CSV rows and parsed citations all pass through
:func:`normalise_fields`, so every path validates a value the same way as ``add``.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Iterable, Mapping

from . import fields as registry
from .dates import parse_date
from .errors import DateError, InvalidEntry, UsageError
from .urls import is_http_url
from .model import DATE_FIELDS, KINDS, Author, PartialDate, normalise_tags, parse_name

SETTABLE = registry.settable()
FIELD_ALIASES = registry.aliases()


_TAG_SEPARATORS = re.compile(r"\s*[;,]\s*")
_BLANK_RUNS = re.compile(r"\n{3,}")


def collapse_blank_runs(text: str) -> str:
    """``text`` with at most one empty line in a row (each run of three or more newlines
    becomes two)."""
    if "\n\n\n" not in text:  # the regex scan costs more than the rest of a short text
        return text
    return _BLANK_RUNS.sub("\n\n", text)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def normalise_authors(value: Any) -> list[dict[str, str]]:
    """Strings ("Jovana Gec", "Gec, Jovana", "{Associated Press}") or author objects; a single
    string may hold several names separated by ";" or " and "."""
    out: list[dict[str, str]] = []
    for item in _as_list(value):
        if isinstance(item, str):
            names = [n for n in re.split(r"\s*;\s*|\s+and\s+", item.strip()) if n]
            out.extend(parse_name(n).to_json() for n in names)
        else:
            out.append(Author.from_json(item).to_json())
    return out


def normalise_date(value: Any, *, field: str, dayfirst: bool = False) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, PartialDate):
        return value.edtf()
    try:
        return parse_date(str(value), dayfirst=dayfirst).edtf()
    except DateError as exc:
        raise DateError(f"{field}: {exc}") from None


def normalise_url(value: Any, *, field: str) -> str | None:
    if value is None or str(value).strip() == "":
        return None
    url = str(value).strip()
    if re.match(r"^(www\.)?[\w-]+(\.[\w-]+)*\.[a-z]{2,}(/\S*)?$", url, re.I) and "@" not in url.split("/")[0]:
        url = "https://" + url  # "www.moma.org/collection/..." as style manuals write it
    if not is_http_url(url):
        raise InvalidEntry(f"{field}: not an http(s) URL: {url!r}")
    return url


def normalise_fields(raw: Mapping[str, Any], *, dayfirst: bool = False) -> dict[str, Any]:
    """Validate a mapping of field -> value (strings as typed, or public JSON values)."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        name = FIELD_ALIASES.get(key, key)
        if name not in SETTABLE:
            raise UsageError(f"unknown field {key!r} (fields: {', '.join(SETTABLE)})")
        if name in ("authors", "editors"):
            out[name] = normalise_authors(value)
        elif name == "tags":
            tags: list[str] = []
            for t in _as_list(value):
                if not isinstance(t, str):
                    raise InvalidEntry("tags must be strings")
                if ";" in t or "," in t:  # "a; b, c": three tags (most tags have neither)
                    tags.extend(x for x in _TAG_SEPARATORS.split(t) if x)
                elif t:
                    tags.append(t)
            out[name] = list(normalise_tags(tags))
        elif name in DATE_FIELDS:
            out[name] = normalise_date(value, field=name, dayfirst=dayfirst)
        elif name in ("url", "archived_url"):
            out[name] = normalise_url(value, field=name)
        elif name == "designed_to_change":
            out[name] = value if isinstance(value, bool) else str(value).strip().lower() in ("1", "true", "yes", "y")
        else:
            if value is not None and not isinstance(value, str):
                value = str(value)
            text = " ".join(value.split()) if value is not None and name != "notes" else value
            if name == "kind" and text:
                text = text.lower()
                if text not in KINDS:
                    raise InvalidEntry(f"kind: unknown {text!r} (one of: {', '.join(KINDS)})")
            if name == "language" and text:
                if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", text):
                    raise InvalidEntry(f"language: not a language code: {text!r} (e.g. en, sr-Latn)")
            out[name] = text or None
    return out


_STOP = frozenset("a an the of on in at to for and or but is are was were with by from as de la le el der die das".split())


_SPECIAL = {  # letters that Unicode does not decompose into a base letter and an accent
    "đ": "d", "ð": "d", "ø": "o", "ł": "l", "æ": "ae", "œ": "oe", "þ": "th", "ı": "i",
    "ħ": "h", "ŧ": "t", "ŀ": "l", "’": "'",
}
_SPECIAL_FOLD = str.maketrans(_SPECIAL)
_SPECIAL_KEEP_CASE = str.maketrans({
    **_SPECIAL, "ß": "ss", "ẞ": "SS",
    **{k.upper(): v.upper() for k, v in _SPECIAL.items() if k.upper() != k and k != "ı"},
})


def fold(text: str, *, keep_case: bool = False) -> str:
    """Case and accent folding, the one used everywhere (search terms, citekeys, lookup keys):
    "Vučić" -> "vucic", "Straße" -> "strasse", "Þórsson" -> "thorsson". Letters of other
    scripts are kept ("Москва" -> "москва"). ``keep_case``: the same letters, case kept
    ("Vučić" -> "Vucic", "Æ" -> "AE", "Þ" -> "TH"), for citekey formulas."""
    w = text if keep_case else text.casefold()
    if w.isascii():
        return w
    w = w.translate(_SPECIAL_KEEP_CASE if keep_case else _SPECIAL_FOLD)
    if w.isascii():
        return w
    w = "".join(c for c in unicodedata.normalize("NFKD", w) if not unicodedata.combining(c))
    # compatibility forms have no case of their own: "𝖠" (mathematical sans-serif A) casefolds to
    # itself and decomposes to "A", which must fold on to "a" like any other capital
    return w if keep_case else w.casefold()


def fold_key(text: str) -> str:
    """Text folded for comparing and for keys: ASCII, lower case, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", fold(text))


def citekey_base(fields: Mapping[str, Any]) -> str:
    """Readable key: first author's family name (or organisation, or outlet) + year + first
    title word that is not a stop word: "associatedpress2024ussanctioned", "gec2024serbia"."""
    name = ""
    authors = fields.get("authors") or []
    if authors:
        a = authors[0]
        name = " ".join(p for p in (a.get("non_dropping_particle"), a.get("family")) if p) or a.get("literal") or ""
    folded = fold_key(name)
    if not folded:
        folded = fold_key(fields.get("outlet") or "anon")
    name_part = folded[:24] or "anon"
    published = fields.get("published")
    year = str(published)[:4] if published else "nd"
    word = ""
    for w in re.split(r"\s+", fields.get("title") or ""):
        k = fold_key(w)
        if k and k not in _STOP:
            word = k[:20]
            break
    return f"{name_part}{year}{word}"


def unique_citekey(base: str, taken: Iterable[str] | set[str], *,
                   known_taken: dict[str, int] | None = None) -> str:
    """``base``, else base + a, b, ..., z, aa, ab ... (the first free one).

    ``known_taken``: base -> how many of its suffixes (a, b, ...) are known to be taken, kept up
    to date here, so that many keys made from one base do not each try every suffix again. It
    is valid only while no citekey can be freed (one import batch, under the collection's lock).

    A ``taken`` with ``starting_with(base)`` (the catalog's) gives a container exact for the keys
    that start with ``base``, asked once instead of once per suffix tried."""
    taken_set = taken if hasattr(taken, "__contains__") else set(taken)
    if base not in taken_set:
        return base
    n = known_taken.get(base) if known_taken is not None else None
    if n is None and hasattr(taken_set, "starting_with"):  # else the next suffix is most likely free
        taken_set = taken_set.starting_with(base)
    n = n or 0
    while True:
        suffix, k = "", n
        while True:
            suffix = chr(ord("a") + k % 26) + suffix
            k = k // 26 - 1
            if k < 0:
                break
        if base + suffix not in taken_set:
            if known_taken is not None:
                known_taken[base] = n  # not n + 1: the caller may not take it after all
            return base + suffix
        n += 1
