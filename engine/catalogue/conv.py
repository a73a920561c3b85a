"""Convolution kinds: standard, 3D, transposed, separable and deformable."""

from __future__ import annotations

from math import prod

from . import memory as mem
from .base import (
    AXES,
    Cost,
    Ctor,
    Inputs,
    LayerError,
    LayerKind,
    conv_out,
    fmt_tuple,
    kw,
    resolve_padding,
    spatial,
    tconv_out,
)
from .common import MAX_CH, MAX_K, compact, window_ops
from .schema import Bool, Choice, Int, Padding, Tuple


def out_channels(doc="number of output channels (filters)"):
    return Int("out_channels", 32, doc, lo=1, hi=MAX_CH, required=True)


def conv_params(dims: int, *, transposed=False, groups=True, padding_words=True,
                padding_mode=False):
    n = dims
    ps = [
        out_channels(),
        Tuple("kernel_size", (3,) * n, "kernel size k (int, or one per axis)", n=n, hi=MAX_K),
        Tuple("stride", (1,) * n, "step of the kernel over the input", n=n, hi=MAX_K),
        (Padding("padding", (0,) * n, "zeros added on each side (or \"same\" / \"valid\")",
                 n=n, hi=MAX_K) if padding_words and not transposed else
         Tuple("padding", (0,) * n, "padding removed from each side of the output"
               if transposed else "zeros added on each side", n=n, lo=0, hi=MAX_K)),
    ]
    if transposed:
        ps.append(Tuple("output_padding", (0,) * n,
                        "extra rows/cols added on one side of the output (< stride or "
                        "dilation)", n=n, lo=0, hi=MAX_K))
    ps.append(Tuple("dilation", (1,) * n, "spacing between kernel taps (atrous rate)",
                    n=n, hi=MAX_K))
    if groups:
        ps.append(Int("groups", 1, "split channels into groups (= in channels: depthwise)",
                      lo=1, hi=MAX_CH))
    ps.append(Bool("bias", True, "add a learnable bias per output channel"))
    if padding_mode:
        ps.append(Choice("padding_mode", "zeros", "how the border is padded",
                         options=("zeros", "reflect", "replicate", "circular")))
    if transposed:
        ps.append(Tuple("target_size", None, "wanted output size: picks output_padding "
                        "(TensorFlow output_shape / MXNet adj)", n=n, lo=1,
                        hi=1 << 16, nullable=True))
    return tuple(ps)


def conv_summary(p) -> str:
    parts = [fmt_tuple(p["kernel_size"]), f"s{compact(p['stride'])}"]
    pad = p["padding"]
    if isinstance(pad, str):
        parts.append(pad)
    elif any(pad):
        parts.append(f"p{compact(pad)}")
    if any(d != 1 for d in p.get("dilation", (1,))):
        parts.append(f"d{compact(p['dilation'])}")
    if p.get("groups", 1) != 1:
        parts.append(f"g{p['groups']}")
    return " · ".join(parts)


def padding_arg(padding):
    return padding if isinstance(padding, str) else compact(padding)


