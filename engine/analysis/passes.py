"""Per-node analysis passes: wiring, shape, cost, receptive field, local warnings.

:func:`analyze_node` runs the passes for one node given the outcomes of its
sources, so the driver can recompute only what an edit touched. All layer
knowledge comes from the catalogue (``infer``, ``cost``, ``rf_ops``).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from ..catalogue import Inputs, LayerError
from ..catalogue.base import AXES, direct_init, set_fields
from ..graph import Graph, Node
from .result import RF, Issue, NodeResult, RFState
from .rf import IDENTITY, apply_ops, union

__all__ = ["NodeOutcome", "analyze_node"]


@direct_init
@dataclass(frozen=True, init=False)
class NodeOutcome:
    """Everything the analysis knows about one node (runtime and export use it)."""

    node: Node
    params: dict | None
    ins: Inputs | None
    result: NodeResult
    rf: dict[str, RFState]
    warnings: tuple[Issue, ...] = ()

    def __init__(self, node, params, ins, result, rf, warnings=()):
        set_fields(self, {"node": node, "params": params, "ins": ins, "result": result,
                          "rf": rf, "warnings": warnings})

    @property
    def shape(self):
        """The node's output shape (``result.shape``; None when it has none)."""
        return self.result.shape


def analyze_node(graph: Graph, node: Node, done: dict[str, NodeOutcome],
                 shared: dict | None = None) -> NodeOutcome:
    """Run every pass for ``node``; ``done`` holds the outcomes of its sources.

    ``shared``, when given, is a dict that the nodes of one pass share: layers
    with the same kind, parameters and inputs (a net's repeated blocks) then ask
    the catalogue once (see :func:`_rules`).
    """
    kind = node.kind
    params = node.normalised  # validated when the node entered the graph
    ports = graph.inputs_of(node.id)
    n = len(ports)
    if n < kind.min_inputs or (n and max(ports) != n - 1):  # not slots 0..n-1 all connected
        return _fail(node, params, _wiring(kind, ports))
    sources = []  # (plain loops here and below: a comprehension costs a frame in 3.11)
    for i in range(n):
        s = done[ports[i]]
        if s.result.shape is None:  # downstream of an error: no shape, no error of its own
            return _outcome(node, params, NodeResult(
                node.id, node.type, None, None, None, None, summary=_summary(kind, params)))
        sources.append(s)
    ins = _inputs(sources)
    try:
        out, cost, ops = _rules(kind, params, ins, shared)
    except LayerError as exc:
        return _fail(node, params, exc.message, exc.param)
    warnings = _stride_warnings(node, ops, ins, out)
    rf, rfs = _receptive_field(node, kind, sources, ops, out, warnings)
    res = NodeResult(node.id, node.type, out, cost.params, cost.macs,
                     next(iter(rfs.values()), None), rfs, _summary(kind, params))
    return NodeOutcome(node, params, ins, res, rf, tuple(warnings))


def _outcome(node: Node, params, res: NodeResult) -> NodeOutcome:
    return NodeOutcome(node, params, None, res, {})


def _fail(node: Node, params, message: str, param: str | None = None) -> NodeOutcome:
    issue = Issue(node.id, param, f"{node.id}: {message}")
    return _outcome(node, params, NodeResult(
        node.id, node.type, None, None, None, None, error=issue,
        summary=_summary(node.kind, params)))


# -- wiring and inputs ---------------------------------------------------------------------
def _wiring(kind, ports: dict[int, str]) -> str:
    """Why the connected slots cannot feed the node (some slot of 0..n-1 is missing)."""
    n = len(ports)
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
    if len(sources) == 1:  # the common case
        s = sources[0]
        return Inputs((s.result.shape,), (s.node.type,), (s.ins.shapes if s.ins else (),))
    shapes, types, src_in = [], [], []
    for s in sources:
        shapes.append(s.result.shape)
        types.append(s.node.type)
        src_in.append(s.ins.shapes if s.ins else ())
    return Inputs(tuple(shapes), tuple(types), tuple(src_in))


def _rules(kind, params: dict, ins: Inputs, shared: dict | None) -> tuple:
    """``(output shape, cost, rf ops)`` from the catalogue.

    The rules are pure functions of the kind, the (normalised, shared) parameters
    and the inputs, and their answers are immutable: with ``shared``, every node
    with the same three gets the same answer, computed once.
    """
    if shared is None:
        out = kind.infer(params, ins)
        return out, kind.cost(params, ins, out), kind.rf_ops(params, ins, out)
    key = (kind, id(params), ins.shapes, ins.types, ins.src_in)  # params live in the graph
    got = shared.get(key)
    if got is None:
        got = shared[key] = _rules(kind, params, ins, None)
    return got


def _stride_warnings(node: Node, ops_per_axis, ins: Inputs, out) -> list[Issue]:
    """A warning per axis where a strided window never reads the last real pixels."""
    issues = []
    for axis, ops in enumerate(ops_per_axis):
        for op in ops:
            if op[0] == "conv" and op[2] != 1:
                issue = _dropped_pixels(node, axis, op, ins, out)
                if issue:
                    issues.append(issue)
    return issues


