"""``curves.png``: loss and accuracy per epoch, drawn with Pillow (no matplotlib).

Two panels side by side: loss (training and validation) on a linear axis from
0, accuracy (training and validation) from 0 to 1. Training lines are
solid blue, validation lines orange; every epoch is a dot, so a single epoch
still shows. The legends sit where the curves seldom go: top right for the
loss, bottom right for the accuracy. Torch-free.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from ..atomic import atomic_write

__all__ = ["draw_curves", "save_curves"]

WIDTH, HEIGHT = 960, 360
MARGIN = dict(left=58, right=16, top=46, bottom=40)
TRAIN, VAL = (31, 119, 180), (255, 127, 14)
GRID, AXIS, TEXT = (225, 225, 225), (90, 90, 90), (30, 30, 30)


def _nice_top(v: float) -> float:
    """The smallest 1, 2, 2.5 or 5 x 10^n at or above ``v`` (> 0)."""
    if not (v > 0 and math.isfinite(v)):
        return 1.0
    e = 10 ** math.floor(math.log10(v))
    return next(m * e for m in (1, 2, 2.5, 5, 10) if m * e >= v - 1e-12)


def _panel(draw, font, box, title, series, top, epochs, legend_low=False):
    x0, y0, x1, y1 = box
    draw.text((x0, y0 - 16), title, fill=TEXT, font=font)
    for i in range(5):
        v = top * i / 4
        y = y1 - (y1 - y0) * i / 4
        draw.line([(x0, y), (x1, y)], fill=GRID)
        draw.text((x0 - 6, y), f"{v:.3g}", fill=TEXT, font=font, anchor="rm")
    n = max(1, epochs)
    ticks = sorted({1, n, *range(1, n + 1, max(1, math.ceil(n / 8)))})

    def px(epoch):
        return x0 + (x1 - x0) * ((epoch - 1) / (n - 1) if n > 1 else 0.5)

    for e in ticks:
        draw.line([(px(e), y1), (px(e), y1 + 4)], fill=AXIS)
        draw.text((px(e), y1 + 6), str(e), fill=TEXT, font=font, anchor="ma")
    draw.text(((x0 + x1) / 2, y1 + 22), "epoch", fill=TEXT, font=font, anchor="ma")
    draw.rectangle(box, outline=AXIS)
    for _label, colour, values in series:
        pts = [(px(i + 1), y1 - (y1 - y0) * min(max(v / top, 0), 1))
               for i, v in enumerate(values) if v is not None and math.isfinite(v)]
        if len(pts) > 1:
            draw.line(pts, fill=colour, width=2, joint="curve")
        for x, y in pts:
            draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill=colour)
    lx = x1 - 150
    for j, (label, colour, _) in enumerate(series):
        ly = (y1 - 12 - 16 * (len(series) - 1 - j)) if legend_low else (y0 + 12 + 16 * j)
        draw.line([(lx, ly), (lx + 22, ly)], fill=colour, width=3)
        draw.text((lx + 28, ly), label, fill=TEXT, font=font, anchor="lm")


def draw_curves(epochs, title: str = "") -> Image.Image:
    """The picture for a list of epochs (objects or dicts with the metrics' fields)."""
    def get(e, k):
        return e[k] if isinstance(e, dict) else getattr(e, k)
    tl = [get(e, "train_loss") for e in epochs]
    vl = [get(e, "val_loss") for e in epochs]
    ta = [get(e, "train_acc") for e in epochs]
    va = [get(e, "val_acc") for e in epochs]
    img = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default()
    if title:
        draw.text((WIDTH / 2, 6), title, fill=TEXT, font=font, anchor="ma")
    half = WIDTH // 2
    m = MARGIN
    finite = [v for v in tl + vl if v is not None and math.isfinite(v)]
    top = _nice_top(max(finite, default=1.0))
    _panel(draw, font, (m["left"], m["top"], half - m["right"], HEIGHT - m["bottom"]),
           "loss", [("train", TRAIN, tl), ("validation", VAL, vl)], top, len(epochs))
    _panel(draw, font, (half + m["left"], m["top"], WIDTH - m["right"], HEIGHT - m["bottom"]),
           "accuracy", [("train", TRAIN, ta), ("validation", VAL, va)], 1.0, len(epochs),
           legend_low=True)
    return img


def save_curves(path, epochs, title: str = "") -> Path:
    """Write :func:`draw_curves` as a PNG atomically; returns the path written."""
    img = draw_curves(epochs, title)
    return atomic_write(path, lambda fh: img.save(fh, format="PNG"))
