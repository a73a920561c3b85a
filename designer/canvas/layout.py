"""Automatic layout: layered, top-down (a light Sugiyama scheme).

1. **Layers** by longest path from the sources, so every node sits below all
   its sources; a non-Input source is pulled down next to its first consumer.
2. **Long edges** get a dummy node per layer they cross; dummies reserve room
   for the edge's lane and keep skip connections beside the main chain.
3. **Order** within layers by barycentres, sweeping down and up a few times
   (input slots count: a Concat's slot 0 source goes left of its slot 1
   source); the ordering with the fewest crossings wins.
4. **Coordinates** by weighted least squares towards the neighbours' mean,
   under minimum-separation constraints (pool-adjacent-violators), so chains
   are straight, branches symmetric and dummies give way to real nodes.

:func:`layered_positions` is pure (engine only) and deterministic.
"""

from __future__ import annotations

from collections import defaultdict

from engine import Graph

__all__ = ["layered_positions"]

ROW = 120.0
COL = 230.0
GRID = 10.0
#: width a dummy (a lane of a long edge) takes in a layer
_LANE_W = 60.0
_DUMMY_WEIGHT = 0.01


def _components(graph: Graph) -> list[list[str]]:
    """Weakly connected components, each in graph order, ordered by first node."""
    adj: dict[str, set[str]] = {n: set() for n in graph.nodes}
    for e in graph.edges:
        adj[e.src].add(e.dst)
        adj[e.dst].add(e.src)
    seen: set[str] = set()
    comps = []
    order = {n: i for i, n in enumerate(graph.nodes)}
    for n in graph.nodes:
        if n in seen:
            continue
        stack, comp = [n], []
        seen.add(n)
        while stack:
            v = stack.pop()
            comp.append(v)
            for w in adj[v]:
                if w not in seen:
                    seen.add(w)
                    stack.append(w)
        comps.append(sorted(comp, key=order.__getitem__))
    return comps


def _layers(graph: Graph, nodes: list[str]) -> dict[str, int]:
    members = set(nodes)
    order = [n for n in graph.topo_order() if n in members]
    layer: dict[str, int] = {}
    for n in order:
        srcs = graph.inputs_of(n).values()
        layer[n] = max((layer[s] + 1 for s in srcs), default=0)
    # pull sources that are not Inputs (constants, stray nodes) down to their consumers
    for n in reversed(order):
        if graph.inputs_of(n) or graph.nodes[n].type == "Input":
            continue
        succ = [e.dst for e in graph.successors(n)]
        if succ:
            layer[n] = max(layer[n], min(layer[d] for d in succ) - 1)
    return layer


