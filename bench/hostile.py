"""Bounded work on hostile input: how long the cases from issue 17 take now.

    python bench/hostile.py
    python bench/hostile.py --cells 2000000 --deadline 2

Prints, for generated sample inputs (nothing is read from disk or the network):
- extraction of pages with one table row of N cells and of many elements (time, peak RSS, the
  note saying why the text was not extracted);
- parsing of hostile queries (`the` x 200, deep nesting, 1,000 words, date overflows): time and
  outcome;
- a fetch from a local server on 127.0.0.1 that trickles one header line every 0.2 s, against
  the total deadline.
"""

from __future__ import annotations

import argparse
import resource
import socket
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))


def _rss_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def pages(cells: int) -> None:
    from newsarchive.extract import extract

    head = b"<html><head><title>Sample</title></head><body><article><p>Sample text.</p>"
    tail = b"</article></body></html>"
    cases = {
        f"one row of {cells:,} cells": head + b"<table><tr>" + b"<td>x</td>" * cells + b"</tr></table>" + tail,
        "100,000 inline elements in one <p>": head + b"<p>" + b"<b>x</b>" * 100_000 + b"</p>" + tail,
        "19,500 elements in <div>s of 500": head + (b"<div>" + b"<p>sample sentence.</p>" * 500 + b"</div>") * 39 + tail,
    }
    extract(head + tail, media_type="text/html")  # imports (lxml, trafilatura) out of the timings
    print("extraction")
    for name, data in cases.items():
        started = time.perf_counter()
        x = extract(data, media_type="text/html")
        took = time.perf_counter() - started
        print(f"  {name:38} {len(data) / 1e6:7.2f} MB  {took:6.2f} s  peak RSS {_rss_mb():5} MB  "
              f"text {len(x.text):>9,} chars  {x.note or ''}")


def queries() -> None:
    from newsarchive import query as Q
    from newsarchive.errors import QueryError

    cases = {
        "the x 200": " ".join(["the"] * 200),
        "300 nested parentheses": "(" * 300 + "a" + ")" * 300,
        "1,000 words": " ".join(f"w{i}" for i in range(1000)),
        "published:>9999": "published:>9999",
        "published:-3000y": "published:-3000y",
        "published:<0001": "published:<0001",
    }
    print("queries")
    for name, text in cases.items():
        started = time.perf_counter()
        try:
            outcome = f"ok: {repr(Q.parse(text))[:60]}"
        except QueryError as exc:
            outcome = f"QueryError: {exc}"
        print(f"  {name:24} {1000 * (time.perf_counter() - started):7.2f} ms  {outcome}")


def trickle(deadline: float) -> None:
    from newsarchive.errors import FetchError
    from newsarchive.extract.fetch import fetch

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()

    def serve() -> None:
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return

            def handle(c=conn) -> None:
                try:
                    c.recv(65536)
                    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n")
                    while True:
                        time.sleep(0.2)
                        c.sendall(b"X-Sample-Slow: 1\r\n")
                except OSError:
                    pass

            threading.Thread(target=handle, daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    started = time.perf_counter()
    try:
        fetch(f"http://127.0.0.1:{srv.getsockname()[1]}/", total_timeout=deadline)
        outcome = "fetched (unexpected)"
    except FetchError as exc:
        outcome = str(exc)
    print(f"fetch with header lines every 0.2 s, deadline {deadline:g} s: ended after "
          f"{time.perf_counter() - started:.2f} s: {outcome}")
    srv.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cells", type=int, default=100_000, help="cells in the one-row table page")
    ap.add_argument("--deadline", type=float, default=2.0, help="total fetch deadline in seconds")
    args = ap.parse_args()
    pages(args.cells)
    queries()
    trickle(args.deadline)


if __name__ == "__main__":
    main()
