"""The receptive-field tables of one op applied to a table (:mod:`.rf`).

``table_op(m, op)`` gives the table of a conv (or pooling window), a
transposed conv or an upsampling after the table ``m``. Windows wider than two
taps read ranges of residues at once (:func:`span`, a table of unions over
power-of-two ranges), so a 1024-wide kernel over a periodic map costs its
period, not period × kernel.
"""

from __future__ import annotations

from fractions import Fraction
from math import floor, gcd

from .rf import AxisMap, _build, _combine, _ones, _reduce, _regular

__all__ = ["table_op", "span"]


def table_op(m: AxisMap, op: tuple) -> AxisMap:
    """One op on a table, as a table."""
    name = op[0]
    if name == "conv":
        return _conv(m, op[1], op[2], op[3], op[4])
    if name == "tconv":
        return _tconv(m, op[1], op[2], op[3], op[4])
    if name == "up":
        return _up(m, op[1], op[2], op[3], len(op) > 4 and op[4])
    raise ValueError(f"unknown receptive-field op {name!r}")


_RANGES: dict[int, tuple] = {}  # id(table) -> (table, levels)


def _levels(m: AxisMap) -> list:
    """``levels[j][r]``: the union of the entries of residues ``r .. r + 2**j - 1``."""
    got = _RANGES.get(id(m))
    if got is not None and got[0] is m:
        return got[1]
    row = [m.at(r) for r in range(m.period)]
    levels = [row]
    width = 1
    while 2 * width <= m.period:
        row = [_union2(row[r], row[r + width]) for r in range(len(row) - width)]
        levels.append(row)
        width *= 2
    if len(_RANGES) > 64:
        _RANGES.clear()
    _RANGES[id(m)] = (m, levels)
    return levels


def _union2(a, b):
    got = _combine([a, b])
    return None if got[0] is None else got


def _within(m: AxisMap, r0: int, r1: int, shift: int):
    """Union of the entries of residues ``r0..r1`` of one period, moved by ``shift``."""
    levels = _levels(m)
    j = (r1 - r0 + 1).bit_length() - 1
    got = _union2(levels[j][r0], levels[j][r1 - (1 << j) + 1])  # overlapping halves
    return None if got is None else (got[0] + shift, got[1] + shift, got[2])


def span(m: AxisMap, x0: int, x1: int):
    """Union of ``m.at(x)`` for every position ``x0 <= x <= x1``: ``(lo, hi, gaps)``."""
    n, step = m.period, m.step
    if x1 - x0 < 8 or n == 1:
        return _combine([m.at(x) for x in range(x0, x1 + 1)])
    q0, r0 = divmod(x0, n)
    q1, r1 = divmod(x1, n)
    if q0 == q1:
        return _combine([_within(m, r0, r1, q0 * step)])
    parts = [_within(m, r0, n - 1, q0 * step), _within(m, 0, r1, q1 * step)]
    whole = _within(m, 0, n - 1, 0)
    if whole is not None and q1 - q0 >= 2:
        lo, hi, g = whole
        if not g and hi - lo + 1 >= step:  # whole periods that touch: one interval
            parts.append((lo + (q0 + 1) * step, hi + (q1 - 1) * step, 0))
        else:
            parts.extend((lo + q * step, hi + q * step, g) for q in range(q0 + 1, q1))
    return _combine(parts)


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
    if d == 1 and k > 8:  # a wide window: ranges of residues at once
        entries = [span(m, r * s - p, r * s - p + k - 1) for r in range(period)]
    else:
        entries = [_combine([at(r * s - p + t * d) for t in range(k)])
                   for r in range(period)]
    return _build(period, step, entries)


def _tconv(m: AxisMap, k, s, p, d) -> AxisMap:
    period = m.period * s
    at = m.at
    g = gcd(d, s)
    sg, dg = s // g, d // g
    inv = pow(dg, -1, sg) if sg > 1 else 0
    entries = []
    for r in range(period):  # the taps t with t·d ≡ r + p (mod s), and only those
        v = r + p
        if v % g:
            entries.append((None, None, 0))
            continue
        t0 = (v // g) * inv % sg if sg > 1 else 0
        entries.append(_combine([at((v - t * d) // s) for t in range(t0, k, sg)]))
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
