"""People and organisations as people type them -> the parts of a name (pure, no I/O).

A person's name is split into the parts CSL uses: ``family``, ``given``,
``non_dropping_particle`` (kept with the family name when it stands alone: "von der" in
"Ursula von der Leyen", "van" in "Ludwig van Beethoven"), ``dropping_particle`` (written after
the given name in inverted order and left out when the family name stands alone: "von" in
"Goethe, Johann Wolfgang von") and ``suffix`` ("Jr.", "III"). Given names are kept as written
("J.R.R.", "James S.A."); styles derive initials from them.

Forms understood:

* ``Given Family``: split with nameparser (a maintained parser of Western names), which finds
  the suffix and the family name with its lower-case particles; the given name is what comes
  before, as written (titles such as "Dr." stay in it).
* ``Family, Given`` and ``Family, Given, Suffix`` (and BibTeX's ``Family, Suffix, Given``);
  lower-case particles at the start of the family part are non-dropping, those at the end of
  the given part dropping. ``Given Family, Jr.`` is a name with a suffix.
* Korean names written family first with a common Korean family name ("Kim Jong Un",
  "Moon Jae-in") keep that order; "Kim, Jong Un" says it explicitly for any name.
* ``{...}`` keeps anything whole as an organisation (``literal``), and so does a name that
  reads as one (see :func:`looks_like_organisation`).
"""

from __future__ import annotations

import re
from functools import lru_cache

# Words that make a name an organisation's. Measured on the author fields of real .bib files
# and on news bylines (bench/names_orgs.py): people are practically never named with them.
ORGANISATION_WORDS = frozenset(
    """press associated agency agencies news reuters afp staff desk editorial editors bureau
    service services times post journal media group network newsroom team correspondents
    board wire corporation corp corp. inc inc. ltd ltd. llc plc gmbh company co. broadcasting
    radio television tv foundation institute institution ministry office department council
    committee agence france-presse dpa organization organisation organizations organisations
    commission nations watch international university universität université universidad
    college school academy association society federation party government fund
    parliament senate congress assembly authority administration centre center
    programme program project coalition alliance league laboratory laboratories museum library
    hospital police army navy trust forum consortium initiative campaign movement collective
    industries technologies systems solutions labs studios magazine newspaper daily weekly
    herald tribune gazette observer telegraph chronicle review online zeitung
    unit secretariat directorate embassy consulate municipality county state national
    orchestra philharmonic symphony ensemble quartet trio quintet choir chorus band
    entertainment database comisión comision""".split()
)

# Outlets and bodies whose names read like a person's (two capitalised words).
KNOWN_ORGANISATIONS = frozenset(
    """al jazeera|al arabiya|deutsche welle|le monde|le figaro|le parisien|der spiegel|die zeit|
    die welt|el país|el pais|el mundo|la repubblica|la stampa|la nación|la nacion|sky news|
    voice of america|radio free europe|human rights watch|amnesty international|red cross|
    greenpeace|médecins sans frontières|medecins sans frontieres|doctors without borders|
    world bank|bellingcat|politico|axios|vox|meduza|novaya gazeta|balkan insight|
    kyiv independent|usa today|france 24|euronews|xinhua|tass|interfax|kyodo|yonhap|ars technica|
    the verge|condé nast|conde nast|business insider|huffington post|daily beast|rolling stone|
    el confidencial|ediciones el país|european union|african union|soviet union|trade union|
    student union|postal union""".replace("\n", "").split("|")
)
KNOWN_ORGANISATIONS = frozenset(" ".join(n.split()) for n in KNOWN_ORGANISATIONS)

# Articles that start the name of a publication, never of a person.
_ORG_FIRST_WORDS = frozenset({"the", "der", "die", "das"})

PARTICLES = frozenset(
    """von van der den de del della dei degli di da du la le ter ten zu zur dos das do bin ibn
    al el vom vander op 't d' l' v.""".split()
)
SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "v", "vi", "2nd", "3rd"})

# Common Korean family names (Revised Romanization and the usual spellings); a name that starts
# with one and goes on like a Korean given name is read family first.
_KOREAN_FAMILY = frozenset(
    """kim park choi jung jeong kang cho jo yoon yun jang lim im han oh seo shin kwon hwang ahn
    song jeon hong moon ban yoo ryu ko noh roh""".split()
)


