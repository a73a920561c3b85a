"""Frozen results of the analysis, and their JSON form (graph-format.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, NamedTuple

from .rf import AxisMap

__all__ = ["Issue", "RF", "RFState", "NodeResult", "AnalysisResult", "node_result"]


def _num(v) -> int | float:
    """JSON number: ints stay ints, fractions become floats."""
    if isinstance(v, Fraction):
        v = int(v) if v.denominator == 1 else float(v)
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


@dataclass(frozen=True)
class Issue:
    """An error or warning: ``node`` and ``param`` name where it happens."""

    node: str | None
    param: str | None
    message: str
    #: for warnings, what kind (cli.md): ``misaligned``, ``stride_drops``, ``gridding``
    #: or ``rf_unknown``; None for errors
    kind: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON form: ``{"node", "param", "message"}``, and ``"kind"`` for a warning."""
        data = {"node": self.node, "param": self.param, "message": self.message}
        if self.kind is not None:
            data["kind"] = self.kind
        return data


class RFState(NamedTuple):
    """Receptive-field state relative to one Input (internal to the analysis; immutable).

    ``maps`` holds one :class:`AxisMap` per spatial axis (None once a global
    operation made every output depend on the whole input), ``jumps`` the grid
    spacing, ``extent`` the Input's size per axis.
    """

    maps: tuple[AxisMap | None, ...]
    extent: tuple[int, ...]
    is_global: bool = False
    deformable: bool = False
    #: grid spacing of the output grid (kept following past the global operation)
    global_jumps: tuple[Fraction, ...] = ()
    #: ``((axis, (reached, span)), ...)`` for the axes whose footprint has holes
    #: (derived from ``maps``; empty when global)
    holes: tuple = ()

    @property
    def jumps(self) -> tuple[Fraction, ...]:
        """Grid spacing per axis in Input pixels (it follows the grid when global too)."""
        if self.is_global:
            return self.global_jumps
        return tuple(m.jump for m in self.maps)


@dataclass(frozen=True)
class RF:
    """Receptive field of a node's outputs relative to one Input, per spatial axis."""

    input: str
    size: tuple[int, ...]
    jump: tuple[float, ...]
    start: tuple[float, ...]
    is_global: bool = False
    deformable: bool = False
    state: RFState | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_state(cls, input_id: str, st: RFState) -> RF:
        """The public RF of state ``st`` relative to the Input ``input_id``.

        A global state reports the Input's extent as ``size``; its ``jump`` and
        ``start`` keep following the output grid (graph-format.md). Integral values
        are ints; ``state`` keeps ``st``.
        """
        if st.is_global:  # the whole Input; jump and start follow the output grid
            size = st.extent
            start = tuple(_num(m.start) for m in st.maps) if all(st.maps) else tuple(
                _num((n - 1) / 2) for n in st.extent)
            jumps = tuple(_num(j) for j in st.global_jumps)
        else:
            size, jumps, start = _public_axes(st.maps)
        return _record(cls, {"input": input_id, "size": size, "jump": jumps, "start": start,
                             "is_global": st.is_global, "deformable": st.deformable,
                             "state": st})

    def to_json(self) -> dict[str, Any]:
        """The JSON form: ``size``, ``jump``, ``start``, ``global``, ``deformable``, ``input``."""
        return {"size": list(self.size), "jump": [_num(j) for j in self.jump],
                "start": [_num(s) for s in self.start], "global": self.is_global,
                "deformable": self.deformable, "input": self.input}

    def label(self) -> str:
        """Canvas label, e.g. ``RF 7×7 · j 2`` (``RF global`` when global)."""
        if self.is_global:
            return "RF global"
        size = "×".join(str(s) for s in self.size)
        jumps = {_fmt(j) for j in self.jump}
        jump = jumps.pop() if len(jumps) == 1 else "×".join(_fmt(j) for j in self.jump)
        return f"RF {size} · j {jump}" + (" · deform" if self.deformable else "")

    def region(self, index: tuple[int, ...]):
        """Per axis, ``(lo, hi, positions)`` of the input region of output ``index``.

        Coordinates are Input pixels (may lie outside the image: padding).
        Returns None for a global receptive field.
        """
        if self.state is None or self.state.is_global:
            return None
        return tuple(m.region(i) for m, i in zip(self.state.maps, index, strict=False))


def _public_axes(maps) -> tuple[tuple, tuple, tuple]:
    """Per axis, ``size``, ``jump`` and ``start`` as reported (ints where integral)."""
    if not maps:
        return (), (), ()
    first = maps[0]
    if maps.count(first) == len(maps):  # square grids: one map for every axis
        n = len(maps)
        return (first.size,) * n, (_jump(first),) * n, (first.start,) * n
    return (tuple([m.size for m in maps]), tuple([_jump(m) for m in maps]),
            tuple([m.start for m in maps]))


