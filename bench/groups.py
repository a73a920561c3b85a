"""Speed of groups on the canvas (prints its figures; no goal, information only).

A 300-node graph (``bench.graphs.make_chain_graph``) is grouped into blocks of 10
nodes, the blocks into stages of 5 (nested groups), every group collapsed, as an
import writes them. Timed, each as the median of several runs, next to the same
graph without groups in the same run (so the ratio says what groups cost):

1. building the scene (``set_document``: cards, edges, routes, labels, group view);
2. a parameter edit (``push_edit(SetParamsCommand)`` then the pending re-routing);
3. expanding one stage and collapsing it again (one undo step each; the view is
   worked out again, the cards that move take their edges along).

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python bench/groups.py``
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtWidgets import QApplication  # noqa: E402

from bench.graphs import make_chain_graph  # noqa: E402
from designer.canvas import GraphScene  # noqa: E402
from designer.commands import SetParamsCommand, push_edit  # noqa: E402
from designer.document import Document  # noqa: E402
from designer.group_commands import SetGroupCommand  # noqa: E402
from engine.graph import Group, InsertGroup  # noqa: E402

N = 300
REPEAT = 5


def grouped(graph):
    """``graph`` with blocks of 10 nodes in stages of 5 blocks, all collapsed."""
    ids = [n for n, node in graph.nodes.items() if node.type != "Input"]
    blocks = [ids[i:i + 10] for i in range(0, len(ids), 10)]
    with graph.batch():
        for s in range(0, len(blocks), 5):
            graph.apply(InsertGroup(Group(f"stage{s // 5}", f"stage {s // 5}", (), None, True)))
            for b in range(s, min(s + 5, len(blocks))):
                graph.apply(InsertGroup(Group(f"block{b}", f"block {b}", tuple(blocks[b]),
                                              f"stage{s // 5}", True)))
    return graph


def median_ms(values) -> str:
    return f"{statistics.median(values) * 1000:7.2f} ms"


def run(with_groups: bool) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"build": [], "edit": [], "expand": [], "collapse": []}
    for _ in range(REPEAT):
        graph = make_chain_graph(N)
        if with_groups:
            grouped(graph)
        doc = Document(graph)
        doc.result()
        scene = GraphScene()
        t = time.perf_counter()
        scene.set_document(doc)
        out["build"].append(time.perf_counter() - t)
        conv = next(n for n, node in graph.nodes.items() if node.type == "Conv2d")
        t = time.perf_counter()
        push_edit(doc.undo_stack, SetParamsCommand(graph, conv, {"kernel_size": 5},
                                                   mergeable=False))
        scene.flush()
        out["edit"].append(time.perf_counter() - t)
        if with_groups:
            for key, state in (("expand", False), ("collapse", True)):
                t = time.perf_counter()
                push_edit(doc.undo_stack, SetGroupCommand(graph, "stage1", collapsed=state))
                scene.flush()
                out[key].append(time.perf_counter() - t)
    return out


def main() -> None:
    QApplication.instance() or QApplication([])
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    plain, groups = run(False), run(True)
    print(f"groups on a {N}-node graph (median of {REPEAT}; load {' '.join(load)})")
    for key in ("build", "edit"):
        ratio = statistics.median(groups[key]) / statistics.median(plain[key])
        print(f"  {key:9s} no groups {median_ms(plain[key])}   grouped, collapsed "
              f"{median_ms(groups[key])}   ratio {ratio:5.2f}")
    for key in ("expand", "collapse"):
        print(f"  {key:9s} one stage of 50 nodes {median_ms(groups[key])}")


if __name__ == "__main__":
    main()
