"""An evidence package: what to hand to someone who must be able to check a capture without
trusting us or this tool (``export --to evidence -o DIR``).

The package is a BagIt bag (RFC 8493, made and validated with the Library of Congress's
``bagit`` library, SHA-256 and SHA-512 manifests) whose payload is::

    data/README.md               what is in the package and how to check all of it
    data/archive.wacz            the captures as a WACZ (replay in ReplayWeb.page; `wacz validate`)
    data/entries/<id>/           each entry folder exactly as the archive stores it: entry.json
                                 (metadata), history.jsonl (the custody log), manifest-sha256.txt,
                                 and per capture vN/ its snapshot, text, WARC, TLS certificate
                                 chain, and its timestamp (manifest, token, TSA chain, log copy)
    data/reports/<id>.md         a report per entry: what was captured, when, from where, its
                                 hashes, its timestamp, the commands to check it, and what the
                                 package does not prove

Files are copied from the archive and then compared with the hashes the archive recorded: a
byte that changed on the way fails the export. Damaged entries are left out (and named) unless
``--include-damaged``; then their reports and the README say so in their first lines. Each
entry exported (undamaged) gets an ``export`` event in its custody log naming the package and
the SHA-256 of the bag's tag manifest (see :mod:`.custody`).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any, Iterable

from .. import __version__

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md(text: Any) -> str:
    """Text from the archive (a title, a URL, a header value) for a Markdown report: control and
    bidi characters shown as escapes, ``< > &`` as HTML entities, Markdown punctuation escaped,
    so that no value can add a link, an image, HTML or a table cell to what the reader sees."""
    from ..render import safe

    value = safe("" if text is None else text)
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", value)


def code(text: Any) -> str:
    """A path or a hash as inline code (only our own names: IDs, vN/..., hex)."""
    value = str(text)
    if not re.fullmatch(r"[A-Za-z0-9._/:+= -]*", value):
        return md(value)
    return f"`{value}`"


def _rel_files(folder: Path) -> list[str]:
    out = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink() and not path.name.startswith("."):
            out.append(path.relative_to(folder).as_posix())
    return out


def _history(folder: Path) -> list[dict[str, Any]]:
    out = []
    try:
        raw = (folder / "history.jsonl").read_bytes()
    except OSError:
        return out
    for line in raw.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            out.append({"action": "(unreadable line)"})
            continue
        if isinstance(event, dict):
            out.append(event)
    return out


NOT_PROVEN = """\
## What this package does not prove

- It shows that these exact bytes existed no later than the time in each trusted timestamp, and
  that none of them changed since (if every check above passes). It does **not** show that the
  server that answered was the genuine origin of the page, that the page said the same to other
  readers, at other times or in other places, or that what it says is true.
- A capture without a trusted timestamp rests on this archive's word for its time: anyone who
  could write to the archive could have made it, or changed it, with every hash updated.
- The server IP address and the TLS certificate chain are what the capturing computer saw; a
  network or a resolver that lied to it would have been recorded as it was.
- The time-stamp authority is trusted for the time: compare the root certificate in
  `timestamp-chain.pem` with the one the authority publishes before relying on it.
- The custody log is kept by the same archive; its hash chain shows lines changed, removed or
  reordered, and the copy stamped with each timestamp fixes its beginning, but events after the
  last timestamp rest on the archive's word.
