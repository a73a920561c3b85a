"""Where the deformable convolution samples: the input table and every sample's corners.

:func:`_deform_table` copies the input once into a channels-last table with a
two-pixel zero border; :func:`_deform_sampling` computes the four corner rows
of that table and the bilinear weights of every sample, for all channels of
its offset group at once, in the offsets' layout (clamped coordinates read
border rows: nothing is masked), then puts them in im2col order for
:mod:`engine.deform`'s ``embedding_bag``.  The undeformed sample grid and the
corner shifts depend on the geometry only: they are made once per geometry
(:func:`_deform_kept`), which saved ~66 us (22 ATen calls) a call, 3-5% of a
batch-1 forward at ResNet sizes.

Self-contained (``torch``; top-level ``_deform*`` functions): the exporter
copies it into model files with :mod:`engine.deform`.
"""

import torch

__all__ = []


def _deform_table(input, offset_groups):
    """The input ``[N, C, H, W]`` as ``[N * (H + 4) * (W + 4) * G, C // G]``: row ``((n * (H
    + 4) + y + 2) * (W + 4) + x + 2) * G + g`` holds group ``g``'s channels at pixel ``(y,
    x)`` of image ``n``; the two-pixel border is zero."""
    n, c, h, w = input.shape
    table = input.new_zeros((n * (h + 4) * (w + 4) * offset_groups, c // offset_groups))
    table.view(n, h + 4, w + 4, c)[:, 2 : h + 2, 2 : w + 2] = input.permute(0, 2, 3, 1)
    return table


def _deform_im2col_order(native, n, p):
    """``[N, G, K, X, P]`` (the offsets' layout) as ``[N * P * G * K, X]``: one blocked
    transpose puts the samples in im2col order (batch, position, offset group, kernel)."""
    return native.view(n, -1, p).transpose(1, 2).reshape(-1, native.shape[3]).contiguous()


def _deform_sampling(input, offset, mask, kh, kw, stride, padding, dilation, offset_groups):
    """Corner rows and bilinear weights of every sample (arguments as for
    :func:`deform_conv2d`, normalised).

    Returns ``(index, weights, frac, m)``: in im2col order (``S = N * Ho * Wo * G * K``),
    ``index [S, 4]`` the four corners' rows in :func:`_deform_table` (int32 when it fits)
    and ``weights [S, 4]`` their bilinear weights times the mask (input's dtype); in the
    offsets' layout, ``frac [N, G, K, 2, Ho * Wo]`` the fractional parts of row and column
    (at least float32) and ``m [N, G, K, Ho * Wo]`` the mask (or None).  Coordinates are
    clamped to ``[-2, H]`` (NaN to -2) before the floor: a sample with ``y < -1`` or ``y >=
    H`` (read as 0 by torchvision) has both corner rows in the border; ``y == -1`` reads the
    border and row 0 (weight 0), so that its offset gradient is torchvision's one-sided one.
    """
    n, _, h, w = input.shape
    out_h, out_w = offset.shape[2], offset.shape[3]
    k, g, p = kh * kw, offset_groups, out_h * out_w
    dev = input.device
    cdt = torch.promote_types(offset.dtype, torch.float32)
    base = _deform_kept(_deform_base, out_h, out_w, kh, kw, stride, padding, dilation, cdt, dev)
    pos = torch.empty((n, g, k, 2, p), device=dev, dtype=cdt)
    torch.add(offset.reshape(n, g, k, 2, p), base.view(k, 2, p), out=pos).nan_to_num_(nan=-2.0)
    if h == w:
        pos.clamp_(-2, h)
    else:
        pos[:, :, :, 0].clamp_(-2, h)
        pos[:, :, :, 1].clamp_(-2, w)
    low = pos.floor()
    frac = pos.sub_(low)
    # [N, G, K, (y, x), (1 - f, f), P]; the mask scales the row factors
    fac = torch.empty((n, g, k, 2, 2, p), device=dev, dtype=cdt)
    torch.sub(1, frac, out=fac[:, :, :, :, 0])
    fac[:, :, :, :, 1] = frac
    m = None
    if mask is not None:
        m = mask.reshape(n, g, k, p).to(cdt)
        fac[:, :, :, 0] *= m.unsqueeze(3)
    bilinear = torch.empty((n, g, k, 2, 2, p), device=dev, dtype=cdt)
    torch.mul(fac[:, :, :, 0].unsqueeze(4), fac[:, :, :, 1].unsqueeze(3), out=bilinear)
    weights = _deform_im2col_order(bilinear.view(n, g, k, 4, p), n, p).to(input.dtype)

    hp, wp = h + 4, w + 4
    idt = torch.int32 if n * hp * wp * g < 2**31 else torch.int64
    corner = low.to(idt)
    r0 = corner[:, :, :, 0] * (wp * g)
    r0.add_(corner[:, :, :, 1], alpha=g)
    shifts = _deform_kept(_deform_shifts, n, g, hp, wp, idt, dev)
    rows = torch.empty((n, g, k, 4, p), device=dev, dtype=idt)
    torch.add(r0.unsqueeze(3), shifts, out=rows)
    return _deform_im2col_order(rows, n, p), weights, frac, m


def _deform_base(out_h, out_w, kh, kw, stride, padding, dilation, dtype, device):
    """``[kh, kw, 2, Ho, Wo]``: the undeformed sample coordinates (row, column) of every
    kernel position and output position."""
    ys = torch.arange(out_h, device=device, dtype=dtype) * stride[0] - padding[0]
    xs = torch.arange(out_w, device=device, dtype=dtype) * stride[1] - padding[1]
    ki = torch.arange(kh, device=device, dtype=dtype) * dilation[0]
    kj = torch.arange(kw, device=device, dtype=dtype) * dilation[1]
    base = torch.empty((kh, kw, 2, out_h, out_w), device=device, dtype=dtype)
    base[:, :, 0] = ys.view(1, 1, out_h, 1) + ki.view(kh, 1, 1, 1)
    base[:, :, 1] = xs.view(1, 1, 1, out_w) + kj.view(1, kw, 1, 1)
    return base


def _deform_shifts(n, g, hp, wp, dtype, device):
    """``[N, G, 1, 4, 1]``: what turns the first corner's row of a sample of image ``n``,
    group ``g`` into each corner's row of :func:`_deform_table` (``hp`` x ``wp`` pixels)."""
    return (torch.arange(n, device=device, dtype=dtype).view(n, 1, 1, 1, 1) * (hp * wp * g)
            + torch.arange((2 * wp + 2) * g, (2 * wp + 3) * g, device=device,
                           dtype=dtype).view(g, 1, 1, 1)
            + torch.tensor([0, g, wp * g, (wp + 1) * g], device=device, dtype=dtype).view(4, 1))


def _deform_kept(make, *key):
    """``make(*key)``, a tensor that depends on the geometry only, made once per geometry:
    kept while the kept tensors hold at most 4 M elements (a new one past that starts
    again).  Read only: never written in place."""
    kept = _deform_kept.__dict__.setdefault("table", {})
    got = kept.get((make.__name__, *key))
    if got is None:
        got = make(*key)
        if sum(t.numel() for t in kept.values()) + got.numel() > 1 << 22:
            kept.clear()
        kept[(make.__name__, *key)] = got
    return got
