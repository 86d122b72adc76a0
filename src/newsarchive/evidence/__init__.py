"""Evidence a third party can check without trusting this tool: RFC 3161 trusted timestamps of
each capture (:mod:`.timestamp`), WACZ files (:mod:`.wacz`), evidence packages
(:mod:`.package`) and Robust Links (:mod:`.robustlinks`).

Heavy libraries (rfc3161-client, cryptography, warcio) are imported inside the functions that
need them, so importing this package costs nothing at start-up.
"""
