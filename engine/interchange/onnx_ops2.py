"""ONNX operators that merge, slice, pad, resize or deform (numpy and onnx only); the
table of :mod:`.onnx_ops` takes these too.

``Add`` of a bias right after a ``MatMul`` becomes that Linear's bias; ``DeformConv``
whose offsets (and the sigmoid of its mask channels) come from a ``Conv`` of its own
input becomes one ``DeformConv2d`` holding that conv as its offset conv.
"""

from __future__ import annotations

import numpy as np

from ..catalogue.interchange import ONNX_OPS, T
from .params import compact

__all__ = ["MORE", "BY_TYPE"]


def _concat(n):
    r = len(n.out())
    axis = n.a("axis", 1)
    keys = [n.x(i) for i in range(len(n.p.input))]
    if None in keys or (axis + r if axis < 0 else axis) != 1:
        return False
    if len(keys) == 1:
        return n.same()
    n.emit(T.concat, {}, keys)


def _bias_add(n, i):
    """Add of a constant bias to the Linear made from a MatMul: it becomes its bias."""
    key, bias = n.x(i), n.const(1 - i)
    op = n.s.net.ops.get(key) if key else None
    if op is None or op.type != T.linear or op.params["bias"] or bias is None or \
            n.s.readers.get(n.p.input[i], 0) != 1 or op.key in n.s.net.outputs:
        return False
    op.params["bias"] = True
    op.weights["bias"] = np.broadcast_to(bias, (op.shape[0],)).copy()
    n.s.alias[n.p.output[0]] = key
    n.s.net.record(n.name, "ONNX Add", "folded", key, "bias of the MatMul")


def _binary(type_):
    def handle(n):
        a, b = n.x(0), n.x(1)
        if type_ == T.add and (a is None) != (b is None):
            return _bias_add(n, 0 if a is not None else 1)
        if a is None or b is None:
            return False
        if n.shape(0) == n.shape(1):
            return n.emit(type_, {}, [a, b])
        if type_ == T.multiply:
            return n.emit("~bmul", {}, [a, b])
        return False
    return handle


def _split(n):
    src = n.shape(0)
    axis = n.a("axis", 0)
    if n.x() is None or (axis + len(src) if axis < 0 else axis) != 1:
        return False
    start = 0
    for j, o in enumerate(n.p.output):
        size = n.s.shapes.get(o, (0, 0))[1]
        if o:
            stop = start + size
            p = {"start": start} if stop == src[1] else {"start": start, "stop": stop}
            n.emit(T.channel_slice, p, [n.x()], j=j)
        start += size


