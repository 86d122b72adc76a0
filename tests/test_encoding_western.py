"""Undeclared 8-bit Western text is never read as a CJK code page (samples written here)."""

import pytest

from newsarchive import api
from newsarchive.extract.encoding import decode, looks_western

LATIN1 = ("SAMPLE title line\n\nSAMPLE: Chelsea paid £15.8m for the striker, the café owner Jürgen Müller said.\n"
          "Prices rose to £3 a pint; the crème brûlée stayed at £4.50.\n")


@pytest.mark.parametrize("text", [
    LATIN1,
    "SAMPLE: a £15.8m signing\n",
    "SAMPLE: Chelsea's £15.8m striker\n",
    "SAMPLE: Ärger über Öl in Köln, sagte Müller.\n" * 3,
])
def test_latin1_text_decodes_as_western(text):
    data = text.encode("cp1252")
    assert looks_western(data)
    decoded, encoding = decode(data, None, html=False)
    assert decoded == text


def test_cjk_text_stays_cjk():
    ja = "サンプル：東京で記者会見が開かれ、首相は新しい政策を発表した。" * 4
    data = ja.encode("shift_jis")
    assert not looks_western(data)
    decoded, encoding = decode(data, None, html=False)
    assert decoded == ja
    zh = "样本：北京举行新闻发布会，发言人宣布了新的经济政策。" * 4
    assert not looks_western(zh.encode("gb18030"))


def test_utf8_and_declared_charsets_unchanged():
    assert decode(LATIN1.encode("utf-8"), None, html=False) == (LATIN1, "utf-8")
    ja = "東京の記者会見".encode("shift_jis")
    assert decode(ja, "text/plain; charset=shift_jis", html=False)[0] == "東京の記者会見"


def test_indexed_text_and_search_see_the_pound_sign(root, tmp_path):
    f = tmp_path / "latin1.txt"
    f.write_bytes(LATIN1.encode("latin-1"))
    out = api.add(root, data=f.read_bytes(), source=str(f), fields={})
    text = (root / "archive" / out.id / out.entry.snapshot.text_path).read_text(encoding="utf-8")
    assert "£15.8m" in text and "Müller" in text
    assert [h.id for h in api.search(root, "müller").hits] == [out.id]
