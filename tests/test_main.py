"""The entry point's handling of queries that start with a dash (NOT)."""

import subprocess
import sys

import pytest

from newsarchive.__main__ import dash_query_argv


@pytest.mark.parametrize("argv,expected", [
    (["search", "-putin serbia"], ["search", "--", "-putin serbia"]),
    (["search", "-putin serbia", "--limit", "5"], ["search", "--limit", "5", "--", "-putin serbia"]),
    (["--root", "/c", "search", "--sort", "-published", "-putin"],
     ["--root", "/c", "search", "--sort", "-published", "--", "-putin"]),
    (["search", "serbia", "--sort", "-published"], ["search", "serbia", "--sort", "-published"]),
    (["search", "--", "-x"], ["search", "--", "-x"]),
    (["list", "-x"], ["list", "-x"]),
    (["search", "-n5", "-putin"], ["search", "-n5", "--", "-putin"]),
])
def test_dash_query_argv(argv, expected):
    assert dash_query_argv(argv) == expected


def test_a_query_starting_with_not_works_from_the_command_line(root, sample_file):
    from newsarchive import api

    api.add(root, data=sample_file.read_bytes(), source="s.txt", fields={})
    run = lambda *a: subprocess.run([sys.executable, "-m", "newsarchive", "--root", str(root), *a],
                                    capture_output=True, text=True)
    r = run("search", "-putin sanctions", "--format", "ids")
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.split()) == 1  # the sample does not mention putin
    r = run("search", "-sanctions", "--format", "ids")
    assert r.returncode == 0 and r.stdout.split() == []
