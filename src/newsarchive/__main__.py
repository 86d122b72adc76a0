"""Entry point: ``newsarchive`` and ``python -m newsarchive``."""

from __future__ import annotations

import re
import sys

# search options that take a value: the token after them is that value, never the query
_SEARCH_VALUED = {"--sort", "--limit", "-n", "--offset", "--facet", "--format", "-f"}
_GLOBAL_VALUED = {"--root", "-C"}


def dash_query_argv(argv: list[str]) -> list[str]:
    """``search '-putin serbia'`` (a query that starts with NOT) would be read as an option;
    move the query behind ``--`` so that it is read as the query, wherever the user put it."""
    i = 0
    while i < len(argv) and argv[i].startswith("-"):  # global options before the command
        i += 2 if argv[i] in _GLOBAL_VALUED else 1
    if i >= len(argv) or argv[i] != "search" or "--" in argv[i + 1:]:
        return argv
    options, query = [], []
    j = i + 1
    while j < len(argv):
        token = argv[j]
        if token in _SEARCH_VALUED and j + 1 < len(argv):
            options += [token, argv[j + 1]]
            j += 2
            continue
        if token.startswith("--") or token == "-h" or re.fullmatch(r"-n\d+|-f(table|json|jsonl|csv|ids)", token):
            options.append(token)
        else:
            query.append(token)
        j += 1
    if not any(q.startswith("-") for q in query):
        return argv
    return [*argv[: i + 1], *options, "--", *query]


def main() -> None:
    from .cli import app

    app(args=dash_query_argv(sys.argv[1:]), prog_name="newsarchive")


if __name__ == "__main__":
    main()
