"""The ingest pipeline: records in, archive writes out, under the collection lock, one index writer per batch."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Callable, Mapping

from .. import media
from .. import store as st
from ..store_queue import CreateQueue
from ..catalog import Catalog
from ..works import MATCH_MODES, _entry_summary, _same, meta_key, work_summary
from ..errors import (
    EntryNotFound,
    ExtractError,
    FileAccessError,
    ImportFormatError,
    NewsArchiveError,
    StoreError,
    UsageError,
    os_error_message,
)
from ..fsutil import inside, syncing_filesystem
from ..import_options import apply_defaults
from ..model import MAX_SNAPSHOT_BYTES, Entry, PartialDate, Snapshot
from ..partialdate import UtcClock
from ..normalize import normalise_fields, unique_citekey
from ..formats.records import Record, read_snapshot_file
from ..urls import choose_cited_url, cited_url
from .capture import _extract, _text_body, _valid_extracted, guess_media_type
from .collection import DEFAULT_LOCK_TIMEOUT
from .indexing import IndexSession
from .ingest_writes import BatchWrites, Outcome


class Ingest(BatchWrites):
    """Turns records into archive writes, under the collection lock, with one index writer per
    batch. Used by ``add`` (a batch of one) and every importer."""

    def __init__(self, store: st.Store, *, dayfirst: bool = False, new_entry: bool = False,
                 dry_run: bool = False, lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
                 durable: bool | str = True, match: str = "strict"):
        # durable: True fsyncs every file as it is written (add); "batch" writes a batch's files
        # without fsync and flushes the archive's file system once before the batch's index
        # commit (imports); False never syncs (tests, throwaway collections)
        self.store = store
        self.dayfirst = dayfirst
        self.new_entry = new_entry
        self.dry_run = dry_run
        self.lock_timeout = lock_timeout
        self.durable = durable
        if match not in MATCH_MODES:
            raise UsageError(f"unknown --match {match!r} (one of: {', '.join(MATCH_MODES)})")
        self.match = match  # when a metadata-only record is an archived work (see find_work)
        self.stop_on_error = False  # end a batch at its first failed record (--on-error stop)
        self.catalog = Catalog(store)
        self.fatal: FileAccessError | None = None  # the collection refused a write: the run ends
        self._catalog_failure: FileAccessError | None = None  # see _learn
        self._writer: CreateQueue | None = None  # the run's writer process (see store_queue.py)
        self._writer_off = False  # a write through it failed: the rest of the run writes here
        self.queue_min = 16  # records a batch needs for its new folders to go through the writer
        self._queue: CreateQueue | None = None  # the writer, while a batch uses it
        self._batch_session: "IndexSession | None" = None  # the index session of that batch
        self._queued: dict[str, tuple] = {}  # entry id -> (entry, body, stamp) until written
        self._ahead: dict[int, tuple] = {}  # id(record) -> (media type, url, extraction or error, fields)
        self._clock = UtcClock()  # now_utc(), made once a second, not once per record and use
        self._planned_entries: dict[str, Entry] = {}  # dry run: the entries it would create (not on disk)
        self._summaries: dict[str, tuple] = {}  # entry id -> work_summary, for one batch
        self._key_suffixes: dict[str, int] = {}  # citekey base -> suffixes known taken, for one batch
        self._key_pattern: str | None = None  # citekey.pattern from the settings, when first needed
        self.on_record: Callable[[], Any] | None = None  # progress: once per record, at its slow step

    def _tick(self) -> None:
        if self.on_record is not None:
            self.on_record()

    def citekey_base(self, fields: Mapping[str, Any]) -> str:
        """A new entry's citekey before it is made unique: the collection's ``citekey.pattern``
        (newsarchive.toml), read once per run; the default pattern is ``citekey_base``."""
        if self._key_pattern is None:
            from ..settings import load

            self._key_pattern = load(self.store.root).get("citekey.pattern")
        from ..citekeys import base

        return base(self._key_pattern, fields)

    # one batch: lock, refresh catalog, write entries, update index, unlock
    def run_batch(self, records: list[Record]) -> list[Outcome]:
        self._summaries.clear()  # another writer may have edited entries between batches
        self._key_suffixes.clear()  # ... or removed some (their citekeys are free again)
        if self.dry_run:  # on a private copy of the catalog: what it plans never reaches the file
            self.catalog.refresh(self.store)
            self.catalog.go_private()
            for entry in self._planned_entries.values():  # refresh forgets what is not on disk
                if entry.id not in self.catalog.entries:
                    self.catalog.add(entry, stamp=(0, 0))
            outcomes = []
            for r in records:
                outcomes.append(self._safe(r, write=False))
                self._tick()
                if self.stop_on_error and outcomes[-1].status == "failed":
                    break
            return outcomes
        self._extract_ahead(records)  # the slow part, before the lock: other writers go on
        ticked = set(self._ahead)  # records whose progress step was their extraction
        outcomes: list[Outcome] = []
        index_error: str | None = None
        try:
            with self.store.lock(timeout=self.lock_timeout):
                self.catalog.refresh(self.store, locked=True)
                # the session tells this catalog what the index took (after the batch's rows)
                with IndexSession(self.store, catalog=self.catalog) as session, self.catalog.hold_lines():
                    self._queued.clear()
                    self._queue = self._writer_for(records)
                    try:
                        self._write_batch(records, outcomes, session, ticked)
                    except BaseException:  # an interrupt: what was queued is written, the journal names it
                        self.close()
                        raise
                    finally:
                        self._queue = None
                    # the catalog writes its rows while the archive is flushed to the disk; both
                    # commit (the catalog here, the index after) only once the archive is there
                    synced = self.durable == "batch" and any(o.status in ("created", "new-version")
                                                             for o in outcomes)
                    with syncing_filesystem(self.store.archive) if synced else contextlib.nullcontext():
                        if any(o.status == "created" for o in outcomes):
                            self.catalog.note_archive(self.store)  # the new folders are learnt
                index_error = session.error
        except OSError as exc:  # the index commit or the sync, on a full disk: the journal recovers
            if self.fatal is None:
                self.fatal = FileAccessError(f"cannot write to the collection: {os_error_message(exc)}",
                                             path=exc.filename, errno=exc.errno)
        if index_error is not None:  # archived all the same; the journal remembers them
            from dataclasses import replace

            outcomes = [replace(o, index_error=index_error) if o.status in ("created", "new-version")
                        else o for o in outcomes]
        # what was written is reported (the caller raises ``fatal`` after these outcomes)
        if self.fatal is not None and not outcomes:
            raise self.fatal
        return outcomes

    def _extract_ahead(self, records: list[Record]) -> None:
        """Extract text and metadata of a batch's snapshots before the collection lock is taken
        (extraction is the slow part of a write); ``_one`` then takes the results from here."""
        self._ahead = {}
        for r in records:
            if r.data is None or r.exact is not None or r.match_only or r.error is not None:
                continue
            if not r.data.strip() or len(r.data) > MAX_SNAPSHOT_BYTES:
                continue
            try:  # the URL _one extracts with (when it differs, _one extracts again: correct, slower)
                raw = {k: v for k, v in r.fields.items() if k not in ("citekey", "extra", "source_key")}
                normal = normalise_fields(raw, dayfirst=self.dayfirst)  # _one takes them from here
                given = normal.get("url") or None
                url = cited_url(given) if given else (r.http or {}).get("final_url")
            except (NewsArchiveError, ValueError, TypeError, KeyError):
                continue  # the record fails in _one with its own message
            media_type = r.media_type or guess_media_type(r.source, r.data)
            try:
                result: Any = _extract(r.data, media_type, url)
            except ExtractError as exc:
                result = exc
            self._ahead[id(r)] = (media_type, url, result, normal)
            self._tick()

    def _extraction(self, record: Record, media_type: str, url: str | None):
        """The extraction of ``record``'s snapshot: done ahead of the lock, or now."""
        ahead = self._ahead.pop(id(record), None)
        if ahead is not None and ahead[0] == media_type and ahead[1] == url:
            if isinstance(ahead[2], ExtractError):
                raise ahead[2]
            return ahead[2]
        return _extract(record.data, media_type, url)

    def _learn(self, entry: Entry, *, stamp: tuple | None = None) -> None:
        """The catalog learns an entry just written. When it cannot be written (a full disk),
        the entry is archived all the same: its outcome says so, the run ends after it, and the
        writer's journal makes the next command learn it."""
        try:
            self.catalog.add(entry, stamp=stamp)
        except FileAccessError as exc:
            self._catalog_failure = exc

    def _plan(self, entry: Entry) -> None:
        """A dry run remembers what it would create, so that later records see it as the real
        import would (``duplicate`` instead of a second ``would-create``)."""
        self.catalog.add(entry, stamp=(0, 0))  # a private copy (see run_batch)
        self._planned_entries[entry.id] = entry

    def find_work(self, fields: Mapping[str, Any], key: str | None) -> tuple[str, str] | None:
        """The entry a metadata-only record is the same work as, and why, under ``self.match``:
        ``strict`` (everything that tells works apart agrees, see :func:`same_work`), ``url``
        (the same URL or DOI link is enough; else as strict), ``none`` (never: metadata
        matching off)."""
        if self.match == "none":
            return None
        if self.match == "url":
            from ..cite._common import doi_url

            for label, link in (("URL", fields.get("url")), ("DOI", doi_url(fields.get("doi")))):
                existing = self.catalog.find_url(link)
                if existing:
                    return existing, f"same {label} as entry {existing} (--match url)"
        candidates = self.catalog.find_meta_all(meta_key(fields, key))
        if not candidates:
            return None
        mine = work_summary(fields)
        fallback = None  # a candidate whose date only agrees at a coarser precision ("2024-09")
        for candidate in candidates:
            other = self._summaries.get(candidate)
            if other is None:  # each entry is read once per batch, however many records ask
                try:
                    entry = self._planned_entries.get(candidate) or self._archived(candidate)
                except (StoreError, EntryNotFound):
                    continue
                other = self._summaries[candidate] = _entry_summary(entry)
            why = _same(mine, key, other)
            if why:
                if mine[1] == other[1]:
                    return candidate, f"{why} as entry {candidate}"
                fallback = fallback or (candidate, f"{why} as entry {candidate}")
        return fallback

    def _safe(self, record: Record, *, write: bool, session: "IndexSession | None" = None) -> Outcome:
        try:
            return self._one(record, write=write, session=session)
        except NewsArchiveError as exc:
            return Outcome(record.ref, "failed", message=str(exc), error=exc)
        except OSError as exc:
            # input files are read through read_snapshot_file (a typed error: that record fails);
            # an OSError here is the collection itself refusing a write (read-only, disk full,
            # permission): every later record would fail the same way, so the run stops here
            raise FileAccessError(f"cannot write to the collection: {os_error_message(exc)}",
                                  path=exc.filename, errno=exc.errno) from None
        except UnicodeError as exc:  # bytes in another encoding given as text (a shell's $'\x9b')
            return Outcome(record.ref, "failed", message="a value given is not valid UTF-8 text "
                                                         f"({exc.reason}); nothing was stored")
        except (ValueError, TypeError, KeyError) as exc:  # bad input data, never a traceback
            return Outcome(record.ref, "failed", message=f"{exc.__class__.__name__}: {exc}")

    def _one(self, record: Record, *, write: bool, session: "IndexSession | None") -> Outcome:
        if record.exact is not None:
            return self._one_exact(record, write=write, session=session)
        if record.match_only:  # a WARC revisit: points at a capture, never creates one
            url = record.fields.get("url")
            existing = self.catalog.find_url(url)
            if existing:
                return Outcome(record.ref, "duplicate", existing, f"revisit of {url}, archived as entry {existing}")
            return Outcome(record.ref, "skipped", None,
                           f"revisit of {url}, whose original capture is not archived; nothing to resolve it to")
        raw = dict(record.fields)
        given_key = raw.pop("citekey", None)
        given_key = str(given_key) if given_key not in (None, "") else None
        extra = raw.pop("extra", None) or {}
        given_source_key = raw.pop("source_key", None)  # a JSONL line may carry it
        ahead = self._ahead.get(id(record))  # normalised from these same values before the lock
        fields = ahead[3] if ahead is not None else normalise_fields(raw, dayfirst=self.dayfirst)
        fields = {k: v for k, v in fields.items() if v not in (None, [], "")}
        provenance = {k: record.origin for k in fields}
        if fields.get("url"):  # cited without tracking parameters; what was given stays on record
            given_url = fields["url"]
            fields["url"] = cited_url(given_url)
            if fields["url"] != given_url:
                provenance["url_given"] = given_url
        fetched_url = (record.http or {}).get("final_url") if "url" not in fields else None
        files: list[st.NewFile] = []
        snapshot: Snapshot | None = None
        note = None  # why nothing was extracted from a page over the extraction limits
        if record.defaults and record.data is None:  # import --set: where the record has no value
            note = apply_defaults(record, fields, provenance, dayfirst=self.dayfirst)
        if record.data is not None:
            if not record.data.strip():
                raise UsageError(f"{record.source or record.ref}: empty snapshot; nothing to archive")
            if len(record.data) > MAX_SNAPSHOT_BYTES:
                raise UsageError(f"snapshot is {len(record.data)} bytes; the limit is {MAX_SNAPSHOT_BYTES}")
            media_type = record.media_type or guess_media_type(record.source, record.data)
            ext = self._extraction(record, media_type, fields.get("url") or fetched_url)
            note = ext.note if ext is not None else None
            if ext is not None and _guessed_encoding(ext.encoding, media_type, record.media_type):
                guess = (f"not UTF-8: the text was read as {ext.encoding}, a guess (the archived bytes are "
                         "kept as they are)")
                note = "; ".join(m for m in (note, guess) if m)
            if ext is not None:
                given_title = fields.get("title")
                for key, value in _valid_extracted(ext.fields, dayfirst=self.dayfirst, skip=fields).items():
                    fields[key] = value
                    provenance[key] = f"extracted:{ext.provenance.get(key, 'page')}"
                text = _text_body(ext, given_title)
            else:
                text = ""
            if record.defaults:  # import --set: after extraction, where the page has no value either
                said = apply_defaults(record, fields, provenance, dayfirst=self.dayfirst)
                note = "; ".join(m for m in (note, said) if m) or None
            if fetched_url:  # a page from the web: its declared canonical URL, when sane
                declared = fields.get("url") if provenance.get("url", "").startswith("extracted") else None
                fields["url"], why = choose_cited_url(fetched_url, declared)
                if why == "fetched":
                    provenance["url"] = "fetched"
            elif fields.get("url") and provenance.get("url", "").startswith("extracted"):
                fields["url"] = cited_url(fields["url"])
            sha = st.sha256_bytes(record.data)
            text_bytes = text.encode("utf-8")
            snapshot = Snapshot(path="", media_type=media_type, size=len(record.data), sha256=sha,
                                captured_at=record.captured_at or self._clock.now(), source=record.source,
                                text_path=None, text_sha256=st.sha256_bytes(text_bytes) if text else None,
                                http=dict(record.http) if record.http else None,
                                meta={k: fields[k] for k in ("title", "modified", "authors") if k in fields} or None)
            existing = self.catalog.find_sha(sha)
            if existing:
                return Outcome(record.ref, "duplicate", existing,
                               f"same snapshot bytes as entry {existing}{self._not_applied(record, existing)}")
            existing = None if self.new_entry else self.catalog.find_url(fields.get("url"))
            if existing:
                done = self._new_version(record, existing, snapshot, record.data, text_bytes, fields,
                                         provenance, write=write, session=session)
                said = "; ".join(m for m in (note, record.note) if m)  # as a created record's line
                if said and done.status in ("new-version", "would-add-version"):
                    from dataclasses import replace

                    done = replace(done, message=f"{done.message}; {said}")
                return done
        elif not self.new_entry:
            found = self.find_work(fields, given_key)
            if found:
                return Outcome(record.ref, "duplicate", found[0], found[1])

        key_note = None
        if given_key and record.origin == "user":  # `add --citekey`: never changed, refused if unusable
            citekey = str(given_key)
            self.catalog.check_citekey(citekey)
        elif given_key:  # a key from an imported file: kept when usable, else suffixed, and said so
            citekey = unique_citekey(str(given_key), self.catalog.unusable_citekeys(),
                                     known_taken=self._key_suffixes)
            if citekey != given_key:
                key_note = f"citekey {given_key!r} is taken or reads as an entry's ID; stored as {citekey!r}"
        else:
            citekey = unique_citekey(self.citekey_base(fields), self.catalog.unusable_citekeys(),
                                     known_taken=self._key_suffixes)
        entry_id = self.catalog.new_id(avoid=citekey)
        if snapshot is not None:
            snapshot, files = _place_snapshot(snapshot, 1, record.data, text_bytes, record.warc, record.tls_chain)
        data = {**fields, "id": entry_id, "citekey": citekey, "provenance": provenance}
        if extra:
            data["extra"] = extra
        if given_source_key or (given_key and record.origin == "imported"):
            data["source_key"] = str(given_source_key or given_key)
        if "accessed" not in data and snapshot is not None and not (snapshot.http or {}).get("capture_time_unknown"):
            data["accessed"] = snapshot.captured_at.iso()
            provenance["accessed"] = "capture"
        if snapshot is not None and record.captured_at is not None:  # as a reader of entry.json has it
            from dataclasses import replace

            snapshot = replace(snapshot, captured_at=PartialDate.from_iso(snapshot.captured_at.iso()))
        # the snapshot as built (a time of the clock reads back the same from its ISO form)
        entry = Entry.from_json(data, snapshots=(snapshot,) if snapshot is not None else ())
        message = "; ".join(m for m in (note, record.note, key_note) if m) or None
        if not write:
            self._plan(entry)
            return Outcome(record.ref, "would-create", entry.id, message, entry=entry)
        history = [{"at": self._clock.iso(), "action": "created", "source": record.source or record.ref}]
        if note:  # kept with the entry: `history` says later why there is no extracted text
            history[0]["note"] = note
        assert session is not None
        self._create(entry, files, history, text if snapshot else (entry.notes or ""), session)
        return Outcome(record.ref, "created", entry.id, message, entry=entry)

    def _new_version(self, record: Record, entry_id: str, snapshot: Snapshot, data: bytes,
                     text_bytes: bytes, fields: dict, new_prov: dict, *, write: bool, session) -> Outcome:
        self._settled()  # a change to an entry: after every queued write
        entry = self.store.read(entry_id)
        last = entry.snapshot
        if last is not None and snapshot.text_sha256 and last.text_sha256 == snapshot.text_sha256:
            when = last.captured_at.iso()[:10]
            return Outcome(record.ref, "unchanged", entry_id, f"unchanged since {when}", entry=entry)
        version = len(entry.snapshots) + 1
        snapshot, files = _place_snapshot(snapshot, version, data, text_bytes, record.warc, record.tls_chain)
        data_json = entry.to_json()
        prov = dict(entry.provenance)
        changes = {}
        for key, value in fields.items():  # what the user said stays; extracted values follow the page
            src = new_prov.get(key, record.origin)
            if src.startswith("extracted") and prov.get(key) in ("user", "imported"):
                continue
            if data_json.get(key) != value:
                changes[key] = value
                prov[key] = src
        data_json.update(changes)
        data_json["provenance"] = prov
        data_json["snapshots"] = [*data_json["snapshots"], snapshot.to_json()]
        new_entry = Entry.from_json(data_json)
        if not write:
            return Outcome(record.ref, "would-add-version", entry_id, f"version {version}", entry=new_entry)
        since = last.captured_at.iso()[:10] if last else "?"
        history = [{"at": self._clock.iso(), "action": "new-version", "version": version,
                    "sha256": snapshot.sha256, "source": record.source or record.ref}]
        history += [{"at": self._clock.iso(), "action": "set", "field": k, "old": entry.to_json().get(k), "new": v}
                    for k, v in changes.items()]
        session.touch(entry_id)
        self.store.commit(new_entry, files=files, history=history, durable=self.durable is True)
        self._learn(new_entry)
        self._summaries.pop(entry_id, None)
        session.upsert(new_entry, text_bytes.decode("utf-8"))
        return Outcome(record.ref, "new-version", entry_id,
                       f"changed since {since}: new version {version}", entry=new_entry)

    def _not_applied(self, record: Record, existing: str) -> str:
        """For a duplicate: the values given with the record that the archived entry does not
        have, named, so that nothing given is dropped without a word."""
        from ..fields import entry_field, settable

        names = set(settable())
        given = {entry_field(k): v for k, v in (record.fields or {}).items()
                 if entry_field(k) in names and v not in (None, "", [], ())}
        if not given:
            return ""
        try:
            norm = normalise_fields(given)
            stored = self._archived(existing).to_json()
        except NewsArchiveError:
            return ""
        differ = [k for k in settable() if norm.get(k) not in (None, "", []) and stored.get(k) != norm[k]]
        if not differ:
            return ""
        return (f"; the {', '.join(differ)} given here {'was' if len(differ) == 1 else 'were'} not applied "
                f"(`newsarchive edit {existing} --set FIELD=VALUE` changes the entry)")

    def _one_exact(self, record: Record, *, write: bool, session) -> Outcome:
        """An entry exported by ``export --to jsonl`` with its files: restored exactly."""
        data = dict(record.exact or {})
        entry = Entry.from_json(data)
        if entry.id in self.catalog.entries:
            return Outcome(record.ref, "duplicate", entry.id, f"same id as entry {entry.id}")
        for s in entry.snapshots:
            other = self.catalog.find_sha(s.sha256)
            if other:
                return Outcome(record.ref, "duplicate", other, f"same snapshot bytes as entry {other}")
        key_note = None
        if entry.citekey in self.catalog.unusable_citekeys():
            key_note = f"citekey {entry.citekey!r} is taken or reads as an entry's ID; stored as "
            entry = entry.evolve(citekey=unique_citekey(entry.citekey, self.catalog.unusable_citekeys()))
            key_note += repr(entry.citekey)
        files = []
        text = ""
        for s in entry.snapshots:
            if record.files_dir is None:
                raise ImportFormatError("entry lists snapshots but the line gives no `snapshot` folder")
            blob = _read_inside(record.files_dir, s.path)
            if st.sha256_bytes(blob) != s.sha256:
                raise ImportFormatError(f"{s.path}: SHA-256 does not match the recorded one")
            files.append(st.NewFile(s.path, blob, s.sha256))
            text = ""  # the body is the newest version's text, and a version may have none
            if s.text_path:
                tblob = _read_inside(record.files_dir, s.text_path)
                if s.text_sha256 and st.sha256_bytes(tblob) != s.text_sha256:
                    raise ImportFormatError(f"{s.text_path}: SHA-256 does not match the recorded one")
                files.append(st.NewFile(s.text_path, tblob))
                text = tblob.decode("utf-8", "replace")
            if s.warc_path:
                wblob = _read_inside(record.files_dir, s.warc_path)
                if s.warc_sha256 and st.sha256_bytes(wblob) != s.warc_sha256:
                    raise ImportFormatError(f"{s.warc_path}: SHA-256 does not match the recorded one")
                files.append(st.NewFile(s.warc_path, wblob))
        if not write:
            self._plan(entry)
            return Outcome(record.ref, "would-create", entry.id, entry=entry)
        history = [{"at": self._clock.iso(), "action": "imported", "source": record.source or record.ref}]
        self._create(entry, files, history, text if entry.snapshots else (entry.notes or ""), session)  # body as body_text()
        return Outcome(record.ref, "created", entry.id, "; ".join(m for m in (key_note, record.note) if m) or None,
                       entry=entry)


