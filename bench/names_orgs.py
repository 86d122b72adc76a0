"""How well names are told apart as people or organisations, on real data (not part of the tests).

    python bench/names_orgs.py [FIXTURES_DIR] [-v] [--probablepeople]

Data, from FIXTURES_DIR (default ../shared/fixtures):
- bib/*.bib: every name in author and editor fields. The truth is the file's own markup: a name
  braced whole ("{World Health Organization}") is an organisation, any other a person. Each name
  is tried as a user would type it: in reading order ("Ursula von der Leyen") and inverted
  ("von der Leyen, Ursula").
- html/goose3 and html/newspaper4k: the expected author lists (all people, except the few that
  are plainly not a person's name: listed in NOT_PEOPLE after checking them by eye).
Where the markup is wrong about what a name is (a person braced to protect it, a body left
unbraced), the truth is corrected by hand in the sets below; "org" counts every name that is no
person's, including page furniture that a metadata extractor took for an author.

Prints, per source, how many people were read as organisations and how many organisations as
people, and for the .bib people typed in reading order whether we split them as the .bib does
(family name with its particles, given name, suffix); -v lists every difference. --probablepeople adds the same counts for probablepeople's classifier
(if it is installed) for comparison.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from newsarchive.formats import latex
from newsarchive.model import parse_name
from newsarchive.names import split_particles_back, split_particles_front

# Truth corrected by eye where the markup or the metadata is wrong about what a name is.
# Expected "authors" in the html metadata that are no person (page furniture, outlets, sites):
NOT_PEOPLE = {"National Desk", "Print", "The Plain Dealer", "on December", "at PM", "updated", "December",
              "www.facebook.com", "CNN Wire", "LinkNaija", "日本経済新聞社"}
# .bib names braced whole that are people (braced to protect them, not to mark a body) ...
BRACED_PEOPLE = {"Leonardo da Vinci", "Elizabeth I", "Shen Fu", "Long Zhi", "Chu Ching", "Kristoffer Høgsbro Rose",
                 "Lightnin’ Hopkins"}
# ... and names not braced that are no person's: bodies, groups, or a field mis-split by its .bib
UNBRACED_NOT_PEOPLE = {"UNESCO", "University of Münster", "of Münster, University", "TUG Working Group on a Directory Structure",
                       "on a Directory Structure, TUG Working Group", "TUG DVI Driver Standards Committee",
                       "Committee, TUG DVI Driver Standards", "Addison-Wesley Publishing Company",
                       "Company, Addison-Wesley Publishing", "GenBank", "Beatles", "Project Team", "Team, Project",
                       "project team", "Conference program", "program, Conference", "sponsors", "delegates",
                       "defined", "Mass.", "Boston", "VidaSystems"}


PARTS: dict[str, tuple[str, str, str]] = {}  # a .bib person typed in reading order -> its BibTeX parts


def bib_names(root: Path):
    import bibtexparser
    from bibtexparser.middlewares.names import parse_single_name_into_parts, split_multiple_persons_names

    for path in sorted((root / "bib").glob("*.bib")):
        lib = bibtexparser.parse_string(path.read_text(encoding="utf-8", errors="replace"))
        for entry in lib.entries:
            for key in ("author", "editor"):
                fld = entry.fields_dict.get(key)
                if fld is None or not isinstance(fld.value, str):
                    continue
                for raw in split_multiple_persons_names(fld.value):
                    raw = " ".join(raw.split())
                    if not raw or raw.lower() == "others":
                        continue
                    if raw.startswith("{") and raw.endswith("}") and _whole(raw):
                        name = latex.decode(raw[1:-1])
                        yield path.name, name not in BRACED_PEOPLE, name, None
                        continue
                    try:
                        p = parse_single_name_into_parts(raw, strict=False)
                    except Exception:
                        continue
                    dec = lambda parts: latex.decode(" ".join(parts))  # noqa: E731
                    first, von, last, jr = dec(p.first), dec(p.von), dec(p.last), dec(p.jr)
                    direct = " ".join(x for x in (first, von, last, jr) if x)
                    inverted = ", ".join(x for x in (" ".join(y for y in (von, last) if y), first, jr) if x)
                    PARTS[direct] = (" ".join(y for y in (von, last) if y), first, jr)
                    yield path.name, direct in UNBRACED_NOT_PEOPLE, direct, inverted


def _whole(raw: str) -> bool:
    depth = 0
    for i, ch in enumerate(raw):
        depth += ch == "{"
        depth -= ch == "}"
        if depth == 0 and i < len(raw) - 1:
            return False
    return True


def byline_names(root: Path):
    for meta in sorted((root / "html" / "goose3").rglob("*.json")):
        exp = json.loads(meta.read_text(encoding="utf-8")).get("expected") or {}
        for name in exp.get("authors") or []:
            yield "goose3", name in NOT_PEOPLE, name, None
    for meta in sorted((root / "html" / "newspaper4k" / "metadata").glob("*.json")):
        for name in json.loads(meta.read_text(encoding="utf-8")).get("authors") or []:
            yield "newspaper4k", name in NOT_PEOPLE, name, None


def main(argv: list[str] | None = None) -> int:
    here = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("fixtures", nargs="?", default=str(here.parent / "shared" / "fixtures"))
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--probablepeople", action="store_true")
    args = ap.parse_args(argv)
    root = Path(args.fixtures)
    if not (root / "bib").is_dir():
        print(f"no fixtures at {root}", file=sys.stderr)
        return 2
    pp = None
    if args.probablepeople:
        try:
            import probablepeople as pp  # noqa: F811
        except ImportError:
            print("probablepeople is not installed", file=sys.stderr)
    # counts[source][(truth, what)] ; what in ours-direct, ours-inverted, pp
    counts: dict[str, Counter] = {}
    wrong: list[str] = []
    seen: set[tuple[str, str]] = set()
    for source, is_org, direct, inverted in list(bib_names(root)) + list(byline_names(root)):
        if (source, direct) in seen:
            continue  # each distinct name once per source
        seen.add((source, direct))
        k = counts.setdefault(source, Counter())
        truth = "org" if is_org else "person"
        k[truth] += 1
        got = parse_name(direct).is_organisation
        if got != is_org:
            k[f"{truth} misread (as typed)"] += 1
            wrong.append(f"{source}: {truth} read as {'organisation' if got else 'person'}: {direct!r}")
        if direct in PARTS and not is_org and not got:
            # is the person split as the .bib splits it? (family with particle, given, suffix)
            a = parse_name(direct)
            want = PARTS[direct]
            k["split checked"] += 1
            if (a.family_full, a.given or "", a.suffix or "") != want:
                # the same family and given names, only the particle's kind differs: "Alexis de
                # Tocqueville" typed in reading order cannot tell that the .bib's "de" drops
                same_core = (a.family == split_particles_front(want[0])[1]
                             and (a.given or "") == split_particles_back(want[1])[0] and (a.suffix or "") == want[2])
                label = "particle kind differs" if same_core else "split differs"
                k[label] += 1
                wrong.append(f"{source}: {label}: {direct!r}: {a.to_json()} want {want}")
        if inverted and not is_org:
            k["inverted tried"] += 1
            if parse_name(inverted).is_organisation:
                k["person misread (inverted)"] += 1
                wrong.append(f"{source}: person read as organisation: {inverted!r}")
        if pp is not None:
            try:
                tag = pp.tag(direct)[1]
            except Exception:
                tag = "?"
            if (tag == "Corporation") != is_org:
                k[f"{truth} misread (probablepeople)"] += 1
    cols = ["person", "person misread (as typed)", "person misread (inverted)", "org", "org misread (as typed)",
            "split checked", "particle kind differs", "split differs"]
    if pp is not None:
        cols += ["person misread (probablepeople)", "org misread (probablepeople)"]
    print("| source | " + " | ".join(cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    total = Counter()
    for source, k in counts.items():
        total.update(k)
        print(f"| {source} | " + " | ".join(str(k[c]) for c in cols) + " |")
    print("| all | " + " | ".join(str(total[c]) for c in cols) + " |")
    if args.verbose:
        print()
        print("\n".join(wrong))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
