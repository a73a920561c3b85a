"""Geometry of a feature-map mosaic: every channel as one tile of a single image.

Drawing all channels of a layer in one :class:`pyqtgraph.ImageItem` is an
order of magnitude faster than one view per channel (9 ms against 125 ms for
64 maps), and the mosaic is what students see in papers. :class:`Tiling`
holds the layout (rows, columns, tile size, gap) and converts between mosaic
pixels and ``(channel, y, x)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Tiling"]


@dataclass(frozen=True)
class Tiling:
    """Layout of ``channels`` tiles of ``height`` × ``width`` pixels.

    Parameters
    ----------
    channels : int
        Number of tiles.
    height, width : int
        Size of one tile in pixels.
    rows, cols : int
        Grid of tiles, filled row by row.
    pad : int
        Gap between neighbouring tiles, in pixels (drawn transparent).
    """

    channels: int
    height: int
    width: int
    rows: int
    cols: int
    pad: int

    @classmethod
    def for_maps(cls, channels: int, height: int, width: int, pad: int | None = None,
                 aspect: float = 1.0) -> Tiling:
        """A near-square layout (``aspect`` = wanted width / height of the mosaic).

        Parameters
        ----------
        channels, height, width : int
            Number and size of the maps.
        pad : int, optional
            Gap between tiles; by default about 1/16 of the tile, at least 1.
        aspect : float
            Target width / height ratio of the whole mosaic.

        Returns
        -------
        Tiling
        """
        channels = max(1, int(channels))
        if pad is None:
            pad = max(1, round(min(height, width) / 16))
        # cols * width ≈ aspect * rows * height with rows = channels / cols
        cols = math.sqrt(channels * aspect * (height + pad) / (width + pad))
        cols = int(min(channels, max(1, round(cols))))
        rows = math.ceil(channels / cols)
        cols = math.ceil(channels / rows)  # drop empty columns
        return cls(channels, int(height), int(width), rows, cols, int(pad))

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, cols)`` in pixels of the mosaic image."""
        return (self.rows * (self.height + self.pad) - self.pad,
                self.cols * (self.width + self.pad) - self.pad)

    def origin(self, channel: int) -> tuple[int, int]:
        """Mosaic pixel ``(y, x)`` of the top-left corner of ``channel``'s tile."""
        r, c = divmod(channel, self.cols)
        return r * (self.height + self.pad), c * (self.width + self.pad)

    @property
    def buffer_shape(self) -> tuple[int, int]:
        """Shape of the work buffer of :meth:`build` (the mosaic plus one trailing gap)."""
        return self.rows * (self.height + self.pad), self.cols * (self.width + self.pad)

    def build(self, maps: np.ndarray, offset: np.ndarray | None = None,
              scale: np.ndarray | None = None, fill: float = np.nan,
              out: np.ndarray | None = None) -> np.ndarray:
        """The mosaic image of ``(maps - offset) * scale`` as float32, gaps set to ``fill``.

        Parameters
        ----------
        maps : numpy.ndarray
            ``[channels, height, width]``.
        offset, scale : numpy.ndarray, optional
            One value per channel (per-map levels), applied while tiling so that
            no normalised copy of ``maps`` is made.
        fill : float
            Value of the gaps and of unused tiles (NaN is drawn transparent).
        out : numpy.ndarray, optional
            A float32 buffer of :attr:`buffer_shape` to reuse (saves the page
            faults of a fresh multi-megabyte allocation on every update).

        Returns
        -------
        numpy.ndarray
            A ``shape`` float32 view into the buffer.
        """
        c, h, w = maps.shape
        if (c, h, w) != (self.channels, self.height, self.width):
            raise ValueError(f"maps of shape {maps.shape} do not fit {self}")
        hp, wp = h + self.pad, w + self.pad
        if out is None or out.shape != self.buffer_shape or out.dtype != np.float32:
            out = np.empty(self.buffer_shape, dtype=np.float32)
        grid = out.reshape(self.rows, hp, self.cols, wp)
        grid[:, h:] = fill
        grid[:, :, :, w:] = fill
        full = c // self.cols
        if full:
            n = full * self.cols
            dst = grid[:full, :h, :, :w]  # [rows, h, cols, w]
            src = maps[:n].reshape(full, self.cols, h, w).transpose(0, 2, 1, 3)
            self._scaled(src, offset, scale, n, dst, lambda v: v.reshape(
                full, self.cols)[:, None, :, None])
        for ch in range(full * self.cols, self.rows * self.cols):
            r, col = divmod(ch, self.cols)
            dst = grid[r, :h, col, :w]
            if ch < c:
                self._scaled(maps[ch], offset, scale, None, dst,
                             lambda v, ch=ch: v[ch])
            else:
                dst[...] = fill
        return out[:self.shape[0], :self.shape[1]]

    @staticmethod
    def _scaled(src, offset, scale, n, dst, shaped) -> None:
        """``dst = (src - offset) * scale`` with per-channel values reshaped by ``shaped``."""
        if offset is None and scale is None:
            dst[...] = src
            return
        off = shaped(np.asarray(offset[:n] if n else offset, dtype=np.float32)) \
            if offset is not None else 0.0
        np.subtract(src, off, out=dst)
        if scale is not None:
            np.multiply(dst, shaped(np.asarray(scale[:n] if n else scale, dtype=np.float32)),
                        out=dst)

    def locate(self, x: float, y: float) -> tuple[int, int, int] | None:
        """``(channel, y, x)`` under mosaic coordinates ``(x, y)``, or None in a gap."""
        if x < 0 or y < 0:
            return None
        col, tx = divmod(int(math.floor(x)), self.width + self.pad)
        row, ty = divmod(int(math.floor(y)), self.height + self.pad)
        if col >= self.cols or row >= self.rows or tx >= self.width or ty >= self.height:
            return None
        ch = row * self.cols + col
        if ch >= self.channels:
            return None
        return ch, ty, tx