def _jump(m: AxisMap) -> int | float:
    return m.step // m.period if m.step % m.period == 0 else m.step / m.period


def _fmt(v) -> str:
    v = _num(v)
    return str(v) if isinstance(v, int) else f"{v:.3g}"


@dataclass(frozen=True)
class NodeResult:
    """The analysis of one node, as reported (immutable).

    Attributes
    ----------
    id, type : str
        Node id and layer type.
    shape : tuple of int or None
        Output shape without the batch dimension; None when the node failed or
        a source has no shape (then ``params``, ``macs`` and ``rf`` are None too).
    params : int or None
        Learnable parameters.
    macs : int or None
        Multiply-accumulates of one forward pass.
    rf : RF or None
        Receptive field relative to the first Input that reaches the node (the
        first entry of ``rf_by_input``).
    rf_by_input : dict
        Input id -> :class:`RF`, for every Input that reaches the node.
    summary : str
        Key parameters for the canvas (``LayerKind.summary``).
    error : Issue or None
        Why this node failed; None when it did not (also when it is only
        blocked by an error upstream).
    """

    id: str
    type: str
    shape: tuple[int, ...] | None
    params: int | None
    macs: int | None
    rf: RF | None
    rf_by_input: dict[str, RF] = field(default_factory=dict, compare=False)
    summary: str = ""
    error: Issue | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON form of one node of ``analyze --json``.

        ``rf_by_input`` is included only when more than one Input reaches the
        node; ``summary`` and ``error`` are not included (errors are listed in
        the result's ``errors``).
        """
        data: dict[str, Any] = {
            "id": self.id, "type": self.type,
            "shape": list(self.shape) if self.shape is not None else None,
            "params": self.params, "macs": self.macs,
            "rf": self.rf.to_json() if self.rf is not None else None,
        }
        if len(self.rf_by_input) > 1:
            data["rf_by_input"] = {k: v.to_json() for k, v in self.rf_by_input.items()}
        return data


def node_result(id: str, type: str, shape, params, macs, rf, rf_by_input: dict,
                summary: str, error: Issue | None = None) -> NodeResult:
    """``NodeResult(...)`` with every field given, built fast (see :func:`_record`)."""
    return _record(NodeResult, {"id": id, "type": type, "shape": shape, "params": params,
                                "macs": macs, "rf": rf, "rf_by_input": rf_by_input,
                                "summary": summary, "error": error})


_new = object.__new__
_set = object.__setattr__


def _record(cls, values: dict):
    """An instance of the frozen dataclass ``cls`` whose fields are ``values`` (all of
    them, in field order): what ``cls(**values)`` makes, in one step.

    A speed trick of the analysis, kept here: it builds a NodeResult per node and
    an RF per new receptive field, and the generated ``__init__`` of a frozen
    dataclass sets each field through ``object.__setattr__``. For NodeResult that
    is 1.5 µs instead of 0.66, about 8% of a full analysis and of the worst-case
    edit of bench/analysis.py. Only for classes without ``__post_init__``, slots
    or other init work; tests/test_analysis_passes.py checks that the instances
    equal those the constructors make.
    """
    obj = _new(cls)
    _set(obj, "__dict__", values)
    return obj


@dataclass(frozen=True)
class AnalysisResult:
    """What ``engine.analyze`` returns; ``to_json()`` is what ``analyze --json`` prints.

    ``nodes`` maps node id to :class:`NodeResult` in topological order; it is
    read-only (an incremental analysis shares it with the results before and
    after, :mod:`engine.analysis.table`). ``rebuilt`` holds the ids whose
    :class:`NodeResult` this result built anew (every id for a first analysis):
    the others are the very objects of the previous result.
    """

    nodes: Mapping[str, NodeResult]
    errors: tuple[Issue, ...]
    warnings: tuple[Issue, ...]
    total_params: int
    total_macs: int
    activation_bytes: int
    rebuilt: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    @property
    def valid(self) -> bool:
        """Whether the analysis found no errors (warnings do not count)."""
        return not self.errors

    @property
    def order(self) -> list[str]:
        """Node ids in topological order (the order of ``nodes``)."""
        return list(self.nodes)

    def to_json(self) -> dict[str, Any]:
        """The ``analyze --json`` document (``valid``, ``nodes``, ``total``, issues)."""
        return {
            "valid": self.valid,
            "nodes": [n.to_json() for n in self.nodes.values()],
            "total": {"params": self.total_params, "macs": self.total_macs,
                      "activation_bytes": self.activation_bytes},
            "errors": [e.to_json() for e in self.errors],
            "warnings": [w.to_json() for w in self.warnings],
        }

    def issues_of(self, node_id: str) -> list[Issue]:
        """The errors, then the warnings, whose ``node`` is ``node_id``."""
        return [i for i in (*self.errors, *self.warnings) if i.node == node_id]
