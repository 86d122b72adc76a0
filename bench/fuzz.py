"""Hostile and malformed input: a corpus of nasty files plus random mutations, through the CLI.

    python bench/fuzz.py                 # the corpus + 3,000 random inputs + 2,000 random queries
    python bench/fuzz.py --inputs 200 --queries 200 --seed 7
    python bench/fuzz.py --engine tantivy   # the same on a collection made with --engine tantivy

Every input goes through `newsarchive import` (or `add`, `extract`, `search`) in this process,
as a user would type it. Each must end in exit status 0, 1 or 2 with one-line `Error:` or
`failed:` messages: an exception escaping the command, or an "internal error" message, counts
as a traceback. Nothing may be written outside the collection (the work folder is listed
before and after), and `verify` must find the collection sound at the end.

Inputs: valid samples of JSONL, CSV, BibTeX, RIS, CSL-JSON, HTML and WARC (plain and gzip),
truncated at random points, with random bytes flipped or inserted, or replaced by random
bytes; deeply nested HTML, JSON and BibTeX braces; huge single lines; invalid UTF-8; a gzip
bomb inside a WARC (1 GiB of zeros in 1 MB); paths such as ../../etc/passwd, absolute paths
and symbolic links (out of the folder, in a loop) in imported folders and manifests.

Prints inputs tried, queries tried, tracebacks, writes outside, problems; exit 1 on any.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import sys
import tempfile
import time
import zlib
from pathlib import Path

TRACEBACK_MARK = "internal error"

HTML = (b'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Fuzz page</title>'
        b'<meta property="og:title" content="Fuzz &amp; page"><meta name="author" content="Jovana Gec">'
        b'<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Fuzz", '
        b'"datePublished": "2024-09-04T10:00:00Z", "author": {"name": "Jovana Gec"}}</script></head>'
        b"<body><article><h1>Fuzz page</h1><p>By Jovana Gec</p><p>Serbia's deputy prime minister met "
        b"a Russian leader on Wednesday, said the article text of this sample page.</p></article></body></html>")


def warc_record(uri: str, payload: bytes, ctype: bytes = b"text/html", record_id: str = "1") -> bytes:
    http = b"HTTP/1.1 200 OK\r\nContent-Type: " + ctype + b"\r\nContent-Length: %d\r\n\r\n" % len(payload) + payload
    head = (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:%s>\r\nWARC-Target-URI: %s\r\n"
            b"WARC-Date: 2024-09-04T10:00:00Z\r\nContent-Type: application/http; msgtype=response\r\n"
            b"Content-Length: %d\r\n\r\n" % (record_id.encode(), uri.encode(), len(http)))
    return head + http + b"\r\n\r\n"


SAMPLES: dict[str, bytes] = {
    "jsonl": (json.dumps({"title": "Fuzz ćirilica", "authors": ["Jovana Gec"], "published": "Sept. 4, 2024",
                          "url": "https://fuzz.example/1", "text": "Body text of the first record."}) + "\n"
              + json.dumps({"title": "Second", "outlet": "AP News", "tags": ["a", "b"]}) + "\n").encode(),
    "csv": "title,authors,published,url,text\nFuzz row,Jovana Gec,2024-09-04,https://fuzz.example/c,\"Body, with comma\"\n"
           "Second row,\"Gec, Jovana; Associated Press\",Sept. 2024,,\n".encode(),
    "bib": rb"""@string{ap = "AP News"}