def _slice(n):
    src = n.shape(0)
    r = len(src)
    starts, ends = n.const(1), n.const(2)
    axes = n.const(3) if len(n.p.input) > 3 and n.p.input[3] else np.arange(len(starts))
    steps = n.const(4) if len(n.p.input) > 4 and n.p.input[4] else np.ones(len(starts))
    if n.x() is None or starts is None or ends is None or axes is None or steps is None or \
            any(int(s) != 1 for s in steps):
        return False
    bounds = [(0, s) for s in src]
    for a, s, e in zip(axes, starts, ends, strict=True):
        a = int(a) + r if a < 0 else int(a)
        bounds[a] = slice(int(s), int(min(e, 2 ** 62))).indices(src[a])[:2]
    if bounds[0] != (0, src[0]) or (r != 4 and bounds[2:] != [(0, s) for s in src[2:]]):
        return False
    key = n.x()
    spatial = bounds[2:] != [(0, s) for s in src[2:]]
    (c0, c1) = bounds[1]
    if (c0, c1) != (0, src[1]):
        p = {"start": c0} if c1 == src[1] else {"start": c0, "stop": c1}
        key = n.emit(T.channel_slice, p, [key], final=not spatial,
                     key=n.p.output[0] + ("__slice" if spatial else ""),
                     shape=(c1 - c0, *src[2:]))
    if not spatial:
        return None if key != n.x() else n.same()
    (t, b), (lft, rgt) = bounds[2], bounds[3]
    h, w = b - t, rgt - lft
    p = {"size": compact([h, w])}
    if (t, lft) != ((src[2] - h) // 2, (src[3] - w) // 2):
        p["offset"] = [t, lft]
    n.emit(T.crop, p, [key])


def _pad(n):
    src = n.shape(0)
    pads = n.const(1) if len(n.p.input) > 1 else n.a("pads")
    mode = {"edge": "replicate", "wrap": "circular"}.get(n.a("mode", "constant"),
                                                          n.a("mode", "constant"))
    value = n.const(2) if len(n.p.input) > 2 and n.p.input[2] else n.a("value", 0.0)
    if n.x() is None or pads is None or len(src) != 4 or mode not in (
            "constant", "reflect", "replicate", "circular"):
        return False
    pads = [int(p) for p in pads]
    if len(n.p.input) > 3 and n.p.input[3]:
        return False  # axes given: rare
    begin, end = pads[:4], pads[4:]
    if begin[:2] != [0, 0] or end[:2] != [0, 0] or min(pads) < 0:
        return False
    p = {"padding": compact([begin[3], end[3], begin[2], end[2]])}
    value = 0.0 if value is None else float(np.asarray(value))
    if mode != "constant":
        p["mode"] = mode
    elif value != 0.0:
        p["value"] = value if np.isfinite(value) else ("-inf" if value < 0 else "inf")
    n.emit(T.pad, p, [n.x()])


def _resize(n):
    src, out = n.shape(0), n.out()
    mode = n.a("mode", "nearest")
    ct = n.a("coordinate_transformation_mode", "half_pixel")
    if n.x() is None or len(src) not in (4, 5) or not out:
        return False
    if mode == "nearest":
        if ct != "asymmetric" or n.a("nearest_mode", "round_prefer_floor") != "floor":
            return False
        torch_mode, align = "nearest", None
    elif mode in ("linear", "cubic"):
        if ct not in ("half_pixel", "pytorch_half_pixel", "align_corners"):
            return False
        if mode == "cubic" and abs(n.a("cubic_coeff_a", -0.75) + 0.75) > 1e-6:
            return False
        torch_mode = ("bilinear" if len(src) == 4 else "trilinear") if mode == "linear" \
            else "bicubic"
        align = ct == "align_corners"
    else:
        return False
    scales = n.const(2) if len(n.p.input) > 2 and n.p.input[2] else None
    p = {"mode": torch_mode} if torch_mode != "nearest" else {}
    if align is not None:
        p["align_corners"] = align
    ins, outs = src[2:], out[2:]
    if scales is not None and len(scales) == len(src) and len(set(scales[2:])) == 1 and \
            all(int(i * float(scales[2])) == o for i, o in zip(ins, outs, strict=True)):
        s = float(scales[2])
        p["scale_factor"] = int(s) if s.is_integer() else s
    else:
        p["size"] = compact(list(outs))
    n.emit(T.upsample, p, [n.x()])


def _dropout(n):
    ratio = n.const(1) if len(n.p.input) > 1 and n.p.input[1] else n.a("ratio", 0.5)
    if n.x() is None:
        return False
    ratio = float(np.asarray(ratio)) if ratio is not None else 0.5
    n.emit(T.dropout, {} if ratio == 0.5 else {"p": ratio}, [n.x()])


def _identity(n):
    if n.x() is None:
        return False
    n.same()


def _made(n, name):
    return n.s.made.get(name, (None, None))


def _deform(n):
    """DeformConv fed by Conv(x) (v1) or Slice(Conv(x)) and Sigmoid(Slice(Conv(x))) (v2)."""
    w, b = n.const(1), n.const(3) if len(n.p.input) > 3 and n.p.input[3] else None
    if n.x() is None or w is None:
        return False
    off_name = n.p.input[2]
    mask_name = n.p.input[4] if len(n.p.input) > 4 and n.p.input[4] else None
    kind, off = _made(n, off_name)
    sliced, folded = None, []
    if kind == "Slice":
        sliced, (kind, conv) = off, _made(n, off.p.input[0])
    else:
        conv = off
    if kind != "Conv" or conv.x() != n.x() or conv.const(1) is None:
        return False
    folded.append(conv.p.output[0])
    if sliced is not None:
        folded.append(sliced.p.output[0])
    if mask_name:
        mkind, sig = _made(n, mask_name)
        if ONNX_OPS.get(mkind) != T.sigmoid:
            return False
        skind, msl = _made(n, sig.p.input[0])
        if skind != "Slice" or msl.p.input[0] != conv.p.output[0]:
            return False
        folded += [sig.p.output[0], msl.p.output[0]]
    elif sliced is not None:
        return False
    kh, kw = w.shape[2:]
    group, og = n.a("group", 1), n.a("offset_group", 1)
    cw = conv.const(1)
    need = (3 if mask_name else 2) * og * kh * kw
    strides, dil = n.a("strides") or [1, 1], n.a("dilations") or [1, 1]
    pads = n.a("pads") or [0, 0, 0, 0]
    if cw.shape[0] != need or pads[:2] != pads[2:] or list(cw.shape[2:]) != [kh, kw] or \
            (conv.a("strides") or [1, 1]) != strides or (conv.a("pads") or [0] * 4) != pads:
        return False
    keys = {n.s.alias.get(o) for o in folded}
    net = n.s.net
    if any(k is None or k not in net.ops for k in keys):
        return False
    cb = conv.const(2)
    weights = {"weight": w, "offset_conv.weight": cw,
               "offset_conv.bias": cb if cb is not None else np.zeros(cw.shape[0], "f")}
    if b is not None:
        weights["bias"] = b
    from .params import conv_params
    p = conv_params(w.shape[0], (kh, kw), strides, pads[:2], dil, group, b is not None)
    if og != 1:
        p["offset_groups"] = og
    if mask_name:
        p["modulated"] = True
    path = conv.path.rpartition(".")[0] if conv.path.endswith("offset_conv") else n.path
    n.path, n.owned = path, bool(path)
    key = n.emit(T.deform_conv, p, [n.x()], weights)
    net.fold(keys, key, "offset conv of the deformable conv")


#: the handler of each type that ONNX ops always map to (catalogue ONNX_OPS)
BY_TYPE = {T.concat: _concat, T.add: _binary(T.add), T.multiply: _binary(T.multiply),
           T.pad: _pad, T.upsample: _resize, T.dropout: _dropout, T.deform_conv: _deform}
#: ONNX op type -> handler, for the ops whose type depends on their attributes
MORE = {"Split": _split, "Slice": _slice, "Identity": _identity}