def _dropped_pixels(node: Node, axis: int, op, ins: Inputs, out) -> Issue | None:
    axes = AXES.get(len(out) - 1, ())
    if len(ins.x) < 2 or len(out) != len(ins.x) or axis >= len(axes):
        return None
    _, k, s, pl, d, pr = op
    size = ins.x[1 + axis]
    padded = size + pl + pr
    left = padded - ((out[1 + axis] - 1) * s + d * (k - 1) + 1)
    if left <= pr:  # only padding is left unread
        return None
    lost = left - pr
    return Issue(node.id, "stride", (
        f"{node.id}: stride {s} drops the last {lost} input pixel"
        f"{'s' if lost > 1 else ''} of {size} along {axes[axis]} "
        f"(({axes[axis]} + 2p − d(k−1) − 1) % s = {left})"))


# -- receptive field -----------------------------------------------------------------------
def _receptive_field(node: Node, kind, sources: list[NodeOutcome], ops, out,
                     warnings: list[Issue]) -> tuple[dict[str, RFState], dict[str, RF]]:
    """Per Input that reaches the node, the state and its public :class:`RF`;
    misaligned merges add a warning."""
    if not sources:  # an Input: the identity on its own pixels
        st = _local((IDENTITY,) * (len(out) - 1), tuple(out[1:]), False)
        return {node.id: st}, {node.id: RF.from_state(node.id, st)}
    deform = kind.deformable
    if len(sources) == 1 and len(sources[0].rf) == 1:  # the common case: a chain
        src = sources[0]
        (input_id, st), = src.rf.items()
        new = _advance(st, ops, deform)
        if new is st:  # nothing here changes the field (norm, activation): share it
            return src.rf, src.result.rf_by_input
        return {input_id: new}, {input_id: RF.from_state(input_id, new)}
    per_input: dict[str, list[RFState]] = {}
    for s in sources:
        for input_id, st in s.rf.items():
            per_input.setdefault(input_id, []).append(_advance(st, ops, deform))
    rf = {}
    for input_id, states in per_input.items():
        if len(states) > 1:
            warnings.extend(_misaligned(node, input_id, states))
            rf[input_id] = _merge(states)
        else:
            rf[input_id] = states[0]
    return rf, {input_id: _rf_of(input_id, st, sources) for input_id, st in rf.items()}


def _advance(st: RFState, ops_per_axis, deform: bool) -> RFState:
    """The state after the node's ops (the same object when they change nothing)."""
    if deform and not st.deformable:
        st = st._replace(deformable=True)
    if st.is_global or not any(ops_per_axis):
        return st
    maps = st.maps
    n = len(maps)
    if (len(ops_per_axis) == n and maps.count(maps[0]) == n
            and ops_per_axis.count(ops_per_axis[0]) == n):  # square: every axis alike
        m, glob = apply_ops(maps[0], ops_per_axis[0])
        new = (m,) * n
    else:
        new, glob = [], False
        for axis, m in enumerate(maps):
            m, g = apply_ops(m, ops_per_axis[axis] if axis < len(ops_per_axis) else ())
            new.append(m)
            glob = glob or g
        new = tuple(new)
    if glob:
        return RFState(new, st.extent, True, st.deformable, tuple([m.jump for m in new]))
    return _local(new, st.extent, st.deformable)


def _merge(states: list[RFState]) -> RFState:
    first = states[0]
    for st in states:
        if st is not first:
            break
    else:  # every path brings the very same state
        return first
    deform = False
    for st in states:
        deform = deform or st.deformable
    for st in states:
        if st.is_global:  # the whole input reaches every output anyway
            return st._replace(deformable=deform)
    maps: list = []
    prev = None
    for group in zip(*[st.maps for st in states], strict=True):  # per axis
        if group == prev:  # the same maps as the previous axis: the same union
            maps.append(maps[-1])
        elif _all_aligned(group):
            maps.append(union(group))
        else:  # misaligned grids (warned): keep the widest
            maps.append(max(group, key=lambda m: m.size))
        prev = group
    return _local(tuple(maps), first.extent, deform)


def _all_aligned(group) -> bool:
    """Whether axis maps all have the same jump (``step / period``)."""
    ref = group[0]
    for m in group:
        if m is not ref and m.step * ref.period != ref.step * m.period:
            return False
    return True


def _misaligned(node: Node, input_id: str, states: list[RFState]) -> list[Issue]:
    local = [st for st in states if not st.is_global]
    for group in zip(*[st.maps for st in local], strict=True):  # per axis
        if not _all_aligned(group):
            break
    else:
        return []
    shown = " vs ".join("×".join(str(RF.from_state(input_id, st).jump[i])
                                 for i in range(len(st.maps))) for st in local)
    return [Issue(node.id, None, f"{node.id}: inputs are on misaligned grids (jumps {shown} "
                  f"relative to {input_id}): their pixels do not correspond")]


def _local(maps: tuple, extent: tuple, deformable: bool) -> RFState:
    """A non-global state, with the holes of its footprint per axis."""
    holes = ()
    for m in maps:
        if m.holes:  # rare: name the axes with holes
            holes = tuple([(ax, m.holes) for ax, m in zip("DHW"[3 - len(maps):], maps,
                                                           strict=True) if m.holes])
            break
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
