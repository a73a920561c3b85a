"""Builds the :class:`~engine.mechanics.grid.Mechanics` of a layer from the analysis.

:func:`mechanism_of` recognises a kind by the facts the catalogue declares (its
family, parameter schema, slots, ``deformable``), never by its type name;
:func:`mechanics` takes what the analysis knows of a node (normalised
parameters, :class:`~engine.catalogue.Inputs`, output shape) and returns the
exact index structure over one channel.
"""

from __future__ import annotations

from ..catalogue import Inputs, LayerKind
from ..catalogue.base import resolve_padding
from . import axis, channels
from .formulas import (
    AX,
    formulas,
    resample_size,
    scatter_size,
    unpool_size,
    window_size,
)
from .grid import Mechanics, ZeroInsertion

__all__ = ["mechanism_of", "mechanics", "explainable_types"]

_CONV_LIKE = ("conv", "deformable", "depthwise_separable", "spatially_separable")


def mechanism_of(kind: LayerKind) -> str | None:
    """The structure a 2D kind has (see :class:`Mechanics`), or None when the
    mechanics cannot show it (3D layers, activations, merges, global pooling...)."""
    names = {p.name for p in kind.params}
    if "kernel_size" in names and kind.param("kernel_size").n != 2:
        return None
    if "scale_factor" in names:
        return "upsample"
    if "kernel_size" not in names:
        return None
    if kind.deformable:
        return "deformable"
    if "output_padding" in names:
        return "transposed"
    if "depth_multiplier" in names:
        return "depthwise_separable"
    if kind.slot_role(1) == "indices":
        return "unpool"
    if kind.family == "Separable":
        return "spatially_separable"
    if kind.family == "Convolution":
        return "conv"
    if kind.family == "Pooling":
        return "max_pool" if getattr(kind, "op", "") == "Max" else "avg_pool"
    return None


def explainable_types() -> tuple[str, ...]:
    """The catalogue's types whose mechanics can be shown, in catalogue order."""
    from ..catalogue import CATALOGUE

    return tuple(t for t, k in CATALOGUE.items() if mechanism_of(k))


def mechanics(kind: LayerKind, p: dict, ins: Inputs, out_shape) -> Mechanics:
    """The mechanics of a layer whose input and output the analysis has inferred.

    Raises
    ------
    ValueError
        ``kind`` has no mechanics (:func:`mechanism_of` is None) or the input is not
        a 2D map ``C×H×W``.
    """
    mech = mechanism_of(kind)
    if mech is None:
        raise ValueError(f"{kind.type} has no index structure to show (explain knows "
                         f"{', '.join(explainable_types())})")
    if len(ins.x) != 3:
        raise ValueError(f"{kind.type}: explain shows 2D maps (C×H×W), not {ins.x}")
    c_in, hw_in = ins.x[0], tuple(ins.x[1:])
    c_out, hw_out = out_shape[0], tuple(out_shape[1:])
    build = {"transposed": _transposed, "unpool": _unpool, "upsample": _upsample}.get(
        mech, _window)
    axes, kernel, sizes, extra = build(kind, mech, p, ins, hw_in, hw_out)
    links, stages = _links(mech, p, c_in, c_out)
    return Mechanics(kind.type, mech, dict(p), hw_in, hw_out, kernel, axes,
                     formulas(mech, p, c_in, c_out, hw_in, hw_out, sizes),
                     extra.get("zero_insertion"), c_in, c_out, links, stages,
                     extra.get("notes", ()))


def _window(kind, mech, p, ins, hw_in, hw_out):
    """Sliding windows: convolutions (the spatial part of the composite ones) and pools."""
    k, d = p["kernel_size"], p.get("dilation") or (1, 1)
    s = p["stride"] or k  # a pool's stride defaults to its window
    if mech in _CONV_LIKE:
        pads = resolve_padding(p["padding"], k, s, d, 2)
    else:
        pads = tuple((pd, pd) for pd in p["padding"])
    mode = p.get("padding_mode", "zeros")
    ceil = bool(p.get("ceil_mode", False))
    axes = tuple(axis.window(n, o, kk, ss, dd, a, b, mode)
                 for n, o, kk, ss, dd, (a, b) in zip(hw_in, hw_out, k, s, d, pads, strict=True))
    sizes = tuple(window_size(ax, n, kk, ss, dd, pd, o, ceil)
                  for ax, n, kk, ss, dd, pd, o in zip(AX, hw_in, k, s, d, pads, hw_out,
                                                      strict=True))
    notes = ()
    if mode != "zeros":
        notes = (f"padding_mode {mode}: padding cells copy input pixels, so their taps "
                 "are listed with the pixel they copy",)
    if mech == "deformable":
        notes += ("the regular sampling grid (zero offsets); learned offsets move each tap "
                  "off the grid and sample bilinearly",)
    elif mech == "spatially_separable":
        notes += ("a k_h×1 conv then a 1×k_w conv: tap t weighs w_h[t // k_w]·w_w[t % k_w]",)
    elif mech == "depthwise_separable":
        notes += ("the depthwise k×k part per channel; the 1×1 pointwise part only mixes "
                  "channels",)
    return axes, tuple(k), sizes, {"notes": notes}


