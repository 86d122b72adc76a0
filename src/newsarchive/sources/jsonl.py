"""JSONL: the core import format (the public entry JSON plus ``snapshot`` or ``text``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator, Mapping

from ..errors import InvalidEntry, NewsArchiveError
from . import Record, failed, read_snapshot_file

MAX_LINE = 128 * 1024 * 1024  # bytes; a longer line is reported and skipped, never held in memory


def _lines(fh, limit: int) -> Iterator[bytes | None]:
    """The file's lines; None for a line longer than ``limit`` (read past in pieces)."""
    while True:
        raw = fh.readline(limit + 1)
        if not raw:
            return
        if len(raw) > limit and not raw.endswith(b"\n"):
            while True:  # skip to the end of the overlong line
                rest = fh.readline(1 << 20)
                if not rest or rest.endswith(b"\n"):
                    break
            yield None
            continue
        yield raw


def read(path: Path, *, max_line: int = MAX_LINE) -> Iterator[Record]:
    """JSONL: each line the public entry JSON (id/citekey optional) plus ``snapshot`` (a path
    relative to the manifest: a file to archive, or the folder of an exported entry's files) or
    ``text`` (inline article text)."""
    base = path.parent
    with open(path, "rb") as fh:
        for n, raw in enumerate(_lines(fh, max_line), 1):
            ref = f"line {n}"
            if raw is None:
                yield failed(ref, f"line {n}: longer than {max_line} bytes (the line limit); skipped")
                continue
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                yield failed(ref, f"line {n}: not valid JSON ({getattr(exc, 'msg', exc)})")
                continue
            except RecursionError:
                yield failed(ref, f"line {n}: JSON nested too deeply")
                continue
            if not isinstance(obj, dict):
                yield failed(ref, f"line {n}: expected a JSON object")
                continue
            try:
                yield record_from_json(obj, ref=ref, base=base)
            except NewsArchiveError as exc:
                yield failed(ref, f"line {n}: {exc}")
            except UnicodeEncodeError:  # "\ud800" escapes: lone surrogates are not text
                yield failed(ref, f"line {n}: a string holds a lone surrogate escape (\\ud800-\\udfff); not valid Unicode")


def record_from_json(obj: Mapping[str, Any], *, ref: str, base: Path) -> Record:
    obj = dict(obj)
    snapshot = obj.pop("snapshot", None)
    text = obj.pop("text", None)
    media_type = obj.pop("media_type", None)
    if snapshot is not None and text is not None:
        raise InvalidEntry("give `snapshot` or `text`, not both")
    if obj.get("id") is not None:  # an exported entry: restored exactly, with its id
        folder = None
        if text is not None:
            raise InvalidEntry("an exported entry (with `id`) carries its files in `snapshot`, not `text`")
        if snapshot is not None:
            folder = _inside_manifest(base, str(snapshot))
            if not folder.is_dir():
                raise InvalidEntry(f"`snapshot` {snapshot!r} must be the folder of the entry's files")
        return Record(ref=ref, exact=obj, files_dir=folder, origin="imported")
    if obj.get("snapshots"):
        raise InvalidEntry("`snapshots` belongs to an exported entry, which also has its `id`")
    fields = {k: v for k, v in obj.items() if k not in ("snapshots", "provenance")}
    record = Record(ref=ref, fields=fields, origin="imported")
    if text is not None:
        if not isinstance(text, str):
            raise InvalidEntry("`text` must be a string")
        record.data, record.media_type, record.source = text.encode("utf-8"), media_type or "text/plain", ref
    elif snapshot is not None:
        p = _inside_manifest(base, str(snapshot))
        if not p.is_file():
            raise InvalidEntry(f"snapshot file not found: {snapshot}")
        record.data, record.source = read_snapshot_file(p, name=f"snapshot {snapshot}"), str(snapshot)
        record.media_type = media_type
    return record


def _inside_manifest(base: Path, rel: str) -> Path:
    p = Path(rel)
    if p.is_absolute():
        return p  # the user named an absolute file: allowed, it is only read
    resolved = (base / p).resolve()
    if base.resolve() not in resolved.parents and resolved != base.resolve():
        raise InvalidEntry(f"snapshot path {rel!r} leaves the manifest's folder")
    return resolved
