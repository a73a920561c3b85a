"""Edge geometry: a smooth curve, or a lane around the cards in the way.

An edge leaves its source's output port downwards and enters the target's
input port from above. When the plain curve would cross another card (a skip
connection alongside a chain) or goes upwards, the edge takes a vertical lane
beside the cards instead, with rounded corners, like the residual paths in a
ResNet diagram. Pure geometry: the caller supplies the obstacle rectangles and
the lanes other edges already use.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from functools import lru_cache

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QPainterPath

__all__ = ["Lane", "Route", "route", "bezier_points", "curve_handle", "spots_around"]

#: clearance between a lane and the cards beside it
LANE_GAP = 22.0
#: distance between parallel lanes
LANE_STEP = 14.0
#: how far below/above a port a lane turns
TURN = 22.0
_R = 10.0


#: detour (in scene units) that one crossing with another lane is worth
CROSSING_COST = 260.0


@dataclass(frozen=True)
class Lane:
    """A lane route: down from ``(x0, ya)``, along ``x`` to ``yb``, then to ``x1``."""

    x: float
    x0: float
    ya: float
    x1: float
    yb: float

    @property
    def lo(self) -> float:
        """Top of the vertical run (the smaller of ``ya`` and ``yb``)."""
        return min(self.ya, self.yb)

    @property
    def hi(self) -> float:
        """Bottom of the vertical run (the larger of ``ya`` and ``yb``)."""
        return max(self.ya, self.yb)


@dataclass
class Route:
    """An edge's path; ``lane`` is set when it takes a lane."""

    path: QPainterPath
    anchor: QPointF  # where the label goes
    lane: Lane | None = None
    side: int = 1  # +1: label to the right of the anchor, -1: to the left
    #: points along the path, about every 10 units (cheap hit tests)
    samples: tuple[tuple[float, float], ...] = ()
    #: ``(samples, *_x_keys(samples))``, made on the first hit test of these samples
    _keys: tuple | None = field(default=None, repr=False, compare=False)
    #: ``(samples, left, right, piece)``: the last :meth:`part_in` (a shift gives new
    #: samples; a repaint, or an undo that takes the route back, asks the same again)
    _part: tuple | None = field(default=None, repr=False, compare=False)

    def crosses(self, l: float, t: float, r: float, b: float) -> bool:
        """Whether the path passes through the rectangle ``l..r`` × ``t..b`` (up to the
        sampling step; plain numbers: a label's placement asks thousands of times)."""
        if self.lane is not None:
            ln = self.lane
            segs = ((ln.x0, ln.ya, ln.x0, ln.ya - TURN), (ln.x0, ln.ya, ln.x, ln.ya),
                    (ln.x, ln.ya, ln.x, ln.yb), (ln.x, ln.yb, ln.x1, ln.yb),
                    (ln.x1, ln.yb, ln.x1, ln.yb + TURN))
            for x0, y0, x1, y1 in segs:
                if min(x0, x1) <= r and max(x0, x1) >= l and min(y0, y1) <= b and \
                        max(y0, y1) >= t:
                    return True
            return False
        keys = self._keys
        if keys is None or keys[0] is not self.samples:  # (a shift gives new samples)
            keys = self._keys = (self.samples, *_x_keys(self.samples))
        return _hits(self.samples, l, t, r, b, keys[1:])


    def part_in(self, rect: QRectF) -> QPainterPath | None:
        """The piece of a long curve over ``rect``'s x range (None: draw the whole path).

        A curve runs monotonically in x, so the piece is one cubic: the
        parameters where x enters and leaves ``rect`` are found by bisection
        and the curve is cut there (de Casteljau). Drawing a curve of
        thousands of units of which a view shows a few hundred costs that much less.
        """
        kept, left, right = self._part, rect.left(), rect.right()
        if kept is not None and kept[0] is self.samples and kept[1] == left and \
                kept[2] == right:
            return kept[3]
        piece = self._piece(rect)
        self._part = (self.samples, left, right, piece)
        return piece

    def _piece(self, rect: QRectF) -> QPainterPath | None:
        if self.lane is not None or self.path.elementCount() != 4:
            return None
        pts = [self.path.elementAt(i) for i in range(4)]
        xs = [p.x for p in pts]
        lo, hi = min(xs[0], xs[3]), max(xs[0], xs[3])
        l, r = max(rect.left(), lo), min(rect.right(), hi)
        if hi - lo < 2 * rect.width() or l >= r:
            return None
        ta, tb = _t_at(xs, l), _t_at(xs, r)
        ta, tb = min(ta, tb), max(ta, tb)
        p = _cut([(q.x, q.y) for q in pts], max(0.0, ta - 0.01), min(1.0, tb + 0.01))
        path = QPainterPath(QPointF(*p[0]))
        path.cubicTo(QPointF(*p[1]), QPointF(*p[2]), QPointF(*p[3]))
        return path


