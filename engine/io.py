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
from .gcpause import paused
from .graph import ID_RE, Graph, GraphEditError
from .graph.checks import unsavable

__all__ = ["GraphFileError", "load_graph", "save_graph", "graph_from_json", "dumps"]

FORMAT = "convcanvas-graph"
VERSION = 1
MAX_BYTES = 64 * 1024 * 1024
NODE_KEYS = {"id", "type", "params", "pos"}
EDGE_KEYS = {"from", "to", "port"}
#: deepest nesting of lists and objects a graph file may use (the format needs 5)
MAX_DEPTH = 32
_FLOAT_MAX = 1.7976931348623157e308


class GraphFileError(Exception):
    """A graph file that cannot be read; ``node``/``param`` name the culprit."""

    def __init__(self, message: str, path: str | None = None, node: str | None = None,
                 param: str | None = None):
        super().__init__(f"{path}: {message}" if path else message)
        self.message = message
        self.path = path
        self.node = node
        self.param = param


class _Literal(str):
    """A ``NaN`` / ``Infinity`` / ``-Infinity`` literal of the file, kept as parsed so
    that :func:`_scan` can name the node and the parameter that hold it."""

    __slots__ = ()


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
    with paused(lasting=True):  # the graph's objects live on: no use scanning them
        return _graph_from_text(text, path)


def _graph_from_text(text: str, path: str | None) -> Graph:
    try:
        data = json.loads(text, parse_constant=_Literal)
    except RecursionError:
        raise GraphFileError("not a graph file: JSON nested too deeply", path) from None
    except ValueError as exc:
        raise GraphFileError(f"not valid JSON: {exc}", path) from None
    return graph_from_dict(data, path)


def _where(parts: tuple, data: Any) -> tuple[str, str | None]:
    """``(text, node)`` naming a place in the file: ``node conv1: params.stride[0]``."""
    node = None
    text = ""
    rest = parts
    if len(parts) >= 2 and parts[0] in ("nodes", "edges") and isinstance(parts[1], int):
        item = data[parts[0]][parts[1]]
        nid = item.get("id") if isinstance(item, dict) else None
        if parts[0] == "nodes" and isinstance(nid, str) and ID_RE.fullmatch(nid):
            node = nid
            text = f"node {nid}"
        else:
            text = f"{parts[0][:-1]} #{parts[1]}"
        rest = parts[2:]
    field = ""
    for p in rest:
        field += f"[{p}]" if isinstance(p, int) else (f".{p}" if field else str(p))
    if text and field:
        return f"{text}: {field}", node
    return text or field or "the top level", node


def _plain(data: Any) -> bool:
    """Whether the parsed file holds nothing :func:`_scan` refuses, at a glance: one
    pass, level by level, without the places :func:`_scan` keeps for its message (text
    that can be saved, numbers in the float range, containers less than
    :data:`MAX_DEPTH` deep). False only sends the file to :func:`_scan`."""
    level = [data]
    for _depth in range(MAX_DEPTH):
        if not level:
            return True
        deeper: list = []
        push = deeper.append
        for c in level:
            if type(c) is dict:
                for k in c:
                    if type(k) is not str or (not k.isascii() and unsavable(k)):
                        return False
                values = c.values()
            else:
                values = c
            for v in values:
                t = type(v)
                if t is str:
                    if not v.isascii() and unsavable(v):
                        return False
                elif t is dict or t is list:
                    push(v)
                elif t is int:
                    if v > _FLOAT_MAX or v < -_FLOAT_MAX:
                        return False
                elif t is float:
                    if v != v or v == _INF or v == -_INF:
                        return False
                elif t is not bool and v is not None:
                    return False
        level = deeper
    return not level


_INF = float("inf")


