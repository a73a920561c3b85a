"""Reading and writing graph files (``*.convgraph.json``, version 1).

Loading never executes anything: the file is plain JSON, checked key by key,
and every problem raises :class:`GraphFileError` with a message that names the
file, and where it applies the node and the parameter. Saving is atomic (a
temporary file in the same folder, then a rename), so a failure never
truncates the user's file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .atomic import atomic_write_text
from .graph import Graph, GraphEditError

__all__ = ["GraphFileError", "load_graph", "save_graph", "graph_from_json", "dumps"]

FORMAT = "convcanvas-graph"
VERSION = 1
MAX_BYTES = 64 * 1024 * 1024
NODE_KEYS = {"id", "type", "params", "pos"}
EDGE_KEYS = {"from", "to", "port"}


class GraphFileError(Exception):
    """A graph file that cannot be read; ``node``/``param`` name the culprit."""

    def __init__(self, message: str, path: str | None = None, node: str | None = None,
                 param: str | None = None):
        super().__init__(f"{path}: {message}" if path else message)
        self.message = message
        self.path = path
        self.node = node
        self.param = param


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def graph_from_json(text: str | bytes, path: str | None = None) -> Graph:
    """Parse the text of a graph file; raise :class:`GraphFileError` on any problem."""
    if isinstance(text, bytes):
        if not text.strip():
            raise GraphFileError("the file is empty", path)
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise GraphFileError("not a graph file: the content is not UTF-8 text (binary?)",
                                 path) from None
    if not text.strip():
        raise GraphFileError("the file is empty", path)
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise GraphFileError("not a graph file: JSON nested too deeply", path) from None
    except ValueError as exc:
        raise GraphFileError(f"not valid JSON: {exc}", path) from None
    return graph_from_dict(data, path)


def _need(cond: bool, message: str, path, node=None, param=None):
    if not cond:
        raise GraphFileError(message, path, node, param)


def graph_from_dict(data: Any, path: str | None = None) -> Graph:
    _need(isinstance(data, dict), "not a graph file: the top level must be a JSON object",
          path)
    _need(data.get("format") == FORMAT, f'not a graph file: "format" must be "{FORMAT}"',
          path)
    version = data.get("version")
    _need(isinstance(version, int) and not isinstance(version, bool),
          '"version" must be an integer', path)
    _need(version == VERSION, f"unsupported version {version}: this ConvCanvas reads "
          f"version {VERSION}", path)
    for key in ("name", "description"):
        _need(isinstance(data.get(key, ""), str), f'"{key}" must be a string', path)
    nodes = data.get("nodes", [])
    edges = data.get("edges", [])
    _need(isinstance(nodes, list), '"nodes" must be a list', path)
    _need(isinstance(edges, list), '"edges" must be a list', path)
    for i, n in enumerate(nodes):
        _need(isinstance(n, dict), f"node #{i} must be an object", path)
        nid = n.get("id")
        label = nid if isinstance(nid, str) else f"#{i}"
        extra = sorted(set(n) - NODE_KEYS)
        _need(not extra, f"node {label}: unknown key {(extra or [''])[0]!r}", path, label)
        _need("id" in n, f"node #{i} has no id", path, None, "id")
        _need("type" in n, f"node {label} has no type", path, label, "type")
        _need(isinstance(n.get("params", {}), dict), f"node {label}: params must be an "
              "object", path, label, "params")
    for i, e in enumerate(edges):
        _need(isinstance(e, dict), f"edge #{i} must be an object", path)
        extra = sorted(set(e) - EDGE_KEYS)
        _need(not extra, f"edge #{i}: unknown key {(extra or [''])[0]!r}", path)
        _need("from" in e and "to" in e, f"edge #{i} needs \"from\" and \"to\"", path)
    try:
        return Graph.from_dict(data)
    except GraphEditError as exc:
        raise GraphFileError(exc.message, path, exc.node, exc.param) from None


def load_graph(path: str | os.PathLike) -> Graph:
    """Read a graph file. Raises :class:`GraphFileError` (never anything else)."""
    name = str(path)
    try:
        p = Path(path)
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise GraphFileError(f"file too large ({size} bytes) for a graph", name)
        raw = p.read_bytes()
    except GraphFileError:
        raise
    except IsADirectoryError:
        raise GraphFileError("is a folder, not a graph file", name) from None
    except FileNotFoundError:
        raise GraphFileError("no such file", name) from None
    except OSError as exc:
        raise GraphFileError(f"cannot read: {exc.strerror or exc}", name) from None
    return graph_from_json(raw, name)


def dumps(graph: Graph) -> str:
    """The file text: one line per node and per edge, for readable diffs."""
    data = graph.to_dict()
    lines = ["{"]
    head = [k for k in data if k not in ("nodes", "edges")]
    for k in head:
        lines.append(f"  {json.dumps(k)}: {json.dumps(data[k], ensure_ascii=False)},")
    for key in ("nodes", "edges"):
        items = data[key]
        lines.append(f'  "{key}": [' + ("" if items else "]" + ("," if key == "nodes"
                                                                  else "")))
        for i, item in enumerate(items):
            comma = "," if i < len(items) - 1 else ""
            lines.append(f"    {json.dumps(item, ensure_ascii=False)}{comma}")
        if items:
            lines.append("  ]" + ("," if key == "nodes" else ""))
    lines.append("}")
    return "\n".join(lines) + "\n"


def save_graph(graph: Graph, path: str | os.PathLike) -> None:
    """Write ``graph`` atomically; on failure the old file is left untouched.

    A symbolic link is followed (its target is replaced) and an existing file
    keeps its permissions (:func:`engine.atomic.atomic_write`).

    Raises
    ------
    GraphFileError
        The file cannot be written (the message names it and says why).
    """
    try:
        atomic_write_text(path, dumps(graph))
    except OSError as exc:
        raise GraphFileError(f"cannot write: {exc.strerror or exc}", str(path)) from None