class ConvNd(LayerKind):
    """``nn.Conv2d`` / ``nn.Conv3d``."""

    dims = 2
    family = "Convolution"

    def __init__(self, dims: int):
        self.dims = dims
        self.type = f"Conv{dims}d"
        self.id_stem = "conv" if dims == 2 else "conv3d"
        self.family = "Convolution" if dims == 2 else "3D"
        self.title = f"Conv{dims}d"
        self.doc = (f"Standard {dims}D convolution (nn.Conv{dims}d): every output channel "
                    "sums a k×k window over all (or one group of) input channels.")
        self.params = conv_params(dims, padding_mode=True)

    def check(self, p):
        if p["out_channels"] % p["groups"]:
            raise LayerError("groups", f"out_channels {p['out_channels']} is not divisible "
                             f"by groups {p['groups']}")

    def geometry(self, p, ins: Inputs):
        sizes = spatial(ins.x, self.dims, self.type)
        cin = ins.x[0]
        if cin % p["groups"]:
            raise LayerError("groups", f"in_channels {cin} is not divisible by groups "
                             f"{p['groups']}")
        pads = self.pads(p)
        mode = p.get("padding_mode", "zeros")
        if mode == "reflect":
            for ax, size, (a, b) in zip(AXES[self.dims], sizes, pads, strict=True):
                if max(a, b) >= size:
                    raise LayerError("padding", f"reflect padding {max(a, b)} must be "
                                     f"smaller than the input {size} along {ax}")
        elif mode == "circular":  # PyTorch wraps around once at most
            for ax, size, (a, b) in zip(AXES[self.dims], sizes, pads, strict=True):
                if max(a, b) > size:
                    raise LayerError("padding", f"circular padding {max(a, b)} must not "
                                     f"exceed the input {size} along {ax}")
        return sizes, pads

    def pads(self, p):
        """``(left, right)`` padding per axis."""
        return resolve_padding(p["padding"], p["kernel_size"], p["stride"], p["dilation"],
                               self.dims)

    def infer(self, p, ins):
        sizes, pads = self.geometry(p, ins)  # one entry per axis, as every parameter
        return (p["out_channels"], *map(conv_out, sizes, p["kernel_size"], p["stride"], pads,
                                        p["dilation"], AXES[self.dims]))

    def cost(self, p, ins, out):
        cin, cout, g = ins.x[0], p["out_channels"], p["groups"]
        k = prod(p["kernel_size"])
        w = cout * (cin // g) * k
        return Cost(w + (cout if p["bias"] else 0), cout * prod(out[1:]) * (cin // g) * k)

    def memory(self, p, ins, out):
        return mem.conv_memory(self.dims, ins.x, out, p["groups"], p["kernel_size"])

    def rf_ops(self, p, ins, out):
        return window_ops(p["kernel_size"], p["stride"], self.pads(p), p["dilation"])

    def summary(self, p):
        return conv_summary(p)

    def ctor(self, p, ins, out, *, feeds_unpool=False):
        extra = {}
        if p["stride"] != (1,) * self.dims:
            extra["stride"] = compact(p["stride"])
        if p["padding"] != (0,) * self.dims:
            extra["padding"] = padding_arg(p["padding"])
        if p["dilation"] != (1,) * self.dims:
            extra["dilation"] = compact(p["dilation"])
        if p["groups"] != 1:
            extra["groups"] = p["groups"]
        if not p["bias"]:
            extra["bias"] = False
        if p["padding_mode"] != "zeros":
            extra["padding_mode"] = p["padding_mode"]
        return Ctor(f"nn.Conv{self.dims}d",
                    (ins.x[0], p["out_channels"], compact(p["kernel_size"])), kw(**extra))


class ConvTransposeNd(LayerKind):
    """``nn.ConvTranspose2d`` / ``3d`` with an optional ``target_size``."""

    def __init__(self, dims: int):
        self.dims = dims
        self.type = f"ConvTranspose{dims}d"
        self.id_stem = "up" if dims == 2 else "up3d"
        self.family = "Transposed"
        self.title = f"ConvTranspose{dims}d"
        self.doc = ("Transposed (fractionally strided) convolution: each input pixel "
                    "scatters a k×k copy of the kernel, s pixels apart: upsampling.")
        self.params = conv_params(dims, transposed=True)

    def check(self, p):
        if p["out_channels"] % p["groups"]:
            raise LayerError("groups", f"out_channels {p['out_channels']} is not divisible "
                             f"by groups {p['groups']}")
        if p["target_size"] is not None and any(p["output_padding"]):
            raise LayerError("target_size", "set either output_padding or target_size, "
                             "not both")
        for ax, op, s, d in zip(AXES[self.dims], p["output_padding"], p["stride"],
                                p["dilation"], strict=True):
            if op >= max(s, d):
                raise LayerError("output_padding", f"output_padding {op} along {ax} must "
                                 f"be smaller than stride {s} or dilation {d}")

    def linked_changes(self, name, value, explicit):
        """Setting ``target_size`` resets an explicit ``output_padding`` (it replaces it)."""
        if name == "target_size" and value is not None and "output_padding" in explicit:
            return {"output_padding": None}
        return {}

    def output_padding(self, p, sizes):
        """The output padding in force: given, or picked from ``target_size``."""
        if p["target_size"] is None:
            return p["output_padding"]
        ops = []
        for ax, n, k, s, pd, d, t in zip(AXES[self.dims], sizes, p["kernel_size"],
                                         p["stride"], p["padding"], p["dilation"],
                                         p["target_size"], strict=True):
            base = tconv_out(n, k, s, pd, d, 0)
            reach = list(range(base, base + max(s, d)))
            if t not in reach:
                sizes_text = ", ".join(map(str, reach)) if len(reach) > 1 else str(base)
                raise LayerError("target_size", f"target size {t} along {ax} is not "
                                 f"reachable from input {n}: reachable {sizes_text}")
            ops.append(t - base)
        return tuple(ops)

    def reachable(self, p, ins: Inputs):
        """Per axis, the output sizes that some output_padding gives."""
        sizes = spatial(ins.x, self.dims, self.type)
        out = []
        for n, k, s, pd, d in zip(sizes, p["kernel_size"], p["stride"], p["padding"],
                                  p["dilation"], strict=True):
            base = tconv_out(n, k, s, pd, d, 0)
            out.append(tuple(range(base, base + max(s, d))))
        return tuple(out)

    def infer(self, p, ins):
        sizes = spatial(ins.x, self.dims, self.type)
        cin = ins.x[0]
        if cin % p["groups"]:
            raise LayerError("groups", f"in_channels {cin} is not divisible by groups "
                             f"{p['groups']}")
        ops = self.output_padding(p, sizes)
        out = []
        for ax, n, k, s, pd, d, op in zip(AXES[self.dims], sizes, p["kernel_size"],
                                          p["stride"], p["padding"], p["dilation"], ops,
                                          strict=True):
            o = tconv_out(n, k, s, pd, d, op)
            if o < 1:
                raise LayerError("padding", f"padding {pd} crops the whole output along "
                                 f"{ax} ({o} left)")
            out.append(o)
        return (p["out_channels"], *out)

    def cost(self, p, ins, out):
        cin, cout, g = ins.x[0], p["out_channels"], p["groups"]
        k = prod(p["kernel_size"])
        return Cost(cin * (cout // g) * k + (cout if p["bias"] else 0),
                    cin * prod(ins.x[1:]) * (cout // g) * k)

    def memory(self, p, ins, out):
        return mem.transposed_memory(ins.x, out, p["kernel_size"])

    def rf_ops(self, p, ins, out):
        return tuple((("tconv", k, s, pd, d),) for k, s, pd, d in zip(
            p["kernel_size"], p["stride"], p["padding"], p["dilation"], strict=True))

    def summary(self, p):
        text = conv_summary(p)
        if p["target_size"] is not None:
            text += f" · → {fmt_tuple(p['target_size'])}"
        elif any(p["output_padding"]):
            text += f" · op{compact(p['output_padding'])}"
        return text

    def ctor(self, p, ins, out, *, feeds_unpool=False):
        extra = {}
        if p["stride"] != (1,) * self.dims:
            extra["stride"] = compact(p["stride"])
        if any(p["padding"]):
            extra["padding"] = compact(p["padding"])
        op = self.output_padding(p, ins.x[1:])
        if any(op):
            extra["output_padding"] = compact(op)
        if p["groups"] != 1:
            extra["groups"] = p["groups"]
        if not p["bias"]:
            extra["bias"] = False
        if p["dilation"] != (1,) * self.dims:
            extra["dilation"] = compact(p["dilation"])
        return Ctor(f"nn.ConvTranspose{self.dims}d",
                    (ins.x[0], p["out_channels"], compact(p["kernel_size"])), kw(**extra))


def pads2d(p):
    """``((top, bottom), (left, right))`` of a 2D conv's padding (``"same"`` may be uneven)."""
    return resolve_padding(p["padding"], p["kernel_size"], p["stride"], p["dilation"], 2)


class DepthwiseSeparableConv2d(LayerKind):
    type = "DepthwiseSeparableConv2d"
    id_stem = "dsconv"
    family = "Separable"
    title = "Depthwise separable"
    doc = ("Depthwise k×k conv (one filter per input channel, × depth_multiplier) "
           "followed by a pointwise 1×1 conv that mixes channels (MobileNet).")
    params = (
        out_channels(),
        Tuple("kernel_size", (3, 3), "kernel of the depthwise conv", n=2, hi=MAX_K),
        Tuple("stride", (1, 1), "stride of the depthwise conv", n=2, hi=MAX_K),
        Padding("padding", (0, 0), "padding of the depthwise conv", n=2, hi=MAX_K),
        Tuple("dilation", (1, 1), "dilation of the depthwise conv", n=2, hi=MAX_K),
        Int("depth_multiplier", 1, "depthwise filters per input channel", lo=1, hi=256),
        Bool("bias", True, "both convs get a bias"),
    )

    def infer(self, p, ins):
        sizes = spatial(ins.x, 2, self.type)
        pads = pads2d(p)
        out = [conv_out(n, k, s, pd, d, ax) for n, k, s, pd, d, ax in zip(
            sizes, p["kernel_size"], p["stride"], pads, p["dilation"], AXES[2], strict=True)]
        return (p["out_channels"], *out)

    def cost(self, p, ins, out):
        cin, cout = ins.x[0], p["out_channels"]
        mid = cin * p["depth_multiplier"]
        k = prod(p["kernel_size"])
        hw = prod(out[1:])
        b = p["bias"]
        params = mid * k + (mid if b else 0) + cout * mid + (cout if b else 0)
        return Cost(params, mid * hw * k + cout * hw * mid)

    def memory(self, p, ins, out):
        return mem.separable_memory((ins.x[0] * p["depth_multiplier"], *out[1:]), ins.x, out)

    def rf_ops(self, p, ins, out):
        pads = pads2d(p)
        return window_ops(p["kernel_size"], p["stride"], pads, p["dilation"])

    def summary(self, p):
        text = conv_summary(p)
        return text + (f" · ×{p['depth_multiplier']}" if p["depth_multiplier"] > 1 else "")

    def ctor(self, p, ins, out, *, feeds_unpool=False):
        return Ctor("DepthwiseSeparableConv2d", (ins.x[0], p["out_channels"],
                                                 compact(p["kernel_size"])),
                    kw(stride=compact(p["stride"]), padding=padding_arg(p["padding"]),
                       dilation=compact(p["dilation"]),
                       depth_multiplier=p["depth_multiplier"], bias=p["bias"]))


class SpatiallySeparableConv2d(LayerKind):
    type = "SpatiallySeparableConv2d"
    id_stem = "ssconv"
    family = "Separable"
    title = "Spatially separable"
    doc = ("A k×1 conv (in → out) then a 1×k conv (out → out): 2k instead of k² "
           "weights per channel pair, for kernels of rank 1.")
    params = (
        out_channels(),
        Tuple("kernel_size", (3, 3), "k: the k×1 and 1×k kernels", n=2, hi=MAX_K),
        Tuple("stride", (1, 1), "stride along H (first conv) and W (second)", n=2, hi=MAX_K),
        Padding("padding", (0, 0), "padding along H (first conv) and W (second)", n=2,
                hi=MAX_K),
        Tuple("dilation", (1, 1), "dilation along H (first conv) and W (second)", n=2,
              hi=MAX_K),
        Bool("bias", True, "both convs get a bias"),
    )

    def infer(self, p, ins):
        sizes = spatial(ins.x, 2, self.type)
        pads = pads2d(p)
        out = [conv_out(n, k, s, pd, d, ax) for n, k, s, pd, d, ax in zip(
            sizes, p["kernel_size"], p["stride"], pads, p["dilation"], AXES[2], strict=True)]
        return (p["out_channels"], *out)

    def cost(self, p, ins, out):
        cin, cout = ins.x[0], p["out_channels"]
        kh, kw_ = p["kernel_size"]
        b = p["bias"]
        mid_hw = out[1] * ins.x[2]  # after the k×1 conv: H_out × W_in
        params = cout * cin * kh + cout * cout * kw_ + (2 * cout if b else 0)
        return Cost(params, cout * mid_hw * cin * kh + cout * prod(out[1:]) * cout * kw_)

    def memory(self, p, ins, out):
        return mem.separable_memory((out[0], out[1], ins.x[2]), ins.x, out)

    def rf_ops(self, p, ins, out):
        pads = pads2d(p)
        return window_ops(p["kernel_size"], p["stride"], pads, p["dilation"])

    def summary(self, p):
        kh, kw_ = p["kernel_size"]
        return f"{kh}×1 + 1×{kw_} · " + conv_summary(p).split(" · ", 1)[1]

    def ctor(self, p, ins, out, *, feeds_unpool=False):
        return Ctor("SpatiallySeparableConv2d", (ins.x[0], p["out_channels"],
                                                 compact(p["kernel_size"])),
                    kw(stride=compact(p["stride"]), padding=padding_arg(p["padding"]),
                       dilation=compact(p["dilation"]), bias=p["bias"]))


class DeformConv2d(LayerKind):
    deformable = True
    type = "DeformConv2d"
    id_stem = "dconv"
    captures = (("offsets", "offset_conv"),)
    family = "Deformable"
    title = "Deformable conv"
    doc = ("Deformable convolution (DCN v1; v2 when modulated): an offset conv "
           "predicts where each kernel tap samples, bilinearly, from the input.")
    params = (
        out_channels(),
        Tuple("kernel_size", (3, 3), "kernel size", n=2, hi=MAX_K),
        Tuple("stride", (1, 1), "stride", n=2, hi=MAX_K),
        Padding("padding", (0, 0), "zeros added on each side", n=2, hi=MAX_K),
        Tuple("dilation", (1, 1), "spacing of the regular grid", n=2, hi=MAX_K),
        Int("groups", 1, "weight groups", lo=1, hi=MAX_CH),
        Int("offset_groups", 1, "channel groups sharing one set of offsets", lo=1,
            hi=MAX_CH),
        Bool("modulated", False, "DCN v2: also predict a sigmoid mask per sample"),
        Bool("bias", True, "add a learnable bias to the main conv"),
    )

    def check(self, p):
        if p["out_channels"] % p["groups"]:
            raise LayerError("groups", f"out_channels {p['out_channels']} is not divisible "
                             f"by groups {p['groups']}")

    def offset_channels(self, p):
        k = prod(p["kernel_size"])
        return (3 if p["modulated"] else 2) * p["offset_groups"] * k

    def infer(self, p, ins):
        sizes = spatial(ins.x, 2, self.type)
        cin = ins.x[0]
        for name in ("groups", "offset_groups"):
            if cin % p[name]:
                raise LayerError(name, f"in_channels {cin} is not divisible by {name} "
                                 f"{p[name]}")
        pads = pads2d(p)
        out = [conv_out(n, k, s, pd, d, ax) for n, k, s, pd, d, ax in zip(
            sizes, p["kernel_size"], p["stride"], pads, p["dilation"], AXES[2], strict=True)]
        return (p["out_channels"], *out)

    def cost(self, p, ins, out):
        cin, cout, g = ins.x[0], p["out_channels"], p["groups"]
        k = prod(p["kernel_size"])
        hw = prod(out[1:])
        coff = self.offset_channels(p)
        params = cout * (cin // g) * k + (cout if p["bias"] else 0) + coff * cin * k + coff
        macs = cout * hw * (cin // g) * k + coff * hw * cin * k + cin * hw * k * 4
        return Cost(params, macs)

    def memory(self, p, ins, out):
        return mem.deform_memory(ins.x, out, p["kernel_size"], p["offset_groups"],
                                 p["modulated"])

    def rf_ops(self, p, ins, out):
        pads = pads2d(p)
        return window_ops(p["kernel_size"], p["stride"], pads, p["dilation"])

    def summary(self, p):
        text = conv_summary(p) + (" · v2" if p["modulated"] else " · v1")
        return text + (f" · og{p['offset_groups']}" if p["offset_groups"] > 1 else "")

    def ctor(self, p, ins, out, *, feeds_unpool=False):
        return Ctor("DeformConv2d", (ins.x[0], p["out_channels"], compact(p["kernel_size"])),
                    kw(stride=compact(p["stride"]), padding=padding_arg(p["padding"]),
                       dilation=compact(p["dilation"]), groups=p["groups"],
                       offset_groups=p["offset_groups"], modulated=p["modulated"],
                       bias=p["bias"]))


KINDS = (ConvNd(2), ConvNd(3), ConvTransposeNd(2), ConvTransposeNd(3),
         DepthwiseSeparableConv2d(), SpatiallySeparableConv2d(), DeformConv2d())
