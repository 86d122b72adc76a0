"""Shell completion (Typer's own, for bash, zsh and fish), with entry IDs and citekeys completed
from the catalog cache, through the installed script as a shell runs it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from newsarchive import api

EXE = Path(sys.executable).with_name("newsarchive")
pytestmark = pytest.mark.skipif(not EXE.exists(), reason="needs the installed newsarchive script")


def _complete(root, env):
    p = subprocess.run([str(EXE)], env={**os.environ, "NEWSARCHIVE_ROOT": str(root), **env},
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    return p.stdout


@pytest.fixture
def keyed(root):
    ids = {}
    for title, author in (("SAMPLE copper", "Jovana Gec"), ("SAMPLE wheat", "Ann Young")):
        o = api.add(root, data=None, source=None, fields={"title": title, "authors": [author], "published": "2024"})
        ids[o.entry.citekey] = o.id
    return ids


def test_bash_completes_citekeys_and_ids(root, keyed):
    out = _complete(root, {"_NEWSARCHIVE_COMPLETE": "complete_bash", "COMP_WORDS": "newsarchive cite gec",
                           "COMP_CWORD": "2"})
    assert out.split() == ["gec2024sample"]
    some_id = keyed["young2024sample"]
    out = _complete(root, {"_NEWSARCHIVE_COMPLETE": "complete_bash", "COMP_WORDS": f"newsarchive show {some_id[:3]}",
                           "COMP_CWORD": "2"})
    assert some_id in out.split()


def test_zsh_and_fish_complete_with_descriptions(root, keyed):
    out = _complete(root, {"_NEWSARCHIVE_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "newsarchive verify you"})
    assert "young2024sample" in out and keyed["young2024sample"] in out  # the ID as its description
    out = _complete(root, {"_NEWSARCHIVE_COMPLETE": "complete_fish", "_TYPER_COMPLETE_ARGS": "newsarchive rm ",
                           "_TYPER_COMPLETE_FISH_ACTION": "get-args"})
    lines = out.splitlines()
    assert "gec2024sample\t" + keyed["gec2024sample"] in lines and len(lines) == 4


def test_no_cache_or_no_collection_completes_nothing_and_never_fails(root, keyed, tmp_path):
    (root / "index" / api.Catalog.CACHE).unlink()
    out = _complete(root, {"_NEWSARCHIVE_COMPLETE": "complete_bash", "COMP_WORDS": "newsarchive cite g",
                           "COMP_CWORD": "2"})
    assert out.strip() == ""  # the archive itself is never read for a completion
    out = _complete(tmp_path / "nowhere", {"_NEWSARCHIVE_COMPLETE": "complete_bash",
                                           "COMP_WORDS": "newsarchive cite g", "COMP_CWORD": "2"})
    assert out.strip() == ""


def test_show_completion_prints_a_script_for_each_shell():
    for shell, marker in (("bash", "complete -o default -F"), ("zsh", "compdef"), ("fish", "complete --command")):
        p = subprocess.run([str(EXE), "--show-completion", shell],
                           env={**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"},
                           capture_output=True, text=True, timeout=60)
        assert marker in p.stdout, (shell, p.stdout, p.stderr)
