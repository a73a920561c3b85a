"""Per-node analysis passes: wiring, shape, cost, receptive field, local warnings.

:func:`analyze_node` runs the passes for one node given the outcomes of its
sources, so the driver can recompute only what an edit touched. All layer
knowledge comes from the catalogue (``infer``, ``cost``, ``rf_ops``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
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


def _fail(node: Node, params, message: str, param: str | None = None) -> NodeOutcome:
    issue = Issue(node.id, param, f"{node.id}: {message}")
    res = NodeResult(node.id, node.type, None, None, None, None, error=issue,
                     summary=node.kind.summary(params) if params else "")
    return NodeOutcome(node, params, None, res, {})


def _blocked(node: Node, params) -> NodeOutcome:
    """Downstream of an error: no shape, no error of its own."""
    res = NodeResult(node.id, node.type, None, None, None, None,
                     summary=node.kind.summary(params) if params else "")
    return NodeOutcome(node, params, None, res, {})


def _wiring(node: Node, ports: dict[int, str]) -> str | None:
    kind = node.kind
    n = len(ports)
    if kind.max_inputs == 0:
        return None
    if n == 0:
        return "input not connected" if kind.min_inputs == 1 else \
            f"needs at least {kind.min_inputs} inputs (none connected)"
    if n < kind.min_inputs:
        if kind.slots:
            missing = [kind.slots[i] for i in range(kind.min_inputs) if i not in ports]
            return f"slot {', '.join(missing)} not connected"
        return f"needs at least {kind.min_inputs} inputs (has {n})"
    gaps = [i for i in range(max(ports) + 1) if i not in ports]
    if gaps:
        return f"slot {gaps[0]} is not connected (inputs must use slots 0..{n - 1})"
    return None


def _advance(st: RFState, ops_per_axis, deform: bool) -> RFState:
    if deform and not st.deformable:
        st = replace(st, deformable=True)
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
    return RFState(tuple(maps), st.extent, False, st.deformable)


def _merge(states: list[RFState]) -> RFState:
    if len(states) == 1:
        return states[0]
    deform = any(s.deformable for s in states)
    if all(s is states[0] for s in states):
        return states[0]
    if any(s.is_global for s in states):
        g = next(s for s in states if s.is_global)
        return replace(g, deformable=deform)
    maps = []
    for axis in range(len(states[0].maps)):
        group = [s.maps[axis] for s in states]
        if len({m.jump for m in group}) == 1:
            maps.append(union(group))
        else:  # misaligned grids (warned): keep the widest
            maps.append(max(group, key=lambda m: m.size))
    return RFState(tuple(maps), states[0].extent, False, deform)


def _misaligned(node: Node, input_id: str, states: list[RFState]) -> list[Issue]:
    local = [st for st in states if not st.is_global]
    ref = local[0].maps if local else ()
    if all(a is b or a.step * b.period == b.step * a.period
           for st in local[1:] for a, b in zip(st.maps, ref, strict=True)):
        return []
    shown = " vs ".join("×".join(str(RF.from_state(input_id, st).jump[i])
                                 for i in range(len(st.maps))) for st in local)
    return [Issue(node.id, None, f"{node.id}: inputs are on misaligned grids (jumps {shown} "
                  f"relative to {input_id}): their pixels do not correspond")]


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


def analyze_node(graph: Graph, node: Node, done: dict[str, NodeOutcome],
                 params_cache: dict) -> NodeOutcome:
    """Run every pass for ``node``; ``done`` holds the outcomes of its sources."""
    kind = node.kind
    cached = params_cache.get(id(node))
    if cached is not None and cached[0] is node:
        params = cached[1]
    else:
        params = kind.normalise(dict(node.params))
        params_cache[id(node)] = (node, params)
    try:
        kind.check(params)
    except LayerError as exc:
        return _fail(node, params, exc.message, exc.param)
    ports = graph.inputs_of(node.id)
    why = _wiring(node, ports)
    if why:
        return _fail(node, params, why)
    sources = [done[ports[i]] for i in range(len(ports))]
    if any(s.shape is None for s in sources):
        return _blocked(node, params)
    ins = Inputs(tuple([s.result.shape for s in sources]),
                 tuple([s.node.type for s in sources]),
                 tuple([s.ins.shapes if s.ins else () for s in sources]))
    try:
        out = kind.infer(params, ins)
        cost = kind.cost(params, ins, out)
        ops = kind.rf_ops(params, ins, out)
    except LayerError as exc:
        return _fail(node, params, exc.message, exc.param)
    warnings = _stride_warnings(node, ops, ins, out) if ins.shapes else []

    # receptive field, per Input that reaches the node
    if not sources:
        dims = len(out) - 1
        rf = {node.id: RFState((IDENTITY,) * dims, tuple(out[1:]))}
    elif len(sources) == 1 and len(sources[0].rf) == 1:  # the common case: a chain
        (input_id, st), = sources[0].rf.items()
        rf = {input_id: _advance(st, ops, kind.deformable)}
    else:
        per_input: dict[str, list[RFState]] = {}
        for s in sources:
            for input_id, st in s.rf.items():
                per_input.setdefault(input_id, []).append(_advance(st, ops, kind.deformable))
        rf = {}
        for input_id, states in per_input.items():
            warnings.extend(_misaligned(node, input_id, states))
            rf[input_id] = _merge(states)
    rfs = {k: _rf_of(k, v, sources) for k, v in rf.items()}
    res = NodeResult(node.id, node.type, out, cost.params, cost.macs,
                     next(iter(rfs.values()), None), rfs, _summary(kind, params))
    return NodeOutcome(node, params, ins, res, rf, tuple(warnings))


_SUMMARIES: dict[int, tuple[dict, str]] = {}


def _summary(kind, params: dict) -> str:
    """``kind.summary(params)``, memoised on the (memoised, shared) params dict."""
    hit = _SUMMARIES.get(id(params))
    if hit is not None and hit[0] is params:
        return hit[1]
    text = kind.summary(params)
    if len(_SUMMARIES) > 8192:
        _SUMMARIES.clear()
    _SUMMARIES[id(params)] = (params, text)
    return text


def _rf_of(input_id: str, st: RFState, sources) -> RF:
    """The public RF of a state, reusing a source's object when the state is shared."""
    for s in sources:
        got = s.result.rf_by_input.get(input_id)
        if got is not None and got.state is st:
            return got
    return RF.from_state(input_id, st)


def activation_bytes(shape) -> int:
    return 4 * prod(shape) if shape else 0
