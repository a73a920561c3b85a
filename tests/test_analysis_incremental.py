"""The incremental assembly of the analysis result (engine.analysis.assemble, .table).

After any edit sequence the incremental result equals a fresh analysis (nodes in
the same order, same totals, errors and warnings), every earlier result still
reads as it did when it was made (the node table is persistent), and the nodes
a result did not rebuild keep the very objects of the result before.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from engine import Analyzer, GraphEditError, analyze
from tests.test_graph_model import PARAM_CHANGES, TYPES, conv_chain, edit_ops


def _snapshot(result) -> tuple:
    return (result.to_json(), list(result.nodes), dict(result.nodes))


def _same(result, shot) -> None:
    as_json, order, nodes = shot
    assert result.to_json() == as_json
    assert list(result.nodes) == order
    assert len(result.nodes) == len(order)
    for nid, r in nodes.items():
        assert result.nodes[nid] is r and nid in result.nodes
    assert "no such node" not in result.nodes


def same_as_fresh(an: Analyzer, g, before):
    """The analyzer's result, checked equal to a fresh ``analyze`` of ``g``; the
    nodes it did not rebuild since ``before`` are ``before``'s very objects."""
    r = an.result()
    fresh = analyze(g)
    assert r == fresh
    assert list(r.nodes) == list(fresh.nodes)
    assert r.to_json() == fresh.to_json()
    if before is not None and r is not before:
        for nid in set(r.nodes) - r.rebuilt:  # what was not rebuilt is the very object
            if nid in before.nodes:
                assert r.nodes[nid] is before.nodes[nid]
    return r


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edit_ops)
def test_incremental_results_equal_fresh_ones_and_old_ones_stay(ops):
    g = conv_chain(8)  # a valid start: parameter edits change shapes, totals and issues
    an = Analyzer(g)
    names = iter(f"n{i}" for i in range(1000))
    types = list(TYPES)
    kept = []  # (result, snapshot) of every result so far
    before = None
    for op, a, b, c in ops:
        ids = list(g.nodes)
        try:
            if op in ("add", "reinsert") or not ids:
                t = types[a % len(types)]
                g.add_node(t, TYPES[t][b % len(TYPES[t])], next(names))
            elif op == "connect":
                g.connect(ids[a % len(ids)], ids[b % len(ids)], c)
            elif op == "disconnect" and g.edges:
                e = g.edges[a % len(g.edges)]
                g.disconnect(e.src, e.dst, e.port)
            elif op in ("set", "move"):  # param edits: the incremental assembly
                name, value = PARAM_CHANGES[b % len(PARAM_CHANGES)]
                g.set_param(ids[a % len(ids)], name, value)
            elif op == "remove":
                g.remove_node(ids[a % len(ids)])
            elif op == "rename":
                g.rename(ids[a % len(ids)], next(names))
        except GraphEditError:
            pass
        r = same_as_fresh(an, g, before)
        kept.append((r, _snapshot(r)))
        before = r
    for result, shot in kept:
        _same(result, shot)
    an.close()


def test_a_late_edit_rebuilds_only_what_changed():
    g = conv_chain(300)
    an = Analyzer(g)
    first = an.result()
    g.set_params("c298", {"kernel_size": 5, "padding": 2})
    r = an.result()
    assert r.rebuilt == {"c298", "c299"}
    assert r.total_params == first.total_params + 4 * 4 * (25 - 9)
    assert r.to_json() == analyze(g).to_json()
    assert first.nodes["c299"].rf.size == (2 * 298 + 3,) * 2  # the old result stays
    assert r.nodes["c299"].rf.size == (2 * 298 + 5,) * 2
    g.set_params("c298", {"kernel_size": 99, "padding": 0})  # an error appears ...
    bad = an.result()
    assert [e.node for e in bad.errors] == ["c298"] and bad.to_json() == analyze(g).to_json()
    g.set_params("c298", {"kernel_size": 3, "padding": 1})  # ... and goes
    assert an.result().valid and an.result().to_json() == analyze(g).to_json()
    assert r.valid and not bad.valid
    an.close()
