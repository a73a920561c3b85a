"""Validation of node values before the graph model accepts them.

Each function raises :class:`~engine.graph.errors.GraphEditError` naming the
node and the field at fault, and returns the clean value otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from ..catalogue import CATALOGUE, ParamError
from .errors import GraphEditError
from .ids import check_id
from .values import Node, known_normalised

__all__ = ["check_type", "clean_params", "clean_pos", "clean_node", "clean_fields", "check_edge",
           "plain_edge", "check_text", "check_meta", "unsavable", "cycle_error"]


def unsavable(text: str) -> str | None:
    """Why ``text`` cannot be saved as UTF-8 (an unpaired surrogate), or None."""
    if text.isascii():  # the common case, without encoding
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (f"holds U+{ord(text[exc.start]):04X}, an unpaired surrogate that cannot be "
                "saved as UTF-8")
    return None


def check_text(value: Any, what: str, node: str | None = None,
               param: str | None = None) -> str:
    """``value`` if it is text that can be saved, else :class:`GraphEditError`.

    ``what`` names the field in the message (``"name"``, ``"conv1: op"``).
    """
    if not isinstance(value, str):
        raise GraphEditError(f"{what} must be text, not {type(value).__name__}", node, param)
    why = unsavable(value)
    if why:
        raise GraphEditError(f"{what} {why}", node, param)
    return value


def check_meta(name: Any, description: Any) -> tuple[str, str]:
    """The graph's name and description if both are text that can be saved."""
    return check_text(name, "the graph name"), check_text(description, "the description")


def _check_param_text(node_id: str, params: Mapping[str, Any]) -> None:
    """Refuse parameter names and text values (also inside lists) that cannot be saved."""
    for name, value in params.items():
        if type(name) is not str or not name.isascii():  # (the message only when needed)
            check_text(name, f"{node_id}: parameter name {name!r}", node_id, None)
        if type(value) in (int, float, bool) or value is None:
            continue
        stack = [value]
        while stack:
            v = stack.pop()
            if isinstance(v, str):
                check_text(v, f"{node_id}: {name}", node_id, name)
            elif isinstance(v, (list, tuple)):
                stack.extend(v)


def check_type(type_name: Any, node_id: Any = None) -> str:
    """``type_name`` if the catalogue knows it, else :class:`GraphEditError`."""
    if not isinstance(type_name, str) or type_name not in CATALOGUE:
        where = f"{node_id}: " if isinstance(node_id, str) else ""
        raise GraphEditError(f"{where}unknown layer type {type_name!r}", node_id, "type")
    return type_name


def clean_params(node_id: str, type_name: str, params: Mapping[str, Any]) -> dict:
    """The explicit parameters as stored (lists become tuples), validated.

    Each value is kept as the user wrote it (3 stays 3, not 3.0); the
    catalogue's :meth:`~engine.catalogue.base.LayerKind.normalise` checks them.
    """
    return _clean_params(node_id, type_name, params)[0]


def _clean_params(node_id: str, type_name: str, params: Mapping[str, Any]) -> tuple[dict, dict]:
    """:func:`clean_params`, and every parameter normalised (the check's by-product)."""
    if type(params) is not dict and not isinstance(params, Mapping):
        raise GraphEditError(f"{node_id}: params must be a mapping of names to values",
                             node_id, "params")
    _check_param_text(node_id, params)
    try:
        normalised = CATALOGUE[type_name].normalise(dict(params))
    except ParamError as exc:
        raise GraphEditError(f"{node_id}: {exc.message}", node_id, exc.param) from None
    return {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}, normalised


def clean_pos(pos: Any, node_id: str) -> tuple[float, float] | None:
    """A canvas position as two floats (None stays None)."""
    if pos is None:
        return None
    if type(pos) in (list, tuple) and len(pos) == 2:  # the common case, at a glance
        x, y = pos
        if type(x) in (int, float) and type(y) in (int, float):
            try:
                fx, fy = float(x), float(y)
            except OverflowError:  # an int beyond the float range: the message below
                pass
            else:
                if fx - fx == 0.0 and fy - fy == 0.0:  # finite (inf - inf and nan are nan)
                    return (fx, fy)
    if (not isinstance(pos, (list, tuple)) or len(pos) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                       and _finite(v) for v in pos)):
        raise GraphEditError(f"{node_id}: pos must be a list of two finite numbers",
                             node_id, "pos")
    return (float(pos[0]), float(pos[1]))


