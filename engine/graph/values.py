"""The values the graph model holds: immutable :class:`Node` and :class:`Edge`.

An edit never changes a value: it replaces it, so a value handed out (to the
analysis, to an undo command) stays true to the moment it was taken.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..catalogue import CATALOGUE

__all__ = ["Node", "Edge", "put_at"]


class _once:
    """A value computed on first access and kept in the instance (``functools.
    cached_property`` without its per-access lock, which Python 3.11 takes: loading
    100,000 nodes spent a sixth of its time there)."""

    def __init__(self, fn):
        self.fn = fn
        self.name = fn.__name__
        self.__doc__ = fn.__doc__

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.fn(obj)  # the instance's dict wins next time
        return value


class _Fresh:
    """The default of ``Node.params``: a new empty dict for each node (shown as ``{}``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "{}"


_FRESH = _Fresh()


@dataclass(frozen=True, init=False)
class Node:
    """One layer: ``params`` holds only the values set explicitly (validated)."""

    id: str
    type: str
    params: Mapping[str, Any] = field(default_factory=dict)
    pos: tuple[float, float] | None = None

    def __init__(self, id: str, type: str, params: Mapping[str, Any] = _FRESH,  # noqa: A002
                 pos: tuple[float, float] | None = None) -> None:
        # what the generated __init__ does, without its object.__setattr__ per field
        # (0.25 µs instead of 0.54: a load makes one per node, an undo one per node back)
        d = self.__dict__
        d["id"], d["type"], d["pos"] = id, type, pos
        d["params"] = {} if params is _FRESH else params

    @_once
    def kind(self):
        """The catalogue's :class:`~engine.catalogue.base.LayerKind` of ``type`` (cached)."""
        return CATALOGUE[self.type]

    @_once
    def normalised(self) -> dict[str, Any]:
        """Every parameter, normalised, defaults filled in (shared: do not modify)."""
        return self.kind.normalise(dict(self.params))

    def resolved(self) -> dict[str, Any]:
        """Every parameter, normalised, defaults filled in (a fresh dict)."""
        return dict(self.normalised)


def known_normalised(node: Node, normalised: dict[str, Any]) -> Node:
    """``node`` with :attr:`Node.normalised` already answered (the parameter check of a
    load or an edit computed it from these very values: no second normalisation)."""
    node.__dict__["normalised"] = normalised  # where _once keeps its value
    return node


@dataclass(frozen=True, slots=True, weakref_slot=True, init=False)
class Edge:
    """A connection: the output of node ``src`` feeds input slot ``port`` of ``dst``."""

    src: str
    dst: str
    port: int = 0

    def __init__(self, src: str, dst: str, port: int = 0) -> None:
        # the slots' own setters, not object.__setattr__ per field: 0.27 µs instead of
        # 0.43, and 64 bytes without a __dict__ (a 10,000-node file has 11,000 edges)
        _SET_SRC(self, src)
        _SET_DST(self, dst)
        _SET_PORT(self, port)


_SET_SRC, _SET_DST, _SET_PORT = Edge.src.__set__, Edge.dst.__set__, Edge.port.__set__


def put_at(items: dict, key, value, index: int | None) -> dict:
    """``items`` with ``key: value`` at position ``index`` of its order (None or past
    the end: last); the same dict when it goes last, else a new one (the graph's
    node, edge and group orders: an undo puts a value back where it was)."""
    if index is None or index >= len(items):
        items[key] = value
        return items
    order = list(items.items())
    order.insert(index, (key, value))
    return dict(order)