def _x_at(xs, t: float) -> float:
    u = 1 - t
    return u * u * u * xs[0] + 3 * u * u * t * xs[1] + 3 * u * t * t * xs[2] + t * t * t * xs[3]


def _t_at(xs, x: float) -> float:
    """The parameter where the x-monotone cubic with control xs reaches ``x``."""
    a, b = 0.0, 1.0
    rising = xs[3] >= xs[0]
    for _ in range(16):  # to 1.5e-5: the piece is cut 0.01 wider on each side
        m = (a + b) / 2
        if (_x_at(xs, m) < x) == rising:
            a = m
        else:
            b = m
    return (a + b) / 2


def _split(p, t: float):
    """De Casteljau: the control points of the cubic ``p`` before and after ``t``."""
    def lerp(a, b):
        return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)
    ab, bc, cd = lerp(p[0], p[1]), lerp(p[1], p[2]), lerp(p[2], p[3])
    abc, bcd = lerp(ab, bc), lerp(bc, cd)
    mid = lerp(abc, bcd)
    return [p[0], ab, abc, mid], [mid, bcd, cd, p[3]]


def _cut(p, ta: float, tb: float):
    """Control points of the cubic ``p`` between parameters ``ta`` < ``tb``."""
    head, _ = _split(p, tb)
    if tb <= 0:
        return head
    _, piece = _split(head, ta / tb)
    return piece


def _x_keys(pts) -> tuple[list[float], bool]:
    """What :func:`_hits` bisects: the points' x, ascending along ``pts`` (negated for a
    curve that runs leftwards), and whether it runs rightwards."""
    rising = not pts or pts[0][0] <= pts[-1][0]
    return ([p[0] for p in pts] if rising else [-p[0] for p in pts]), rising


def _hits(pts, l: float, t: float, r: float, b: float, keys=None) -> bool:
    """Whether any of the curve points ``pts`` lies in ``(l, t, r, b)``.

    The curves have vertical tangents at both ends, so their x runs
    monotonically from one end to the other: the points inside ``l..r`` are
    found by bisection (on plain floats, ``keys`` from :func:`_x_keys`, made here
    when not given) and only their y is tested.
    """
    if not pts:
        return False
    xs, rising = keys if keys is not None else _x_keys(pts)
    if rising:
        i = bisect_left(xs, l - _EPS)
        j = bisect_right(xs, r + _EPS, i)
    else:
        i = bisect_left(xs, -r - _EPS)
        j = bisect_right(xs, -l + _EPS, i)
    for k in range(i, j):
        x, y = pts[k]
        if l <= x <= r and t <= y <= b:
            return True
    return False


_EPS = 1e-6  # x is monotonic up to rounding


def curve_handle(p0: QPointF, p1: QPointF) -> float:
    """Length of the vertical tangents of the curve from ``p0`` to ``p1``.

    Half the vertical distance plus 0.15 of the horizontal one, clamped to
    28..140 scene units.
    """
    dy = p1.y() - p0.y()
    return max(28.0, min(140.0, abs(dy) * 0.5 + abs(p1.x() - p0.x()) * 0.15))


def bezier_points(p0: QPointF, p1: QPointF, n: int,
                  handles: tuple[float, float] | None = None) -> list[tuple[float, float]]:
    """``n + 1`` points of the vertical-tangent cubic from ``p0`` to ``p1``."""
    h0, h1 = handles or (curve_handle(p0, p1),) * 2
    x0, y0, x3, y3 = p0.x(), p0.y(), p1.x(), p1.y()
    y1, y2 = y0 + h0, y3 - h1
    return [(ab * x0 + cd * x3, a * y0 + b * y1 + c * y2 + d * y3)
            for ab, cd, a, b, c, d in _basis(n)]


