"""Kinds that pad, crop or slice a tensor: Pad2d, Crop2d and ChannelSlice.

Receptive fields: padding and cropping move the grid, nothing else. Pad2d's
output ``o`` is input ``o − top`` (a 1-tap window with that padding); Crop2d's
output ``o`` is input ``o + top`` (a 1-tap window with padding ``−top``). For
Pad2d's reflect, replicate and circular modes an output in the border reads a
real pixel elsewhere (mirrored, the edge, the other side); graph-format.md
counts padding as virtual pixels, as for a convolution's ``padding_mode``, so
the field is that of constant padding: the same shift. Away from the border
(where the analysis and the oracle of the tests look) the modes do not differ.

Crop2d's slot 1, the ``"reference"``, gives only its H and W (``size_roles``):
its values, and so its receptive field, never reach the output.
"""

from __future__ import annotations

from .base import Cost, Ctor, LayerError, LayerKind, fmt_shape, fmt_tuple, kw, spatial
from .common import MAX_CH, MAX_K, MAX_PIX, compact
from .schema import Choice, Int, PadValue, Tuple

__all__ = ["Pad2d", "Crop2d", "ChannelSlice"]

#: Pad2d's modes and the torch module that pads that way (constant: see ``ctor``)
PAD_MODULES = {"reflect": "nn.ReflectionPad2d", "replicate": "nn.ReplicationPad2d",
               "circular": "nn.CircularPad2d"}


def _shift(lo: int, hi: int) -> tuple:
    """The ops of an axis whose output ``o`` reads input ``o − lo`` (``hi`` past the end)."""
    return (("conv", 1, 1, lo, 1, hi),)


class Pad2d(LayerKind):
    type = title = "Pad2d"
    id_stem, glyph = "pad", "pad"
    channelwise = True
    family = "Pooling"
    doc = ("Pads H and W by left, right, top and bottom pixels "
           "(torch.nn.functional.pad): asymmetric padding such as TensorFlow's \"SAME\" "
           "before a strided layer, or -inf before a max pool.")
    params = (
        Tuple("padding", (0, 0, 0, 0), "pixels added on the left, right, top and bottom "
              "(an int: all four)", n=4, lo=0, hi=MAX_K),
        Choice("mode", "constant", "what the new pixels hold: value, the mirror image "
               "(reflect), the edge pixel (replicate) or the other side (circular)",
               options=("constant", "reflect", "replicate", "circular")),
        PadValue("value", 0.0, "value of the new pixels in constant mode (ignored by the "
                 "other modes)"),
    )

    def infer(self, p, ins):
        h, w = spatial(ins.x, 2, self.type)
        left, right, top, bottom = p["padding"]
        mode = p["mode"]
        for ax, n, pads in (("H", h, (top, bottom)), ("W", w, (left, right))):
            worst = max(pads)
            if mode == "reflect" and worst >= n:  # torch: pad < input size
                raise LayerError("padding", f"reflect padding {worst} along {ax} must be "
                                 f"less than the input size {n}")
            if mode == "circular" and worst > n:  # torch: wraps around at most once
                raise LayerError("padding", f"circular padding {worst} along {ax} must be "
                                 f"at most the input size {n}")
        return (ins.x[0], top + h + bottom, left + w + right)

    def rf_ops(self, p, ins, out):
        left, right, top, bottom = p["padding"]
        return (_shift(top, bottom), _shift(left, right))

    def summary(self, p):
        pads = p["padding"]
        text = f"p{compact(pads)}" if len(set(pads)) == 1 else "p" + fmt_tuple(pads)
        if p["mode"] != "constant":
            return f"{text} · {p['mode']}"
        return text if p["value"] == 0.0 else f"{text} · {p['value']:g}"

    def ctor(self, p, ins, out, *, feeds_unpool=False):
        pads = compact(p["padding"])
        if p["mode"] != "constant":
            return Ctor(PAD_MODULES[p["mode"]], (pads,))
        if p["value"] == 0.0:
            return Ctor("nn.ZeroPad2d", (pads,))
        return Ctor("nn.ConstantPad2d", (pads, p["value"]))


