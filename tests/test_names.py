"""Names: parsing people and organisations, rendering them per style, and round trips through
the citation formats. Every name here is a sample written for these tests."""

import csv
import io
import hashlib
import json
import shutil
import subprocess

import pytest

from newsarchive import cite
from newsarchive.cite import _common as c
from newsarchive.cite import apa, chicago, mla
from newsarchive.formats import bibtex, csljson, ris
from newsarchive.errors import InvalidEntry
from newsarchive.extract.bylines import clean_byline, titlecase_name
from newsarchive.model import Author, Entry, PartialDate, parse_name
from newsarchive.names import looks_like_organisation

# --------------------------------------------------------------------------- parsing

PARSE = [
    ("J.R.R. Tolkien", {"family": "Tolkien", "given": "J.R.R."}),
    ("James S.A. Corey", {"family": "Corey", "given": "James S.A."}),
    ("Smith, J.K.", {"family": "Smith", "given": "J.K."}),
    ("Goethe, Johann Wolfgang von", {"family": "Goethe", "given": "Johann Wolfgang", "dropping_particle": "von"}),
    ("Ursula von der Leyen", {"family": "Leyen", "given": "Ursula", "non_dropping_particle": "von der"}),
    ("von der Leyen, Ursula", {"family": "Leyen", "given": "Ursula", "non_dropping_particle": "von der"}),
    ("Ludwig van Beethoven", {"family": "Beethoven", "given": "Ludwig", "non_dropping_particle": "van"}),
    ("Jean de La Fontaine", {"family": "La Fontaine", "given": "Jean", "non_dropping_particle": "de"}),
    ("Martin Luther King Jr.", {"family": "King", "given": "Martin Luther", "suffix": "Jr."}),
    ("Martin Luther King, Jr.", {"family": "King", "given": "Martin Luther", "suffix": "Jr."}),
    ("King, Martin Luther, Jr.", {"family": "King", "given": "Martin Luther", "suffix": "Jr."}),
    ("King, Jr., Martin Luther", {"family": "King", "given": "Martin Luther", "suffix": "Jr."}),
    ("Henry Ford III", {"family": "Ford", "given": "Henry", "suffix": "III"}),
    ("Chien-Ming Wang", {"family": "Wang", "given": "Chien-Ming"}),
    ("Mary-Kate O'Neil", {"family": "O'Neil", "given": "Mary-Kate"}),
    ("García Márquez, Gabriel", {"family": "García Márquez", "given": "Gabriel"}),
    ("Kim Jong Un", {"family": "Kim", "given": "Jong Un"}),
    ("Kim, Jong Un", {"family": "Kim", "given": "Jong Un"}),
    ("Moon Jae-in", {"family": "Moon", "given": "Jae-in"}),
    ("Kim Kardashian", {"family": "Kardashian", "given": "Kim"}),
    ("Jo Ann Smith", {"family": "Smith", "given": "Jo Ann"}),
    ("Park Chan-wook", {"family": "Park", "given": "Chan-wook"}),
    ("Vincent Van Gogh", {"family": "Van Gogh", "given": "Vincent"}),
    ("Jovana Gec", {"family": "Gec", "given": "Jovana"}),
    # organisations, kept whole
    ("World Health Organization", {"literal": "World Health Organization"}),
    ("European Commission", {"literal": "European Commission"}),
    ("Human Rights Watch", {"literal": "Human Rights Watch"}),
    ("United Nations", {"literal": "United Nations"}),
    ("Al Jazeera", {"literal": "Al Jazeera"}),
    ("Amnesty International", {"literal": "Amnesty International"}),
    ("Acme Corp.", {"literal": "Acme Corp."}),
    ("The Plain Dealer", {"literal": "The Plain Dealer"}),
    ("Voice of America", {"literal": "Voice of America"}),
    ("European Union", {"literal": "European Union"}),
    ("{Jane Doe Quartet}", {"literal": "Jane Doe Quartet"}),
]


@pytest.mark.parametrize("text,expected", PARSE)
def test_parse_name(text, expected):
    assert parse_name(text).to_json() == expected


