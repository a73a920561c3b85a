"""What a collapsed group's card says, from the analysis of its members (pure, no Qt).

Inputs are the tensors that enter the group from outside (their shapes, in edge
order, once per source); outputs are those that leave it, or members without
successors (graph outputs). The receptive field is the first output's. Params and
MACs are the sums over every member, nested groups included; an unknown count
(a member in error) makes the sum unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine import AnalysisResult, Graph

__all__ = ["GroupFacts", "group_facts"]


@dataclass(frozen=True)
class GroupFacts:
    """The figures of one group.

    Attributes
    ----------
    members : tuple of str
        Every node inside, nested groups included, in node order.
    in_shapes, out_shapes : tuple
        Shapes entering and leaving (None where unknown).
    rf : RF or None
        Receptive field of the first output.
    params, macs : int or None
        Sums over the members (None when a member's count is unknown).
    errors : int
        Members in error.
    """

    members: tuple[str, ...]
    in_shapes: tuple
    out_shapes: tuple
    rf: object
    params: int | None
    macs: int | None
    errors: int


def group_facts(graph: Graph, result: AnalysisResult | None, group_id: str) -> GroupFacts:
    """The facts of ``group_id`` in ``graph`` under ``result`` (None: no figures)."""
    members = graph.members(group_id)
    inside = set(members)
    nodes = result.nodes if result is not None else {}
    sources: list[str] = []
    outs: list[str] = []
    for e in graph.edges:
        if e.dst in inside and e.src not in inside and e.src not in sources:
            sources.append(e.src)
    for n in members:
        succ = graph.successors(n)
        if not succ or any(e.dst not in inside for e in succ):
            outs.append(n)

    def shape(n):
        r = nodes.get(n)
        return r.shape if r is not None else None

    params: int | None = 0
    macs: int | None = 0
    errors = 0
    for n in members:
        r = nodes.get(n)
        if r is None or r.params is None:
            params = None
        elif params is not None:
            params += r.params
        if r is None or r.macs is None:
            macs = None
        elif macs is not None:
            macs += r.macs
        if r is not None and r.error is not None:
            errors += 1
    first = nodes.get(outs[0]) if outs else None
    return GroupFacts(tuple(members), tuple(shape(s) for s in sources),
                      tuple(shape(o) for o in outs), first.rf if first is not None else None,
                      params, macs, errors)
