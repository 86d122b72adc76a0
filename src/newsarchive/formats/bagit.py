"""Export entries as a BagIt bag (RFC 8493): ``data/<id>/`` holds each entry's files and its
``entry.json`` as stored, ``data/entries.json`` lists the entries, ``bag-info.txt`` names the
source.

The payload manifest is written from the hashes the archive *recorded* (each snapshot's and
text's SHA-256 in ``entry.json``, and the entry's own ``manifest-sha256.txt`` when it has one),
never from a fresh hash of the bytes being copied: a bag made from damaged bytes does not
validate. Only files that have no recorded hash (``entries.json``, and the files of entries
written before manifests existed) are hashed as copied. Entries are streamed: memory stays flat.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Iterable

from .. import __version__
from .. import store as st
from ..fixity import hash_file
from ..errors import UsageError
from ..model import Entry


def _recorded(store: st.Store, entry: Entry) -> dict[str, str]:
    """relpath -> SHA-256 the archive recorded for an entry's files."""
    out: dict[str, str] = {}
    manifest = store.entry_dir(entry.id) / getattr(st, "MANIFEST_FILE", "manifest-sha256.txt")
    try:
        data = manifest.read_bytes()
    except OSError:
        data = b""
    if data:
        parse = getattr(st, "parse_manifest", None)
        if parse is not None:
            out.update(parse(data)[0])
        else:  # pragma: no cover  (before the store records manifests)
            for line in data.decode("utf-8", "replace").splitlines():
                digest, sep, rel = line.partition("  ")
                if sep and len(digest) == 64:
                    out[rel] = digest
    for s in entry.snapshots:
        out[s.path] = s.sha256
        if s.text_path and s.text_sha256:
            out[s.text_path] = s.text_sha256
        warc_sha = getattr(s, "warc_sha256", None)
        if s.warc_path and warc_sha:
            out[s.warc_path] = warc_sha
    return out


def _copy(src: Path, dst: Path, recorded: str | None) -> tuple[str, int]:
    """Copy ``src`` to ``dst``; (the SHA-256 for the manifest, size). The recorded hash when
    there is one; otherwise the hash of the bytes copied (computed in the same pass)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    if recorded is not None:
        shutil.copyfile(src, dst)
        return recorded, dst.stat().st_size
    h = hashlib.sha256()
    size = 0
    with open(src, "rb") as fi, open(dst, "xb") as fo:
        for chunk in iter(lambda: fi.read(1 << 20), b""):
            h.update(chunk)
            fo.write(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def write(store: st.Store, items: Iterable[tuple[Entry, list[str]]], out: Path, *,
          part: Path | None = None) -> int:
    """Write the bag of ``items`` ((entry, damage lines) as checked by the exporter) to ``out``.
    Damaged entries (given only with --include-damaged) are listed in ``newsarchive-damage.txt``
    and in ``bag-info.txt``; their manifest lines still carry the recorded hashes."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"{out} exists and is not an empty folder; BagIt export needs a new folder")
    staging = part or out.with_name(f".{out.name}.part")
    if staging.exists():
        shutil.rmtree(staging)
    data_dir = staging / "data"
    data_dir.mkdir(parents=True)
    count = 0
    total_bytes = total_files = 0
    damaged: list[str] = []
    try:
        with open(staging / "manifest-sha256.txt", "w", encoding="utf-8", newline="\n") as manifest, \
                open(data_dir / "entries.json", "w", encoding="utf-8", newline="\n") as listing:
            listing.write("[")
            for entry, damage in items:
                src = store.entry_dir(entry.id)
                recorded = _recorded(store, entry)
                names = [st.ENTRY_FILE, st.HISTORY_FILE]
                for s in entry.snapshots:
                    names += [rel for rel in (s.path, s.text_path, s.warc_path) if rel]
                for rel in dict.fromkeys(names):
                    path = src / rel
                    if not path.is_file():  # no history yet, or missing: named in the damage report
                        continue
                    digest, size = _copy(path, data_dir / entry.id / rel, recorded.get(rel))
                    manifest.write(f"{digest}  data/{entry.id}/{rel}\n")
                    total_bytes += size
                    total_files += 1
                if damage:
                    damaged.extend(f"{entry.id}: {line}" for line in damage)
                item = {"id": entry.id, "citekey": entry.citekey, "title": entry.title, "url": entry.url}
                if damage:
                    item["damaged"] = damage
                listing.write(("\n  " if count == 0 else ",\n  ") + json.dumps(item, ensure_ascii=False))
                count += 1
            listing.write("\n]\n")
        if not count:
            raise UsageError("nothing to export: no entry matched")
        listing_path = data_dir / "entries.json"
        with open(staging / "manifest-sha256.txt", "a", encoding="utf-8", newline="\n") as manifest:
            manifest.write(f"{hash_file(listing_path)}  data/entries.json\n")
        total_bytes += listing_path.stat().st_size
        total_files += 1
        info = {"Source-Organization": "newsarchive collection",
                "External-Description": f"{count} archived news entries",
                "Bag-Software-Agent": f"newsarchive/{__version__}",
                "Bagging-Date": _dt.date.today().isoformat(),
                "Payload-Oxum": f"{total_bytes}.{total_files}"}
        tags = ["bagit.txt", "bag-info.txt", "manifest-sha256.txt"]
        if damaged:
            info["Newsarchive-Damaged-Entries"] = str(len({d.split(":", 1)[0] for d in damaged}))
            (staging / "newsarchive-damage.txt").write_text(
                "Entries exported with --include-damaged; their files differ from what the archive "
                "recorded, so this bag does not validate:\n" + "".join(f"{d}\n" for d in damaged), "utf-8")
            tags.append("newsarchive-damage.txt")
        (staging / "bagit.txt").write_text("BagIt-Version: 0.97\nTag-File-Character-Encoding: UTF-8\n", "utf-8")
        (staging / "bag-info.txt").write_text("".join(f"{k}: {v}\n" for k, v in info.items()), "utf-8")
        (staging / "tagmanifest-sha256.txt").write_text(
            "".join(f"{hash_file(staging / t)}  {t}\n" for t in tags), "utf-8")
        import bagit

        bagit.Bag(str(staging)).validate(fast=True)  # structure and Payload-Oxum; hashes are as recorded
        if out.exists():
            out.rmdir()
        os.rename(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return count


def export(items, ctx) -> int:
    """The exporter registry's entry point: ``items`` are the checked (entry, damage) pairs."""
    return write(ctx.store, items, ctx.out, part=ctx.part)