def _transposed(kind, mech, p, ins, hw_in, hw_out):
    k, s, pad, d = p["kernel_size"], p["stride"], p["padding"], p["dilation"]
    ops = kind.output_padding(p, hw_in)
    target = p.get("target_size") or (None, None)
    axes = tuple(axis.scatter(n, o, kk, ss, dd, pd)
                 for n, o, kk, ss, dd, pd in zip(hw_in, hw_out, k, s, d, pad, strict=True))
    sizes = tuple(scatter_size(ax, n, kk, ss, pd, dd, op, o, t)
                  for ax, n, kk, ss, pd, dd, op, o, t in zip(AX, hw_in, k, s, pad, d, ops,
                                                             hw_out, target, strict=True))
    before = tuple(dd * (kk - 1) - pd for kk, pd, dd in zip(k, pad, d, strict=True))
    size = tuple((n - 1) * ss + 1 + 2 * b + op
                 for n, ss, b, op in zip(hw_in, s, before, ops, strict=True))
    at = []
    for y in range(hw_in[0]):
        py = y * s[0] + before[0]
        for x in range(hw_in[1]):
            px = x * s[1] + before[1]
            if 0 <= py < size[0] and 0 <= px < size[1]:
                at.append((y * hw_in[1] + x, py * size[1] + px))
    zi = ZeroInsertion(size, tuple((b, b + op) for b, op in zip(before, ops, strict=True)),
                       tuple(s), tuple(at))
    notes = ("scatter form: input pixel i adds w[j]·x[i] to output i·s − p + j·d; the same "
             "as a stride-1 conv of the zero-inserted input with the flipped kernel",)
    return axes, tuple(k), sizes, {"zero_insertion": zi, "notes": notes}


def _unpool(kind, mech, p, ins, hw_in, hw_out):
    k, pad = p["kernel_size"], p["padding"]
    s = p["stride"] or k
    axes = tuple(axis.scatter(n, o, kk, ss, 1, pd)
                 for n, o, kk, ss, pd in zip(hw_in, hw_out, k, s, pad, strict=True))
    sizes = tuple(unpool_size(ax, n, kk, ss, pd, o)
                  for ax, n, kk, ss, pd, o in zip(AX, hw_in, k, s, pad, hw_out, strict=True))
    notes = ("each input value goes to one cell of its pooling window (the one its "
             "MaxPool2d indices name); taps list every cell it may go to",)
    return axes, tuple(k), sizes, {"notes": notes}


def _upsample(kind, mech, p, ins, hw_in, hw_out):
    scale, mode, align = p["scale_factor"], p["mode"], bool(p["align_corners"])
    if mode == "nearest":
        axes = tuple(axis.nearest(n, o, scale) for n, o in zip(hw_in, hw_out, strict=True))
    elif mode == "bilinear":
        axes = tuple(axis.linear(n, o, scale, align) for n, o in zip(hw_in, hw_out,
                                                                      strict=True))
    else:
        axes = tuple(axis.cubic(n, o, scale, align) for n, o in zip(hw_in, hw_out,
                                                                     strict=True))
    sizes = tuple(resample_size(ax, n, scale, o)
                  for ax, n, o in zip(AX, hw_in, hw_out, strict=True))
    kernel = (axes[0].kernel, axes[1].kernel)
    notes = (f"{mode} resampling: each output is a weighted sum of its taps' input pixels "
             "(weights in 'weights')",)
    return axes, kernel, sizes, {"notes": notes}


def _links(mech, p, c_in, c_out):
    if mech in ("conv", "transposed", "deformable"):
        return channels.grouped(c_in, c_out, p["groups"]), ()
    if mech == "depthwise_separable":
        mid = c_in * p["depth_multiplier"]
        dw = channels.grouped(c_in, mid, c_in)
        pw = channels.dense(mid, c_out)
        return channels.compose(pw, dw), (("depthwise", dw), ("pointwise", pw))
    if mech == "spatially_separable":
        first, second = channels.dense(c_in, c_out), channels.dense(c_out, c_out)
        return channels.compose(second, first), (("k×1", first), ("1×k", second))
    return channels.identity(c_in), ()
