"""Shared fixtures: a fresh collection and a CLI runner bound to it."""

import threading
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


#: every search engine; tests that must hold on each take ``engine`` and are parametrised over these
ENGINES = ("whoosh", "tantivy")


@pytest.fixture
def engine() -> str:
    """The engine of the ``root`` collection: the default, unless a test parametrises ``engine``
    (``@pytest.mark.parametrize("engine", ENGINES)``)."""
    return "whoosh"


@pytest.fixture
def root(tmp_path, engine) -> Path:
    return api.init(tmp_path / "coll", engine=engine)


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


@pytest.fixture
def serve():
    """Serve pages on 127.0.0.1: serve(respond) -> base URL, where respond(path) returns
    (status, headers, body). Servers stop at the end of the test."""
    servers = []

    import tsa_server

    def start(respond):
        httpd = tsa_server.page_server(respond)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        return f"http://127.0.0.1:{httpd.server_address[1]}"

    yield start
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="session")
def tsa(tmp_path_factory):
    """A real RFC 3161 TSA on 127.0.0.1 (``openssl ts -reply`` with a throw-away CA): .url, .ca."""
    import tsa_server

    local = tsa_server.start(tsa_server.make_pki(tmp_path_factory.mktemp("tsa")))
    yield local
    local.stop()