@lru_cache(maxsize=256)
def _basis(n: int) -> tuple[tuple[float, ...], ...]:
    """The cubic Bernstein weights at ``t = i / n`` (with a + b and c + d), i = 0..n."""
    out = []
    for i in range(n + 1):
        t = i / n
        u = 1 - t
        a, b, c, d = u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t
        out.append((a + b, c + d, a, b, c, d))
    return tuple(out)


def _curve(p0: QPointF, p1: QPointF, handles: tuple[float, float]) -> QPainterPath:
    h0, h1 = handles
    path = QPainterPath(p0)
    path.cubicTo(QPointF(p0.x(), p0.y() + h0), QPointF(p1.x(), p1.y() - h1), p1)
    return path


def _handles(p0: QPointF, p1: QPointF):
    """Curve shapes to try: balanced, then turning early, then turning late."""
    h = curve_handle(p0, p1)
    yield h, h
    if abs(p1.x() - p0.x()) > 20 and h > 30:
        yield 16.0, h
        yield h, 16.0


#: scene units of curve (|dx| + |dy|) between two hit-test samples
SAMPLE_STEP = 16.0


def _samples(p0: QPointF, p1: QPointF, handles: tuple[float, float]):
    """Hit-test points of a curve, about every :data:`SAMPLE_STEP` units, by increasing x."""
    length = abs(p1.y() - p0.y()) + abs(p1.x() - p0.x())
    pts = bezier_points(p0, p1, max(8, int(length / SAMPLE_STEP)), handles)
    if pts[0][0] > pts[-1][0]:
        pts.reverse()
    return tuple(pts)


def _blocked(pts, p0: QPointF, p1: QPointF, obstacles: list[QRectF]) -> bool:
    """Whether the curve through ``pts`` crosses any of ``obstacles``."""
    if not obstacles:
        return False
    lo, hi = min(p0.y(), p1.y()), max(p0.y(), p1.y())
    xl, xr = min(p0.x(), p1.x()), max(p0.x(), p1.x())
    keys = _x_keys(pts)
    return any(_hits(pts, r.left(), r.top(), r.right(), r.bottom(), keys) for r in obstacles
               if r.bottom() >= lo and r.top() <= hi and r.right() >= xl and r.left() <= xr)


def _crossings(x: float, x0: float, ya: float, x1: float, yb: float,
               others: list[tuple[float, float, float, float, float, float, float]]) -> int:
    """Crossings of the lane route ``(x0, ya) → x → (x1, yb)`` with ``others``.

    ``others`` holds ``(x, x0, ya, x1, yb, lo, hi)`` of each other lane.
    """
    lo, hi = min(ya, yb), max(ya, yb)
    n = 0
    for ox, ox0, oya, ox1, oyb, olo, ohi in others:
        # my horizontals against its vertical, its horizontals against my vertical
        if olo < ya < ohi and min(x0, x) < ox < max(x0, x):
            n += 1
        if olo < yb < ohi and min(x, x1) < ox < max(x, x1):
            n += 1
        if lo < oya < hi and min(ox0, ox) < x < max(ox0, ox):
            n += 1
        if lo < oyb < hi and min(ox, ox1) < x < max(ox, ox1):
            n += 1
    return n


def _lane(p0: QPointF, p1: QPointF, obstacles: list[QRectF],
          lanes: list[Lane]) -> tuple[Lane, int]:
    """The clear lane with the cheapest detour, and the side its label goes on.

    Candidates hug the cards (or other lanes) on either side, so a lane may run
    in a channel between two columns as well as outside them. The cost is the
    horizontal detour plus :data:`CROSSING_COST` per crossing with another
    lane; ties go to the lane nearest the source.
    """
    x0, x1 = p0.x(), p1.x()
    ya, yb = p0.y() + TURN, p1.y() - TURN
    lo, hi = min(ya, yb), max(ya, yb)
    band = [r for r in obstacles if r.bottom() >= lo and r.top() <= hi]
    walls = [(r.left() - LANE_GAP, r.right() + LANE_GAP) for r in band]
    others = [(ln.x, ln.x0, ln.ya, ln.x1, ln.yb, ln.lo, ln.hi) for ln in lanes]
    near = [o[0] for o in others if o[6] >= lo and o[5] <= hi]
    cands = {x0, x1}
    for a, b in walls:
        cands.add(a)
        cands.add(b)
    for lx in near:
        cands.add(lx - LANE_STEP)
        cands.add(lx + LANE_STEP)
    step = LANE_STEP - 0.5
    best = None
    for base, x in sorted((abs(x - x0) + abs(x - x1), x) for x in cands):
        if best is not None and base > best[0][0]:
            break  # crossings only add to the cost
        if any(a < x < b for a, b in walls) or any(abs(lx - x) < step for lx in near):
            continue
        cost = base + CROSSING_COST * _crossings(x, x0, ya, x1, yb, others)
        key = (round(cost), abs(x - x0), x)
        if best is None or key < best[0]:
            best = (key, x)
    if best is None:  # unreachable in practice: right of everything
        x = max([r.right() for r in band] + [x0, x1]) + LANE_GAP
    else:
        x = best[1]
    room_r = min((r.left() for r in band if r.left() > x), default=x + 1e9) - x
    room_l = x - max((r.right() for r in band if r.right() < x), default=x - 1e9)
    return Lane(x, x0, ya, x1, yb), (1 if room_r >= room_l else -1)


