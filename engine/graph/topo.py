"""The graph's topological index: the cycle check of every connect, fast in practice.

:class:`TopoIndex` keeps a rank per node such that every edge goes from a lower
rank to a higher one (Pearce and Kelly's dynamic topological order, 2006). An
edge ``src → dst`` with ``rank[src] < rank[dst]`` cannot close a cycle and is
accepted without a search; otherwise the search for a path ``dst ⇝ src`` only
visits the nodes ranked between the two, and adding the edge reorders just
those. New nodes get the next rank; removing an edge or a node keeps the order
valid, and a removed node's rank is kept for it: put back (an undo), it takes
that rank again, so its edges return without reordering the nodes after it.

Loading a file defers the check (:meth:`TopoIndex.suspend`): all edges are
added, then one Kahn sort ranks the nodes, linear in the graph. When the file
has a cycle, :func:`first_cycle_edge` names the edge that closes it first in
file order: the edge an edge-by-edge check refuses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

__all__ = ["TopoIndex", "first_cycle_edge", "kahn"]

Outs = Mapping[str, Mapping[tuple[str, int], object]]


class TopoIndex:
    """Node ranks in a topological order of the graph, kept through its edits."""

    __slots__ = ("_rank", "_gone", "_next", "_stale", "suspended")

    def __init__(self) -> None:
        self._rank: dict[str, int] = {}
        #: ranks of removed nodes: never given to another node until a rebuild
        self._gone: dict[str, int] = {}
        self._next = 0
        #: ranks unknown (after a suspension): rebuilt on the next question
        self._stale = False
        #: no check until :meth:`rebuild` (a file being read)
        self.suspended = False

    # -- following the edits -------------------------------------------------------
    def add(self, node_id: str) -> None:
        """A new node (no edges yet): it takes the rank it had when it was removed
        (an undo), else the next one."""
        if not self._stale:
            old = self._gone.pop(node_id, None) if self._gone else None
            if old is None:
                old = self._next
                self._next += 1
            self._rank[node_id] = old

    def remove(self, node_id: str) -> None:
        """A node left the graph (its edges first: the order stays valid).

        Its rank is kept for it: ranks are unique, and a removed one is given to
        no other node (new nodes take fresh ones, reordering permutes the ranks
        in use), so it is still free when the node comes back.
        """
        old = self._rank.pop(node_id, None)
        if old is not None:
            self._gone[node_id] = old

    def rename(self, old: str, new: str) -> None:
        """A node changed its id; it keeps its rank."""
        if old in self._rank:
            self._rank[new] = self._rank.pop(old)
            self._gone.pop(new, None)

    def suspend(self) -> None:
        """Stop checking and ranking until :meth:`rebuild` (a file being read)."""
        self._stale = self.suspended = True
        self._rank, self._gone = {}, {}

    def abandon(self) -> None:
        """End a suspension without ranking (a refused file): rebuilt on the next question."""
        self.suspended, self._stale, self._rank, self._gone = False, True, {}, {}

    def rebuild(self, nodes: Iterable[str], outs: Outs, ins: Mapping[str, Mapping]) -> bool:
        """Rank ``nodes`` by one Kahn sort; False (and still stale) when they hold a cycle."""
        self.suspended = False
        order = kahn(nodes, outs, ins)
        self._gone = {}  # ranks are dealt afresh
        if order is None:
            self._stale, self._rank = True, {}
            return False
        self._rank = {n: i for i, n in enumerate(order)}
        self._next = len(order)
        self._stale = False
        return True

    # -- the check ----------------------------------------------------------------
    def closes_cycle(self, src: str, dst: str, nodes: Iterable[str], outs: Outs,
                     ins: Mapping[str, Mapping]) -> bool:
        """Whether adding ``src → dst`` to the (acyclic) graph would close a cycle."""
        if self.suspended:
            return False  # the load checks the whole graph at the end
        if src == dst:
            return True
        if self._stale:
            self.rebuild(nodes, outs, ins)
        rank = self._rank
        upper = rank[src]
        if rank[dst] > upper:
            return False
        return src in _forward(dst, outs, rank, upper, src)

    def connected(self, src: str, dst: str, outs: Outs, ins: Mapping[str, Mapping]) -> None:
        """Restore the order after ``src → dst`` was added (it closes no cycle)."""
        if self._stale:
            return
        rank = self._rank
        lower, upper = rank[dst], rank[src]
        if lower > upper:
            return
        ahead = _forward(dst, outs, rank, upper, None)
        behind = _backward(src, ins, rank, lower)
        moved = sorted(behind, key=rank.__getitem__) + sorted(ahead, key=rank.__getitem__)
        for node, r in zip(moved, sorted(rank[n] for n in moved), strict=True):
            rank[node] = r


def _forward(start: str, outs: Outs, rank: Mapping[str, int], upper: int,
             stop: str | None) -> set[str]:
    """``start`` and the nodes reachable from it ranked at most ``upper`` (the walk
    ends early when it meets ``stop``)."""
    seen = {start}
    stack = [start]
    while stack:
        for (dst, _port) in outs[stack.pop()]:
            if dst not in seen and rank[dst] <= upper:
                seen.add(dst)
                if dst == stop:
                    return seen
                stack.append(dst)
    return seen


def _backward(start: str, ins: Mapping[str, Mapping], rank: Mapping[str, int],
              lower: int) -> set[str]:
    """``start`` and its ancestors ranked at least ``lower``."""
    seen = {start}
    stack = [start]
    while stack:
        for src in ins[stack.pop()].values():
            if src not in seen and rank[src] >= lower:
                seen.add(src)
                stack.append(src)
    return seen


def kahn(nodes: Iterable[str], outs: Outs, ins: Mapping[str, Mapping]) -> list[str] | None:
    """A topological order of ``nodes`` (Kahn's algorithm), None if they hold a cycle."""
    indeg = {n: len(ins[n]) for n in nodes}
    ready = [n for n, d in indeg.items() if d == 0]
    order: list[str] = []
    while ready:
        n = ready.pop()
        order.append(n)
        for (dst, _port) in outs[n]:
            d = indeg[dst] - 1
            indeg[dst] = d
            if d == 0:
                ready.append(dst)
    return order if len(order) == len(indeg) else None


def first_cycle_edge(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> int | None:
    """Index of the first edge of ``edges`` (in order) that closes a cycle, or None.

    That is the edge an edge-by-edge check refuses: the shortest prefix with a
    cycle ends with it. Found by bisection over prefixes, each tested by a Kahn
    sort (only a refused file pays it).
    """
    def cyclic(k: int) -> bool:
        outs: dict[str, dict] = {n: {} for n in nodes}
        ins: dict[str, dict] = {n: {} for n in nodes}
        for i, (s, d) in enumerate(edges[:k]):
            outs[s][(d, i)] = None
            ins[d][i] = s
        return kahn(nodes, outs, ins) is None

    if not cyclic(len(edges)):
        return None
    lo, hi = 0, len(edges)  # edges[:lo] acyclic, edges[:hi] cyclic
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if cyclic(mid):
            hi = mid
        else:
            lo = mid
    return hi - 1
