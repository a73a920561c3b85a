"""Deformable convolution (DCN v1 / v2) in pure torch.

:func:`deform_conv2d` has exactly the signature, tensor layout and results of
``torchvision.ops.deform_conv2d`` (bilinear sampling as in torchvision's CPU
kernel), without needing torchvision.  Gradients to every tensor argument come
from autograd.

This module is self-contained on purpose: it imports only ``math``, ``torch``
and ``torch.nn.functional``, and its private helpers are top-level functions
named ``_deform*``, so that the code exporter can copy the function
definitions verbatim into standalone model files.

How it works.  The input is copied once into a channels-last table
``[N * G * (H + 2) * (W + 2) + W + 4, C_in / G]`` (``G`` offset groups) with a
one-pixel zero border and zero rows at the end.  The four corner rows and the
bilinear weights of every sample (batch, output position, kernel position,
offset group) are computed once, shared by all channels of the group: corners
outside the image fall on the zero border and samples outside it point at the
zero rows, so the data is never masked.  ``F.embedding_bag(mode="sum",
per_sample_weights=...)`` then gathers and blends the four rows in one fused
pass, giving the im2col matrix directly as ``[positions, kh * kw * C_in]``,
and one matmul per weight group (``addmm`` / ``baddbmm``, bias fused) gives
the output.  The work is cut into chunks of about 2 MB of im2col: besides
staying in cache, this keeps every temporary below glibc's mmap threshold;
a fresh 38 MB im2col matrix costs more in page faults than the whole gather.

Variants measured (``bench/deform.py`` geometry: 64 -> 64 channels, 128 x 128,
3 x 3, padding 1, batch 1, float32, 2 threads, 2-core VM, forward without
grad; ratio of medians to ``F.conv2d``, 7.2-7.5 ms):

- ``F.grid_sample`` of the whole map, then one matmul: 9.1x (grid_sample runs
  in parallel only over the batch).
- Whole-map gathers, then the 4-corner weighted sum: rows of 2x2
  neighbourhoods ``[H*W, 4*C]`` + ``bmm`` 16x; channels-first
  ``index_select`` along dim 1: 38x; sparse CSR ``[samples, H*W]`` (4
  nonzeros a row) @ table: 7.5x.
- Chunked (the big win, see above): 4 ``index_select`` + ``addcmul_`` 4.1x;
  2x2 neighbourhood rows + ``mul``/``sum`` 7.6x; CSR 5.9x; ``grid_sample``
  with the channels split into 2 batch entries 3.9x (and not exact:
  coordinates go through normalisation).
- Chunked ``embedding_bag`` + matmul (kept): 2.0-2.6x, with grad enabled
  2.3-2.6x (occasional runs up to 3.8x); forward + backward 4.2x.
  ``[positions, K*C] @ [K*C, C_out]`` beat the transposed product by ~15 %;
  1-2 MB chunks beat 0.1-0.5 MB (2.8-5.6x) and 4 MB ones.
"""

import math

import torch
import torch.nn.functional as F

__all__ = ["deform_conv2d"]


