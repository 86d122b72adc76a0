"""The documentation agrees with the code: the generated command-line reference is current, the
README's command table lists exactly the commands that exist, and every relative link in the
README, the changelog and docs/ leads to a file (and heading) that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from newsarchive.tools import cli_reference

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
REGENERATE = cli_reference.REGENERATE


def test_cli_reference_is_current():
    path = DOCS / "cli.md"
    assert path.is_file(), f"docs/cli.md is missing; run `{REGENERATE}`"
    problems = cli_reference.differences(path.read_text(encoding="utf-8"))
    assert not problems, ("docs/cli.md is out of date: " + "; ".join(problems)
                          + f". Regenerate it with `{REGENERATE}`")


def test_cli_reference_check_names_the_command_that_changed():
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    marker = "## newsarchive verify\n"
    assert marker in text
    changed = text.replace(marker, marker + "\nA line nobody generated.\n", 1)
    assert cli_reference.differences(changed) == ["`newsarchive verify` differs from its --help"]
    removed = text.replace(marker, "## newsarchive no-such-command\n", 1)
    assert cli_reference.differences(removed) == ["`newsarchive verify` is missing",
                                                  "`newsarchive no-such-command` is not a command any more"]


def test_cli_reference_script_writes_what_it_checks(tmp_path, capsys):
    out = tmp_path / "cli.md"
    assert cli_reference.main(["--check", "--path", str(out)]) == 1
    assert REGENERATE in capsys.readouterr().err
    assert cli_reference.main(["--write", "--path", str(out)]) == 0
    assert cli_reference.main(["--check", "--path", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == (DOCS / "cli.md").read_text(encoding="utf-8")


def test_cli_reference_does_not_depend_on_the_terminal(monkeypatch):
    before = cli_reference.help_text(("import",))
    monkeypatch.setenv("COLUMNS", "40")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert cli_reference.help_text(("import",)) == before
    assert "\x1b" not in before and all(len(line) <= cli_reference.WIDTH for line in before.splitlines())


def _readme_table_commands() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `newsarchive ([a-z][a-z-]*)(?: [^`]*)?` \|", section, flags=re.M)


def test_readme_command_table_lists_exactly_the_commands():
    listed = _readme_table_commands()
    commands = [path[0] for path in cli_reference.command_paths() if len(path) == 1]
    assert len(listed) == len(set(listed)), f"a command is listed twice in README's table: {listed}"
    missing = sorted(set(commands) - set(listed))
    unknown = sorted(set(listed) - set(commands))
    assert not missing, f"README's command table lacks {missing} (one line per command)"
    assert not unknown, f"README's command table lists {unknown}, which are no commands"


def _slug(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    text = re.sub(r"[`*_]{1,2}(?=\S)|(?<=\S)[`*_]{1,2}", "", heading.strip().lower())
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(markdown: str) -> set[str]:
    seen: dict[str, int] = {}
    anchors = set()
    fenced = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (m := re.match(r"#{1,6} (.+)", line)):
            slug = _slug(m.group(1))
            n = seen.get(slug, 0)
            seen[slug] = n + 1
            anchors.add(slug if n == 0 else f"{slug}-{n}")
    return anchors


def _links(markdown: str) -> list[str]:
    """Link targets outside code (fenced blocks and inline code)."""
    prose = re.sub(r"^```.*?^```", "", markdown, flags=re.M | re.S)
    prose = re.sub(r"`[^`\n]*`", "", prose)
    return re.findall(r"\]\(([^)\s]+)\)", prose)


DOC_FILES = sorted([REPO / "README.md", REPO / "CHANGELOG.md", *DOCS.glob("*.md")])


@pytest.mark.parametrize("doc", DOC_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_lead_to_existing_files_and_headings(doc):
    assert doc.is_file(), f"{doc.relative_to(REPO)} is missing"
    problems = []
    for target in _links(doc.read_text(encoding="utf-8")):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...
            continue
        path_part, _, fragment = target.partition("#")
        dest = (doc.parent / path_part).resolve() if path_part else doc
        if not dest.exists():
            problems.append(f"{target}: no such file")
        elif fragment and dest.suffix == ".md" and fragment not in _anchors(dest.read_text(encoding="utf-8")):
            problems.append(f"{target}: no heading #{fragment} in {dest.relative_to(REPO)}")
    assert not problems, f"{doc.relative_to(REPO)}: broken links: {problems}"


def test_link_checker_finds_broken_links():
    text = "See [a](docs/nowhere.md), [b](#nope), `[c](code.md)` and [d](https://example.org/x)."
    assert _links(text) == ["docs/nowhere.md", "#nope", "https://example.org/x"]
    assert "the-entry-json" in _anchors("## The entry JSON\n")
    assert _slug("Archived copies: where the archived URL, capture date and SHA-256 go") == \
        "archived-copies-where-the-archived-url-capture-date-and-sha-256-go"


def test_readme_first_session_runs_as_written(tmp_path):
    """The README's first session, run by bash in an empty home folder with the installed
    `newsarchive` command; the output that the README shows in a comment is what `add` prints."""
    import os
    import shutil
    import subprocess
    import sys

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## A first session\n", 1)[1].split("\n## ", 1)[0]
    script = re.search(r"^```sh\n(.*?)^```", section, flags=re.M | re.S).group(1)
    bindir = Path(sys.executable).parent
    assert (bindir / "newsarchive").exists() or shutil.which("newsarchive"), \
        "the newsarchive command is not installed (pip install -e .)"
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
    env.update(HOME=str(home), PATH=f"{bindir}{os.pathsep}{env.get('PATH', '')}", NO_COLOR="1")
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"README first session failed:\n{done.stdout}\n{done.stderr}"
    promised = re.search(r"^# (Archived \S+ .*)$", script, flags=re.M).group(1)
    pattern = re.escape(promised).replace(re.escape(promised.split()[1]), r"[0-9a-z]{8}", 1)
    assert re.search(pattern, done.stdout), f"add did not print {promised!r}:\n{done.stdout}"
    assert "1 entries checked, 0 problems" in done.stdout
    assert (home / "news" / "all.csv").read_text(encoding="utf-8").count("associatedpress2024sample") == 1


def _shell_commands(markdown: str) -> list[list[str]]:
    """The `newsarchive ...` command lines of the ```sh blocks, split into words."""
    import shlex

    found = []
    for block in re.findall(r"^```(?:sh|bash|console)\n(.*?)^```", markdown, flags=re.M | re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip()
            if line.startswith("$ "):
                line = line[2:]
            if not line.startswith("newsarchive "):
                continue
            try:
                words = shlex.split(line, comments=True)
            except ValueError:  # an example with an unbalanced quote on purpose
                words = line.split()
            found.append(words)
    return found


@pytest.mark.parametrize("doc", [d for d in DOC_FILES if d.name != "cli.md"], ids=lambda p: str(p.relative_to(REPO)))
def test_command_examples_name_existing_commands(doc):
    commands = {path[0] for path in cli_reference.command_paths() if len(path) == 1}
    unknown = []
    for words in _shell_commands(doc.read_text(encoding="utf-8")):
        rest = words[1:]
        while rest and rest[0].startswith("-"):  # global options: --root DIR, -C DIR, --version
            rest = rest[2:] if rest[0] in ("--root", "-C") else rest[1:]
        if rest and rest[0] not in commands and rest[0] != "COMMAND":
            unknown.append(" ".join(words))
    assert not unknown, f"{doc.relative_to(REPO)}: examples of commands that do not exist: {unknown}"


def test_command_example_check_sees_unknown_commands():
    words = _shell_commands("```sh\nnewsarchive --root ~/news serch x   # typo\nnewsarchive add \\\n  f.txt\n```\n")
    assert words == [["newsarchive", "--root", "~/news", "serch", "x"], ["newsarchive", "add", "f.txt"]]
