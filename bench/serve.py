"""Latency of `newsarchive serve`'s search page against `newsarchive search` in-process.

    python bench/serve.py                        # Reuters-21578 imported into a temporary collection
    python bench/serve.py --root COLLECTION      # an existing collection (nothing is written to it)
    python bench/serve.py --reuters DIR --keep /tmp/reuters-coll   # keep the collection for reruns

For each query (a fixed set of everyday and fielded queries, plus words from article titles),
it measures, warm, in the same run:

- baseline: ``api.search`` as ``newsarchive search`` calls it (20 hits, snippets, no facets);
- the same call with the five facets the search page shows;
- the search page itself, ``GET /search?q=...`` over HTTP from a uvicorn server on 127.0.0.1
  (parse, search, facets, snippets, template, headers, the socket);
- the browse-all home page ``GET /`` and entry pages ``GET /entries/ID`` (seven citation
  styles, history, hashes).

Prints p50 and p95 in milliseconds. Medians: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))

from newsarchive import api  # noqa: E402

FIXED = ["oil prices", "coffee", "wheat exports", "bank rate cut", "trade deficit", "opec OR crude",
         '"interest rates"', "title:dollar", "tag:grain", "published:1987-03 crude", "gold -silver",
         "earnings per share", "japan semiconductors", "sugar~", "merg*"]


def title_queries(root: Path, n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    entries = api.list_entries(root, sort="id")
    out = []
    for e in rng.sample(entries, min(n, len(entries))):
        words = [w for w in (e.title or "").split() if w.isalpha() and len(w) > 3]
        if len(words) >= 2:
            out.append(" ".join(rng.sample(words, 2)).lower())
    return out


def percentiles(times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    return f"p50 {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms   (n={len(ms)})"


def timed(fn, items, repeat: int) -> list[float]:
    for item in items:  # warm-up
        fn(item)
    out = []
    for _ in range(repeat):
        for item in items:
            t = time.perf_counter()
            fn(item)
            out.append(time.perf_counter() - t)
    return out


def import_reuters(src: Path, dest: Path) -> None:
    sys.path.insert(0, str(HERE))
    import reuters

    jsonl = dest.parent / "reuters.jsonl"
    with jsonl.open("w", encoding="utf-8") as out:
        for doc in reuters.convert(src):
            out.write(json.dumps(doc, ensure_ascii=False) + "\n")
    api.init(dest)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "newsarchive", "--root", str(dest), "import", str(jsonl)],
                   check=True, stdout=subprocess.DEVNULL)
    print(f"imported {src} into {dest} in {time.perf_counter() - t:.0f} s", file=sys.stderr)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, help="an existing collection")
    ap.add_argument("--reuters", type=Path, default=ROOT.parent.parent / "shared" / "fixtures" / "reuters21578")
    ap.add_argument("--keep", type=Path, help="import Reuters here (and keep it) instead of a temporary folder")
    ap.add_argument("--titles", type=int, default=25, help="queries made from article titles")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    tmp = None
    root = args.root
    if root is None:
        if args.keep is not None and (args.keep / "archive").is_dir():
            root = args.keep
        else:
            if args.keep is None:
                tmp = tempfile.TemporaryDirectory(prefix="newsarchive-bench-serve-")
            base = args.keep or Path(tmp.name) / "coll"
            base.parent.mkdir(parents=True, exist_ok=True)
            import_reuters(args.reuters, base)
            root = base
    root = root.resolve()
    status = api.status(root)
    queries = FIXED + title_queries(root, args.titles)
    print(f"collection {root}: {status.entries} entries, engine {status.engine}; {len(queries)} queries "
          f"x {args.repeat}")

    import httpx
    import uvicorn

    from newsarchive.web import create_app
    from newsarchive.web.server import bind

    sock = bind("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(create_app(root), log_level="warning", access_log=False,
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    client = httpx.Client(base_url=base, timeout=60)
    for _ in range(100):
        try:
            client.get("/static/style.css")
            break
        except httpx.TransportError:
            time.sleep(0.05)

    def page(q: str) -> None:
        r = client.get("/search?" + urllib.parse.urlencode({"q": q}))
        assert r.status_code == 200, (q, r.status_code)

    baseline = timed(lambda q: api.search(root, q, limit=20, snippets=True), queries, args.repeat)
    faceted = timed(lambda q: api.search(root, q, limit=20, snippets=True, facets=api.FACETS), queries, args.repeat)
    pages = timed(page, queries, args.repeat)
    home = timed(lambda _: client.get("/"), [None], 5)
    ids = [h.id for h in api.search(root, "oil", limit=10).hits]
    entry_pages = timed(lambda i: client.get(f"/entries/{i}"), ids, 1)
    print(f"newsarchive search (api, in-process)  {percentiles(baseline)}")
    print(f"  + the five facets                    {percentiles(faceted)}")
    print(f"GET /search?q=... (HTTP, whole page)   {percentiles(pages)}")
    print(f"GET / (browse all, newest first)       {percentiles(home)}")
    print(f"GET /entries/ID (7 citation styles)    {percentiles(entry_pages)}")
    client.close()
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
