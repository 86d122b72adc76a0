"""A collection on disk, below the commit protocol: where a collection is, and the names and
byte formats of the files in an entry folder (``entry.json``, the hash-chained
``history.jsonl``, the SHA-256 manifest). :mod:`newsarchive.store` writes them; fixity and the
exporters read them. The layout is described in :mod:`newsarchive.store`."""

from __future__ import annotations

import hashlib
import json
import os
import re
from json.encoder import encode_basestring as _encode_str  # the C one, as json.dumps(ensure_ascii=False)
from pathlib import Path
from typing import Any, Iterable

from .errors import InvalidEntry, NotACollection, StoreError
from .model import Entry, check_relative_path

ARCHIVE = "archive"
INDEX = "index"
ENTRY_FILE = "entry.json"
HISTORY_FILE = "history.jsonl"
MANIFEST_FILE = "manifest-sha256.txt"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
ENV_ROOT = "NEWSARCHIVE_ROOT"
ID_LIKE = re.compile(r"^[0-9a-z]{1,32}$")


# --------------------------------------------------------------------------- finding a collection

def is_collection(path: Path) -> bool:
    """``archive/`` makes a collection (``index/`` is derived and may be missing): a folder whose
    ``archive/`` has ``index/`` beside it, the lock file every writer (and ``init``) makes, or
    entry folders. A stray folder that happens to be called ``archive`` is none of these."""
    archive = path / ARCHIVE
    if not archive.is_dir():
        return False
    if (path / INDEX).is_dir() or (archive / ".lock").is_file():
        return True
    try:
        with os.scandir(archive) as it:
            for n, d in enumerate(it):
                if n >= 200:
                    break
                if ID_LIKE.match(d.name) and os.path.isfile(os.path.join(d.path, ENTRY_FILE)):
                    return True
    except OSError:
        return False
    return False


