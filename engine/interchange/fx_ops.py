"""How traced calls become graph types (imports torch): functions, methods, ATen ops.

Each handler takes the :class:`~.fx_ctx.Ctx` and the call's :class:`~.fx_ctx.Args`,
emits ops and returns None, or returns False when the call is outside what its type
expresses (the reader then makes it ``Opaque``). Shapes, sizes and slice bounds are
read from the traced values, so shape arithmetic in the user's code needs no mapping.
Module calls are in :mod:`.fx_modules`.
"""

from __future__ import annotations

import torch

from ..catalogue.interchange import FUNCTIONS as FUNCTION_TYPES
from ..catalogue.interchange import T, ranked
from .fx_ctx import Args, Ctx, is_finite
from .fx_modules import MODULES, NNLIB_LEAVES
from .fx_slices import aten_slice, getitem, split
from .params import bn_params, compact, conv_params, pool_params

__all__ = ["FUNCTIONS", "MODULES", "NNLIB_LEAVES", "METHOD_ALIASES", "Args", "Ctx"]

#: other spellings of a handler name
METHOD_ALIASES = {"concat": "cat", "concatenate": "cat", "_softmax": "softmax",
                  "clamp_min": "clamp", "clip": "clamp", "multiply": "mul",
                  "_native_batch_norm_legit_no_training": "batch_norm_tuple",
                  "native_channel_shuffle": "channel_shuffle", "swish": "silu",
                  "tensor_split": "split_opaque", "unsafe_split": "split",
                  "_adaptive_avg_pool2d": "adaptive_avg_pool2d"}

IDENTITY = ("contiguous", "clone", "detach", "alias", "lift_fresh_copy", "_assert_tensor_metadata")


def _dim(d, rank):
    return d + rank if isinstance(d, int) and d < 0 else d


def _unary(type_):
    def handle(ctx, a):
        x = a.t()
        if x is None:
            return False
        ctx.emit(type_, {}, [x])
    return handle


def _identity(ctx, a):
    x = a.t()
    if x is None:
        return False
    v, out = a.tv(), ctx.out()
    if not isinstance(out, torch.Tensor) or out.dtype != v.dtype or out.shape != v.shape:
        return False
    ctx.same(a.raw["input"])


def _to(ctx, a):
    return _identity(ctx, a)


def _hardtanh(ctx, a):
    lo = a.v("min_val", -1.0) if a.has("min_val") else a.v("min", None)
    hi = a.v("max_val", 1.0) if a.has("max_val") else a.v("max", None)
    x = a.t()
    if x is None:
        return False
    if lo == 0 and hi == 6:
        return ctx.emit(T.relu6, {}, [x])
    if lo == 0 and hi is None:
        return ctx.emit(T.relu, {}, [x])
    return False


def _leaky(ctx, a):
    slope = a.v("negative_slope", 0.01)
    if a.t() is None or not is_finite(slope) or not 0 <= slope <= 1:
        return False
    ctx.emit(T.leaky_relu, {"negative_slope": float(slope)}, [a.t()])


def _gelu(ctx, a):
    if a.t() is None or a.v("approximate", "none") != "none":
        return False
    ctx.emit(T.gelu, {}, [a.t()])


def _softmax(ctx, a):
    v = a.tv()
    if a.t() is None or v.dim() not in (2, 4, 5) or _dim(a.v("dim"), v.dim()) != 1:
        return False
    ctx.emit(T.softmax, {}, [a.t()])


def _merge(type_, pending):
    def handle(ctx, a):
        x, y = a.t("input"), a.t("other")
        if x is None or y is None or a.v("alpha", 1) != 1:
            return False
        xv, yv = a.tv("input"), a.tv("other")
        if xv.shape == yv.shape:
            return ctx.emit(type_, {}, [x, y])
        if pending:  # a per-channel scale (SE gate): may fold
            return ctx.emit("~bmul", {}, [x, y])
        return False
    return handle


def _cat(ctx, a):
    tensors = a.raw.get("tensors") or a.raw.get("input")
    if not isinstance(tensors, (list, tuple)):
        return False
    keys = [ctx.key_of(t) for t in tensors]
    out = ctx.out()
    if None in keys or _dim(a.v("dim", 0), out.dim()) != 1:
        return False
    if len(keys) == 1:
        return ctx.same(tensors[0])
    ctx.emit(T.concat, {}, keys)


def _reshape(ctx, a):
    x, v, out = a.t(), a.tv(), ctx.out()
    if x is None or not isinstance(out, torch.Tensor) or out.shape[:1] != v.shape[:1]:
        return False
    if out.shape == v.shape:
        return ctx.same(a.raw["input"])
    if out.dim() == 2:
        return ctx.emit(T.flatten, {}, [x])
    ctx.emit("~reshape", {}, [x], attrs={"shape": tuple(out.shape[1:])})


