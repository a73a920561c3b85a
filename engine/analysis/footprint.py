"""The exact footprint of one output element: which input pixels reach it, in n-D.

The analysis keeps receptive fields per axis (:class:`~engine.analysis.rf.AxisMap`):
exact along every axis, and exact in n-D along a chain of layers, where every
window is a product of per-axis windows. Where branches of different shapes
merge (a 1×5 and a 5×1 conv added), the union of their footprints is no longer a
product of per-axis sets: it is a cross, not the 5×5 square of the per-axis
footprints. :func:`exact_footprint` walks back from one output element through
the graph and keeps the positions it needs at every node as an n-D boolean mask,
so a merge is a union of masks. It asks for one element, so it is computed on
demand (the RF tab of the designer), not for every node.

Like the per-axis analysis, the axes are treated as infinite (padding counts as
virtual pixels) and a deformable conv counts with its regular grid. The
element's channel is followed as long as layers keep channels apart (the
catalogue's ``channel_sources``): through a Concat only the branch that holds it
counts, also behind activations, norms or pooling after the Concat.
numpy is imported on the first call: the analysis itself does not need it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from .rf import IDENTITY, apply_ops

if TYPE_CHECKING:
    from .analyzer import Analyzer

__all__ = ["Footprint", "exact_footprint"]


class Footprint(NamedTuple):
    """Which pixels of an Input reach one output element.

    Attributes
    ----------
    input : str
        The Input.
    origin : tuple of int
        Input coordinates (per spatial axis: depth, rows, columns) of ``mask[0, ..., 0]``;
        may be negative (padding).
    mask : numpy.ndarray
        Boolean, one axis per spatial axis: True where the pixel reaches the element.
    """

    input: str
    origin: tuple[int, ...]
    mask: Any

    @property
    def cells(self) -> int:
        """Number of input pixels that reach the element."""
        return int(self.mask.sum())

    def axis_positions(self, axis: int) -> list[int]:
        """Input positions along ``axis`` reached by some pixel of the footprint."""
        import numpy as np

        other = tuple(a for a in range(self.mask.ndim) if a != axis)
        hit = self.mask.any(axis=other) if other else self.mask
        return [self.origin[axis] + int(i) for i in np.flatnonzero(hit)]


def exact_footprint(analyzer: Analyzer, node_id: str, index: tuple[int, ...],
                    input_id: str | None = None) -> Footprint | None:
    """The exact n-D footprint of element ``index`` of ``node_id`` on ``input_id``.

    Parameters
    ----------
    analyzer : Analyzer
        The analysis of the graph (its outcomes give parameters and shapes).
    node_id : str
        Any analysed node.
    index : tuple of int
        ``(channel, *spatial)`` of the element, as in the node's output without
        the batch dimension.
    input_id : str, optional
        The Input (default: the first Input that reaches the node, as ``rf``).

    Returns
    -------
    Footprint or None
        None when the receptive field is global (a global pooling, SE block or
        flatten lies on the way), the node has no spatial axes, or the Input does
        not reach the element.
    """
    import numpy as np

    top = analyzer.outcome(node_id)
    if not top.rf or top.result.shape is None:
        return None
    input_id = input_id or next(iter(top.rf))
    st = top.rf.get(input_id)
    if st is None or st.is_global or len(index) < 2:
        return None
    spatial = tuple(int(i) for i in index[1:])
    graph = analyzer.graph
    # per node, per channel (None: every channel), (origin, mask) of the output
    # positions it must provide; channels are followed while layers keep them apart
    need: dict[str, dict[int | None, tuple]] = {
        node_id: {int(index[0]): (spatial, np.ones((1,) * len(spatial), bool))}}
    for nid in reversed(analyzer.result().order):
        wanted = need.pop(nid, None)
        if wanted is None:
            continue
        if nid == input_id:  # every channel of the Input: one set of pixels
            got = list(wanted.values())
            footprint = got[0]
            for other in got[1:]:
                footprint = _union(footprint, other)
            return Footprint(input_id, *footprint)
        o = analyzer.outcome(nid)
        sources = graph.inputs_of(nid)
        if not sources:
            continue  # another Input
        if o.params is None or o.ins is None:
            return None
        kind = o.node.kind
        ops = kind.rf_ops(o.params, o.ins, o.result.shape)
        for channel, got in wanted.items():
            back = _back(got, ops)
            if back is None:
                return None  # global on the way
            if not back[1].any():
                continue  # no position of the inputs reaches these outputs (a strided tconv)
            reads = None if channel is None else kind.channel_sources(o.params, o.ins, channel)
            if reads is None:
                reads = tuple((slot, None) for slot in sorted(sources))
            for slot, src_channel in reads:
                if not kind.reads_values(slot):
                    continue  # a slot that gives only a size (Crop2d's reference)
                src = sources[slot]
                if input_id not in analyzer.outcome(src).rf:
                    continue  # a branch from another Input (it may well be global)
                at = need.setdefault(src, {})
                at[src_channel] = _union(at[src_channel], back) if src_channel in at else back
    return None


def _back(got, ops_per_axis):
    """``(origin, mask)`` of the input positions that the output positions need."""
    origin, mask = got
    new_origin = []
    for axis, start in enumerate(origin):
        m, glob = apply_ops(IDENTITY, ops_per_axis[axis] if axis < len(ops_per_axis) else ())
        if glob:
            return None
        if m is IDENTITY:
            new_origin.append(start)  # this axis is the identity here
            continue
        if m.period == 1:  # every output alike (conv, pooling): shifted copies
            lo, mask = _taps(m, start, mask, axis)
        else:  # transposed conv, upsampling: output by output
            lo, mask = _dense(m, start, mask, axis)
        new_origin.append(lo)
    return tuple(new_origin), mask


def _taps(m, start: int, mask, axis: int):
    """Along ``axis``: output ``u`` reads ``lo + u·step + t`` for every tap ``t``."""
    import numpy as np

    lo0, hi0, gaps = m.lo[0], m.hi[0], m.gaps[0]
    step, n = m.step, mask.shape[axis]
    lo = lo0 + start * step
    out_shape = list(mask.shape)
    out_shape[axis] = (n - 1) * step + hi0 - lo0 + 1
    out = np.zeros(out_shape, bool)
    for t in range(hi0 - lo0 + 1):
        if not gaps >> t & 1:
            at = [slice(None)] * mask.ndim
            at[axis] = slice(t, t + (n - 1) * step + 1, step)
            out[tuple(at)] |= mask
    return lo, out


def _dense(m, start: int, mask, axis: int):
    """Along ``axis``: a 0/1 matrix of which input each output reads, times the mask."""
    import numpy as np

    regions = [m.region(start + j) for j in range(mask.shape[axis])]
    lo = min((r[0] for r in regions if r is not None), default=start)
    hi = max((r[1] for r in regions if r is not None), default=start)
    reach = np.zeros((hi - lo + 1, mask.shape[axis]), np.float32)
    for j, r in enumerate(regions):
        if r is not None:
            reach[np.asarray(r[2]) - lo, j] = 1
    moved = np.tensordot(reach, mask.astype(np.float32), axes=([1], [axis]))
    return lo, np.moveaxis(moved, 0, axis) > 0


def _union(a, b):
    """Union of two ``(origin, mask)`` of the same node."""
    import numpy as np

    (oa, ma), (ob, mb) = a, b
    lo = tuple(min(x, y) for x, y in zip(oa, ob, strict=True))
    hi = tuple(max(x + n, y + m) for x, n, y, m in zip(oa, ma.shape, ob, mb.shape, strict=True))
    out = np.zeros(tuple(h - l for l, h in zip(lo, hi, strict=True)), bool)
    for o, m in ((oa, ma), (ob, mb)):
        at = tuple(slice(x - l, x - l + n) for x, l, n in zip(o, lo, m.shape, strict=True))
        out[at] |= m
    return lo, out
