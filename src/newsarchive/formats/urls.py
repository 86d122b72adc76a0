"""A list of URLs, one per line (blank lines and # comments skipped): each fetched and archived.

Fetches run a few at a time, never two at once to the same host, with a pause between requests
to one host; results come back in input order.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterator
from ..urls import host as url_host

from .records import Record, failed

WORKERS = 4
HOST_DELAY = 1.0  # seconds between two requests to the same host


class _Polite:
    def __init__(self, delay: float):
        self.delay = delay
        self.lock = threading.Lock()
        self.hosts: dict[str, threading.Lock] = {}
        self.last: dict[str, float] = {}

    def run(self, url: str, fn: Callable[[str], Any]) -> Any:
        host = url_host(url)
        with self.lock:
            host_lock = self.hosts.setdefault(host, threading.Lock())
        with host_lock:
            wait = self.last.get(host, 0.0) + self.delay - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                return fn(url)
            finally:
                self.last[host] = time.monotonic()


def read(path: Path, *, fetcher: Callable[[str], Any], workers: int = WORKERS,
         host_delay: float = HOST_DELAY) -> Iterator[Record]:
    polite = _Polite(host_delay)
    lines = _urls(path)
    window: deque[tuple[str, str, Future]] = deque()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for ref, url in lines:
            window.append((ref, url, pool.submit(polite.run, url, fetcher)))
            if len(window) >= workers * 2:
                yield _result(*window.popleft())
        while window:
            yield _result(*window.popleft())


def _urls(path: Path) -> Iterator[tuple[str, str]]:
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        for n, line in enumerate(fh, 1):
            url = line.strip()
            if url and not url.startswith("#"):
                yield f"line {n}", url


def _result(ref: str, url: str, future: Future) -> Record:
    from ..errors import NewsArchiveError

    try:
        page = future.result()
    except NewsArchiveError as exc:
        return failed(ref, f"{ref}: {url}: {exc}")
    except Exception as exc:  # noqa: BLE001 - a fetch must never end the import
        return failed(ref, f"{ref}: {url}: {exc.__class__.__name__}: {exc}")
    # the cited URL is chosen by the pipeline (the page's canonical URL, else the final URL);
    # page.http keeps the requested and final URLs
    return Record(ref=ref, fields={}, data=page.body, media_type=page.media_type,
                  source=page.final_url, captured_at=page.captured_at, warc=page.warc, http=page.http,
                  tls_chain=getattr(page, "tls_chain", None),
                  origin="imported")
