"""The built-in generated data sets ``shapes`` and ``shapes-seg`` (no download).

Self-contained (numpy only): the exported training script carries a
verbatim copy, so a model trained there sees exactly the engine's images.

Every image holds one shape of :data:`SHAPE_CLASSES` (circle, square,
triangle, cross, in that order; classes balanced) at a random position, size
(circumradius 18-38 % of the smaller side), rotation and colour, drawn
anti-aliased over clutter (a background colour with a gradient, three thin
lines and four dots of random colours) and Gaussian noise (sigma 0.02-0.08),
at any size and channel count. ``shapes-seg`` is the same scenes, with
per-pixel labels: 0 background, 1-4 the shape (a pixel counts when the shape
covers at least half of it); clutter is background.

Determinism: the training and validation sets come from two independent
streams of :class:`numpy.random.SeedSequence` ``[seed, 0]`` and ``[seed, 1]``,
so for one seed they are fixed, and never the same images. Images are made
in chunks of about 2**20 pixels with vectorised numpy (no per-pixel Python):
about 0.1 s per 1000 images of 32 x 32 x 3.
"""

from __future__ import annotations

import math

import numpy as np

SHAPE_CLASSES = ("circle", "square", "triangle", "cross")
SEG_CLASSES = ("background", *SHAPE_CLASSES)


