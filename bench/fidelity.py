"""Fidelity on the world's data: every fixture through import, every export format, the real
consumers of each format, and the round trip back.

    python bench/fidelity.py [--fixtures ../shared/fixtures] [--sample 1000 | --all] [--only NAME]

For each input (each ``bib/*.bib``, each file in ``warc/``, the ``html/goose3`` and
``html/newspaper4k/html`` folders, the ``bbc`` folder, Reuters-21578 converted to JSONL by
bench/reuters.py, and the ``seed`` folder) it imports into an empty collection (in-process,
through ``api.import_file``), then exports in every format and gives each export to its real
consumers:

  bibtex, biblatex  pandoc -f bibtex|biblatex -t csljson (entries accepted); for biblatex also
                    ``biber --tool --validate-datamodel`` (data-model warnings) when biber exists
  csl-json          pandoc -f csljson -t csljson
  ris               rispy (entries read); pandoc when it has a RIS reader (3.0 and later)
  jsonl, csv        Python's json / csv modules
  warc              warcio's own checker (``warcio check``), in-process
  bagit             bagit.Bag(...).validate()

and re-imports each bibliographic export (bibtex, biblatex, csl-json, ris, jsonl, csv) into an
empty collection, comparing per entry (matched by citation key) title, authors, full date
(``published`` exactly), outlet and URL. It prints one row per (input, format): records in,
entries kept, consumer accepted/total, warnings (import failures, export repairs, consumer
warnings) and the fields lost in the round trip (``date:12`` = 12 entries came back with
another date or none; ``time:5`` = 5 came back with the day but not the time of day;
``missing:3`` = 3 entries were not created again, e.g. reported as duplicates).

Large inputs are sampled: the first ``--sample`` records of Reuters and files of the BBC folder
(default 1000); ``--all`` takes everything. Tools: pandoc and biber from apt
(``apt-get install -y pandoc biber``), rispy from PyPI (``pip install rispy``); a missing tool
shows as ``n/a``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import redirect_stdout
from pathlib import Path
from types import SimpleNamespace

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
DEFAULT_FIXTURES = next((p for p in (HERE.parent.parent / "shared" / "fixtures",
                                      HERE.parent.parent.parent / "shared" / "fixtures") if p.is_dir()),
                        HERE.parent.parent / "shared" / "fixtures")
FORMATS = ("bibtex", "biblatex", "csl-json", "ris", "jsonl", "csv", "warc", "bagit")
REIMPORT = {"bibtex": ".bib", "biblatex": ".bib", "csl-json": ".json", "ris": ".ris", "jsonl": ".jsonl",
            "csv": ".csv"}
SUFFIX = {**REIMPORT, "warc": ".warc.gz", "bagit": ""}
COMPARED = ("title", "authors", "date", "outlet", "url")


# --------------------------------------------------------------------------- inputs

def inputs(fixtures: Path, sample: int | None, work: Path, only: list[str]) -> list[tuple[str, Path, str | None]]:
    """(name, path, --from format) for every fixture (whose name contains one of ``only``, when
    given); large inputs sampled into ``work``."""
    out: list[tuple[str, Path, str | None]] = []

    def wanted(name: str) -> bool:
        return not only or any(o in name for o in only)

    for p in sorted((fixtures / "bib").glob("*.bib")):
        out.append((f"bib/{p.name}", p, "bibtex"))
    for p in sorted((fixtures / "warc").iterdir()):
        if p.is_file() and not p.name.startswith("."):
            out.append((f"warc/{p.name}", p, "warc"))
    for name in ("html/goose3", "html/newspaper4k/html"):
        if (fixtures / name).is_dir():
            out.append((name, fixtures / name, "folder"))
    bbc = fixtures / "bbc"
    if bbc.is_dir() and wanted("bbc"):
        files = sorted(p for p in bbc.rglob("*") if p.is_file() and not p.name.startswith("."))
        if sample is not None and len(files) > sample:
            dest = work / "bbc-sample"
            for p in files[:sample]:
                target = dest / p.relative_to(bbc)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(p, target)
            out.append((f"bbc (first {sample})", dest, "folder"))
        else:
            out.append(("bbc", bbc, "folder"))
    reuters = fixtures / "reuters21578"
    if reuters.is_dir() and wanted("reuters"):
        import reuters as reuters_mod

        dest = work / "reuters.jsonl"
        n = 0
        with open(dest, "w", encoding="utf-8") as fh:
            for doc in reuters_mod.convert(reuters):
                fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
                n += 1
                if sample is not None and n >= sample:
                    break
        out.append((f"reuters (first {n})" if sample is not None else "reuters", dest, "jsonl"))
    if (fixtures / "seed").is_dir():
        out.append(("seed", fixtures / "seed", "folder"))
    return [item for item in out if wanted(item[0])]


# --------------------------------------------------------------------------- consumers

def _run(cmd: list[str], *, cwd: Path | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=timeout)


def _pandoc_formats() -> set[str]:
    if shutil.which("pandoc") is None:
        return set()
    return set(_run(["pandoc", "--list-input-formats"]).stdout.split())


def pandoc_count(path: Path, reader: str, readers: set[str]) -> tuple[int | None, int]:
    """Entries pandoc reads from ``path`` (converted to CSL JSON), and its warning lines."""
    if reader not in readers:
        return None, 0
    run = _run(["pandoc", "-f", reader, "-t", "csljson", str(path)])
    warnings = sum(1 for line in run.stderr.splitlines() if line.strip())
    if run.returncode != 0:
        return 0, warnings
    try:
        return len(json.loads(run.stdout or "[]")), warnings
    except json.JSONDecodeError:
        return 0, warnings


def biber_check(path: Path, work: Path) -> tuple[str | None, int]:
    """``biber --tool --validate-datamodel``: "ok"/"error", and the number of WARN/ERROR lines."""
    if shutil.which("biber") is None:
        return None, 0
    tmp = work / "biber"
    tmp.mkdir(exist_ok=True)
    local = tmp / "in.bib"
    shutil.copyfile(path, local)
    run = _run(["biber", "--tool", "--validate-datamodel", "--nolog", "--output-directory", str(tmp), str(local)],
               cwd=tmp)
    lines = (run.stdout + run.stderr).splitlines()
    problems = sum(1 for line in lines if " WARN " in line or " ERROR " in line)
    return ("ok" if run.returncode == 0 else "error"), problems


def rispy_count(path: Path) -> int | None:
    try:
        import rispy
    except ImportError:
        return None
    with open(path, encoding="utf-8") as fh:
        try:
            return len(rispy.load(fh))
        except Exception:  # noqa: BLE001 - a consumer refusing the file is the figure
            return 0


def warc_check(path: Path) -> tuple[int, int]:
    """(records that pass warcio's checker, records) for an exported WARC."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.checker import Checker

    buf = io.StringIO()
    with redirect_stdout(buf):
        code = Checker(SimpleNamespace(inputs=[str(path)], verbose=False)).process_all()
    failed = buf.getvalue().count("digest failed") + buf.getvalue().count("ArchiveLoadFailed")
    with open(path, "rb") as fh:
        total = sum(1 for _ in ArchiveIterator(fh))
    return (total - failed if code else total), total


def bag_check(path: Path) -> str:
    import bagit

    try:
        bagit.Bag(str(path)).validate()
        return "valid"
    except Exception as exc:  # noqa: BLE001
        return f"invalid ({exc.__class__.__name__})"


# --------------------------------------------------------------------------- comparison

def _authors(value) -> list[str]:
    return [" ".join(str(a.get(k) or "") for k in ("literal", "family", "given")).strip() for a in value or []]


def signature(entry_json: dict) -> dict[str, object]:
    return {"title": entry_json.get("title") or None, "authors": _authors(entry_json.get("authors")) or None,
            "date": entry_json.get("published") or None, "outlet": entry_json.get("outlet") or None,
            "url": entry_json.get("url") or None}


def lost_fields(before: dict[str, dict], after: dict[str, dict]) -> Counter:
    """Per compared field, entries whose value is not the same after the round trip (entries
    that did not come back at all count under ``missing``)."""
    lost: Counter = Counter()
    for key, sig in before.items():
        other = after.get(key)
        if other is None:
            lost["missing"] += 1
            continue
        for f in COMPARED:
            if sig[f] is not None and sig[f] != other[f]:
                if f == "date" and other[f] and str(sig[f])[:10] == str(other[f])[:10]:
                    lost["time"] += 1  # the day came back, the time of day did not
                else:
                    lost[f] += 1
    return lost


def entries_by_key(root: Path) -> dict[str, dict]:
    from newsarchive import api

    return {e.citekey: signature(e.to_json()) for e in api.select(root, None)}


def run_import(root: Path, path: Path, fmt: str | None) -> Counter:
    from newsarchive import api

    counts: Counter = Counter()
    try:
        for outcome in api.import_file(root, path, source_format=fmt):
            counts[outcome.status] += 1
    except Exception as exc:  # noqa: BLE001 - a whole file refused is a figure too
        counts["refused: " + exc.__class__.__name__] += 1
    return counts


# --------------------------------------------------------------------------- main

def measure(name: str, path: Path, fmt: str | None, work: Path, readers: set[str]) -> list[dict]:
    from newsarchive import api

    rows: list[dict] = []
    root = api.init(work / "coll")
    counts = run_import(root, path, fmt)
    records = sum(counts.values())
    failed = sum(v for k, v in counts.items() if k == "failed" or k.startswith("refused"))
    before = entries_by_key(root)
    if not before:  # nothing was archived: nothing to export
        shutil.rmtree(root, ignore_errors=True)
        return [{"input": name, "format": to, "records": records, "kept": 0, "consumer": "(no entries)",
                 "warnings": failed, "lost": ""} for to in FORMATS]
    for to in FORMATS:
        out = work / f"export-{to}{SUFFIX[to]}"
        notes: list[str] = []
        t0 = time.perf_counter()
        try:
            exported = api.export(root, to=to, out=out, notify=notes.append)
        except Exception as exc:  # noqa: BLE001
            rows.append({"input": name, "format": to, "records": records, "kept": len(before),
                         "consumer": f"export failed: {exc}", "warnings": failed, "lost": ""})
            continue
        consumer, warnings = _consume(to, out, exported, work, readers)
        lost = ""
        if to in REIMPORT and exported:
            back = api.init(work / f"back-{to}")
            back_counts = run_import(back, out, None)
            warnings += back_counts.get("failed", 0)
            diff = lost_fields(before, entries_by_key(back))
            lost = " ".join(f"{k}:{v}" for k, v in sorted(diff.items())) or "none"
            shutil.rmtree(back, ignore_errors=True)
        rows.append({"input": name, "format": to, "records": records, "kept": exported,
                     "consumer": consumer, "warnings": failed + len(notes) + warnings, "lost": lost,
                     "seconds": round(time.perf_counter() - t0, 1)})
        if out.is_dir():
            shutil.rmtree(out, ignore_errors=True)
        else:
            out.unlink(missing_ok=True)
        shutil.rmtree(Path(str(out) + ".files"), ignore_errors=True)
    shutil.rmtree(root, ignore_errors=True)
    return rows


def _consume(to: str, out: Path, exported: int, work: Path, readers: set[str]) -> tuple[str, int]:
    if to in ("bibtex", "biblatex", "csl-json"):
        n, warnings = pandoc_count(out, {"csl-json": "csljson"}.get(to, to), readers)
        text = "pandoc n/a" if n is None else f"pandoc {n}/{exported}"
        if to == "biblatex":
            status, problems = biber_check(out, work)
            text += "; biber n/a" if status is None else f"; biber {status} ({problems} warn)"
            warnings += problems
        return text, warnings
    if to == "ris":
        n = rispy_count(out)
        text = "rispy n/a" if n is None else f"rispy {n}/{exported}"
        pn, warnings = pandoc_count(out, "ris", readers)
        text += "; pandoc: no RIS reader" if pn is None else f"; pandoc {pn}/{exported}"
        return text, warnings
    if to == "jsonl":
        with open(out, encoding="utf-8") as fh:
            n = sum(1 for line in fh if json.loads(line))
        return f"json {n}/{exported}", 0
    if to == "csv":
        with open(out, encoding="utf-8", newline="") as fh:
            n = sum(1 for _ in csv.DictReader(fh))
        return f"csv {n}/{exported}", 0
    if to == "warc":
        ok, total = warc_check(out)
        return f"warcio check {ok}/{total} records", total - ok
    if to == "bagit":
        result = bag_check(out)
        return f"bagit {result}", 0 if result == "valid" else 1
    return "", 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fixtures", type=Path, default=DEFAULT_FIXTURES)
    ap.add_argument("--sample", type=int, default=1000, help="records of Reuters / files of BBC (default 1000)")
    ap.add_argument("--all", action="store_true", help="every record of every input")
    ap.add_argument("--only", action="append", default=[], help="only inputs whose name contains this")
    ap.add_argument("--json", type=Path, help="also write the rows as JSON")
    args = ap.parse_args(argv)
    readers = _pandoc_formats()
    rows: list[dict] = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fidelity-") as tmp:
        work = Path(tmp)
        for name, path, fmt in inputs(args.fixtures, None if args.all else args.sample, work, args.only):
            case = work / "case"
            case.mkdir()
            rows.extend(measure(name, path, fmt, case, readers))
            shutil.rmtree(case, ignore_errors=True)
            _print_rows(rows[-len(FORMATS):], header=len(rows) == len(FORMATS))
    print(f"\n{len(rows)} rows in {time.perf_counter() - t0:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


def _print_rows(rows: list[dict], *, header: bool) -> None:
    if header:
        print("| input | format | records in | entries kept | consumer accepted/total | warnings | fields lost in round trip |")
        print("|---|---|---:|---:|---|---:|---|")
    for r in rows:
        print(f"| {r['input']} | {r['format']} | {r['records']} | {r['kept']} | {r['consumer']} | "
              f"{r['warnings']} | {r['lost']} |", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
