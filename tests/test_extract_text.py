"""Plain-text and Markdown snapshots, encodings, and dates with time zones."""

from __future__ import annotations

import codecs

import pytest

from newsarchive.extract import extract
from newsarchive.extract._util import date_from_url, normalise_language, to_date
from newsarchive.extract.encoding import decode
from newsarchive.extract.text import is_furniture

# A sample in the shape of a scraped news page (invented text).
SEED_LIKE = (
    "News\n\n"
    "Sample official meets sample leader, says the sample country will not join penalties\n\n"
    "A sample first paragraph of the body, written for the tests, said Wednesday.\n"
    "A second sample paragraph about nothing real.\n\n"
    "0\n"
    "Comments on this article\n"
    "0"
)


def test_text_snapshot_label_title_and_furniture():
    x = extract(SEED_LIKE.encode("utf-8"), media_type="text/plain")
    assert x.fields["title"].startswith("Sample official meets")
    assert x.provenance["title"] == "text:first-line"
    assert x.fields["section"] == "News" and x.provenance["section"] == "text:label"
    assert x.text.startswith("A sample first paragraph")
    assert x.text.endswith("nothing real.")
    assert "Comments" not in x.text


def test_text_snapshot_without_label():
    data = "Rain closes the sample valley road for a week\n\nBody line one.\nBody line two.\n".encode()
    x = extract(data, media_type="text/plain; charset=utf-8")
    assert x.fields["title"] == "Rain closes the sample valley road for a week"
    assert "section" not in x.fields
    assert x.text == "Body line one.\nBody line two."


@pytest.mark.parametrize("furniture", [
    "Share", "Share this article", "Advertisement", "Related", "Related articles", "3 comments",
    "© 2024 Sample Media Ltd", "Copyright 2024 Sample Media. All rights reserved.", "Read more: x",
    "12", "Subscribe to our newsletter", "Follow us on Sample", "Tags: a, b", "Back to top",
])
def test_trailing_furniture_removed(furniture):
    data = f"World\n\nA sample title line here\n\nSample body text.\n\n{furniture}\n".encode()
    x = extract(data, media_type="text/plain")
    assert x.text == "Sample body text."


def test_furniture_rule_does_not_eat_body_lines():
    assert not is_furniture("Share prices fell sharply on Tuesday after the sample announcement.")
    assert not is_furniture("Comment is free, but facts are sacred, the sample editor once wrote in a long essay.")


def test_markdown_heading_title():
    data = b"# Sample Markdown headline\n\nFirst paragraph.\n\nSecond paragraph.\n\nShare\n"
    x = extract(data, media_type="text/markdown")
    assert x.fields["title"] == "Sample Markdown headline"
    assert x.provenance["title"] == "text:heading"
    assert x.text == "First paragraph.\n\nSecond paragraph."


def test_text_with_url_gets_outlet_from_domain():
    x = extract(b"A sample title\n\nBody.", media_type="text/plain", url="https://www.samplewire.example/a")
    assert x.fields["outlet"] == "samplewire.example" and x.provenance["outlet"] == "domain"


def test_text_snapshot_bbc_style_first_line_title():
    data = b"Ad sales lift sample media profits\n\nSample Media said quarterly profits rose.\n"
    x = extract(data, media_type="text/plain")
    assert x.fields["title"] == "Ad sales lift sample media profits"
    assert "section" not in x.fields


# --------------------------------------------------------------------------- encodings

CYRILLIC = "Пример статьи: городской совет одобрил новый мост через реку."
JAPANESE = "サンプル記事：市議会が新しい橋の建設を承認しました。交通量は少なかった。"


def html_doc(body: str, head: str = "") -> str:
    return f"<html><head>{head}<title>{body[:20]}</title></head><body><p>{body}</p><p>{body}</p></body></html>"


def test_windows_1251_declared_in_header():
    data = html_doc(CYRILLIC).encode("cp1251")
    x = extract(data, media_type="text/html; charset=windows-1251")
    assert x.encoding == "windows-1251"
    assert CYRILLIC[:20] in x.fields["title"]


def test_windows_1251_meta_charset():
    data = html_doc(CYRILLIC, '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">').encode("cp1251")
    x = extract(data, media_type="text/html")
    assert x.encoding == "windows-1251" and CYRILLIC[:20] in x.fields["title"]


