"""Memory: the engine's estimate beside the measured peak, per case (issue 17, item 5).

Every bundled example is run (a capturing ``Session.run``, as the designer and
``main.py run`` do), the training examples are trained (one epoch, small), and the
issue's deformable cases, scaled to this machine (3 x 256 x 256 -> DeformConv2d(8, k 9,
padding 4), plain and modulated), are run and trained. Each case is measured in a
fresh process (the method is in ``tests/test_memory_guard.py``'s docstring: the
high-water mark of the resident memory, reset after a warm-up). Prints one row per case:
estimate, measured peak, their ratio, and the node that dominates the estimate; then
the range of the ratios and the load. The estimate must stay within 2x both ways (for
a peak under the 8 MiB fixed allowance of every estimate: the estimate less that
allowance at most 2x the peak).

Usage: ``python bench/memory.py [--quick]`` (``--quick``: the issue's cases only).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine import Graph, load_graph  # noqa: E402
from engine.runtime import estimate_memory  # noqa: E402
from engine.runtime.memory import OVERHEAD  # noqa: E402
from tests.test_memory_guard import (  # noqa: E402
    EXAMPLES,
    agrees,
    deform_graph,
    estimate,
    measure,
)

#: training examples: (file, data, batch, samples)
TRAINED = (("shapes_classifier", "shapes", 32, 128), ("shapes_deformable", "shapes", 32, 128),
           ("shapes_se", "shapes", 32, 128), ("shapes_seg_k3", "shapes-seg", 8, 32))


def cases(quick: bool):
    """``(name, graph dict, mode, training arguments)`` of every case."""
    out = [("issue: deform 3x256x256 k9 p4", deform_graph(256), "run", {}),
           ("issue: same, modulated", deform_graph(256, modulated=True), "run", {}),
           ("issue: deform 3x128x128 k9 -> 5, train b2", deform_graph(128, out=5), "train",
            {"data": "shapes-seg", "batch": 2, "samples": 8}),
           ("issue: same, modulated, train b2", deform_graph(128, out=5, modulated=True),
            "train", {"data": "shapes-seg", "batch": 2, "samples": 8})]
    if quick:
        return out
    for path in sorted(EXAMPLES.glob("*.convgraph.json")):
        out.append((path.name.split(".")[0], load_graph(path).to_dict(), "run", {}))
    for name, data, batch, samples in TRAINED:
        g = load_graph(EXAMPLES / f"{name}.convgraph.json").to_dict()
        out.append((f"{name}, train b{batch}", g, "train",
                    {"data": data, "batch": batch, "samples": samples}))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the issue's cases only")
    args = ap.parse_args(argv)
    todo = cases(args.quick)
    t0 = time.perf_counter()
    peaks = measure([c[1:] for c in todo])
    print(f"{'case':44s} {'estimate':>10s} {'measured':>10s} {'ratio':>8s}  dominant node")
    ratios, ok = [], True
    for (name, graph, mode, targs), peak in zip(todo, peaks, strict=True):
        est = estimate(graph, mode, **targs)
        where = estimate_memory(Graph.from_dict(graph)).dominant if mode == "run" else "-"
        ratio = est / peak if peak > 0 else float("inf")
        small = peak < OVERHEAD
        if not small:
            ratios.append(ratio)
        ok = ok and agrees(est, peak)
        print(f"{name:44s} {est / 2**20:8.1f}Mi {peak / 2**20:8.1f}Mi "
              f"{'  (<8Mi)' if small else f'{ratio:8.2f}'}  {where}")
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"\n{len(todo)} cases in {time.perf_counter() - t0:.0f} s; estimate / measured "
          f"from {min(ratios):.2f} to {max(ratios):.2f} where the peak is 8 MiB or more "
          f"(the guard keeps 0.5-2; smaller cases: estimate less the 8 MiB allowance <= 2x: "
          f"{'yes' if ok else 'NO'}); load {' '.join(load)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
