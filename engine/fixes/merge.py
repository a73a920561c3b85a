"""Fixes at a merge (Add, Multiply, Concat) whose inputs do not fit, and the advice
for merges on misaligned grids.

Sizes that differ: set ``output_padding`` or ``target_size`` on the transposed
conv upstream, change the padding of the conv or pool upstream, or insert a crop
(larger input) or a pad (smaller one) before the merge. Channels that differ (an
element-wise merge): insert a 1×1 projection conv and its norm, as a ResNet
shortcut does. Each candidate is offered only where it mends the error and adds
no other (:func:`~.base.mends`).
"""

from __future__ import annotations

from ..analysis import AnalysisResult
from ..analysis.result import Issue
from ..catalogue.base import resolve_padding
from ..catalogue.roles import is_merge, is_transposed, kind_for, stacks_channels
from ..graph import Graph
from ..numfmt import fmt_number
from .base import Fix, insert_between, issue_key, mends, set_params, size_text

__all__ = ["merge_fixes", "misaligned_advice"]


def merge_fixes(graph: Graph, result: AnalysisResult, issue: Issue) -> list[Fix]:
    """The fixes of a merge error (sizes or channels that differ)."""
    nid = issue.node
    if issue.kind is not None or nid not in graph.nodes or not is_merge(graph.nodes[nid].kind):
        return []
    ins = graph.inputs_of(nid)
    shapes = {p: result.nodes[s].shape for p, s in sorted(ins.items())}
    if any(s is None for s in shapes.values()) or len({len(s) for s in shapes.values()}) != 1:
        return []
    key = issue_key(issue)
    sizes = {p: s[1:] for p, s in shapes.items()}
    out: list[Fix] = []
    targets = list(dict.fromkeys(sizes.values()))  # slot 0's first
    if len(targets) > 1:
        for target in targets[:2]:
            for port, size in sizes.items():
                if size != target:
                    out += _size_fixes(graph, result, key, nid, port, ins[port], shapes[port],
                                       target)
    elif not stacks_channels(graph.nodes[nid].kind):
        channels = list(dict.fromkeys(s[0] for s in shapes.values()))
        for target in channels[:2]:
            for port, shape in shapes.items():
                if shape[0] != target:
                    out += _projection(graph, result, key, nid, port, ins[port], shape,
                                       target)
    return out


def _upstream(graph: Graph, result: AnalysisResult, src: str, wanted) -> str | None:
    """The first node at or above ``src`` that ``wanted(kind)`` accepts, walking back
    through single-input nodes that keep the spatial size."""
    node = src
    seen = set()
    while node not in seen:
        seen.add(node)
        kind = graph.nodes[node].kind
        if wanted(kind):
            return node
        ins = graph.inputs_of(node)
        if len(ins) != 1:
            return None
        (prev,) = ins.values()
        a, b = result.nodes[node].shape, result.nodes[prev].shape
        if a is None or b is None or a[1:] != b[1:]:
            return None
        node = prev
    return None


def _size_fixes(graph, result, key, merge, port, src, shape, target) -> list[Fix]:
    fixes = []
    have = tuple(shape[1:])
    change = f"{size_text(shape)} → {'×'.join(map(str, target))}"
    for kind_name, title, detail, edits in (
            *_transposed(graph, result, src, target, change),
            *_padding(graph, result, src, target, change),
            *_crop_or_pad(graph, merge, port, src, have, target, change)):
        if mends(graph, result, key, edits):
            fixes.append(Fix(f"{key}|{kind_name}|{port}:{'x'.join(map(str, target))}|{title}",
                             key, kind_name, merge, title, detail, _const(edits)))
    return fixes


def _const(edits):
    return lambda graph: list(edits)


def _transposed(graph, result, src, target, change):
    """Set output_padding / target_size of the transposed conv upstream."""
    up = _upstream(graph, result, src, is_transposed)
    if up is None:
        return []
    p = graph.nodes[up].normalised
    now = result.nodes[up].shape[1:]
    out = []
    if p["target_size"] is None:
        ops = [op + t - n for op, t, n in zip(p["output_padding"], target, now, strict=True)]
        limits = [max(s, d) for s, d in zip(p["stride"], p["dilation"], strict=True)]
        if all(0 <= op < lim for op, lim in zip(ops, limits, strict=True)):
            value = ops[0] if len(set(ops)) == 1 else ops
            out.append(("output_padding", f"Set output_padding of {up} to "
                        f"{fmt_list(value)} ({change})",
                        f"{up} then gives {'×'.join(map(str, target))}, the size the other "
                        "input of the merge has (output_padding adds rows and columns on "
                        "the bottom and right; it must stay below the stride or dilation).",
                        set_params(graph, up, {"output_padding": value})))
    out.append(("target_size", f"Set target_size of {up} to {'×'.join(map(str, target))} "
                f"({change})", f"{up} picks the output_padding that gives "
                f"{'×'.join(map(str, target))} (TensorFlow output_shape style).",
                set_params(graph, up, {"target_size": list(target),
                                       "output_padding": None})))
    return out


def fmt_list(value) -> str:
    """``1`` or ``[1, 0]`` as written in a graph file."""
    return str(value) if isinstance(value, int) else "[" + ", ".join(map(str, value)) + "]"


def _window(kind) -> bool:
    names = {p.name for p in kind.params}
    return {"kernel_size", "padding"} <= names


