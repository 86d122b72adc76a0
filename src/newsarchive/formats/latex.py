"""LaTeX text for BibTeX/BibLaTeX fields: escaping, ASCII commands, case protection, decoding.

Encoding is written here (a small table plus Unicode decomposition); decoding LaTeX read from
.bib files uses pylatexenc (a dependency of bibtexparser), imported lazily.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from ..errors import CitationError

# The ten LaTeX special characters. Braces and the three "ascii" characters become text
# commands, never \{ \}: BibTeX counts braces even after a backslash.
SPECIALS = {
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "\\": r"\textbackslash{}",
}

# Pairs that TeX fonts turn into other characters (ligatures): a "{}" between keeps them literal.
_LIGATURE_PAIRS = {"--", "``", "''", "?`", "!`", "<<", ">>", ",,"}

# Characters without a useful Unicode decomposition, for ASCII output.
_ASCII_TABLE = {
    "ß": r"{\ss}", "æ": r"{\ae}", "Æ": r"{\AE}", "œ": r"{\oe}", "Œ": r"{\OE}",
    "ø": r"{\o}", "Ø": r"{\O}", "ł": r"{\l}", "Ł": r"{\L}", "ı": r"{\i}", "ȷ": r"{\j}",
    "đ": r"{\dj}", "Đ": r"{\DJ}", "þ": r"{\th}", "Þ": r"{\TH}", "ð": r"{\dh}", "Ð": r"{\DH}",
    "å": r"{\aa}", "Å": r"{\AA}",
    "–": "--", "—": "---", "‘": "`", "’": "'", "“": r"\textquotedblleft{}", "”": r"\textquotedblright{}", "„": ",,",
    "«": r"\guillemotleft{}", "»": r"\guillemotright{}", "‹": r"\guilsinglleft{}", "›": r"\guilsinglright{}",
    "…": r"\ldots{}", "€": r"\texteuro{}", "£": r"\pounds{}", "§": r"\S{}", "¶": r"\P{}",
    "©": r"\textcopyright{}", "®": r"\textregistered{}", "°": r"\textdegree{}", "×": r"\texttimes{}",
    "¿": "?`", "¡": "!`", "\u00a0": "~", "\u2011": "-", "\u2010": "-", "\u2009": r"\,",
    "·": r"\textperiodcentered{}", "•": r"\textbullet{}", "†": r"\dag{}", "‡": r"\ddag{}",
}

# combining mark -> (command, takes a braced argument)
_ACCENTS = {
    "\u0300": ("`", False), "\u0301": ("'", False), "\u0302": ("^", False), "\u0303": ("~", False),
    "\u0304": ("=", False), "\u0307": (".", False), "\u0308": ('"', False),
    "\u0306": ("u", True), "\u030a": ("r", True), "\u030b": ("H", True), "\u030c": ("v", True),
    "\u0327": ("c", True), "\u0328": ("k", True), "\u0323": ("d", True), "\u0331": ("b", True),
}
_ABOVE = {"`", "'", "^", "~", "=", ".", '"', "u", "r", "H", "v"}


def _ascii_char(ch: str) -> str:
    if ch in _ASCII_TABLE:
        return _ASCII_TABLE[ch]
    decomposed = unicodedata.normalize("NFD", ch)
    base, marks = decomposed[0], decomposed[1:]
    if base.isascii() and marks and all(mk in _ACCENTS for mk in marks):
        out = base
        for i, mk in enumerate(marks):
            cmd, braced = _ACCENTS[mk]
            if i == 0 and base in "ij" and cmd in _ABOVE:
                out = "\\" + base  # dotless i/j under an accent
            if braced:
                out = f"\\{cmd}{{{out}}}"
            else:
                out = f"\\{cmd}{out}"
            if i < len(marks) - 1:
                out = "{" + out + "}"
        return "{" + out + "}"
    raise CitationError(
        f"cannot write {ch!r} (U+{ord(ch):04X}) as ASCII LaTeX; use UTF-8 output (biber/BibLaTeX)"
    )


def braces_balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def escape(text: str, *, ascii: bool = False, balanced: bool | None = None) -> str:
    """Plain text -> LaTeX field text: specials escaped, ligatures broken, optionally ASCII only.

    Braces become ``\\{`` ``\\}`` when they pair up in ``text`` (BibTeX counts them even
    escaped, so they must balance; pandoc knows only this form), else the text commands
    ``\\textbraceleft{}`` ``\\textbraceright{}``. Whitespace runs become single spaces.
    """
    text = " ".join(text.split())
    if balanced is None:
        balanced = braces_balanced(text)
    out: list[str] = []
    prev = ""
    for ch in text:
        if prev and (prev + ch) in _LIGATURE_PAIRS:
            out.append("{}")
        if ch in "{}" and balanced:
            out.append("\\" + ch)
        elif ch in SPECIALS:
            out.append(SPECIALS[ch])
        elif ascii and not ch.isascii():
            out.append(_ascii_char(ch))
        else:
            out.append(ch)
        prev = ch
    return "".join(out)


def protect_title(title: str, *, ascii: bool = False) -> str:
    """Escape a title and brace every word that a sentence-casing style must not lower-case.

    Rule: every word after the first that contains a capital letter is wrapped in braces
    ("{Serbia}", "{US}", "{AT\\&T's}"); the first word only when it has a capital after its
    first character ("{US}-sanctioned" -> "{US-sanctioned}", "{iPhone}"). Lower-case words are
    left free, so title-casing styles can still capitalise them.
    """
    title = _mark_quotes(title)
    words = title.split()
    bal = braces_balanced(title)
    out = []
    for i, word in enumerate(words):
        caps = [c.isupper() for c in word]
        if (i > 0 and any(caps)) or (i == 0 and any(caps[1:])):
            # punctuation around the word stays outside the braces: "{Putin},"
            core = word.rstrip(",.:;!?)]”’\"'" + _CLOSE)
            core_start = len(core) - len(core.lstrip("([“‘\"'" + _OPEN))
            lead, core, trail = word[:core_start], core[core_start:], word[len(core):]
            if not core:
                lead, core, trail = "", word, ""
            esc = (escape(lead, ascii=ascii, balanced=bal) + "{" + escape(core, ascii=ascii, balanced=bal) + "}"
                   + escape(trail, ascii=ascii, balanced=bal))
        else:
            esc = escape(word, ascii=ascii, balanced=bal)
        out.append(esc)
    # ligatures across words are impossible (a space separates them)
    return " ".join(out).replace(_OPEN, "``").replace(_CLOSE, "''")


# Straight double quotes in a title stand for quotation marks: they become TeX's opening ``
# and closing '' (which BibTeX, biber and pandoc all read as “ ”), facing the right way.
# Apostrophes (') are left alone: TeX prints them as ’.
_OPEN, _CLOSE = "\x01", "\x02"


def _mark_quotes(title: str) -> str:
    out = []
    for i, ch in enumerate(title):
        if ch != '"':
            out.append(ch)
            continue
        before = title[i - 1] if i else " "
        opening = before.isspace() or before in "([{‘“-–—/" or before in (_OPEN,)
        out.append(_OPEN if opening else _CLOSE)
    return "".join(out)


def url_in_text(url: str) -> str:
    """A URL inside a text field (note/addendum): \\url{...}, with % and # escaped as the url
    package requires inside arguments, braces percent-encoded."""
    return r"\url{" + clean_url(url).replace("%", r"\%").replace("#", r"\#") + "}"


def clean_url(url: str, *, ascii: bool = False) -> str:
    """A URL for the verbatim ``url`` field: no LaTeX escaping; only characters that would break
    the .bib syntax (braces, whitespace) and, for ASCII output, non-ASCII are percent-encoded."""
    from urllib.parse import quote

    safe = "".join(chr(i) for i in range(33, 127) if chr(i) not in "{}\\")
    out = url.strip()
    if ascii:
        return quote(out, safe=safe)
    return "".join(ch if (ch not in "{}\\" and not ch.isspace()) else quote(ch) for ch in out)


@lru_cache(maxsize=1)
def _decoder():
    from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

    db = get_default_latex_context_db()
    extra = {
        "url": "%s", "textbraceleft": "{", "textbraceright": "}", "textasciicircum": "^",
        "textasciitilde": "~", "textbackslash": "\\", "S": "§", "P": "¶", "pounds": "£",
        "textcopyright": "©", "textregistered": "®", "texttimes": "×", "textperiodcentered": "·",
        "textbullet": "•", "dag": "†", "ddag": "‡", "guilsinglleft": "‹", "guilsinglright": "›",
        "dj": "đ", "DJ": "Đ", "textendash": "–", "textemdash": "—",
    }
    extra.update(_LOGOS)
    db.add_context_category(
        "newsarchive", prepend=True, macros=[MacroTextSpec(k, simplify_repl=v) for k, v in extra.items()]
    )
    # a macro we cannot render is kept as written ("\foo{bar}"), never deleted from a title
    db.set_unknown_macro_spec(MacroTextSpec("", simplify_repl=lambda node, *a, **k: node.latex_verbatim()))
    return LatexNodes2Text(latex_context=db, math_mode="verbatim", strict_latex_spaces=True)


# logos and dashes of TeX's own world, common in titles (TUGboat): rendered as their names read
_LOGOS = {
    "TeX": "TeX", "LaTeX": "LaTeX", "LaTeXe": "LaTeX2e", "BibTeX": "BibTeX", "AmS": "AMS",
    "AMS": "AMS", "AmSTeX": "AMS-TeX", "AMSTeX": "AMS-TeX", "AmSLaTeX": "AMS-LaTeX", "MF": "METAFONT",
    "METAFONT": "METAFONT", "MP": "MetaPost", "MetaPost": "MetaPost", "eTeX": "e-TeX", "pdfTeX": "pdfTeX",
    "pdfLaTeX": "pdfLaTeX", "XeTeX": "XeTeX", "XeLaTeX": "XeLaTeX", "LuaTeX": "LuaTeX", "LuaLaTeX": "LuaLaTeX",
    "ConTeXt": "ConTeXt", "SliTeX": "SLiTeX", "SLiTeX": "SLiTeX", "PiCTeX": "PiCTeX", "TUB": "TUGboat",
    "TUG": "TUG", "Dash": "—", "dash": "—", "slash": "/", "TeXXeT": "TeX--XeT", "LAMSTeX": "LAMS-TeX",
    "BibTeXe": "BibTeX", "MakeIndex": "MakeIndex", "ConTeXT": "ConTeXt", "Omega": "Omega",
}


def decode(text: str) -> str:
    """LaTeX field text -> Unicode plain text (NFC, whitespace collapsed).

    TeX's quotation marks ``...'' are read as the straight quotes " they are typed for (the
    writer above turns straight quotes into them), so titles survive a round trip unchanged;
    quotation marks written as Unicode (“ ”) stay as they are."""
    text = text.replace("``", '"').replace("''", '"')
    # TeX's Spanish ligatures: the writer types ¡ and ¿ as !` and ?` in ASCII output
    text = text.replace("!`", "¡").replace("?`", "¿")
    if "\\" in text or "{" in text or "~" in text or "--" in text or "``" in text or "''" in text:
        text = _decoder().latex_to_text(text)
    text = unicodedata.normalize("NFC", text)
    return " ".join(text.split())
