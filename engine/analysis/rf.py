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
from functools import lru_cache
from math import gcd
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


#: the most output positions a table keeps; a longer period stays a chain of layers
#: (:class:`~.rf_lazy.LazyMap`), so the cost follows the layers, not their strides' product
LIMIT = 4096
#: the longest period of the table on top of a lazy map (each branch of it is walked)
TOP_LIMIT = 256


@lru_cache(maxsize=1024)
def _op_table(op: tuple) -> AxisMap:
    """The table of one op on its own (from :data:`IDENTITY`): a period of at most its
    stride (or its scale's numerator)."""
    return _table.table_op(IDENTITY, op)


def _period_after(m: AxisMap, op: tuple) -> int:
    """The period of the table ``apply_op`` would build (before reduction)."""
    if op[0] == "conv":
        return m.period // gcd(m.period, op[2])
    if op[0] == "tconv":
        return m.period * op[2]
    if op[0] == "up":
        return m.period * op[1]
    raise ValueError(f"unknown receptive-field op {op[0]!r}")


def _settle(m):
    """A lazy map whose period became short again as a table (exact: one region each)."""
    if isinstance(m, AxisMap) or m.period > LIMIT:
        return m
    entries = [m.at(u) or (None, None, 0) for u in range(m.period)]
    return _reduce(_build(m.period, m.step, entries))


def apply_op(m, op: tuple):
    """Apply one receptive-field op (see ``engine.catalogue.base.Op``)."""
    if m is IDENTITY:
        return _op_table(op)
    if isinstance(m, _lazy.LazyMap):
        if not m.parts and _period_after(m.top, op) <= TOP_LIMIT:  # grow the top table
            return _settle(_lazy.seq(_table.table_op(m.top, op), m.inner))
        return _settle(_lazy.seq(_op_table(op), m))
    if _period_after(m, op) <= LIMIT:
        return _table.table_op(m, op)
    return _lazy.seq(_op_table(op), m)


def apply_ops(m: AxisMap, ops) -> tuple[AxisMap, bool]:
    """``(map, global)``: ``m`` after the ops of one axis, up to a global one."""
    for op in ops:
        if op[0] == "global":
            return m, True
        m = apply_op(m, op)
    return m, False


def union(maps: list):
    """Position-wise union of maps with the same jump (merging paths)."""
    if len(maps) == 1:
        return maps[0]
    if any(isinstance(m, _lazy.LazyMap) for m in maps):
        return _settle(_lazy.union_of(maps))
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
    if period > LIMIT:
        return _lazy.union_of(maps)
    step = maps[0].step * period // maps[0].period
    entries = [_combine([m.at(r) for m in maps]) for r in range(period)]
    return _reduce(_build(period, step, entries))


from . import rf_lazy as _lazy  # noqa: E402  (both build on the tables above)
from . import rf_table as _table  # noqa: E402
