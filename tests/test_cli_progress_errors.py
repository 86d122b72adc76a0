"""Progress (per record, on stderr, only at a terminal) and output errors as one clear line."""

import errno
import io
import json

import pytest

from newsarchive import api
from newsarchive.import_options import ImportOptions
from newsarchive.cli.progress import Bar


def _add(root, n):
    for i in range(n):
        api.add(root, data=f"SAMPLE story {i}\n\nSample body {i} about copper.\n".encode(), source=f"s{i}.txt",
                fields={"outlet": "Sample Wire", "published": "2024"})


# --------------------------------------------------------------------------- progress

def test_import_reports_progress_once_per_record_not_per_batch(root, tmp_path):
    folder = tmp_path / "pages"
    folder.mkdir()
    for i in range(7):
        (folder / f"{i}.txt").write_text(f"SAMPLE page {i}\n\nSample text {i}.\n", "utf-8")
    (folder / "README.md").write_text("SAMPLE readme\n", "utf-8")
    src = tmp_path / "meta.jsonl"
    src.write_text('{"title": "SAMPLE a"}\n{"title": "SAMPLE b"}\nbad line\n', "utf-8")
    seen = []
    for path in (folder, src):
        ticks = []
        outcomes = []
        for o in api.import_file(root, path, batch_size=500, on_record=lambda: ticks.append(len(outcomes)),
                                 options=ImportOptions()):
            outcomes.append(o)
        seen.append((len(ticks), len(outcomes)))
        # the pages' ticks come while the batch is processed, before its lines are yielded
        assert ticks[0] == 0 and ticks.count(0) >= 7 if path == folder else True
    assert seen == [(8, 8), (3, 3)]  # one tick per record (the skipped README and the bad line too)


def test_reindex_verify_and_export_tick_once_per_entry(root, tmp_path):
    _add(root, 4)
    for run in (lambda t: api.reindex(root, on_entry=t), lambda t: api.verify(root, on_entry=t),
                lambda t: api.export(root, to="csv", out=tmp_path / "x.csv", on_entry=t)):
        ticks = []
        run(lambda: ticks.append(1))
        assert len(ticks) == 4


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_the_bar_is_shown_only_on_a_terminal():
    assert Bar("x", 3, stream=_Tty()).shown
    assert not Bar("x", 3, stream=io.StringIO()).shown
    assert not Bar("x", 3, stream=_Tty(), enabled=False).shown


def test_cli_commands_print_no_bar_when_stderr_is_not_a_terminal(cli, root, tmp_path):
    _add(root, 3)
    for args in (["reindex"], ["verify"], ["doctor"], ["export", "--to", "csv", "-o", str(tmp_path / "o.csv")]):
        r = cli(*args)
        assert "\x1b" not in r.stderr and "━" not in r.stderr, args


# --------------------------------------------------------------------------- errors

def test_missing_output_folder_is_one_line(cli, root, tmp_path):
    _add(root, 1)
    for args in (["export", "--to", "bibtex", "-o", "/no/such/dir/x.bib"],
                 ["export", "--to", "warc", "-o", "/no/such/dir/x.warc"],
                 ["export", "--to", "bagit", "-o", "/no/such/dir/bag"],
                 ["import", str(tmp_path), "--report", "/no/such/dir/r.jsonl"]):
        r = cli(*args)
        assert r.exit_code == 1, (args, r.output)
        assert len(r.stderr.splitlines()) == 1 and r.stderr.startswith("Error: ") and "/no/such/dir" in r.stderr
        assert "internal error" not in r.stderr


def test_a_file_in_the_way_is_one_line(cli, root, tmp_path):
    _add(root, 1)
    blocker = tmp_path / "afile"
    blocker.write_text("SAMPLE", "utf-8")
    r = cli("export", "--to", "ris", "-o", str(blocker / "x.ris"))
    assert r.exit_code == 1 and len(r.stderr.splitlines()) == 1 and str(blocker) in r.stderr
    r = cli("export", "--to", "csv", "-o", str(tmp_path))  # a folder, not a file
    assert r.exit_code == 1 and len(r.stderr.splitlines()) == 1 and "internal error" not in r.stderr


class _FullDisk:
    """A file whose writes fail as on a full disk (simulated: ENOSPC from write)."""

    def __init__(self, *a, **kw):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def write(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    def close(self):
        pass

    flush = close

    def fileno(self):
        raise OSError(errno.ENOSPC, "No space left on device")


def _full_disk_under(monkeypatch, folder, *, exclude=None, only=None):
    """Every file opened for writing under ``folder`` (not under ``exclude``; with ``only``, whose
    name contains it) fails as on a full disk: wherever the writing code lives."""
    import builtins
    from pathlib import Path

    real_open = builtins.open

    def fake_open(file, mode="r", *a, **kw):
        path = Path(file) if isinstance(file, (str, Path)) else None
        writing = any(c in str(mode) for c in "wxa+")
        if path is not None and writing and Path(folder) in path.parents \
                and not (exclude is not None and Path(exclude) in path.parents) \
                and (only is None or only in path.name):
            return _FullDisk()
        return real_open(file, mode, *a, **kw)

    monkeypatch.setattr(builtins, "open", fake_open)


@pytest.mark.parametrize("to", ["bibtex", "csv", "jsonl", "csl-json", "ris"])
def test_a_full_disk_during_export_is_one_line_and_leaves_no_file(cli, root, tmp_path, monkeypatch, to):
    _add(root, 2)
    out = tmp_path / f"out.{to}"
    _full_disk_under(monkeypatch, tmp_path, exclude=root)
    r = cli("export", "--to", to, "-o", str(out))
    assert r.exit_code == 1, r.output
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and "No space left on device" in lines[0] and "disk is full" in lines[0]
    assert str(out) in lines[0] and "internal error" not in r.stderr
    assert not out.exists() and not list(tmp_path.glob("*.part"))


def test_a_full_disk_when_writing_the_settings_is_one_line(cli, root, monkeypatch):
    before = (root / "newsarchive.toml").read_bytes()
    _full_disk_under(monkeypatch, root, only=".newsarchive.toml.")
    r = cli("config", "--set", "cite.style=mla")
    assert r.exit_code == 1 and len(r.stderr.splitlines()) == 1 and "No space left" in r.stderr
    assert (root / "newsarchive.toml").read_bytes() == before
    assert not [p for p in root.iterdir() if p.name.endswith(".tmp")]


def test_a_full_disk_writing_the_import_report_is_one_line(cli, root, tmp_path, monkeypatch):
    import builtins

    from newsarchive.cli import transfer

    src = tmp_path / "a.jsonl"
    src.write_text(json.dumps({"title": "SAMPLE"}) + "\n", "utf-8")
    real_open = builtins.open

    def fake_open(path, *a, **kw):
        if str(path).endswith("report.jsonl"):
            return _FullDisk()
        return real_open(path, *a, **kw)

    monkeypatch.setattr(transfer, "open", fake_open, raising=False)
    r = cli("import", src, "--report", str(tmp_path / "report.jsonl"))
    assert r.exit_code == 1 and "No space left" in r.stderr and "internal error" not in r.stderr
    assert len([x for x in r.stderr.splitlines() if x.startswith("Error")]) == 1
