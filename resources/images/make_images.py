"""Generate the bundled sample images (deterministic; numpy + Pillow only).

    python resources/images/make_images.py [--out DIR]

Writes, by default next to this script:

- scene.png: 256x256 RGB synthetic scene: a checkerboard, vertical and diagonal stripes, a disc, a
  triangle, a bar and thin lines over a smooth gradient. Sharp edges in every orientation and
  several spatial frequencies, good for seeing edge detectors, strides and gridding at work.
- zone_plate.png: 256x256 grayscale zone plate (concentric rings whose frequency grows with the
  radius up to the Nyquist limit at the edge): shows aliasing from strides and pooling.
- gradient_circle.png: 256x256 RGB colour gradient with a flat disc: smooth regions, one round
  edge, different content in each colour channel.

The images contain no randomness, so running the script again gives the same pixels.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

SIZE = 256


def _grid(size: int = SIZE) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates (y, x) as float arrays of shape (size, size)."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    return y + 0.5, x + 0.5


def make_scene(size: int = SIZE) -> Image.Image:
    y, x = _grid(size)
    t = y / size
    # Sky-to-ground background gradient.
    top = np.array([150.0, 190.0, 235.0])
    bottom = np.array([225.0, 205.0, 160.0])
    img = (1 - t)[..., None] * top + t[..., None] * bottom

    # Checkerboard (8 px squares), top left.
    box = (x >= 16) & (x < 112) & (y >= 16) & (y < 112)
    checker = ((x // 8).astype(int) + (y // 8).astype(int)) % 2 == 0
    img[box & checker] = (20, 20, 20)
    img[box & ~checker] = (245, 245, 245)

    # Vertical stripes (period 6 px), top right.
    box = (x >= 136) & (x < 240) & (y >= 16) & (y < 64)
    stripes = (x // 3).astype(int) % 2 == 0
    img[box & stripes] = (30, 60, 140)
    img[box & ~stripes] = (240, 230, 120)

    # Diagonal stripes (period about 11 px), below the vertical ones.
    box = (x >= 136) & (x < 240) & (y >= 72) & (y < 112)
    diag = ((x + y) // 8).astype(int) % 2 == 0
    img[box & diag] = (120, 30, 30)
    img[box & ~diag] = (250, 250, 250)

    # Red disc, bottom left.
    disc = (x - 64) ** 2 + (y - 184) ** 2 <= 40**2
    img[disc] = (215, 40, 40)

    # Green bar, bottom right.
    bar = (x >= 176) & (x < 240) & (y >= 136) & (y < 160)
    img[bar] = (40, 160, 70)

    out = Image.fromarray(np.clip(np.rint(img), 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(out)
    # Blue triangle, bottom centre-right.
    draw.polygon([(150, 240), (232, 240), (191, 172)], fill=(40, 70, 200))
    # Thin lines: 1 px horizontal, 2 px vertical, 1 px diagonal.
    draw.line([(16, 124), (240, 124)], fill=(0, 0, 0), width=1)
    draw.line([(124, 132), (124, 248)], fill=(255, 255, 255), width=2)
    draw.line([(136, 248), (168, 136)], fill=(0, 0, 0), width=1)
    return out


def make_zone_plate(size: int = SIZE) -> Image.Image:
    y, x = _grid(size)
    r2 = (x - size / 2) ** 2 + (y - size / 2) ** 2
    # Local frequency r / size cycles per pixel: 0.5 (Nyquist) at the middle of each edge.
    phase = np.pi * r2 / size
    img = 0.5 + 0.5 * np.cos(phase)
    return Image.fromarray(np.clip(np.rint(img * 255), 0, 255).astype(np.uint8))


def make_gradient_circle(size: int = SIZE) -> Image.Image:
    y, x = _grid(size)
    u, v = x / size, y / size
    r = 255 * u
    g = 255 * v
    b = 255 * (1 - (u + v) / 2)
    img = np.stack([r, g, b], axis=-1)
    disc = (x - size / 2) ** 2 + (y - size / 2) ** 2 <= (size * 0.25) ** 2
    img[disc] = (250, 250, 250)
    return Image.fromarray(np.clip(np.rint(img), 0, 255).astype(np.uint8))


IMAGES = {
    "scene.png": make_scene,
    "zone_plate.png": make_zone_plate,
    "gradient_circle.png": make_gradient_circle,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate ConvCanvas's sample images.")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, make in IMAGES.items():
        path = args.out / name
        make().save(path, format="PNG")
        print(f"{path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
