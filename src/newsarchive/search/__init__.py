"""Search engines behind one seam: :mod:`.backend` (the protocol), :mod:`.engines` (the
registry and the collection's engine setting), one backend per engine.

``whoosh`` (pure Python, the default) delegates to :mod:`newsarchive.index`; ``tantivy`` (Rust,
for large collections) lives in :mod:`.tantivy` and is the only module that imports tantivy.
Both index the same analysed terms and give the same hits for the same query.
"""
