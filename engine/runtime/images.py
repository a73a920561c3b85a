"""Images in and out: loading with Pillow, feature-map mosaics, PNG writing.

No matplotlib, no torch: numpy and Pillow only.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np

from ..atomic import atomic_write
from .errors import ImageError

__all__ = ["load_image", "mosaic", "save_png", "to_uint8", "MAX_PIXELS", "takes_image"]


#: Larger images are refused (Pillow's decompression-bomb guard, made an error).
MAX_PIXELS = 1 << 28


def load_image(path) -> np.ndarray:
    """Read an image file.

    Parameters
    ----------
    path : str or Path
        Any format Pillow reads (first frame of animations).

    Returns
    -------
    numpy.ndarray
        ``uint8`` ``H x W x 3`` (RGB; alpha is composited onto white) for colour
        images, ``uint8`` ``H x W`` for 8-bit grayscale, ``float32`` ``H x W``
        in [0, 1] for 16-bit or float grayscale.

    Raises
    ------
    ImageError
        The file is missing, unreadable, not an image or too large; the message
        names the file.
    """
    from PIL import Image, UnidentifiedImageError

    p = Path(path)
    if not p.exists():
        raise ImageError("no such file", path)
    if p.is_dir():
        raise ImageError("is a directory, not an image", path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(p) as im:
                if im.width * im.height > MAX_PIXELS:
                    raise ImageError(f"image too large ({im.width}x{im.height})", path)
                im.load()
                return _to_array(im)
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError("not an image Pillow can read", path) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(f"image too large: {exc}", path) from None
    except OSError as exc:
        raise ImageError(f"cannot read the image: {exc.strerror or exc}", path) from None
    except (ValueError, SyntaxError, EOFError) as exc:
        raise ImageError(f"cannot decode the image: {exc}", path) from None


def _to_array(im) -> np.ndarray:
    from PIL import Image

    mode = im.mode
    if mode in ("1", "L"):
        return np.asarray(im.convert("L"), dtype=np.uint8).copy()
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        a = np.asarray(im, dtype=np.float64)
        top = 65535.0 if mode.startswith("I;16") or a.max(initial=0) <= 65535 else a.max()
        return np.clip(a / top, 0.0, 1.0).astype(np.float32)
    if mode == "F":
        a = np.nan_to_num(np.asarray(im, dtype=np.float32))
        lo, hi = float(a.min(initial=0)), float(a.max(initial=0))
        if lo < 0 or hi > 1:
            a = (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
        return a.astype(np.float32)
    if mode == "LA" or mode in ("RGBA", "PA", "La") or (mode == "P" and "transparency"
                                                       in im.info):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(white, rgba).convert("RGB"),
                          dtype=np.uint8).copy()
    return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()


def _normalise(a: np.ndarray) -> np.ndarray:
    """Scale to [0, 1] (constant maps become 0); NaN/inf become 0 first."""
    a = np.nan_to_num(a.astype(np.float32, copy=False), nan=0.0, posinf=0.0, neginf=0.0)
    lo, hi = float(a.min()), float(a.max())
    if hi <= lo:
        return np.zeros_like(a, dtype=np.float32)
    return (a - lo) / (hi - lo)


def mosaic(act: np.ndarray, cols: int | None = None, pad: int = 1, *,
           min_tile: int = 1, max_tiles: int = 1024, pad_value: float = 1.0) -> np.ndarray:
    """Tile the channels of an activation into one grayscale image.

    Parameters
    ----------
    act : numpy.ndarray
        ``[C, H, W]``; ``[C, D, H, W]`` shows the middle slice ``D // 2`` of
        every channel, ``[F]`` (a feature vector) one row of ``F`` pixels and
        ``[H, W]`` a single tile.
    cols : int, optional
        Tiles per row (default ``ceil(sqrt(C))``).
    pad : int, optional
        Pixels between tiles (and around the grid).
    min_tile : int, optional
        Tiles smaller than this are enlarged by an integer factor (nearest).
    max_tiles : int, optional
        Channels beyond this many are left out.
    pad_value : float, optional
        Value of the padding, in [0, 1].

    Returns
    -------
    numpy.ndarray
        ``float32`` 2-D image in [0, 1]. Each channel is normalised on its own
        (min -> 0, max -> 1); channels of a single pixel (``[C, 1, 1]``) are
        normalised together, since one pixel alone has no contrast.
    """
    a = np.asarray(act)
    if a.ndim == 1:
        return _normalise(a.reshape(1, -1)).repeat(max(1, min_tile), 0)
    if a.ndim == 2:
        a = a[None]
    elif a.ndim == 4:
        a = a[:, a.shape[1] // 2]
    elif a.ndim != 3:
        raise ValueError(f"mosaic expects [C, H, W], [C, D, H, W], [H, W] or [F], got "
                         f"shape {a.shape}")
    a = a[:max_tiles]
    c, h, w = a.shape
    if h * w == 1:
        tiles = _normalise(a)
    else:
        a = np.nan_to_num(a.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)
        lo = a.min(axis=(1, 2), keepdims=True)
        hi = a.max(axis=(1, 2), keepdims=True)
        span = hi - lo
        tiles = np.where(span > 0, (a - lo) / np.where(span > 0, span, 1), 0.0)
    tiles = tiles.astype(np.float32)
    scale = max(1, -(-min_tile // max(1, min(h, w)))) if min_tile > 1 else 1
    if scale > 1:
        tiles = tiles.repeat(scale, 1).repeat(scale, 2)
        h, w = h * scale, w * scale
    cols = max(1, min(c, cols if cols else math.ceil(math.sqrt(c))))
    rows = -(-c // cols)
    out = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad), pad_value,
                  dtype=np.float32)
    for i in range(c):
        r, q = divmod(i, cols)
        y, x = pad + r * (h + pad), pad + q * (w + pad)
        out[y:y + h, x:x + w] = tiles[i]
    return out


def to_uint8(array: np.ndarray) -> np.ndarray:
    """``uint8`` as is; floats are taken as [0, 1] (clipped) and rounded."""
    a = np.asarray(array)
    if a.dtype == np.uint8:
        return a
    if a.dtype == bool:
        return a.astype(np.uint8) * 255
    a = np.nan_to_num(a.astype(np.float32), nan=0.0, posinf=1.0, neginf=0.0)
    return (np.clip(a, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def save_png(path, array: np.ndarray) -> None:
    """Write ``array`` as a PNG, atomically (temporary file + rename).

    Parameters
    ----------
    path : str or Path
        Destination; an existing file is replaced only once the new one is
        complete.
    array : numpy.ndarray
        ``H x W`` (grayscale), ``H x W x 3`` (RGB) or ``H x W x 4`` (RGBA);
        ``uint8``, or floats in [0, 1].
    """
    from PIL import Image

    a = to_uint8(array)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if not (a.ndim == 2 or (a.ndim == 3 and a.shape[2] in (3, 4))):
        raise ValueError(f"save_png expects H x W, H x W x 3 or H x W x 4, got {a.shape}")
    im = Image.fromarray(np.ascontiguousarray(a))
    atomic_write(path, lambda fh: im.save(fh, format="PNG"))


def takes_image(channels: int, depth: int | None) -> bool:
    """Whether an Input with ``channels`` (and a ``depth``, None for 2-D) is fed the image.

    The image is grayscale or RGB: an Input with 1 or 3 channels and no depth gets
    it; any other Input gets seeded random values.
    """
    return depth is None and channels in (1, 3)
