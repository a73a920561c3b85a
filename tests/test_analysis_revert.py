"""Undo and redo come back to the analysis one step back (engine.analysis.revert).

The oracle is a fresh analysis of the graph as it is (``engine.analyze``): after
any sequence of edits, undos and redos, the analyzer's result equals it. Where
the graph is exactly as it was one analysis ago, the analyzer recomputes nothing
(``recomputed == 0``) and hands back that analysis' very NodeResult objects.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import Analyzer, GraphEditError, analyze
from engine.graph import (
    Connect,
    Disconnect,
    Edge,
    InsertNode,
    MoveNode,
    Node,
    RenameNode,
    SetParams,
)
from tests.test_analysis_incremental import same_as_fresh
from tests.test_graph_model import PARAM_CHANGES, TYPES, conv_chain

ACTIONS = ["add", "add", "connect", "connect", "connect", "disconnect", "set", "set",
           "remove", "rename", "move", "undo", "undo", "undo", "redo", "redo"]
steps = st.lists(st.tuples(st.sampled_from(ACTIONS), st.integers(0, 10 ** 6),
                           st.integers(0, 10 ** 6), st.integers(0, 2)),
                 min_size=1, max_size=40)


def _edits(g, op, a, b, c, names):
    """The primitive edits of one random step (None: nothing to do)."""
    ids = list(g.nodes)
    if op == "add" or not ids:
        t = list(TYPES)[a % len(TYPES)]
        return [InsertNode(Node(next(names), t, TYPES[t][b % len(TYPES[t])]))]
    pick = ids[a % len(ids)]
    if op == "connect":
        return [Connect(Edge(pick, ids[b % len(ids)], c))]
    if op == "disconnect":
        return [Disconnect(g.edges[a % len(g.edges)])] if g.edges else None
    if op == "set":
        name, value = [p for p in PARAM_CHANGES if p[1] is not None][b % 15]
        return [SetParams.of(pick, {**g.nodes[pick].params, name: value})]
    if op == "remove":
        return g.removal(pick)
    if op == "rename":
        return [RenameNode(pick, next(names))]
    return [MoveNode(pick, (a % 97, b % 89))]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_edits_undos_and_redos_give_the_fresh_analysis(ops):
    g = conv_chain(6)
    an = Analyzer(g)
    names = iter(f"n{i}" for i in range(1000))
    done, undone = [], []  # inverses to undo; edits to redo
    kept = []
    before = same_as_fresh(an, g, None)
    for op, a, b, c in ops:
        try:
            if op == "undo":
                if done:
                    undone.append(g.apply_all(reversed(done.pop())))
            elif op == "redo":
                if undone:
                    done.append(g.apply_all(reversed(undone.pop())))
            else:
                edits = _edits(g, op, a, b, c, names)
                if edits:
                    done.append(g.apply_all(edits))
                    undone.clear()
        except GraphEditError:
            pass
        before = same_as_fresh(an, g, before)
        kept.append((before, before.to_json()))
    for result, as_json in kept:  # every result still reads as it did
        assert result.to_json() == as_json
    an.close()


def test_undo_and_redo_of_an_early_delete_recompute_nothing():
    g = conv_chain(300)
    an = Analyzer(g)
    first = an.result()
    inverses = g.apply_all(g.removal("c2"))  # every node after c2 is now blocked
    cut = an.result()
    assert an.recomputed == 297 and cut.errors and not cut.valid
    redo = g.apply_all(reversed(inverses))  # undo
    back = an.result()
    assert an.recomputed == 0
    assert back.to_json() == first.to_json() == analyze(g).to_json()
    assert all(back.nodes[nid] is first.nodes[nid] for nid in g.nodes)  # the same objects
    assert back.rebuilt == set(g.nodes) - {"x", "c1"}
    g.apply_all(reversed(redo))  # redo
    again = an.result()
    assert an.recomputed == 0 and again.to_json() == cut.to_json() == analyze(g).to_json()
    assert all(again.nodes[nid] is cut.nodes[nid] for nid in g.nodes)
    assert first.nodes["c299"].shape == (4, 32, 32)  # old results stay as they were
    assert cut.nodes["c299"].shape is None
    an.close()


def test_an_undone_parameter_edit_comes_back_by_value():
    g = conv_chain(50)
    an = Analyzer(g)
    first = an.result()
    old = g.nodes["c3"].params
    g.apply(SetParams.of("c3", {**old, "kernel_size": 5}))  # c3's field and everything after
    assert an.result().nodes["c49"].rf.size != first.nodes["c49"].rf.size
    g.apply(SetParams.of("c3", dict(old)))  # a new Node, equal to the old one
    back = an.result()
    assert an.recomputed == 0 and back.nodes["c49"] is first.nodes["c49"]
    assert back.to_json() == analyze(g).to_json()
    an.close()


def test_a_graph_like_but_not_as_before_is_analysed():
    g = conv_chain(20)
    an = Analyzer(g)
    first = an.result()
    inverses = g.apply_all(g.removal("c5"))
    an.result()
    g.apply(InsertNode(Node("c5", "Conv2d", {"out_channels": 4, "kernel_size": 5,
                                              "padding": 1})))  # the same id, other params
    for inv in reversed(inverses[:-1]):  # the edges as before
        g.apply(inv)
    r = an.result()
    assert an.recomputed > 0 and r.to_json() == analyze(g).to_json()
    assert r.nodes["c19"].shape != first.nodes["c19"].shape


def test_an_edge_back_on_another_slot_is_not_the_state_before():
    g = conv_chain(5)
    g.add_node("Add", {}, "add")
    g.connect("c3", "add", 0)
    g.connect("c4", "add", 1)
    an = Analyzer(g)
    first = an.result()
    g.apply(Disconnect(Edge("c4", "add", 1)))
    g.apply(Disconnect(Edge("c3", "add", 0)))
    an.result()
    g.apply(Connect(Edge("c3", "add", 1)))  # swapped slots
    g.apply(Connect(Edge("c4", "add", 0)))
    r = an.result()
    assert an.recomputed > 0 and r.to_json() == analyze(g).to_json()
    assert r.to_json() == first.to_json()  # (Add is symmetric: the same numbers)


def test_issues_after_a_return_are_those_of_the_state_returned_to():
    g = conv_chain(30)
    an = Analyzer(g)
    an.result()
    old = dict(g.nodes["c3"].params)
    g.apply(SetParams.of("c3", {**old, "kernel_size": 99}))  # an error at c3 ...
    assert [e.node for e in an.result().errors] == ["c3"]
    g.apply(SetParams.of("c3", old))  # ... undone
    assert an.result().valid and an.recomputed == 0
    g.apply(SetParams.of("c20", {"out_channels": 4, "stride": 2}))  # another edit, later
    r = an.result()
    assert r.to_json() == analyze(g).to_json() and r.valid


def test_a_node_removed_and_put_back_while_undoing_keeps_its_facts():
    g = conv_chain(30)
    an = Analyzer(g)
    first = an.result()
    old = dict(g.nodes["c25"].params)
    g.apply(SetParams.of("c25", {**old, "kernel_size": 5}))
    an.result()
    with g.batch():  # the undo, and c10 (not after c25) out and back in as it was
        g.apply(SetParams.of("c25", old))
        back = g.apply_all(g.removal("c10"))
        g.apply_all(reversed(back))
    r = an.result()
    assert an.recomputed == 0 and r.to_json() == first.to_json() == analyze(g).to_json()
    assert an.outcome("c10").shape == (4, 32, 32)
