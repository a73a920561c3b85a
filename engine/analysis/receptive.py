"""Receptive-field pass: per Input that reaches a node, its receptive-field state.

A node's state follows from its sources' states and its own receptive-field
ops (``Layer.ops()``, from the catalogue) through the per-axis arithmetic of
:mod:`.rf`; merging paths take the union (the widest map where grids are
misaligned: the warnings pass reports those). A slot that gives only a size
(Crop2d's reference) brings nothing. Where the catalogue says the field is
unknown (``kind.rf_unknown``: an Opaque node), the node and everything downstream
get :data:`UNKNOWN`, no field at all. Each state also gets its public
:class:`RF`; a node that changes nothing (a norm, an activation) shares its
source's state and RF objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from .facts import Facts, sweep
from .result import RF, RFState
from .rf import IDENTITY, apply_ops, union
from .shapes import Layer

__all__ = ["rf_pass", "arrivals", "advance", "all_aligned", "value_sources", "UNKNOWN"]

#: the states of a node whose receptive field is unknown (``kind.rf_unknown`` here or
#: upstream): no Input, and the node's successors inherit it (compared by identity)
UNKNOWN: Mapping[str, RFState] = MappingProxyType({})


def rf_pass(facts: Facts, todo: set[str]) -> set[str]:
    """Recompute the fields of ``todo`` (and of the successors whose sources' change)."""
    layers, rf, public = facts.layers, facts.rf, facts.rf_public

    def step(nid: str) -> bool:
        old = rf.get(nid)
        rf[nid], public[nid] = new, _ = _field(facts, nid, layers[nid])
        return old is None or old != new or (old is UNKNOWN) != (new is UNKNOWN)

    return sweep(facts, todo, step)


def _field(facts: Facts, nid: str, layer: Layer) -> tuple[dict, dict]:
    """``(states, public RFs)`` of a node, per Input that reaches it."""
    out = layer.out
    if out is None:
        return {}, {}
    srcs = value_sources(facts, nid, layer)
    if layer.kind.rf_unknown:
        return UNKNOWN, {}
    rf = facts.rf
    for s in srcs:  # (a loop: a generator costs a frame in 3.11)
        if rf[s] is UNKNOWN:
            return UNKNOWN, {}
    if not srcs:  # an Input: the identity on its own pixels
        st = local((IDENTITY,) * (len(out) - 1), tuple(out[1:]), False)
        return {nid: st}, {nid: RF.from_state(nid, st)}
    if len(srcs) == 1:
        states = facts.rf[srcs[0]]
        if len(states) == 1:  # the common case: a chain
            (input_id, st), = states.items()
            new = advance(st, layer.ops(), layer.kind.deformable)
            if new is st:  # nothing here changes the field: share it
                return states, facts.rf_public[srcs[0]]
            return {input_id: new}, {input_id: RF.from_state(input_id, new)}
    merged = {input_id: _merge(states) if len(states) > 1 else states[0]
              for input_id, states in arrivals(facts, srcs, layer).items()}
    return merged, {input_id: _public(facts, srcs, input_id, st)
                    for input_id, st in merged.items()}


def value_sources(facts: Facts, nid: str, layer: Layer) -> tuple[str, ...]:
    """The sources of a node whose values reach it, in slot order (a slot that gives
    only a size, ``kind.size_roles``, left out)."""
    srcs = facts.sources(nid) or ()
    kind = layer.kind
    if not kind.size_roles:
        return srcs
    return tuple([s for port, s in enumerate(srcs) if kind.reads_values(port)])


def arrivals(facts: Facts, srcs: tuple[str, ...], layer: Layer) -> dict[str, list[RFState]]:
    """Per Input, the states that the sources bring, after the node's ops (``srcs``:
    the node's :func:`value_sources`)."""
    ops, deform = layer.ops(), layer.kind.deformable
    per_input: dict[str, list[RFState]] = {}
    for s in srcs:
        for input_id, st in facts.rf[s].items():
            per_input.setdefault(input_id, []).append(advance(st, ops, deform))
    return per_input


def advance(st: RFState, ops_per_axis, deform: bool) -> RFState:
    """The state after a node's ops (the same object when they change nothing)."""
    if deform and not st.deformable:
        st = st._replace(deformable=True)
    if not any(ops_per_axis):
        return st
    if st.is_global:  # every output sees the whole input; the grid still moves
        return _follow_grid(st, ops_per_axis)
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
    return local(new, st.extent, st.deformable)


def _follow_grid(st: RFState, ops_per_axis) -> RFState:
    """A global state after more ops: still global, its maps (hence ``jump`` and
    ``start``) follow the output grid (graph-format.md: a strided conv or an
    upsampling after a SqueezeExcitation still multiplies or divides ``jump``)."""
    maps = list(st.maps)
    for axis, m in enumerate(maps):
        ops = ops_per_axis[axis] if axis < len(ops_per_axis) else ()
        if m is not None and ops:
            maps[axis], _ = apply_ops(m, [op for op in ops if op[0] != "global"])
    new = tuple(maps)
    if all(a is b for a, b in zip(new, st.maps, strict=True)):
        return st
    return st._replace(maps=new, global_jumps=tuple([m.jump for m in new if m is not None]))


def _merge(states: list[RFState]) -> RFState:
    """The union of the states that merging paths bring for one Input."""
    first = states[0]
    if all(st is first for st in states):  # every path brings the very same state
        return first
    deform = any(st.deformable for st in states)
    for st in states:
        if st.is_global:  # the whole input reaches every output anyway
            return st._replace(deformable=deform)
    maps: list = []
    prev = None
    for group in zip(*[st.maps for st in states], strict=True):  # per axis
        if group == prev:  # the same maps as the previous axis: the same union
            maps.append(maps[-1])
        elif all_aligned(group):
            maps.append(union(group))
        else:  # misaligned grids (warned): keep the widest
            maps.append(max(group, key=lambda m: m.size))
        prev = group
    return local(tuple(maps), first.extent, deform)


def all_aligned(group) -> bool:
    """Whether axis maps all have the same jump (``step / period``)."""
    ref = group[0]
    for m in group:
        if m is not ref and m.step * ref.period != ref.step * m.period:
            return False
    return True


def local(maps: tuple, extent: tuple, deformable: bool) -> RFState:
    """A non-global state, with the holes of its footprint per axis."""
    holes = ()
    for m in maps:
        if m.holes:  # rare: name the axes with holes
            holes = tuple([(ax, m.holes) for ax, m in zip("DHW"[3 - len(maps):], maps,
                                                           strict=True) if m.holes])
            break
    return RFState(maps, extent, False, deformable, (), holes)


def _public(facts: Facts, srcs, input_id: str, st: RFState) -> RF:
    """The public RF of a state, reusing a source's object when the state is shared."""
    for s in srcs:
        got = facts.rf_public[s].get(input_id)
        if got is not None and got.state is st:
            return got
    return RF.from_state(input_id, st)