class Crop2d(LayerKind):
    type = title = "Crop2d"
    id_stem, glyph = "crop", "crop"
    channelwise = True
    family = "Pooling"
    doc = ("Crops H and W to size [h, w], or, with no size, to the H and W of the tensor "
           "on slot 1 (U-Net skip crop; only its size is used); offset [top, left], or "
           "centred: top = (H − h) // 2, left = (W − w) // 2.")
    min_inputs, max_inputs = 1, 2
    slots = ("x", "reference")
    size_roles = ("reference",)
    params = (
        Tuple("size", None, "output size [h, w] (empty: the size of the reference on "
              "slot 1; a size given wins)", n=2, lo=1, hi=MAX_PIX, nullable=True),
        Tuple("offset", None, "[top, left] of the crop (empty: centred)", n=2, lo=0,
              hi=MAX_PIX, nullable=True),
    )

    def geometry(self, p, ins) -> tuple[int, int, int, int]:
        """``(top, left, h, w)`` of the crop; :class:`LayerError` when impossible."""
        h_in, w_in = spatial(ins.x, 2, self.type)
        if p["size"] is not None:
            (h, w), param, what = p["size"], "size", "size"
        elif len(ins.shapes) > 1:
            ref = ins.shapes[1]
            if len(ref) < 3:
                raise LayerError(None, f"the reference on slot 1 has no H and W "
                                 f"({fmt_shape(ref)})")
            (h, w), param, what = ref[-2:], None, "the reference's size"
        else:
            raise LayerError("size", "size is empty and no reference is connected to "
                             "slot 1: give a size or connect a reference")
        if h > h_in or w > w_in:
            raise LayerError(param, f"{what} {h}×{w} is larger than the input "
                             f"{h_in}×{w_in}")
        if p["offset"] is None:
            return (h_in - h) // 2, (w_in - w) // 2, h, w
        top, left = p["offset"]
        if top + h > h_in or left + w > w_in:
            raise LayerError("offset", f"offset {top}, {left} with size {h}×{w} runs past "
                             f"the input {h_in}×{w_in}")
        return top, left, h, w

    def infer(self, p, ins):
        _top, _left, h, w = self.geometry(p, ins)
        return (ins.x[0], h, w)

    def rf_ops(self, p, ins, out):
        top, left, h, w = self.geometry(p, ins)
        h_in, w_in = ins.x[1:]
        return (_shift(-top, -(h_in - top - h)), _shift(-left, -(w_in - left - w)))

    def channel_sources(self, p, ins, channel):
        return ((0, channel),)  # never the reference

    def summary(self, p):
        text = f"→ {fmt_tuple(p['size'])}" if p["size"] is not None else "→ slot 1"
        return text + (f" @ {p['offset'][0]}, {p['offset'][1]}" if p["offset"] else "")

    def ctor(self, p, ins, out, *, feeds_unpool=False):
        extra = {}
        if p["size"] is not None:
            extra["size"] = compact(p["size"])
        if p["offset"] is not None:
            extra["offset"] = compact(p["offset"])
        return Ctor("Crop2d", (), kw(**extra))


class ChannelSlice(LayerKind):
    type = title = "ChannelSlice"
    id_stem, glyph = "slice", "slice"
    family = "Merge"
    doc = ("Channels [start, stop) of the input (features of [F]): torch.chunk and "
           "torch.split become several slices of one tensor.")
    params = (
        Int("start", 0, "first channel kept", lo=0, hi=MAX_CH),
        Int("stop", None, "channel after the last one kept (empty: all)", lo=1, hi=MAX_CH,
            nullable=True),
    )

    def check(self, p):
        if p["stop"] is not None and p["stop"] <= p["start"]:
            raise LayerError("stop", f"stop {p['stop']} must be greater than start "
                             f"{p['start']} (the slice would be empty)")

    def bounds(self, p, ins) -> tuple[int, int]:
        """``(start, stop)`` within the input's channels; :class:`LayerError` if outside."""
        c = ins.x[0]
        if p["start"] >= c:
            raise LayerError("start", f"start {p['start']} is past the last of {c} channels")
        stop = c if p["stop"] is None else p["stop"]
        if stop > c:
            raise LayerError("stop", f"stop {stop} is past the {c} channels of the input")
        return p["start"], stop

    def infer(self, p, ins):
        start, stop = self.bounds(p, ins)
        return (stop - start, *ins.x[1:])

    def channel_sources(self, p, ins, channel):
        return ((0, p["start"] + channel),)

    def cost(self, p, ins, out):
        return Cost(0, 0)

    def summary(self, p):
        return f"[{p['start']}:{'' if p['stop'] is None else p['stop']}]"

    def ctor(self, p, ins, out, *, feeds_unpool=False):
        return Ctor("ChannelSlice", (p["start"],) if p["stop"] is None else
                    (p["start"], p["stop"]))
