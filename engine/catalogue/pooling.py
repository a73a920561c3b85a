"""Pooling kinds: max and average pooling, unpooling, adaptive pooling and resizing.

``MaxPool2d`` makes pooling indices (``makes_indices``) that ``MaxUnpool2d``
reads on its ``"indices"`` slot; the unpool checks its slot-1 source by that
fact, not by name.

Upsample's receptive field is torch's sampling in exact arithmetic: source
``(dst + ½)·in/out − ½`` (``dst·(in − 1)/(out − 1)`` with ``align_corners``),
where ``in/out`` is the inverse of ``scale_factor`` (as a ratio, :func:`scale_ratio`)
or ``in / out`` for a ``size``. torch computes nearest's index in float32, so where
the exact source is an integer its rounding can land one pixel short (a few
outputs of ratios such as 23/10); the field follows the exact value.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

from . import memory as mem
from .base import (
    AXES,
    Ctor,
    LayerError,
    LayerKind,
    conv_out,
    fmt_shape,
    fmt_tuple,
    kw,
    spatial,
    tconv_out,
)
from .common import MAX_K, MAX_PIX, compact, global_ops, window_ops
from .schema import Bool, Choice, Float, Sizes, Tuple

#: largest Upsample scale factor: the schema's sanity bound (a typo must not ask for
#: a map of a billion pixels), far beyond any real resize
MAX_SCALE = float(MAX_PIX)
#: largest output length along one axis of a resize (as an Input's largest size)
MAX_OUT = MAX_PIX


def index_makers() -> tuple[str, ...]:
    """The types whose kinds make pooling indices (``makes_indices``)."""
    from . import CATALOGUE  # the registry imports this module

    return tuple(t for t, k in CATALOGUE.items() if k.makes_indices)


class Pool(LayerKind):
    """Max/Avg pooling in 2D and 3D."""

    channelwise = True
    family = "Pooling"

    def __init__(self, op, dims):
        self.op, self.dims = op, dims
        self.type = self.title = f"{op}Pool{dims}d"
        self.id_stem = {("Max", 2): "pool", ("Avg", 2): "avgpool"}.get((op, dims), "")
        self.makes_indices = op == "Max" and dims == 2
        self.doc = (f"{'Maximum' if op == 'Max' else 'Average'} over each k×k window, "
                    "s apart; channels are kept.")
        ps = [
            Tuple("kernel_size", (2,) * dims, "window size", n=dims, hi=MAX_K),
            Tuple("stride", None, "step (empty: kernel_size)", n=dims, hi=MAX_K,
                  nullable=True),
            Tuple("padding", (0,) * dims, "implicit padding on each side", n=dims, lo=0,
                  hi=MAX_K),
            Bool("ceil_mode", False, "round the output size up"),
        ]
        if op == "Max":
            ps.append(Tuple("dilation", (1,) * dims, "spacing between window taps", n=dims,
                            hi=MAX_K))
        self.params = tuple(ps)

    def geometry(self, p):
        stride = p["stride"] or p["kernel_size"]
        dil = p.get("dilation", (1,) * self.dims)
        return p["kernel_size"], stride, dil

    def check(self, p):
        for ax, kk, pd in zip(AXES[self.dims], p["kernel_size"], p["padding"], strict=True):
            limit = kk // 2  # PyTorch: pad <= kernel_size / 2, whatever the dilation
            if pd > limit:
                raise LayerError("padding", f"padding {pd} along {ax} must be at most half "
                                 f"the kernel ({limit})")

    def infer(self, p, ins):
        sizes = spatial(ins.x, self.dims, self.type)
        k, s, dil = self.geometry(p)
        if self.op == "Avg" and self.dims == 3:  # avg_pool3d checks the unpadded input
            for ax, n, kk in zip(AXES[3], sizes, k, strict=True):
                if n < kk:
                    raise LayerError("kernel_size", f"window {kk} exceeds input {n} along "
                                     f"{ax} (AvgPool3d does not count padding)")
        out = [conv_out(n, kk, ss, (pd, pd), d, ax, ceil=p["ceil_mode"], what="window")
               for n, kk, ss, pd, d, ax in zip(sizes, k, s, p["padding"], dil,
                                               AXES[self.dims], strict=True)]
        return (ins.x[0], *out)

    def memory(self, p, ins, out):
        return mem.indices_memory(out) if self.op == "Max" else mem.Memory()

    def rf_ops(self, p, ins, out):
        k, s, dil = self.geometry(p)
        return window_ops(k, s, tuple((pd, pd) for pd in p["padding"]), dil)

    def summary(self, p):
        k, s, dil = self.geometry(p)
        text = f"{fmt_tuple(k)} · s{compact(s)}"
        if any(p["padding"]):
            text += f" · p{compact(p['padding'])}"
        if any(d != 1 for d in dil):
            text += f" · d{compact(dil)}"
        return text + (" · ceil" if p["ceil_mode"] else "")

    def ctor(self, p, ins, out, *, feeds_unpool=False):
        extra = _window_kwargs(p)
        if self.op == "Max" and any(d != 1 for d in p["dilation"]):
            extra["dilation"] = compact(p["dilation"])
        if p["ceil_mode"]:
            extra["ceil_mode"] = True
        if feeds_unpool and self.makes_indices:
            extra["return_indices"] = True
        return Ctor(f"nn.{self.type}", (compact(p["kernel_size"]),), kw(**extra))


class MaxUnpool2d(LayerKind):
    type = title = "MaxUnpool2d"
    id_stem, glyph = "unpool", "upsample"
    channelwise = True
    family = "Pooling"
    doc = ("Puts each value back where its MaxPool2d found the maximum (indices on "
           "slot 1), zeros elsewhere: the output has the pool's input size.")
    min_inputs = max_inputs = 2
    slots = ("x", "indices")
    params = (
        Tuple("kernel_size", (2, 2), "window of the matching MaxPool2d", n=2, hi=MAX_K),
        Tuple("stride", None, "stride (empty: kernel_size)", n=2, hi=MAX_K, nullable=True),
        Tuple("padding", (0, 0), "padding of the matching MaxPool2d", n=2, lo=0, hi=MAX_K),
    )

    def infer(self, p, ins):
        spatial(ins.x, 2, self.type)
        makers = index_makers()
        if ins.types[1] not in makers:
            raise LayerError(None, f"slot 1 must come from a {' or a '.join(makers)} (its "
                             f"indices), not a {ins.types[1]}")
        if ins.shapes[0] != ins.shapes[1]:
            raise LayerError(None, f"the tensor {fmt_shape(ins.shapes[0])} on slot 0 does "
                             f"not match the pool indices {fmt_shape(ins.shapes[1])}")
        target = ins.src_in[1][0][1:]
        stride = p["stride"] or p["kernel_size"]
        for ax, n, t, k, s, pd in zip(AXES[2], ins.x[1:], target, p["kernel_size"], stride,
                                      p["padding"], strict=True):
            default = tconv_out(n, k, s, pd, 1, 0)
            if not default - s < t < default + s:
                raise LayerError("kernel_size", f"cannot unpool {n} to the pool's input "
                                 f"size {t} along {ax} with kernel {k}, stride {s}, "
                                 f"padding {pd}: use the pool's kernel, stride and padding")
        return (ins.x[0], *target)

    def rf_ops(self, p, ins, out):
        stride = p["stride"] or p["kernel_size"]
        return tuple((("tconv", k, s, pd, 1),) for k, s, pd in zip(
            p["kernel_size"], stride, p["padding"], strict=True))

    def summary(self, p):
        stride = p["stride"] or p["kernel_size"]
        return f"{fmt_tuple(p['kernel_size'])} · s{compact(stride)}"

    def ctor(self, p, ins, out, *, feeds_unpool=False):
        extra = _window_kwargs(p)
        return Ctor("nn.MaxUnpool2d", (compact(p["kernel_size"]),), kw(**extra))

    def call_kwargs(self, p, ins, out):
        return {"output_size": list(out[1:])}

    def call_code(self, attr, args, p, ins, out):
        return f"self.{attr}({args[0]}, {args[1]}, output_size={list(out[1:])})"


class AdaptiveAvgPool(LayerKind):
    family = "Pooling"

    def __init__(self, dims):
        self.dims = dims
        self.type = self.title = f"AdaptiveAvgPool{dims}d"
        self.ends_spatial = True
        self.id_stem = "gap" if dims == 2 else ""
        self.doc = "Average pooling to a fixed output size (1: global average pooling)."
        self.params = (Tuple("output_size", (1,) * dims, "output size", n=dims,
                             hi=MAX_PIX),)

    def infer(self, p, ins):
        spatial(ins.x, self.dims, self.type)
        return (ins.x[0], *p["output_size"])

    def rf_ops(self, p, ins, out):
        return global_ops(ins.x)

    def summary(self, p):
        return "global" if set(p["output_size"]) == {1} else f"→ {fmt_tuple(p['output_size'])}"

    def ctor(self, p, ins, out, *, feeds_unpool=False):
        return Ctor(f"nn.{self.type}", (compact(p["output_size"]),))


class Upsample(LayerKind):
    type = title = "Upsample"
    glyph = "upsample"
    channelwise = True
    family = "Pooling"
    doc = ("Resize by a scale factor or to a size (nearest, bilinear, bicubic or "
           "trilinear); a factor below 1 shrinks.")
    params = (
        Float("scale_factor", 2.0, "output size = floor(input × scale) (ignored when size "
              "is set)", lo=0.0, hi=MAX_SCALE, lo_open=True),
        Sizes("size", None, "output size, a pair (a triple for 3D); when set, "
              "scale_factor is ignored", n=2, lo=1, hi=MAX_PIX, nullable=True),
        Choice("mode", "nearest", "interpolation", options=("nearest", "bilinear",
                                                            "bicubic", "trilinear")),
        Bool("align_corners", None, "align corner pixels (bilinear/bicubic/trilinear "
             "only)", nullable=True),
    )

    def infer(self, p, ins):
        if len(ins.x) not in (3, 4):
            raise LayerError(None, f"Upsample expects a C×H×W or C×D×H×W input, got "
                             f"{fmt_shape(ins.x)}")
        dims = len(ins.x) - 1
        mode = p["mode"]
        if mode in ("bilinear", "bicubic") and dims != 2:
            raise LayerError("mode", f'mode "{mode}" needs a 2D input; use "trilinear"')
        if mode == "trilinear" and dims != 3:
            raise LayerError("mode", 'mode "trilinear" needs a 3D input; use "bilinear"')
        if mode == "nearest" and p["align_corners"] is not None:
            raise LayerError("align_corners", 'align_corners only applies to bilinear, '
                             'bicubic and trilinear modes')
        size = p["size"]
        if size is not None:
            if isinstance(size, int):
                return (ins.x[0], *(size,) * dims)
            if len(size) != dims:
                want = "a pair" if dims == 2 else "a triple"
                raise LayerError("size", f"size {fmt_tuple(size)} has {len(size)} values; "
                                 f"a {dims}D input needs {want} (or an int)")
            return (ins.x[0], *size)
        out = []
        for ax, n in zip(AXES[dims], ins.x[1:], strict=True):
            o = int(n * p["scale_factor"])  # torch: floor(float(n) * scale)
            if o < 1:
                raise LayerError("scale_factor", f"scale {p['scale_factor']:g} leaves no "
                                 f"pixel of {n} along {ax}")
            if o > MAX_OUT:
                raise LayerError("scale_factor", f"scale {p['scale_factor']:g} makes {o} "
                                 f"pixels of {n} along {ax}, more than {MAX_OUT}")
            out.append(o)
        return (ins.x[0], *out)

    def rf_ops(self, p, ins, out):
        aligned = bool(p["align_corners"])
        ops = []
        for n, o in zip(ins.x[1:], out[1:], strict=True):
            if aligned and n > 1 and o > 1:  # torch: source = dst · (n − 1) / (o − 1)
                f = Fraction(o - 1, n - 1)
            elif p["size"] is not None:  # torch: the scale is n / o
                f = Fraction(o, n)
            else:  # torch: the scale is 1 / scale_factor
                f = scale_ratio(p["scale_factor"])
            op = ("up", f.numerator, f.denominator, p["mode"])
            ops.append((op + (True,),) if aligned and n > 1 and o > 1 else (op,))
        return tuple(ops)

    def summary(self, p):
        if p["size"] is not None:
            return f"→ {fmt_tuple(_tuple(p['size']))} · {p['mode']}"
        return f"×{p['scale_factor']:g} · {p['mode']}"

    def ctor(self, p, ins, out, *, feeds_unpool=False):
        if p["size"] is not None:
            extra = {"size": p["size"]}
        else:
            extra = {"scale_factor": float(p["scale_factor"])}
        if p["mode"] != "nearest":
            extra["mode"] = p["mode"]
        if p["align_corners"] is not None:
            extra["align_corners"] = p["align_corners"]
        return Ctor("nn.Upsample", (), kw(**extra))


@lru_cache(maxsize=256)
def scale_ratio(scale: float) -> Fraction:
    """``scale`` as a ratio ``num / den``: the simplest within a denominator of 64 for a
    factor ≥ 1, of its inverse for a factor < 1 (so that 0.001 is 1/1000, not 0).

    Exact for the ratios people use (2.5 = 5/2, 1/3, 0.75 = 3/4); a float that is
    no such ratio gets the nearest one.
    """
    if scale >= 1:
        return Fraction(scale).limit_denominator(64)
    return 1 / Fraction(1 / scale).limit_denominator(64)


def _tuple(v) -> tuple:
    return v if isinstance(v, tuple) else (v,)


def _window_kwargs(p) -> dict:
    """The keyword arguments of a pooling window that differ from torch's defaults."""
    extra = {}
    if p["stride"] is not None and p["stride"] != p["kernel_size"]:
        extra["stride"] = compact(p["stride"])
    if any(p["padding"]):
        extra["padding"] = compact(p["padding"])
    return extra
