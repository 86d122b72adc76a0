"""The engine registry and the engine a collection uses.

A collection records its engine in its settings file (``search.engine`` in
``<collection>/newsarchive.toml``, see ``newsarchive.settings``; collections made earlier have
``settings.json``, still read), beside ``archive/`` and ``index/``: the index folder is derived
and may be deleted, the choice of engine is not. No setting means the default, Whoosh. The backends are
imported only when asked for, so choosing one costs nothing at start-up.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import StoreError, UsageError

if TYPE_CHECKING:  # pragma: no cover
    from .backend import SearchBackend

DEFAULT = "whoosh"
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
    """The engine recorded for the collection at ``root`` (the default when none is): the
    ``search.engine`` key of its ``newsarchive.toml``, else an old ``settings.json``."""
    from .. import settings

    return settings.load(root).get("search.engine")


def record(root: str | os.PathLike, name: str) -> None:
    """Record ``name`` as the collection's engine (in ``newsarchive.toml``; other settings kept)."""
    from .. import settings

    settings.update(root, {"search.engine": check_name(name)})


def for_store(store: Any) -> "SearchBackend":
    """The backend of the collection ``store`` belongs to."""
    return backend(configured(store.root), store.index_dir)
