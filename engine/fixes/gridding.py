"""The fix of gridding: hybrid dilated convolution (HDC) rates for a dilation stack.

A stack of dilated convs whose rates share a factor (2, 2, 2) samples only every
other input pixel: the receptive field has holes. HDC (Wang et al., 2018)
mixes rates without a common factor in a sawtooth, 1, 2, 5 for 3×3 kernels
(1, 2, 3 for 2×2), so that the last layers' maximum gap ``M₂`` stays within the
kernel and every pixel is reached. The padding of a conv that kept its size
(``d(k−1)/2`` on each side, or ``"same"``) follows its new rate.
"""

from __future__ import annotations

from ..analysis import AnalysisResult
from ..analysis.result import Issue
from ..catalogue.roles import is_transposed
from ..graph import Graph
from .base import Fix, issue_key, mends, set_params

__all__ = ["gridding_fixes", "hdc_rates"]


def hdc_rates(n: int, kernel: int) -> list[int]:
    """``n`` HDC dilation rates for ``kernel``-wide convs: the sawtooth 1, 2, 5, 1, 2, 5…
    (1, 2, 3… for 2-wide kernels).

    >>> hdc_rates(3, 3), hdc_rates(4, 3), hdc_rates(2, 2)
    ([1, 2, 5], [1, 2, 5, 1], [1, 2])
    """
    cycle = (1, 2, 5) if kernel >= 3 else (1, 2, 3)
    return [cycle[i % len(cycle)] for i in range(n)]


def _dilated(kind) -> bool:
    names = {p.name for p in kind.params}
    return {"dilation", "kernel_size", "padding", "stride"} <= names and not is_transposed(kind)


def _stack(graph: Graph, nid: str) -> list[str]:
    """The dilation stack that ends at or above ``nid``: the stride-1 convs with a kernel
    wider than 1 along the single-input chain, up to the first node that is neither
    such a conv nor a layer with one input (a merge, an Input, a strided layer)."""
    stack: list[str] = []
    node = nid
    while True:
        nd = graph.nodes[node]
        if _dilated(nd.kind):
            p = nd.normalised
            if any(s != 1 for s in p["stride"]):
                break
            if any(k > 1 for k in p["kernel_size"]):
                stack.append(node)
        ins = graph.inputs_of(node)
        if len(ins) != 1:
            break
        (node,) = ins.values()
    return stack[::-1]


def gridding_fixes(graph: Graph, result: AnalysisResult, issue: Issue) -> list[Fix]:
    """HDC rates for the dilation stack whose receptive field has holes."""
    if issue.kind != "gridding" or issue.node not in graph.nodes:
        return []
    stack = _stack(graph, issue.node)
    params = [graph.nodes[n].normalised for n in stack]
    if len(stack) < 2 or all(max(p["dilation"]) == 1 for p in params):
        return []
    kernels = {k for p in params for k in p["kernel_size"]}
    rates = hdc_rates(len(stack), min(kernels))
    old = [max(p["dilation"]) for p in params]
    if rates == old:
        return []
    edits = []
    for nid, p, rate in zip(stack, params, rates, strict=True):
        changes: dict = {"dilation": rate}
        pad = p["padding"]
        if not isinstance(pad, str):
            keeps = all(q == d * (k - 1) // 2 and (d * (k - 1)) % 2 == 0 for q, d, k in
                        zip(pad, p["dilation"], p["kernel_size"], strict=True))
            if keeps:  # it kept the size: keep it with the new rate
                new = [rate * (k - 1) // 2 for k in p["kernel_size"]]
                changes["padding"] = new[0] if len(set(new)) == 1 else new
        edits += set_params(graph, nid, changes)
    key = issue_key(issue)
    if not mends(graph, result, key, edits):
        return []
    names = ", ".join(stack)
    title = (f"Use HDC dilation rates {', '.join(map(str, rates))} for {names} "
             f"(were {', '.join(map(str, old))})")
    detail = ("Hybrid dilated convolution: rates without a common factor, in a sawtooth, "
              "reach every input pixel (no gridding); the padding of a conv that kept its "
              "size follows its new rate.")
    return [Fix(f"{key}|hdc|{names}", key, "hdc", issue.node, title, detail,
                lambda graph, edits=edits: list(edits))]
