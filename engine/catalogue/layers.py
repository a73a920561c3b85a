"""Non-convolution kinds: input, pooling, upsampling, norm, activation, merge, dense."""

from __future__ import annotations

from fractions import Fraction
from math import prod

from .base import (
    AXES,
    Cost,
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
from .conv import MAX_CH, MAX_K, compact, window_ops
from .schema import Bool, Choice, Float, Int, Tuple

MAX_PIX = 1 << 16


def global_ops(shape):
    return tuple((("global",),) for _ in shape[1:])


class Input(LayerKind):
    type = "Input"
    family = "Input"
    title = "Input"
    doc = "One image (C×H×W) or, with a depth, one volume (C×D×H×W); batch 1."
    min_inputs = max_inputs = 0
    params = (
        Int("channels", 3, "channels (3: RGB, 1: grayscale)", lo=1, hi=MAX_CH),
        Int("height", 224, "height in pixels", lo=1, hi=MAX_PIX),
        Int("width", 224, "width in pixels", lo=1, hi=MAX_PIX),
        Int("depth", None, "frames/slices for a 3D volume (empty: 2D image)", lo=1,
            hi=MAX_PIX, nullable=True),
    )

    def infer(self, p, ins):
        if p["depth"] is None:
            return (p["channels"], p["height"], p["width"])
        return (p["channels"], p["depth"], p["height"], p["width"])

    def rf_ops(self, p, ins, out):
        return ()

    def summary(self, p):
        return ""


class BatchNorm(LayerKind):
    channelwise = True
    family = "Norm & activation"

    def __init__(self, dims):
        self.dims = dims
        self.type = self.title = f"BatchNorm{dims}d"
        self.id_stem = "bn" if dims == 2 else "bn3d"
        self.glyph = "batchnorm"
        self.doc = ("Batch normalisation: per channel, normalise then scale and shift "
                    "(2 learnable parameters per channel).")
        self.params = (
            Float("eps", 1e-5, "added to the variance for stability", lo=0.0, hi=1.0,
                  lo_open=True),
            Float("momentum", 0.1, "running-statistics update rate", lo=0.0, hi=1.0),
        )

    def infer(self, p, ins):
        spatial(ins.x, self.dims, self.type)
        return ins.x

    def cost(self, p, ins, out):
        return Cost(2 * ins.x[0], 0)

    def ctor(self, p, ins, out, *, feeds_unpool=False):
        extra = {}
        if p["eps"] != 1e-5:
            extra["eps"] = p["eps"]
        if p["momentum"] != 0.1:
            extra["momentum"] = p["momentum"]
        return Ctor(f"nn.BatchNorm{self.dims}d", (ins.x[0],), kw(**extra))


class Activation(LayerKind):
    channelwise = True
    family = "Norm & activation"

    def __init__(self, name, doc, params=(), glyph=""):
        self.type = self.title = name
        self.doc = doc
        self.params = params
        self.glyph = glyph

    def summary(self, p):
        return f"slope {p['negative_slope']:g}" if "negative_slope" in p else ""

    def ctor(self, p, ins, out, *, feeds_unpool=False):
        if "negative_slope" in p and p["negative_slope"] != 0.01:
            return Ctor(f"nn.{self.type}", (p["negative_slope"],))
        return Ctor(f"nn.{self.type}")


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
        extra = {}
        if p["stride"] is not None and p["stride"] != p["kernel_size"]:
            extra["stride"] = compact(p["stride"])
        if any(p["padding"]):
            extra["padding"] = compact(p["padding"])
        if self.op == "Max" and any(d != 1 for d in p["dilation"]):
            extra["dilation"] = compact(p["dilation"])
        if p["ceil_mode"]:
            extra["ceil_mode"] = True
        if feeds_unpool:
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
        if ins.types[1] != "MaxPool2d":
            raise LayerError(None, f"slot 1 must come from a MaxPool2d (its indices), not "
                             f"a {ins.types[1]}")
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
        extra = {}
        if p["stride"] is not None and p["stride"] != p["kernel_size"]:
            extra["stride"] = compact(p["stride"])
        if any(p["padding"]):
            extra["padding"] = compact(p["padding"])
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
    doc = "Resize by a scale factor (nearest, bilinear, bicubic or trilinear)."
    params = (
        Float("scale_factor", 2.0, "output size = floor(input × scale)", lo=0.0, hi=64.0,
              lo_open=True),
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
        out = []
        for ax, n in zip(AXES[dims], ins.x[1:], strict=True):
            o = int(n * p["scale_factor"])
            if o < 1:
                raise LayerError("scale_factor", f"scale {p['scale_factor']:g} leaves no "
                                 f"pixel of {n} along {ax}")
            out.append(o)
        return (ins.x[0], *out)

    def rf_ops(self, p, ins, out):
        f = Fraction(p["scale_factor"]).limit_denominator(64)
        return tuple((("up", f.numerator, f.denominator, p["mode"]),) for _ in ins.x[1:])

    def summary(self, p):
        return f"×{p['scale_factor']:g} · {p['mode']}"

    def ctor(self, p, ins, out, *, feeds_unpool=False):
        extra = {"scale_factor": float(p["scale_factor"])}
        if p["mode"] != "nearest":
            extra["mode"] = p["mode"]
        if p["align_corners"] is not None:
            extra["align_corners"] = p["align_corners"]
        return Ctor("nn.Upsample", (), kw(**extra))


class Dropout(LayerKind):
    type = title = "Dropout"
    glyph = "dropout"
    channelwise = True
    family = "Dense"
    doc = "Zeroes activations with probability p while training; identity at inference."
    params = (Float("p", 0.5, "drop probability", lo=0.0, hi=1.0),)

    def summary(self, p):
        return f"p {p['p']:g}"

    def ctor(self, p, ins, out, *, feeds_unpool=False):
        return Ctor("nn.Dropout", (p["p"],) if p["p"] != 0.5 else ())


class Flatten(LayerKind):
    type = title = "Flatten"
    glyph, ends_spatial = "flatten", True
    family = "Dense"
    doc = "Flattens all but the batch dimension into one feature vector."

    def infer(self, p, ins):
        return (prod(ins.x),)

    def rf_ops(self, p, ins, out):
        return global_ops(ins.x)

    def ctor(self, p, ins, out, *, feeds_unpool=False):
        return Ctor("nn.Flatten")


class Linear(LayerKind):
    type = title = "Linear"
    id_stem, ends_spatial = "fc", True
    family = "Dense"
    doc = "Fully connected layer: every output feature sees every input feature."
    params = (
        Int("out_features", 10, "number of output features", lo=1, hi=1 << 20,
            required=True),
        Bool("bias", True, "add a learnable bias"),
    )

    def infer(self, p, ins):
        if len(ins.x) != 1:
            raise LayerError(None, f"Linear expects a flat input [F], got "
                             f"{fmt_shape(ins.x)}: add a Flatten before it")
        return (p["out_features"],)

    def cost(self, p, ins, out):
        fin, fout = ins.x[0], p["out_features"]
        return Cost(fin * fout + (fout if p["bias"] else 0), fin * fout)

    def summary(self, p):
        return f"→ {p['out_features']}"

    def ctor(self, p, ins, out, *, feeds_unpool=False):
        extra = {} if p["bias"] else {"bias": False}
        return Ctor("nn.Linear", (ins.x[0], p["out_features"]), kw(**extra))


class Merge(LayerKind):
    """Add, Multiply and Concat: two or more inputs, no learnable parameters."""

    family = "Merge"
    min_inputs = 2
    max_inputs = 64
    has_module = False

    def __init__(self, name, doc, symbol, id_stem="", glyph=""):
        self.type = self.title = name
        self.id_stem, self.glyph = id_stem, glyph
        self.doc = doc
        self.symbol = symbol

    def infer(self, p, ins):
        first = ins.shapes[0]
        concat = self.type == "Concat"
        lo = 1 if concat else 0  # the first dimension that must match
        for other in ins.shapes[1:]:
            if len(other) == len(first) and other[lo:] == first[lo:]:
                continue
            if len(other) != len(first):
                raise LayerError(None, f"inputs {fmt_shape(first)} and {fmt_shape(other)} "
                                 "have different ranks")
            names = ("C", *AXES.get(len(first) - 1, ()))
            diff = [names[i] if i < len(names) else str(i)
                    for i in range(lo, len(first)) if first[i] != other[i]]
            if diff:
                a = fmt_shape(first[lo:])
                b = fmt_shape(other[lo:])
                raise LayerError(None, f"inputs {a} and {b} differ along {', '.join(diff)}")
        if concat:
            return (sum(s[0] for s in ins.shapes), *first[1:])
        return first

    def rf_ops(self, p, ins, out):
        return ((),) * (len(out) - 1)

    def channel_sources(self, p, ins, channel):
        if self.type != "Concat":  # element-wise: channel c of every input (or a 1-channel one)
            return tuple((slot, min(channel, shape[0] - 1))
                         for slot, shape in enumerate(ins.shapes))
        first = 0
        for slot, shape in enumerate(ins.shapes):  # stacked in slot order
            if channel < first + shape[0]:
                return ((slot, channel - first),)
            first += shape[0]
        return None

    def ctor(self, p, ins, out, *, feeds_unpool=False):
        return Ctor(self.type)

    def call_code(self, attr, args, p, ins, out):
        if self.type == "Concat":
            return f"torch.cat([{', '.join(args)}], dim=1)"
        return f" {self.symbol} ".join(args)


class SqueezeExcitation(LayerKind):
    type = "SqueezeExcitation"
    id_stem, ends_spatial = "se", True
    captures = (("se_weights", "gate"),)
    title = "Squeeze-excitation"
    family = "Attention"
    doc = ("Channel weighting: global average pool, 1×1 conv C → C/r, ReLU, 1×1 conv "
           "back to C, sigmoid; each channel is scaled by its weight.")
    params = (Int("reduction", 16, "channel reduction ratio r (hidden = max(1, C // r))",
                  lo=1, hi=MAX_CH),)

    def hidden(self, p, c):
        return max(1, c // p["reduction"])

    def infer(self, p, ins):
        spatial(ins.x, 2, self.type)
        return ins.x

    def cost(self, p, ins, out):
        c = ins.x[0]
        r = self.hidden(p, c)
        return Cost(c * r + r + r * c + c, 2 * c * r)

    def rf_ops(self, p, ins, out):
        return global_ops(ins.x)

    def summary(self, p):
        return f"r {p['reduction']}"

    def ctor(self, p, ins, out, *, feeds_unpool=False):
        return Ctor("SqueezeExcitation", (ins.x[0],), kw(reduction=p["reduction"]))


class ChannelShuffle(LayerKind):
    type = title = "ChannelShuffle"
    id_stem, glyph = "shuffle", "shuffle"
    family = "Convolution"
    doc = ("Interleaves the channels of g groups so the next grouped conv sees every "
           "group (ShuffleNet).")
    params = (Int("groups", 2, "number of channel groups", lo=1, hi=MAX_CH),)

    def infer(self, p, ins):
        if len(ins.x) < 2:
            raise LayerError(None, f"ChannelShuffle expects a C×H×W input, got "
                             f"{fmt_shape(ins.x)}")
        if ins.x[0] % p["groups"]:
            raise LayerError("groups", f"channels {ins.x[0]} are not divisible by groups "
                             f"{p['groups']}")
        return ins.x

    def summary(self, p):
        return f"g{p['groups']}"

    def channel_sources(self, p, ins, channel):
        g = p["groups"]  # [C] seen as [g, C/g], transposed: output c reads this channel
        per = ins.x[0] // g
        return ((0, (channel % g) * per + channel // g),)

    def ctor(self, p, ins, out, *, feeds_unpool=False):
        return Ctor("nn.ChannelShuffle", (p["groups"],))


KINDS = (
    Input(), BatchNorm(2), BatchNorm(3),
    Activation("ReLU", "max(0, x)."),
    Activation("LeakyReLU", "x for x > 0, else slope · x.",
               (Float("negative_slope", 0.01, "slope for negative inputs", lo=0.0, hi=1.0),)),
    Activation("Sigmoid", "1 / (1 + exp(−x)).", glyph="smooth_act"),
    Activation("Tanh", "Hyperbolic tangent.", glyph="smooth_act"),
    Activation("GELU", "Gaussian error linear unit.", glyph="norm_act"),
    Activation("SiLU", "x · sigmoid(x) (swish).", glyph="norm_act"),
    Pool("Max", 2), Pool("Avg", 2), Pool("Max", 3), Pool("Avg", 3), MaxUnpool2d(),
    AdaptiveAvgPool(2), AdaptiveAvgPool(3), Upsample(), Dropout(), Flatten(), Linear(),
    Merge("Add", "Element-wise sum of equal shapes (residual connections).", "+",
          id_stem="add_"),
    Merge("Multiply", "Element-wise product of equal shapes (gating).", "*",
          id_stem="mul", glyph="multiply"),
    Merge("Concat", "Stacks the inputs along channels; H and W must be equal.", "",
          id_stem="cat", glyph="concat"),
    SqueezeExcitation(), ChannelShuffle(),
)
