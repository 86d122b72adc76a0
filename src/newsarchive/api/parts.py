"""The ``.part`` files of exports in progress: named so the next writer can recognise and remove those of killed exports."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from pathlib import Path
from typing import Iterator

from .. import store as st

EXPORTS_DIR = "exports"  # in index/: one file per export in progress, naming its .part path
_PART_RE = re.compile(r"^\..+\.newsarchive-(\d+)\.part$")


def part_path(out: Path) -> Path:
    """Where an export is written before it is renamed to ``out``: recognisable as ours."""
    return out.with_name(f".{out.name}.newsarchive-{os.getpid()}.part")


def files_part_path(out: Path) -> Path:
    """Where a JSONL export's files are copied before the folder is renamed to ``out.files``."""
    return out.with_name(f".{out.name}.files.newsarchive-{os.getpid()}.part")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError, OverflowError):
        return True
    return True


def _remove_part(path: Path) -> None:
    m = _PART_RE.match(path.name)
    if not m or _pid_alive(int(m.group(1))):
        return
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def sweep_parts(out: Path) -> None:
    """Remove the ``.part`` files of earlier, killed exports to ``out`` (only ours, by name)."""
    with contextlib.suppress(OSError):
        for pattern in (f".{glob_escape(out.name)}.newsarchive-*.part",
                        f".{glob_escape(out.name)}.files.newsarchive-*.part"):
            for p in out.parent.glob(pattern):
                _remove_part(p)


def glob_escape(name: str) -> str:
    import glob

    return glob.escape(name)


@contextlib.contextmanager
def partial_file(store: st.Store | None, out: Path) -> Iterator[Path]:
    """The ``.part`` path of an export to ``out``, registered in ``index/exports/`` while it is
    written so that the next writer removes it when the export was killed."""
    sweep_parts(out)
    part = part_path(out)
    reg = None
    if store is not None:
        with contextlib.suppress(OSError):
            folder = store.index_dir / EXPORTS_DIR
            folder.mkdir(parents=True, exist_ok=True)
            reg = folder / f"{os.getpid()}-{os.urandom(4).hex()}"
            reg.write_text(f"{part.resolve()}\n{files_part_path(out).resolve()}\n", "utf-8")
    try:
        yield part
    finally:
        if reg is not None:
            with contextlib.suppress(OSError):
                reg.unlink()
