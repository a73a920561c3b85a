"""Graph parameters from a source's settings, defaults left out (torch-free).

Shared by the readers of :mod:`.fx_modules`, :mod:`.fx_ops` and :mod:`.onnx_ops`.
"""

from __future__ import annotations

__all__ = ["compact", "conv_params", "bn_params", "pool_params"]


def compact(values):
    """``[3, 3]`` -> ``3``; unequal values stay a list (readable graph files)."""
    if isinstance(values, str):
        return values
    values = [int(v) for v in values] if isinstance(values, (list, tuple)) else [int(values)]
    return values[0] if len(set(values)) == 1 else values


def conv_params(out_ch, kernel, stride, padding, dilation, groups, bias, output_padding=None,
                padding_mode="zeros") -> dict:
    """Graph parameters of a convolution (defaults left out)."""
    n = len(kernel)

    def seq(v):
        return list(v) if isinstance(v, (list, tuple)) else [v] * n
    p = {"out_channels": int(out_ch), "kernel_size": compact(list(kernel))}
    if seq(stride) != [1] * n:
        p["stride"] = compact(seq(stride))
    if isinstance(padding, str):
        p["padding"] = padding
    elif seq(padding) != [0] * n:
        p["padding"] = compact(seq(padding))
    if output_padding is not None and seq(output_padding) != [0] * n:
        p["output_padding"] = compact(seq(output_padding))
    if seq(dilation) != [1] * n:
        p["dilation"] = compact(seq(dilation))
    if groups != 1:
        p["groups"] = int(groups)
    if not bias:
        p["bias"] = False
    if padding_mode != "zeros":
        p["padding_mode"] = padding_mode
    return p


def bn_params(eps, momentum) -> dict:
    p = {}
    if eps != 1e-5:
        p["eps"] = float(eps)
    if momentum is not None and momentum != 0.1:
        p["momentum"] = float(momentum)
    return p


def pool_params(kernel, stride, padding, dilation, ceil_mode) -> dict:
    k = compact(kernel)
    p = {"kernel_size": k}
    if stride not in (None, [], ()) and compact(stride) != k:
        p["stride"] = compact(stride)
    if compact(padding) != 0:
        p["padding"] = compact(padding)
    if dilation is not None and compact(dilation) != 1:
        p["dilation"] = compact(dilation)
    if ceil_mode:
        p["ceil_mode"] = True
    return p
