"""The engine registry and the engine a collection uses.

A collection records its engine in ``<collection>/settings.json`` (``{"engine": "tantivy"}``),
beside ``archive/`` and ``index/``: the index folder is derived and may be deleted, the choice
of engine is not. No file (or no ``engine`` key) means the default, Whoosh. The backends are
imported only when asked for, so choosing one costs nothing at start-up.
"""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import StoreError, UsageError

if TYPE_CHECKING:  # pragma: no cover
    from .backend import SearchBackend

DEFAULT = "whoosh"
SETTINGS = "settings.json"
#: name -> "module:class" (imported lazily)
ENGINES = {
    "whoosh": "newsarchive.search.whoosh:WhooshBackend",
    "tantivy": "newsarchive.search.tantivy:TantivyBackend",
}


def check_name(name: str) -> str:
    name = (name or "").strip().lower()
    if name not in ENGINES:
        raise UsageError(f"unknown search engine {name!r} (one of: {', '.join(ENGINES)})")
    return name


def backend(name: str, index_dir: str | os.PathLike) -> "SearchBackend":
    """The backend object of engine ``name`` for ``index_dir``."""
    module, _, cls = ENGINES[check_name(name)].partition(":")
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:  # tantivy not installed
        raise StoreError(f"the {name} search engine is not installed ({exc}); "
                         f"`pip install newsarchive` installs it") from None
    return getattr(mod, cls)(Path(index_dir))


def configured(root: str | os.PathLike) -> str:
    """The engine recorded for the collection at ``root`` (the default when none is)."""
    path = Path(root) / SETTINGS
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return DEFAULT
    except (OSError, ValueError) as exc:
        raise StoreError(f"cannot read {path}: {exc}") from None
    name = data.get("engine", DEFAULT) if isinstance(data, dict) else None
    if name not in ENGINES:
        raise StoreError(f"{path} names an unknown search engine {name!r} (one of: {', '.join(ENGINES)})")
    return name


def record(root: str | os.PathLike, name: str) -> None:
    """Record ``name`` as the collection's engine (atomic replace; other settings kept)."""
    name = check_name(name)
    path = Path(root) / SETTINGS
    data: dict[str, Any] = {}
    try:
        old = json.loads(path.read_text("utf-8"))
        if isinstance(old, dict):
            data = old
    except (OSError, ValueError):
        pass
    data["engine"] = name
    tmp = path.with_name(f".{SETTINGS}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(data, indent=1) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def for_store(store: Any) -> "SearchBackend":
    """The backend of the collection ``store`` belongs to."""
    return backend(configured(store.root), store.index_dir)