class _Net:
    """The layered net of one component, dummies included."""

    def __init__(self, graph: Graph, nodes: list[str]):
        self.layer = _layers(graph, nodes)
        self.up: dict[object, list[tuple[object, float]]] = defaultdict(list)
        self.down: dict[object, list[tuple[object, float]]] = defaultdict(list)
        self.real = set(nodes)
        members = self.real
        for e in graph.edges:
            if e.src not in members:
                continue
            n_slots = max(graph.inputs_of(e.dst)) + 1
            slot = (e.port + 0.5) / n_slots - 0.5 if n_slots > 1 else 0.0
            prev = e.src
            for k in range(self.layer[e.src] + 1, self.layer[e.dst]):
                d = ("dummy", e.src, e.dst, e.port, k)
                self.layer[d] = k
                self._link(prev, d, 0.0)
                prev = d
            self._link(prev, e.dst, slot)
        self.n_layers = max(self.layer.values()) + 1
        self.rows: list[list] = [[] for _ in range(self.n_layers)]
        seen: set = set()
        # initial order: depth-first from the sources, children by input slot
        def visit(v):
            stack = [v]
            while stack:
                v = stack.pop()
                if v in seen:
                    continue
                seen.add(v)
                self.rows[self.layer[v]].append(v)
                kids = sorted(self.down[v], key=lambda t: t[1])
                stack.extend(w for w, _ in reversed(kids))
        for n in nodes:
            if not self.up[n]:
                visit(n)
        for n in nodes:
            visit(n)

    def _link(self, a, b, slot: float) -> None:
        self.down[a].append((b, slot))
        self.up[b].append((a, slot))

    def _neighbours(self, v, direction: str) -> list:
        ns = []
        if direction in ("down", "both"):
            ns += [u for u, _ in self.up[v]]
        if direction in ("up", "both"):
            ns += [w for w, _ in self.down[v]]
        return ns

    def width(self, v) -> float:
        return COL if v in self.real else _LANE_W

    def weight(self, v) -> float:
        return 1.0 if v in self.real else _DUMMY_WEIGHT

    # -- ordering ------------------------------------------------------------------
    def crossings(self, rows: list[list]) -> int:
        total = 0
        for l in range(len(rows) - 1):
            pos = {v: i for i, v in enumerate(rows[l + 1])}
            pairs = sorted((i, pos[w] + s) for i, v in enumerate(rows[l])
                           for w, s in self.down[v])
            for a in range(len(pairs)):
                for b in range(a + 1, len(pairs)):
                    if pairs[a][0] < pairs[b][0] and pairs[a][1] > pairs[b][1]:
                        total += 1
        return total

    def order(self, sweeps: int = 6) -> None:
        best = [list(r) for r in self.rows]
        best_c = self.crossings(best)
        rows = [list(r) for r in self.rows]
        for _ in range(sweeps):
            for l in range(1, self.n_layers):
                pos = {v: i for i, v in enumerate(rows[l - 1])}
                rows[l] = self._sorted(rows[l],
                                       lambda v, pos=pos: [pos[u] for u, _ in self.up[v]])
            for l in range(self.n_layers - 2, -1, -1):
                pos = {v: i for i, v in enumerate(rows[l + 1])}
                rows[l] = self._sorted(
                    rows[l], lambda v, pos=pos: [pos[w] + 0.8 * s for w, s in self.down[v]])
            c = self.crossings(rows)
            if c < best_c:
                best, best_c = [list(r) for r in rows], c
            if best_c == 0:
                break
        self.rows = best

    @staticmethod
    def _sorted(row: list, neighbours) -> list:
        keys = {}
        for i, v in enumerate(row):
            ns = neighbours(v)
            keys[v] = sum(ns) / len(ns) if ns else float(i)
        return sorted(row, key=lambda v: keys[v])

    # -- coordinates -----------------------------------------------------------------
    def coordinates(self, rounds: int = 12) -> dict:
        x: dict = {}
        for row in self.rows:
            cur = 0.0
            for i, v in enumerate(row):
                if i:
                    cur += (self.width(row[i - 1]) + self.width(v)) / 2
                x[v] = cur
            shift = cur / 2
            for v in row:
                x[v] -= shift
        pulls = {d: self._pulls(d) for d in ("down", "up", "both")}  # fixed through the rounds
        spacing = [self._spacing(row) if len(row) > 1 else None for row in self.rows]
        for r in range(rounds):
            direction = ("down", "up", "both")[r % 3] if r < rounds - 1 else "both"
            layers = range(self.n_layers) if direction != "up" else \
                range(self.n_layers - 1, -1, -1)
            pull = pulls[direction]
            for l in layers:
                self._place_row(self.rows[l], x, pull, spacing[l])
        return x

    def _pulls(self, direction: str) -> dict:
        """``{v: (neighbours, their weights, the weights' sum)}`` of the nodes that
        have neighbours in ``direction`` (a dummy pulls half as hard on a real node)."""
        real, out = self.real, {}
        for row in self.rows:
            for v in row:
                ns = self._neighbours(v, direction)
                if ns:
                    rv = v in real
                    ws = [self.weight(n) * (1.0 if rv == (n in real) else 0.5) for n in ns]
                    out[v] = (ns, ws, sum(ws))
        return out

    def _spacing(self, row: list) -> tuple[list[float], list[float]]:
        """The weights of a row's nodes and their minimum offsets from its first."""
        offsets, cur = [], 0.0
        for i, v in enumerate(row):
            if i:
                cur += (self.width(row[i - 1]) + self.width(v)) / 2
            offsets.append(cur)
        return [self.weight(v) for v in row], offsets

    @staticmethod
    def _place_row(row: list, x: dict, pull: dict, spacing) -> None:
        if spacing is None:  # a chain's row: the weighted mean of its neighbours
            got = pull.get(row[0])
            if got is not None:
                x[row[0]] = _mean(x, got)
            return
        desired = [x[v] if (got := pull.get(v)) is None else _mean(x, got) for v in row]
        weights, offsets = spacing
        targets = [d - o for d, o in zip(desired, offsets, strict=True)]
        for v, y, o in zip(row, _isotonic(targets, weights), offsets, strict=True):
            x[v] = y + o


def _mean(x: dict, pull: tuple) -> float:
    """The weighted mean of the neighbours' ``x`` (a pull of :meth:`_Net._pulls`)."""
    ns, ws, total = pull
    if len(ns) == 1:  # a chain's link: the same float as the sum, without a generator
        return x[ns[0]] * ws[0] / total
    return sum(x[n] * w for n, w in zip(ns, ws, strict=True)) / total


def _isotonic(values: list[float], weights: list[float]) -> list[float]:
    """Weighted least-squares non-decreasing fit (pool adjacent violators)."""
    blocks: list[list[float]] = []  # [mean, weight, count]
    for v, w in zip(values, weights, strict=True):
        blocks.append([v, w, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, w2, c2 = blocks.pop()
            m1, w1, c1 = blocks.pop()
            blocks.append([(m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2, c1 + c2])
    out = []
    for m, _w, c in blocks:
        out.extend([m] * c)
    return out


def _snap(v: float) -> float:
    return round(v / GRID) * GRID


def layered_positions(graph: Graph) -> dict[str, tuple[float, float]]:
    """Top-down layered positions (card centres) for every node of ``graph``.

    Parameters
    ----------
    graph : engine.Graph

    Returns
    -------
    dict
        ``{node id: (x, y)}``; every node lies at least one row below each of
        its sources; the first node of the first component sits at x = 0;
        unconnected parts stand side by side.
    """
    out: dict[str, tuple[float, float]] = {}
    left = None
    for comp in _components(graph):
        net = _Net(graph, comp)
        net.order()
        xs = net.coordinates()
        real = {n: xs[n] for n in comp}
        lo = min(real.values()) - COL / 2
        hi = max(real.values()) + COL / 2
        if left is None:
            shift = -real[comp[0]]
            left = hi + shift
        else:
            shift = left - lo
            left = hi + shift
        for n in comp:
            out[n] = (_snap(real[n] + shift), net.layer[n] * ROW)
    return out
