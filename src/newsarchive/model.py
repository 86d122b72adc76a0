"""The entry model: frozen dataclasses, serialised to and from the public JSON in one place.

Public JSON (stable; documented in docs/formats-json.md, users script against it)::

    {"id", "citekey", "title", "authors": [{"family","given","non_dropping_particle",
     "dropping_particle","suffix"} | {"literal"}], "outlet", "kind",
     "published", "modified", "accessed", "url", "archived_url", "section", "pages", "language",
     "tags": [...], "notes", "designed_to_change", "provenance": {field: source},
     "snapshots": [{"path","media_type","size","sha256","captured_at","source", ...}]}

Dates are ISO 8601 strings, partial where partial ("2024", "2024-09", "2024-09-04",
"2024-09-04T10:32:00+02:00"). A date given in an EDTF (ISO 8601-2) or BibLaTeX form that a
calendar date cannot hold (a season "2012-22", unspecified digits "186X", approximate "2004~",
uncertain "2004?", a range "2004-04/2004-05", an open range "2004/..", a year before the
common era "-3000") is kept as written, with the nearest calendar date beside it for sorting,
search and the citation styles that need one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from typing import Any, Iterable, Mapping

from .errors import InvalidEntry
from .fields import bib_fields, of_kind, string_fields
from .partialdate import PartialDate, now_utc  # now_utc: public name, kept importable from here

# --------------------------------------------------------------------------- people

from .names import ORGANISATION_WORDS, looks_like_organisation  # noqa: E402,F401  (public names)
from .names import family_first, is_suffix, split_particles_back, split_particles_front  # noqa: E402

_NAME_PARTS = ("family", "given", "non_dropping_particle", "dropping_particle", "suffix")
# CSL-JSON spells the particle keys with hyphens; both spellings are read
_NAME_ALIASES = {"non-dropping-particle": "non_dropping_particle", "dropping-particle": "dropping_particle"}


@dataclass(frozen=True, slots=True)
class Author:
    """A person or an organisation kept whole (``literal``).

    A person has the name parts CSL uses: ``family`` ("Leyen", "Goethe", "King"), ``given`` as
    written ("Ursula", "J.R.R."), ``non_dropping_particle`` ("von der": kept with the family
    name when it stands alone), ``dropping_particle`` ("von" in "Goethe, Johann Wolfgang von")
    and ``suffix`` ("Jr.", "III").
    """

    family: str | None = None
    given: str | None = None
    literal: str | None = None
    non_dropping_particle: str | None = None
    dropping_particle: str | None = None
    suffix: str | None = None

    def __post_init__(self) -> None:
        if self.literal is not None:
            if any(getattr(self, k) is not None for k in _NAME_PARTS):
                raise InvalidEntry("an author is either a person (family/given) or a literal")
            if not self.literal.strip():
                raise InvalidEntry("empty author")
        elif not (self.family or "").strip():
            raise InvalidEntry("a person needs a family name")
        else:
            self._read_legacy_parts()

    def _read_legacy_parts(self) -> None:
        """Names built the way this model wrote them before it had name parts: a suffix after a
        comma in ``given`` ("Martin Luther, Jr."), lower-case particles starting ``family``
        ("von der Leyen") or ending ``given`` ("Johann Wolfgang von") are moved to ``suffix``,
        ``non_dropping_particle`` and ``dropping_particle`` (as CSL processors read them), so old
        entry.json files and callers keep working and every way of writing a name is one value."""
        if self.given and "," in self.given and not self.suffix:
            given, _, suffix = self.given.rpartition(",")
            if is_suffix(suffix):
                object.__setattr__(self, "given", given.strip() or None)
                object.__setattr__(self, "suffix", suffix.strip())
        if not self.non_dropping_particle and not self.dropping_particle:
            particle, family = split_particles_front(self.family or "")
            if particle:
                object.__setattr__(self, "non_dropping_particle", particle)
                object.__setattr__(self, "family", family)
            given, dropping = split_particles_back(self.given or "")
            if dropping:  # "Johann Wolfgang von": as "Goethe, Johann Wolfgang von" is read
                object.__setattr__(self, "given", given)
                object.__setattr__(self, "dropping_particle", dropping)

    @property
    def is_organisation(self) -> bool:
        return self.literal is not None

    @property
    def family_full(self) -> str:
        """The family name as it stands alone: "von der Leyen", "Goethe", "King"."""
        if self.literal is not None:
            return self.literal
        return " ".join(p for p in (self.non_dropping_particle, self.family) if p)

    @property
    def display(self) -> str:
        """The name as written: "Jovana Gec", "Martin Luther King Jr.", "Associated Press"."""
        if self.literal is not None:
            return self.literal
        if family_first(self.family, self.given) and not self.non_dropping_particle:
            return " ".join(p for p in (self.family, self.given, self.suffix) if p)
        return " ".join(p for p in (self.given, self.dropping_particle, self.non_dropping_particle,
                                    self.family, self.suffix) if p)

    def to_json(self) -> dict[str, str]:
        if self.literal is not None:
            return {"literal": self.literal}
        out = {"family": self.family or ""}
        for key in _NAME_PARTS[1:]:
            value = getattr(self, key)
            if value:
                out[key] = value
        return out

    @classmethod
    def from_json(cls, data: Any) -> "Author":
        """An author object (or a name string). Objects written before the name parts existed
        still load: a suffix after a comma in ``given`` ("Martin Luther, Jr.") becomes
        ``suffix``, lower-case particles starting ``family`` ("von der Leyen") the
        ``non_dropping_particle`` (as CSL processors read them)."""
        if isinstance(data, str):
            return parse_name(data)
        if data.__class__ is not dict and not isinstance(data, Mapping):
            raise InvalidEntry(f"an author must be an object or a string, not {type(data).__name__}")
        data = {_NAME_ALIASES.get(k, k): v for k, v in data.items()}
        unknown = set(data) - set(_NAME_PARTS) - {"literal"}
        if unknown:
            raise InvalidEntry(f"unknown author key(s): {', '.join(sorted(unknown))}")
        for k, v in data.items():
            if v is not None and not isinstance(v, str):
                raise InvalidEntry(f"author {k} must be a string")
        parts = {k: (data[k].strip() or None) if data.get(k) else None for k in _NAME_PARTS}
        if data.get("literal") and data["literal"].strip():
            if any(parts.values()):
                raise InvalidEntry("an author is either a person (family/given) or a literal")
            return cls(literal=data["literal"].strip())
        return cls(**parts)


def parse_name(text: str, *, organisation: bool = False) -> Author:
    """A name as people type it -> Author (rules in :mod:`newsarchive.names`).

    "Gec, Jovana" and "Jovana Gec" give family "Gec"; "Ursula von der Leyen" gives family
    "Leyen" with the non-dropping particle "von der"; "Martin Luther King Jr." the suffix
    "Jr."; "{Associated Press}" (braces), ``organisation=True`` or a name that reads as an
    organisation ("World Health Organization", "Reuters", "AP staff") is kept whole.
    """
    from .names import parse

    try:
        parts = parse(text, organisation=organisation)
    except ValueError as exc:
        raise InvalidEntry(str(exc)) from None
    return Author(**parts)


# --------------------------------------------------------------------------- snapshots

MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024  # the documented limit for one snapshot, from any source

@dataclass(frozen=True, slots=True)
class Snapshot:
    """One capture of the article: stored bytes, never modified.

    ``path`` is relative to the entry folder. ``text_path``/``text_sha256`` point at the article
    text extracted from it (kept beside it, so re-extraction never touches the original);
    ``warc_path`` at a WARC record of the fetch when it came from the web; ``http`` holds the
    final URL, status and headers of that fetch.
    """

    path: str
    media_type: str
    size: int
    sha256: str
    captured_at: PartialDate
    source: str | None = None
    text_path: str | None = None
    text_sha256: str | None = None
    warc_path: str | None = None
    http: Mapping[str, Any] | None = None
    meta: Mapping[str, Any] | None = None  # what this capture said: title, modified, authors
    warc_sha256: str | None = None  # recorded since the fixity manifest; None in older entries
    # an RFC 3161 trusted timestamp of this capture (evidence/timestamp.py): {"token", "manifest",
    # "chain", "tsa", "time", ...}, paths relative to the entry folder
    timestamp: Mapping[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "media_type": self.media_type,
            "size": self.size,
            "sha256": self.sha256,
            "captured_at": self.captured_at.iso(),
            "source": self.source,
        }
        if self.text_path is not None:
            out["text_path"] = self.text_path
            out["text_sha256"] = self.text_sha256
        if self.warc_path is not None:
            out["warc_path"] = self.warc_path
            if self.warc_sha256 is not None:
                out["warc_sha256"] = self.warc_sha256
        if self.http is not None:
            out["http"] = dict(self.http)
        if self.meta:
            out["meta"] = dict(self.meta)
        if self.timestamp:
            out["timestamp"] = dict(self.timestamp)
        return out

    @classmethod
    def from_json(cls, data: Any) -> "Snapshot":
        if data.__class__ is not dict and not isinstance(data, Mapping):
            raise InvalidEntry("a snapshot must be an object")
        unknown = set(data) - _SNAPSHOT_KEYS
        if unknown:
            raise InvalidEntry(f"unknown snapshot key(s): {', '.join(sorted(unknown))}")
        try:
            size = int(data["size"])
            sha = str(data["sha256"]).lower()
            path = str(data["path"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidEntry(f"snapshot needs path, size and sha256 ({exc})") from None
        if not _SHA256_RE.fullmatch(sha):
            raise InvalidEntry(f"snapshot sha256 is not 64 hex digits: {sha!r}")
        check_relative_path(path)
        for key in ("text_path", "warc_path"):
            if data.get(key) is not None:
                check_relative_path(str(data[key]))
        for key in ("text_sha256", "warc_sha256"):
            if data.get(key) is not None and not _SHA256_RE.fullmatch(str(data[key])):
                raise InvalidEntry(f"snapshot {key} is not 64 hex digits: {data[key]!r}")
        stamp = data.get("timestamp")
        if stamp is not None:
            if not isinstance(stamp, Mapping):
                raise InvalidEntry("a snapshot's timestamp must be an object")
            for key in ("token", "manifest", "chain", "history"):
                if stamp.get(key) is not None:
                    check_relative_path(str(stamp[key]))
        return cls(
            path=path,
            media_type=str(data.get("media_type") or "application/octet-stream"),
            size=size,
            sha256=sha,
            captured_at=PartialDate.from_iso(data["captured_at"]) if data.get("captured_at") else now_utc(),
            source=data.get("source"),
            text_path=data.get("text_path"),
            text_sha256=data.get("text_sha256"),
            warc_path=data.get("warc_path"),
            warc_sha256=data.get("warc_sha256") if data.get("warc_path") else None,
            http=dict(data["http"]) if data.get("http") else None,
            meta=dict(data["meta"]) if data.get("meta") else None,
            timestamp=dict(stamp) if stamp else None,
        )


_SNAPSHOT_KEYS = frozenset(f.name for f in fields(Snapshot))
_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_DRIVE_RE = re.compile(r"^[A-Za-z]:")
_SLASHES_RE = re.compile(r"[\\/]")


def check_relative_path(path: str) -> str:
    """A path stored in metadata: relative, inside its folder, no tricks."""
    if not path or path.startswith(("/", "\\")) or _DRIVE_RE.match(path):
        raise InvalidEntry(f"path must be relative: {path!r}")
    parts = _SLASHES_RE.split(path)
    if any(p in ("", ".", "..") for p in parts) or "\x00" in path:
        raise InvalidEntry(f"path must stay inside its folder: {path!r}")
    return path


# --------------------------------------------------------------------------- entries

KINDS = (
    "newspaper",
    "news website",
    "news agency",
    "magazine",
    "broadcast",
    "blog",
    "press release",
    "webpage",
    # bibliographic kinds, for citations imported from BibTeX, RIS and CSL-JSON
    "journal article",
    "book",
    "chapter",
    "conference paper",
    "report",
    "thesis",
    "manual",
    "dataset",
    "software",
    "unpublished",
)

# user-settable simple fields (strings) in the order they are shown
# from the field registry (fields.py): the one-string fields, the dates, and bibliographic
# fields (strings, in the public JSON only when set, so that older entries and their index
# fingerprints are unchanged)
TEXT_FIELDS = string_fields()
BIB_FIELDS = bib_fields()
DATE_FIELDS = of_kind("date")
ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
_ID_RE = re.compile(r"^[0-9a-z]{4,32}$")
_CITEKEY_RE = re.compile(r"^[A-Za-z0-9_:.\-+/]{1,100}$")


@dataclass(frozen=True)
class Entry:
    id: str
    citekey: str
    title: str | None = None
    authors: tuple[Author, ...] = ()
    outlet: str | None = None
    kind: str | None = None
    published: PartialDate | None = None
    modified: PartialDate | None = None
    accessed: PartialDate | None = None
    url: str | None = None
    archived_url: str | None = None
    section: str | None = None
    pages: str | None = None
    language: str | None = None
    tags: tuple[str, ...] = ()
    notes: str | None = None
    designed_to_change: bool = False
    snapshots: tuple[Snapshot, ...] = ()
    provenance: Mapping[str, str] = field(default_factory=dict)
    # bibliographic detail (see BIB_FIELDS); editors like authors
    container_title: str | None = None
    volume: str | None = None
    issue: str | None = None
    publisher: str | None = None
    doi: str | None = None
    issn: str | None = None
    isbn: str | None = None
    editors: tuple[Author, ...] = ()
    # the record's own key in the file it was imported from (BibTeX key, CSL-JSON id, RIS ID),
    # kept so that importing that file again recognises the entry even after a key clash or edit
    source_key: str | None = None
    # what a source format had that the model has no place for, by format, written back when
    # exporting to that format: {"bibtex": {"field": "raw value"}, "csl-json": {...}, "ris": {...}}
    extra: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        validate_id(self.id)
        if not _CITEKEY_RE.match(self.citekey or ""):
            raise InvalidEntry(f"invalid citekey: {self.citekey!r}")
        if self.kind is not None and self.kind not in KINDS:
            raise InvalidEntry(f"unknown kind {self.kind!r} (one of: {', '.join(KINDS)})")

    @property
    def snapshot(self) -> Snapshot | None:
        """The newest snapshot (the current version)."""
        return self.snapshots[-1] if self.snapshots else None

    @property
    def year(self) -> int | None:
        return self.published.year if self.published else None

    def evolve(self, **changes: Any) -> "Entry":
        return replace(self, **changes)

    # serialisation ---------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """The public JSON object (key order is part of the format)."""
        return {
            "id": self.id,
            "citekey": self.citekey,
            "title": self.title,
            "authors": [a.to_json() for a in self.authors],
            "outlet": self.outlet,
            "kind": self.kind,
            "published": self.published.edtf() if self.published else None,
            "modified": self.modified.edtf() if self.modified else None,
            "accessed": self.accessed.edtf() if self.accessed else None,
            "url": self.url,
            "archived_url": self.archived_url,
            "section": self.section,
            "pages": self.pages,
            "language": self.language,
            "tags": list(self.tags),
            "notes": self.notes,
            "designed_to_change": self.designed_to_change,
            "snapshots": [s.to_json() for s in self.snapshots],
            "provenance": dict(self.provenance),
            **self._bib_json(),
        }

    def _bib_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in BIB_FIELDS:
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.editors:
            out["editors"] = [a.to_json() for a in self.editors]
        if self.source_key is not None:
            out["source_key"] = self.source_key
        if self.extra:
            out["extra"] = {fmt: dict(values) for fmt, values in self.extra.items()}
        return out

    @classmethod
    def from_json(cls, data: Any, *, extra_keys: Iterable[str] = (),
                  snapshots: Iterable[Snapshot] | None = None) -> "Entry":
        """Validate and build an entry. Unknown keys are an error (typos must not pass silently).
        ``snapshots``: the entry's snapshots, built already (a new entry's, by the ingest), in
        place of ``data["snapshots"]`` (which must then be absent)."""
        if data.__class__ is not dict and not isinstance(data, Mapping):
            raise InvalidEntry("an entry must be a JSON object")
        unknown = set(data) - _ENTRY_KEYS
        if unknown and extra_keys:
            unknown -= set(extra_keys)
        if unknown:
            raise InvalidEntry(f"unknown key(s): {', '.join(sorted(unknown))}")
        if not data.get("id") or not data.get("citekey"):
            raise InvalidEntry("an entry needs an id and a citekey")
        kwargs: dict[str, Any] = {"id": str(data["id"]), "citekey": str(data["citekey"])}
        for name in _STRING_KEYS:
            value = data.get(name)
            if value is not None and not isinstance(value, str):
                raise InvalidEntry(f"{name} must be a string")
            kwargs[name] = value if value not in ("",) else None
        for name in DATE_FIELDS:
            value = data.get(name)
            kwargs[name] = PartialDate.from_iso(value) if value else None
        authors = data.get("authors") or []
        if not isinstance(authors, list):
            raise InvalidEntry("authors must be a list")
        kwargs["authors"] = tuple(Author.from_json(a) for a in authors)
        editors = data.get("editors") or []
        if not isinstance(editors, list):
            raise InvalidEntry("editors must be a list")
        kwargs["editors"] = tuple(Author.from_json(a) for a in editors)
        extra = data.get("extra") or {}
        if extra.__class__ is not dict and not isinstance(extra, Mapping) \
                or not all(v.__class__ is dict or isinstance(v, Mapping) for v in extra.values()):
            raise InvalidEntry("extra must be an object of objects: {format: {field: value}}")
        kwargs["extra"] = {str(k): dict(v) for k, v in extra.items() if v}
        tags = data.get("tags") or []
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise InvalidEntry("tags must be a list of strings")
        kwargs["tags"] = normalise_tags(tags)
        kwargs["designed_to_change"] = bool(data.get("designed_to_change", False))
        if snapshots is not None:
            if "snapshots" in data:
                raise InvalidEntry("snapshots given twice")
            kwargs["snapshots"] = tuple(snapshots)
        else:
            snaps = data.get("snapshots") or []
            if not isinstance(snaps, list):
                raise InvalidEntry("snapshots must be a list")
            kwargs["snapshots"] = tuple(Snapshot.from_json(s) for s in snaps)
        prov = data.get("provenance") or {}
        if prov.__class__ is not dict and not isinstance(prov, Mapping):
            raise InvalidEntry("provenance must be an object")
        kwargs["provenance"] = {str(k): str(v) for k, v in prov.items()}
        return cls(**kwargs)


_ENTRY_KEYS = frozenset(f.name for f in fields(Entry))
_STRING_KEYS = TEXT_FIELDS + BIB_FIELDS + ("source_key",)


def validate_id(value: str) -> str:
    if not isinstance(value, str) or not _ID_RE.match(value):
        raise InvalidEntry(f"invalid id {value!r}: 4 to 32 lower-case letters and digits")
    return value


def normalise_tags(tags: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for tag in tags:
        t = " ".join(str(tag).split()).lower()
        if t:
            seen.setdefault(t, None)
    return tuple(seen)