def test_organisation_can_be_forced():
    assert parse_name("Jane Doe", organisation=True).to_json() == {"literal": "Jane Doe"}
    with pytest.raises(InvalidEntry):
        parse_name("   ")


@pytest.mark.parametrize("name", ["Margaret Court", "Tom Watkins", "Jovana Gec", "Ban Ki-moon", "Al Gore",
                                  "Gabrielle Union", "Jim Courier"])
def test_people_are_not_organisations(name):
    assert not looks_like_organisation(name)


# --------------------------------------------------------------------------- the model's JSON

def test_old_entry_json_still_loads():
    # entry.json files written before the name parts existed
    old = Author.from_json({"family": "King", "given": "Martin Luther, Jr."})
    assert old == parse_name("Martin Luther King Jr.")
    old = Author.from_json({"family": "von der Leyen", "given": "Ursula"})
    assert old.to_json() == {"family": "Leyen", "given": "Ursula", "non_dropping_particle": "von der"}
    assert old.family_full == "von der Leyen"


def test_new_keys_round_trip_and_csl_spelling_is_read():
    a = parse_name("Goethe, Johann Wolfgang von")
    assert Author.from_json(a.to_json()) == a
    b = Author.from_json({"family": "Leyen", "given": "Ursula", "non-dropping-particle": "von der"})
    assert b.non_dropping_particle == "von der"
    with pytest.raises(InvalidEntry):
        Author.from_json({"literal": "X", "suffix": "Jr."})
    with pytest.raises(InvalidEntry):
        Author.from_json({"family": "X", "particle": "de"})


def test_display_keeps_the_name_as_written():
    for text in ("Ursula von der Leyen", "Martin Luther King Jr.", "Gabriel García Márquez", "Kim Jong Un",
                 "J.R.R. Tolkien", "Chien-Ming Wang"):
        assert parse_name(text).display == text


# --------------------------------------------------------------------------- per style

# name -> APA reference, MLA/Chicago... each as the style writes the first (inverted) author
STYLES = [
    # name,                       APA,                    MLA,                              Chicago bibliography,            note (reading order),          short
    ("J.R.R. Tolkien", "Tolkien, J. R. R.", "Tolkien, J.R.R.", "Tolkien, J.R.R.", "J.R.R. Tolkien", "Tolkien"),
    ("James S.A. Corey", "Corey, J. S. A.", "Corey, James S.A.", "Corey, James S.A.", "James S.A. Corey", "Corey"),
    ("Smith, J.K.", "Smith, J. K.", "Smith, J.K.", "Smith, J.K.", "J.K. Smith", "Smith"),
    ("Goethe, Johann Wolfgang von", "Goethe, J. W. von", "Goethe, Johann Wolfgang von",
     "Goethe, Johann Wolfgang von", "Johann Wolfgang von Goethe", "Goethe"),
    ("Ursula von der Leyen", "von der Leyen, U.", "von der Leyen, Ursula", "Leyen, Ursula von der",
     "Ursula von der Leyen", "von der Leyen"),
    ("Ludwig van Beethoven", "van Beethoven, L.", "van Beethoven, Ludwig", "Beethoven, Ludwig van",
     "Ludwig van Beethoven", "van Beethoven"),
    ("Martin Luther King Jr.", "King, M. L., Jr.", "King, Martin Luther, Jr.", "King, Martin Luther, Jr.",
     "Martin Luther King Jr.", "King"),
    ("Henry Ford III", "Ford, H., III", "Ford, Henry, III", "Ford, Henry, III", "Henry Ford III", "Ford"),
    ("Chien-Ming Wang", "Wang, C.-M.", "Wang, Chien-Ming", "Wang, Chien-Ming", "Chien-Ming Wang", "Wang"),
    ("Mary-Kate O'Neil", "O'Neil, M.-K.", "O'Neil, Mary-Kate", "O'Neil, Mary-Kate", "Mary-Kate O'Neil", "O'Neil"),
    ("García Márquez, Gabriel", "García Márquez, G.", "García Márquez, Gabriel", "García Márquez, Gabriel",
     "Gabriel García Márquez", "García Márquez"),
    ("Kim Jong Un", "Kim, J. U.", "Kim, Jong Un", "Kim, Jong Un", "Kim Jong Un", "Kim"),
    ("World Health Organization", "World Health Organization", "World Health Organization",
     "World Health Organization", "World Health Organization", "World Health Organization"),
]


