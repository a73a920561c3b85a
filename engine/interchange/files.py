"""Writing what an import made: the graph file with its ``groups``, the report (torch-free).

The graph file is :func:`engine.io.dumps`'s text (one line per node and per edge)
with the top-level ``groups`` list of graph-format.md added after the edges, one
line per group; written atomically.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..atomic import atomic_write_text
from ..io import dumps

__all__ = ["graph_text", "write_graph", "write_json"]


def graph_text(graph, groups: list[dict]) -> str:
    """The graph file's text, ``groups`` included (when there are any)."""
    text = dumps(graph)
    if not groups:
        return text
    body = text.rstrip().rstrip("}").rstrip()
    lines = [body + ",", '  "groups": [']
    for i, g in enumerate(groups):
        comma = "," if i < len(groups) - 1 else ""
        lines.append(f"    {json.dumps(g, ensure_ascii=False)}{comma}")
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n"


def write_graph(graph, groups: list[dict], path) -> None:
    """Write the graph file (atomic: a failure leaves the old file as it was)."""
    atomic_write_text(Path(path), graph_text(graph, groups))


def write_json(data, path) -> None:
    atomic_write_text(Path(path), json.dumps(data, indent=1, ensure_ascii=False) + "\n")
