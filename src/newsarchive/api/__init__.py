"""Use cases: the only package that combines store, extract, index and cite.

Every use case takes the collection first -- a :class:`Collection` opened once
(``Collection.open(root)``, whose methods are these use cases) or a root, which it opens -- and
keyword-only options; none prints or exits. Errors are the typed ones from
:mod:`newsarchive.errors`. One module per use case:

- :mod:`.collection`: create and open a collection, status
- :mod:`.capture`: media types, extraction preview, fetch
- :mod:`.ingest`: the ingest pipeline (records to archive writes)
- :mod:`.importing`: add, ingest_records, import_file
- :mod:`.indexing`: index session, journal, rebuild, reindex
- :mod:`.parts`: ``.part`` files of exports in progress
- :mod:`.entries`: get, list, edit, remove
- :mod:`.transfer`: select and export
- :mod:`.damage`: damage as exports and citations see it
- :mod:`.searching`: full-text search
- :mod:`.versions`: history, diff, verify
- :mod:`.citing`: citations

The catalog (deduplication state) is :mod:`newsarchive.catalog`, below this package.
"""

# The public names, each with the module that defines it. They are loaded when first used
# (PEP 562), so a command imports only the use cases it runs: `newsarchive show` does not load
# the import pipeline, and start-up stays as fast as before the package split.
_WHERE: dict[str, str] = {
    **dict.fromkeys(('JOURNAL', 'Catalog', 'OnSkip', 'entry_stamp', 'read_each'), '..catalog'),
    **dict.fromkeys(('MATCH_MODES', 'meta_key', 'same_work', 'work_summary'), '..works'),
    **dict.fromkeys(('Problem', 'check_entry', 'metadata_ok'), '..fixity'),
    **dict.fromkeys(('sync_filesystem',), '..fsutil'),
    **dict.fromkeys(('MAX_SNAPSHOT_BYTES',), '..model'),
    **dict.fromkeys(('Record', 'read_snapshot_file'), '..formats.records'),
    **dict.fromkeys(('TEXT_TYPES', 'FetchedPage', 'extract_preview', 'fetch', 'guess_media_type'), '.capture'),
    **dict.fromkeys(('KEYS', 'cite', 'keyed'), '.citing'),
    **dict.fromkeys(('DEFAULT_LOCK_TIMEOUT', 'Collection', 'Status', 'as_collection', 'init', 'open_store', 'search_backend', 'status'), '.collection'),
    **dict.fromkeys(('checked_entries', 'damage_mark', 'damage_of'), '.damage'),
    **dict.fromkeys(('EDITABLE', 'edit', 'edit_document', 'entry_paths', 'entry_sha256', 'get', 'get_for_change', 'list_entries', 'parse_edit_document', 'removal_target', 'remove'), '.entries'),
    **dict.fromkeys(('BATCH_SIZE', 'add', 'import_file', 'ingest_records', 'open_source'), '.importing'),
    **dict.fromkeys(('IndexSession', 'body_text', 'ensure_index', 'index_failure', 'rebuild_index', 'reindex', 'sweep_derived'), '.indexing'),
    **dict.fromkeys(('Ingest', 'Outcome'), '.ingest'),
    **dict.fromkeys(('EXPORTS_DIR', 'files_part_path', 'glob_escape', 'part_path', 'partial_file', 'sweep_parts'), '.parts'),
    **dict.fromkeys(('FACETS', 'SORTS', 'search'), '.searching'),
    **dict.fromkeys(('CSV_COLUMNS', 'EXPORT_FORMATS', 'export', 'export_jsonl', 'select'), '.transfer'),
    **dict.fromkeys(('diff', 'history', 'verify', 'version_text'), '.versions'),
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(where, __name__), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))

