"""Where the canvas shows nodes and groups when groups are collapsed (pure, no Qt).

The model keeps every node's position; a collapsed group only changes the view.
Its members are drawn as one card at the top of their band (the median x of
the members, the smallest y), and the band of height the members took is
*folded* away like folded code: every y below it moves up by what was removed.
A band is not folded where another visible card stands beside the group, so
nothing shown overlaps. An expanded group's frame gets room for its header above
its members and for its padding below (the view moves down there). :class:`Fold`
maps model y to view y and back (monotone, piecewise linear), :func:`plan_view`
works out the whole view.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from statistics import median

from engine import Graph

from . import theme

__all__ = ["Fold", "ViewPlan", "plan_view", "card_of"]

#: room kept above and below a visible card standing beside a folded band
_KEEP = theme.NODE_H * 0.5 + 24.0


class Fold:
    """Model y ↔ view y: intervals folded away, room let in.

    Parameters
    ----------
    cuts : list of (a, b)
        Model intervals ``(a, b]`` that collapse onto ``a`` (sorted, disjoint).
    inserts : list of (y, h)
        Room of height ``h`` let in just above model ``y`` (a frame's header):
        every y from there down moves ``h`` further down.
    """

    def __init__(self, cuts: list[tuple[float, float]] | None = None,
                 inserts: list[tuple[float, float]] | None = None):
        self.cuts = list(cuts or [])
        self.inserts = sorted(inserts or [])
        self._starts = [a for a, _ in self.cuts]
        self._before = []
        acc = 0.0
        for a, b in self.cuts:
            self._before.append(acc)
            acc += b - a
        self._at = [y for y, _ in self.inserts]
        self._room = []
        acc = 0.0
        for _, h in self.inserts:
            acc += h
            self._room.append(acc)

    def __bool__(self) -> bool:
        return bool(self.cuts or self.inserts)

    def to_view(self, y: float) -> float:
        """The view y of model y."""
        i = bisect_left(self._starts, y)  # cuts starting strictly below y: [0, i)
        if i:
            a, b = self.cuts[i - 1]
            y2 = y - self._before[i - 1] - (min(b, y) - a)
        else:
            y2 = y
        j = bisect_right(self._at, y)  # room let in at or above y
        return y2 + (self._room[j - 1] if j else 0.0)

    def to_model(self, vy: float) -> float:
        """A model y shown at view y ``vy`` (the top of a folded interval)."""
        if not self:
            return vy
        lo, hi = vy - 1e7, vy + 1e7
        for _ in range(80):  # to_view is monotone: bisect
            mid = (lo + hi) / 2
            if self.to_view(mid) < vy:
                lo = mid
            else:
                hi = mid
        return round(hi, 3)


def _subtract(band: tuple[float, float], pinned: list[float]) -> list[tuple[float, float]]:
    """The parts of ``band`` farther than the keep distance from every pinned y."""
    parts = [band]
    for p in pinned:
        lo, hi = p - _KEEP, p + _KEEP
        if hi <= band[0] or lo >= band[1]:
            continue
        out = []
        for a, b in parts:
            if hi <= a or lo >= b:
                out.append((a, b))
                continue
            if lo > a:
                out.append((a, lo))
            if hi < b:
                out.append((hi, b))
        parts = out
    return parts


def _merge(cuts: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[list[float]] = []
    for a, b in sorted(cuts):
        if b <= a:
            continue
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def card_of(graph: Graph) -> dict[str, str]:
    """``{node id: outermost collapsed group holding it}`` for the hidden nodes."""
    groups = graph.groups
    outer: dict[str, str | None] = {}

    def top(gid: str) -> str | None:
        if gid not in outer:
            g = groups[gid]
            above = top(g.parent) if g.parent is not None else None
            outer[gid] = above if above is not None else (gid if g.collapsed else None)
        return outer[gid]

    out = {}
    for gid, g in groups.items():
        t = top(gid)
        if t is not None:
            for n in g.nodes:
                out[n] = t
    return out


@dataclass
class ViewPlan:
    """What the canvas shows: positions, cards and frames.

    Attributes
    ----------
    fold : Fold
        The model ↔ view map of y.
    node_pos : dict
        View position of every node (a hidden node: its card's position).
    hidden : dict
        Node id → id of the collapsed card that stands for it.
    cards : dict
        Id of each shown collapsed group → its view position (card centre).
    frames : list
        Ids of the expanded groups shown as frames (no collapsed ancestor),
        innermost first.
    """

    fold: Fold
    node_pos: dict[str, tuple[float, float]] = field(default_factory=dict)
    hidden: dict[str, str] = field(default_factory=dict)
    cards: dict[str, tuple[float, float]] = field(default_factory=dict)
    frames: list[str] = field(default_factory=list)


def plan_view(graph: Graph, model_pos: Mapping[str, tuple[float, float]],
              frame_room: float = 0.0, frame_pad: float = 0.0,
              label_room: float = 0.0) -> ViewPlan:
    """The view of ``graph`` whose nodes stand at ``model_pos`` (every node's centre).

    Each expanded group lets in ``frame_room`` above its members (its header)
    and ``frame_pad`` below them; above the frames that start at one height,
    ``label_room`` more (for the label of the edge entering them).
    """
    hidden = card_of(graph)
    members: dict[str, list[str]] = {}
    for n, gid in hidden.items():
        members.setdefault(gid, []).append(n)
    anchor: dict[str, tuple[float, float]] = {}
    bands = {}
    for gid, ids in members.items():
        ys = [model_pos[n][1] for n in ids]
        anchor[gid] = (median(model_pos[n][0] for n in ids), min(ys))
        bands[gid] = (min(ys), max(ys))
    shown = sorted([model_pos[n][1] for n in graph.nodes if n not in hidden])
    cuts = []
    for gid, (top, bottom) in bands.items():
        pinned = shown + [a[1] for g, a in anchor.items() if g != gid]
        cuts.extend(_subtract((top, bottom), pinned))
    frames = [gid for gid in graph.groups
              if not graph.groups[gid].collapsed and not _under_collapsed(graph, gid)]
    inserts = []
    tops = set()
    for gid in frames:
        ys = [model_pos[n][1] for n in graph.members(gid)]
        if ys:  # room for the header above, the frame's padding below
            inserts.append((min(ys) - 1e-3, frame_room))
            inserts.append((max(ys) + 1e-3, frame_pad))
            tops.add(min(ys))
    inserts += [(y - 1e-3, label_room) for y in tops]  # an edge label above the headers
    fold = Fold(_merge(cuts), inserts)
    plan = ViewPlan(fold, hidden=hidden)
    for gid, (x, y) in anchor.items():
        plan.cards[gid] = (x, fold.to_view(y))
    for n in graph.nodes:
        if n in hidden:
            plan.node_pos[n] = plan.cards[hidden[n]]
        else:
            x, y = model_pos[n]
            plan.node_pos[n] = (x, fold.to_view(y))
    depth = {gid: len(graph.ancestors(gid)) for gid in frames}
    plan.frames = sorted(depth, key=lambda g: -depth[g])
    return plan


def _under_collapsed(graph: Graph, gid: str) -> bool:
    return any(graph.groups[a].collapsed for a in graph.ancestors(gid))
