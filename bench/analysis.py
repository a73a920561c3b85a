"""Speed of the analysis (prints its figures; see the README).

1. Full analysis of a 1000-node graph against torch's meta-device shape
   propagation of the same graph (modules built on the meta device from the
   catalogue's own constructor calls, then one forward on meta tensors), in
   one process. Only torch's part is timed for the reference: the constructor
   calls are prepared beforehand. Goal: at least 20× faster (stretch 100×).
   Two graphs: the usual one, whose blocks repeat as in most nets (within a
   pass, identical layers share the catalogue's answers), and one where no two
   layers are alike (nothing is shared).
2. Re-analysis after one parameter edit in the middle of a 300-node graph
   (incremental ``Analyzer``). Goal: under 5 ms median. Three edits:
   - worst case: the kernel size of the middle plain conv alternates 3 ↔ 5, so
     the spatial shape and the receptive field of every descendant change and
     all of them are recomputed (on both graphs);
   - early cutoff: the out_channels of a conv inside a block alternate 32 ↔ 48;
     the Concat after it absorbs the change, so only a few nodes are recomputed.

Timings are noisy on a busy machine: each figure is given as median and min of
several runs (the full analysis and torch's runs interleaved); the speed-up is
given for both.

Run: ``.venv/bin/python bench/analysis.py``
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import Analyzer, Graph, analyze  # noqa: E402


def make_graph(n: int, varied: bool = False) -> Graph:
    """A valid conv net of about ``n`` nodes: conv/BN/ReLU blocks with residual adds,
    concat branches, dilations and occasional stride-2 downsampling.

    Blocks repeat, as in most nets, so many layers have the same parameters and
    input shape; with ``varied``, widths grow block by block so that no two layers
    are alike (the analysis then shares nothing between them).
    """
    g = Graph(f"bench {n}" + (" varied" if varied else ""))
    g.add_node("Input", {"channels": 3, "height": 256, "width": 256}, "input")
    last, ch, i, size = "input", 3, 0, 256
    while len(g) < n:
        i += 1
        kind = i % 5
        width = 16 + i if varied else 32
        if kind == 0 and size >= 16:  # downsample
            nid = g.add_node("Conv2d", {"out_channels": width, "kernel_size": 3, "stride": 2,
                                        "padding": 1}, f"down{i}")
            g.connect(last, nid)
            last, ch, size = nid, width, (size + 1) // 2
        elif kind == 1:  # residual block
            a = g.add_node("Conv2d", {"out_channels": ch, "kernel_size": 3, "padding": 1,
                                      "dilation": 1}, f"c{i}a")
            b = g.add_node("BatchNorm2d", {}, f"bn{i}")
            r = g.add_node("ReLU", {}, f"r{i}")
            s = g.add_node("Add", {}, f"add{i}")
            g.connect(last, a)
            g.connect(a, b)
            g.connect(b, r)
            g.connect(r, s, 0)
            g.connect(last, s, 1)
            last = s
        elif kind == 2:  # concat of a dilated and a plain branch
            half = width // 2
            a = g.add_node("Conv2d", {"out_channels": half, "kernel_size": 3, "padding": 2,
                                      "dilation": 2}, f"c{i}d")
            b = g.add_node("Conv2d", {"out_channels": half, "kernel_size": 1}, f"c{i}p")
            c = g.add_node("Concat", {}, f"cat{i}")
            g.connect(last, a)
            g.connect(last, b)
            g.connect(a, c, 0)
            g.connect(b, c, 1)
            last, ch = c, 2 * half
        else:
            nid = g.add_node("Conv2d", {"out_channels": width, "kernel_size": 3, "padding": 1},
                             f"c{i}")
            g.connect(last, nid)
            last, ch = nid, width
    return g


def torch_plan(graph: Graph) -> list[tuple]:
    """Per node in order: ``(id, type, source ids, module class, args, kwargs, shape)``,
    from the catalogue's constructor calls (prepared outside the timed part)."""
    from torch import nn

    an = Analyzer(graph)
    res = an.result()
    an.close()
    plan = []
    for nid in res.nodes:
        node = graph.nodes[nid]
        ports = graph.inputs_of(nid)
        srcs = [ports[p] for p in sorted(ports)]
        if node.type in ("Input", "Add", "Concat"):
            plan.append((nid, node.type, srcs, None, (), {}, res.nodes[nid].shape))
            continue
        o = an.outcome(nid)
        c = node.kind.ctor(o.params, o.ins, o.shape)
        cls = getattr(nn, c.cls.split(".")[1])
        plan.append((nid, node.type, srcs, cls, c.args, dict(c.kwargs), None))
    return plan