def _flatten(ctx, a):
    v = a.tv()
    if a.t() is None or _dim(a.v("start_dim", 0), v.dim()) != 1:
        return False
    return _reshape(ctx, a)


def _transpose(ctx, a):
    v = a.tv()
    if a.t() is None:
        return False
    r = v.dim()
    if a.has("dims"):
        perm = [_dim(d, r) for d in a.v("dims")]
    else:
        perm = list(range(r))
        i, j = _dim(a.v("dim0"), r), _dim(a.v("dim1"), r)
        perm[i], perm[j] = perm[j], perm[i]
    if perm[0] != 0:
        return False
    if perm == list(range(r)):
        return ctx.same(a.raw["input"])
    ctx.emit("~transpose", {}, [a.t()], attrs={"perm": tuple(perm)})


def _mean(ctx, a):
    v = a.tv()
    dims = a.v("dim")
    dims = [dims] if isinstance(dims, int) else list(dims or [])
    r = v.dim() if a.t() else 0
    dims = sorted(_dim(d, r) for d in dims)
    if r not in (4, 5) or dims != list(range(2, r)):
        return False
    kind = ranked("adaptive_avg_pool", r - 2)
    if a.v("keepdim", False):
        return ctx.emit(kind, {"output_size": 1}, [a.t()])
    gap = ctx.emit(kind, {"output_size": 1}, [a.t()], key=ctx.node.name + "__pool",
                   shape=(v.shape[1],) + (1,) * (r - 2), final=False)
    ctx.emit(T.flatten, {}, [gap])


def _adaptive(ctx, a):
    v, size = a.tv(), a.v("output_size")
    if a.t() is None or size is None or (isinstance(size, (list, tuple)) and None in size):
        return False
    ctx.emit(ranked("adaptive_avg_pool", v.dim() - 2), {"output_size": compact(size)}, [a.t()])


def _pool(op):
    def handle(ctx, a):
        if a.t() is None or a.v("return_indices", False) or a.v("divisor_override"):
            return False
        if op == "Avg" and not a.v("count_include_pad", True):
            return False
        p = pool_params(a.v("kernel_size"), a.v("stride"), a.v("padding", 0),
                        a.v("dilation", 1) if op == "Max" else None, a.v("ceil_mode", False))
        ctx.emit(ranked("max_pool" if op == "Max" else "avg_pool", 2), p, [a.t()])
    return handle


def _max_pool_tuple(ctx, a):  # aten max_pool2d_with_indices: values only
    p = pool_params(a.v("kernel_size"), a.v("stride"), a.v("padding", 0), a.v("dilation", 1),
                    a.v("ceil_mode", False))
    key = ctx.emit(ranked("max_pool", 2), p, [a.t()], shape=ctx.out()[0].shape[1:])
    ctx.tuples[ctx.node] = {0: key}


def upsample(ctx, x, v, out, mode, align, scale):
    if x is None or mode not in ("nearest", "bilinear", "bicubic", "trilinear"):
        return False
    if mode == "nearest":
        align = None
    p = {"mode": mode} if mode != "nearest" else {}
    if align is not None:
        p["align_corners"] = bool(align)
    ins, outs = tuple(v.shape[2:]), tuple(out.shape[2:])
    scales = scale if isinstance(scale, (list, tuple)) else [scale] * len(ins)
    if scale is not None and len(set(scales)) == 1 and all(
            int(n * scales[0]) == o for n, o in zip(ins, outs, strict=True)):
        p["scale_factor"] = float(scales[0])
    else:
        p["size"] = compact(list(outs))
    ctx.emit(T.upsample, p, [x])


def _interpolate(ctx, a):
    if a.v("antialias", False):
        return False
    scale = None if a.v("recompute_scale_factor") else a.v("scale_factor")
    return upsample(ctx, a.t(), a.tv(), ctx.out(), a.v("mode", "nearest"),
                    a.v("align_corners"), scale)


def _aten_upsample(mode):
    def handle(ctx, a):
        return upsample(ctx, a.t(), a.tv(), ctx.out(), mode, a.v("align_corners"),
                        a.v("scale_factors"))
    return handle