def _finite(v: int | float) -> bool:
    """Whether ``v`` is a finite float or an int that a float can hold."""
    try:
        return math.isfinite(v)
    except OverflowError:  # an int beyond the float range
        return False


def clean_node(node: Node) -> Node:
    """``node`` checked: type, id, parameters and position.

    Returns ``node`` itself when it is already in stored form (a value taken
    from a graph, as undo re-inserts it), else a new, clean :class:`Node`.
    """
    return _clean(node.id, node.type, node.params, node.pos, node)


def clean_fields(node_id: Any, type_name: Any, params: Any, pos: Any) -> Node:
    """The clean :class:`Node` of these fields (a file's node): :func:`clean_node`
    without a raw :class:`Node` to make first."""
    return _clean(node_id, type_name, params, pos, None)


def _clean(node_id, type_name, raw, raw_pos, node: Node | None) -> Node:
    check_type(type_name, node_id)
    check_id(node_id)
    params, normalised = _clean_params(node_id, type_name, raw)
    pos = clean_pos(raw_pos, node_id)
    same = all(params[k] is v for k, v in raw.items())
    if node is not None and isinstance(raw, MappingProxyType) and pos == raw_pos and same:
        return node
    clean = Node(node_id, type_name, MappingProxyType(params), pos)
    # the very values the check normalised: the node has its answer already
    return known_normalised(clean, normalised) if same else clean


def check_edge(nodes: Mapping[str, Node], ins: Mapping[str, Mapping[int, str]],
               src: Any, dst: Any, port: Any,
               closes_cycle: Callable[[str, str], bool] | None = None) -> None:
    """Refuse ``src → dst:port`` (:class:`GraphEditError`) unless it can be added.

    ``nodes`` and ``ins`` (``{node: {port: source}}``) are the graph's. The
    nodes must exist, ``port`` must be a free slot of ``dst`` and the edge
    must not close a cycle: ``closes_cycle(src, dst)`` says whether it does
    (the graph's :class:`~engine.graph.topo.TopoIndex`; by default a walk
    back from ``src`` over every ancestor).
    """
    for n in (src, dst):
        if not isinstance(n, str) or n not in nodes:
            raise GraphEditError(f"edge refers to a missing node {n!r}", n)
    if isinstance(port, bool) or not isinstance(port, int) or port < 0:
        raise GraphEditError(f"edge {src} → {dst}: port {port!r} must be a non-negative "
                             "integer", dst, "port")
    kind = nodes[dst].kind
    if kind.max_inputs == 0:
        raise GraphEditError(f"{dst} is an {kind.type}: it takes no inputs", dst)
    if port >= kind.max_inputs:
        slots = "slot 0 only" if kind.max_inputs == 1 else f"slots 0..{kind.max_inputs - 1}"
        raise GraphEditError(f"{dst} ({kind.type}) has {slots}, not port {port}", dst, "port")
    taken = ins[dst].get(port)
    if taken is not None:
        raise GraphEditError(f"port {port} of {dst} is already connected (from {taken})",
                             dst, "port")
    if closes_cycle is None:
        closes_cycle = lambda s, d: s == d or _reaches(ins, s, d)  # noqa: E731
    if closes_cycle(src, dst):
        raise cycle_error(src, dst)


def plain_edge(nodes: Mapping[str, Node], ins: Mapping[str, Mapping[int, str]], src: Any,
               dst: Any, port: Any) -> bool:
    """Whether ``src → dst:port`` passes :func:`check_edge` but for the cycle check (its
    common case, at a glance: two existing nodes, not one, a free slot of ``dst``'s kind).
    False says nothing: :func:`check_edge` gives the reason, if any."""
    slots = ins.get(dst)
    return (type(port) is int and slots is not None and src in ins and src != dst
            and 0 <= port < nodes[dst].kind.max_inputs and port not in slots)


def cycle_error(src: str, dst: str) -> GraphEditError:
    """The refusal of an edge that closes a cycle (one message for every path)."""
    return GraphEditError(f"connecting {src} → {dst} would make a cycle", dst)


def _reaches(ins: Mapping[str, Mapping[int, str]], start: str, target: str) -> bool:
    """Whether ``target`` is an ancestor of ``start`` (walks back along inputs)."""
    seen: set[str] = set()
    stack = [start]
    while stack:
        for src in ins.get(stack.pop(), {}).values():
            if src not in seen:
                if src == target:
                    return True
                seen.add(src)
                stack.append(src)
    return False
