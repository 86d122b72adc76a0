"""Every byline-like string in the real pages, and the people we read from it, for checking by
eye (not part of the tests).

    python bench/byline_strings.py [FIXTURES_DIR]

Collects, from each page under FIXTURES_DIR/html (default ../shared/fixtures): the author meta
tags (author, article:author, byl, sailthru.author, parsely-author) and the text of elements
marked byline / author-name / rel=author / itemprop=author (under 160 characters). Prints each
distinct string once with what ``bylines.clean_byline`` makes of it, then how many strings gave
how many names. Compare two versions of the code with ``diff`` on this output.
"""

from __future__ import annotations

import sys
from pathlib import Path

from newsarchive.extract.bylines import clean_byline

XPATH_META = ('//meta[@name="author" or @property="article:author" or @name="byl" or '
              '@name="sailthru.author" or @name="parsely-author"]/@content')
XPATH_ELEMENTS = ('//*[contains(@class,"byline") or contains(@class,"author-name") or @rel="author" '
                  'or @itemprop="author"]')


def main(argv: list[str] | None = None) -> int:
    from lxml import html as lxml_html

    here = Path(__file__).resolve().parent.parent
    args = argv if argv is not None else sys.argv[1:]
    root = Path(args[0]) if args else here.parent / "shared" / "fixtures"
    if not (root / "html").is_dir():
        print(f"no fixtures at {root}", file=sys.stderr)
        return 2
    seen: set[str] = set()
    strings = names = 0
    for page in sorted((root / "html").rglob("*.html")):
        try:
            doc = lxml_html.fromstring(page.read_bytes())
        except Exception:
            continue
        found = list(doc.xpath(XPATH_META))
        for el in doc.xpath(XPATH_ELEMENTS):
            text = " ".join(el.text_content().split())
            if 0 < len(text) < 160:
                found.append(text)
        for text in found:
            if text in seen:
                continue
            seen.add(text)
            got = [a.display for a in clean_byline(text)]
            strings += 1
            names += len(got)
            print(f"{page.name[:28]:28s} {text[:90]!r:92s} -> {got}")
    print(f"{strings} distinct strings, {names} names read")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