@pytest.mark.parametrize("name,apa_,mla_,chicago_,note,short", STYLES)
def test_name_per_style(name, apa_, mla_, chicago_, note, short):
    a = parse_name(name)
    assert apa.author_list((a,)) == apa_
    assert mla.author_list((a,)) == mla_
    assert chicago.author_list((a,)) == chicago_
    assert c.direct_name(a) == note
    assert c.short_name(a) == short


def test_second_authors_in_reading_order():
    gec, king = parse_name("Jovana Gec"), parse_name("Martin Luther King Jr.")
    assert mla.author_list((gec, king)) == "Gec, Jovana, and Martin Luther King, Jr."
    assert chicago.author_list((gec, king)) == "Gec, Jovana, and Martin Luther King Jr."
    assert apa.author_list((gec, king)) == "Gec, J., & King, M. L., Jr."


def _entry(*names: str) -> Entry:
    return Entry(id="sample01", citekey="sample2024", title="SAMPLE: a headline", authors=tuple(parse_name(n) for n in names),
                 outlet="Sample Times", kind="newspaper", published=PartialDate(2024, 9, 4),
                 url="https://news.example/a")


INTEXT = [
    ("apa", ("Ursula von der Leyen",), "(von der Leyen, 2024)"),
    ("apa", ("Goethe, Johann Wolfgang von", "World Health Organization"), "(Goethe & World Health Organization, 2024)"),
    ("mla", ("Ludwig van Beethoven",), "(van Beethoven)"),
    ("chicago", ("Martin Luther King Jr.",), "King, “SAMPLE.”"),
]


@pytest.mark.parametrize("style,names,expected", INTEXT)
def test_intext_uses_the_family_name_with_its_particle(style, names, expected):
    assert cite.format_entry(_entry(*names), style, intext=True) == expected


# --------------------------------------------------------------------------- data formats

FORMATS = [
    # name, BibTeX name, RIS AU, CSL-JSON name
    ("Ursula von der Leyen", "von der Leyen, Ursula", "von der Leyen, Ursula",
     {"family": "Leyen", "given": "Ursula", "non-dropping-particle": "von der"}),
    ("Goethe, Johann Wolfgang von", "Goethe, Johann Wolfgang von", "Goethe, Johann Wolfgang von",
     {"family": "Goethe", "given": "Johann Wolfgang", "dropping-particle": "von"}),
    ("Martin Luther King Jr.", "King, Jr., Martin Luther", "King, Martin Luther, Jr.",
     {"family": "King", "given": "Martin Luther", "suffix": "Jr."}),
    ("Jean de La Fontaine", "de {La Fontaine}, Jean", "de La Fontaine, Jean",
     {"family": "La Fontaine", "given": "Jean", "non-dropping-particle": "de"}),
    ("World Health Organization", "{World Health Organization}", "World Health Organization",
     {"literal": "World Health Organization"}),
    ("Smith & Jones Ltd", "{Smith \\& Jones Ltd}", "Smith & Jones Ltd", {"literal": "Smith & Jones Ltd"}),
    ("J.R.R. Tolkien", "Tolkien, J.R.R.", "Tolkien, J.R.R.", {"family": "Tolkien", "given": "J.R.R."}),
]


@pytest.mark.parametrize("name,bib,au,csl", FORMATS)
def test_names_in_data_formats(name, bib, au, csl):
    a = parse_name(name)
    assert bibtex._name(a, False) == bib
    assert ris._name(a) == au
    assert csljson._name(a) == csl


def test_unbraced_organisation_in_a_bib_file_is_kept_whole():
    bib = "@misc{k, author = {World Health Organization and Ursula von der Leyen and Human Rights Watch}, title = {T}}"
    (_, rec), = list(bibtex.parse(bib))
    assert rec["authors"] == [{"literal": "World Health Organization"},
                              {"family": "Leyen", "given": "Ursula", "non_dropping_particle": "von der"},
                              {"literal": "Human Rights Watch"}]