"""


def _checks(entry_id: str, stamped: list[str], warcs: list[str]) -> str:
    lines = ["## How to check it yourself", "",
             "Run these from the package folder (the folder holding `bagit.txt`). Each must succeed.", "",
             "1. The package is complete and unchanged (Python's `bagit` package, `pip install bagit`):", "",
             "   ```sh", "   bagit.py --validate .", "   ```", "",
             f"2. The entry's files are those its own manifest lists:", "",
             "   ```sh", f"   (cd data/entries/{entry_id} && sha256sum -c manifest-sha256.txt)", "   ```", ""]
    n = 3
    for manifest in stamped:
        folder = manifest.rsplit("/", 1)[0]
        lines += [f"{n}. The trusted timestamp of `{folder}` (OpenSSL), then the files it stamps:", "",
                  "   ```sh", f"   cd data/entries/{entry_id}",
                  f"   openssl ts -verify -data {folder}/timestamp-manifest.sha256 -in {folder}/timestamp.tsr "
                  f"-CAfile {folder}/timestamp-chain.pem",
                  f"   sha256sum -c {folder}/timestamp-manifest.sha256",
                  f"   openssl x509 -in {folder}/timestamp-chain.pem -noout -subject -fingerprint -sha256",
                  "   cd -", "   ```", "",
                  "   The last command shows the first certificate of the chain; compare the root's fingerprint with "
                  "the one the time-stamp authority publishes.", ""]
        n += 1
    lines += [f"{n}. The web captures as a WACZ (`pip install wacz`), and each WARC (`pip install warcio`):", "",
              "   ```sh", "   wacz validate -f data/archive.wacz"]
    lines += [f"   warcio check -v data/entries/{entry_id}/{w}" for w in warcs]
    lines += ["   ```", "",
              f"{n + 1}. The custody log's hash chain (each line's `prev` is the SHA-256 of the line before):", "",
              "   ```sh",
              "   python3 -c 'import hashlib,json,sys; p=hashlib.sha256(b\"\").hexdigest(); "
              "[(json.loads(l)[\"prev\"]==p or sys.exit(\"broken at: \"+l.decode())) and "
              "(p:=hashlib.sha256(l).hexdigest()) for l in open(sys.argv[1],\"rb\").read().splitlines()]; "
              f"print(\"chain OK\")' data/entries/{entry_id}/history.jsonl",
              "   ```", ""]
    return "\n".join(lines)


def report(entry: Any, folder: Path, *, damage: list[str], hashes: dict[str, str], operator: str | None) -> str:
    """The Markdown report of one entry (``folder``: its copy in the package)."""
    out: list[str] = []
    if damage:
        out += ["> **DAMAGED**: this entry failed its fixity check when it was exported (with "
                "`--include-damaged`); the checks below are expected to fail:", ">"]
        out += [f"> - {md(line)}" for line in damage]
        out.append("")
    out += [f"# Evidence report: {md(entry.title or '(no title)')}", "",
            f"Entry {code(entry.id)} (citekey {md(entry.citekey)}), packaged "
            f"{_dt.datetime.now(_dt.timezone.utc).strftime('%Y-%m-%d %H:%M:%S UTC')} by newsarchive {__version__}"
            + (f"; operator: {md(operator)}." if operator else "; no operator was configured."), ""]
    out += ["| | |", "|---|---|", f"| Cited URL | {md(entry.url or '(none)')} |"]
    if entry.outlet:
        out.append(f"| Outlet | {md(entry.outlet)} |")
    if entry.published:
        out.append(f"| Published | {md(entry.published.iso() if hasattr(entry.published, 'iso') else entry.published)} |")
    out.append("")
    stamped: list[str] = []
    warcs: list[str] = []
    for n, snap in enumerate(entry.snapshots, 1):
        http = dict(snap.http or {})
        out += [f"## Version {n}: capture of {snap.captured_at.iso()}", "", "| | |", "|---|---|"]
        if http:
            out.append(f"| Requested URL | {md(http.get('requested_url', ''))} |")
            out.append(f"| Final URL | {md(http.get('final_url', ''))} |")
            chain = " → ".join(md(u) for u, _s in http.get("redirects") or [])
            if chain:
                out.append(f"| Redirected from | {chain} |")
            out.append(f"| HTTP status | {md(http.get('status', ''))} |")
            out.append(f"| Capture time (UTC) | {md(http.get('fetched_at', snap.captured_at.iso()))} |")
            out.append(f"| Server IP address | {md(http.get('ip') or 'not recorded')} |")
            tls = http.get("tls") or {}
            if tls:
                out.append(f"| TLS | {md(tls.get('version'))}, {md(tls.get('cipher'))}; certificate chain in "
                           f"{code(http.get('tls_chain', ''))} |")
        else:
            out.append(f"| Source | {md(snap.source or 'unknown')} (not fetched from the web by newsarchive) |")
            out.append(f"| Archived at | {md(snap.captured_at.iso())} |")
        out.append(f"| Media type | {md(snap.media_type)} |")
        out.append("")
        out += ["Files of this capture and their SHA-256:", "", "| file | SHA-256 |", "|---|---|"]
        prefix = f"v{n}/"
        for rel, digest in sorted(hashes.items()):
            if rel.startswith(prefix):
                out.append(f"| {code(rel)} | {code(digest)} |")
        out.append("")
        if snap.warc_path:
            warcs.append(snap.warc_path)
        stamp = snap.timestamp or {}
        if stamp:
            stamped.append(str(stamp.get("manifest")))
            out += ["**Trusted timestamp** (RFC 3161):", "",
                    f"- authority: {md(stamp.get('tsa'))}",
                    f"- signed by: {md(stamp.get('signer') or 'see the token')}",
                    f"- time: {md(stamp.get('time'))} (serial {md(stamp.get('serial'))}, policy {md(stamp.get('policy'))})",
                    f"- stamped manifest: {code(stamp.get('manifest'))} (SHA-256 {code(stamp.get('manifest_sha256', ''))})",
                    f"- token: {code(stamp.get('token'))}; the authority's certificates: {code(stamp.get('chain'))}", ""]
        else:
            out += ["**No trusted timestamp**: the time of this capture rests on this archive's word alone "
                    "(`newsarchive timestamp` adds one).", ""]
    events = _history(folder)
    out += ["## Custody log", "", f"{len(events)} events in {code('history.jsonl')}, oldest first:", "",
            "| at | event | details |", "|---|---|---|"]
    for e in events:
        details = ", ".join(f"{k}={v}" for k, v in e.items() if k not in ("at", "action", "prev"))
        out.append(f"| {md(e.get('at', ''))} | {md(e.get('action', ''))} | {md(details[:300])} |")
    out += ["", _checks(entry.id, stamped, warcs), NOT_PROVEN]
    return "\n".join(out)


def _readme(rows: list[tuple[Any, list[str]]], *, created: str, selection: str) -> str:
    out = ["# Evidence package", "",
           f"Made {created} by newsarchive {__version__} from {md(selection)}.", "",
           "This folder is a BagIt bag. Its `data/` holds the captures as a WACZ (`archive.wacz`), each entry "
           "folder exactly as the archive stores it (`entries/ID/`: metadata, custody log, snapshots, WARCs, "
           "TLS certificate chains, trusted timestamps) and one report per entry (`reports/ID.md`) that "
           "explains what was captured and how to check it.", "",
           "| entry | title | cited URL | trusted timestamp |", "|---|---|---|---|"]
    for entry, damage in rows:
        times = [s.timestamp.get("time") for s in entry.snapshots if s.timestamp]
        mark = " (DAMAGED)" if damage else ""
        out.append(f"| [{entry.id}](reports/{entry.id}.md){mark} | {md(entry.title or '')} | {md(entry.url or '')} | "
                   f"{md(', '.join(times) if times else 'none')} |")
    out += ["", "First check the whole package: `bagit.py --validate .` (Python's `bagit`), and "
            "`wacz validate -f data/archive.wacz` (`pip install wacz`). Each report lists the checks of its "
            "entry: the trusted timestamps with `openssl ts -verify`, the hashes with `sha256sum -c`, the "
            "WARCs with `warcio check`, the custody log's hash chain.", "", NOT_PROVEN]
    return "\n".join(out)


def write(store: Any, items: Iterable[tuple[Any, list[str]]], out: Path, *, part: Path | None = None,
          query: str | None = None, ids: Iterable[str] = (), include_damaged: bool = False,
          lock_timeout: float = 30.0) -> int:
    """Write the evidence package of ``items`` to the folder ``out`` (new, or empty)."""
    import bagit

    from . import operator_of
    from . import wacz
    from .custody import record
    from ..errors import StoreError, UsageError
    from ..store import parse_manifest

    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"{out} exists and is not an empty folder; an evidence package needs a new folder")
    rows = list(items)
    if not rows:
        raise UsageError("nothing to export: no entry matched")
    staging = part or out.with_name(f".{out.name}.part")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    operator = operator_of(store.root)
    created = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    ids = list(ids)
    selection = (f"the query {query!r}" if query else f"the entries {', '.join(ids)}" if ids
                 else f"a selection of {len(rows)} entr{'y' if len(rows) == 1 else 'ies'}")
    try:
        wacz.write(store, rows, staging / "archive.wacz", part=staging / ".archive.wacz.part",
                   title=f"Evidence package {created}")
        expected: dict[str, str] = {}
        for entry, damage in rows:
            src = store.entry_dir(entry.id)
            dst = staging / "entries" / entry.id
            try:
                recorded, _bad = parse_manifest((src / "manifest-sha256.txt").read_bytes())
            except OSError:
                recorded = {}
            for rel in _rel_files(src):
                (dst / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src / rel, dst / rel)
                if rel in recorded and not damage:
                    expected[f"data/entries/{entry.id}/{rel}"] = recorded[rel]
            (staging / "reports").mkdir(exist_ok=True)
            text = report(entry, dst, damage=damage, hashes=recorded, operator=operator)
            (staging / "reports" / f"{entry.id}.md").write_text(text + "\n", "utf-8")
        (staging / "README.md").write_text(_readme(rows, created=created, selection=selection) + "\n", "utf-8")
        info = {"Source-Organization": operator or "newsarchive collection",
                "Bag-Software-Agent": f"newsarchive/{__version__} (bagit {getattr(bagit, 'VERSION', '')})".replace(" ()", ""),
                "External-Description": f"Evidence package: {len(rows)} archived news entr{'y' if len(rows) == 1 else 'ies'} "
                                        "with captures, trusted timestamps, custody logs and reports",
                "External-Identifier": ", ".join(e.id for e, _d in rows)[:900]}
        damaged = [e.id for e, d in rows if d]
        if damaged:
            info["Newsarchive-Damaged-Entries"] = ", ".join(damaged)
        bag = bagit.make_bag(str(staging), info, checksums=["sha256", "sha512"])
        for rel, digest in expected.items():  # the copies are what the archive recorded
            if bag.entries.get(rel, {}).get("sha256") != digest:
                raise StoreError(f"{rel} changed while it was copied (SHA-256 differs from the archive's record); "
                                 "nothing was exported")
        try:
            bag.validate()
        except bagit.BagError as exc:
            raise StoreError(f"the package does not validate: {exc}") from None
        tag_sha = hashlib.sha256((staging / "tagmanifest-sha256.txt").read_bytes()).hexdigest()
        if out.exists():
            out.rmdir()
        os.rename(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    good = [e.id for e, d in rows if not d]
    failed = record(store, good, {"action": "export", "to": "evidence", "package": str(out.resolve()),
                                  "tagmanifest_sha256": tag_sha}, lock_timeout=lock_timeout)
    if failed:
        from ..store import log

        for entry_id, why in failed:
            log.warning("entry %s: the export could not be recorded in its custody log (%s)", entry_id, why)
    return len(rows)
