"""The ``evidence`` exporter: the registry's entry point; the writer is :mod:`newsarchive.evidence.package`."""

from __future__ import annotations


def export(items, ctx) -> int:
    """``items`` are the checked (entry, damage) pairs."""
    from ..evidence.package import write

    return write(ctx.store, items, ctx.out, part=ctx.part)
