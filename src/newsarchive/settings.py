"""A collection's settings: ``newsarchive.toml`` at the collection root.

    [citekey]
    pattern = "[auth:lower][year][shorttitle:lower]"

    [cite]
    style = "chicago"

    [evidence]
    operator = "Jane Doe, Example Newsroom"
    tsa_url = "https://freetsa.org/tsr"

    [search]
    engine = "tantivy"

The file is read with the standard library (``tomllib``); every key is typed and checked, and a
bad file is a :class:`SettingsError` naming the file and the key. A key not in the file has its
default. The file is written only by :func:`update` (the keys newsarchive itself sets, such as
the engine on ``init --engine`` / ``reindex --engine``): the line of that key is replaced in
place, so a user's comments and other keys stay as they were.

Collections made before this file existed record their engine in ``settings.json``
(``{"engine": "tantivy"}``); it is still read, and the next :func:`update` moves its value into
``newsarchive.toml`` and removes it.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from .errors import SettingsError

FILE = "newsarchive.toml"
LEGACY_FILE = "settings.json"


@dataclass(frozen=True)
class Key:
    name: str  # "section.key"
    default: str
    help: str
    check: Callable[[str], str]  # value -> value (normalised); raises ValueError with the reason


def _check_pattern(value: str) -> str:
    from .citekeys import parse
    from .errors import UsageError

    try:
        parse(value)
    except UsageError as exc:
        raise ValueError(str(exc)) from None
    return value


def _check_style(value: str) -> str:
    from .cite import get_style
    from .errors import CitationError

    try:
        return get_style(value).name
    except CitationError as exc:
        raise ValueError(str(exc)) from None


def _check_text(value: str) -> str:
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValueError("must be one line of text without control characters")
    return value.strip()


def _check_url(value: str) -> str:
    value = value.strip()
    if value and not re.match(r"^https?://[^\s/]+", value):
        raise ValueError(f"must be an http:// or https:// URL, not {value!r}")
    return value


def _check_engine(value: str) -> str:
    from .search.engines import ENGINES

    name = value.strip().lower()
    if name not in ENGINES:
        raise ValueError(f"unknown search engine {value!r} (one of: {', '.join(ENGINES)})")
    return name


def _keys() -> dict[str, Key]:
    from .citekeys import DEFAULT_PATTERN

    keys = [
        Key("citekey.pattern", DEFAULT_PATTERN, "How new entries' citekeys are made (fields in [brackets], "
            "see docs/settings.md). Existing citekeys never change.", _check_pattern),
        Key("cite.style", "apa", "The citation style of `cite` when --style is not given.", _check_style),
        Key("evidence.operator", "", "Who captures and attests evidence (a name, an organisation).", _check_text),
        Key("evidence.tsa_url", "", "The RFC 3161 time-stamping authority to ask (http/https URL).", _check_url),
        Key("evidence.tsa_ca", "", "PEM file of that TSA's CA certificates up to its root (a path, relative "
            "to the collection folder or absolute), kept beside each token.", _check_text),
        Key("search.engine", "whoosh", "The search engine: whoosh or tantivy (`reindex --engine` switches).",
            _check_engine),
    ]
    return {k.name: k for k in keys}


KEYS = _keys()


@dataclass(frozen=True)
class Setting:
    key: str
    value: str
    source: str  # "default" or the file it came from
    help: str

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "value": self.value, "source": self.source}


class Settings:
    """What is in force for one collection: every key's value and where it came from."""

    def __init__(self, root: Path, values: Mapping[str, tuple[str, str]]):
        self.root = root
        self._values = dict(values)  # key -> (value, source)

    def get(self, key: str) -> str:
        if key not in KEYS:
            raise KeyError(key)
        return self._values[key][0] if key in self._values else KEYS[key].default

    def source(self, key: str) -> str:
        return self._values[key][1] if key in self._values else "default"

    def is_set(self, key: str) -> bool:
        return key in self._values

    def items(self) -> list[Setting]:
        return [Setting(k, self.get(k), self.source(k), KEYS[k].help) for k in KEYS]


def path_of(root: str | os.PathLike) -> Path:
    return Path(root) / FILE


