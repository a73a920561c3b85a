"""A slow reference of ``engine.deform.deform_conv2d`` written from the formulas, and
the argument factories of the deform tests (test_deform*.py)."""

import math

import torch

from engine.deform import deform_conv2d

# --------------------------------------------------------------------------- reference


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def ref_deform_conv2d(
    input, offset, weight, bias=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), mask=None
):
    """DCN v1 / v2 straight from the definition, with Python loops in float64.

    out[n, co, y, x] = bias[co] + sum_{ci, i, j} weight[co, ci, i, j]
                       * m[n, g, k, y, x] * bilinear(input[n, c], py, px)
    with c = (co // (C_out / groups)) * (C_in / groups) + ci, g = c // (C_in / G),
    k = i * kw + j, py = y * sh - ph + i * dh + dy[n, g, k, y, x] (likewise px), and
    bilinear() = 0 when py <= -1, py >= H, px <= -1 or px >= W, else the sum over the
    four neighbouring pixels inside the image of (1 - |py - yy|) (1 - |px - xx|) v[yy, xx].
    """
    sh, sw = pair(stride)
    ph, pw = pair(padding)
    dh, dw = pair(dilation)
    n_b, c_in, h, w = input.shape
    c_out, c_w, kh, kw = weight.shape
    groups = c_in // c_w
    k_n = kh * kw
    g_n = offset.shape[1] // (2 * k_n)
    ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    assert offset.shape == (n_b, 2 * g_n * k_n, ho, wo)
    x = input.double().tolist()
    off = offset.double().tolist()
    wt = weight.double().tolist()
    b = None if bias is None else bias.double().tolist()
    m = None if mask is None else mask.double().tolist()

    def bilinear(n, c, py, px):
        if py <= -1 or py >= h or px <= -1 or px >= w:
            return 0.0
        y0, x0 = math.floor(py), math.floor(px)
        total = 0.0
        for yy in (y0, y0 + 1):
            for xx in (x0, x0 + 1):
                if 0 <= yy < h and 0 <= xx < w:
                    total += (1 - abs(py - yy)) * (1 - abs(px - xx)) * x[n][c][yy][xx]
        return total

    out = [[[[0.0] * wo for _ in range(ho)] for _ in range(c_out)] for _ in range(n_b)]
    for n in range(n_b):
        for co in range(c_out):
            gw = co // (c_out // groups)
            for y in range(ho):
                for xo in range(wo):
                    acc = 0.0 if b is None else b[co]
                    for ci in range(c_w):
                        c = gw * c_w + ci
                        g = c // (c_in // g_n)
                        for i in range(kh):
                            for j in range(kw):
                                k = i * kw + j
                                dy = off[n][g * 2 * k_n + 2 * k][y][xo]
                                dx = off[n][g * 2 * k_n + 2 * k + 1][y][xo]
                                py = y * sh - ph + i * dh + dy
                                px = xo * sw - pw + j * dw + dx
                                v = bilinear(n, c, py, px)
                                if m is not None:
                                    v *= m[n][g * k_n + k][y][xo]
                                acc += wt[co][ci][i][j] * v
                    out[n][co][y][xo] = acc
    return torch.tensor(out, dtype=torch.float64).reshape(n_b, c_out, ho, wo)


# --------------------------------------------------------------------------- helpers


