"""Per-node analysis passes: wiring, shape, cost, receptive field, local warnings.

:func:`analyze_node` runs the passes for one node given the outcomes of its
sources, so the driver can recompute only what an edit touched. All layer
knowledge comes from the catalogue (``infer``, ``cost``, ``rf_ops``).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from ..catalogue import Inputs, LayerError
from ..catalogue.base import AXES
from ..graph import Graph, Node
from .result import RF, Issue, NodeResult, RFState
from .rf import IDENTITY, apply_op, union

__all__ = ["NodeOutcome", "analyze_node"]


@dataclass(frozen=True)
class NodeOutcome:
    """Everything the analysis knows about one node (runtime and export use it)."""

    node: Node
    params: dict | None
    ins: Inputs | None
    result: NodeResult
    rf: dict[str, RFState]
    warnings: tuple[Issue, ...] = ()

    @property
    def shape(self):
        return self.result.shape


def analyze_node(graph: Graph, node: Node, done: dict[str, NodeOutcome]) -> NodeOutcome:
    """Run every pass for ``node``; ``done`` holds the outcomes of its sources."""
    kind = node.kind
    params = node.normalised  # validated when the node entered the graph
    ports = graph.inputs_of(node.id)
    why = _wiring(kind, ports)
    if why:
        return _fail(node, params, why)
    sources = [done[ports[i]] for i in range(len(ports))]
    for s in sources:
        if s.result.shape is None:  # downstream of an error: no shape, no error of its own
            return _outcome(node, params, None, NodeResult(
                node.id, node.type, None, None, None, None, summary=_summary(kind, params)))
    ins = _inputs(sources)
    try:
        out = kind.infer(params, ins)
        cost = kind.cost(params, ins, out)
        ops = kind.rf_ops(params, ins, out)
    except LayerError as exc:
        return _fail(node, params, exc.message, exc.param)
    warnings = _stride_warnings(node, ops, ins, out) if sources else []
    rf = _receptive_field(node, sources, ops, out, warnings)
    rfs = {input_id: _rf_of(input_id, st, sources) for input_id, st in rf.items()}
    res = NodeResult(node.id, node.type, out, cost.params, cost.macs,
                     next(iter(rfs.values()), None), rfs, _summary(kind, params))
    return NodeOutcome(node, params, ins, res, rf, tuple(warnings))


def _outcome(node: Node, params, ins, res: NodeResult) -> NodeOutcome:
    return NodeOutcome(node, params, ins, res, {})


def _fail(node: Node, params, message: str, param: str | None = None) -> NodeOutcome:
    issue = Issue(node.id, param, f"{node.id}: {message}")
    return _outcome(node, params, None, NodeResult(
        node.id, node.type, None, None, None, None, error=issue,
        summary=_summary(node.kind, params)))


# -- wiring and inputs ---------------------------------------------------------------------
def _wiring(kind, ports: dict[int, str]) -> str | None:
    """Why the connected slots cannot feed the node, or None."""
    n = len(ports)
    if kind.max_inputs == 0 or (n >= kind.min_inputs and n and max(ports) == n - 1):
        return None  # no inputs wanted, or slots 0..n-1 all connected (ports are distinct)
    if n == 0:
        return "input not connected" if kind.min_inputs == 1 else \
            f"needs at least {kind.min_inputs} inputs (none connected)"
    if n < kind.min_inputs:
        if kind.slots:
            missing = [kind.slots[i] for i in range(kind.min_inputs) if i not in ports]
            return f"slot {', '.join(missing)} not connected"
        return f"needs at least {kind.min_inputs} inputs (has {n})"
    gaps = [i for i in range(max(ports) + 1) if i not in ports]
    return f"slot {gaps[0]} is not connected (inputs must use slots 0..{n - 1})"


def _inputs(sources: list[NodeOutcome]) -> Inputs:
    """What arrives on the slots, from the outcomes of the sources (in slot order)."""
    if len(sources) == 1:  # the common case, without the comprehensions
        s = sources[0]
        return Inputs((s.result.shape,), (s.node.type,), (s.ins.shapes if s.ins else (),))
    return Inputs(tuple([s.result.shape for s in sources]),
                  tuple([s.node.type for s in sources]),
                  tuple([s.ins.shapes if s.ins else () for s in sources]))


def _stride_warnings(node: Node, ops_per_axis, ins: Inputs, out) -> list[Issue]:
    issues = []
    if len(ins.x) < 2 or len(out) != len(ins.x):
        return issues
    axes = AXES.get(len(out) - 1, ())
    for axis, ops in enumerate(ops_per_axis):
        for op in ops:
            if op[0] != "conv" or op[2] == 1 or axis >= len(axes):
                continue
            _, k, s, pl, d, pr = op
            size = ins.x[1 + axis]
            padded = size + pl + pr
            left = padded - ((out[1 + axis] - 1) * s + d * (k - 1) + 1)
            if left > pr:  # real pixels (not only padding) are never read
                lost = left - pr
                issues.append(Issue(node.id, "stride", (
                    f"{node.id}: stride {s} drops the last {lost} input pixel"
                    f"{'s' if lost > 1 else ''} of {size} along {axes[axis]} "
                    f"((H + 2p − d(k−1) − 1) % s = {left})")))
    return issues


# -- receptive field -----------------------------------------------------------------------
def _receptive_field(node: Node, sources: list[NodeOutcome], ops, out,
                     warnings: list[Issue]) -> dict[str, RFState]:
    """The state per Input that reaches the node; misaligned merges add a warning."""
    deform = node.kind.deformable
    if not sources:  # an Input: the identity on its own pixels
        return {node.id: _local((IDENTITY,) * (len(out) - 1), tuple(out[1:]), False)}
    if len(sources) == 1 and len(sources[0].rf) == 1:  # the common case: a chain
        (input_id, st), = sources[0].rf.items()
        return {input_id: _advance(st, ops, deform)}
    per_input: dict[str, list[RFState]] = {}
    for s in sources:
        for input_id, st in s.rf.items():
            per_input.setdefault(input_id, []).append(_advance(st, ops, deform))
    rf = {}
    for input_id, states in per_input.items():
        warnings.extend(_misaligned(node, input_id, states))
        rf[input_id] = _merge(states)
    return rf


def _advance(st: RFState, ops_per_axis, deform: bool) -> RFState:
    if deform and not st.deformable:
        st = st._replace(deformable=True)
    if st.is_global or not any(ops_per_axis):
        return st
    maps, glob = [], False
    for axis, m in enumerate(st.maps):
        ops = ops_per_axis[axis] if axis < len(ops_per_axis) else ()
        if axis and ops == ops_per_axis[axis - 1] and m is st.maps[axis - 1]:
            maps.append(maps[-1])  # square kernels on square grids: compute once
            continue
        for op in ops:
            if op[0] == "global":
                glob = True
                break
            m = apply_op(m, op)
        maps.append(m)
    if glob:
        return RFState(tuple(maps), st.extent, True, st.deformable,
                       tuple(m.jump for m in maps))
    return _local(tuple(maps), st.extent, st.deformable)


def _aligned(a, b) -> bool:
    """Whether two axis maps have the same jump (``step / period``)."""
    return a is b or a.step * b.period == b.step * a.period


def _merge(states: list[RFState]) -> RFState:
    first = states[0]
    if all(s is first for s in states):
        return first
    deform = any(s.deformable for s in states)
    if any(s.is_global for s in states):
        g = next(s for s in states if s.is_global)
        return g._replace(deformable=deform)
    maps: list = []
    prev = None
    for axis in range(len(first.maps)):
        group = [s.maps[axis] for s in states]
        if prev is not None and all(a is b for a, b in zip(group, prev, strict=True)):
            maps.append(maps[-1])  # the same maps as the previous axis: the same union
        elif all(_aligned(m, group[0]) for m in group):
            maps.append(union(group))
        else:  # misaligned grids (warned): keep the widest
            maps.append(max(group, key=lambda m: m.size))
        prev = group
    return _local(tuple(maps), first.extent, deform)


def _misaligned(node: Node, input_id: str, states: list[RFState]) -> list[Issue]:
    local = [st for st in states if not st.is_global]
    ref = local[0].maps if local else ()
    if all(_aligned(a, b) for st in local[1:] for a, b in zip(st.maps, ref, strict=True)):
        return []
    shown = " vs ".join("×".join(str(RF.from_state(input_id, st).jump[i])
                                 for i in range(len(st.maps))) for st in local)
    return [Issue(node.id, None, f"{node.id}: inputs are on misaligned grids (jumps {shown} "
                  f"relative to {input_id}): their pixels do not correspond")]


def _local(maps: tuple, extent: tuple, deformable: bool) -> RFState:
    """A non-global state, with the holes of its footprint per axis."""
    holes = tuple([(ax, m.holes) for ax, m in zip("DHW"[3 - len(maps):], maps, strict=True)
                   if m.holes])
    return RFState(maps, extent, False, deformable, (), holes)


def _rf_of(input_id: str, st: RFState, sources) -> RF:
    """The public RF of a state, reusing a source's object when the state is shared."""
    for s in sources:
        got = s.result.rf_by_input.get(input_id)
        if got is not None and got.state is st:
            return got
    return RF.from_state(input_id, st)


# -- small memos and helpers ---------------------------------------------------------------
_SUMMARIES: dict[int, tuple[dict, str]] = {}


def _summary(kind, params: dict | None) -> str:
    """``kind.summary(params)``, memoised on the (memoised, shared) params dict."""
    if not params:
        return ""
    hit = _SUMMARIES.get(id(params))
    if hit is not None and hit[0] is params:
        return hit[1]
    text = kind.summary(params)
    if len(_SUMMARIES) > 8192:
        _SUMMARIES.clear()
    _SUMMARIES[id(params)] = (params, text)
    return text


def activation_bytes(shape) -> int:
    return 4 * prod(shape) if shape else 0
