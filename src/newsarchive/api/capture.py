"""What a snapshot holds: media types, text extraction (``extract_preview``) and network capture (``fetch``)."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import Any, Collection, Mapping

from .. import media
from ..errors import ExtractError, NewsArchiveError
from ..media import TEXT_TYPES
from ..model import PartialDate
from ..normalize import SETTABLE, collapse_blank_runs, normalise_fields


def guess_media_type(name: str | None, data: bytes) -> str:
    """The media type of a snapshot: see :func:`newsarchive.media.guess`."""
    return media.guess(name, data)


def _normal_text(text: str) -> str:
    """The text as stored and indexed: every line's whitespace collapsed, at most one empty
    line in a row, a newline at the end (none when empty)."""
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    out = collapse_blank_runs("\n".join(lines)).strip()
    return out + "\n" if out else ""


def _extract(data: bytes, media_type: str, url: str | None):
    if media.base_type(media_type) not in TEXT_TYPES:
        return None
    from .. import extract

    try:
        return extract.extract(data, media_type=media_type, url=url)
    except ExtractError:
        raise
    except Exception as exc:  # a broken page must never crash an import
        raise ExtractError(f"could not extract text: {exc.__class__.__name__}: {exc}") from None


def _text_body(ext, given_title: str | None) -> str:
    """The article text to index. A plain-text snapshot's first line is taken as its title and
    left out of the text; when the record names its own, different title (an import with inline
    text), that first line is article text and is kept."""
    text = ext.text or ""
    found = ext.fields.get("title")
    if (given_title and found and str(ext.provenance.get("title", "")).startswith("text:")
            and _fold_title(found) != _fold_title(given_title)):
        text = f"{found}\n\n{text}"
    return _normal_text(text)


def _fold_title(title: str) -> str:
    return _NON_WORD.sub(" ", title).strip().lower()


_NON_WORD = re.compile(r"\W+")


def _valid_extracted(fields: Mapping[str, Any], *, dayfirst: bool,
                     skip: Collection[str] = ()) -> dict[str, Any]:
    """Extracted values pass the same validation as the user's; an invalid one is dropped.
    ``skip``: fields that have a value already (not validated: it would not be used)."""
    out = {}
    for key, value in fields.items():
        if key not in SETTABLE or value in (None, "", []) or key in skip:
            continue
        with contextlib.suppress(NewsArchiveError):
            norm = normalise_fields({key: value}, dayfirst=dayfirst)[key]
            if norm not in (None, "", []):
                out[key] = norm
    return out


def extract_preview(data: bytes, *, name: str | None = None, url: str | None = None,
                    media_type: str | None = None) -> dict[str, Any]:
    """What ``add`` would take from these bytes: fields, their sources, and the article text."""
    media_type = media_type or guess_media_type(name, data)
    ext = _extract(data, media_type, url)
    if ext is None:
        raise ExtractError(f"no text can be extracted from {media_type} files")
    fields = _valid_extracted(ext.fields, dayfirst=False)
    out = {"fields": fields, "provenance": {k: ext.provenance.get(k, "page") for k in fields},
           "media_type": media_type, "text": _normal_text(ext.text or "")}
    if ext.note:
        out["note"] = ext.note
    return out


@dataclass(frozen=True)
class FetchedPage:
    url: str
    final_url: str
    body: bytes
    media_type: str
    captured_at: PartialDate
    warc: bytes
    http: dict[str, Any]
    tls_chain: bytes | None = None


def fetch(url: str, *, operator: str | None = None, **options: Any) -> FetchedPage:
    """Fetch a URL (the only network use) and record the exchange as a WARC (``operator``, who
    made the capture, goes into its warcinfo record when given)."""
    from ..extract import fetch as fetching

    capture = fetching.fetch(url, **options)
    return FetchedPage(
        url=url, final_url=capture.final_url, body=capture.body, media_type=capture.media_type,
        captured_at=PartialDate.from_datetime(capture.fetched_at.replace(microsecond=0)),
        warc=fetching.warc_bytes(capture, operator=operator), http=capture.http_info(),
        tls_chain=capture.tls_chain_pem(),
    )
