"""The kinds that other parts of the engine insert by role, never by type name.

The fixes of :mod:`engine.fixes` insert a crop or a pad before a merge, or a 1×1
projection conv and its norm; they ask here which kind plays each role, and
use the catalogue's own facts (parameters, ``min_inputs``) for the rest.
"""

from __future__ import annotations

from .base import LayerKind

__all__ = ["ROLES", "kind_for", "is_transposed", "is_merge", "stacks_channels"]

#: role -> layer type: ``crop`` (Crop2d), ``pad`` (Pad2d), ``projection`` (the 1×1
#: conv of a residual shortcut), ``norm`` (its BatchNorm)
ROLES: dict[str, str] = {"crop": "Crop2d", "pad": "Pad2d", "projection": "Conv2d",
                         "norm": "BatchNorm2d"}


def kind_for(role: str) -> LayerKind:
    """The kind that plays ``role`` (a key of :data:`ROLES`)."""
    from . import CATALOGUE  # the registry imports this module's neighbours
    return CATALOGUE[ROLES[role]]


def _names(kind: LayerKind) -> set[str]:
    return {p.name for p in kind.params}


def is_transposed(kind: LayerKind) -> bool:
    """A transposed conv: its output size is picked by ``output_padding`` / ``target_size``."""
    return {"output_padding", "target_size"} <= _names(kind)


def is_merge(kind: LayerKind) -> bool:
    """A merge of two or more tensors (Add, Multiply, Concat)."""
    return kind.min_inputs >= 2 and hasattr(kind, "stacks")


def stacks_channels(kind: LayerKind) -> bool:
    """A merge that stacks its inputs along channels (Concat): only H, W must agree."""
    return bool(getattr(kind, "stacks", False))
