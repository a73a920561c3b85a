"""The matmuls of the deformable convolution, each on the route that is faster here.

:func:`_deform_mm` is the one place where :mod:`engine.deform` multiplies: the
forward (im2col rows times the weight), the input gradient (output gradient
times the weight) and the weight gradient (output gradient times the im2col).
In float32 on CPU each can run as ``torch.mm`` (MKL) or as a oneDNN 1x1
convolution, and which is faster depends on the CPU and the shape:

- oneDNN reorders the whole weight on every call, so with few rows (batch 1 at
  7 x 7: 49 rows against 512 x 4,608 weights) ``mm`` took 0.5-0.7x its time on
  one AMD EPYC, while with thousands of rows oneDNN was 5-15% faster;
- on another AMD EPYC, MKL's ``mm`` took 1.4-2.8x the time of oneDNN at the
  same shapes.

So the first call of each shape (and thread count) times both routes, twice
each, keeps the faster one for the rest of the process (as cuDNN's benchmark
mode does) and answers with that route's own result: within a process a
shape always takes the same route, hence the same bits. Small matmuls (under
4 M multiply-adds), other dtypes and devices always take ``mm``.

Self-contained (``time``, ``torch``, ``F``; top-level ``_deform*`` functions):
the exporter copies it into model files with :mod:`engine.deform`.
"""

import time

import torch
import torch.nn.functional as F

__all__ = []


def _deform_mm(how, rows, weight, other=None):
    """One weight group's matmul (``weight`` ``[C_out, K * C_in]``, contiguous ``rows``):
    ``"forward"`` rows @ ``weight.T`` + bias ``other``, ``"input"`` rows @ ``weight``,
    ``"weight"`` ``other.T @ rows``; on the route :func:`_deform_routes` holds for its
    shape, chosen by timing on the shape's first call."""
    if rows.device.type != "cpu" or rows.dtype != torch.float32 or \
            len(rows) * weight.numel() < 1 << 22:  # a convolution costs ~15 us more
        return _deform_run("mm", how, rows, weight, other)
    routes = _deform_routes()
    key = (how, tuple(rows.shape), tuple(weight.shape), other is None,
           torch.get_num_threads())
    route = routes.get(key)
    if route is not None:
        return _deform_run(route, how, rows, weight, other)
    best, answer = {}, {}
    for _ in range(2):  # the first oneDNN call also makes its primitive
        for name in ("dnn", "mm"):
            start = time.perf_counter()
            answer[name] = _deform_run(name, how, rows, weight, other)
            best[name] = min(best.get(name, 1e9), time.perf_counter() - start)
    route = min(best, key=best.get)
    if len(routes) >= 4096:  # shapes seen by one process are few; never grow unbounded
        routes.clear()
    routes[key] = route
    return answer[route]


def _deform_routes():
    """The route per matmul shape in this process: ``{(how, rows shape, weight shape,
    no bias, threads): "mm" or "dnn"}``."""
    return _deform_routes.__dict__.setdefault("table", {})


def _deform_run(route, how, rows, weight, other):
    """:func:`_deform_mm` by ``route``: ``"mm"`` (``torch.mm`` / ``addmm``) or ``"dnn"``,
    1x1 convolutions of the rows as a channels-last ``[1, X, q, 1]`` image, dilated (1,
    2): a no-op that has torch take oneDNN on one thread too (its im2col + mm is 2x
    slower)."""
    if route == "mm":
        if how == "forward":
            return rows @ weight.t() if other is None else torch.addmm(other, rows, weight.t())
        return rows @ weight if how == "input" else other.t() @ rows
    q, x, d = rows.shape[0], rows.shape[1], (1, 2)
    if how == "weight":  # the q rows as input channels: oneDNN's weight gradient is slow
        return F.conv2d(rows.view(1, q, x, 1), other.t().reshape(-1, q, 1, 1),
                        dilation=d)[0, :, :, 0]
    image, kernel = rows.view(1, q, 1, x).permute(0, 3, 1, 2), weight.reshape(len(weight), -1, 1, 1)
    out = F.conv2d(image, kernel, other, dilation=d) if how == "forward" else \
        F.conv_transpose2d(image, kernel, dilation=d)
    return out.permute(0, 2, 3, 1).reshape(q, out.shape[1])
