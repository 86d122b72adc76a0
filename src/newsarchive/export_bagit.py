"""Export entries as a BagIt bag (Library of Congress ``bagit``), validated after writing:
``data/<id>/`` holds each entry's files and ``entry.json``; ``bag-info.txt`` names the source."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Iterable

from . import __version__
from .errors import UsageError
from .model import Entry
from .store import Store, entry_bytes


def write(store: Store, entries: Iterable[Entry], out: Path) -> int:
    import bagit

    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"{out} exists and is not an empty folder; BagIt export needs a new folder")
    staging = out.with_name(f".{out.name}.part")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    count = 0
    try:
        manifest = []
        for entry in entries:
            folder = staging / entry.id
            folder.mkdir()
            (folder / "entry.json").write_bytes(entry_bytes(entry))
            src = store.entry_dir(entry.id)
            if (src / "history.jsonl").exists():
                shutil.copyfile(src / "history.jsonl", folder / "history.jsonl")
            for s in entry.snapshots:
                for rel in (s.path, s.text_path, s.warc_path):
                    if rel:
                        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
                        shutil.copyfile(store.file_path(entry.id, rel), folder / rel)
            manifest.append({"id": entry.id, "citekey": entry.citekey, "title": entry.title, "url": entry.url})
            count += 1
        if not count:
            raise UsageError("nothing to export: no entry matched")
        (staging / "entries.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", "utf-8")
        bag = bagit.make_bag(str(staging), {"Source-Organization": "newsarchive collection",
                                            "External-Description": f"{count} archived news entries",
                                            "Bag-Software-Agent": f"newsarchive/{__version__}"},
                             checksums=["sha256", "sha512"])
        bag.validate()
        if out.exists():
            out.rmdir()
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return count
