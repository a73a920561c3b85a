"""Receptive fields whose period is too long to tabulate (issue 17).

A chain of transposed convolutions or upsamplings multiplies the period of an
axis map (:mod:`.rf`): three ConvTranspose2d of stride 1024 give a period of
2³⁰ output positions, far too many to list. A :class:`LazyMap` keeps the
layers instead of the table: ``top`` (a table, period at most
:data:`~.rf.LIMIT`, from this node's outputs to the positions of ``inner``)
after ``inner`` (a table or another lazy map), or the union of ``parts``
(merging paths with the same jump). Its exact facts come from walking the
layers from the output down to the Input:

- ``region(u)`` follows the one position down, merging the sets that reach
  the same layer (cost: the footprint's size times the layers);
- ``size`` and ``holes`` take the worst output over a whole period without
  listing it. A *state* is a set of positions ``a·Q + c + C`` of one layer
  for every integer Q (several such sets with the same Q below a union). A
  table of period p reads position x by its residue x mod p, so splitting
  Q by its residue modulo ``p / gcd(a, p)`` turns each branch into a state
  of the next layer down, where C is the image of the set. Branches that
  give the same state are computed once; the cost follows the layers' own
  sizes (kernels, strides), not the product of the strides;
- ``start`` is the centre of the region of output 0 or, when output 0
  reaches no input, of the first output that does (found the same way),
  moved back along the grid.
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd

from . import rf_table
from .rf import AxisMap, _combine

__all__ = ["LazyMap", "seq", "union_of"]


class LazyMap:
    """An axis map kept as layers (see the module doc); immutable, compared by identity."""

    __slots__ = ("top", "inner", "parts", "period", "step", "depth", "size", "start",
                 "holes", "known")

    def __init__(self, top, inner, parts, period: int, step: int, depth: int):
        self.top, self.inner, self.parts = top, inner, parts
        self.period, self.step, self.depth = period, step, depth
        #: (span, gaps, a, c) -> (size, holes) of the states of this map met so far
        self.known: dict = {}
        self.size, self.holes = _worst(self)
        self.start = _start(self)

    @property
    def jump(self) -> Fraction:
        """Input pixels between neighbouring outputs, ``step / period`` (exact)."""
        return Fraction(self.step, self.period)

    def at(self, u: int):
        """``(lo, hi, gaps)`` of output position ``u``, or None (no input reaches it)."""
        got = _down(self, u)
        return None if got[0] is None else got

    def region(self, u: int):
        """``(lo, hi, positions)`` of output position ``u``; positions is a list."""
        got = self.at(u)
        if got is None:
            return None
        lo, hi, gaps = got
        return lo, hi, [lo + i for i in range(hi - lo + 1) if not gaps >> i & 1]

    def __repr__(self) -> str:
        return (f"LazyMap(period={self.period}, step={self.step}, size={self.size}, "
                f"start={self.start}, depth={self.depth})")


def _period(m) -> int:
    return 1 if m is None else m.period


def _depth(m) -> int:
    if m is None:
        return 0
    return m.depth if isinstance(m, LazyMap) else 1


def seq(top: AxisMap, inner) -> LazyMap:
    """The map of ``top`` (a table onto ``inner``'s outputs) after ``inner``."""
    p_in = inner.period
    loops = p_in // gcd(top.step, p_in)  # periods of top before inner's period comes round
    period = top.period * loops
    step = top.step * loops // p_in * inner.step
    return LazyMap(top, inner, (), period, step, _depth(inner) + 1)


def union_of(maps) -> LazyMap:
    """The position-wise union of maps with the same jump."""
    period = 1
    for m in maps:
        period = period * m.period // gcd(period, m.period)
    step = maps[0].step * period // maps[0].period
    return LazyMap(None, None, tuple(maps), period, step, 1 + max(_depth(m) for m in maps))


# -- the image of a set of positions under one table ---------------------------------------
def _image(table: AxisMap, x0: int, span: int, gaps: int):
    """Union of ``table.at(x)`` over the positions ``x0 + i`` (i < span, not in gaps)."""
    if table.period == 1 and not gaps and not table.gaps[0] and table.lo[0] is not None:
        lo0, hi0, step = table.lo[0], table.hi[0], table.step
        if step <= hi0 - lo0 + 1:  # solid copies that touch: one interval
            return x0 * step + lo0, (x0 + span - 1) * step + hi0, 0
    at = table.at
    if not gaps:
        return rf_table.span(table, x0, x0 + span - 1)
    return _combine([at(x0 + i) for i in range(span) if not gaps >> i & 1])


def _layer(m):
    """``(table, below)`` of a table or sequence map (below None: the Input)."""
    if isinstance(m, LazyMap):
        return m.top, m.inner
    return m, None


# -- one output, down the layers ------------------------------------------------------------
def _down(m, u: int):
    """``(lo, hi, gaps)`` of output ``u`` of ``m`` in Input pixels (lo None: none)."""
    pending = {id(m): (m, (u, 1, 0))}  # map -> (map, set of its output positions)
    found = []
    while pending:
        key = max(pending, key=lambda k: _depth(pending[k][0]))
        node, (x0, span, gaps) = pending.pop(key)
        if isinstance(node, LazyMap) and node.parts:
            below = [(p, (x0, span, gaps)) for p in node.parts]
        else:
            table, under = _layer(node)
            lo, hi, g = _image(table, x0, span, gaps)
            if lo is None:
                continue
            if under is None:
                found.append((lo, hi, g))
                continue
            below = [(under, (lo, hi - lo + 1, g))]
        for nxt, s in below:
            old = pending.get(id(nxt))
            if old is not None:
                (a0, an, ag), (b0, bn, bg) = old[1], s
                lo, hi, g = _combine([(a0, a0 + an - 1, ag), (b0, b0 + bn - 1, bg)])
                s = (lo, hi - lo + 1, g)
            pending[id(nxt)] = (nxt, s)
    return _combine(found)


# -- the worst output over a period -----------------------------------------------------------
# A state: (components, ) with each component (map or None for the Input, span, gaps, a, c):
# the positions a·Q + c + i (i < span, not in gaps) of that map's outputs, for every Q.
def _normal(comps: tuple) -> tuple:
    uniq = {(id(t[0]), t[1:]): t for t in comps}  # by identity: tables hash slowly
    comps = tuple(uniq[k] for k in sorted(uniq))
    if len(comps) == 1:  # only a·Q + c mod period matters: a divides out
        m, span, gaps, a, c = comps[0]
        a = gcd(a, _period(m))
        return ((m, span, gaps, a, c % a),)
    m, span, gaps, a, c = comps[0]
    q = c // a  # Q -> Q + q names the same positions
    return tuple((m, s, g, aa, cc - aa * q) for m, s, g, aa, cc in comps)


def _key(state: tuple) -> tuple:
    return tuple((id(m), s, g, a, c) for m, s, g, a, c in state)


def _children(state: tuple):
    """The states below ``state`` (a list), or its value at the Input (a tuple)."""
    i = max(range(len(state)), key=lambda j: _depth(state[j][0]))
    m, span, gaps, a, c = state[i]
    if m is None:  # every component at the Input: one footprint for every Q
        lo, hi, g = _combine([(cc, cc + s - 1, gg) for _, s, gg, _, cc in state])
        width = hi - lo + 1
        return (width, (width - g.bit_count(), width) if g else None)
    rest = state[:i] + state[i + 1:]
    if isinstance(m, LazyMap) and m.parts:
        return [_normal(rest + tuple((p, span, gaps, a, c) for p in m.parts))]
    table, under = _layer(m)
    n = table.period // gcd(a, table.period)
    shift = a * n // table.period * table.step
    kids = []
    for psi in range(n):
        lo, hi, g = _image(table, a * psi + c, span, gaps)
        others = tuple((mm, s, gg, aa * n, aa * psi + cc) for mm, s, gg, aa, cc in rest)
        if lo is None:
            if not others:
                continue
            kids.append(_normal(others))
        else:
            kids.append(_normal(others + ((under, hi - lo + 1, g, shift, lo),)))
    return kids


def _fold(values):
    size, holes = 0, None
    for s, h in values:
        size = max(size, s)
        if h is not None and (holes is None or h < holes):
            holes = h
    return size, holes


def _worst(m: LazyMap):
    """``(size, holes)``: the largest extent and the worst holes over all outputs."""
    root = _normal(((m, 1, 0, 1, 0),))
    memo: dict = {}
    kids_of: dict = {}
    stack = [root]
    while stack:
        st = stack[-1]
        k = _key(st)
        if k in memo:
            stack.pop()
            continue
        own = st[0][0] if len(st) == 1 and isinstance(st[0][0], LazyMap) else None
        if own is not None and st[0][1:] in own.known:  # met by an earlier node
            memo[k] = own.known[st[0][1:]]
            stack.pop()
            continue
        kids = kids_of.get(k)
        if kids is None:
            got = _children(st)
            if isinstance(got, tuple):
                memo[k] = got
                stack.pop()
                continue
            kids_of[k] = got
            stack.extend(x for x in got if _key(x) not in memo)
            continue
        memo[k] = _fold(memo[_key(x)] for x in kids)
        if own is not None and len(own.known) < 4096:
            own.known[st[0][1:]] = memo[k]
        del kids_of[k]
        stack.pop()
    return memo[_key(root)]


# -- start -------------------------------------------------------------------------------
def _first_live(m) -> int | None:
    """The smallest output u >= 0 of ``m`` that some input reaches, or None."""
    memo: dict = {}
    kids_of: dict = {}
    root = (m, 1, 0, 1, 0)
    stack = [root]
    while stack:
        st = stack[-1]
        k = (id(st[0]), *st[1:])
        if k in memo:
            stack.pop()
            continue
        node, span, gaps, a, c = st
        if node is None:
            memo[k] = 0
            stack.pop()
            continue
        kids = kids_of.get(k)
        if kids is None:
            if isinstance(node, LazyMap) and node.parts:
                kids = [(1, 0, (p, span, gaps, a, c)) for p in node.parts]
            else:
                table, under = _layer(node)
                n = table.period // gcd(a, table.period)
                shift = a * n // table.period * table.step
                kids = []
                for psi in range(n):
                    lo, hi, g = _image(table, a * psi + c, span, gaps)
                    if lo is not None:
                        kids.append((n, psi, (under, hi - lo + 1, g, shift, lo)))
            kids_of[k] = kids
            stack.extend(x[2] for x in kids if (id(x[2][0]), *x[2][1:]) not in memo)
            continue
        best = None
        for n, psi, sub in kids:
            got = memo[(id(sub[0]), *sub[1:])]
            if got is not None and (best is None or n * got + psi < best):
                best = n * got + psi
        memo[k] = best
        del kids_of[k]
        stack.pop()
    return memo[(id(m), 1, 0, 1, 0)]


def _start(m: LazyMap):
    got = m.at(0)
    u = 0
    if got is None:
        u = _first_live(m)
        if u is None:
            return 0
        got = m.at(u)
    lo, hi, _ = got
    x = (lo + hi) / 2 - m.step * u / m.period
    return int(x) if x.is_integer() else x
