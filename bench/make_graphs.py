"""Write the shared benchmark graphs to ``bench/graphs/`` (run once; the files are committed).

- ``big_10k.convgraph.json``: :func:`bench.graphs.make_chain_graph` of 10,000 nodes
  (conv/BN/ReLU stages, residual Adds, two-branch Concats, dilated convs; 16
  channels, 64×64), laid out top-down;
- ``fan63.convgraph.json``: :func:`bench.graphs.make_fan_graph`, 237 nodes with one
  63-way fan (a hub feeding 63 branches merged by one Concat).

Every bench that measures a big graph or the fan loads these files, so that
everyone measures the same thing. The generator is deterministic: running it
again rewrites the same bytes.

Run: ``.venv/bin/python bench/make_graphs.py``
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.graphs import make_chain_graph, make_fan_graph  # noqa: E402
from engine.io import dumps  # noqa: E402

BIG_10K = HERE / "graphs" / "big_10k.convgraph.json"
FAN63 = HERE / "graphs" / "fan63.convgraph.json"


def main() -> None:
    """Write both files (and say how big they are)."""
    BIG_10K.parent.mkdir(exist_ok=True)
    for path, graph in ((BIG_10K, make_chain_graph(10_000)), (FAN63, make_fan_graph())):
        path.write_text(dumps(graph), encoding="utf-8")
        print(f"{path.relative_to(HERE.parent)}: {len(graph)} nodes, {len(graph.edges)} edges, "
              f"{path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