def _lane_path(p0: QPointF, p1: QPointF, xs: float, ya: float, yb: float) -> QPainterPath:
    """Orthogonal path p0 ↓ ya → xs ↕ yb → p1.x ↓ p1 with rounded corners."""
    pts = [p0, QPointF(p0.x(), ya), QPointF(xs, ya), QPointF(xs, yb), QPointF(p1.x(), yb), p1]
    clean = [pts[0]]
    for p in pts[1:]:
        if abs(p.x() - clean[-1].x()) + abs(p.y() - clean[-1].y()) > 0.5:
            clean.append(p)
    path = QPainterPath(clean[0])
    for i in range(1, len(clean) - 1):
        a, b, c = clean[i - 1], clean[i], clean[i + 1]
        d1 = abs(b.x() - a.x()) + abs(b.y() - a.y())
        d2 = abs(c.x() - b.x()) + abs(c.y() - b.y())
        r = min(_R, d1 / 2, d2 / 2)
        u = QPointF((a.x() - b.x()) / d1, (a.y() - b.y()) / d1)
        v = QPointF((c.x() - b.x()) / d2, (c.y() - b.y()) / d2)
        path.lineTo(b + u * r)
        path.quadTo(b, b + v * r)
    path.lineTo(clean[-1])
    return path


def route(p0: QPointF, p1: QPointF, obstacles: list[QRectF], lanes: list[Lane],
          bounds: tuple[QRectF, QRectF]) -> Route:
    """The path of an edge from output anchor ``p0`` to input anchor ``p1``.

    Parameters
    ----------
    p0, p1 : QPointF
        Scene points of the source's output port and the target's input port.
    obstacles : list of QRectF
        Cards the edge must not cross (not its own ends), with a margin.
    lanes : list of Lane
        Lanes taken by other edges.
    bounds : (QRectF, QRectF)
        Cards of the source and the target (a lane going upwards avoids them).
    """
    forward = p1.y() - p0.y() > 2 * TURN
    if forward:
        for handles in _handles(p0, p1):
            samples = _samples(p0, p1, handles)
            if not _blocked(samples, p0, p1, obstacles):
                path = _curve(p0, p1, handles)
                return Route(path, path.pointAtPercent(0.5), None, 1, samples)
    lane, side = _lane(p0, p1, obstacles + ([] if forward else list(bounds)), lanes)
    path = _lane_path(p0, p1, lane.x, lane.ya, lane.yb)
    return Route(path, QPointF(lane.x, (lane.ya + lane.yb) / 2), lane, side)


@lru_cache(maxsize=64)
def _ring_offsets(w: float, h: float) -> tuple[tuple[float, float], ...]:
    """Offsets of the spots around a crowded one, nearest first (a 7 × 17 grid)."""
    steps = [(i * (w + 6), j * (h + 3)) for i in range(-3, 4) for j in range(-8, 9)
             if i or j]
    return tuple(sorted(steps, key=lambda d: (abs(d[0]) / w + abs(d[1]) / h, d)))


def spots_around(pos: QPointF, size):
    """Spots around ``pos`` for a label of ``size`` whose usual spots are all taken."""
    x, y = pos.x(), pos.y()
    for dx, dy in _ring_offsets(size.width(), size.height()):
        yield QPointF(x + dx, y + dy)
