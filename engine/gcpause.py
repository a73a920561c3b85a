"""Pausing Python's cyclic garbage collector around work that makes many lasting objects.

A load or an analysis of a big graph makes hundreds of thousands of small
objects (nodes, edges, results) in one go. The collector would scan them again
and again while they pile up, moving them to its oldest generation, and every few
analyses run a full collection of the whole process (about 60 ms with torch
imported; measured on 200 analyses of the 1,000-node graph: 16 full collections
and 1.5x the total time without a pause, none with it). Paused, it scans them
once, at the first young
collection after the pause, which for a 100,000-node graph and its analysis
still costs about half a second (about 1.6 million objects, the whole young
generation). :func:`paused` with ``lasting=True`` skips that scan too: objects
that are known to live on go straight to the oldest generation, as a
generational collector's pretenuring does. Nothing is lost: a cycle among them is
found at the next full collection, which scans that generation.

This module owns that one policy; the load (:mod:`engine.io`,
:mod:`engine.graph.serial`) and the analysis (:mod:`engine.analysis.analyzer`)
use it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused"]


@contextmanager
def paused(lasting: bool = False) -> Iterator[None]:
    """Pause the cyclic collector for the ``with`` block (a no-op if it is paused).

    Parameters
    ----------
    lasting : bool
        The objects made in the block that are still alive at its end live on (a
        loaded graph, a one-shot analysis' result): move them, and every other
        object not yet in the oldest generation, to the oldest generation instead
        of leaving them to a young collection (``gc.freeze`` then ``gc.unfreeze``:
        two list splices). Left alone when the process keeps frozen objects of
        its own (``gc.get_freeze_count()``), which ``unfreeze`` would release.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if lasting and not gc.get_freeze_count():
            gc.freeze()
            gc.unfreeze()
        gc.enable()