def test_biblatex_keeps_a_non_dropping_particle_in_citations():
    out = cite.format_entry(_entry("Ursula von der Leyen"), "biblatex")
    assert "options = {useprefix=true}" in out
    assert "useprefix" not in cite.format_entry(_entry("Goethe, Johann Wolfgang von"), "biblatex")


ROUND_TRIP_NAMES = [
    "Ursula von der Leyen", "Goethe, Johann Wolfgang von", "Martin Luther King Jr.", "Henry Ford III",
    "Jean de La Fontaine", "World Health Organization", "Al Jazeera", "J.R.R. Tolkien", "Chien-Ming Wang",
    "Mary-Kate O'Neil", "García Márquez, Gabriel",
]


def _reimport(style: str, text: str) -> list[dict]:
    if style in ("bibtex", "biblatex"):
        recs = [r for _, r in bibtex.parse(text)]
    elif style == "csl-json":
        recs = [r for _, r in csljson.parse(text)]
    else:
        recs = [r for _, r in ris.parse(text)]
    assert len(recs) == 1 and isinstance(recs[0], dict), recs
    return recs[0]["authors"]


@pytest.mark.parametrize("style", ["bibtex", "biblatex", "csl-json", "ris"])
@pytest.mark.parametrize("name", ROUND_TRIP_NAMES)
def test_round_trip(style, name):
    entry = _entry(name, "Jovana Gec")
    first = cite.format_entry(entry, style)
    authors = _reimport(style, first)
    assert [Author.from_json(a) for a in authors] == list(entry.authors)
    # export -> import -> export gives the same file
    assert cite.format_entry(_with_authors(entry, authors), style) == first


def _with_authors(entry: Entry, authors: list[dict]) -> Entry:
    from dataclasses import replace

    return replace(entry, authors=tuple(Author.from_json(a) for a in authors))


# --------------------------------------------------------------------------- bylines

BYLINES = [
    ("Dana A. Ford, James S.A. Corey, Chien-Ming Wang, and Tom Watkins, CNN",
     ["Dana A. Ford", "James S.A. Corey", "Chien-Ming Wang", "Tom Watkins"]),
    ("By JOVANA GEC", ["Jovana Gec"]),
    ("BY JOVANA GEC", ["Jovana Gec"]),
    ("By: Jovana Gec", ["Jovana Gec"]),
    ("by jovana gec", ["Jovana Gec"]),
    ("JOVANA GEC Associated Press Writer", ["Jovana Gec"]),
    ("Jane Doe, Staff reporter", ["Jane Doe"]),
    ("Staff reporter", []),
    ("By RONALD MCDONALD and MARY O'NEIL", ["Ronald McDonald", "Mary O'Neil"]),
    ("BY JOHN SMITH II", ["John Smith II"]),
    ("By URSULA VON DER LEYEN", ["Ursula von der Leyen"]),
    ("Jane Roe & John Doe", ["Jane Roe", "John Doe"]),
    ("By The Associated Press", ["The Associated Press"]),
    ("Analysis by Jane Roe, Sample Senior Court Analyst", ["Jane Roe"]),
    ("By JANE ROE and JOHN DOE - AP Technology Writers | AP", ["Jane Roe", "John Doe"]),
    ("By Jane Roe2014-01-26 21:32:46 UTC", ["Jane Roe"]),
    ("Jane Roe, en charge de la politique étrangère", ["Jane Roe"]),
    ("Jane Roe, Ars Technica", ["Jane Roe"]),
    ("By John Roe Jr., Associated Press", ["John Roe Jr."]),
    ("By JOHN ROE, JR. and JANE ROE", ["John Roe Jr.", "Jane Roe"]),
    ("By Dr. Jane Roe", ["Jane Roe"]),
    ("Par Laure SAMPLE", ["Laure Sample"]),
    ("Par Jean-Paul DE LA ROE", ["Jean-Paul de la Roe"]),
    ("Jane Doe CNN", ["Jane Doe CNN"]),
    ("Par John SAMPLE III", ["John Sample III"]),
]


