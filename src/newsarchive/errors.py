"""Typed errors. Library code raises these; only ``cli`` turns them into messages and exit codes."""

from __future__ import annotations


class NewsArchiveError(Exception):
    """Base class: every error a user can cause. ``str(err)`` is a one-line message."""

    exit_code = 1


class UsageError(NewsArchiveError):
    """A value the user gave is not acceptable (bad option, bad field, bad date)."""

    exit_code = 2


class DateError(UsageError):
    """A date could not be understood."""


class QueryError(UsageError):
    """A search query is malformed. ``position`` points at the problem when known."""

    def __init__(self, message: str, *, query: str = "", position: int | None = None):
        super().__init__(message)
        self.query = query
        self.position = position


class SnapshotTooLarge(UsageError):
    """A snapshot (a file, standard input, a record's ``snapshot``) is over the size limit."""


class FileAccessError(NewsArchiveError):
    """The operating system refused a file operation: permission denied, read-only file system,
    disk full, a missing folder. ``str(err)`` names the path and the system's reason."""

    def __init__(self, message: str, *, path: str | None = None, errno: int | None = None):
        super().__init__(message)
        self.path = path
        self.errno = errno


def os_error_message(exc: OSError, *, action: str = "", path: object = None) -> str:
    """One line for an ``OSError``: what was being done, the path, and the system's reason
    ("cannot write /coll/archive: Read-only file system")."""
    import errno as _errno
    import os as _os

    if exc.strerror:
        reason = exc.strerror
    elif exc.errno:
        reason = _os.strerror(exc.errno)
    else:
        reason = str(exc) or exc.__class__.__name__
    hint = {_errno.ENOSPC: " (the disk is full)", _errno.EDQUOT: " (the disk quota is used up)"}.get(exc.errno, "")
    where = path if path is not None else (exc.filename if exc.filename is not None else "")
    reason = reason + hint  # the system's words as it gives them ("No space left on device")
    if where != "":
        return f"cannot {action} {where}: {reason}" if action else f"{where}: {reason}"
    return f"cannot {action}: {reason}" if action else reason


class NotACollection(NewsArchiveError):
    """No collection (a folder with ``archive/`` and ``index/``) was found."""


class EntryNotFound(NewsArchiveError):
    """No entry matches an ID or ID prefix."""


class AmbiguousID(NewsArchiveError):
    """An ID prefix matches more than one entry. ``matches`` lists them (the web app offers them)."""

    def __init__(self, message: str, *, matches: tuple[str, ...] = ()):
        super().__init__(message)
        self.matches = tuple(matches)


class InvalidEntry(NewsArchiveError):
    """Metadata does not validate (wrong type, unknown key, bad value)."""


class SettingsError(NewsArchiveError):
    """A collection's settings file cannot be read or holds a bad value; the message names the
    file and the key."""


class StoreError(NewsArchiveError):
    """The archive on disk is damaged or cannot be written."""


class EntryChanged(StoreError):
    """An entry changed between reading it and writing a change prepared from it."""


class LockTimeout(NewsArchiveError):
    """Another writer held the collection lock for too long."""


class ImportFormatError(NewsArchiveError):
    """An input file (JSONL, CSV, BibTeX, ...) cannot be read; the message names where."""


class ExtractError(NewsArchiveError):
    """A snapshot could not be turned into text and metadata."""


class FetchError(NewsArchiveError):
    """A URL could not be fetched (HTTP error, timeout, wrong type, too large)."""


class TimestampError(NewsArchiveError):
    """A trusted timestamp could not be obtained from the time-stamp authority, or a stored one
    does not verify."""


class SearchIndexError(NewsArchiveError):
    """The search index is missing, stale or locked; the message says how to repair it."""


class IndexNotUpdated(SearchIndexError):
    """The archive was written but the search index could not be updated. ``outcome`` is what
    was archived (for ``add``); the message says how to repair the index."""

    def __init__(self, message: str, *, outcome: object = None):
        super().__init__(message)
        self.outcome = outcome


class CitationError(NewsArchiveError):
    """An entry cannot be formatted in the requested style."""