def _pad(ctx, a):
    pads, v = list(a.v("pad") or []), a.tv()
    mode = a.v("mode", "constant") or "constant"
    value = a.v("value", None)
    value = 0.0 if value is None else float(value)
    if a.t() is None or v.dim() != 4 or len(pads) not in (2, 4) or min(pads) < 0:
        return False
    if mode not in ("constant", "reflect", "replicate", "circular"):
        return False
    pads = pads + [0, 0] * ((4 - len(pads)) // 2)
    p = {"padding": compact(pads)}
    if mode != "constant":
        p["mode"] = mode
    elif value != 0.0:
        p["value"] = value if is_finite(value) else ("-inf" if value < 0 else "inf")
    ctx.emit(T.pad, p, [a.t()])


def _weights(ctx, a, names):
    out = {}
    for arg, key in names:
        raw = a.raw.get(arg)
        if raw is None:
            continue
        value = ctx.value(raw)
        if not isinstance(value, torch.Tensor) or ctx.param_path(raw) is None:
            return None
        out[key] = value.detach().clone()
    return out


def _conv(ctx, a, transposed=False):
    w = _weights(ctx, a, (("weight", "weight"), ("bias", "bias")))
    if a.t() is None or not w or "weight" not in w:
        return False
    weight = w["weight"]
    groups = a.v("groups", 1)
    out_ch = weight.shape[1] * groups if transposed else weight.shape[0]
    p = conv_params(out_ch, weight.shape[2:], a.v("stride", 1), a.v("padding", 0),
                    a.v("dilation", 1), groups, "bias" in w,
                    a.v("output_padding", 0) if transposed else None)
    dims = weight.dim() - 2
    kind = ranked("conv_transpose" if transposed else "conv", dims)
    ctx.emit(kind, p, [a.t()], weights=w, path=ctx.param_path(a.raw["weight"]))


def _convolution(ctx, a):
    return _conv(ctx, a, bool(a.v("transposed", False)))


def _linear(ctx, a):
    w = _weights(ctx, a, (("weight", "weight"), ("bias", "bias")))
    if a.t() is None or not w or a.tv().dim() != 2:
        return False
    ctx.emit(T.linear, {"out_features": int(w["weight"].shape[0]), "bias": "bias" in w},
             [a.t()], weights=w, path=ctx.param_path(a.raw["weight"]))


def _batch_norm(ctx, a, tuple_out=False):
    w = _weights(ctx, a, (("weight", "weight"), ("bias", "bias"),
                          ("running_mean", "running_mean"), ("running_var", "running_var")))
    v = a.tv()
    if a.t() is None or not w or len(w) != 4 or a.v("training", False) or v.dim() not in (4, 5):
        return False
    path = ctx.param_path(a.raw["weight"])
    nbt = _find(ctx, path + ".num_batches_tracked")
    w["num_batches_tracked"] = nbt if nbt is not None else torch.tensor(0)
    p = bn_params(a.v("eps", 1e-5), a.v("momentum", 0.1))
    key = ctx.emit(ranked("batch_norm", v.dim() - 2), p, [a.t()], weights=w, path=path,
                   shape=v.shape[1:])
    if tuple_out:
        ctx.tuples[ctx.node] = {0: key}


def _find(ctx, dotted):
    obj = ctx.gm
    for part in dotted.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj.detach().clone() if isinstance(obj, torch.Tensor) else None


def _dropout(ctx, a):
    p = a.v("p", 0.5)
    if a.t() is None or not is_finite(p) or not 0 <= p <= 1:
        return False
    ctx.emit(T.dropout, {"p": float(p)}, [a.t()])


def _shuffle(ctx, a):
    if a.t() is None:
        return False
    ctx.emit(T.channel_shuffle, {"groups": int(a.v("groups"))}, [a.t()])


FUNCTIONS = {
    **{k: _unary(t) for k, t in FUNCTION_TYPES.items()},
    **{k: _identity for k in IDENTITY}, "to": _to, "float": _to, "type_as": _to,
    "hardtanh": _hardtanh, "clamp": _hardtanh, "leaky_relu": _leaky, "gelu": _gelu,
    "softmax": _softmax, "add": _merge(T.add, False), "mul": _merge(T.multiply, True),
    "cat": _cat, "view": _reshape, "reshape": _reshape, "_unsafe_view": _reshape,
    "flatten": _flatten, "transpose": _transpose, "permute": _transpose,
    "chunk": split, "split": split, "split_with_sizes": split, "getitem": getitem,
    "mean": _mean, "adaptive_avg_pool2d": _adaptive, "adaptive_avg_pool3d": _adaptive,
    "max_pool2d": _pool("Max"), "avg_pool2d": _pool("Avg"),
    "max_pool2d_with_indices": _max_pool_tuple, "interpolate": _interpolate,
    "upsample_nearest2d": _aten_upsample("nearest"),
    "upsample_bilinear2d": _aten_upsample("bilinear"),
    "upsample_bicubic2d": _aten_upsample("bicubic"), "pad": _pad, "constant_pad_nd": _pad,
    "conv2d": _conv, "conv3d": _conv,
    "conv_transpose2d": lambda c, a: _conv(c, a, True), "convolution": _convolution,
    "linear": _linear, "batch_norm": _batch_norm,
    "batch_norm_tuple": lambda c, a: _batch_norm(c, a, True), "dropout": _dropout,
    "channel_shuffle": _shuffle, "slice": aten_slice,
}
