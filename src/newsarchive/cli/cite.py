"""cite."""


from typing import Annotated, Optional

import typer

from . import app
from .. import cite as cite_styles
from ..errors import CitationError
from .refs import complete, expand
from .common import Skips, echo, echo_data, fail, handles_errors, note, root_of


@app.command()
@handles_errors
def cite(
    ctx: typer.Context,
    refs: Annotated[list[str], typer.Argument(help="Entry IDs, unique prefixes or citekeys; - reads them from "
                                                   "standard input, one per line.", autocompletion=complete)],
    style: Annotated[Optional[str], typer.Option(
        "--style", "-s", help=cite_styles.help_list() + " (default: the collection's cite.style setting, "
                              "else apa).")] = None,
    markup: Annotated[str, typer.Option(help="text, html or markdown (italics for APA, MLA, Chicago).")] = "text",
    intext: Annotated[bool, typer.Option("--intext", help="The in-text form: (Associated Press, 2024).")] = False,
    order: Annotated[str, typer.Option(
        "--order", help="style: apa, mla and chicago references sorted as the style's reference list "
                        "prescribes (author, then year or title); given: in the order given.")] = "style",
    at_version: Annotated[Optional[int], typer.Option("--at-version", min=1, help="Cite this archived version (1 = first capture).")] = None,
    version: Annotated[Optional[int], typer.Option("--version", min=1, hidden=True, help="Old name of --at-version.")] = None,
    ascii_: Annotated[bool, typer.Option("--ascii", help="BibTeX: LaTeX escapes instead of UTF-8.")] = False,
    key: Annotated[str, typer.Option("--key", help="Citation key in BibTeX/BibLaTeX/CSL-JSON/RIS: citekey "
                                                   "(readable, the default) or id (the entry ID).")] = "citekey",
    include_damaged: Annotated[bool, typer.Option(
        "--include-damaged", help="Cite entries that fail their fixity check too, marked as damaged "
                                  "(default: leave them out and name them).")] = False,
) -> None:
    """Cite entries in a style, ready to paste (or to append to a .bib file).

    Each entry's files are checked against their recorded SHA-256 first; a damaged entry is left
    out and named on standard error (exit status 1) unless --include-damaged is given."""
    from .. import api

    if at_version is not None and version is not None and at_version != version:
        raise fail("--at-version and --version (its old name) give different versions; give one", 2)
    version = at_version if at_version is not None else version
    root = root_of(ctx)
    refs = expand(refs)
    if style is None:
        from .. import settings

        style = settings.load(root).get("cite.style")
    try:  # an unknown style name is bad usage (exit 2), found before any entry is read
        st = cite_styles.get_style(style)
    except CitationError as exc:
        raise fail(str(exc), 2) from None
    incomplete: list[str] = []
    skips = Skips()
    text = api.cite(root, refs, style=style, markup=markup, intext=intext, version=version, ascii=ascii_,
                    key=key, order=order, on_incomplete=incomplete.append, include_damaged=include_damaged, on_skip=skips,
                    on_damaged=lambda entry_id, why: note(f"cited {entry_id} marked as damaged: {why}"))
    if not text.strip():  # every entry was left out (named above)
        skips.exit_if_any()
    from .. import formats

    text = text.rstrip("\n")
    if not st.whole_file:  # APA, MLA, Chicago: text for people to read and paste, always escaped
        echo(text, multiline=True)
    elif formats.exporter(st.name).media_type.endswith("json"):
        from ..render import JSON_UNSAFE_RE, json_escape

        # JSON (CSL-JSON): written with \\uXXXX escapes for terminal controls, values exact
        echo_data(JSON_UNSAFE_RE.sub(json_escape, text))
    else:  # BibTeX, BibLaTeX, RIS: exact into a file or pipe (>> refs.bib), escaped on a terminal
        echo_data(text)
    for what in incomplete:
        note(f"incomplete: {what}")
    if incomplete and len(refs) > 1:
        note(f"{len(incomplete)} of {len(refs)} entries incomplete, cited with what they have")
    skips.exit_if_any()
