"""The contract every two-way format keeps: entries exported with ``export --to NAME`` and
imported again with ``import --from NAME`` into an empty collection come back with the same
fields, except the ones this file names as lossy for that format (each with the reason).

The formats are taken from the registries, so a new two-way format is tested here as soon as it
is registered, and this file fails until its lossy fields are written down in ``LOSSY``.
All entries below are hand-written samples."""

from __future__ import annotations

import json
import re

import pytest

from newsarchive import api, formats
from newsarchive.formats.records import Record

# sample entries (metadata only), chosen so that each field the model has is set at least once
SAMPLES = [
    {"citekey": "sample-news", "kind": "newspaper", "title": "Council votes to keep the old bridge",
     "authors": ["Jovanović, Ana", "van der Berg, Pieter"], "outlet": "The Sample Times",
     "published": "2024-03-05", "accessed": "2024-03-06", "url": "https://news.example/bridge",
     "section": "Local", "pages": "A3", "language": "en", "tags": ["bridges", "council"],
     "notes": "Sample note."},
    {"citekey": "sample-web", "kind": "webpage", "title": "Water quality report, spring",
     "authors": [{"literal": "Sample Water Agency"}], "outlet": "Sample Water Agency",
     "published": "2023-05", "url": "https://agency.example/report", "modified": "2023-06-01",
     "archived_url": "https://archive.example/web/2023/https://agency.example/report"},
    {"citekey": "sample-journal", "kind": "journal article", "title": "Rivers and towns",
     "authors": ["Smith, John"], "outlet": "Journal of Samples", "published": "2021",
     "volume": "12", "issue": "3", "pages": "45-67", "doi": "10.1234/sample.5678", "issn": "1234-5678"},
    {"citekey": "sample-chapter", "kind": "chapter", "title": "Old bridges",
     "authors": ["Müller, Eva"], "editors": ["Ng, Lee"], "container_title": "A Book of Samples",
     "publisher": "Sample Press", "published": "2019", "isbn": "9780000000002", "pages": "1-20"},
]

COMPARED = ("citekey", "kind", "title", "authors", "outlet", "published", "modified", "accessed", "url",
            "archived_url", "section", "pages", "language", "tags", "notes", "container_title", "volume",
            "issue", "publisher", "editors", "doi", "issn", "isbn")

# what each format cannot carry, said plainly; every other field must come back unchanged
LOSSY: dict[str, dict[str, str]] = {
    "jsonl": {},
    "csv": {},
    "csl-json": {},
    "bibtex": {
        "modified": "BibTeX has no field for the date a page was last changed",
        "language": "classic BibTeX has no language field (BibLaTeX's langid carries it)",
        "published": "classic BibTeX has year and month: the day is not written",
        "kind": "classic BibTeX has no web type: a web page with a site is an @article (read back as a "
                "journal article); newspaper and magazine survive through entrysubtype",
    },
    "biblatex": {
        "modified": "BibLaTeX has no field for the date a page was last changed",
        "kind": "@online does not say which web kind: one with a site is read back as a news website",
    },
    "ris": {
        "modified": "RIS has no field for the date a page was last changed",
    },
}


def two_way() -> list[str]:
    """Every format that is both exported from entries and imported (by name or alias)."""
    names = []
    for exp in formats.EXPORTERS:
        if exp.takes != "entries":
            continue
        try:
            formats.importer(exp.name)
        except Exception:
            continue
        names.append(exp.name)
    return names


def test_every_two_way_format_declares_its_losses():
    assert set(two_way()) == set(LOSSY), "add the new format's lossy fields to LOSSY (empty if none)"


def _comparable(entry) -> dict:
    obj = entry.to_json()
    return {k: obj.get(k) for k in COMPARED}


@pytest.fixture
def source(tmp_path):
    root = api.init(tmp_path / "source")
    records = [Record(ref=s["citekey"], fields=dict(s), origin="user") for s in SAMPLES]
    outcomes = list(api.ingest_records(root, records, match="none"))
    assert [o.status for o in outcomes] == ["created"] * len(SAMPLES), [o.to_json() for o in outcomes]
    return root


@pytest.mark.parametrize("name", two_way())
def test_round_trip(tmp_path, source, name):
    exp = formats.exporter(name)
    out = tmp_path / f"export{exp.suffix}"
    incomplete: list[str] = []
    n = api.export(source, to=name, out=out, on_incomplete=incomplete.append)
    assert n == len(SAMPLES)
    target = api.init(tmp_path / "target")
    outcomes = list(api.import_file(target, out, source_format=name, match="none"))
    assert [o.status for o in outcomes] == ["created"] * len(SAMPLES), [o.to_json() for o in outcomes]

    before = {e.citekey: _comparable(e) for e in api.list_entries(source)}
    after = {e.citekey: _comparable(e) for e in api.list_entries(target)}
    assert set(after) == set(before)
    lossy = LOSSY[name]
    changed = {}
    for key, was in before.items():
        now = after[key]
        for f in COMPARED:
            if f not in lossy and was[f] != now[f] and not _doi_link(f, was, now):
                changed[f"{key}.{f}"] = (was[f], now[f])
    assert not changed, f"{name}: {changed}"


def _doi_link(field: str, was: dict, now: dict) -> bool:
    """The one gain every citation import makes, documented: a citation with a DOI and no URL
    gets the DOI's link as its URL (and the export leaves that link out again)."""
    return (field == "url" and was["url"] is None and was["doi"] is not None
            and now["url"] == "https://doi.org/" + was["doi"])


