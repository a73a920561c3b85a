"""Limits and helpers shared by the kind modules (:mod:`.conv`, :mod:`.pooling`, :mod:`.layers`).

The upper bounds of channel counts, kernel sizes and pixel counts that a
parameter may take, the compact spelling of tuples in generated code, and
the receptive-field ops of sliding windows and global operations.
"""

from __future__ import annotations

from functools import lru_cache

#: most channels (and groups, features) a parameter may ask for
MAX_CH = 1 << 16
#: largest kernel, stride, dilation or padding along one axis
MAX_K = 1024
#: largest spatial size along one axis (Input sizes, adaptive output sizes)
MAX_PIX = 1 << 16


def compact(t):
    """``(3, 3)`` -> ``3``; unequal tuples stay tuples (for readable code)."""
    if isinstance(t, tuple) and len(set(t)) == 1:
        return t[0]
    return t


@lru_cache(maxsize=4096)
def window_ops(kernel, stride, pads, dilation):
    """Receptive-field ops of a sliding window, one tuple per axis (memoised)."""
    return tuple((("conv", k, s, pd[0], d, pd[1]),)
                 for k, s, pd, d in zip(kernel, stride, pads, dilation, strict=True))


def global_ops(shape):
    """Receptive-field ops of a global operation on ``shape``: every axis ``("global",)``."""
    return tuple((("global",),) for _ in shape[1:])