def is_suffix(word: str) -> bool:
    return word.strip().lower() in SUFFIXES


def _words(name: str) -> list[str]:
    return re.findall(r"[\w'’.&-]+", name.lower())


def looks_like_organisation(name: str) -> bool:
    """True for "World Health Organization", "Associated Press", "Reuters", "AP staff",
    "Al Jazeera", "The Plain Dealer", "Acme Corp."; False for people's names.

    Rules: a single word; a word from :data:`ORGANISATION_WORDS`; a known outlet or body; a
    first word "The"/"Der"/"Die"/"Das"; an ampersand or "of"/"for" between capitalised words.
    """
    folded = " ".join(name.replace("’", "'").split()).casefold()
    words = _words(name)
    if not words:
        return False
    if folded.strip(".") in KNOWN_ORGANISATIONS or any(folded.startswith(k + " ") for k in KNOWN_ORGANISATIONS):
        return True
    if len(words) == 1:
        return True  # a single word ("Reuters", "Staff") is no person's full name
    if any(w in ORGANISATION_WORDS or w.rstrip(".") in ORGANISATION_WORDS for w in words):
        return True
    if words[0] in _ORG_FIRST_WORDS:
        return True
    if "&" in name or re.search(r"[A-Z]\w*\s+(?:of|for|on|against)\s+(?:the\s+)?[A-Z]", name):
        return True
    return False


def split_particles_front(text: str) -> tuple[str | None, str]:
    """"von der Leyen" -> ("von der", "Leyen"); "La Fontaine" -> (None, "La Fontaine")."""
    words = text.split()
    n = 0
    while n < len(words) - 1 and words[n][:1].islower() and words[n].lower() in PARTICLES:
        n += 1
    if n == 0:
        return None, text
    return " ".join(words[:n]), " ".join(words[n:])


def split_particles_back(text: str) -> tuple[str, str | None]:
    """"Johann Wolfgang von" -> ("Johann Wolfgang", "von")."""
    words = text.split()
    n = len(words)
    while n > 1 and words[n - 1][:1].islower() and words[n - 1].lower() in PARTICLES:
        n -= 1
    if n == len(words):
        return text, None
    return " ".join(words[:n]), " ".join(words[n:])


def _person(family: str, given: str | None = None, suffix: str | None = None, *, inverted: bool) -> dict[str, str]:
    particle, family = split_particles_front(family.strip())
    dropping = None
    if given and inverted:
        given, dropping = split_particles_back(given)
    out = {"family": family}
    for key, value in (("given", given), ("non_dropping_particle", particle),
                       ("dropping_particle", dropping), ("suffix", suffix)):
        if value and value.strip():
            out[key] = value.strip()
    return out


# one syllable of romanised Korean (Revised Romanization and McCune-Reischauer, roughly):
# "jong", "un", "geun", "hye", "myung", "jae", "moon"; not "ann", "smith", "jones"
_KOREAN_SYLLABLE = re.compile(
    r"(?:kk|tt|pp|ss|jj|ch|[bcdghjkmnprstwy])?(?:eo|eu|ae|oe|ui|[aeiouwy]{1,3})(?:ng|[nmlkpt])?")


def _korean_order(words: list[str]) -> bool:
    if len(words) not in (2, 3) or words[0].lower() not in _KOREAN_FAMILY:
        return False
    rest = words[1:]
    if len(rest) == 1:  # "Moon Jae-in", "Ban Ki-moon"
        syllables = rest[0].split("-")
        return (len(syllables) == 2 and rest[0][:1].isupper() and syllables[1].islower()
                and all(_KOREAN_SYLLABLE.fullmatch(x.lower()) for x in syllables))
    # "Kim Jong Un", "Park Geun Hye": two capitalised syllables
    return all(w[:1].isupper() and _KOREAN_SYLLABLE.fullmatch(w.lower()) for w in rest)


_PLAIN_WORD = re.compile(r"[^\W\d_][^\W\d_'’-]*(?:[-'’][^\W\d_]+)*")


def family_first(family: str | None, given: str | None) -> bool:
    """True when a person's name reads family name first in running text ("Kim Jong Un",
    "Moon Jae-in"): a common Korean family name with a Korean-looking given name."""
    if not family or not given:
        return False
    return _korean_order([family] + given.split())


