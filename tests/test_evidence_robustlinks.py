"""cite --style robust-links: an HTML anchor with href, data-originalurl, data-versionurl and
data-versiondate (the Robust Links convention), every value escaped."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from newsarchive import api

PAGE = b"SAMPLE: Robust headline\n\nA sample article body about a sample bridge and a sample vote.\n"


def anchor(text: str) -> tuple[dict[str, str], str]:
    found: list = []

    class P(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))

        def handle_data(self, data):
            found.append(("#text", data))

    P().feed(text)
    assert found[0][0] == "a", text
    return found[0][1], "".join(d for t, d in found[1:] if t == "#text")


def test_an_entry_with_a_public_archived_copy(root, cli):
    e = api.add(root, data=PAGE, source="p.txt", fields={
        "title": 'SAMPLE "Robust" <b>headline</b> & more', "url": "https://robust.example/a?x=1&y=2",
        "archived_url": "https://web.archive.org/web/20240904103200/https://robust.example/a?x=1&y=2"}).entry
    r = cli("cite", e.id, "--style", "robust-links")
    assert r.exit_code == 0, r.output
    out = r.output.strip()
    attrs, text = anchor(out)
    assert attrs == {"href": "https://robust.example/a?x=1&y=2", "data-originalurl": "https://robust.example/a?x=1&y=2",
                     "data-versionurl": "https://web.archive.org/web/20240904103200/https://robust.example/a?x=1&y=2",
                     "data-versiondate": "2024-09-04"}
    assert text == 'SAMPLE "Robust" <b>headline</b> & more'
    assert "<b>" not in out and "&amp;y=2" in out  # escaped in the markup itself


def test_without_a_public_copy_the_capture_is_named_locally(root, cli):
    e = api.add(root, data=PAGE, source="p.txt", fields={"title": "SAMPLE local", "url": "https://robust.example/b"}).entry
    attrs, text = anchor(cli("cite", e.id, "--style", "robust-links").output.strip())
    assert attrs["href"] == "https://robust.example/b"
    assert attrs["data-versionurl"] == f"urn:newsarchive:{e.id}:v1"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", attrs["data-versiondate"])
    assert attrs["data-versiondate"] == e.snapshots[0].captured_at.iso()[:10]


def test_a_url_that_is_not_http_is_never_put_in_an_attribute(root, cli):
    e = api.add(root, data=PAGE, source="p.txt", fields={"title": "SAMPLE hostile",
                                                          "url": "https://robust.example/c"}).entry
    import json

    folder = root / "archive" / e.id
    # an archived_url as an imported file could carry it (bypassing normalisation), sealed again
    from newsarchive import store as st

    meta = json.loads((folder / "entry.json").read_text())
    meta["archived_url"] = "javascript:alert(1)"
    (folder / "entry.json").write_text(json.dumps(meta))
    hashes, _ = st.parse_manifest((folder / st.MANIFEST_FILE).read_bytes())
    hashes["entry.json"] = st.sha256_bytes((folder / "entry.json").read_bytes())
    (folder / st.MANIFEST_FILE).write_bytes(st.manifest_bytes(hashes))
    out = cli("cite", e.id, "--style", "robust-links").output
    assert "javascript" not in out
    attrs, _text = anchor(out.strip())
    assert attrs["data-versionurl"] == f"urn:newsarchive:{e.id}:v1"
    assert html.unescape(out).count("<a ") == 1
