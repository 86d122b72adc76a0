"""Reuters-21578 (SGML) -> JSONL in newsarchive's import format.

    python bench/reuters.py [SGML_DIR] [-o bench/data/reuters.jsonl]

One object per line: title, authors, outlet "Reuters", kind "news agency", published (ISO,
from <DATE> such as "26-FEB-1987 15:01:01.79"), text (the <BODY>), tags (<TOPICS>).
Only documents with a TITLE, a DATE and a BODY are written (19,043 of 21,578).
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import re
import sys
from pathlib import Path
from typing import Iterator

HERE = Path(__file__).resolve().parent
DEFAULT_SRC = HERE.parent.parent / "shared" / "fixtures" / "reuters21578"
DEFAULT_OUT = HERE / "data" / "reuters.jsonl"

_DOC = re.compile(r"<REUTERS\b([^>]*)>(.*?)</REUTERS>", re.S)
_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MONTHS = {m: i for i, m in enumerate(
    "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), 1)}


def _tag(block: str, name: str) -> str | None:
    m = re.search(rf"<{name}\b[^>]*>(.*?)</{name}>", block, re.S)
    return m.group(1) if m else None


def _clean(text: str) -> str:
    text = html.unescape(text)
    return _CTRL.sub("", text)


def _date(raw: str) -> str | None:
    """"26-FEB-1987 15:01:01.79" -> "1987-02-26T15:01:01"; a garbled time keeps the day only."""
    m = re.match(r"\s*(\d{1,2})-([A-Z]{3})-(\d{4})(?:\s+(\d+):(\d+):(\d+))?", raw.upper())
    if not m or m.group(2) not in _MONTHS:
        return None
    d, mon, y, hh, mm, ss = m.groups()
    try:
        day = dt.date(int(y), _MONTHS[mon], int(d))
    except ValueError:
        return None
    try:
        return dt.datetime(day.year, day.month, day.day, int(hh), int(mm), int(ss)).isoformat()
    except (TypeError, ValueError):
        return day.isoformat()


def _authors(raw: str | None) -> list[str]:
    if not raw:
        return []
    a = " ".join(_clean(raw).split())
    a = re.sub(r"^by\s+", "", a, flags=re.I)
    a = re.sub(r",?\s*reuters?(\s+\w+)*$", "", a, flags=re.I)  # ", Reuters", ", Reuter" ...
    names = [n.strip(" ,.") for n in re.split(r"\s+and\s+|,", a) if n.strip(" ,.")]
    return [n.title() if n.isupper() else n for n in names]


def _body(raw: str) -> str:
    body = _clean(raw).strip()
    body = re.sub(r"\s*Reuter\s*$", "", body)
    return body


def convert_file(path: Path) -> Iterator[dict]:
    data = path.read_bytes().decode("latin-1")
    for m in _DOC.finditer(data):
        attrs, block = m.group(1), m.group(2)
        title, date, body = _tag(block, "TITLE"), _tag(block, "DATE"), _tag(block, "BODY")
        if not (title and date and body):
            continue
        published = _date(date)
        if not published:
            continue
        newid = re.search(r'NEWID="(\d+)"', attrs)
        topics = re.findall(r"<D>(.*?)</D>", _tag(block, "TOPICS") or "")
        yield {
            "title": " ".join(_clean(title).split()),
            "authors": _authors(_tag(block, "AUTHOR")),
            "outlet": "Reuters",
            "kind": "news agency",
            "published": published,
            "text": _body(body),
            "tags": [_clean(t) for t in topics],
            "notes": f"Reuters-21578 NEWID {newid.group(1)}" if newid else None,
        }


def convert(src: Path) -> Iterator[dict]:
    files = sorted(src.glob("reut2-*.sgm"))
    if not files:
        raise SystemExit(f"no reut2-*.sgm files in {src}")
    for f in files:
        yield from convert_file(f)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src", nargs="?", type=Path, default=DEFAULT_SRC)
    ap.add_argument("-o", "--output", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with args.output.open("w", encoding="utf-8") as out:
        for doc in convert(args.src):
            out.write(json.dumps(doc, ensure_ascii=False) + "\n")
            n += 1
    print(f"{n} articles -> {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
