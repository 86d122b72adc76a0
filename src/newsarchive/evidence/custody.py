"""Events of the custody log that are not changes to an entry: an evidence package handed over
(``export``) and a fixity check on request (``verify --record``).

Which reads are recorded, and why. Recording an event makes the command a writer: it takes the
collection lock and commits to every entry it names. Ordinary exports (a BibTeX file, a CSV, a
WARC) are copies for one's own use and stay readers, so they never block or slow a writer and
never fail on a read-only collection. An evidence package is different: it is a transfer of
custody to someone else, so each entry in it gets an ``export`` event naming the package and the
SHA-256 of the bag's tag manifest (which covers every file of the package). A fixity check is
recorded only when asked (``verify --record``): a routine check from a cron job would otherwise
grow every log without end. Damaged entries are never written to (the store refuses to build on
a damaged log); they are reported instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable


def record(store: Any, entry_ids: Iterable[str], event: dict[str, Any], *, lock_timeout: float = 30.0) -> list[tuple[str, str]]:
    """Append ``event`` (with ``at``) to the log of each entry, one commit per entry, under the
    lock. Returns [(entry ID, why it could not be recorded)] for those that failed."""
    from .. import api
    from ..errors import NewsArchiveError
    from ..model import now_utc

    failed: list[tuple[str, str]] = []
    ids = list(entry_ids)
    if not ids:
        return failed
    # the commit rewrites entry.json: the index learns its new stamp in the same session, as
    # after an edit, so recording custody never leaves the index looking stale
    with store.lock(timeout=lock_timeout), api.IndexSession(store) as session:
        for entry_id in ids:
            try:
                entry = store.read(entry_id)
                session.touch(entry_id)
                store.commit(entry, history=[{"at": now_utc().iso(), **event}])
                session.upsert(entry, api.body_text(store, entry))
            except NewsArchiveError as exc:
                failed.append((entry_id, str(exc)))
    return failed


def record_verify(root: Path, ids: Iterable[str], *, files: dict[str, int], lock_timeout: float = 30.0) -> list[tuple[str, str]]:
    """A ``verify`` event in the log of each entry that checked out: the files re-hashed."""
    from .. import __version__, api

    store = api.open_store(root)
    failed: list[tuple[str, str]] = []
    for entry_id in ids:
        failed += record(store, [entry_id], {"action": "verify", "result": "ok", "files": files.get(entry_id, 0),
                                             "software": f"newsarchive/{__version__}"}, lock_timeout=lock_timeout)
    return failed
