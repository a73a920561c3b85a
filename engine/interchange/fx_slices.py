"""Calls that slice a tensor or take a tuple apart (imports torch): ``chunk``/``split``
(→ ``ChannelSlice`` per part), tuple items, ``x[...]`` and ATen ``slice`` (channels →
``ChannelSlice``, H and W → ``Crop2d``; a crop whose bounds were computed from another
tensor's size keeps that tensor as its reference, the U-Net skip crop).
"""

from __future__ import annotations

import torch

from ..catalogue.interchange import T
from .fx_ctx import nodes_in
from .params import compact

__all__ = ["split", "getitem", "aten_slice"]


def _dim(d, rank):
    return d + rank if isinstance(d, int) and d < 0 else d


def split(ctx, a):
    v, out = a.tv(), ctx.out()
    if a.t() is None or not isinstance(out, (tuple, list)) or \
            _dim(a.v("dim", 0), v.dim()) != 1:
        return False
    bounds, start = [], 0
    for part in out:
        bounds.append((start, start + part.shape[1]))
        start += part.shape[1]
    ctx.tuples[ctx.node] = ("split", a.t(), bounds)


def getitem(ctx, a):
    src = a.raw.get("input")
    index = a.v("index")
    if src in ctx.tuples:
        entry = ctx.tuples[src]
        if isinstance(entry, dict):
            key = entry.get(index)
            if key is None:
                return False
            ctx.alias[ctx.node] = key
            return ctx.net.record(ctx.node.name, ctx.label, "folded", key, "tuple item")
        if entry[0] == "split":
            start, stop = entry[2][index]
            full = ctx.net.ops[entry[1]].shape[0]
            params = {"start": start} if stop == full else {"start": start, "stop": stop}
            return ctx.emit(T.channel_slice, params, [entry[1]])
        _tag, label, inputs, params = entry
        return ctx.opaque_node(ctx.node, label, params, inputs, index)
    if not isinstance(ctx.values.get(src), torch.Tensor):
        return None  # shapes and sizes
    return _slice_tensor(ctx, src, index, a.raw.get("index"))


def _slice_tensor(ctx, src, index, raw=None):
    v, x = ctx.values[src], ctx.key_of(src)
    r = v.dim()
    index = index if isinstance(index, tuple) else (index,)
    if any(i is Ellipsis for i in index):
        at = index.index(Ellipsis)
        index = index[:at] + (slice(None),) * (r - len(index) + 1) + index[at + 1:]
    index = tuple(index) + (slice(None),) * (r - len(index))
    if x is None or len(index) != r or not all(isinstance(s, slice) for s in index):
        return False
    bounds = [s.indices(n) for s, n in zip(index, v.shape, strict=True)]
    if any(step != 1 for _a, _b, step in bounds) or bounds[0] != (0, v.shape[0], 1):
        return False
    key = x
    c0, c1, _ = bounds[1]
    out = ctx.out()
    spatial_cut = any(b[:2] != (0, n) for b, n in zip(bounds[2:], v.shape[2:], strict=True))
    if (c0, c1) != (0, v.shape[1]):
        params = {"start": c0} if c1 == v.shape[1] else {"start": c0, "stop": c1}
        key = ctx.emit(T.channel_slice, params, [key], final=not spatial_cut,
                       key=ctx.node.name + ("__slice" if spatial_cut else ""),
                       shape=(c1 - c0, *v.shape[2:]))
    if not spatial_cut:
        return None if key != x else ctx.same(src)
    if r != 4:
        return False
    (t, _b, _), (lft, _r, _) = bounds[2], bounds[3]
    h, w = out.shape[2], out.shape[3]
    centred = (t, lft) == ((v.shape[2] - h) // 2, (v.shape[3] - w) // 2)
    ref = _reference(ctx, raw, (h, w), src)
    params = {} if ref else {"size": compact([h, w])}
    if not centred:
        params["offset"] = [t, lft]
    ctx.emit(T.crop, params, [key] + ([ref] if ref else []))


def _reference(ctx, raw, size, src) -> str | None:
    """The tensor whose size the slice bounds were computed from (a U-Net crop)."""
    seen, stack, found = set(), list(nodes_in(raw)), []
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        value = ctx.values.get(n)
        if isinstance(value, torch.Tensor) and n is not src:
            if value.dim() == 4 and tuple(value.shape[2:]) == size:
                found.append(n)
            continue
        stack += [a for a in n.all_input_nodes]
    keys = [ctx.key_of(n) for n in found if ctx.key_of(n)]
    return keys[0] if keys else None


def aten_slice(ctx, a):
    v = a.tv()
    if a.t() is None:
        return False
    dim = _dim(a.v("dim", 0), v.dim())
    index = [slice(None)] * v.dim()
    index[dim] = slice(a.raw.get("start"), a.raw.get("end"), a.raw.get("step"))
    return _slice_tensor(ctx, a.raw["input"], tuple(ctx.value(i) for i in index))
