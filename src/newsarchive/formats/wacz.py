"""The ``wacz`` exporter: the registry's entry point; the writer is :mod:`newsarchive.evidence.wacz`."""

from __future__ import annotations


def export(items, ctx) -> int:
    """``items`` are the checked (entry, damage) pairs."""
    from ..evidence.wacz import write

    return write(ctx.store, items, ctx.out, part=ctx.part)
