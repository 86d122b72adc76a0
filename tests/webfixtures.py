"""A small sample collection for the web app's tests (tests/test_web*.py). Every page and text
here is a SAMPLE written for these tests.

- a news page fetched twice from a local web server (127.0.0.1): two versions, each with its
  WARC record; the page carries a script that would mark the document if it ran
- an entry whose title is hostile markup
- two plain-text entries from another outlet (facets)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from newsarchive import api

HOSTILE_TITLE = "<img src=x onerror=alert(1)>"

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>SAMPLE: Belgrade council approves bridge budget</title>
<meta property="og:site_name" content="Sample Herald">
<meta name="author" content="Mara Petrović">
<meta property="article:published_time" content="2024-09-04T10:32:00+02:00">
</head><body>
<article><h1>SAMPLE: Belgrade council approves bridge budget</h1>
<p>{first}</p>
<p>The council said the new bridge over the Sava would open in {year}, and that the budget
covers the approaches as well as the main span. Opposition members asked for the tender
documents to be published in full before any contract is signed.</p>
<p>This is a sample article written for the newsarchive web tests; no such decision exists.</p>
</article>
<script>document.documentElement.setAttribute("data-replay-script", "ran"); document.title = "SCRIPT RAN";</script>
</body></html>
"""

FIRST_V1 = "The city council of Belgrade approved the budget for a new bridge on Tuesday evening."
FIRST_V2 = "The city council of Belgrade approved a larger budget for the new bridge on Tuesday night."


@dataclass
class Sample:
    root: Path
    bridge: str  # two versions, fetched (WARC records)
    hostile: str
    courier: list[str]


def build(root: Path, serve) -> Sample:
    """Fill the collection at ``root``; ``serve`` is tests/conftest.py's local web server fixture."""
    state = {"page": PAGE.format(first=FIRST_V1, year=2026)}
    base = serve(lambda path: (200, {"Content-Type": "text/html; charset=utf-8"}, state["page"].encode()))
    url = f"{base}/world/sample-bridge"
    fields = {"tags": ["sample", "belgrade"], "kind": "news website"}
    first = api.fetch(url)
    bridge = api.add(root, data=first.body, source=first.final_url, fields={**fields, "url": url},
                     media_type=first.media_type, warc=first.warc, http=first.http,
                     captured_at=first.captured_at).entry.id
    state["page"] = PAGE.format(first=FIRST_V2, year=2027)
    second = api.fetch(url)
    again = api.add(root, data=second.body, source=second.final_url, fields={**fields, "url": url},
                    media_type=second.media_type, warc=second.warc, http=second.http,
                    captured_at=second.captured_at)
    assert again.entry.id == bridge and len(again.entry.snapshots) == 2, again.status
    hostile = api.add(root, data=b"SAMPLE hostile title\n\nA sample text about a bridge tender.\n",
                      source="hostile.txt", fields={"title": HOSTILE_TITLE, "outlet": "Sample Courier",
                                                    "published": "2024-05-02", "authors": ["Ana Test"]}).entry.id
    courier = []
    for n, (title, when) in enumerate([("SAMPLE: Tram line extended to the river", "2023-03-10"),
                                        ("SAMPLE: River festival moves to the bridge", "2023-07-21")]):
        courier.append(api.add(root, data=f"{title}\n\nA sample article about the river and a tram, "
                                           f"number {n}.\n".encode(), source=f"courier{n}.txt",
                               fields={"title": title, "outlet": "Sample Courier", "published": when,
                                       "tags": ["transport"]}).entry.id)
    return Sample(root=root, bridge=bridge, hostile=hostile, courier=courier)
