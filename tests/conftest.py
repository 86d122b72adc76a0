"""Shared fixtures: a fresh collection and a CLI runner bound to it."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsarchive import api
from newsarchive.cli import app

SAMPLE_TEXT = """News

SAMPLE: Test official meets minister, says Belgrade will not join penalties

This is a sample article written for the newsarchive tests. Serbia's deputy prime minister met
a Russian leader on Wednesday. President Aleksandar Vučić has said sanctions were not in the
national interest. The US-sanctioned official won't join Western penalties, he said.

0

Comments on this article
"""


@pytest.fixture
def root(tmp_path) -> Path:
    return api.init(tmp_path / "coll")


@pytest.fixture
def cli(root, monkeypatch):
    """Invoke the CLI in the test collection: cli("add", "x.txt") -> Result."""
    monkeypatch.delenv("NEWSARCHIVE_ROOT", raising=False)
    monkeypatch.setenv("NEWSARCHIVE_DEBUG", "1")  # a bug raises here instead of passing as "exit 1"
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(app, ["--root", str(root), *map(str, args)], input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def sample_file(tmp_path) -> Path:
    p = tmp_path / "sample.txt"
    p.write_text(SAMPLE_TEXT, encoding="utf-8")
    return p