def torch_meta(plan: list[tuple]) -> None:
    """Shape propagation by torch on the meta device (the reference)."""
    import torch

    values: dict[str, torch.Tensor] = {}
    with torch.device("meta"):
        for nid, type_, srcs, cls, args, kwargs, shape in plan:
            if type_ == "Input":
                values[nid] = torch.empty(1, *shape)
                continue
            xs = [values[s] for s in srcs]
            if type_ == "Add":
                values[nid] = xs[0] + xs[1]
            elif type_ == "Concat":
                values[nid] = torch.cat(xs, 1)
            else:
                values[nid] = cls(*args, **kwargs)(*xs)


def timings_ms(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return times


def edit_timings_ms(graph: Graph, node: str, name: str, values: tuple, repeat: int):
    """Times of ``set_param`` + incremental ``result()``, alternating ``values``;
    returns the times and the nodes recomputed per edit."""
    an = Analyzer(graph)
    an.result()
    times, recomputed = [], set()
    for i in range(repeat):
        t = time.perf_counter()
        graph.set_param(node, name, values[i % len(values)])
        an.result()
        times.append((time.perf_counter() - t) * 1000)
        recomputed.add(an.recomputed)
    an.close()
    return times, recomputed


def fmt(times: list[float], digits: int = 1) -> str:
    return f"{statistics.median(times):.{digits}f} ms median, {min(times):.{digits}f} ms min"


def distinct_layers(graph: Graph) -> int:
    """How many distinct (kind, parameters, inputs) the nodes of ``graph`` have: the
    analysis asks the catalogue once for each within a pass."""
    an = Analyzer(graph)
    an.result()
    keys = set()
    for nid in graph.nodes:
        o = an.outcome(nid)
        ins = (o.ins.shapes, o.ins.types, o.ins.src_in) if o.ins else None
        keys.add((o.node.type, tuple(sorted(o.params.items())), ins))
    an.close()
    return len(keys)


def full_analysis(graph: Graph, what: str) -> None:
    """Full analysis against torch's meta-device propagation, runs interleaved so
    that both see the same load on a busy machine."""
    plan = torch_plan(graph)
    analyze(graph)  # warm-up (imports, caches)
    torch_meta(plan)
    ours: list[float] = []
    ref: list[float] = []
    for _ in range(9):
        ref += timings_ms(lambda: torch_meta(plan), 1)
        ours += timings_ms(lambda: analyze(graph), 5)
    print(f"full analysis, {len(graph)} nodes, {what}: {fmt(ours)} ({len(ours)} runs)")
    print(f"  torch meta-device shape propagation: {fmt(ref)} ({len(ref)} runs)")
    print(f"  speed-up: {statistics.median(ref) / statistics.median(ours):.1f}x median/median, "
          f"{min(ref) / min(ours):.1f}x min/min (goal >= 20x, stretch 100x)")


def worst_case_edit(graph: Graph, what: str) -> None:
    """The kernel size of the plain conv nearest the middle alternates 3 <-> 5."""
    order = graph.topo_order()
    plain = [n for n in order if re.fullmatch(r"c\d+", n)]  # convs on the main path
    mid = min(plain, key=lambda n: abs(order.index(n) - len(order) // 2))
    times, rec = edit_timings_ms(graph, mid, "kernel_size", (5, 3), 60)
    print(f"incremental, worst case, {what} ({len(graph)} nodes, kernel_size of {mid} "
          f"3 <-> 5, {len(graph.descendants(mid))} descendants, "
          f"{'/'.join(map(str, sorted(rec)))} nodes recomputed): {fmt(times, 2)} "
          "(goal < 5 ms median)")


def main() -> None:
    import torch
    torch.set_num_threads(2)
    g = make_graph(1000)
    full_analysis(g, f"repeated blocks ({distinct_layers(g)} distinct layers)")
    full_analysis(make_graph(1000, varied=True), "no two layers alike")

    worst_case_edit(make_graph(300), "repeated blocks")
    worst_case_edit(make_graph(300, varied=True), "no two layers alike")
    g = make_graph(300)
    order = g.topo_order()
    block = [n for n in order if g.nodes[n].type == "Conv2d"][len(g) // 8]
    times, rec = edit_timings_ms(g, block, "out_channels", (48, 32), 60)
    print(f"incremental, early cutoff ({len(g)} nodes, out_channels of {block} 32 <-> 48, "
          f"{'/'.join(map(str, sorted(rec)))} nodes recomputed): {fmt(times, 2)} "
          "(goal < 5 ms median)")


if __name__ == "__main__":
    main()
