"""Import-time metadata and folder filters: what ``import --set/--tag/--override`` and
``--include/--exclude/--tags-from-folders`` do to a source's record stream.

- ``set_fields`` (``--set outlet=BBC``) fill every record's fields. A record's own value wins
  (given in the file, or extracted from its page) and its report line says that the --set
  value was not used; with ``override`` the --set value wins and the line says what it replaced.
- ``tags`` (``--tag T``) and, for folders, the names of the subfolders a file is in
  (``--tags-from-folders``: ``business/012.txt`` gets the tag ``business``) are added to the
  record's own tags.
- Folders: ``include``/``exclude`` glob patterns (matched against the path inside the folder,
  and against the file name when the pattern has no ``/``); files named like a project's
  documents (README, LICENSE, CHANGES, ...) are skipped unless an ``include`` pattern names them.
  Every file passed over gets its own ``skipped`` report line.
- Entries restored exactly from a ``newsarchive export --to jsonl`` are not changed; their
  report line says so.

Pure record-stream functions; the ingest pipeline does the rest.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from typing import Any, Iterable, Iterator, Mapping

from .errors import UsageError
from .formats.records import Record, skipped

#: file names (without their extension) that are a project's documents, not articles
DOCUMENT_NAMES = frozenset({"readme", "license", "licence", "copying", "copyright", "changes", "changelog",
                            "history", "contributing", "authors", "notice", "code_of_conduct", "install"})


def _canonical(name: str) -> str:
    from .normalize import FIELD_ALIASES

    return FIELD_ALIASES.get(name, name)


def _present(value: Any) -> bool:
    return value not in (None, "", [], ())


def _show(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        value = "; ".join(str(v.get("literal") or v.get("family") or v) if isinstance(v, dict) else str(v)
                          for v in value)
    text = str(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _as_tags(value: Any) -> list[str]:
    if not _present(value):
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    out: list[str] = []
    for item in items:
        out.extend(t for t in re.split(r"\s*[;,]\s*", str(item)) if t)
    return out


@dataclass(frozen=True)
class ImportOptions:
    set_fields: Mapping[str, str] | None = None
    tags: tuple[str, ...] = ()
    override: bool = False
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    tags_from_folders: bool = False
    skip_documents: bool = True

    def __post_init__(self) -> None:
        from .normalize import normalise_fields

        fields = dict(self.set_fields or {})
        for name, value in fields.items():
            canonical = _canonical(name)
            if canonical in ("tags",):
                raise UsageError("give tags with --tag, not --set tags=...")
            if canonical == "citekey":
                raise UsageError("--set citekey would give every record the same key; set citekey.pattern "
                                 "in newsarchive.toml instead")
            try:
                normalise_fields({name: value})
            except UsageError:
                raise
            except Exception as exc:  # InvalidEntry, DateError: the value is the user's mistake
                raise UsageError(f"--set {name}={value}: {exc}") from None
        object.__setattr__(self, "set_fields", {_canonical(k): v for k, v in fields.items()})
        object.__setattr__(self, "tags", tuple(t for tag in self.tags for t in _as_tags(tag)))

    @property
    def changes_records(self) -> bool:
        return bool(self.set_fields or self.tags or self.tags_from_folders)

    @property
    def filters_folder(self) -> bool:
        return bool(self.include or self.exclude or self.tags_from_folders)

    def apply(self, records: Iterable[Record], *, folder: bool) -> Iterator[Record]:
        """The adjusted record stream (one record out for each record in). Raises UsageError at
        once when folder options are given for another source."""
        if self.filters_folder and not folder:
            raise UsageError("--include, --exclude and --tags-from-folders apply to folder imports")
        return self._apply(records, folder=folder)

    def _apply(self, records: Iterable[Record], *, folder: bool) -> Iterator[Record]:
        for record in records:
            if folder:
                why = self._passed_over(record.ref)
                if why is not None:
                    yield skipped(record.ref, why)
                    continue
            if record.error is not None or record.skipped is not None:
                yield record
                continue
            yield self._adjust(record, folder=folder)

    # ------------------------------------------------------------------ folders

    def _passed_over(self, ref: str) -> str | None:
        path = PurePosixPath(ref)
        hit = lambda patterns: next((p for p in patterns if _matches(path, p)), None)  # noqa: E731
        excluded = hit(self.exclude)
        if excluded is not None:
            return f"{ref}: excluded by --exclude {excluded!r}"
        if self.include and hit(self.include) is None:
            return f"{ref}: not matched by --include {', '.join(repr(p) for p in self.include)}"
        if self.skip_documents and path.name.split(".")[0].lower() in DOCUMENT_NAMES and not self.include:
            return (f"{ref}: named like a project document ({path.name}), not an article; skipped "
                    f"(--include {path.name!r} imports it)")
        return None

    # ------------------------------------------------------------------ records

    def _adjust(self, record: Record, *, folder: bool) -> Record:
        if not self.changes_records:
            return record
        if record.exact is not None:
            said = "restored exactly as exported: --set/--tag not applied (change it with `newsarchive edit`)"
            return replace(record, note="; ".join(m for m in (record.note, said) if m))
        fields = dict(record.fields)
        notes: list[str] = []
        own = {_canonical(k): k for k in fields}  # canonical name -> the key the record used
        defaults: dict[str, Any] = {}
        for name, value in (self.set_fields or {}).items():
            key = own.get(name)
            if key is not None and _present(fields[key]):
                if self.override:
                    if str(fields[key]).strip() != str(value).strip():
                        notes.append(f"{name} {_show(fields[key])} replaced by --set {_show(value)}")
                    del fields[key]
                    fields[name] = value
                elif str(fields[key]).strip() != str(value).strip():
                    notes.append(f"kept its own {name} {_show(fields[key])} (--set {_show(value)} not used; "
                                 "--override uses it)")
            elif self.override:
                fields[name] = value
            else:
                defaults[name] = value  # after extraction, where the record has no value of its own
        tags: list[str] = []
        for key in [k for k in fields if _canonical(k) == "tags"]:
            tags.extend(_as_tags(fields.pop(key)))
        extra = list(self.tags)
        if folder and self.tags_from_folders:
            extra.extend(p for p in PurePosixPath(record.ref).parent.parts if p not in ("", "."))
        if tags or extra:
            fields["tags"] = list(dict.fromkeys([*tags, *extra]))
        note = "; ".join(m for m in (record.note, *notes) if m) or None
        return replace(record, fields=fields, note=note, defaults={**record.defaults, **defaults})


def _matches(path: PurePosixPath, pattern: str) -> bool:
    text = str(path)
    if fnmatch.fnmatchcase(text, pattern):
        return True
    if "/" not in pattern:  # a pattern without a folder: the file name, or any folder on the way
        return fnmatch.fnmatchcase(path.name, pattern) or any(fnmatch.fnmatchcase(p, pattern)
                                                                for p in path.parent.parts)
    return pattern.endswith("/**") and text.startswith(pattern[:-3] + "/")


def apply_defaults(record: Record, fields: dict[str, Any], provenance: dict[str, str], *,
                   dayfirst: bool = False) -> str | None:
    """Fill ``fields`` (normalised, extraction done) from ``record.defaults`` (``import --set``)
    where there is no value; return what the report line should say about values the record
    kept (its page's own outlet, say)."""
    from .normalize import normalise_fields

    notes = []
    for name, value in record.defaults.items():
        given = normalise_fields({name: value}, dayfirst=dayfirst).get(name)
        if not _present(given):
            continue
        if _present(fields.get(name)):
            if fields[name] != given:
                notes.append(f"kept its own {name} {_show(fields[name])} (--set {_show(value)} not used; "
                             "--override uses it)")
            continue
        fields[name] = given
        provenance[name] = "import --set"
    return "; ".join(notes) or None
