"""Kinds other than convolutions and pooling: input, norm, activation, dense, merge,
squeeze-excitation and channel shuffle; and :data:`KINDS`, every non-convolution
kind (pooling ones from :mod:`.pooling`, padding, cropping and slicing from
:mod:`.slicing`, and :mod:`.opaque` included) in palette order.
"""

from __future__ import annotations

from math import prod

from . import memory as mem
from .base import AXES, Cost, Ctor, LayerError, LayerKind, fmt_shape, kw, spatial
from .common import MAX_CH, MAX_PIX, global_ops
from .opaque import Opaque
from .pooling import AdaptiveAvgPool, MaxUnpool2d, Pool, Upsample
from .schema import Bool, Float, Int
from .slicing import ChannelSlice, Crop2d, Pad2d


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

    def __init__(self, name, doc, params=(), glyph="", id_stem=""):
        self.type = self.title = name
        self.doc = doc
        self.params = params
        self.glyph = glyph
        self.id_stem = id_stem

    def summary(self, p):
        return f"slope {p['negative_slope']:g}" if "negative_slope" in p else ""

    def ctor(self, p, ins, out, *, feeds_unpool=False):
        if "negative_slope" in p and p["negative_slope"] != 0.01:
            return Ctor(f"nn.{self.type}", (p["negative_slope"],))
        return Ctor(f"nn.{self.type}")


class Softmax(Activation):
    """Softmax along channels (features for ``[F]``): every output channel of a pixel
    reads every channel of that pixel, so it is not channel-wise."""

    channelwise = False

    def __init__(self):
        super().__init__("Softmax", "exp(x) / sum of exp over the channels at each pixel "
                         "(over the features of [F]): the channels become probabilities.",
                         glyph="softmax")

    def ctor(self, p, ins, out, *, feeds_unpool=False):
        return Ctor("nn.Softmax", (), kw(dim=1))


class Dropout(LayerKind):
    type = title = "Dropout"
    glyph = "dropout"
    channelwise = True
    family = "Dense"
    doc = "Zeroes activations with probability p while training; identity at inference."
    params = (Float("p", 0.5, "drop probability", lo=0.0, hi=1.0),)

    def summary(self, p):
        return f"p {p['p']:g}"

    def memory(self, p, ins, out):
        return mem.mask_memory(out)

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

    def __init__(self, name, doc, symbol, id_stem="", glyph="", stacks=False):
        self.type = self.title = name
        self.id_stem, self.glyph = id_stem, glyph
        self.doc = doc
        self.symbol = symbol  # the operator of the element-wise merges
        self.stacks = stacks  # stacks the inputs along channels (else element-wise)

    def infer(self, p, ins):
        first = ins.shapes[0]
        concat = self.stacks
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
        if not self.stacks:  # element-wise: channel c of every input (or a 1-channel one)
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
        if self.stacks:
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
    Activation("ReLU6", "min(max(0, x), 6): ReLU clipped at 6 (MobileNet).",
               glyph="clipped_act", id_stem="clip"),
    Activation("Hardswish", "x · ReLU6(x + 3) / 6: a piecewise-linear swish "
               "(MobileNetV3).", glyph="norm_act"),
    Activation("Hardsigmoid", "ReLU6(x + 3) / 6: a piecewise-linear sigmoid.",
               glyph="clipped_act"),
    Softmax(),
    Pool("Max", 2), Pool("Avg", 2), Pool("Max", 3), Pool("Avg", 3), MaxUnpool2d(),
    AdaptiveAvgPool(2), AdaptiveAvgPool(3), Upsample(), Pad2d(), Crop2d(), Dropout(),
    Flatten(), Linear(),
    Merge("Add", "Element-wise sum of equal shapes (residual connections).", "+",
          id_stem="add"),
    Merge("Multiply", "Element-wise product of equal shapes (gating).", "*",
          id_stem="mul", glyph="multiply"),
    Merge("Concat", "Stacks the inputs along channels; H and W must be equal.", "",
          id_stem="cat", glyph="concat", stacks=True),
    ChannelSlice(), SqueezeExcitation(), ChannelShuffle(), Opaque(),
)
