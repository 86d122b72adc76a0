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

# ruff: noqa: F401  (re-exports: `from newsarchive import api; api.X` is the library's surface)

from ..catalog import (JOURNAL, MATCH_MODES, Catalog, OnSkip, entry_stamp, meta_key, read_each, same_work,
                       work_summary)
from ..fixity import Problem, check_entry, metadata_ok
from ..fsutil import sync_filesystem
from ..model import MAX_SNAPSHOT_BYTES
from ..formats.records import Record, read_snapshot_file
from .capture import TEXT_TYPES, FetchedPage, extract_preview, fetch, guess_media_type
from .citing import KEYS, cite, keyed
from .collection import (DEFAULT_LOCK_TIMEOUT, Collection, Status, as_collection, init, open_store, search_backend,
                         status)
from .damage import checked_entries, damage_mark, damage_of
from .entries import (EDITABLE, edit, edit_document, entry_paths, entry_sha256, get, get_for_change, list_entries,
                      parse_edit_document, removal_target, remove)
from .importing import BATCH_SIZE, add, import_file, ingest_records, open_source
from .indexing import IndexSession, body_text, ensure_index, index_failure, rebuild_index, reindex, sweep_derived
from .ingest import Ingest, Outcome
from .parts import EXPORTS_DIR, files_part_path, glob_escape, part_path, partial_file, sweep_parts
from .searching import FACETS, SORTS, search
from .transfer import CSV_COLUMNS, EXPORT_FORMATS, export, export_jsonl, select
from .versions import diff, history, verify, version_text