def _padding(graph, result, src, target, change):
    """Change the padding of the conv or pool upstream so that it gives ``target``."""
    node = _upstream(graph, result, src, _window)
    if node is None:
        return []
    nd = graph.nodes[node]
    (prev,) = graph.inputs_of(node).values() if len(graph.inputs_of(node)) == 1 else (None,)
    if prev is None or result.nodes[prev].shape is None:
        return []
    p = nd.normalised
    sizes = result.nodes[prev].shape[1:]
    k = p["kernel_size"]
    s = p.get("stride") or k
    d = p.get("dilation") or (1,) * len(k)
    if len(k) != len(target) or len(sizes) != len(k):
        return []
    try:
        now = [a for a, _ in resolve_padding(p["padding"], k, s, d, len(k))] \
            if not is_transposed(nd.kind) else list(p["padding"])
    except ValueError:
        return []
    pads = []
    for n, kk, ss, dd, t, cur in zip(sizes, k, s, d, target, now, strict=True):
        got = [q for q in range(0, dd * (kk - 1) + ss + cur + 2)
               if _out(nd.kind, n, kk, ss, dd, q, p) == t]
        if not got:
            return []
        pads.append(min(got, key=lambda q, cur=cur: abs(q - cur)))
    value = pads[0] if len(set(pads)) == 1 else pads
    return [("padding", f"Set padding of {node} to {fmt_list(value)} ({change})",
             f"{node} with padding {fmt_list(value)} gives {'×'.join(map(str, target))}, "
             "the size the other input of the merge has.",
             set_params(graph, node, {"padding": value}))]


def _out(kind, n, k, s, d, q, p) -> int:
    """Output length of a window along one axis with symmetric padding ``q``."""
    if is_transposed(kind):
        return (n - 1) * s - 2 * q + d * (k - 1) + 1 + (p["output_padding"][0]
                                                        if p["target_size"] is None else 0)
    return (n + 2 * q - d * (k - 1) - 1) // s + 1


def _crop_or_pad(graph, merge, port, src, have, target, change):
    if len(have) != 2:
        return []
    if all(h >= t for h, t in zip(have, target, strict=True)):
        crop = kind_for("crop")
        nid = graph.unique_id(crop.stem())
        return [("crop", f"Insert {crop.type} before {merge} (crops {change})",
                 f"{nid} keeps the centre {'×'.join(map(str, target))} of {src}'s output "
                 f"before slot {port} of {merge}.",
                 insert_between(graph, src, merge, port,
                                [(nid, crop.type, {"size": list(target)})]))]
    if all(h <= t for h, t in zip(have, target, strict=True)):
        pad = kind_for("pad")
        nid = graph.unique_id(pad.stem())
        (dh, dw) = (t - h for h, t in zip(have, target, strict=True))
        amounts = [dw // 2, dw - dw // 2, dh // 2, dh - dh // 2]  # left, right, top, bottom
        return [("pad", f"Insert {pad.type} before {merge} (pads {change})",
                 f"{nid} adds zeros around {src}'s output (left, right, top, bottom "
                 f"{', '.join(map(str, amounts))}) before slot {port} of {merge}.",
                 insert_between(graph, src, merge, port,
                                [(nid, pad.type, {"padding": amounts})]))]
    return []


def _projection(graph, result, key, merge, port, src, shape, channels) -> list[Fix]:
    """Insert a 1×1 projection conv (no bias) and its norm on one input."""
    if len(shape) != 3:
        return []
    conv, norm = kind_for("projection"), kind_for("norm")
    cid = graph.unique_id(conv.stem())
    nid = graph.unique_id(norm.stem(), {cid})
    edits = insert_between(graph, src, merge, port, [
        (cid, conv.type, {"out_channels": channels, "kernel_size": 1, "bias": False}),
        (nid, norm.type, {})])
    if not mends(graph, result, key, edits):
        return []
    title = (f"Insert 1×1 projection {conv.type} + {norm.type} before {merge} "
             f"({shape[0]} → {channels} channels)")
    detail = (f"{cid} (1×1, {shape[0]} → {channels} channels, no bias) and {nid} on slot "
              f"{port} of {merge}, as a ResNet projection shortcut: {channels * shape[0]} "
              "weights; shapes and receptive field stay as they are.")
    return [Fix(f"{key}|projection|{port}:{channels}", key, "projection", merge, title,
                detail, _const(edits))]


def misaligned_advice(graph: Graph, result: AnalysisResult, issue: Issue) -> str | None:
    """Where the jumps of a merge on misaligned grids differ and how to align them."""
    nid = issue.node
    if issue.kind != "misaligned" or nid not in graph.nodes:
        return None
    parts = []
    for port, src in sorted(graph.inputs_of(nid).items()):
        rf = result.nodes[src].rf
        if rf is None or rf.state is None:
            continue
        jump = "×".join(dict.fromkeys(fmt_number(j) for j in rf.state.jumps))
        parts.append(f"slot {port} (from {src}): jump {jump}")
    if len(parts) < 2:
        return None
    return (f"{nid} merges {'; '.join(parts)} input pixels between neighbouring outputs. "
            "To align them, make the strides (×) and upsampling factors (÷) along every "
            "path multiply to the same jump: change a stride or a scale on one path, or "
            "resample one input (Upsample or a strided conv) before the merge.")