def _read_inside(folder: Path, relpath: str) -> bytes:
    """Read ``folder/relpath`` refusing anything that resolves outside ``folder``."""
    from ..model import check_relative_path

    check_relative_path(relpath)
    target = inside(folder, relpath)
    if target is None:
        raise ImportFormatError(f"{relpath}: path leaves {folder}")
    if not target.exists():
        raise ImportFormatError(f"missing file {target}")
    return read_snapshot_file(target, name=relpath)


def _place_snapshot(snapshot: Snapshot, version: int, data: bytes, text_bytes: bytes,
                    warc: bytes | None, tls_chain: bytes | None = None) -> tuple[Snapshot, list[st.NewFile]]:
    """The snapshot's files in folder ``v<version>``, each with the SHA-256 the snapshot records
    (``snapshot.sha256`` and ``text_sha256`` are of ``data`` and ``text_bytes``), so that they are
    hashed once."""
    ext = media.extension(snapshot.media_type)
    folder = f"v{version}"
    files = [st.NewFile(f"{folder}/original{ext}", data, snapshot.sha256)]
    text_path = None
    if text_bytes:
        text_path = f"{folder}/text.txt"
        files.append(st.NewFile(text_path, text_bytes, snapshot.text_sha256))
    warc_path = warc_sha256 = None
    if warc:
        warc_path, warc_sha256 = f"{folder}/capture.warc.gz", st.sha256_bytes(warc)
        files.append(st.NewFile(warc_path, warc, warc_sha256))
    http = snapshot.http
    if tls_chain and warc:  # the https origins' certificates, beside the WARC (see extract/fetch.py)
        tls_sha256 = st.sha256_bytes(tls_chain)
        files.append(st.NewFile(f"{folder}/tls-chain.pem", tls_chain, tls_sha256))
        http = {**(http or {}), "tls_chain": f"{folder}/tls-chain.pem", "tls_chain_sha256": tls_sha256}
    # every other field as it was (dataclasses.replace, written out: it cost as much as the rest)
    return Snapshot(path=f"{folder}/original{ext}", media_type=snapshot.media_type, size=snapshot.size,
                    sha256=snapshot.sha256, captured_at=snapshot.captured_at, source=snapshot.source,
                    text_path=text_path, text_sha256=snapshot.text_sha256, warc_path=warc_path, http=http,
                    meta=snapshot.meta, warc_sha256=warc_sha256, timestamp=snapshot.timestamp), files


def _guessed_encoding(encoding: str | None, media_type: str, declared: str | None) -> bool:
    """A plain-text snapshot that is not UTF-8 and declared no charset: its encoding was guessed,
    which the record's report line says (a page that declares its charset is not guessed)."""
    if not encoding or media.base_type(media_type) != "text/plain" or "charset=" in (declared or "").lower():
        return False
    return encoding.lower().replace("_", "-") not in ("utf-8", "utf-8-sig", "ascii", "us-ascii")
