"""How module calls become graph types (imports torch): ``torch.nn`` layers and the
modules of :mod:`engine.nnlib`'s names (code that ``main.py export`` wrote).

Each handler takes the context, the module and the call's arguments, emits ops with
the module's own ``state_dict`` as weights (the runtime builds the same module for the
type, so the keys match) and returns None, or False when the module's settings are
outside what the type expresses.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from ..catalogue.interchange import NNLIB_STRUCTURE, T, module_type, ranked
from .fold import se_reduction
from .fx_ctx import Args, Ctx, is_finite
from .params import bn_params, compact, conv_params, pool_params

__all__ = ["MODULES", "NNLIB_LEAVES", "conv_params", "bn_params", "pool_params"]


def _state(mod: nn.Module) -> dict:
    """The module's state dict, detached (``import_model`` copies every weight once)."""
    return {k: v.detach() for k, v in mod.state_dict().items()}


def _x(ctx: Ctx, a: Args):
    return a.t("input")


def _conv(ctx, mod, a):
    transposed = isinstance(mod, nn.modules.conv._ConvTransposeNd)
    dims = mod.weight.dim() - 2
    if _x(ctx, a) is None or dims not in (2, 3) or len(a.node.args) != 1 or a.node.kwargs:
        return False
    if transposed and mod.padding_mode != "zeros":
        return False
    p = conv_params(mod.out_channels, mod.kernel_size, mod.stride, mod.padding,
                    mod.dilation, mod.groups, mod.bias is not None,
                    mod.output_padding if transposed else None,
                    "zeros" if transposed else mod.padding_mode)
    ctx.emit(ranked("conv_transpose" if transposed else "conv", dims), p, [_x(ctx, a)],
             weights=_state(mod))


def _bn(ctx, mod, a):
    dims = {nn.BatchNorm2d: 2, nn.BatchNorm3d: 3}.get(type(mod))
    if _x(ctx, a) is None or not dims or not mod.affine or not mod.track_running_stats:
        return False
    note = "" if mod.momentum is not None else "momentum None (cumulative) taken as 0.1"
    ctx.emit(ranked("batch_norm", dims), bn_params(mod.eps, mod.momentum), [_x(ctx, a)],
             weights=_state(mod), note=note)


def _linear(ctx, mod, a):
    if _x(ctx, a) is None or a.tv().dim() != 2:
        return False
    ctx.emit(T.linear, {"out_features": mod.out_features, "bias": mod.bias is not None},
             [_x(ctx, a)], weights=_state(mod))


def _act(ctx, mod, a):
    if _x(ctx, a) is None:
        return False
    ctx.emit(module_type(mod), {}, [_x(ctx, a)])


def _hardtanh(ctx, mod, a):
    if _x(ctx, a) is None or (mod.min_val, mod.max_val) != (0.0, 6.0):
        return False
    ctx.emit(module_type(mod), {}, [_x(ctx, a)])


def _leaky(ctx, mod, a):
    s = mod.negative_slope
    if _x(ctx, a) is None or not 0 <= s <= 1:
        return False
    ctx.emit(module_type(mod), {} if s == 0.01 else {"negative_slope": float(s)}, [_x(ctx, a)])


def _gelu(ctx, mod, a):
    if _x(ctx, a) is None or mod.approximate != "none":
        return False
    ctx.emit(module_type(mod), {}, [_x(ctx, a)])


def _softmax(ctx, mod, a):
    r = a.tv().dim() if _x(ctx, a) else 0
    d = mod.dim if mod.dim is None or mod.dim >= 0 else mod.dim + r
    if r not in (2, 4, 5) or d != 1:
        return False
    ctx.emit(module_type(mod), {}, [_x(ctx, a)])


def _pool(ctx, mod, a):
    op = "Max" if isinstance(mod, (nn.MaxPool2d, nn.MaxPool3d)) else "Avg"
    dims = 3 if isinstance(mod, (nn.MaxPool3d, nn.AvgPool3d)) else 2
    if _x(ctx, a) is None or getattr(mod, "return_indices", False):
        return False
    if op == "Avg" and (not mod.count_include_pad or mod.divisor_override):
        if compact(mod.padding) != 0 or mod.divisor_override:
            return False
    p = pool_params(_seq(mod.kernel_size, dims), _seq(mod.stride, dims),
                    _seq(mod.padding, dims),
                    _seq(mod.dilation, dims) if op == "Max" else None, mod.ceil_mode)
    ctx.emit(ranked("max_pool" if op == "Max" else "avg_pool", dims), p, [_x(ctx, a)])


def _seq(v, n):
    if v is None:
        return None
    return list(v) if isinstance(v, (list, tuple)) else [v] * n


def _adaptive(ctx, mod, a):
    dims = 3 if isinstance(mod, nn.AdaptiveAvgPool3d) else 2
    size = _seq(mod.output_size, dims)
    if _x(ctx, a) is None or None in size:
        return False
    ctx.emit(ranked("adaptive_avg_pool", dims), {"output_size": compact(size)}, [_x(ctx, a)])


def _upsample(ctx, mod, a):
    from .fx_ops import upsample
    scale = None if getattr(mod, "recompute_scale_factor", None) else mod.scale_factor
    return upsample(ctx, _x(ctx, a), a.tv(), ctx.out(), mod.mode, mod.align_corners, scale)