@article{gec2024, title = {Serbia's {Vu\v{c}i\'c} \& sanctions}, author = {Gec, Jovana and {Associated Press}},
  journal = ap, year = 2024, month = sep, url = {https://fuzz.example/b}}
@online{x, title={Second}, date={2024-09-04}}
""",
    "ris": b"TY  - NEWS\nTI  - Fuzz RIS title\nAU  - Gec, Jovana\nPY  - 2024/09/04\nUR  - https://fuzz.example/r\nER  - \n"
           b"TY  - ELEC\nTI  - Second\nER  - \n",
    "json": json.dumps([{"id": "a", "type": "article-newspaper", "title": "Fuzz CSL", "author": [{"family": "Gec", "given": "Jovana"}],
                        "issued": {"date-parts": [[2024, 9, 4]]}, "URL": "https://fuzz.example/j"},
                       {"id": "b", "type": "webpage", "title": "Second"}]).encode(),
    "html": HTML,
    "warc": warc_record("https://fuzz.example/w", HTML),
}
SAMPLES["warc.gz"] = gzip.compress(SAMPLES["warc"])
FORMATS = {"jsonl": "jsonl", "csv": "csv", "bib": "bibtex", "ris": "ris", "json": "csl-json",
           "warc": "warc", "warc.gz": "warc", "html": "folder"}


def mutate(rng: random.Random, data: bytes) -> bytes:
    """One random damage: truncation, flipped bytes, inserted specials, random bytes, repetition."""
    kind = rng.randrange(7)
    if kind == 0 or not data:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 400)))
    if kind == 1:
        return data[: rng.randrange(len(data) + 1)]
    if kind == 2:
        b = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        return bytes(b)
    if kind == 3:
        pos = rng.randrange(len(data) + 1)
        junk = rng.choice([b"\xff\xfe", b"\x00", b"{", b"}", b'"', b"\r", b"\n\n", b"@", b"TY  - ", b"ER  - ",
                           b"\\", b"%", b"<", b"]]>", b"\xc3(", b"\xed\xa0\x80", b"WARC/1.0\r\n", b","])
        return data[:pos] + junk * rng.randint(1, 50) + data[pos:]
    if kind == 4:
        a, b = sorted(rng.randrange(len(data) + 1) for _ in range(2))
        return data[:a] + data[b:]
    if kind == 5:
        return data * rng.randint(2, 5)
    pos = rng.randrange(len(data) + 1)
    return data[:pos] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 64))) + data[pos:]


def gzip_bomb_warc(path: Path, size: int = 1 << 30) -> None:
    """A WARC.gz whose one record inflates to ``size`` bytes of zeros (1 GiB is about 1 MB)."""
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"
    head = (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:bomb>\r\n"
            b"WARC-Target-URI: https://bomb.example/\r\nWARC-Date: 2024-09-04T10:00:00Z\r\n"
            b"Content-Type: application/http; msgtype=response\r\nContent-Length: %d\r\n\r\n" % (len(http) + size))
    co = zlib.compressobj(1, zlib.DEFLATED, 31)
    chunk = b"\0" * (1 << 24)
    with open(path, "wb") as fh:
        fh.write(co.compress(head + http))
        for _ in range(size // len(chunk)):
            fh.write(co.compress(chunk))
        fh.write(co.compress(b"\r\n\r\n") + co.flush())


def nasty_corpus(folder: Path, *, bomb: bool = True) -> list[list[str]]:
    """Write the nasty files into ``folder``; return the CLI argument lists that use them."""
    folder.mkdir(parents=True, exist_ok=True)
    outside = folder / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "secret.html").write_text("<p>SECRET-OUTSIDE text that must never be archived</p>")
    cases: list[list[str]] = []

    def f(name: str, data: bytes | str, *args: str) -> None:
        p = folder / name
        p.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        cases.append([*args, str(p)] if args else ["import", str(p)])

    deep = 100_000
    f("deep.html", "<html><body>" + "<div>" * deep + "<p>deep text</p>" + "</div>" * deep + "</body></html>", "add")
    f("deep-unclosed.html", "<html><body>" + "<b><i><span>" * deep + "text", "add")
    f("deep-extract.html", "<table>" * deep, "extract")
    f("deep.jsonl", '{"title": ' + "[" * deep + "]" * deep + "}\n")
    f("deep.json", "[" * deep + "]" * deep)
    f("deep-item.json", '[{"title": "x", "author": ' + "[" * deep + "]" * deep + "}]")
    f("deep.bib", "@article{k, title={" + "{" * 20_000 + "a" + "}" * 20_000 + "}, year={2024}}\n")
    f("deep-unbalanced.bib", "@article{k, title={" + "{" * 20_000 + "a}, year={2024}}\n")
    f("longline.html", "<html><body><p>" + "word " * 2_000_000 + "</p></body></html>", "add")
    f("longline.txt", "x" * 8_000_000, "add")
    f("longline.jsonl", json.dumps({"title": "t" * 1_000_000, "text": "y " * 1_000_000}) + "\n")
    f("longline.csv", "title,text\nlong," + "z" * 8_000_000 + "\n")
    f("longline.ris", "TY  - NEWS\nTI  - " + "t" * 3_000_000 + "\nER  - \n")
    f("longline.bib", "@article{k, title={" + "a" * 3_000_000 + "}, year={2024}}\n")
    f("bad-utf8.csv", b"title,text\n\x9b\xffBad,row\nGood row,fine text\n")
    f("bad-utf8-header.csv", b"\xfftitle,text\nA,b\n")
    f("bad-utf8.jsonl", b'{"title": "bad \xff\xfe", "text": "x"}\n{"title": "good utf8 line", "text": "y"}\n')
    f("bad-utf8.bib", b"@article{k, title={Caf\xe9 \xff}, year={2024}}\n")
    f("bad-utf8.ris", b"TY  - NEWS\nTI  - Caf\xe9 \xff\nER  - \n")
    f("bad-utf8.html", b"<html><title>Caf\xe9 \xff\xfe</title><body><p>\xc3( text \xed\xa0\x80</p></body></html>", "add")
    f("nul.jsonl", b'{"title": "nul\\u0000byte", "text": "a\\u0000b"}\n')
    f("surrogate.jsonl", b'{"title": "lone \\ud800 surrogate", "text": "x \\udfff"}\n')
    f("empty.jsonl", b"")
    f("empty.csv", b"")
    f("empty.json", b"")
    f("empty.warc", b"", "import", "--from", "warc")
    f("not-warc.warc.gz", b"\x1f\x8b" + os.urandom(300))
    f("wrong-length.warc", SAMPLES["warc"].replace(b"Content-Length: ", b"Content-Length: 9", 1))
    f("negative-length.warc", SAMPLES["warc"].replace(b"Content-Length: ", b"Content-Length: -", 1))
    if bomb:
        gzip_bomb_warc(folder / "bomb.warc.gz")
        cases.append(["import", str(folder / "bomb.warc.gz")])
    manifest = folder / "manifest"
    manifest.mkdir(exist_ok=True)
    lines = [{"title": "up", "snapshot": "../../etc/passwd"}, {"title": "up2", "snapshot": "sub/../../outside/secret.html"},
             {"title": "abs", "snapshot": "/etc/hostname"}, {"id": "../../evil", "citekey": "k", "title": "t"},
             {"id": "abcd2345", "citekey": "../../etc/passwd", "title": "t",
              "snapshots": [{"path": "../../evil.txt", "media_type": "text/plain", "size": 1, "sha256": "0" * 64,
                             "captured_at": "2024"}], "snapshot": "."},
             {"id": "abcd2346", "citekey": "k2", "title": "t",
              "snapshots": [{"path": "/etc/passwd", "media_type": "text/plain", "size": 1, "sha256": "0" * 64,
                             "captured_at": "2024"}], "snapshot": "."},
             {"title": "key", "citekey": "../../x", "text": "citekey with a path in it"},
             {"title": "dir", "snapshot": "."}, {"title": "dev", "snapshot": "/dev/zero"}]
    if Path("/dev/zero").exists():
        lines.pop()  # reading /dev/zero is the user's own doing; it would only stop at the size limit
    (manifest / "in.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    cases.append(["import", str(manifest / "in.jsonl")])
    pages = folder / "pages"
    pages.mkdir(exist_ok=True)
    (pages / "ok.html").write_bytes(HTML)
    for name, target in [("passwd.txt", "/etc/passwd"), ("secret.html", str(outside / "secret.html")),
                         ("up.html", "../outside/secret.html"), ("loop.html", "loop.html"),
                         ("loop-a.html", "loop-b.html"), ("loop-b.html", "loop-a.html"),
                         ("etc", "/etc"), ("outdir", str(outside)), ("dangling.html", "/nonexistent/x.html")]:
        if not (pages / name).is_symlink():
            os.symlink(target, pages / name)
    sub = pages / "sub"
    sub.mkdir(exist_ok=True)
    (sub / "..hidden.html").write_bytes(HTML)
    (sub / "name with spaces & 'quotes'.html").write_bytes(HTML.replace(b"Fuzz page", b"Spaces page"))
    if not (sub / "fifo.html").exists():
        os.mkfifo(sub / "fifo.html")
    cases.append(["import", str(pages)])
    return cases


# --------------------------------------------------------------------------- running inputs

class Runner:
    """Runs CLI argument lists in one collection, in this process, and keeps the figures."""

    def __init__(self, work: Path, *, engine: str = "whoosh"):
        from typer.testing import CliRunner

        from newsarchive import api

        self.work = work
        self.root = api.init(work / "coll", engine=engine)
        self.runner = CliRunner()
        self.inputs = self.queries = self.tracebacks = 0
        self.problems: list[str] = []

    def run(self, args: list[str], *, what: str = "input") -> int:
        from newsarchive.cli import app

        if what == "query":
            self.queries += 1
        else:
            self.inputs += 1
        r = self.runner.invoke(app, ["--root", str(self.root), *args])
        err = r.stderr or ""
        shown = " ".join(args)[:120]
        if r.exception is not None and not isinstance(r.exception, SystemExit):
            self.tracebacks += 1
            self.problems.append(f"{shown}: {r.exception.__class__.__name__}: {str(r.exception)[:200]}")
        elif TRACEBACK_MARK in err or "Traceback" in err:
            self.tracebacks += 1
            self.problems.append(f"{shown}: {err.strip()[:300]}")
        elif r.exit_code not in (0, 1, 2):
            self.problems.append(f"{shown}: exit status {r.exit_code}")
        elif r.exit_code == 2 and what == "query" and not err.startswith("Error: "):
            self.problems.append(f"{shown}: exit 2 without an Error: line: {err[:200]!r}")
        return r.exit_code

    def finish(self) -> None:
        from newsarchive import api

        checked, problems, _ = api.verify(self.root)
        for p in problems:
            if p.kind != "extra" or p.id is not None:
                self.problems.append(f"verify: {p.kind} {p.id or p.path}: {p.detail}")
        for d in (self.root / "archive").iterdir():
            if d.name != ".lock" and not (d / "entry.json").is_file():
                self.problems.append(f"unexpected in the archive: {d.name}")
        secrets = [e.id for e in api.list_entries(self.root)
                   if "SECRET-OUTSIDE" in api.body_text(api.open_store(self.root), e)
                   or "root:x:0:0" in api.body_text(api.open_store(self.root), e)]
        if secrets:
            self.problems.append(f"files from outside the imported folder were archived: {secrets}")


def listing(folder: Path, skip: Path) -> dict[str, tuple[int, float]]:
    """Every path under ``folder`` except ``skip`` (the collection) with size and mtime."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        if Path(dirpath) == skip.parent:
            dirnames[:] = [d for d in dirnames if Path(dirpath, d) != skip]
        for name in dirnames + filenames:
            p = Path(dirpath, name)
            st = p.lstat()
            out[str(p)] = (st.st_size, st.st_mtime)
    return out


def random_inputs(runner: Runner, rng: random.Random, n: int, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    exts = list(SAMPLES)
    for i in range(n):
        ext = exts[i % len(exts)]
        data = mutate(rng, SAMPLES[ext])
        if rng.random() < 0.3:
            data = mutate(rng, data)
        if ext == "html":
            if i % 2:
                d = folder / f"f{i}"
                d.mkdir()
                (d / "page.html").write_bytes(data)
                runner.run(["import", str(d)])
            else:
                p = folder / f"in{i}.html"
                p.write_bytes(data)
                runner.run(["add", str(p), "--url", f"https://fuzz.example/add/{i}"] if i % 4 else ["extract", str(p)])
            continue
        p = folder / f"in{i}.{ext}"
        p.write_bytes(data)
        runner.run(["import", str(p)] + (["--from", FORMATS[ext]] if rng.random() < 0.5 else []))


QUERY_ALPHABET = ('abcxyz019 "():*?~^-+!&|\\/[]{}<>=,.;\'`@#$%_ AND OR NOT NEAR title: outlet: published: '
                  "author: tag: 2024 2024-09 ..  ćšž中文\u0000\u200b\n\t")


def random_query(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return "".join(chr(rng.randrange(1, 0x3000)) for _ in range(rng.randint(0, 30)))
    pieces = QUERY_ALPHABET.split(" ")
    return " ".join(rng.choice(pieces) if rng.random() < 0.5 else rng.choice(QUERY_ALPHABET)
                    for _ in range(rng.randint(0, 12)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--inputs", type=int, default=3000, help="random mutated inputs")
    ap.add_argument("--queries", type=int, default=2000, help="random queries")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--engine", default="whoosh", help="the collection's search engine (whoosh, tantivy)")
    args = ap.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="newsarchive-fuzz-"))
    started = time.monotonic()
    try:
        runner = Runner(work, engine=args.engine)
        cases = nasty_corpus(work / "corpus")
        before = listing(work, runner.root)
        for case in cases:
            runner.run(case)
        print(f"corpus: {len(cases)} nasty inputs, {runner.tracebacks} tracebacks")
        random_inputs(runner, rng, args.inputs, work / "random")
        for _ in range(args.queries):
            q = random_query(rng)
            facet = ["--facet", "outlet"] if rng.random() < 0.2 else []
            runner.run(["search", *facet, "--", q], what="query")  # "--": a query may begin with a dash
        after = listing(work, runner.root)
        written = [p for p in after if p not in before and not p.startswith(str(work / "random"))]
        changed = [p for p in before if p in after and after[p] != before[p]]
        runner.finish()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for p in runner.problems[:40]:
        print(f"problem: {p}")
    print(f"engine {args.engine}, seed {seed}: inputs tried: {runner.inputs}, queries tried: {runner.queries}, "
          f"tracebacks: {runner.tracebacks}, writes outside the collection: {len(written) + len(changed)}, "
          f"problems: {len(runner.problems)}; {time.monotonic() - started:.0f} s")
    return 1 if runner.problems or written or changed else 0


if __name__ == "__main__":
    sys.exit(main())
