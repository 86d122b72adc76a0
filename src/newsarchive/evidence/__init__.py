"""Evidence a third party can check without trusting this tool: RFC 3161 trusted timestamps of
each capture (:mod:`.timestamp`), WACZ files (:mod:`.wacz`), evidence packages
(:mod:`.package`) and Robust Links (:mod:`.robustlinks`).

Heavy libraries (rfc3161-client, cryptography, warcio) are imported inside the functions that
need them, so importing this package costs nothing at start-up.
"""

from __future__ import annotations

from pathlib import Path


def operator_of(root: Path) -> str | None:
    """Who captures and attests evidence in this collection (``evidence.operator``), or None."""
    from .. import settings

    return settings.load(root).get("evidence.operator") or None


def tsa_of(root: Path, *, url: str | None = None, ca: Path | None = None) -> tuple[str | None, Path | None]:
    """The time-stamp authority to use: the options when given, else the collection's settings
    (``evidence.tsa_url``, ``evidence.tsa_ca``, a path relative to the collection). Never a
    default: None when neither names one."""
    from .. import settings

    if url and ca:
        return url, ca
    conf = settings.load(root)
    url = url or conf.get("evidence.tsa_url") or None
    if ca is None and conf.get("evidence.tsa_ca"):
        ca = Path(conf.get("evidence.tsa_ca")).expanduser()
        if not ca.is_absolute():
            ca = Path(root) / ca
    return url, ca