def test_windows_1251_undeclared_detected():
    text = (CYRILLIC + " ") * 8
    data = html_doc(text).encode("cp1251")
    x = extract(data, media_type="text/html")
    assert x.fields["title"] == text[:20].strip() or CYRILLIC[:15] in x.fields["title"]
    assert x.encoding == "windows-1251"


def test_shift_jis_meta_and_undeclared():
    data = html_doc(JAPANESE, '<meta charset="Shift_JIS">').encode("shift_jis")
    x = extract(data)
    assert x.encoding == "shift_jis" and JAPANESE[:10] in x.fields["title"]
    plain = ((JAPANESE + "\n") * 5).encode("shift_jis")
    x = extract(plain, media_type="text/plain")
    assert x.fields["title"] == JAPANESE
    assert x.encoding in ("shift_jis", "cp932")


def test_bom_wins_and_is_dropped():
    data = codecs.BOM_UTF8 + "Titre d'exemple éèà\n\nCorps.".encode("utf-8")
    x = extract(data, media_type="text/plain; charset=iso-8859-1")
    assert x.encoding == "utf-8" and x.fields["title"] == "Titre d'exemple éèà"
    utf16 = codecs.BOM_UTF16_LE + "Sample UTF-16 title\n\nBody.".encode("utf-16-le")
    x = extract(utf16)
    assert x.fields["title"] == "Sample UTF-16 title" and x.encoding == "utf-16-le"


def test_latin1_label_with_utf8_bytes_is_read_as_utf8():
    text, enc = decode("Café in São Paulo".encode("utf-8"), "text/html; charset=ISO-8859-1")
    assert (text, enc) == ("Café in São Paulo", "utf-8")


def test_invalid_bytes_never_crash():
    data = b"<html><head><meta charset='utf-8'><title>Bad \xff\xfe bytes</title></head><body><p>x \xc3\x28</p></body></html>"
    x = extract(data)
    assert x.fields["title"].startswith("Bad")
    x = extract(b"Title \x81\x8d\x8f\x90\x9d\n\nbody", media_type="text/plain; charset=utf-8")
    assert "\ufffd" in x.fields["title"]
    x = extract(b"x", media_type="text/html; charset=no-such-charset")
    assert x.encoding


# --------------------------------------------------------------------------- dates

@pytest.mark.parametrize("raw, iso", [
    ("2024-09-04T10:32:00+02:00", "2024-09-04T10:32:00+02:00"),
    ("2024-09-04T10:32:00Z", "2024-09-04T10:32:00+00:00"),
    ("2024-09-04", "2024-09-04"),
    ("Sun Nov 23 16:00:00 EDT 2014", "2014-11-23T16:00:00-04:00"),
    ("Wednesday, Sept. 4, 2024 10:32 AM CEST", "2024-09-04T10:32:00+02:00"),
    (1676551869, "2023-02-16T12:51:09+00:00"),
    ("1676551869000", "2023-02-16T12:51:09+00:00"),
    ("September 2024", "2024-09"),
])
def test_dates_keep_time_zones(raw, iso):
    assert to_date(raw).iso() == iso


@pytest.mark.parametrize("raw", ["", "not a date", "0", None, "3000-01-01", True])
def test_bad_dates_are_none(raw):
    assert to_date(raw) is None


def test_published_and_modified_kept_apart():
    head = ('<meta property="article:published_time" content="2024-09-04T10:32:00-04:00">'
            '<meta property="article:modified_time" content="2024-09-05T08:00:00-04:00">')
    x = extract(html_doc("Sample body text for dates.", head).encode())
    assert x.fields["published"] == "2024-09-04T10:32:00-04:00"
    assert x.fields["modified"] == "2024-09-05T08:00:00-04:00"


def test_date_from_url_forms():
    assert date_from_url("https://x.example/2023/11/06/politics/a.html").iso() == "2023-11-06"
    assert date_from_url("https://x.example/news/20231106-story").iso() == "2023-11-06"
    assert date_from_url("https://x.example/2023/13/45/a") is None
    assert date_from_url("https://x.example/a") is None


@pytest.mark.parametrize("raw, tag", [("en_US", "en-US"), ("EN", "en"), ("zh-hant-tw", "zh-Hant-TW"), ("x", None), ("", None)])
def test_normalise_language(raw, tag):
    assert normalise_language(raw) == tag
