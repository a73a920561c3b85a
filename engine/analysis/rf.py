"""Exact receptive fields along one axis.

An :class:`AxisMap` tells, for every output position ``o`` of a node, the
interval ``[lo(o), hi(o)]`` of input pixels that can influence it and the
exact footprint inside it (which input pixels really reach ``o``; a dilation
stack that leaves holes shows them). The axis is treated as infinite, so
padding counts as virtual pixels and no border effect distorts the result.

Every layer maps positions periodically: after a stride ``s`` conv the map
repeats every ``P / gcd(P, s)`` outputs, after a transposed conv or an
upsampling by ``s`` every ``s·P`` outputs. The map therefore stores one
period (``lo``, ``hi``, ``gaps`` per residue) plus ``step``, the input shift
per period, and is exact for fractional jumps too (where the textbook
recurrence ``r += d(k−1)·j`` over-counts).

The footprint is stored by its holes: ``gaps`` is a bitmask of the positions
of ``[lo, hi]`` that do *not* reach the output (bit ``i``: pixel ``lo + i``).
A footprint without holes, by far the most common, is 0, so a deep net with a
receptive field of thousands of pixels never builds integers of thousands of
bits unless its footprint really has holes.

``size`` is the largest extent over output positions; ``jump`` is
``step / period`` input pixels between neighbouring outputs; ``start`` the
centre of the region of output 0.
"""

from __future__ import annotations

from fractions import Fraction
from math import floor, gcd
from typing import NamedTuple

__all__ = ["AxisMap", "IDENTITY", "apply_op", "apply_ops", "union"]


class AxisMap(NamedTuple):
    """One period of the map from output positions to input regions (immutable)."""

    period: int
    step: int
    lo: tuple
    hi: tuple
    gaps: tuple
    #: largest extent over output positions (derived, set by :func:`make`)
    size: int = 0
    #: centre of the region of output 0, an int where integral (derived)
    start: int | float = 0
    #: ``(reached, span)`` of the worst output position if its footprint has holes
    #: (derived), else None
    holes: tuple[int, int] | None = None

    def at(self, u: int):
        """``(lo, hi, gaps)`` of output position ``u`` (any integer), or None."""
        q, r = divmod(u, self.period)
        lo = self.lo[r]
        if lo is None:
            return None
        shift = q * self.step
        return lo + shift, self.hi[r] + shift, self.gaps[r]

    @property
    def jump(self) -> Fraction:
        """Input pixels between neighbouring outputs, ``step / period`` (exact)."""
        return Fraction(self.step, self.period)

    def region(self, u: int):
        """``(lo, hi, positions)`` of output position ``u``; positions is a list."""
        got = self.at(u)
        if got is None:
            return None
        lo, hi, gaps = got
        return lo, hi, [lo + i for i in range(hi - lo + 1) if not gaps >> i & 1]


def make(period: int, step: int, lo: tuple, hi: tuple, gaps: tuple) -> AxisMap:
    """An :class:`AxisMap` with its derived ``size``, ``start`` and ``holes`` filled in."""
    size = 0
    start = 0.0
    first = True
    holes = None
    for u in range(period):
        l = lo[u]
        if l is None:
            continue
        h = hi[u]
        span = h - l + 1
        if span > size:
            size = span
        if first:  # centre of output u, moved back to output 0 along the grid
            start = (l + h) / 2 - step * u / period
            first = False
        if gaps[u]:
            reached = span - gaps[u].bit_count()
            if holes is None or reached < holes[0]:
                holes = (reached, span)
    return AxisMap(period, step, lo, hi, gaps, size, _number(start), holes)


def _regular(step: int, lo: int, hi: int, gaps: int) -> AxisMap:
    """The map of period 1 (every output alike, ``step`` apart): :func:`make` made short."""
    span = hi - lo + 1
    holes = (span - gaps.bit_count(), span) if gaps else None
    return AxisMap(1, step, (lo,), (hi,), (gaps,), span, _number((lo + hi) / 2), holes)