@pytest.mark.parametrize("byline,names", BYLINES)
def test_byline(byline, names):
    assert [a.display for a in clean_byline(byline)] == names


def test_family_name_in_capitals_marks_where_it_starts():
    assert clean_byline("Por Ana María GARCÍA LÓPEZ")[0].to_json() == {"family": "García López", "given": "Ana María"}


def test_titlecase_keeps_roman_numerals_and_mc():
    assert titlecase_name("JOHN PAUL II") == "John Paul II"
    assert titlecase_name("RONALD MCDONALD") == "Ronald McDonald"
    assert titlecase_name("Ronald McDonald") == "Ronald McDonald"


# --------------------------------------------------------------------------- LaTeX quotes

QUOTES = [
    ('Putin says "no" to sanctions', "Putin says ``no'' to sanctions"),
    ('"Quoted" start', "``{Quoted}'' start"),
    ('It\'s a "test," he said', "It's a ``test,'' he said"),
    ('Why "US"?', "Why ``{US}''?"),
]


@pytest.mark.parametrize("title,expected", QUOTES)
def test_straight_quotes_face_the_right_way_in_latex(title, expected):
    from newsarchive.formats import latex

    assert latex.protect_title(title) == expected
    assert latex.decode(expected) == title.replace("{", "").replace("}", "")


@pytest.mark.parametrize("style,expected", [
    ("mla", "“SAMPLE: Leader Says ‘No’ to the Bloc's ‘Plan.’”"),
    ("chicago", "“SAMPLE: Leader Says ‘No’ to the Bloc's ‘Plan.’”"),
])
def test_quotes_inside_a_quoted_title_become_single(style, expected):
    from dataclasses import replace

    e = replace(_entry("Jovana Gec"), title='SAMPLE: Leader says "no" to the bloc\'s “plan.”')
    assert expected in cite.format_entry(e, style)


def test_csl_json_keeps_every_part():
    out = json.loads(cite.format_entry(_entry("Goethe, Johann Wolfgang von", "Ursula von der Leyen"), "csl-json"))
    assert out[0]["author"] == [
        {"family": "Goethe", "given": "Johann Wolfgang", "dropping-particle": "von"},
        {"family": "Leyen", "given": "Ursula", "non-dropping-particle": "von der"},
    ]


# --------------------------------------------------------------------------- through the CLI

def test_cli_author_and_org_and_an_old_entry_json(cli, root):
    r = cli("add", "--title", "SAMPLE: a headline", "--published", "2024", "--outlet", "Sample Times",
            "--kind", "newspaper", "--author", "Ursula von der Leyen", "--author", "Martin Luther King Jr.",
            "--org", "Pink Floyd", "--format", "json")
    assert r.exit_code == 0, r.output
    entry = json.loads(r.stdout)["entry"]
    assert entry["authors"] == [
        {"family": "Leyen", "given": "Ursula", "non_dropping_particle": "von der"},
        {"family": "King", "given": "Martin Luther", "suffix": "Jr."},
        {"literal": "Pink Floyd"},
    ]
    assert entry["citekey"] == "vonderleyen2024sample"
    r = cli("cite", entry["id"], "--style", "apa")
    assert r.stdout.startswith("von der Leyen, U., King, M. L., Jr., & Pink Floyd. (2024).")
    # the same entry as it was stored before name parts existed still loads and cites the same
    path = root / "archive" / entry["id"] / "entry.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["authors"] = [{"family": "von der Leyen", "given": "Ursula"}, {"family": "King", "given": "Martin Luther, Jr."},
                       {"literal": "Pink Floyd"}]
    path.write_text(json.dumps(data), encoding="utf-8")
    # record the rewritten file's hash, as a collection holding it would have
    manifest = path.parent / "manifest-sha256.txt"
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest.write_text("".join(f"{sha}  entry.json\n" if line.endswith("  entry.json") else line + "\n"
                                for line in manifest.read_text(encoding="utf-8").splitlines()), encoding="utf-8")
    assert cli("cite", entry["id"], "--style", "apa").stdout == r.stdout
    assert cli("verify").exit_code == 0
    r = cli("add", "--title", "x", "--org", "{Bad}")
    assert r.exit_code == 2 and "braces" in r.output


