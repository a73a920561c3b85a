"""Deformable convolution (DCN v1 / v2) in pure torch.

:func:`deform_conv2d` has the signature, layout and results of ``torchvision.ops.deform_conv2d``
(its CPU kernel's bilinear sampling); a custom autograd Function gives the gradients.

Self-contained (``math``, ``torch``, ``F``, :mod:`engine.deform_sampling` and
:mod:`engine.deform_mm`; top-level ``_deform*`` helpers): the exporter copies the three
into model files.  Measured and tried: ``bench/deform.py``, docs/benchmarks.md.

Forward.  The input is copied once into a channels-last table with a two-pixel zero
border; the four corner rows and bilinear weights of every sample are computed for all
channels of its offset group at once, in the offsets' layout, then put in im2col order
(:mod:`engine.deform_sampling`).  ``F.embedding_bag(mode="sum", per_sample_weights=...)``
blends the rows into im2col chunks of ~8 MB (4 MB in the backward); one matmul per weight
group finishes (weight or im2col reordered, whichever is smaller): with one weight group
in float32 on CPU, ``mm`` or a oneDNN 1x1 convolution, whichever the first call of the
shape found faster (:mod:`engine.deform_mm`).  Under autocast it runs in float32, as
torchvision's.

Backward (:func:`_deform_backward`), per chunk: the im2col is gathered again for the
weight gradient (``go^T @ cols``); ``go @ W`` gives every sample's gradient row, which the
input gradient pulls back with the same weights (one radix sort of the samples by chunk
and first corner row, then ``embedding_bag``); offsets and mask get theirs from the four
corners dotted with that row (``_embedding_bag_per_sample_weights_backward``).
"""

import math

import torch
import torch.nn.functional as F

from engine.deform_mm import _deform_mm
from engine.deform_sampling import _deform_sampling, _deform_table

__all__ = ["deform_conv2d"]


def _deform_pair(value, name, minimum):
    """``value`` (an int -- anything with ``__index__`` -- or a pair of them) as the pair
    ``(vertical, horizontal)``; ValueError, naming argument ``name``, if it is neither or
    below ``minimum``."""
    message = f"{name} must be an int or a pair of ints, got {value!r}"
    items = value.tolist() if isinstance(value, torch.Tensor) else value
    if hasattr(items, "__index__"):
        items = [items, items]
    try:
        items = list(items)
    except TypeError:
        raise ValueError(message) from None
    if len(items) == 1:
        items = items * 2
    if len(items) != 2 or any(isinstance(v, bool) or not hasattr(v, "__index__") for v in items):
        raise ValueError(message)
    pair = (items[0].__index__(), items[1].__index__())
    if min(pair) < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return pair