def _flatten(data: Mapping[str, Any], path: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for section, body in data.items():
        if not isinstance(body, dict):
            raise SettingsError(f"{path}: {section}: expected a [{section}] table of keys "
                                f"(known keys: {', '.join(KEYS)})")
        for name, value in body.items():
            out[f"{section}.{name}"] = value
    return out


def check(key: str, value: str) -> str:
    """``value`` for ``key`` as it would be stored; SettingsError when either is not valid (a
    value given on the command line: the CLI says so as bad usage)."""
    return _checked(key, value, "setting")


def _checked(key: str, value: Any, where: str) -> str:
    if key not in KEYS:
        raise SettingsError(f"{where}: unknown key {key!r} (known keys: {', '.join(KEYS)})")
    if not isinstance(value, str):
        raise SettingsError(f"{where}: {key}: expected a text in quotes, not {value!r}")
    try:
        return KEYS[key].check(value)
    except ValueError as exc:
        raise SettingsError(f"{where}: {key}: {exc}") from None


def _read_toml(path: Path) -> dict[str, Any] | None:
    import tomllib

    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        from .errors import os_error_message

        raise SettingsError(os_error_message(exc, action="read", path=path)) from None
    try:
        return tomllib.loads(raw.decode("utf-8-sig"))  # a BOM from a Windows editor is fine
    except UnicodeDecodeError:
        raise SettingsError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from None


def _read_legacy(root: Path) -> str | None:
    """The engine named in an old ``settings.json`` (None when there is none)."""
    path = root / LEGACY_FILE
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise SettingsError(f"{path}: cannot be read: {exc}") from None
    if not isinstance(data, dict) or "engine" not in data:
        return None
    return _checked("search.engine", data["engine"], f"{path}: engine")


def load(root: str | os.PathLike) -> Settings:
    """The settings of the collection at ``root``. Raises SettingsError for a bad file."""
    root = Path(root)
    path = path_of(root)
    values: dict[str, tuple[str, str]] = {}
    engine = _read_legacy(root)
    if engine is not None:
        values["search.engine"] = (engine, str(root / LEGACY_FILE))
    data = _read_toml(path)
    if data is not None:
        for key, value in _flatten(data, path).items():
            values[key] = (_checked(key, value, str(path)), str(path))
    return Settings(root, values)


# --------------------------------------------------------------------------- writing

def _toml_string(value: str) -> str:
    out = ['"']
    for ch in value:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _set_line(text: str, key: str, value: str) -> str:
    """``text`` (a TOML file) with ``key`` set to ``value``: its line replaced where it is
    (``name = ...`` inside ``[section]``, or ``section.name = ...`` before any table), else added
    to its table, else a new table at the end."""
    section, name = key.split(".", 1)
    line = f"{name} = {_toml_string(value)}"
    lines = text.splitlines()
    current = ""
    header_at = None
    insert_at = None
    for i, raw in enumerate(lines):
        stripped = raw.strip()
        header = re.match(r"^\[\s*([A-Za-z0-9_-]+)\s*\]\s*(#.*)?$", stripped)
        if header:
            if current == section and insert_at is None:
                insert_at = i
            current = header.group(1)
            if current == section:
                header_at = i
            continue
        if current == section and re.match(rf"^{re.escape(name)}\s*=", stripped):
            lines[i] = line
            return "\n".join(lines) + "\n"
        if current == "" and re.match(rf"^{re.escape(section)}\s*\.\s*{re.escape(name)}\s*=", stripped):
            lines[i] = f"{section}.{line}"
            return "\n".join(lines) + "\n"
    if header_at is not None:
        at = insert_at if insert_at is not None else len(lines)
        while at > header_at + 1 and not lines[at - 1].strip():  # before the blank lines
            at -= 1
        lines.insert(at, line)
        return "\n".join(lines) + "\n"
    block = ([""] if lines and lines[-1].strip() else []) + [f"[{section}]", line]
    return "\n".join(lines + block) + "\n"


def update(root: str | os.PathLike, changes: Mapping[str, str]) -> Path:
    """Set ``changes`` (key -> value) in the collection's ``newsarchive.toml`` (made when missing;
    other lines kept), moving an old ``settings.json`` engine into it. Atomic replace."""
    import tomllib

    root = Path(root)
    path = path_of(root)
    current = load(root)  # a bad file is refused before anything is written
    changes = {k: _checked(k, v, "setting") for k, v in changes.items()}
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        text = "# newsarchive settings for this collection (see docs/settings.md)\n"
    legacy = (root / LEGACY_FILE).exists()
    todo = dict(changes)
    if current.source("search.engine") == str(root / LEGACY_FILE) and "search.engine" not in todo:
        todo["search.engine"] = current.get("search.engine")  # moved into newsarchive.toml
    for key, value in todo.items():
        text = _set_line(text, key, value)
    # the edit must read back as intended, with every other value unchanged
    try:
        got = _flatten(tomllib.loads(text), path)
    except tomllib.TOMLDecodeError as exc:  # pragma: no cover  (our lines are plain)
        raise SettingsError(f"{path}: cannot be updated automatically ({exc}); edit it by hand") from None
    for key in KEYS:
        want = todo[key] if key in todo else (current.get(key) if current.source(key) == str(path) else None)
        if got.get(key) != want:
            raise SettingsError(f"{path}: {key}: cannot be updated automatically; edit it by hand")
    from .fsutil import atomic_write

    atomic_write(path, text.encode("utf-8"))
    if legacy:
        try:
            (root / LEGACY_FILE).unlink()
        except FileNotFoundError:
            pass
    return path
