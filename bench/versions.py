"""`search --all-versions`: the older-versions index against the in-memory index every query
built before it (the baseline, still reachable as ``backend.search(older_versions=...)``).

    python bench/versions.py                       # 2,000 entries, 500 with 3 versions, both engines
    python bench/versions.py --entries 2000 --versioned 500 --versions 3 --runs 7 --engine tantivy

Builds a collection through the import pipeline (synthetic 300-word articles; a versioned
article gets new versions by importing the same URL with part of its text rewritten), then
for each query measures, in the same process and on the same collection:

- plain search (no --all-versions), for reference;
- ``api.search(..., all_versions=True)``: the older-versions index;
- the old path: what ``api.search`` did before (read the catalog, every entry with several
  versions and their texts, index them in memory, search): ``backend.search(older_versions=...)``.

and the wall time of a separate process running one ``newsarchive search --all-versions``
(cold) against the same process running the old path. Prints medians over the runs (each run
goes through every query; the figure per query is its median, the table gives the median over
queries). Also: the time to build the older-versions index of a collection indexed without one
(what the first --all-versions search does after an upgrade), and reindex with it.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from newsarchive import api  # noqa: E402
from newsarchive.formats.records import Record  # noqa: E402
from newsarchive.search import engines  # noqa: E402


def rewrite(text: str, rng: random.Random, donor: str) -> str:
    """``text`` with about a third of its sentences replaced by sentences of ``donor``."""
    mine, theirs = text.split(". "), donor.split(". ")
    for i in rng.sample(range(len(mine)), max(1, len(mine) // 3)):
        mine[i] = rng.choice(theirs)
    return ". ".join(mine)


def build(root: Path, *, entries: int, versioned: int, versions: int, engine: str, seed: int = 5) -> list[str]:
    """A collection; returns words that only older versions of versioned entries contain."""
    import synthetic

    rng = random.Random(seed)
    arts = list(synthetic.generate(entries + 50, words=300, seed=1, vocab_size=20_000))
    donors = arts[entries:]
    arts = arts[:entries]
    api.init(root, engine=engine)

    def records(items):
        for i, a, text in items:
            yield Record(ref=f"a{i}", fields={"title": a["title"], "outlet": a["outlet"], "published": a["published"],
                                            "url": f"https://bench.example/article/{i}"},
                         data=text.encode("utf-8"), media_type="text/plain", source=f"a{i}.txt")

    texts = {i: a["text"] for i, a in enumerate(arts)}
    list(api.ingest_records(root, records((i, a, texts[i]) for i, a in enumerate(arts))))
    chosen = rng.sample(range(entries), versioned)
    first = {i: set(texts[i].lower().replace(".", " ").split()) for i in chosen}
    for _v in range(2, versions + 1):
        for i in chosen:
            texts[i] = rewrite(texts[i], rng, rng.choice(donors)["text"])
        out = list(api.ingest_records(root, records((i, arts[i], texts[i]) for i in chosen)))
        assert sum(o.status == "new-version" for o in out) == versioned, {o.status for o in out}
    newest = set()
    for t in texts.values():
        newest |= set(t.lower().replace(".", " ").split())
    only_old = sorted({w for ws in first.values() for w in ws if w not in newest and len(w) > 3})
    return only_old


def old_path(root: Path, query: str, *, limit: int = 20):
    """What api.search(all_versions=True) did before the older-versions index."""
    from newsarchive.api.indexing import body_text, ensure_index
    from newsarchive.api.searching import _older_versions
    from newsarchive.catalog import read_or_skip

    coll = api.Collection(root)
    store = coll.store
    ensure_index(store)

    def load_body(entry_id):
        entry = read_or_skip(store, entry_id, None)
        return body_text(store, entry) if entry is not None else ""

    return coll.backend.search(query, limit=limit, snippets=True, body_loader=load_body, all_versions=True,
                               older_versions=_older_versions(store))


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def cold(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t0


def ms(x: float) -> str:
    return f"{x * 1000:8.1f}"


def run_engine(engine: str, args, tmp: Path) -> None:
    root = tmp / f"coll-{engine}"
    t0 = time.perf_counter()
    only_old = build(root, entries=args.entries, versioned=args.versioned, versions=args.versions, engine=engine)
    built = time.perf_counter() - t0
    rng = random.Random(11)
    queries = rng.sample(only_old, min(len(only_old), args.queries // 2))
    queries += ["government market", "election", "officials said", "prices", "police report"][: args.queries - len(queries)]
    # the two paths agree on what they find (scores may differ after incremental writes)
    for q in queries:
        a = api.search(root, q, all_versions=True, limit=20)
        b = old_path(root, q)
        assert a.total == b.total and {(h.id, h.version) for h in a.hits} == {(h.id, h.version) for h in b.hits}, q
    per = {"plain": {q: [] for q in queries}, "index": {q: [] for q in queries}, "memory": {q: [] for q in queries}}
    for _ in range(args.runs):
        for q in queries:
            per["plain"][q].append(timed(lambda: api.search(root, q, limit=20)))
            per["index"][q].append(timed(lambda: api.search(root, q, all_versions=True, limit=20)))
            per["memory"][q].append(timed(lambda: old_path(root, q)))
    med = {k: statistics.median(statistics.median(v) for v in d.values()) for k, d in per.items()}
    worst = {k: max(statistics.median(v) for v in d.values()) for k, d in per.items()}
    q = queries[0]
    exe = [sys.executable, "-m", "newsarchive", "--root", str(root), "search", q, "--all-versions"]
    legacy = [sys.executable, str(Path(__file__).resolve()), "--old-path", str(root), q]
    cold_new = statistics.median(cold(exe) for _ in range(args.cold_runs))
    cold_old = statistics.median(cold(legacy) for _ in range(args.cold_runs))
    # an index built without older versions (an upgrade): the first --all-versions search builds it
    from newsarchive.api.indexing import ensure_older

    store = api.open_store(root)
    backend = engines.for_store(store)
    meta = root / "index" / {"whoosh": "index.json", "tantivy": "tantivy.json"}[engine]
    m = json.loads(meta.read_text())
    shutil.rmtree(root / "index" / m.pop("older"))
    meta.write_text(json.dumps(m))
    upgrade = timed(lambda: ensure_older(store))
    reindex = timed(lambda: api.reindex(root))
    # engine-only costs of keeping older versions: a rebuild, and one writer commit of an entry
    # with versions (as `add` of a changed page makes), each with and without them
    from newsarchive.api.indexing import body_text, older_versions

    entries = [store.read(i) for i in store.ids()]
    docs = [(e, body_text(store, e)) for e in entries]
    olders = {e.id: older_versions(store, e) for e in entries if len(e.snapshots) > 1}
    rebuild_without = statistics.median(timed(lambda: backend.rebuild(docs)) for _ in range(3))
    rebuild_with = statistics.median(timed(lambda: backend.rebuild(docs, older=lambda e: olders.get(e.id, [])))
                                     for _ in range(3))
    versioned = [(e, b) for e, b in docs if e.id in olders][:15]

    def commit(e, b, older):
        with backend.writer() as w:
            w.upsert(e, b, older=older)

    write_without = statistics.median(timed(lambda: commit(e, b, None)) for e, b in versioned)
    write_with = statistics.median(timed(lambda: commit(e, b, olders[e.id])) for e, b in versioned)
    api.reindex(root)
    n_old = sum(len(v) for v in backend.older_fingerprints().values())
    print(f"\n{engine}: {args.entries} entries, {args.versioned} with {args.versions} versions "
          f"({n_old} older versions indexed); collection built in {built:.1f} s; "
          f"{len(queries)} queries x {args.runs} runs")
    print(f"{'':38}{'median ms':>10}{'worst query':>13}")
    print(f"{'plain search':38}  {ms(med['plain'])}  {ms(worst['plain'])}")
    print(f"{'--all-versions, older-versions index':38}  {ms(med['index'])}  {ms(worst['index'])}")
    print(f"{'--all-versions, in memory (before)':38}  {ms(med['memory'])}  {ms(worst['memory'])}")
    print(f"{'  speed-up':38}  {med['memory'] / med['index']:8.1f}x")
    print(f"cold process, one --all-versions search: {cold_new * 1000:.0f} ms (before: {cold_old * 1000:.0f} ms), "
          f"median of {args.cold_runs}")
    print(f"building the older-versions index of an upgraded collection: {upgrade:.2f} s; reindex: {reindex:.2f} s")
    print(f"engine only: rebuild {rebuild_with:.2f} s with older versions, {rebuild_without:.2f} s without; "
          f"one commit of an entry with {args.versions} versions {write_with * 1000:.0f} ms, "
          f"{write_without * 1000:.0f} ms without its older versions (medians)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, default=2000)
    ap.add_argument("--versioned", type=int, default=500)
    ap.add_argument("--versions", type=int, default=3)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cold-runs", type=int, default=3)
    ap.add_argument("--queries", type=int, default=10)
    ap.add_argument("--engine", choices=["whoosh", "tantivy", "both"], default="both")
    ap.add_argument("--old-path", nargs=2, metavar=("ROOT", "QUERY"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    # the in-memory path's Whoosh writer keeps temporary files in $TMPDIR/MAIN.tmp, a folder
    # every process shares (one that finishes removes it under the others): a private one here
    tempfile.tempdir = tempfile.mkdtemp(prefix="na-versions-tmp-")
    if args.old_path:  # one search the old way, in a fresh process (the cold baseline)
        old_path(Path(args.old_path[0]), args.old_path[1])
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="na-versions-"))
    try:
        for engine in (["whoosh", "tantivy"] if args.engine == "both" else [args.engine]):
            run_engine(engine, args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