def _scan(data: Any, path: str | None) -> None:
    """Refuse text that cannot be saved, numbers beyond the float range and deep nesting
    anywhere in the parsed file (one :class:`GraphFileError` naming the place)."""
    if _plain(data):
        return
    stack = [(data, ())]
    while stack:
        value, parts = stack.pop()
        why = None
        if isinstance(value, _Literal):
            why = f"{value} is not a number JSON allows: write a finite number"
        elif isinstance(value, str):
            why = unsavable(value)
            if why:
                why = f"the text {why}"
        elif isinstance(value, bool):
            pass
        elif isinstance(value, int):
            if abs(value) > _FLOAT_MAX:
                why = f"the number ({len(str(abs(value)))} digits) is beyond the float range"
        elif isinstance(value, float):
            if value != value or value in (float("inf"), float("-inf")):
                why = "the number is beyond the float range (about ±1.8e308)"
        elif isinstance(value, (dict, list)):
            if len(parts) >= MAX_DEPTH:
                why = f"nested more than {MAX_DEPTH} levels deep"
            elif isinstance(value, dict):
                for k, v in value.items():
                    bad = unsavable(k)
                    if bad:
                        where, node = _where(parts, data)
                        raise GraphFileError(f"{where}: the key {k!r} {bad}", path, node)
                    stack.append((v, (*parts, k)))
            else:
                stack.extend((v, (*parts, i)) for i, v in enumerate(value))
        if why:
            where, node = _where(parts, data)
            param = parts[3] if (node and len(parts) > 3 and parts[2] == "params") else None
            raise GraphFileError(f"{where}: {why}", path, node, param)


def _need(cond: bool, message: str, path, node=None, param=None):
    if not cond:
        raise GraphFileError(message, path, node, param)


_EMPTY: dict = {}


def _check_node(i: int, n: Any, path: str | None) -> None:
    """Refuse node ``#i`` of the file, naming the first thing wrong with it."""
    _need(isinstance(n, dict), f"node #{i} must be an object", path)
    nid = n.get("id")
    label = nid if isinstance(nid, str) and ID_RE.fullmatch(nid) else f"#{i}"
    extra = sorted(set(n) - NODE_KEYS)
    _need(not extra, f"node {label}: unknown key {(extra or [''])[0]!r}", path, label)
    _need("id" in n, f"node #{i} has no id", path, None, "id")
    _need(isinstance(nid, str), f"node #{i}: \"id\" must be a string, found "
          f"{json.dumps(nid)[:40]}", path, f"#{i}", "id")
    _need("type" in n, f"node {label} has no type", path, label, "type")
    _need(isinstance(n.get("params", {}), dict), f"node {label}: params must be an "
          "object", path, label, "params")


def _check_edge(i: int, e: Any, path: str | None) -> None:
    """Refuse edge ``#i`` of the file, naming the first thing wrong with it."""
    _need(isinstance(e, dict), f"edge #{i} must be an object", path)
    extra = sorted(set(e) - EDGE_KEYS)
    _need(not extra, f"edge #{i}: unknown key {(extra or [''])[0]!r}", path)
    _need("from" in e and "to" in e, f"edge #{i} needs \"from\" and \"to\"", path)


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
    _scan(data, path)
    for key in ("name", "description"):
        _need(isinstance(data.get(key, ""), str), f'"{key}" must be a string', path)
    nodes = data.get("nodes", [])
    edges = data.get("edges", [])
    _need(isinstance(nodes, list), '"nodes" must be a list', path)
    _need(isinstance(edges, list), '"edges" must be a list', path)
    _need(isinstance(data.get("groups", []), list), '"groups" must be a list', path)
    for i, n in enumerate(nodes):  # the plain case at a glance, else each check in turn
        if not (type(n) is dict and n.keys() <= NODE_KEYS and type(n.get("id")) is str
                and "type" in n and type(n.get("params", _EMPTY)) is dict):
            _check_node(i, n, path)
    for i, e in enumerate(edges):
        if not (type(e) is dict and e.keys() <= EDGE_KEYS and "from" in e and "to" in e):
            _check_edge(i, e, path)
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
    lists = [k for k in ("nodes", "edges", "groups") if k in data]  # groups: when any
    head = [k for k in data if k not in lists]
    for k in head:
        lines.append(f"  {json.dumps(k)}: {json.dumps(data[k], ensure_ascii=False)},")
    for key in lists:
        items, more = data[key], "," if key != lists[-1] else ""
        lines.append(f'  "{key}": [' + ("" if items else "]" + more))
        for i, item in enumerate(items):
            comma = "," if i < len(items) - 1 else ""
            lines.append(f"    {json.dumps(item, ensure_ascii=False)}{comma}")
        if items:
            lines.append("  ]" + more)
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
        text = dumps(graph)
        text.encode("utf-8")
    except (UnicodeError, ValueError) as exc:  # refused where it entered; never half-saved
        raise GraphFileError(f"cannot save: {exc}", str(path)) from None
    try:
        atomic_write_text(path, text)
    except OSError as exc:
        raise GraphFileError(f"cannot write: {exc.strerror or exc}", str(path)) from None
