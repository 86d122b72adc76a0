"""New entry folders written by a process of their own while a bulk import goes on.

Creating a folder of five small files costs about as much time in the kernel (and waiting for
the file system's journal) as the Python work of preparing the next record. An import batch
therefore stages each new entry (:meth:`Store.stage_new`: checked, hashed, serialised) and
hands the writing to a writer process, which writes them one after another, in order, through
the very function :meth:`Store.create` uses (``store_io.write_folder``: a ``.tmp-*`` folder
renamed into place). A process and not a thread: a thread's every system call would wait for
Python's global lock, which the import holds nearly all the time.

What the caller must keep (see ``api/ingest.py``):

- the writer's journal names an entry before it is queued, so a kill at any moment is recovered
  as before (a ``.tmp-*`` folder is rolled back; a folder renamed into place is learnt);
- the catalog learns an entry when it is queued (later records are checked against it), with
  the stamp its ``entry.json`` will have (the writer sets its ``mtime_ns``); the index is given
  only entries that were written (:meth:`written`);
- :meth:`settle` before anything else reads or changes a queued entry, and before the batch's
  file-system sync, index commit and the lock's release;
- the first write that fails stops the queue: it and every entry queued after it are not
  written (:attr:`failure`, :meth:`unwritten`), and the caller takes them back; a writer that
  cannot start or dies (:attr:`lost`) fails no entry: the caller writes the unwritten ones itself.

The writer process dies with the import process (Linux's parent-death signal), so it never
writes after the collection lock is gone; where that signal does not exist, imports write in
their own process (:func:`available`).
"""

from __future__ import annotations

import functools
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .store import NewFolder, Store

_PR_SET_PDEATHSIG = 1
#: folders handed over and not yet answered for, at most (the writer's answers wait in its
#: memory, not in a pipe: it sends them from a thread of its own, so it never waits for the
#: import while the import waits for it)
MAX_PENDING = 256
#: folders sent to the writer in one message (and answered in one): fewer system calls and
#: wake-ups on both sides than a message per folder
CHUNK = 16
#: the writer is asked to prepare search documents while no more folders than this are
#: unanswered (it keeps up with the import); beyond, the import makes them itself
PREPARE_BELOW = 3 * CHUNK


