"""JSONL: the core import format (the public entry JSON plus ``snapshot`` or ``text``)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from ..errors import InvalidEntry, NewsArchiveError
from ..fsutil import inside
from ..model import Entry
from .records import Record, failed, read_snapshot_file

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
    if media_type is not None and not isinstance(media_type, str):  # it was an internal error
        raise InvalidEntry("`media_type` must be a string, such as \"text/html\"")
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
    resolved = inside(base, p, allow_self=True)
    if resolved is None:
        raise InvalidEntry(f"snapshot path {rel!r} leaves the manifest's folder")
    return resolved


# --------------------------------------------------------------------------- export

def lines(store, entries: Iterable[Entry], out: Path | None, *, files_root: Path | None = None) -> Iterator[str]:
    """Yield JSONL lines; when ``out`` is a file, copy each entry's files beside it under
    ``<name>.files/<id>/`` (or ``files_root``) and point ``snapshot`` at that folder (import
    restores them exactly). A file that is missing (a damaged entry exported on purpose) is left
    out; the entry's notes say so."""
    final_files = None
    if out is not None:
        final_files = out.with_name(out.name + ".files")
        files_root = files_root or final_files
    for entry in entries:
        obj = entry.to_json()
        if files_root is not None and entry.snapshots:
            folder = files_root / entry.id
            for s in entry.snapshots:
                for rel in (s.path, s.text_path, s.warc_path):
                    if rel:
                        source = store.file_path(entry.id, rel)
                        if not source.is_file():
                            continue
                        target = folder / rel
                        target.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copyfile(source, target)
            obj["snapshot"] = os.path.relpath(final_files / entry.id, out.parent)
        yield json.dumps(obj, ensure_ascii=False)


def write(entries: Iterable[Entry], sink, ctx) -> int:
    """Stream the entries as JSONL to ``sink``. With an output file, their files are gathered in
    ``ctx.files_part`` and that folder becomes ``FILE.files`` once every line is written (a
    failed export leaves no half folder)."""
    count = 0
    files_part = ctx.files_part if ctx.out is not None else None
    try:
        for line in lines(ctx.store, entries, ctx.out, files_root=files_part):
            sink(line + "\n")
            count += 1
        if files_part is not None and files_part.exists():
            final = ctx.out.with_name(ctx.out.name + ".files")
            if final.exists():
                shutil.rmtree(final)
            os.rename(files_part, final)
    except BaseException:
        if files_part is not None:
            shutil.rmtree(files_part, ignore_errors=True)
        raise
    return count
