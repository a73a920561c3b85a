"""Fixes of a sliding window (conv or pool) that does not fit its input.

- A stride that drops pixels (warning ``stride_drops``): the smallest padding
  with which the windows reach every real pixel, ``(H + 2p − d(k−1) − 1) % s ≤ p``.
- A kernel larger than its (padded) input (error at ``kernel_size``): the largest
  kernel that fits, ``d(k−1) + 1 ≤ H + 2p``, or the padding that lets it fit.
"""

from __future__ import annotations

from ..analysis import AnalysisResult
from ..analysis.result import Issue
from ..catalogue import fmt_shape
from ..catalogue.base import resolve_padding
from ..catalogue.roles import is_transposed
from ..graph import Graph
from .base import Fix, issue_key, mends, set_params
from .merge import fmt_list

__all__ = ["stride_fixes", "kernel_fixes"]


def _geometry(graph: Graph, result: AnalysisResult, nid: str):
    """``(params, input sizes, k, s, d, symmetric padding)`` of a window node, or None."""
    node = graph.nodes.get(nid)
    if node is None or is_transposed(node.kind):
        return None
    names = {p.name for p in node.kind.params}
    if not {"kernel_size", "padding"} <= names:
        return None
    ins = graph.inputs_of(nid)
    if not ins or result.nodes[ins[min(ins)]].shape is None:
        return None
    p = node.normalised
    k = p["kernel_size"]
    s = p.get("stride") or k
    d = p.get("dilation") or (1,) * len(k)
    sizes = result.nodes[ins[min(ins)]].shape[1:]
    if len(sizes) != len(k):
        return None
    try:
        pads = resolve_padding(p["padding"], k, s, d, len(k))
    except ValueError:  # "same" with a stride: not a padding to move from
        return None
    if any(a != b for a, b in pads):
        return None
    return p, sizes, k, s, d, [a for a, _ in pads]


def _fix(graph, result, key, nid, kind, title, detail, changes) -> list[Fix]:
    edits = set_params(graph, nid, changes)
    if not mends(graph, result, key, edits):
        return []
    return [Fix(f"{key}|{kind}|{title}", key, kind, nid, title, detail,
                lambda graph, edits=edits: list(edits))]


def stride_fixes(graph: Graph, result: AnalysisResult, issue: Issue) -> list[Fix]:
    """The padding with which a strided window reads every pixel."""
    if issue.kind != "stride_drops":
        return []
    geo = _geometry(graph, result, issue.node)
    if geo is None:
        return []
    _p, sizes, k, s, d, now = geo
    pads = []
    for n, kk, ss, dd, cur in zip(sizes, k, s, d, now, strict=True):
        q = cur
        while (n + 2 * q - dd * (kk - 1) - 1) % ss > q:
            q += 1
        pads.append(q)
    if pads == now:
        return []
    value = pads[0] if len(set(pads)) == 1 else pads
    nid = issue.node
    out = [(n + 2 * q - dd * (kk - 1) - 1) // ss + 1
           for n, kk, ss, dd, q in zip(sizes, k, s, d, pads, strict=True)]
    was = result.nodes[nid].shape
    title = (f"Set padding of {nid} to {fmt_list(value)} so that every pixel is read "
             f"(output {fmt_shape(tuple(was[1:]))} → {fmt_shape(tuple(out))})")
    detail = (f"With padding {fmt_list(value)} the stride-{fmt_shape(tuple(s))} windows of "
              f"{nid} end on the last real pixel of its {fmt_shape(tuple(sizes))} input: "
              "(H + 2p − d(k−1) − 1) % s ≤ p.")
    return _fix(graph, result, issue_key(issue), nid, "keep_pixels", title, detail,
                {"padding": value})


def kernel_fixes(graph: Graph, result: AnalysisResult, issue: Issue) -> list[Fix]:
    """The largest kernel that fits the padded input, or the padding that fits it."""
    if issue.kind is not None or issue.param != "kernel_size" or "exceeds" not in \
            issue.message:
        return []
    geo = _geometry(graph, result, issue.node)
    if geo is None:
        return []
    _p, sizes, k, _s, d, now = geo
    nid, key = issue.node, issue_key(issue)
    fixes = []
    kernel = [min(kk, (n + 2 * q - 1) // dd + 1) for n, kk, dd, q in
              zip(sizes, k, d, now, strict=True)]
    if all(v >= 1 for v in kernel) and kernel != list(k):
        value = kernel[0] if len(set(kernel)) == 1 else kernel
        fixes += _fix(graph, result, key, nid, "fit_kernel",
                      f"Set kernel_size of {nid} to {fmt_shape(tuple(kernel))} (the largest "
                      f"that fits its padded input)",
                      f"A {fmt_shape(tuple(kernel))} window (dilation "
                      f"{fmt_shape(tuple(d))}) fits the {fmt_shape(tuple(sizes))} input with "
                      f"padding {fmt_list(now)}.", {"kernel_size": value})
    pads = [max(q, -(-(dd * (kk - 1) + 1 - n) // 2)) for n, kk, dd, q in
            zip(sizes, k, d, now, strict=True)]
    if pads != now:
        value = pads[0] if len(set(pads)) == 1 else pads
        padded = tuple(n + 2 * q for n, q in zip(sizes, pads, strict=True))
        fixes += _fix(graph, result, key, nid, "fit_padding",
                      f"Set padding of {nid} to {fmt_list(value)} (pads "
                      f"{fmt_shape(tuple(sizes))} to {fmt_shape(padded)} so the kernel fits)",
                      f"The {fmt_shape(tuple(k))} window of {nid} fits once the input is "
                      f"padded to {fmt_shape(padded)}.", {"padding": value})
    return fixes
