"""Load and analysis at scale (issue 16; prints its figures, see the README).

1. Load + analyze of ``bench/graphs/big_10k.convgraph.json`` and of its first
   1,000 nodes (the same generator, :func:`bench.graphs.make_chain_graph`):
   the file's text through ``engine.io.graph_from_json`` (JSON parsing, every
   check, one cycle check for the whole file) then ``engine.analyze``. Runs
   interleaved; goal: 10k at most 12x the cost of 1k (linear).
2. The same for a generated 100,000-node graph; goal: under 3 s.
3. At 10k nodes against torch's meta-device forward of the same network
   (``bench/analysis.py``'s reference: modules built on the meta device from the
   catalogue's constructor calls, prepared outside the timed part); goal: at
   least 20x faster.
4. One-node edit at 30,000 nodes: the kernel size of a conv near the end
   cycles 3 -> 5 -> 7 (never back to the graph one step back, which the
   analysis restores without recomputing), then the incremental
   ``Analyzer.result()``; goal: at most
   0.5 ms median (the edit itself not counted).

Each figure is given as median and min; the load average is printed with them.

Run: ``.venv/bin/python bench/scale.py [--quick]``
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.graphs import make_chain_graph  # noqa: E402
from engine import Analyzer, analyze  # noqa: E402
from engine.io import dumps, graph_from_json  # noqa: E402

BIG = HERE / "graphs" / "big_10k.convgraph.json"


def load(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def first_nodes(text: str, n: int) -> str:
    """The file of the first ``n`` nodes of ``text`` and the edges between them, written
    as the app writes files (:func:`engine.io.dumps`, as the 10k file is: ``json.dumps``'
    one line held 6% fewer characters per node, which made the 1k side cheaper)."""
    data = json.loads(text)
    data["nodes"] = data["nodes"][:n]
    ids = {x["id"] for x in data["nodes"]}
    data["edges"] = [e for e in data["edges"] if e["from"] in ids and e["to"] in ids]
    return dumps(graph_from_json(json.dumps(data)))


def load_and_analyze(text: str) -> float:
    t = time.perf_counter()
    graph = graph_from_json(text)
    result = analyze(graph)
    seconds = time.perf_counter() - t  # (freeing the graph afterwards is not timed)
    assert result.valid and len(graph)
    return seconds


def fmt(times: list[float], unit: float = 1e3, digits: int = 1, name: str = "ms") -> str:
    return (f"{statistics.median(times) * unit:.{digits}f} {name} median, "
            f"{min(times) * unit:.{digits}f} {name} min")


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def linear(big: str, rounds: int) -> None:
    small = first_nodes(big, 1000)
    load_and_analyze(small), load_and_analyze(big)  # warm-up
    t1, t10 = [], []
    for _ in range(rounds):
        t1 += [load_and_analyze(small) for _ in range(3)]
        t10.append(load_and_analyze(big))
    print(f"load + analyze, 1,000 nodes: {fmt(t1)}; 10,000 nodes: {fmt(t10)} (load {loadavg()})")
    print(f"  10k / 1k: {statistics.median(t10) / statistics.median(t1):.1f}x median/median, "
          f"{min(t10) / min(t1):.1f}x min/min (goal <= 12x)")


def hundred_k(rounds: int) -> None:
    text = dumps(make_chain_graph(100_000))
    times = [load_and_analyze(text) for _ in range(rounds)]
    print(f"load + analyze, 100,000 nodes ({len(text) / 2**20:.1f} MiB of JSON): "
          f"{fmt(times, 1, 2, 's')} (goal < 3 s; load {loadavg()})")


def against_torch(big: str, rounds: int) -> None:
    import torch

    from bench.analysis import torch_meta, torch_plan
    torch.set_num_threads(2)
    graph = graph_from_json(big)
    plan = torch_plan(graph)
    torch_meta(plan)
    ours, ref = [], []
    for _ in range(rounds):
        t = time.perf_counter()
        torch_meta(plan)
        ref.append(time.perf_counter() - t)
        ours.append(load_and_analyze(big))
    print(f"10,000 nodes: load + analyze {fmt(ours)}; torch meta-device forward {fmt(ref)} "
          f"(load {loadavg()})")
    print(f"  speed-up: {statistics.median(ref) / statistics.median(ours):.1f}x median/median, "
          f"{min(ref) / min(ours):.1f}x min/min (goal >= 20x)")


def late_edit(repeats: int) -> None:
    graph = make_chain_graph(30_000)
    an = Analyzer(graph)
    an.result()
    late = [n for n in graph.nodes if graph.nodes[n].type == "Conv2d"][-3]
    times, recomputed = [], set()
    for i in range(repeats):
        k = (5, 7, 3)[i % 3]  # never back to the graph one step back (a revert)
        graph.set_params(late, {"kernel_size": k, "padding": k // 2})
        t = time.perf_counter()
        an.result()
        times.append(time.perf_counter() - t)
        recomputed.add(an.recomputed)
    an.close()
    print(f"one-node edit at 30,000 nodes (kernel_size of {late} 3 -> 5 -> 7 -> 3, "
          f"{'/'.join(map(str, sorted(recomputed)))} nodes recomputed): "
          f"{fmt(times, 1e3, 3)} (goal <= 0.5 ms; load {loadavg()})")


def main() -> None:
    quick = "--quick" in sys.argv
    big = load(BIG)
    linear(big, 3 if quick else 7)
    late_edit(50 if quick else 200)
    against_torch(big, 2 if quick else 5)
    hundred_k(1 if quick else 3)


if __name__ == "__main__":
    main()
