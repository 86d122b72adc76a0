"""Full-text search behind one seam.

Engine-neutral parts, shared by every backend:

- :mod:`.vocabulary` – the search fields, boosts, exact fields, facets and sorts;
- :mod:`.analysis` – words, folding, stemming, transliteration (the index terms);
- :mod:`.documents` – what the index holds for an entry, fingerprints and stamps;
- :mod:`.snippets` – highlighted snippets; :mod:`.result` – ``SearchResult`` and ``Hit``;
- :mod:`.order` – the deterministic order of hits; :mod:`.layout` – generations and locks in ``index/``.

The seam: :mod:`.backend` (the protocol) and :mod:`.engines` (the registry and the engine a
collection uses). One package per engine, the only place its library is imported:
:mod:`.whoosh` (pure Python, the default) and :mod:`.tantivy` (Rust, for large collections).
Both index the same analysed terms and give the same hits for the same query.
"""