def out_size(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def make_args(
    n=2, c_in=4, c_out=6, h=5, w=6, kh=3, kw=3, groups=1, offset_groups=1,
    stride=1, padding=1, dilation=1, bias=True, mask=False, offset_kind="frac",
    dtype=torch.float64, seed=0,
):
    """Random arguments for one case; offset_kind picks how the offsets are drawn."""
    gen = torch.Generator().manual_seed(seed)
    s, p, d = pair(stride), pair(padding), pair(dilation)
    ho, wo = out_size(h, kh, s[0], p[0], d[0]), out_size(w, kw, s[1], p[1], d[1])
    k = kh * kw
    x = torch.randn(n, c_in, h, w, generator=gen, dtype=dtype)
    wt = torch.randn(c_out, c_in // groups, kh, kw, generator=gen, dtype=dtype)
    b = torch.randn(c_out, generator=gen, dtype=dtype) if bias else None
    shape = (n, 2 * offset_groups * k, ho, wo)
    if offset_kind == "frac":
        off = torch.randn(shape, generator=gen, dtype=dtype) * 1.5
    elif offset_kind == "int":
        off = torch.randint(-3, 4, shape, generator=gen).to(dtype)
    elif offset_kind == "far":
        off = (torch.rand(shape, generator=gen, dtype=dtype) - 0.5) * 400
    elif offset_kind == "zero":
        off = torch.zeros(shape, dtype=dtype)
    else:
        raise AssertionError(offset_kind)
    msk = torch.rand(n, offset_groups * k, ho, wo, generator=gen, dtype=dtype) if mask else None
    return dict(input=x, offset=off, weight=wt, bias=b, stride=stride, padding=padding,
                dilation=dilation, mask=msk)


def base_positions(kh, kw, ho, wo, stride, padding, dilation):
    """Un-deformed sampling positions [kh*kw, ho, wo] (rows, cols)."""
    s, p, d = pair(stride), pair(padding), pair(dilation)
    ys = torch.arange(ho, dtype=torch.float64) * s[0] - p[0]
    xs = torch.arange(wo, dtype=torch.float64) * s[1] - p[1]
    by = ys.view(1, 1, ho, 1) + (torch.arange(kh) * d[0]).view(kh, 1, 1, 1).double()
    bx = xs.view(1, 1, 1, wo) + (torch.arange(kw) * d[1]).view(1, kw, 1, 1).double()
    return (by.expand(kh, kw, ho, wo).reshape(kh * kw, ho, wo),
            bx.expand(kh, kw, ho, wo).reshape(kh * kw, ho, wo))


def check_reference(args, atol=1e-10, rtol=1e-10):
    got = deform_conv2d(**args)
    want = ref_deform_conv2d(**args)
    assert got.shape == want.shape
    assert got.dtype == args["input"].dtype
    assert got.is_contiguous()
    torch.testing.assert_close(got.double(), want, atol=atol, rtol=rtol)
    return got


def autograd_deform_conv2d(input, offset, weight, bias=None, stride=1, padding=0, dilation=1,
                           mask=None):
    """A plain differentiable version (advanced indexing + einsum, autograd for the
    gradients) with torchvision's border rules, to check the hand-written backward on
    sizes the loop reference is too slow for."""
    s, p, d = pair(stride), pair(padding), pair(dilation)
    n, c_in, h, w = input.shape
    c_out, c_w, kh, kw = weight.shape
    groups, k = c_in // c_w, kh * kw
    g = offset.shape[1] // (2 * k)
    ho, wo = offset.shape[2:]
    by, bx = base_positions(kh, kw, ho, wo, s, p, d)
    off = offset.view(n, g, k, 2, ho, wo)
    py = off[:, :, :, 0] + by.to(offset.dtype)  # [N, G, K, Ho, Wo]
    px = off[:, :, :, 1] + bx.to(offset.dtype)
    inside = (py >= -1) & (py < h) & (px >= -1) & (px < w)
    y0, x0 = py.detach().floor(), px.detach().floor()
    ly, lx = torch.where(inside, py - y0, 0.0), torch.where(inside, px - x0, 0.0)
    xg = input.view(n, g, c_in // g, h * w)
    cols = 0
    for yy, xx, wgt in ((y0, x0, (1 - ly) * (1 - lx)), (y0, x0 + 1, (1 - ly) * lx),
                        (y0 + 1, x0, ly * (1 - lx)), (y0 + 1, x0 + 1, ly * lx)):
        ok = inside & (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
        flat = torch.where(ok, yy * w + xx, 0).long().view(n, g, 1, -1)
        vals = torch.gather(xg, 3, flat.expand(n, g, c_in // g, flat.shape[-1]))
        cols = cols + vals * (wgt * ok).view(n, g, 1, -1)
    cols = cols.view(n, g, c_in // g, k, ho, wo)
    if mask is not None:
        cols = cols * mask.view(n, g, 1, k, ho, wo)
    cols = cols.reshape(n, groups, c_w * k, ho * wo)
    out = torch.einsum("gok,ngkp->ngop", weight.view(groups, c_out // groups, c_w * k), cols)
    out = out.reshape(n, c_out, ho, wo)
    return out if bias is None else out + bias.view(1, -1, 1, 1)


def fresh_table(monkeypatch, function, table=None):
    """Give ``function`` (a kernel helper that keeps a dict in ``function.table``) a fresh
    table for one test (``table``, else an empty dict), leaving the process' own alone;
    returns it."""
    table = {} if table is None else table
    monkeypatch.setattr(function, "table", table, raising=False)
    return table


class ForcedRoutes(dict):
    """A route table (``engine.deform_mm._deform_routes``) that holds ``route`` for every
    matmul shape, so that no shape is timed."""

    def __init__(self, route):
        super().__init__()
        self.route = route

    def get(self, key, default=None):
        return self.route
