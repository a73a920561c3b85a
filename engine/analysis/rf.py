"""Exact receptive fields along one axis.

An :class:`AxisMap` tells, for every output position ``o`` of a node, the
interval ``[lo(o), hi(o)]`` of input pixels that can influence it and the
exact footprint inside it (a bitmask: which input pixels really reach ``o``;
a dilation stack that leaves holes shows them). The axis is treated as
infinite, so padding counts as virtual pixels and no border effect distorts
the result.

Every layer maps positions periodically: after a stride ``s`` conv the map
repeats every ``P / gcd(P, s)`` outputs, after a transposed conv or an
upsampling by ``s`` every ``s·P`` outputs. The map therefore stores one
period (``lo``, ``hi``, ``mask`` per residue) plus ``step``, the input shift
per period, and is exact for fractional jumps too (where the textbook
recurrence ``r += d(k−1)·j`` over-counts).

``size`` is the largest extent over output positions; ``jump`` is
``step / period`` input pixels between neighbouring outputs; ``start`` the
centre of the region of output 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import floor, gcd

__all__ = ["AxisMap", "IDENTITY", "apply_op", "union"]


@dataclass(frozen=True)
class AxisMap:
    period: int
    step: int
    lo: tuple
    hi: tuple
    mask: tuple
    #: largest extent over output positions (derived, set by :func:`make`)
    size: int = 0
    #: centre of the region of output 0 (derived)
    start: float = 0.0

    def at(self, u: int):
        """``(lo, hi, mask)`` of output position ``u`` (any integer), or None."""
        q, r = divmod(u, self.period)
        lo = self.lo[r]
        if lo is None:
            return None
        shift = q * self.step
        return lo + shift, self.hi[r] + shift, self.mask[r]

    @property
    def jump(self) -> Fraction:
        return Fraction(self.step, self.period)

    def holes(self) -> tuple[int, int] | None:
        """``(reached, span)`` of the worst output position, if its footprint has holes."""
        worst = None
        for l, h, m in zip(self.lo, self.hi, self.mask, strict=True):
            if l is None:
                continue
            span = h - l + 1
            reached = m.bit_count()
            if reached < span and (worst is None or reached < worst[0]):
                worst = (reached, span)
        return worst

    def region(self, u: int):
        """``(lo, hi, positions)`` of output position ``u``; positions is a list."""
        got = self.at(u)
        if got is None:
            return None
        lo, hi, mask = got
        return lo, hi, [lo + i for i in range(hi - lo + 1) if mask >> i & 1]


def make(period: int, step: int, lo: tuple, hi: tuple, mask: tuple) -> AxisMap:
    """An :class:`AxisMap` with its derived ``size`` and ``start`` filled in."""
    size = 0
    start = 0.0
    first = True
    for u in range(period):
        l = lo[u]
        if l is None:
            continue
        h = hi[u]
        if h - l + 1 > size:
            size = h - l + 1
        if first:  # centre of output u, moved back to output 0 along the grid
            start = (l + h) / 2 - step * u / period
            first = False
    return AxisMap(period, step, lo, hi, mask, size, start)


IDENTITY = make(1, 1, (0,), (0,), (1,))


def _combine(points):
    """Union of several ``(lo, hi, mask)`` into one."""
    lo = hi = None
    for p in points:
        if p is None:
            continue
        if lo is None or p[0] < lo:
            lo = p[0]
        if hi is None or p[1] > hi:
            hi = p[1]
    if lo is None:
        return None, None, 0
    mask = 0
    for p in points:
        if p is not None:
            mask |= p[2] << (p[0] - lo)
    return lo, hi, mask


def _build(period, step, entries):
    lo, hi, mask = zip(*entries, strict=True) if entries else ((), (), ())
    return make(period, step, lo, hi, mask)


def _conv(m: AxisMap, k, s, p, d) -> AxisMap:
    if m.period == 1 and m.lo[0] is not None:  # fast path: a regular grid stays regular
        step = m.step
        mask0 = m.mask[0]
        mask = 0
        shift = d * step
        for t in range(k):
            mask |= mask0 << (t * shift)
        lo = m.lo[0] - p * step
        hi = m.hi[0] + (d * (k - 1) - p) * step
        return AxisMap(1, step * s, (lo,), (hi,), (mask,), hi - lo + 1, (lo + hi) / 2)
    period = m.period // gcd(m.period, s)
    step = m.step * (period * s // m.period)
    at = m.at
    entries = [_combine([at(r * s - p + t * d) for t in range(k)]) for r in range(period)]
    return _build(period, step, entries)


def _tconv(m: AxisMap, k, s, p, d) -> AxisMap:
    period = m.period * s
    at = m.at
    entries = []
    for r in range(period):
        taps = []
        for t in range(k):
            v = r + p - t * d
            if v % s == 0:
                taps.append(at(v // s))
        entries.append(_combine(taps))
    return _reduce(_build(period, m.step, entries))


def _up(m: AxisMap, num, den, mode) -> AxisMap:
    period = m.period * num
    step = m.step * den
    at = m.at
    entries = []
    for r in range(period):
        if mode == "nearest":
            taps = [floor(Fraction(r * den, num))]
        else:
            src = Fraction(2 * r + 1, 2) * den / num - Fraction(1, 2)
            i0 = floor(src)
            frac = src - i0
            if mode == "bicubic":
                taps = [i0 - 1, i0, i0 + 1, i0 + 2] if frac else [i0]
            else:
                taps = [i0, i0 + 1] if frac else [i0]
        entries.append(_combine([at(t) for t in taps]))
    return _reduce(_build(period, step, entries))


def _reduce(m: AxisMap) -> AxisMap:
    """Shrink the period when the table repeats (keeps maps small)."""
    n = m.period
    if n == 1:
        return m
    for d in range(1, n):
        if n % d or (m.step * d) % n:
            continue
        shift = m.step * d // n
        ok = True
        for r in range(n - d):
            a, b = m.lo[r], m.lo[r + d]
            if (a is None) != (b is None) or (a is not None and (
                    b - a != shift or m.hi[r + d] - m.hi[r] != shift
                    or m.mask[r] != m.mask[r + d])):
                ok = False
                break
        if ok:
            return make(d, shift, m.lo[:d], m.hi[:d], m.mask[:d])
    return m


def apply_op(m: AxisMap, op: tuple) -> AxisMap:
    """Apply one receptive-field op (see ``engine.catalogue.base.Op``)."""
    name = op[0]
    if name == "conv":
        return _conv(m, op[1], op[2], op[3], op[4])
    if name == "tconv":
        return _tconv(m, op[1], op[2], op[3], op[4])
    if name == "up":
        return _up(m, op[1], op[2], op[3])
    raise ValueError(f"unknown receptive-field op {name!r}")


def union(maps: list[AxisMap]) -> AxisMap:
    """Position-wise union of maps with the same jump (merging paths)."""
    if len(maps) == 1:
        return maps[0]
    period = maps[0].period
    for m in maps[1:]:
        period = period * m.period // gcd(period, m.period)
    step = maps[0].step * period // maps[0].period
    entries = [_combine([m.at(r) for m in maps]) for r in range(period)]
    return _reduce(_build(period, step, entries))
