"""Following the open document's analysis (the checklist and the comparison both do)."""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["refollow"]


def refollow(old, new, slot: Callable) -> None:
    """Disconnect ``slot`` from ``old.analysisChanged`` (if connected) and connect it
    to ``new.analysisChanged``; either document may be None."""
    if old is not None:
        try:
            old.analysisChanged.disconnect(slot)
        except (RuntimeError, TypeError):
            pass
    if new is not None:
        new.analysisChanged.connect(slot)