def available() -> bool:
    """Whether imports may write through a writer process here: Linux (its parent-death
    signal), with two processors or more for this process (on one, the writer could only take
    turns with the import, and its messages would cost time)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        return len(os.sched_getaffinity(0)) >= 2
    except (AttributeError, OSError):
        return (os.cpu_count() or 1) >= 2


class CreateQueue:
    """A writer process for new entry folders (started with the first one queued)."""

    def __init__(self, store: "Store", *, durable: bool = False):
        self.store = store
        self.durable = durable
        self._proc: Any = None
        self._out: Any = None
        self._in: Any = None
        self._written: list["NewFolder"] = []  # written, not yet collected by the caller
        self._pending: dict[str, "NewFolder"] = {}  # queued, no answer yet
        self._outbox: list[tuple] = []  # queued, not yet sent to the writer
        self._unwritten: list[str] = []  # queued after a failure: never written
        self.failure: tuple[str, BaseException] | None = None  # (entry id, why) of the first failure
        #: the writer could not start or ended without a word (killed, out of memory): what it
        #: wrote is in :meth:`written`, the rest in :meth:`unwritten`; no entry failed
        self.lost = False

    def _start(self) -> None:
        import subprocess
        from multiprocessing.connection import Connection

        from .store_io import ENV_WRITER_OF

        env = {**os.environ, ENV_WRITER_OF: str(os.getpid())}
        try:
            self._proc = subprocess.Popen([sys.executable, "-m", "newsarchive.store_queue", str(os.getpid())],
                                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        except (OSError, ValueError):  # no interpreter to run (an embedded one): written here instead
            self.lost = True
            return
        try:  # room for a few hundred small entries: the import never waits for the writer to start
            import fcntl

            fcntl.fcntl(self._proc.stdin.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
            fcntl.fcntl(self._proc.stdout.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
        except OSError:
            pass
        self._out = Connection(os.dup(self._proc.stdin.fileno()), readable=False)
        self._in = Connection(os.dup(self._proc.stdout.fileno()), writable=False)
        self._proc.stdin.close()
        self._proc.stdout.close()

    def submit(self, new: "NewFolder", *, prepare: tuple[str, str] | None = None) -> None:
        """Queue ``new`` to be written. ``prepare``: (an engine's ``preparer``, the entry's body):
        once written, the writer prepares its search document too (:attr:`NewFolder.prepared`),
        from the entry.json it wrote, as long as it keeps up (no more than :data:`PREPARE_BELOW`
        folders unanswered); else the import makes that document itself, and the work is shared
        by the two processes as each has time for it."""
        if self._proc is None and not self.lost:
            self._start()
        if self.stopped:
            self._unwritten.append(new.entry_id)
            return
        while len(self._pending) >= MAX_PENDING and self._in is not None:
            self._flush()
            self._read(block=True, one=True)
        self._pending[new.entry_id] = new
        if len(self._pending) > PREPARE_BELOW:
            prepare = None
        self._outbox.append((new.entry_id, new.final, new.files, new.mtime_ns, prepare))
        if len(self._outbox) >= CHUNK:
            self._flush()
            self._read(block=False)

    def _flush(self) -> None:
        """Send the folders queued since the last message (one message per :data:`CHUNK`)."""
        if not self._outbox or self._out is None:
            return
        chunk, self._outbox = self._outbox, []
        try:
            self._out.send((os.fspath(self.store.archive), self.durable, chunk))
        except OSError:  # the writer is gone: the answers say what it wrote
            self._lost()

    @property
    def stopped(self) -> bool:
        """A write failed or the writer was lost: nothing more is written through this queue."""
        return self.failure is not None or self.lost

    def pending(self, entry_id: str) -> bool:
        """Queued and not written yet (or never to be, after a failure)."""
        return entry_id in self._pending

    def written(self) -> list["NewFolder"]:
        """The folders written since the last call, in the order they were queued."""
        self._read(block=False)
        done, self._written = self._written, []
        return done

    def unwritten(self) -> list[str]:
        """The entries that will never be written: the failed one and all queued after it
        (meaningful once :meth:`settle` returned)."""
        return [i for i in ([self.failure[0]] if self.failure else []) if i] + list(self._unwritten)

    def settle(self) -> None:
        """Wait until every queued folder is written (or, after a failure, given up)."""
        self._flush()
        self._read(block=True)

    def close(self) -> None:
        """Stop the writer once it has written what was queued (so nothing named by the
        journal is left half-done by this process), and wait for it."""
        if self._proc is None:
            return
        self._flush()
        try:
            self._out.send(None)
        except OSError:
            pass
        self._read(block=True)
        for conn in (self._out, self._in):
            if conn is not None:
                conn.close()
        self._out = self._in = None
        self._proc.wait()
        self._proc = None

    def _read(self, *, block: bool, one: bool = False) -> None:
        """Take the writer's answers: those there are, or (``block``) until none is due (``one``:
        until at least one message came)."""
        while self._pending and self._in is not None:
            try:
                if not block and not self._in.poll(0):
                    return
                answers = self._in.recv()
            except (EOFError, OSError):
                self._lost()
                return
            for answer in answers:
                kind, entry_id = answer[0], answer[1]
                new = self._pending.pop(entry_id)
                if kind == "ok":
                    new.stamp, new.prepared = answer[2], answer[3]
                    self._written.append(new)
                elif kind in ("failed", "exists"):
                    from .errors import StoreError

                    why = (f"cannot write entry {entry_id}: {answer[2]}; nothing was changed"  # as Store.write_new
                           if kind == "failed" else f"entry folder {answer[2]} already exists")  # as stage_new
                    self.failure = (entry_id, StoreError(why))
                else:  # "skipped": after a failure
                    self._unwritten.append(entry_id)
            if one:
                return

    def _lost(self) -> None:
        """The writer ended without answering for what is pending (killed, out of memory). A
        folder is renamed into place whole or not at all: what is in place was written (its
        answer was lost), the rest was not (a ``.tmp-*`` leftover is the next lock's to remove)."""
        self.lost = True
        self._outbox.clear()
        for entry_id, new in list(self._pending.items()):
            try:
                meta = os.stat(os.path.join(new.final, "entry.json"))
            except OSError:
                self._unwritten.append(entry_id)
            else:
                new.stamp = (meta.st_mtime_ns, meta.st_size)
                self._written.append(new)
        self._pending.clear()
        if self._in is not None:
            self._in.close()
            self._in = None


# --------------------------------------------------------------------------- the writer process


def _die_with(parent: int) -> None:
    """Be killed when the import process ends, however it ends (before its lock is gone)."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # it ended before the line above
        os._exit(1)


@functools.cache
def _preparer(spec: str) -> Any:
    """An engine's preparer, "module:function", imported once."""
    import importlib

    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def _prepared(prepare: tuple[str, str] | None, files: list[tuple[str, bytes]], stamp: Any) -> Any:
    """The search document of a folder just written, as ``prepare`` = (the engine's preparer,
    the body) makes it of the entry.json written; None when there is none to make or it fails
    (the import then builds it itself)."""
    if prepare is None:
        return None
    import json

    from .model import Entry

    spec, body = prepare
    try:
        meta = next(data for rel, data in files if rel == "entry.json")
        return _preparer(spec)(Entry.from_json(json.loads(meta)), body, stamp)
    except Exception:  # noqa: BLE001 - the import builds the document itself
        return None


def _writer(parent: int) -> None:
    import queue
    import signal
    import threading
    from multiprocessing.connection import Connection

    from .store_io import write_folder

    _die_with(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the import, which then stops this
    inp, out = Connection(0, writable=False), Connection(1, readable=False)
    # The answers are sent by a thread of their own, so that this one never waits for the import
    # to read them: it always takes the next folders, and the import never waits for it forever.
    answers_out: Any = queue.SimpleQueue()

    def send() -> None:
        while (answers := answers_out.get()) is not None:
            try:
                out.send(answers)
            except OSError:  # the import is gone (this process dies with it)
                os._exit(1)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    failed = False
    try:
        while True:
            try:
                message = inp.recv()
            except EOFError:
                return
            if message is None:
                return
            archive, durable, chunk = message
            answers = []
            for entry_id, final, files, mtime_ns, prepare in chunk:
                if failed:
                    answers.append(("skipped", entry_id))
                    continue
                try:
                    stamp = write_folder(archive, entry_id, final, files, durable=durable, mtime_ns=mtime_ns,
                                         no_replace=True)
                except FileExistsError:  # as Store.stage_new says it (the import did not look)
                    failed = True
                    answers.append(("exists", entry_id, final))
                except OSError as exc:
                    failed = True
                    answers.append(("failed", entry_id, exc.strerror or str(exc)))
                except Exception as exc:  # noqa: BLE001 - said to the import, which reports it
                    failed = True
                    answers.append(("failed", entry_id, f"{exc.__class__.__name__}: {exc}"))
                else:
                    answers.append(("ok", entry_id, stamp, _prepared(prepare, files, stamp)))
            answers_out.put(answers)
    finally:
        answers_out.put(None)
        sender.join()


if __name__ == "__main__":
    try:
        _writer(int(sys.argv[1]))
    except BaseException:  # noqa: BLE001 - the import sees the pipe close and says so
        os._exit(1)