def shapes_split_sizes(samples):
    """``(train, val)`` image counts: ``samples`` and a quarter as many more (>= 1)."""
    return int(samples), max(1, int(samples) // 4)


def make_shapes(samples, channels, height, width, seed=0):
    """The ``shapes`` / ``shapes-seg`` training and validation sets.

    Parameters
    ----------
    samples : int
        Training images; validation gets ``samples // 4`` (at least 1).
    channels, height, width : int
        The Input's size.
    seed : int, optional
        Fixes both sets.

    Returns
    -------
    dict
        ``train`` and ``val``, each ``(images, labels, masks)``: uint8
        ``[N, C, H, W]``, int64 ``[N]`` (0-3) and uint8 ``[N, H, W]`` (0-4).
    """
    n_train, n_val = shapes_split_sizes(samples)
    out = {}
    for name, n, stream in (("train", n_train, 0), ("val", n_val, 1)):
        rng = np.random.default_rng(np.random.SeedSequence([int(seed), stream]))
        out[name] = draw_shapes(rng, n, channels, height, width)
    return out


def draw_shapes(rng, n, channels, height, width):
    """``n`` scenes from the generator ``rng``: ``(images, labels, masks)``."""
    labels = rng.permutation(np.arange(n) % len(SHAPE_CLASSES)).astype(np.int64)
    images = np.empty((n, channels, height, width), np.uint8)
    masks = np.empty((n, height, width), np.uint8)
    chunk = max(1, (1 << 20) // (height * width))
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        img, mask = _draw_chunk(rng, labels[start:stop], channels, height, width)
        images[start:stop] = img
        masks[start:stop] = mask
    return images, labels, masks


def _blend(img, alpha, colour):
    """``img = img * (1 - alpha) + colour * alpha`` in place; alpha ``[B, H, W]``."""
    a = alpha[:, None]
    img *= 1.0 - a
    img += colour[:, :, None, None] * a


def _shape_sdf(cls, u, v):
    """Signed distance (in circumradii) to the boundary of one class's shape."""
    if cls == 0:  # circle
        return np.sqrt(u * u + v * v) - 0.85
    if cls == 1:  # square, half side 0.7
        return np.maximum(np.abs(u), np.abs(v)) - 0.7
    if cls == 2:  # equilateral triangle, circumradius 1.15 (inradius 0.575)
        d = None
        for k in range(3):
            a = math.pi / 2 + 2 * math.pi * k / 3
            e = u * math.cos(a) + v * math.sin(a)
            d = e if d is None else np.maximum(d, e)
        return d - 0.575
    au, av = np.abs(u), np.abs(v)  # cross: two bars 2 x 0.56
    return np.minimum(np.maximum(au - 1.0, av - 0.28), np.maximum(au - 0.28, av - 1.0))


def _draw_chunk(rng, labels, channels, height, width):
    b = len(labels)
    f32 = np.float32
    ys = np.arange(height, dtype=f32)[None, :, None] + 0.5
    xs = np.arange(width, dtype=f32)[None, None, :] + 0.5
    side = min(height, width)

    # background: a colour with a gentle gradient
    bg = rng.random((b, channels), dtype=f32)
    grad = rng.uniform(-0.25, 0.25, (b, 2, channels)).astype(f32)
    gy = (ys / height - 0.5)[..., None].transpose(0, 3, 1, 2)  # [1, 1, H, 1]
    gx = (xs / width - 0.5)[..., None].transpose(0, 3, 1, 2)   # [1, 1, 1, W]
    img = (bg[:, :, None, None] + grad[:, 0, :, None, None] * gy
           + grad[:, 1, :, None, None] * gx).astype(f32)

    # clutter: three thin lines, four dots
    for _ in range(3):
        p = rng.random((b, 4), dtype=f32) * np.array([height, width, height, width], f32)
        col = rng.random((b, channels), dtype=f32)
        y0, x0, y1, x1 = (p[:, i, None, None] for i in range(4))
        dy, dx = y1 - y0, x1 - x0
        t = np.clip(((ys - y0) * dy + (xs - x0) * dx) / (dy * dy + dx * dx + 1e-6), 0, 1)
        dist = np.hypot(ys - (y0 + t * dy), xs - (x0 + t * dx))
        _blend(img, np.clip(1.0 - dist / 0.8, 0, 1) * 0.8, col)
    for _ in range(4):
        c = rng.random((b, 2), dtype=f32) * np.array([height, width], f32)
        rad = rng.uniform(0.6, 1.4, b).astype(f32)[:, None, None]
        col = rng.random((b, channels), dtype=f32)
        dist = np.hypot(ys - c[:, 0, None, None], xs - c[:, 1, None, None])
        _blend(img, np.clip(rad + 0.5 - dist, 0, 1), col)

    # the shape: size, position, rotation, a colour that stands out
    r = (rng.uniform(0.18, 0.38, b) * side).astype(f32)
    cy = rng.uniform(r, height - r).astype(f32)
    cx = rng.uniform(r, width - r).astype(f32)
    theta = rng.uniform(0, 2 * math.pi, b).astype(f32)
    fg = rng.random((b, channels), dtype=f32)
    base = img.mean(axis=(2, 3))
    weak = np.abs(fg - base).mean(axis=1) < 0.3
    push = rng.uniform(0.35, 0.6, (b, channels)).astype(f32)
    fg = np.where(weak[:, None], np.where(base > 0.5, base - push, base + push), fg)
    fg = np.clip(fg, 0, 1)
    rr, cc, ss = r[:, None, None], np.cos(theta)[:, None, None], np.sin(theta)[:, None, None]
    dy = (ys - cy[:, None, None]) / rr
    dx = (xs - cx[:, None, None]) / rr
    u = dx * cc + dy * ss
    v = dy * cc - dx * ss
    alpha = np.empty((b, height, width), f32)
    for k in range(len(SHAPE_CLASSES)):
        sel = labels == k
        if sel.any():
            sdf = _shape_sdf(k, u[sel], v[sel])
            alpha[sel] = np.clip(0.5 - sdf * rr[sel], 0, 1)
    _blend(img, alpha, fg)

    sigma = rng.uniform(0.02, 0.08, b).astype(f32)[:, None, None, None]
    img += rng.standard_normal(img.shape, dtype=f32) * sigma
    images = np.clip(np.rint(img * 255.0), 0, 255).astype(np.uint8)
    masks = np.where(alpha >= 0.5, (labels + 1)[:, None, None], 0).astype(np.uint8)
    return images, masks