def _number(x: float) -> int | float:
    """``x`` as an int where integral (as reported)."""
    return int(x) if x.is_integer() else x


IDENTITY = make(1, 1, (0,), (0,), (0,))


def _ones(n: int) -> int:
    return (1 << n) - 1


def _combine(points):
    """Union of several ``(lo, hi, gaps)`` (None: no position) into one."""
    points = sorted(filter(None, points))  # drop the Nones
    if not points:
        return None, None, 0
    lo = points[0][0]
    hi = lo - 1  # how far the intervals so far reach
    solid = True  # no holes so far
    for l, h, g in points:
        if g or l > hi + 1:
            solid = False
        if h > hi:
            hi = h
    if solid:
        return lo, hi, 0
    reached = 0
    for l, h, g in points:
        reached |= (_ones(h - l + 1) ^ g) << (l - lo)
    return lo, hi, _ones(hi - lo + 1) ^ reached


def _build(period, step, entries):
    lo, hi, gaps = zip(*entries, strict=True) if entries else ((), (), ())
    return make(period, step, lo, hi, gaps)


def _conv(m: AxisMap, k, s, p, d) -> AxisMap:
    if m.period == 1 and m.lo[0] is not None:  # fast path: a regular grid stays regular
        step = m.step
        lo0, hi0, g0 = m.lo[0], m.hi[0], m.gaps[0]
        shift = d * step
        lo = lo0 - p * step
        hi = hi0 + (d * (k - 1) - p) * step
        if g0 or shift > hi0 - lo0 + 1:  # the k copies leave holes
            one = _ones(hi0 - lo0 + 1) ^ g0
            reached = 0
            for t in range(k):
                reached |= one << (t * shift)
            gaps = _ones(hi - lo + 1) ^ reached
        else:
            gaps = 0
        return _regular(step * s, lo, hi, gaps)
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


def _up(m: AxisMap, num, den, mode, aligned=False) -> AxisMap:
    period = m.period * num
    step = m.step * den
    at = m.at
    entries = []
    for r in range(period):
        if mode == "nearest":
            taps = [floor(Fraction(r * den, num))]
        else:
            if aligned:  # align_corners: output r samples input r · den / num
                src = Fraction(r * den, num)
            else:  # half-pixel centres
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
                    or m.gaps[r] != m.gaps[r + d])):
                ok = False
                break
        if ok:
            return make(d, shift, m.lo[:d], m.hi[:d], m.gaps[:d])
    return m


def apply_op(m: AxisMap, op: tuple) -> AxisMap:
    """Apply one receptive-field op (see ``engine.catalogue.base.Op``)."""
    name = op[0]
    if name == "conv":
        return _conv(m, op[1], op[2], op[3], op[4])
    if name == "tconv":
        return _tconv(m, op[1], op[2], op[3], op[4])
    if name == "up":
        return _up(m, op[1], op[2], op[3], len(op) > 4 and op[4])
    raise ValueError(f"unknown receptive-field op {name!r}")


def apply_ops(m: AxisMap, ops) -> tuple[AxisMap, bool]:
    """``(map, global)``: ``m`` after the ops of one axis, up to a global one."""
    for op in ops:
        if op[0] == "global":
            return m, True
        m = apply_op(m, op)
    return m, False


def union(maps: list[AxisMap]) -> AxisMap:
    """Position-wise union of maps with the same jump (merging paths)."""
    if len(maps) == 1:
        return maps[0]
    points = []
    for m in maps:
        if m.period != 1 or m.lo[0] is None:
            break
        points.append((m.lo[0], m.hi[0], m.gaps[0]))
    else:  # fast path: regular grids
        return _regular(maps[0].step, *_combine(points))
    period = maps[0].period
    for m in maps[1:]:
        period = period * m.period // gcd(period, m.period)
    step = maps[0].step * period // maps[0].period
    entries = [_combine([m.at(r) for m in maps]) for r in range(period)]
    return _reduce(_build(period, step, entries))