def find_root(explicit: str | os.PathLike[str] | None = None, *, cwd: Path | None = None,
              environ: dict[str, str] | None = None) -> Path:
    """``--root``, else ``$NEWSARCHIVE_ROOT``, else the current folder or its nearest parent that
    is a collection."""
    env = os.environ if environ is None else environ
    if explicit is None and env.get(ENV_ROOT):
        explicit = env[ENV_ROOT]
    if explicit is not None:
        root = Path(explicit).expanduser().resolve()
        if not is_collection(root):
            raise NotACollection(f"{root} is not a collection (no archive/); "
                                 f"create one with `newsarchive init {root}`")
        return root
    here = (cwd or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if is_collection(candidate):
            return candidate
    raise NotACollection(f"no collection in {here} or its parents; "
                         "create one with `newsarchive init`, or pass --root")


def init_collection(path: str | os.PathLike[str]) -> Path:
    root = Path(path).expanduser().resolve()
    if root.exists() and not root.is_dir():
        raise StoreError(f"{root} exists and is not a folder")
    (root / ARCHIVE).mkdir(parents=True, exist_ok=True)
    (root / INDEX).mkdir(parents=True, exist_ok=True)
    (root / ARCHIVE / ".lock").touch()  # marks the collection even when index/ is removed
    return root


# --------------------------------------------------------------------------- the files of an entry

def entry_bytes(entry: Entry) -> bytes:
    return (pretty_json(entry.to_json()) + "\n").encode("utf-8")


def pretty_json(value: Any) -> str:
    """``json.dumps(value, ensure_ascii=False, indent=2)``, the same characters, several times
    faster (the standard library's C encoder does not indent; its pure-Python one was a large
    part of writing an entry in a bulk import). Anything but plain JSON data (dicts with str
    keys, lists, str, int, finite float, bool, None) goes to ``json.dumps``."""
    try:
        out: list[str] = []
        _pretty(value, "\n", out)
        return "".join(out)
    except (_NotPlain, RecursionError):  # a cycle: json.dumps names it
        return json.dumps(value, ensure_ascii=False, indent=2)


class _NotPlain(Exception):
    pass


_INF = float("inf")


def _scalar(value: Any) -> str:
    """A JSON leaf other than a string, as json.dumps writes it."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    cls = value.__class__
    if cls is int:
        return int.__repr__(value)
    if cls is float and value == value and value not in (_INF, -_INF):
        return float.__repr__(value)
    raise _NotPlain  # tuples, subclasses, NaN, anything else: the standard encoder decides


def _pretty(value: Any, nl: str, out: list[str]) -> None:
    """Append ``value`` indented as json.dumps(indent=2) does, ``nl`` being the newline and
    indentation of the line it starts on; strings and other leaves inside a dict or list are
    written by the loop itself (a call per leaf was most of the time)."""
    enc = _encode_str
    cls = value.__class__
    if cls is dict:
        if not value:
            out.append("{}")
            return
        inner = nl + "  "
        sep = "{" + inner
        for k, v in value.items():
            if k.__class__ is not str:
                raise _NotPlain
            vcls = v.__class__
            if vcls is str:
                out.append(sep + enc(k) + ": " + enc(v))
            elif vcls is dict or vcls is list:
                out.append(sep + enc(k) + ": ")
                _pretty(v, inner, out)
            else:
                out.append(sep + enc(k) + ": " + _scalar(v))
            sep = "," + inner
        out.append(nl + "}")
    elif cls is list:
        if not value:
            out.append("[]")
            return
        inner = nl + "  "
        sep = "[" + inner
        for v in value:
            vcls = v.__class__
            if vcls is str:
                out.append(sep + enc(v))
            elif vcls is dict or vcls is list:
                out.append(sep)
                _pretty(v, inner, out)
            else:
                out.append(sep + _scalar(v))
            sep = "," + inner
        out.append(nl + "]")
    elif cls is str:
        out.append(enc(value))
    else:
        out.append(_scalar(value))


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_COMPACT = json.JSONEncoder(ensure_ascii=False)  # json.dumps(value, ensure_ascii=False), made once


def history_bytes(previous: bytes, events: Iterable[dict]) -> bytes:
    """``previous`` (the history so far, complete lines) followed by ``events`` as chained lines:
    each carries ``prev``, the SHA-256 of the line before it (of b"" for the first line)."""
    lines = previous.splitlines()
    prev = sha256_bytes(lines[-1]) if lines else EMPTY_SHA256
    out = [previous] if previous else []
    line = None
    for event in events:
        if line is not None:  # the hash of the line before, for this one (none is needed after the last)
            prev = sha256_bytes(line)
        line = _COMPACT.encode({**{k: v for k, v in event.items() if k != "prev"}, "prev": prev}).encode("utf-8")
        out.append(line + b"\n")
    return b"".join(out)


def manifest_bytes(hashes: dict[str, str]) -> bytes:
    """BagIt-style manifest lines ``<sha256>  <relpath>``, sorted by path."""
    return "".join([f"{h}  {rel}\n" for rel, h in sorted(hashes.items())]).encode("utf-8")


def parse_manifest(data: bytes) -> tuple[dict[str, str], list[str]]:
    """Manifest bytes -> ({relpath: sha256}, [problems with its lines])."""
    hashes: dict[str, str] = {}
    bad: list[str] = []
    if data and not data.endswith(b"\n"):
        bad.append("the last line is incomplete")
    for n, raw in enumerate(data.split(b"\n")[:-1] if data.endswith(b"\n") else data.split(b"\n"), 1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            bad.append(f"line {n} is not UTF-8")
            continue
        m = re.fullmatch(r"([0-9a-f]{64})  (\S.*)", line)
        if not m:
            bad.append(f"line {n} is not '<sha256>  <path>'")
            continue
        try:
            check_relative_path(m.group(2))
        except InvalidEntry:
            bad.append(f"line {n}: path {m.group(2)!r} leaves the folder")
            continue
        if m.group(2) in hashes or m.group(2) == MANIFEST_FILE:
            bad.append(f"line {n}: {m.group(2)} listed twice")
            continue
        hashes[m.group(2)] = m.group(1)
    return hashes, bad


def split_history(data: bytes) -> tuple[bytes, bytes]:
    """History bytes -> (complete lines, a torn last line cut short by an interrupted write)."""
    if not data or data.endswith(b"\n"):
        return data, b""
    cut = data.rfind(b"\n") + 1
    return data[:cut], data[cut:]