def _direct(name: str) -> dict[str, str]:
    """"Given [particles] Family [Suffix]" -> parts, the given name kept as written."""
    words = name.split()
    if len(words) == 2 and all(_PLAIN_WORD.fullmatch(w) for w in words) and not _korean_order(words):
        return _person(words[1], words[0], inverted=False)  # "Jovana Gec": nameparser agrees
    suffix = None
    if len(words) > 2 and is_suffix(words[-1]):
        suffix = words.pop()
        words[-1] = words[-1].rstrip(",")
    if _korean_order(words):
        return _person(words[0], " ".join(words[1:]), suffix, inverted=False)
    from nameparser import HumanName

    parsed = HumanName(" ".join(words))
    last = parsed.last.split()
    if parsed.suffix and not suffix and words and parsed.suffix.split()[-1] == words[-1]:
        # nameparser found a suffix we do not list ("Esq.", "PhD"): keep it as the suffix
        n = len(parsed.suffix.split())
        suffix, words = " ".join(words[-n:]), words[:-n]
        words[-1] = words[-1].rstrip(",")
    k = len(last)
    if k and k < len(words) and [w.casefold() for w in words[-k:]] == [w.casefold() for w in last]:
        family_words = words[-k:]
        given_words = words[:-k]
    else:  # nameparser saw it otherwise (a nickname, a title alone): last word is the family
        family_words, given_words = words[-1:], words[:-1]
    # lower-case particles just before the family name belong to it ("Ursula von der Leyen")
    while len(given_words) > 1 and given_words[-1][:1].islower() and given_words[-1].lower() in PARTICLES:
        family_words.insert(0, given_words.pop())
    return _person(" ".join(family_words), " ".join(given_words) or None, suffix, inverted=False)


def parse(text: str, *, organisation: bool = False) -> dict[str, str]:
    """A name as typed -> the JSON of an author: ``{"literal": ...}`` or the person's parts.

    Raises ValueError for an empty name. Results are cached: an archive names the same people
    over and over, and nameparser takes about half a millisecond a name.
    """
    name = " ".join(str(text).split())
    if not name:
        raise ValueError("empty author name")
    return dict(_parse(name, organisation))


@lru_cache(maxsize=8192)
def _parse(name: str, organisation: bool) -> tuple[tuple[str, str], ...]:
    return tuple(_parse_uncached(name, organisation).items())


def _parse_uncached(name: str, organisation: bool) -> dict[str, str]:
    if name.startswith("{") and name.endswith("}") and name.count("{") == 1:
        return {"literal": name[1:-1].strip()}
    if organisation or looks_like_organisation(name):
        return {"literal": name}
    if "," in name:
        parts = [p.strip() for p in name.split(",")]
        if len(parts) == 2 and is_suffix(parts[1]) and len(parts[0].split()) > 1:
            out = _direct(parts[0])  # "Martin Luther King, Jr."
            if "suffix" not in out:
                out["suffix"] = parts[1]
                return out
        if len(parts) == 2 and all(parts):
            return _person(parts[0], parts[1], inverted=True)
        if len(parts) == 3 and all(parts):
            if is_suffix(parts[2]):
                return _person(parts[0], parts[1], parts[2], inverted=True)
            if is_suffix(parts[1]) or re.fullmatch(r"(?:[A-Z]\.\s?){1,3}", parts[1]):
                # BibTeX: "von Last, Jr, First"; "Celoni, S. J., James R." (a religious order)
                return _person(parts[0], parts[2], parts[1], inverted=True)
        return {"literal": name}  # commas we cannot read as a name: kept whole
    return _direct(name)


# --------------------------------------------------------------------------- capitals

_ROMAN = re.compile(r"^(?:[IVX]+)\.?,?$")


def titlecase_word(word: str, *, first: bool) -> str:
    """One ALL-CAPS word of a name in title case: "MCDONALD" -> "McDonald", "O'NEIL" ->
    "O'Neil", "JEAN-PAUL" -> "Jean-Paul", "II" stays, particles after the first word lower."""
    low = word.lower()
    if not first and low in PARTICLES:
        return low
    if not first and _ROMAN.match(word) and low.rstrip(".,") in SUFFIXES:
        return word
    out = re.sub(r"(^|[-'’.])(\w)", lambda m: m.group(1) + m.group(2).upper(), low)
    if re.match(r"^Mc\w", out) and len(out) > 3:
        out = out[:2] + out[2].upper() + out[3:]
    return out
