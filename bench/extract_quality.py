"""Measure metadata extraction against real pages with known answers (not part of the tests).

    python bench/extract_quality.py [FIXTURES_DIR] [-v]

FIXTURES_DIR defaults to ../shared/fixtures relative to the repository. Corpora:
- html/goose3: NAME.html beside NAME.json ({"url", "expected": {"title", "publish_date", "authors",
  "opengraph": {"site_name"}, ...}}).
- html/newspaper4k: html/NAME.html and metadata/NAME.json (url, title, authors, publish_date,
  meta_site_name, language); its author lists are a library's output and noisy.

Per corpus and field it prints how many pages agree among those where the truth has a value.
Agreement rules: titles compare after folding case, quotes, dashes and spaces, and a reference
title that still carries a site name ("Title - CNN.com") agrees with the same title without it;
published dates agree to the day (as written, no time-zone conversion); the first author agrees
by name, all authors when the whole list agrees name by name, in order; outlets agree when one folded name contains the other; language by primary subtag.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import unicodedata
from pathlib import Path

from newsarchive.dates import parse_date
from newsarchive.extract import extract

FIELDS = ("title", "published", "first_author", "all_authors", "outlet", "language")


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").casefold()
    text = re.sub(r"[‘’`´]", "'", text)
    text = re.sub(r"[“”«»]", '"', text)
    text = re.sub(r"[‐‑‒–—―]", "-", text)
    return " ".join(text.split())


def alnum(text: str) -> str:
    return re.sub(r"[\W_]+", "", fold(text))


_SEP = re.compile(r"\s+(?:[|\-:·•»–—]|--)\s+|\s*[｜：]\s*")


def title_agrees(ours: str | None, truth: str) -> bool:
    if not ours:
        return False
    a, b = fold(ours), fold(truth)
    if a == b:
        return True
    parts = _SEP.split(truth)
    if len(parts) > 1:  # the reference kept a site name before or after a separator
        if alnum(" ".join(parts[:-1])) == alnum(a) or alnum(" ".join(parts[1:])) == alnum(a):
            return True
    return alnum(a) == alnum(b)


def day_of(value) -> str | None:
    if not value:
        return None
    try:
        return parse_date(str(value)).iso()[:10]
    except Exception:
        return None


def name_of(author: dict) -> str:
    if "literal" in author:
        return author["literal"]
    parts = ("given", "dropping_particle", "non_dropping_particle", "family", "suffix")
    return " ".join(author[p] for p in parts if author.get(p))


def outlet_agrees(ours: str | None, truth: str) -> bool:
    if not ours:
        return False
    a, b = alnum(ours), alnum(truth)
    return bool(a and b) and (a == b or a in b or b in a)


def compare(result, truth: dict) -> dict[str, bool | None]:
    f = result.fields
    out: dict[str, bool | None] = {k: None for k in FIELDS}
    if truth.get("title"):
        out["title"] = title_agrees(f.get("title"), truth["title"])
    if truth.get("published"):
        out["published"] = day_of(f.get("published")) == day_of(truth["published"])
    if truth.get("authors"):
        ours = f.get("authors") or []
        out["first_author"] = bool(ours) and fold(name_of(ours[0])) == fold(truth["authors"][0])
        out["all_authors"] = [fold(name_of(a)) for a in ours] == [fold(t) for t in truth["authors"]]
    if truth.get("outlet"):
        out["outlet"] = outlet_agrees(f.get("outlet"), truth["outlet"])
    if truth.get("language"):
        out["language"] = (f.get("language") or "").split("-")[0] == truth["language"].split("-")[0].lower()
    return out


def goose3_cases(root: Path):
    for meta in sorted((root / "html" / "goose3").rglob("*.json")):
        page = meta.with_suffix(".html")
        if not page.exists():
            continue
        data = json.loads(meta.read_text(encoding="utf-8"))
        exp = data.get("expected", data)
        og = exp.get("opengraph") if isinstance(exp.get("opengraph"), dict) else {}
        truth = {
            "title": exp.get("title"),
            "published": exp.get("publish_date"),
            "authors": exp.get("authors") or [],
            "outlet": og.get("site_name"),
            "language": None,
        }
        yield f"goose3/{meta.parent.name}/{meta.stem}", page, data.get("url"), truth


def newspaper4k_cases(root: Path):
    base = root / "html" / "newspaper4k"
    for meta in sorted((base / "metadata").glob("*.json")):
        page = base / "html" / (meta.stem + ".html")
        if not page.exists():
            continue
        data = json.loads(meta.read_text(encoding="utf-8"))
        truth = {
            "title": data.get("title"),
            "published": data.get("publish_date"),
            "authors": data.get("authors") or [],
            "outlet": data.get("meta_site_name"),
            "language": data.get("language") or data.get("meta_lang"),
        }
        yield f"newspaper4k/{meta.stem}", page, data.get("url"), truth


def main(argv: list[str] | None = None) -> int:
    here = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("fixtures", nargs="?", default=str(here.parent / "shared" / "fixtures"))
    ap.add_argument("-v", "--verbose", action="store_true", help="list every disagreement")
    args = ap.parse_args(argv)
    root = Path(args.fixtures)
    if not (root / "html").is_dir():
        print(f"no fixtures at {root}", file=sys.stderr)
        return 2
    for corpus, cases in (("goose3", goose3_cases(root)), ("newspaper4k", newspaper4k_cases(root))):
        tally = {k: [0, 0] for k in FIELDS}
        started, pages = time.perf_counter(), 0
        for name, page, url, truth in cases:
            pages += 1
            result = extract(page.read_bytes(), media_type="text/html", url=url)
            for field, ok in compare(result, truth).items():
                if ok is None:
                    continue
                tally[field][1] += 1
                tally[field][0] += bool(ok)
                if not ok and args.verbose:
                    key = "authors" if field.endswith("_author") or field.endswith("_authors") else field
                    ours = result.fields.get(key)
                    want = truth[key]
                    print(f"  {name}: {field}: got {ours!r} [{result.provenance.get(key)}] want {want!r}")
        elapsed = time.perf_counter() - started
        print(f"{corpus}: {pages} pages, {elapsed:.1f} s")
        for field in FIELDS:
            ok, n = tally[field]
            pct = f"{100 * ok / n:5.1f}%" if n else "    -"
            print(f"  {field:13s} {ok:3d}/{n:<3d} {pct}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