@pytest.mark.skipif(shutil.which("pandoc") is None, reason="pandoc is not installed (needed to read BibLaTeX)")
def test_pandoc_reads_names_and_quotes(tmp_path):
    from dataclasses import replace

    e = replace(_entry("Ursula von der Leyen", "Goethe, Johann Wolfgang von", "Martin Luther King Jr.",
                       "World Health Organization"), title='SAMPLE: Leader says "no" to the bloc\'s plan')
    bib = tmp_path / "names.bib"
    bib.write_text(cite.format_entry(e, "biblatex"), encoding="utf-8")
    out = subprocess.run(["pandoc", str(bib), "-f", "biblatex", "-t", "csljson"], capture_output=True,
                         text=True, check=True, timeout=60)
    item = json.loads(out.stdout)[0]
    assert item["title"] == "SAMPLE: Leader says “no” to the bloc’s plan"
    assert item["author"] == [
        {"family": "Leyen", "given": "Ursula", "non-dropping-particle": "von der"},
        {"family": "Goethe", "given": "Johann Wolfgang", "dropping-particle": "von"},
        {"family": "King", "given": "Martin Luther", "suffix": "Jr."},
        {"literal": "World Health Organization"},
    ]


def test_csv_cells_keep_every_part_and_read_back(cli, root):
    r = cli("add", "--title", "SAMPLE: csv", "--published", "2024", "--author", "Ursula von der Leyen",
            "--author", "Goethe, Johann Wolfgang von", "--author", "Martin Luther King Jr.", "--format", "json")
    assert r.exit_code == 0, r.output
    authors = json.loads(r.stdout)["entry"]["authors"]
    r = cli("list", "--format", "csv")
    row = next(csv.DictReader(io.StringIO(r.stdout)))
    assert row["authors"] == "von der Leyen, Ursula; Goethe, Johann Wolfgang von; King, Martin Luther, Jr."
    from newsarchive.normalize import normalise_authors

    assert normalise_authors(row["authors"]) == authors


# --------------------------------------------------------------------------- properties

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_word = st.sampled_from(["Ana", "Jovana", "Dušan", "Jean-Paul", "Mary-Kate", "O'Neil", "McDonald", "Lee", "Zhou",
                         "J.", "J.R.R.", "S.A.", "Ursula", "Müller", "Łukasz", "Ríos", "Smith"])
_person = st.builds(
    lambda given_, family, ndp, dp, suffix: Author(family=family, given=" ".join(given_) or None,
                                                   non_dropping_particle=ndp, dropping_particle=dp, suffix=suffix),
    st.lists(_word, min_size=1, max_size=3), _word, st.sampled_from([None, "von der", "van", "de", "de la", "di"]),
    st.sampled_from([None, "von", "de"]), st.sampled_from([None, "Jr.", "Jr", "III", "Sr."]),
)  # a person with no given name reads back as an organisation (docs/citations.md, known gaps)
_org = st.sampled_from(["World Health Organization", "Al Jazeera", "Smith & Jones Ltd", "Human Rights Watch"]).map(
    lambda s: Author(literal=s))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(authors=st.lists(_person | _org, min_size=1, max_size=4), style=st.sampled_from(
    ["bibtex", "biblatex", "csl-json", "ris"]))
def test_property_names_round_trip(authors, style):
    entry = _with_authors(_entry(), [a.to_json() for a in authors])
    first = cite.format_entry(entry, style)
    back = _reimport(style, first)
    assert [Author.from_json(a) for a in back] == list(entry.authors)
    assert cite.format_entry(_with_authors(entry, back), style) == first


@settings(max_examples=80, deadline=None)
@given(author=_person)
def test_property_inverted_form_reads_back(author):
    from newsarchive.render import flat

    assert parse_name(flat(author.to_json())) == author


def test_parse_results_are_fresh_copies():
    from newsarchive.names import parse

    first = parse("Ursula von der Leyen")
    first["family"] = "changed"
    assert parse("Ursula von der Leyen")["family"] == "Leyen"