def _pad(mode):
    def handle(ctx, mod, a):
        pads = list(mod.padding)
        if _x(ctx, a) is None or len(pads) != 4 or min(pads) < 0 or a.tv().dim() != 4:
            return False
        p = {"padding": compact(pads)}
        if mode != "constant":
            p["mode"] = mode
        value = float(getattr(mod, "value", 0.0))
        if mode == "constant" and value != 0.0:
            p["value"] = value if is_finite(value) else ("-inf" if value < 0 else "inf")
        ctx.emit(module_type(mod), p, [_x(ctx, a)])
    return handle


def _dropout(ctx, mod, a):
    if _x(ctx, a) is None:
        return False
    ctx.emit(module_type(mod), {} if mod.p == 0.5 else {"p": float(mod.p)}, [_x(ctx, a)])


def _identity(ctx, mod, a):
    if _x(ctx, a) is None:
        return False
    ctx.same(a.raw["input"])


def _flatten(ctx, mod, a):
    from .fx_ops import FUNCTIONS
    if mod.start_dim != 1 or mod.end_dim != -1:
        return False
    return FUNCTIONS["view"](ctx, a)


def _shuffle(ctx, mod, a):
    if _x(ctx, a) is None:
        return False
    ctx.emit(module_type(mod), {"groups": int(mod.groups)}, [_x(ctx, a)])


# -- the modules of engine.nnlib's names (exported code defines them) -------------------
def _se(ctx, mod, a):
    r = se_reduction(mod.fc1.in_channels, mod.fc1.out_channels)
    if _x(ctx, a) is None or r is None:
        return False
    ctx.emit(T.se, {"reduction": r}, [_x(ctx, a)], weights=_state(mod))


def _dsconv(ctx, mod, a):
    dw, pw = mod.depthwise, mod.pointwise
    p = conv_params(pw.out_channels, dw.kernel_size, dw.stride, dw.padding, dw.dilation, 1,
                    dw.bias is not None)
    p.pop("bias", None)
    p["bias"] = dw.bias is not None
    mult = dw.out_channels // dw.in_channels
    if mult != 1:
        p["depth_multiplier"] = mult
    ctx.emit(T.depthwise_separable, p, [_x(ctx, a)], weights=_state(mod))


def _ssconv(ctx, mod, a):
    ch, cw = mod.conv_h, mod.conv_w
    pad = ch.padding if isinstance(ch.padding, str) else (ch.padding[0], cw.padding[1])
    p = conv_params(cw.out_channels, (ch.kernel_size[0], cw.kernel_size[1]),
                    (ch.stride[0], cw.stride[1]), pad, (ch.dilation[0], cw.dilation[1]), 1,
                    ch.bias is not None)
    ctx.emit(T.spatially_separable, p, [_x(ctx, a)], weights=_state(mod))


def _deform(ctx, mod, a):
    pad = "same" if mod.pre_pad is not None else mod.padding
    p = conv_params(mod.weight.shape[0], mod.kernel_size, mod.stride, pad, mod.dilation,
                    mod.groups, mod.bias is not None)
    if mod.offset_groups != 1:
        p["offset_groups"] = mod.offset_groups
    if mod.modulated:
        p["modulated"] = True
    ctx.emit(T.deform_conv, p, [_x(ctx, a)], weights=_state(mod))


def _crop(ctx, mod, a):
    keys = [k for k in (a.t("input"), a.t("other")) if k]
    p = {}
    if mod.size is not None:
        p["size"] = compact(mod.size)
    if mod.offset is not None:
        p["offset"] = list(mod.offset)
    ctx.emit(T.crop, p, keys)


def _slice(ctx, mod, a):
    p = {"start": mod.start} if mod.stop is None else {"start": mod.start, "stop": mod.stop}
    ctx.emit(T.channel_slice, p, [_x(ctx, a)])


def _has(*names):
    return lambda m: all(hasattr(m, n) for n in names)


#: class names of engine.nnlib whose modules stay leaves, when they have its structure
NNLIB_LEAVES = {name: _has(*attrs) for name, attrs in NNLIB_STRUCTURE.items()}

#: (class or engine.nnlib class name, handler), first match wins
MODULES = (
    (nn.modules.conv._ConvNd, _conv), ((nn.BatchNorm2d, nn.BatchNorm3d), _bn),
    (nn.Linear, _linear),
    ((nn.ReLU6, nn.ReLU, nn.Sigmoid, nn.Tanh, nn.SiLU, nn.Hardswish, nn.Hardsigmoid), _act),
    (nn.Hardtanh, _hardtanh), (nn.LeakyReLU, _leaky), (nn.GELU, _gelu),
    (nn.Softmax, _softmax),
    ((nn.MaxPool2d, nn.MaxPool3d, nn.AvgPool2d, nn.AvgPool3d), _pool),
    ((nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d), _adaptive), (nn.Upsample, _upsample),
    (nn.ZeroPad2d, _pad("constant")), (nn.ConstantPad2d, _pad("constant")),
    (nn.ReflectionPad2d, _pad("reflect")), (nn.ReplicationPad2d, _pad("replicate")),
    (nn.CircularPad2d, _pad("circular")),
    ((nn.Dropout, nn.Dropout2d, nn.Dropout3d), _dropout), (nn.Identity, _identity),
    (nn.Flatten, _flatten), (nn.ChannelShuffle, _shuffle),
    (T.se, _se), (T.depthwise_separable, _dsconv), (T.spatially_separable, _ssconv),
    (T.deform_conv, _deform), (T.crop, _crop), (T.channel_slice, _slice),
)

_ = torch  # the handlers receive torch tensors
