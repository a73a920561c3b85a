"""Warnings pass: what is legal but probably not meant.

- ``stride``: a strided window never reads the last real pixels of an axis
  (``(H + 2p − d(k−1) − 1) % s`` leaves more than the padding unread);
- misaligned grids: merging paths bring one Input on different jumps, so their
  pixels do not correspond;
- gridding: the receptive field has holes where a path's spatial part ends (at
  an output, or before a layer that ``ends_spatial`` in the catalogue);
- ``rf_unknown``: the catalogue does not know the node's receptive field (an
  imported Opaque operation): it and every field downstream are null.

The stride, misaligned and rf_unknown warnings belong to a node and are kept per
node (``facts.warnings``);
gridding depends on the node's successors too and is judged when the result
is assembled (:func:`gridding`, only for fields with holes: rare).
"""

from __future__ import annotations

from ..catalogue.base import AXES
from ..numfmt import fmt_number
from .facts import Facts, walk_order
from .receptive import UNKNOWN, all_aligned, arrivals, value_sources
from .result import Issue, RFState
from .shapes import Layer

__all__ = ["warnings_pass", "gridding"]


def warnings_pass(facts: Facts, todo: set[str]) -> None:
    """Set ``facts.warnings`` of the nodes of ``todo`` (stride, then misaligned merges),
    and whether they are ``facts.flagged`` (own warnings, or holes for :func:`gridding`)."""
    layers, rf, warnings, flagged = facts.layers, facts.rf, facts.warnings, facts.flagged
    for nid in walk_order(facts, todo):
        layer = layers[nid]
        if layer.out is None:  # failed or blocked: no warnings
            warnings[nid] = ()
            flagged.discard(nid)
            continue
        issues = _stride(nid, layer)
        srcs = value_sources(facts, nid, layer)
        if len(srcs) > 1 and rf[nid] is not UNKNOWN:
            issues += _misaligned(nid, arrivals(facts, srcs, layer))
        if layer.kind.rf_unknown:
            issues.append(_rf_unknown(nid, layer))
        warnings[nid] = tuple(issues)
        if issues or _has_holes(rf[nid]):
            flagged.add(nid)
        else:
            flagged.discard(nid)


def _has_holes(states: dict[str, RFState]) -> bool:
    for st in states.values():  # (a loop: a generator costs a frame in 3.11)
        if st.holes:
            return True
    return False


def _stride(nid: str, layer: Layer) -> list[Issue]:
    """A warning per axis where a strided window never reads the last real pixels."""
    issues = []
    for axis, ops in enumerate(layer.ops()):
        for op in ops:
            if op[0] == "conv" and op[2] != 1:
                issue = _dropped_pixels(nid, axis, op, layer.ins.x, layer.out)
                if issue:
                    issues.append(issue)
    return issues


def _dropped_pixels(nid: str, axis: int, op, x, out) -> Issue | None:
    axes = AXES.get(len(out) - 1, ())
    if len(x) < 2 or len(out) != len(x) or axis >= len(axes):
        return None
    _, k, s, pl, d, pr = op
    size = x[1 + axis]
    padded = size + pl + pr
    left = padded - ((out[1 + axis] - 1) * s + d * (k - 1) + 1)
    if left <= pr:  # only padding is left unread
        return None
    lost = left - pr
    return Issue(nid, "stride", (
        f"{nid}: stride {s} drops the last {lost} input pixel"
        f"{'s' if lost > 1 else ''} of {size} along {axes[axis]} "
        f"(({axes[axis]} + 2p − d(k−1) − 1) % s = {left})"), "stride_drops")


def _rf_unknown(nid: str, layer: Layer) -> Issue:
    """The warning of a node whose receptive field is unknown (``kind.rf_unknown``)."""
    summary = layer.kind.summary(layer.params)
    what = f" ({summary})" if summary else ""
    return Issue(nid, None, (
        f"{nid}: the receptive field of {layer.kind.type} node {nid}{what} is unknown, so "
        "its rf and every rf downstream of it are null"), "rf_unknown")


def _misaligned(nid: str, per_input: dict[str, list[RFState]]) -> list[Issue]:
    """A warning per Input whose merging paths bring different jumps on some axis."""
    issues = []
    for input_id, states in per_input.items():
        if len(states) < 2:
            continue
        local = [st for st in states if not st.is_global]
        if _aligned(local):
            continue
        shown = " vs ".join("×".join(fmt_number(j) for j in st.jumps) for st in local)
        issues.append(Issue(nid, None, (
            f"{nid}: inputs are on misaligned grids (jumps {shown} relative to "
            f"{input_id}): their pixels do not correspond"), "misaligned"))
    return issues


def _aligned(states: list[RFState]) -> bool:
    """Whether the states have the same jumps on every axis."""
    for group in zip(*[st.maps for st in states], strict=True):  # per axis
        if not all_aligned(group):
            return False
    return True


def gridding(facts: Facts, nid: str) -> list[Issue]:
    """Gridding warnings of a node, one per Input whose field has holes there, if the
    spatial part of a path ends at it."""
    issues = []
    for input_id, st in facts.rf[nid].items():
        if st.holes and _ends_spatial_path(facts, nid):
            text = ", ".join(f"{ax}: {r} of {s}" for ax, (r, s) in st.holes)
            issues.append(Issue(nid, None, (
                f"{nid}: the receptive field has holes (gridding): only some input "
                f"pixels reach each output ({text}, relative to {input_id}); mix "
                "dilation rates without a common factor, e.g. 1, 2, 5 (HDC)"), "gridding"))
    return issues


def _ends_spatial_path(facts: Facts, nid: str) -> bool:
    """Whether ``nid`` is an output or feeds a layer that leaves the spatial grid."""
    succ = facts.graph.successors(nid)
    nodes = facts.graph.nodes
    return not succ or any(nodes[e.dst].kind.ends_spatial for e in succ)
