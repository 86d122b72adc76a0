"""URLs in one place: the cited form, the deduplication key, the search form, the site.

Every part of newsarchive that compares, indexes or cites a URL goes through this module, so
that "the same URL" means one thing everywhere.

- :func:`strip_tracking` removes the parameters that only say how a reader arrived at a page
  (``TRACKING_PARAMS`` and the ``TRACKING_PREFIXES``); parameters that identify the content,
  such as ``?id=123`` or ``?p=42``, are kept, in their order.
- :func:`cited_url` is the URL a citation gives: tracking parameters removed, fragment kept
  out. :func:`choose_cited_url` picks, for a fetched page, its declared canonical URL
  (``<link rel=canonical>``, ``og:url``, JSON-LD ``url``) when that is a sane absolute
  http(s) URL of the same site, else the URL that was fetched.
- :func:`url_key` is the deduplication key: no scheme, no ``www.``, no fragment, no trailing
  slash, no tracking parameters, lower case, ``dx.doi.org`` read as ``doi.org``.
- :func:`search_form` is how the search index stores and matches a URL (like the key, but the
  path keeps its case).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

#: Query parameters that track a visit and never identify content (matched ignoring case).
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
    "ttclid", "li_fat_id", "igshid", "igsh", "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi",
    "mkt_tok", "ref_src", "ref_url", "ocid", "cmpid", "icid", "ncid", "ito", "smid", "smtyp",
    "s_cid", "cid_source", "xtor", "at_medium", "at_campaign", "at_custom1", "at_custom2",
    "at_custom3", "at_custom4", "vero_id", "oly_enc_id", "oly_anon_id", "rb_clickid", "wt_mc",
    "wt.mc_id", "__twitter_impression", "guccounter", "guce_referrer",
    "guce_referrer_sig",
})
#: Prefixes of tracking parameter families (``utm_source``, ``utm_medium``, ...).
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "at_")

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
# second-level labels under which a country code's sites are registered (bbc.co.uk, abc.net.au)
_SECOND_LEVEL = frozenset("co com net org gov ac edu ne or go gob nic mil".split())


def is_http_url(value: object) -> bool:
    return isinstance(value, str) and bool(re.match(r"^https?://[^\s/$.?#][^\s]*$", value.strip(), re.I))


def is_tracking_param(name: str) -> bool:
    low = name.strip().lower()
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)


def strip_tracking(url: str) -> str:
    """``url`` without tracking parameters; everything else, including the order and spelling
    of the other parameters, is kept as it was."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. a broken IPv6 host: nothing to strip safely
        return url
    if not parts.query:
        return url
    pieces = parts.query.split("&")
    kept = [p for p in pieces if p and not is_tracking_param(p.split("=", 1)[0])]
    if len(kept) == len(pieces):
        return url
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "&".join(kept), parts.fragment))


def cited_url(url: str) -> str:
    """The form a citation gives: tracking parameters and a trailing ``?`` removed."""
    return strip_tracking(url).rstrip("?")


def host(url: str | None) -> str:
    """The host name, lower case, without ``www.`` ("" when there is none)."""
    if not url:
        return ""
    try:
        name = urlsplit(url if _SCHEME.match(url) else "//" + url).hostname or ""
    except ValueError:
        return ""
    name = name.lower().rstrip(".")
    return name[4:] if name.startswith("www.") else name


def site(url: str | None) -> str:
    """The registrable part of the host: "www.bbc.co.uk" -> "bbc.co.uk", "edition.cnn.com" ->
    "cnn.com" (a small rule, not the public-suffix list)."""
    name = host(url)
    if re.fullmatch(r"[\d.]+|.*:.*", name):  # an IP address is its own site
        return name
    labels = [x for x in name.split(".") if x]
    if len(labels) <= 2:
        return ".".join(labels)
    keep = 3 if len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    return ".".join(labels[-keep:])


def domains(url: str | None) -> list[str]:
    """Every domain a search for ``domain:`` may name: "news.bbc.co.uk" -> news.bbc.co.uk,
    bbc.co.uk, co.uk."""
    name = host(url).split(":", 1)[0]
    labels = [x for x in name.split(".") if x]
    return [".".join(labels[i:]) for i in range(len(labels) - 1)] or ([name] if name else [])


def search_form(url: str) -> str:
    """How the index stores a URL: no scheme, ``www.``, fragment, tracking parameters or
    trailing slash; the host in lower case, the path as it was."""
    u = cited_url(url.strip()).split("#", 1)[0]
    u = _SCHEME.sub("", u)
    name, slash, rest = u.partition("/")
    name = name.lower()
    if name.startswith("www."):
        name = name[4:]
    return (name + slash + rest).rstrip("/")


def url_key(url: str | None) -> str | None:
    """The deduplication key (see the module docstring); None for an empty URL."""
    if not url or not url.strip():
        return None
    u = cited_url(url.strip().split("#", 1)[0])
    bare = re.sub(r"^https?://(www\.)?", "", u, flags=re.I).rstrip("/")
    bare = re.sub(r"^dx\.doi\.org/", "doi.org/", bare, flags=re.I)  # one DOI, one key
    return bare.lower() or None


def _is_home(url: str) -> bool:
    try:
        return urlsplit(url).path in ("", "/")
    except ValueError:
        return False


def choose_cited_url(fetched: str, declared: str | None) -> tuple[str, str]:
    """The URL to cite for a page fetched from ``fetched`` (its final URL after redirects) that
    declares ``declared`` as its canonical URL. Returns (url, why): why is "canonical" when the
    declaration was taken, else "fetched". The declaration is taken only when it is an absolute
    http(s) URL of the same site, and not the site's home page for an article page."""
    if declared and is_http_url(declared):
        same_site = site(declared) == site(fetched) and site(fetched) != ""
        if same_site and not (_is_home(declared) and not _is_home(fetched)):
            return cited_url(declared), "canonical"
    return cited_url(fetched), "fetched"
