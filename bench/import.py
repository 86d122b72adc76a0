"""Bulk import and export benchmark (issue 6): each corpus into a fresh collection, with the real CLI.

    python bench/import.py --reuters ../shared/fixtures/reuters21578 --bbc ../shared/fixtures/bbc \\
        --synthetic 100000

Every run is a separate ``newsarchive`` process (``python -m newsarchive``), timed from outside;
its peak memory is the child's own ``ru_maxrss`` (``os.wait4``). For each corpus it prints records,
wall seconds, CPU seconds (user + system: what the import itself cost, whatever else the machine
was doing), articles per second, peak RSS, the archive's and the index's size on disk (allocated
blocks, and apparent bytes), and the time of ``export --to bibtex`` and ``export --to csl-json``
of the whole collection. ``--json FILE`` also writes the figures as JSON.

Inputs:
  --reuters DIR|FILE   the Reuters-21578 SGML folder (converted with bench/reuters.py into a temp
                       JSONL first; the conversion is not timed) or an already converted JSONL
  --bbc DIR            the BBC News folder (imported as a folder: one page per file)
  --synthetic N        N synthetic articles (bench/synthetic.py, seed 1, 600 words), as JSONL
  --keep DIR           keep the collections (and inputs) under DIR instead of a temp folder

Targets (issue 6): Reuters with indexing under 120 s; peak RSS under 300 MB at 100,000 articles;
export of the 19,043 Reuters entries to BibTeX or CSL-JSON under 10 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def run_child(args: list[str]) -> dict:
    """Run ``python -m newsarchive ARGS``: exit code, wall time, and the CPU time and peak RSS of
    that process alone (waited for with wait4; subprocess.Popen would reap it first)."""
    cmd = [sys.executable, "-m", "newsarchive", *args]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        pid = os.posix_spawn(sys.executable, cmd, os.environ,
                             file_actions=[(os.POSIX_SPAWN_DUP2, out.fileno(), 1),
                                           (os.POSIX_SPAWN_DUP2, err.fileno(), 2)])
        _pid, status, usage = os.wait4(pid, 0)
        wall = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        return {"code": os.waitstatus_to_exitcode(status), "wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
                "rss_mb": usage.ru_maxrss / 1024, "stdout": out.read().decode("utf-8", "replace"),
                "stderr": err.read().decode("utf-8", "replace")}


def disk_usage(path: Path) -> tuple[int, int, int]:
    """(allocated bytes, apparent bytes, files) of a tree."""
    blocks = apparent = files = 0
    for dirpath, _dirs, names in os.walk(path):
        st = os.lstat(dirpath)
        blocks += st.st_blocks * 512
        for n in names:
            st = os.lstat(os.path.join(dirpath, n))
            blocks += st.st_blocks * 512
            apparent += st.st_size
            files += 1
    return blocks, apparent, files


def mb(n: float) -> str:
    return f"{n / 2**20:,.0f} MB"


def bench_corpus(name: str, source: Path, work: Path, *, source_format: str | None = None) -> dict:
    root = work / f"coll-{name}"
    if root.exists():
        shutil.rmtree(root)
    init = run_child(["init", str(root)])
    assert init["code"] == 0, init["stderr"]
    args = ["--root", str(root), "import", str(source), "--format", "json"]
    if source_format:
        args += ["--from", source_format]
    print(f"[{name}] importing {source} ...", file=sys.stderr, flush=True)
    imp = run_child(args)
    if imp["code"] not in (0, 1):  # 1: some records failed (reported); anything else is a crash
        raise SystemExit(f"[{name}] import failed ({imp['code']}):\n{imp['stderr'][-2000:]}")
    summary = json.loads(imp["stdout"])
    st = json.loads(run_child(["--root", str(root), "status", "--format", "json"])["stdout"])
    arch_blocks, arch_bytes, arch_files = disk_usage(root / "archive")
    idx_blocks, idx_bytes, _ = disk_usage(root / "index")
    row = {"corpus": name, "records": summary["records"], "counts": summary["counts"],
           "entries": st["entries"], "indexed": st["indexed"], "index_state": st["index"],
           "import_wall_s": round(imp["wall"], 1), "import_cpu_s": round(imp["cpu"], 1),
           "articles_per_s": round(summary["records"] / imp["wall"], 1),
           "peak_rss_mb": round(imp["rss_mb"], 1),
           "archive_bytes_on_disk": arch_blocks, "archive_bytes": arch_bytes, "archive_files": arch_files,
           "index_bytes_on_disk": idx_blocks, "index_bytes": idx_bytes}
    for fmt in ("bibtex", "csl-json"):
        out = work / f"{name}.{fmt}"
        print(f"[{name}] export --to {fmt} ...", file=sys.stderr, flush=True)
        ex = run_child(["--root", str(root), "export", "--to", fmt, "-o", str(out)])
        assert ex["code"] == 0, ex["stderr"]
        row[f"export_{fmt}_s"] = round(ex["wall"], 1)
        row[f"export_{fmt}_rss_mb"] = round(ex["rss_mb"], 1)
        row[f"export_{fmt}_bytes"] = out.stat().st_size
    print(f"[{name}] {json.dumps(row)}", file=sys.stderr, flush=True)
    return row


def reuters_jsonl(src: Path, work: Path) -> Path:
    if src.is_file():
        return src
    import reuters

    out = work / "reuters.jsonl"
    print(f"[reuters] converting {src} -> {out} (not timed) ...", file=sys.stderr, flush=True)
    with open(out, "w", encoding="utf-8") as fh:
        for doc in reuters.convert(src):
            fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return out


def synthetic_jsonl(n: int, work: Path) -> Path:
    import synthetic

    out = work / f"synthetic-{n}.jsonl"
    if out.exists():  # from an earlier run with the same --keep folder (deterministic: seed 1)
        return out
    print(f"[synthetic] generating {n} articles -> {out} (not timed) ...", file=sys.stderr, flush=True)
    with open(out, "w", encoding="utf-8") as fh:
        for doc in synthetic.generate(n):
            fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return out


def table(rows: list[dict]) -> str:
    head = ("| corpus | records | created | import s (wall) | CPU s | articles/s | peak RSS | archive on disk "
            "(apparent) | index | export BibTeX s | export CSL-JSON s |")
    lines = [head, "|" + "---|" * 11]
    for r in rows:
        lines.append(
            f"| {r['corpus']} | {r['records']:,} | {r['counts'].get('created', 0):,} | {r['import_wall_s']} | "
            f"{r['import_cpu_s']} | {r['articles_per_s']} | {r['peak_rss_mb']:.0f} MB | "
            f"{mb(r['archive_bytes_on_disk'])} ({mb(r['archive_bytes'])}, {r['archive_files']:,} files) | "
            f"{mb(r['index_bytes_on_disk'])} | {r['export_bibtex_s']} | {r['export_csl-json_s']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reuters", type=Path)
    ap.add_argument("--bbc", type=Path)
    ap.add_argument("--synthetic", type=int)
    ap.add_argument("--keep", type=Path)
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    a = ap.parse_args(argv)
    if not (a.reuters or a.bbc or a.synthetic):
        ap.error("give at least one of --reuters, --bbc, --synthetic")
    if a.keep:
        a.keep.mkdir(parents=True, exist_ok=True)
        work, cleanup = a.keep, None
    else:
        cleanup = tempfile.TemporaryDirectory(prefix="newsarchive-bench-")
        work = Path(cleanup.name)
    rows = []
    try:
        if a.reuters:
            rows.append(bench_corpus("reuters", reuters_jsonl(a.reuters, work), work))
        if a.bbc:
            rows.append(bench_corpus("bbc", a.bbc, work, source_format="folder"))
        if a.synthetic:
            rows.append(bench_corpus(f"synthetic-{a.synthetic}", synthetic_jsonl(a.synthetic, work), work))
    finally:
        if cleanup is not None:
            cleanup.cleanup()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end; "
          f"python {sys.version.split()[0]}")
    print(table(rows))
    if a.json:
        a.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