@pytest.mark.parametrize("name", sorted(LOSSY))
def test_each_declared_loss_is_real(tmp_path, source, name):
    """A field named lossy really is lost for some sample (no loss is declared to be safe)."""
    lossy = LOSSY[name]
    if not lossy:
        return
    out = tmp_path / f"export{formats.exporter(name).suffix}"
    api.export(source, to=name, out=out)
    target = api.init(tmp_path / "target")
    list(api.import_file(target, out, source_format=name, match="none"))
    before = {e.citekey: _comparable(e) for e in api.list_entries(source)}
    after = {e.citekey: _comparable(e) for e in api.list_entries(target)}
    for field in lossy:
        assert any(before[k][field] != after[k][field] for k in before), f"{name}: {field} is kept after all"


def test_detect_reads_back_what_each_exporter_writes(tmp_path, source):
    """A file an exporter wrote, under its own suffix, is recognised as that format on import."""
    for name in two_way():
        exp = formats.exporter(name)
        out = tmp_path / f"export-{name}{exp.suffix}"
        api.export(source, to=name, out=out)
        assert formats.importer(name) is formats.detect(out), name


def test_biblatex_is_accepted_by_import(tmp_path, source):
    out = tmp_path / "refs.bib"
    api.export(source, to="biblatex", out=out)
    assert formats.importer("biblatex").name == "bibtex"
    target = api.init(tmp_path / "target")
    assert {o.status for o in api.import_file(target, out, source_format="biblatex")} == {"created"}


def test_registries_describe_themselves():
    for imp in formats.IMPORTERS:
        assert imp.name and imp.description and callable(imp.load().read), imp.name
    for exp in formats.EXPORTERS:
        assert exp.media_type and exp.takes in ("entries", "collection"), exp.name
        assert callable(exp.write), exp.name
    names = formats.import_names(aliases=True) + formats.export_names()
    assert len(formats.import_names(aliases=True)) == len(set(formats.import_names(aliases=True)))
    assert "biblatex" in names


def test_csl_json_export_is_the_whole_file_cite_writes(tmp_path, source):
    """CSL-JSON goes through the exporter like the others: the streamed export and the
    one-piece ``cite --style csl-json`` of the same entries are the same JSON."""
    from newsarchive import cite

    out = tmp_path / "refs.json"
    api.export(source, to="csl-json", out=out)
    entries = sorted(api.list_entries(source), key=lambda e: e.citekey)
    streamed = sorted(json.loads(out.read_text("utf-8")), key=lambda i: i["id"])
    whole = sorted(json.loads(cite.format_entries(entries, "csl-json")), key=lambda i: i["id"])
    assert streamed == whole


def test_registry_loads_no_format_module(tmp_path):
    """Reading the registries (the CLI's help does) imports no format module."""
    import subprocess
    import sys

    code = ("import sys, newsarchive.formats as f, newsarchive.cite as c; f.help_list(f.IMPORTERS); "
            "c.help_list(); print(sorted(m for m in sys.modules if m.startswith('newsarchive.formats.') "
            "or m in ('bibtexparser', 'warcio', 'newsarchive.cite.apa', 'newsarchive.model')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


# formats written that no import reads, and why
NOT_READ = {"bagit": "a bag is a preservation package of stored files; import its JSONL export instead",
            "wacz": "a replay package; its archive/*.warc.gz are WARCs that `import` reads (no WACZ importer yet)",
            "evidence": "a package to hand to a third party (a bag holding a WACZ and entry folders), not a source"}


def test_import_accepts_every_name_export_writes():
    for exp in formats.EXPORTERS:
        if exp.name in NOT_READ:
            with pytest.raises(Exception, match="unknown source format"):
                formats.importer(exp.name)
            continue
        assert formats.importer(exp.name) is not None, exp.name
        for alias in exp.aliases:
            assert formats.importer(alias) is not None, alias


def _help(cli, *args) -> str:
    r = cli(*args, "--help")
    assert r.exit_code == 0, r.output
    # the help is wrapped at 80 columns, and a name may be broken after its hyphen ("csl-" "json")
    return re.sub(r"(?<=\w)-\s+(?=\w)", "-", " ".join(r.stdout.split()))


def test_cli_help_lists_every_registered_name(cli):
    from newsarchive import cite

    text = _help(cli, "import")
    for name in formats.import_names(aliases=True):
        assert name in text, f"import --help lacks {name}"
    text = _help(cli, "export")
    for name in formats.export_names(aliases=True):
        assert name in text, f"export --help lacks {name}"
    text = _help(cli, "cite")
    for name in cite.style_names():
        assert name in text, f"cite --help lacks {name}"


def test_cli_import_from_biblatex(cli, tmp_path):
    """`import x.bib --from biblatex` (the name export --to writes) reads the file."""
    bib = tmp_path / "sample.bib"
    bib.write_text("@online{sample2024,\n  author = {Gec, Jovana},\n  title = {A sample page},\n"
                   "  date = {2024-09-04},\n  url = {https://news.example/sample},\n"
                   "  organization = {Sample News},\n}\n", encoding="utf-8")
    r = cli("import", bib, "--from", "biblatex", "--format", "jsonl")
    assert r.exit_code == 0, r.output
    lines = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    assert [line["status"] for line in lines] == ["created"]
    r = cli("import", bib, "--from", "docx")
    assert r.exit_code == 2 and "unknown source format 'docx'" in r.output