def _deform_pair(value, name, minimum):
    """Normalise an int-or-pair argument to a pair of ints.

    Parameters
    ----------
    value : int or sequence of int
        The argument as given (anything with ``__index__`` counts as an int).
    name : str
        Argument name, for error messages.
    minimum : int
        Smallest allowed value.

    Returns
    -------
    tuple of int
        ``(vertical, horizontal)``.

    Raises
    ------
    ValueError
        If ``value`` is not an int or a pair of ints, or is below ``minimum``.
    """
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
    """Validate the arguments of :func:`deform_conv2d` and derive the geometry.

    Parameters
    ----------
    input, offset, weight, bias, mask : Tensor or None
        As for :func:`deform_conv2d`.
    stride, padding, dilation : tuple of int
        Normalised pairs.

    Returns
    -------
    tuple of int
        ``(weight_groups, offset_groups, out_h, out_w)``.

    Raises
    ------
    TypeError
        If a tensor argument is not a ``torch.Tensor``.
    ValueError
        On any inconsistency of ranks, shapes, dtypes or devices.
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
            raise ValueError(
                f"{name} must be 4-D, got shape {tuple(tensors[name].shape)}"
            )
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
        raise ValueError(
            f"input channels ({c_in}) must be a multiple of weight.shape[1] ({c_per_group})"
        )
    weight_groups = c_in // c_per_group
    if c_out == 0 or c_out % weight_groups != 0:
        raise ValueError(
            f"output channels ({c_out}) must be a positive multiple of the "
            f"weight groups ({weight_groups} = {c_in} // {c_per_group})"
        )
    if bias is not None and bias.shape[0] != c_out:
        raise ValueError(f"bias has {bias.shape[0]} elements but weight has {c_out} outputs")

    k = kh * kw
    if offset.shape[1] == 0 or offset.shape[1] % (2 * k) != 0:
        raise ValueError(
            f"offset.shape[1] ({offset.shape[1]}) must be a positive multiple of "
            f"2 * kh * kw = {2 * k}"
        )
    offset_groups = offset.shape[1] // (2 * k)
    if c_in % offset_groups != 0:
        raise ValueError(
            f"input channels ({c_in}) must be a multiple of the offset groups ({offset_groups})"
        )
    out_h = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    out_w = (w + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    if out_h <= 0 or out_w <= 0:
        raise ValueError(
            f"output would be empty ({out_h} x {out_w}): input {h} x {w}, kernel {kh} x {kw}, "
            f"stride {stride}, padding {padding}, dilation {dilation}"
        )
    expected = (n, 2 * offset_groups * k, out_h, out_w)
    if tuple(offset.shape) != expected:
        raise ValueError(f"offset must have shape {expected}, got {tuple(offset.shape)}")
    if mask is not None:
        expected = (n, offset_groups * k, out_h, out_w)
        if tuple(mask.shape) != expected:
            raise ValueError(f"mask must have shape {expected}, got {tuple(mask.shape)}")
    return weight_groups, offset_groups, out_h, out_w


def _deform_table(input, offset_groups):
    """Copy the input into a zero-bordered channels-last gather table.

    Parameters
    ----------
    input : Tensor
        ``[N, C, H, W]``.
    offset_groups : int
        Number of offset groups ``G``.

    Returns
    -------
    Tensor
        ``[N * G * (H + 2) * (W + 2) + W + 4, C // G]``: row
        ``((n * G + g) * (H + 2) + y + 1) * (W + 2) + x + 1`` holds the channels
        of group ``g`` at pixel ``(y, x)`` of image ``n``; the one-pixel border
        and the ``W + 4`` rows at the end are zero.
    """
    n, c, h, w = input.shape
    cpg = c // offset_groups
    xp = F.pad(input, (1, 1, 1, 1)).reshape(n * offset_groups, cpg, (h + 2) * (w + 2))
    return torch.cat((xp.transpose(1, 2).reshape(-1, cpg), input.new_zeros((w + 4, cpg))))


def _deform_sampling(input, offset, mask, kh, kw, stride, padding, dilation, offset_groups):
    """Corner rows and bilinear weights of every sample.

    Parameters
    ----------
    input : Tensor
        ``[N, C, H, W]`` (only its shape, dtype and device are used).
    offset : Tensor
        ``[N, 2 * G * kh * kw, Ho, Wo]`` in torchvision's layout.
    mask : Tensor or None
        ``[N, G * kh * kw, Ho, Wo]``.
    kh, kw : int
        Kernel size.
    stride, padding, dilation : tuple of int
        Normalised pairs.
    offset_groups : int
        ``G``.

    Returns
    -------
    index : Tensor
        ``[N * Ho * Wo * kh * kw * G, 4]`` rows of the table from
        :func:`_deform_table` (int32 when it fits), ordered by batch, output
        position, kernel position, offset group; samples outside the image
        point at the zero rows at the end of the table.
    weights : Tensor
        Same shape, the bilinear weights (times the mask), in input's dtype.
    """
    n, _, h, w = input.shape
    out_h, out_w = offset.shape[2], offset.shape[3]
    k = kh * kw
    g = offset_groups
    p = out_h * out_w
    dev = input.device
    cdt = torch.promote_types(offset.dtype, torch.float32)
    # [2, N, P, K, G]: one copy puts the samples in im2col order.
    off = offset.reshape(n, g, k, 2, p).permute(3, 0, 4, 2, 1).to(cdt).contiguous()

    ys = torch.arange(out_h, device=dev, dtype=cdt) * stride[0] - padding[0]
    xs = torch.arange(out_w, device=dev, dtype=cdt) * stride[1] - padding[1]
    ki = torch.arange(kh, device=dev, dtype=cdt) * dilation[0]
    kj = torch.arange(kw, device=dev, dtype=cdt) * dilation[1]
    base_y = (ys.view(out_h, 1, 1, 1) + ki.view(1, 1, kh, 1)).expand(out_h, out_w, kh, kw)
    base_x = (xs.view(1, out_w, 1, 1) + kj.view(1, 1, 1, kw)).expand(out_h, out_w, kh, kw)
    py = off[0] + base_y.reshape(p, k, 1)
    px = off[1] + base_x.reshape(p, k, 1)

    # torchvision reads 0 where py <= -1; py == -1 is kept "inside" here (its value is
    # 0 anyway, through the zero border) so that the offset gradient there is the
    # one-sided derivative from inside the image, as in torchvision's backward kernel.
    valid = (py >= -1) & (py < h) & (px >= -1) & (px < w)
    y0 = torch.floor(py)
    x0 = torch.floor(px)
    # where(): infinite offsets would give inf - inf = NaN weights (NaN * 0 = NaN).
    ly = torch.where(valid, py - y0, 0.0)
    lx = torch.where(valid, px - x0, 0.0)
    hy = 1 - ly
    hx = 1 - lx
    if mask is not None:
        m = mask.reshape(n, g, k, p).permute(0, 3, 2, 1).to(cdt).contiguous()
        hy = hy * m
        ly = ly * m
    weights = torch.stack((hy * hx, hy * lx, ly * hx, ly * lx), -1).reshape(-1, 4)
    weights = weights.to(input.dtype)

    hp, wp = h + 2, w + 2
    zero_row = n * g * hp * wp
    idt = torch.int32 if zero_row + wp + 4 < 2**31 else torch.int64
    # Clamping keeps the integer conversion defined for far-out (or NaN) samples;
    # those are sent to the zero rows by the where below anyway.
    yi = y0.detach().clamp(-1, h).to(idt)
    xi = x0.detach().clamp(-1, w).to(idt)
    img = torch.arange(n * g, device=dev, dtype=idt).view(n, 1, 1, g) * (hp * wp) + (wp + 1)
    r0 = torch.where(valid, yi * wp + xi + img, zero_row).reshape(-1)
    index = torch.stack((r0, r0 + 1, r0 + wp, r0 + (wp + 1)), -1)
    return index, weights


def _deform_chunk_positions(device, per_position):
    """Number of output positions handled per chunk.

    Parameters
    ----------
    device : torch.device
        Where the computation runs.
    per_position : int
        Elements of the im2col matrix per output position (``kh * kw * C_in``).

    Returns
    -------
    int
        Chunk size in output positions: about 512 Ki im2col elements (2 MB in
        float32) on CPU, 16 Mi elements elsewhere.
    """
    target = 1 << 19 if device.type == "cpu" else 1 << 24
    return max(1, math.ceil(target / max(1, per_position)))


def deform_conv2d(
    input,
    offset,
    weight,
    bias=None,
    stride=(1, 1),
    padding=(0, 0),
    dilation=(1, 1),
    mask=None,
):
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
    Pure torch ops only: autograd provides the gradients to ``input``,
    ``offset``, ``mask``, ``weight`` and ``bias``, and the function runs on any
    device torch supports.
    """
    stride = _deform_pair(stride, "stride", 1)
    padding = _deform_pair(padding, "padding", 0)
    dilation = _deform_pair(dilation, "dilation", 1)
    weight_groups, offset_groups, out_h, out_w = _deform_check(
        input, offset, weight, bias, mask, stride, padding, dilation
    )
    n, c_in = input.shape[0], input.shape[1]
    c_out, c_per_group, kh, kw = weight.shape
    k = kh * kw
    positions = n * out_h * out_w
    if positions == 0:
        out = input.new_zeros((n, c_out, out_h, out_w))
        return out if bias is None else out + bias.view(1, -1, 1, 1)

    table = _deform_table(input, offset_groups)
    index, weights = _deform_sampling(
        input, offset, mask, kh, kw, stride, padding, dilation, offset_groups
    )
    rows_per_position = k * offset_groups
    cout_per_group = c_out // weight_groups
    # [groups, C_out / groups, K * C_in / groups], columns ordered (kernel pos, channel).
    wmat = weight.reshape(weight_groups, cout_per_group, c_per_group, k).transpose(2, 3)
    wmat = wmat.reshape(weight_groups, cout_per_group, k * c_per_group)
    bias_col = None if bias is None else bias.view(weight_groups, cout_per_group, 1)

    # Chunks of output positions keep each im2col block (~2 MB) in cache and
    # below glibc's mmap threshold.
    chunk = _deform_chunk_positions(input.device, k * c_in)
    outs = []
    for q0 in range(0, positions, chunk):
        q1 = min(positions, q0 + chunk)
        cols = F.embedding_bag(
            index[q0 * rows_per_position : q1 * rows_per_position],
            table,
            per_sample_weights=weights[q0 * rows_per_position : q1 * rows_per_position],
            mode="sum",
        )
        if weight_groups == 1:
            # [positions, K * C_in] @ [K * C_in, C_out]: faster than the transposed product.
            cols = cols.view(q1 - q0, k * c_in)
            if bias is None:
                o = torch.mm(cols, wmat[0].t())
            else:
                o = torch.addmm(bias, cols, wmat[0].t())
            outs.append(o.t())
        else:
            cols = cols.view(q1 - q0, k, weight_groups, c_per_group).permute(2, 1, 3, 0)
            cols = cols.reshape(weight_groups, k * c_per_group, q1 - q0)
            if bias_col is None:
                o = torch.bmm(wmat, cols)
            else:
                o = torch.baddbmm(bias_col, wmat, cols)
            outs.append(o.reshape(c_out, q1 - q0))
    out = outs[0] if len(outs) == 1 else torch.cat(outs, 1)
    return out.reshape(c_out, n, out_h, out_w).transpose(0, 1).contiguous()
