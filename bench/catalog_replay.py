"""The catalog's own CPU in a bulk import, by two builds in turn (A B A B ...), apart from the rest.

    python bench/catalog_replay.py main=/work/main/src mine=src [--jsonl FILE] [--rounds 5]

Each side is NAME=SRC (a checkout's ``src`` folder, first on ``PYTHONPATH``). Per round and side,
one child process replays what an import asks of the catalog for each record of the file, in
batches as ``import`` makes them (``--batch``, default the tantivy engine's 2,000): ``find_sha``
and ``find_url`` of the record, its citekey (``Ingest.citekey_base``, ``unique_citekey`` against
the catalog), ``new_id``, ``add`` of the entry, the batch's ``note_archive`` and commit, then
``record_written`` as the index session tells it. Nothing is extracted, written to the archive
or indexed: the entries are made from the record's fields and text before the clock runs.
Printed per side: the medians over the rounds of the CPU time (user + system) of the catalog
calls, per record, and the ratio to the first side; the citekeys and duplicate counts of both
sides must be equal.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHILD = r"""
import hashlib, json, sys, time
from pathlib import Path
from newsarchive import api, store as st
from newsarchive.api.ingest import Ingest
from newsarchive.model import Entry
from newsarchive.normalize import normalise_fields, unique_citekey
root, src, size = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
api.init(root, engine="tantivy")
store = st.Store(root)
ingest = Ingest(store, durable=False)
cat = ingest.catalog
records = []
for line in src.read_text(encoding="utf-8").splitlines():
    raw = json.loads(line)
    text = raw.pop("text", "") or ""
    fields = {k: v for k, v in normalise_fields(raw).items() if v not in (None, [], "")}
    records.append((fields, hashlib.sha256(text.encode()).hexdigest(), len(text)))
clock = time.process_time
spent, keys, dupes, token = 0.0, [], 0, 0
for at in range(0, len(records), size):
    written = {}
    with store.lock():
        t = clock()
        cat.refresh(store, locked=True)
        with cat.hold_lines():
            spent += clock() - t
            for n, (fields, sha, length) in enumerate(records[at:at + size]):
                t = clock()
                found = cat.find_sha(sha) or cat.find_url(fields.get("url"))
                if found:
                    spent += clock() - t
                    dupes += 1
                    continue
                key = unique_citekey(ingest.citekey_base(fields), cat.unusable_citekeys(),
                                     known_taken=ingest._key_suffixes)
                entry_id = cat.new_id(avoid=key)
                spent += clock() - t
                snap = {"path": "v1/original.txt", "media_type": "text/plain", "size": length, "sha256": sha,
                        "captured_at": "2026-11-27T10:00:00Z", "source": f"line {at + n + 1}"}
                entry = Entry.from_json({**fields, "id": entry_id, "citekey": key, "snapshots": [snap],
                                         "accessed": "2026-11-27T10:00:00Z"})
                stamp = (1_800_000_000_000_000_000 + at + n, 1000 + length)
                t = clock()
                cat.add(entry, stamp=stamp)
                spent += clock() - t
                keys.append(key)
                written[entry_id] = (entry, stamp)
            t = clock()
            cat.note_archive(store)
        cat.record_written(written, indexed=True, token_before=str(token), token_after=str(token + 1))
        spent += clock() - t
        token += 1
    ingest._key_suffixes.clear()
print(json.dumps({"cpu": spent, "records": len(records), "dupes": dupes, "keys": keys}))
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sides", nargs="+", help="NAME=SRC")
    ap.add_argument("--jsonl", type=Path, default=HERE / "data" / "reuters.jsonl")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--batch", type=int, default=2000, help="records per batch (import's: 2,000 on tantivy)")
    args = ap.parse_args(argv)
    if not args.jsonl.exists():
        raise SystemExit(f"no corpus at {args.jsonl} (bench/reuters.py or bench/synthetic.py make one)")
    sides = [s.split("=", 1) for s in args.sides]
    got: dict[str, list[dict]] = {name: [] for name, _ in sides}
    with tempfile.TemporaryDirectory(prefix="bench-catalog-") as work:
        for r in range(args.rounds):
            for name, src in sides:
                root = Path(work) / f"{name}-{r}"
                env = {**os.environ, "PYTHONPATH": str(Path(src).resolve())}
                argv = [sys.executable, "-c", CHILD, str(root), str(args.jsonl), str(args.batch)]
                out = subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout
                got[name].append(json.loads(out.splitlines()[-1]))
    first = None
    for name, _src in sides:
        runs = got[name]
        cpu = statistics.median(x["cpu"] for x in runs)
        n = runs[0]["records"]
        first = first if first is not None else cpu
        each = ", ".join(f"{x['cpu']:.3f}" for x in runs)
        print(f"{name:10} catalog CPU {cpu:6.3f} s  ({1e6 * cpu / n:6.1f} us/record, {cpu / first:.2f}x)  "
              f"rounds {each}  records {n}  duplicates {runs[0]['dupes']}")
    base = got[sides[0][0]][0]
    for name, _src in sides[1:]:
        other = got[name][0]
        print(f"{name}: same citekeys and duplicates as {sides[0][0]}: "
              f"{other['keys'] == base['keys'] and other['dupes'] == base['dupes']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
