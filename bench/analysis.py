"""Speed of the analysis (prints its figures; see the README).

1. Full analysis of a 1000-node graph against torch's meta-device shape
   propagation of the same graph (modules built on the meta device from the
   catalogue's own constructor calls, then one forward on meta tensors), in
   one process. Goal: at least 20× faster (stretch 100×).
2. Re-analysis after one parameter edit in the middle of a 300-node graph
   (incremental ``Analyzer``). Goal: under 5 ms median.

Run: ``.venv/bin/python bench/analysis.py``
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import Analyzer, Graph, analyze  # noqa: E402


def make_graph(n: int) -> Graph:
    """A valid conv net of about ``n`` nodes: conv/BN/ReLU blocks with residual adds,
    concat branches, dilations and occasional stride-2 downsampling."""
    g = Graph(f"bench {n}")
    g.add_node("Input", {"channels": 3, "height": 256, "width": 256}, "input")
    last, ch, i, size = "input", 3, 0, 256
    while len(g) < n:
        i += 1
        kind = i % 5
        if kind == 0 and size >= 16:  # downsample
            nid = g.add_node("Conv2d", {"out_channels": 32, "kernel_size": 3, "stride": 2,
                                        "padding": 1}, f"down{i}")
            g.connect(last, nid)
            last, ch, size = nid, 32, (size + 1) // 2
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
            a = g.add_node("Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 2,
                                      "dilation": 2}, f"c{i}d")
            b = g.add_node("Conv2d", {"out_channels": 16, "kernel_size": 1}, f"c{i}p")
            c = g.add_node("Concat", {}, f"cat{i}")
            g.connect(last, a)
            g.connect(last, b)
            g.connect(a, c, 0)
            g.connect(b, c, 1)
            last, ch = c, 32
        else:
            nid = g.add_node("Conv2d", {"out_channels": 32, "kernel_size": 3, "padding": 1},
                             f"c{i}")
            g.connect(last, nid)
            last, ch = nid, 32
    return g


def torch_meta(graph: Graph) -> None:
    """Shape propagation by torch on the meta device (the reference)."""
    import torch
    from torch import nn

    from engine.catalogue import Inputs

    res = analyze(graph)  # only to get each node's Inputs for the constructor call
    values: dict[str, torch.Tensor] = {}
    with torch.device("meta"):
        for nid, node in ((i, graph.nodes[i]) for i in res.nodes):
            kind = node.kind
            if node.type == "Input":
                values[nid] = torch.empty(1, *res.nodes[nid].shape)
                continue
            ports = graph.inputs_of(nid)
            xs = [values[ports[p]] for p in sorted(ports)]
            if node.type == "Add":
                values[nid] = xs[0] + xs[1]
                continue
            if node.type == "Concat":
                values[nid] = torch.cat(xs, 1)
                continue
            ins = Inputs(tuple(tuple(x.shape[1:]) for x in xs))
            p = kind.normalise(dict(node.params))
            c = kind.ctor(p, ins, res.nodes[nid].shape)
            module = getattr(nn, c.cls.split(".")[1])(*c.args, **dict(c.kwargs))
            values[nid] = module(*xs)


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    g = make_graph(1000)
    analyze(g)  # warm-up (imports, caches)
    ours = median_ms(lambda: analyze(g), 15)
    import torch
    torch.set_num_threads(2)
    torch_meta(g)  # warm-up
    ref = median_ms(lambda: torch_meta(g), 5) - ours  # torch_meta runs analyze once too
    print(f"full analysis, {len(g)} nodes: {ours:.1f} ms (median of 15)")
    print(f"torch meta-device shape propagation: {ref:.1f} ms (median of 5)")
    print(f"speed-up: {ref / ours:.1f}x (goal >= 20x, stretch 100x)")

    g = make_graph(300)
    an = Analyzer(g)
    an.result()
    mid = [n for n in g.topo_order() if g.nodes[n].type == "Conv2d"][len(g) // 8]
    times = []
    for i in range(60):
        t = time.perf_counter()
        g.set_param(mid, "out_channels", 32 if i % 2 else 48)
        an.result()
        times.append((time.perf_counter() - t) * 1000)
    print(f"incremental re-analysis after one edit ({len(g)} nodes, node {mid}, "
          f"{an.recomputed} nodes recomputed): {statistics.median(times):.2f} ms median "
          "(goal < 5 ms)")


if __name__ == "__main__":
    main()