def _deform_check(input, offset, weight, bias, mask, stride, padding, dilation):
    """Validate the arguments of :func:`deform_conv2d` (``stride``, ``padding``,
    ``dilation`` normalised) and return ``(weight_groups, offset_groups, out_h, out_w)``.

    TypeError if a tensor argument is not a ``torch.Tensor``; ValueError on any
    inconsistency of ranks, shapes, dtypes or devices.
    """
    tensors = {"input": input, "offset": offset, "weight": weight}
    if bias is not None:
        tensors["bias"] = bias
    if mask is not None:
        tensors["mask"] = mask
    for name, t in tensors.items():
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    for name in ("input", "offset", "weight", "mask"):
        if name in tensors and tensors[name].dim() != 4:
            raise ValueError(f"{name} must be 4-D, got shape {tuple(tensors[name].shape)}")
    if bias is not None and bias.dim() != 1:
        raise ValueError(f"bias must be 1-D, got shape {tuple(bias.shape)}")
    if not input.is_floating_point():
        raise ValueError(f"input must be a floating-point tensor, got {input.dtype}")
    for name, t in tensors.items():
        if t.dtype != input.dtype:
            raise ValueError(f"{name} has dtype {t.dtype} but input has dtype {input.dtype}")
        if t.device != input.device:
            raise ValueError(f"{name} is on {t.device} but input is on {input.device}")

    n, c_in, h, w = input.shape
    c_out, c_per_group, kh, kw = weight.shape
    if kh == 0 or kw == 0:
        raise ValueError(f"weight has an empty kernel: shape {tuple(weight.shape)}")
    if c_in == 0:
        raise ValueError("input must have at least one channel")
    if c_per_group == 0 or c_in % c_per_group != 0:
        raise ValueError(f"input channels ({c_in}) must be a multiple of weight.shape[1] "
                         f"({c_per_group})")
    weight_groups = c_in // c_per_group
    if c_out == 0 or c_out % weight_groups != 0:
        raise ValueError(f"output channels ({c_out}) must be a positive multiple of the "
                         f"weight groups ({weight_groups} = {c_in} // {c_per_group})")
    if bias is not None and bias.shape[0] != c_out:
        raise ValueError(f"bias has {bias.shape[0]} elements but weight has {c_out} outputs")

    k = kh * kw
    if offset.shape[1] == 0 or offset.shape[1] % (2 * k) != 0:
        raise ValueError(f"offset.shape[1] ({offset.shape[1]}) must be a positive multiple "
                         f"of 2 * kh * kw = {2 * k}")
    offset_groups = offset.shape[1] // (2 * k)
    if c_in % offset_groups != 0:
        raise ValueError(f"input channels ({c_in}) must be a multiple of the offset groups "
                         f"({offset_groups})")
    out_h = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    out_w = (w + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    if out_h <= 0 or out_w <= 0:
        raise ValueError(f"output would be empty ({out_h} x {out_w}): input {h} x {w}, kernel "
                         f"{kh} x {kw}, stride {stride}, padding {padding}, dilation {dilation}")
    expected = (n, 2 * offset_groups * k, out_h, out_w)
    if tuple(offset.shape) != expected:
        raise ValueError(f"offset must have shape {expected}, got {tuple(offset.shape)}")
    if mask is not None:
        expected = (n, offset_groups * k, out_h, out_w)
        if tuple(mask.shape) != expected:
            raise ValueError(f"mask must have shape {expected}, got {tuple(mask.shape)}")
    return weight_groups, offset_groups, out_h, out_w


def _deform_chunk_positions(device, per_position, cpu_elements=1 << 20):
    """Output positions per chunk, given the im2col elements per position (``kh * kw *
    C_in``): about ``cpu_elements`` on CPU (4 MB of float32; the forward takes 8), 16 Mi
    elsewhere."""
    target = cpu_elements if device.type == "cpu" else 1 << 24
    return max(1, math.ceil(target / max(1, per_position)))


def _deform_matrices(weight, layout):
    """The weight as ``[groups, C_out / groups, K * C_in / groups]`` matrices (``layout =
    (K, groups, G, channel_major)``), columns (channel, kernel position) -- a view -- when
    ``channel_major``, else a copy: (offset group, kernel position, channel) with one
    weight group (the im2col needs no reordering), else (kernel position, channel)."""
    k, wg, og, channel_major = layout
    c_out, cpw = weight.shape[:2]
    if channel_major:
        return weight.reshape(wg, c_out // wg, cpw * k)
    if wg == 1:
        return weight.reshape(1, c_out, og, cpw // og, k).transpose(3, 4).reshape(1, c_out, -1)
    return weight.reshape(wg, c_out // wg, cpw, k).transpose(2, 3).flatten(2)


def _deform_group_cols(cols, q, layout):
    """im2col rows ``[q * G * K, C_in / G]`` (sample order) as ``[groups, q, K * C_in /
    groups]`` in the column order of :func:`_deform_matrices`; :func:`_deform_sample_rows`
    inverts it."""
    k, wg, og, channel_major = layout
    if channel_major:  # -> (channel, kernel position)
        return cols.view(q, og, k, -1).transpose(2, 3).reshape(q, wg, -1).transpose(0, 1)
    if wg == 1:
        return cols.view(1, q, -1)
    cols = cols.view(q, og, k, -1).transpose(1, 2).reshape(q, k, wg, -1)
    return cols.permute(2, 0, 1, 3).reshape(wg, q, -1)


def _deform_sample_rows(mats, q, layout):
    """``[groups, q, K * C_in / groups]`` back to ``[q * G * K, C_in / G]`` (sample order)."""
    k, wg, og, channel_major = layout
    if channel_major:  # [q, C_in, K] -> [q, G, K, C_in / G]
        mats = mats.view(wg, q, -1, k).transpose(0, 1).reshape(q, og, -1, k).transpose(2, 3)
    elif wg > 1:  # [q, K, C_in] -> [q, G, K, C_in / G]
        mats = mats.view(wg, q, k, -1).permute(1, 2, 0, 3).reshape(q, k, og, -1).transpose(1, 2)
    return mats.reshape(q * og * k, -1)


def _deform_weight_grad(grad_w, weight_shape, layout):
    """The weight gradient in :func:`_deform_matrices`' layout back to ``weight_shape``."""
    k, wg, og, channel_major = layout
    c_out, cpw = weight_shape[:2]
    if channel_major:
        return grad_w.reshape(weight_shape)
    if wg == 1:
        return grad_w.view(c_out, og, k, cpw // og).transpose(2, 3).reshape(weight_shape)
    return grad_w.view(c_out, k, cpw).transpose(1, 2).reshape(weight_shape)


def _deform_forward(ctx, input, offset, weight, bias, mask, geometry):
    """Forward of :func:`deform_conv2d` (also ``forward`` of its autograd Function).

    ``geometry`` is ``(stride, padding, dilation, weight_groups, offset_groups, out_h,
    out_w)``; ``ctx`` is the autograd context or None.  Returns ``[N, C_out, Ho, Wo]``.
    """
    stride, padding, dilation, wg, og, out_h, out_w = geometry
    n = input.shape[0]
    c_out, _, kh, kw = weight.shape
    k = kh * kw
    positions = n * out_h * out_w
    table = _deform_table(input, og)
    index, weights, frac, m = _deform_sampling(input, offset, mask, kh, kw, stride, padding,
                                               dilation, og)
    # Reorder whichever is smaller: the im2col matrix or the weight.
    layout = (k, wg, og, positions * wg < c_out)
    wmat = _deform_matrices(weight, layout)
    chunk = _deform_chunk_positions(input.device, k * input.shape[1], 1 << 21)
    out = input.new_empty((positions, c_out)) if wg > 1 or chunk < positions else None
    rows = k * og
    for q0 in range(0, positions, chunk):
        q1 = min(positions, q0 + chunk)
        cols = F.embedding_bag(index[q0 * rows : q1 * rows], table,
                               per_sample_weights=weights[q0 * rows : q1 * rows], mode="sum")
        cols = _deform_group_cols(cols, q1 - q0, layout)
        if wg == 1:  # [positions, K * C_in] @ [K * C_in, C_out]
            res = _deform_mm("forward", cols[0], wmat[0], bias)
            if out is None:  # one chunk: the result is the output
                out = res
            else:
                out[q0:q1] = res
        else:
            out[q0:q1].view(q1 - q0, wg, -1).copy_(torch.bmm(cols, wmat.mT).transpose(0, 1))
            if bias is not None:
                out[q0:q1] += bias
    if ctx is not None:
        ctx.geometry = geometry
        ctx.save_for_backward(input, weight, table, index, weights, frac, m)
    return out.view(n, out_h, out_w, c_out).permute(0, 3, 1, 2).contiguous()


def _deform_scatter(grad_table, keys, order, weights, grad_cols, shifts):
    """``grad_table[r + shifts[j]] += weights[s, j] * grad_cols[s]`` for every sample ``s``
    with first corner row ``r`` (the adjoint of the gather), given the first corner rows
    sorted (``keys``) and the samples in that ``order``."""
    lo, hi = int(keys[0]), int(keys[-1]) + 1
    bounds = torch.arange(lo, hi + 1, device=keys.device, dtype=keys.dtype)
    starts = torch.searchsorted(keys, bounds)
    s = keys.shape[0]
    # 4 sets of hi - lo + 1 bags (the last of each is empty).
    offsets = starts + torch.arange(0, 4 * s, s, device=keys.device).view(4, 1)
    pulled = F.embedding_bag(
        order.repeat(4), grad_cols, offsets.view(-1), mode="sum", include_last_offset=True,
        per_sample_weights=weights.index_select(0, order).t().reshape(-1),
    )
    span = hi - lo
    for j, shift in enumerate(shifts):
        grad_table[lo + shift : hi + shift] += pulled[j * (span + 1) : j * (span + 1) + span]


def _deform_backward(ctx, grad_out):
    """Backward of :func:`deform_conv2d`'s autograd Function (gradients of every tensor)."""
    input, weight, table, index, weights, frac, m = ctx.saved_tensors
    _, _, _, wg, og, out_h, out_w = ctx.geometry
    need_input, need_offset, need_weight, need_bias, need_mask = ctx.needs_input_grad[:5]
    need_mask = need_mask and m is not None
    n, c_in, h, w = input.shape
    c_out, _, kh, kw = weight.shape
    k = kh * kw
    positions = n * out_h * out_w
    layout = (k, wg, og, positions * wg < c_out)
    # contiguous rows (the gradient of a sum comes expanded: stride 0, slow to convolve)
    go = grad_out.permute(0, 2, 3, 1).contiguous().view(positions, wg, -1).transpose(0, 1)
    wmat = _deform_matrices(weight, layout)
    grad_w = None
    # dots[s, j]: corner j of sample s (y0x0, y0x1, y1x0, y1x1) dotted with its gradient.
    dots = input.new_empty(index.shape) if need_offset or need_mask else None
    chunk = _deform_chunk_positions(input.device, k * c_in)
    rows = k * og
    grad_table = None
    if need_input:
        grad_table = torch.zeros_like(table)
        # One sort by (chunk, first corner row) groups every chunk's samples by target row.
        # On CPU torch sorts 32 Ki keys or more by radix, 10x faster: 4-32 Ki keys are padded
        # with the largest key (real keys stay below it), which sorts last.
        per, s = chunk * rows, index.shape[0]
        parts = math.ceil(s / per)
        kdt = torch.int32 if parts * table.shape[0] < 2**31 - 1 else torch.int64
        part = torch.arange(parts, device=index.device, dtype=kdt) * table.shape[0]
        keys = index[:, 0] + part.repeat_interleave(per)[:s]
        if keys.device.type == "cpu" and 1 << 12 < s < 1 << 15:
            keys = torch.cat((keys, keys.new_full(((1 << 15) - s,), torch.iinfo(kdt).max)))
        keys, order = (t[:s] for t in torch.sort(keys))
    for q0 in range(0, positions, chunk):
        q1 = min(positions, q0 + chunk)
        a, b = q0 * rows, q1 * rows
        idx = index[a:b]
        goc = go[:, q0:q1]
        if need_weight:
            cols = F.embedding_bag(idx, table, per_sample_weights=weights[a:b], mode="sum")
            cols = _deform_group_cols(cols, q1 - q0, layout)
            part_w = (torch.bmm(goc.mT, cols) if wg > 1
                      else _deform_mm("weight", cols[0], wmat[0], goc[0]).unsqueeze(0))
            grad_w = part_w if grad_w is None else grad_w.add_(part_w)
        if grad_table is None and dots is None:
            continue
        gcols = (torch.bmm(goc, wmat) if wg > 1
                 else _deform_mm("input", goc[0], wmat[0]).unsqueeze(0))
        gcols = _deform_sample_rows(gcols, q1 - q0, layout)
        if grad_table is not None:
            _deform_scatter(grad_table, keys[a:b] - int(part[a // per]), order[a:b] - a,
                            weights[a:b], gcols, (0, og, (w + 4) * og, (w + 5) * og))
        if dots is not None:
            # = embedding_bag's gradient wrt per_sample_weights (4 samples a bag)
            bags = torch.arange(0, b - a, device=idx.device, dtype=idx.dtype)
            dots[a:b] = torch.ops.aten._embedding_bag_per_sample_weights_backward(
                gcols, table, idx.reshape(-1), bags * 4, bags.repeat_interleave(4), 0, -1
            ).view(-1, 4)
    grads = [None] * 6
    if need_input:
        inner = grad_table.view(n, h + 4, w + 4, c_in)[:, 2 : h + 2, 2 : w + 2]
        grads[0] = inner.permute(0, 3, 1, 2).contiguous()
    if dots is not None:
        # [N * P * G * K, 4] -> [N, G, K, 4, P], the offsets' layout (that of frac and m)
        p = out_h * out_w
        d = dots.view(n, p, -1).transpose(1, 2).to(frac.dtype).reshape(n, og, k, 4, p)
        d = d.unbind(3)
        ly, lx = frac[:, :, :, 0], frac[:, :, :, 1]
        hy, hx = 1 - ly, 1 - lx
        if need_offset:
            gy = hx * (d[2] - d[0]) + lx * (d[3] - d[1])
            gx = hy * (d[1] - d[0]) + ly * (d[3] - d[2])
            g2 = torch.stack((gy, gx), 3)
            g2 = g2 if m is None else g2 * m[:, :, :, None]
            grads[1] = g2.reshape(n, 2 * og * k, out_h, out_w).to(grad_out.dtype)
        if need_mask:
            gm = hy * (hx * d[0] + lx * d[1]) + ly * (hx * d[2] + lx * d[3])
            grads[4] = gm.reshape(n, og * k, out_h, out_w).to(grad_out.dtype)
    if need_weight:
        grads[2] = _deform_weight_grad(grad_w, weight.shape, layout)
    if need_bias:
        grads[3] = grad_out.sum((0, 2, 3))
    return tuple(grads)


def _deform_function():
    """The ``torch.autograd.Function`` of :func:`deform_conv2d`, created once."""
    cls = getattr(_deform_function, "cls", None)
    if cls is None:
        backward = torch.autograd.function.once_differentiable(_deform_backward)
        cls = type("DeformConv2dFunction", (torch.autograd.Function,), {
            "forward": staticmethod(_deform_forward), "backward": staticmethod(backward),
        })
        _deform_function.cls = cls
    return cls


def deform_conv2d(input, offset, weight, bias=None, stride=(1, 1), padding=(0, 0),
                  dilation=(1, 1), mask=None):
    """Deformable 2-D convolution, a drop-in for ``torchvision.ops.deform_conv2d``.

    Output position ``(y, x)`` with kernel position ``(i, j)`` samples the input
    bilinearly at ``(y * sh - ph + i * dh + dy, x * sw - pw + j * dw + dx)``;
    samples with a coordinate ``<= -1`` or ``>= H`` (``W``) read 0, and so does
    every corner outside the image.  With ``mask`` (DCN v2) each sample is
    scaled by its mask value.  The samples are then convolved with ``weight``.

    Parameters
    ----------
    input : Tensor
        ``[N, C_in, H, W]``, floating point.
    offset : Tensor
        ``[N, 2 * G * kh * kw, Ho, Wo]``.  For offset group ``g`` and kernel
        position ``k = i * kw + j``, channel ``g * 2 * kh * kw + 2 * k`` is the
        vertical offset ``dy`` and the next one the horizontal offset ``dx``.
        Input channel ``c`` belongs to group ``c // (C_in // G)``.
    weight : Tensor
        ``[C_out, C_in // groups, kh, kw]``; ``groups = C_in // weight.shape[1]``
        (independent of the offset groups ``G``).
    bias : Tensor, optional
        ``[C_out]``.
    stride, padding, dilation : int or tuple of int, optional
        As for ``torch.nn.functional.conv2d``.
    mask : Tensor, optional
        ``[N, G * kh * kw, Ho, Wo]``, channel ``g * kh * kw + k``.

    Returns
    -------
    Tensor
        ``[N, C_out, Ho, Wo]`` with ``Ho = (H + 2 ph - dh (kh - 1) - 1) // sh + 1``
        (and likewise ``Wo``).

    Raises
    ------
    TypeError
        If ``input``, ``offset``, ``weight``, ``bias`` or ``mask`` is not a tensor.
    ValueError
        If the shapes, dtypes or devices of the arguments are inconsistent, or
        ``stride`` / ``padding`` / ``dilation`` are invalid.

    Notes
    -----
    Pure torch ops only, on any device torch supports.  A custom autograd Function
    gives the gradients to ``input``, ``offset``, ``mask``, ``weight`` and ``bias``
    (once differentiable, like torchvision's).
    """
    if isinstance(input, torch.Tensor) and torch.is_autocast_enabled(input.device.type):
        low = [t.float() if isinstance(t, torch.Tensor) and t.dtype in (torch.float16,
               torch.bfloat16) else t for t in (input, offset, weight, bias, mask)]
        with torch.autocast(input.device.type, enabled=False):  # float32, as torchvision
            return deform_conv2d(*low[:4], stride, padding, dilation, low[4]).to(input.dtype)
    stride = _deform_pair(stride, "stride", 1)
    padding = _deform_pair(padding, "padding", 0)
    dilation = _deform_pair(dilation, "dilation", 1)
    weight_groups, offset_groups, out_h, out_w = _deform_check(input, offset, weight, bias, mask,
                                                               stride, padding, dilation)
    n, c_out = input.shape[0], weight.shape[0]
    if n * out_h * out_w == 0:
        out = input.new_zeros((n, c_out, out_h, out_w))
        return out if bias is None else out + bias.view(1, -1, 1, 1)
    geometry = (stride, padding, dilation, weight_groups, offset_groups, out_h, out_w)
    tensors = [t for t in (input, offset, weight, bias, mask) if t is not None]
    if torch.is_grad_enabled() and any(t.requires_grad for t in tensors):
        return _deform_function().apply(input, offset, weight, bias, mask, geometry)
    return _deform_forward(None, input, offset, weight, bias, mask, geometry)
