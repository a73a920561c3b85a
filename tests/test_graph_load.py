"""The cycle check of loading and connecting (engine.graph.topo) against a plain oracle.

A file is read with one cycle check at the end and ``connect`` prunes its search
with a topological index: both must refuse exactly what an edge-by-edge walk over
every ancestor refuses, with the same message, and accept everything else.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Graph
from engine.graph import GraphEditError
from engine.io import _plain as _PLAIN


def _reaches(adj: dict[str, set[str]], a: str, b: str) -> bool:
    """Whether there is a path a ⇝ b (plain depth-first search: the oracle)."""
    seen, stack = {a}, [a]
    while stack:
        n = stack.pop()
        if n == b:
            return True
        for m in adj[n]:
            if m not in seen:
                seen.add(m)
                stack.append(m)
    return False


def _file(n: int, edges: list[tuple[int, int, int]]) -> dict:
    nodes = [{"id": "x", "type": "Input", "params": {"channels": 1, "height": 4, "width": 4}}]
    nodes += [{"id": f"a{i}", "type": "Add"} for i in range(n)]
    return {"format": "convcanvas-graph", "version": 1, "name": "t", "nodes": nodes,
            "edges": [{"from": f"a{s}", "to": f"a{d}", "port": p} for s, d, p in edges]}


def _oracle(n: int, edges: list[tuple[int, int, int]]) -> str | None:
    """The message of the first refused edge, edge by edge, or None."""
    adj = {f"a{i}": set() for i in range(n)}
    taken = set()
    for s, d, p in edges:
        src, dst = f"a{s}", f"a{d}"
        if (dst, p) in taken:
            return f"port {p} of {dst} is already connected"
        if src == dst or _reaches(adj, dst, src):
            return f"connecting {src} → {dst} would make a cycle"
        adj[src].add(dst)
        taken.add((dst, p))
    return None


edge_lists = st.integers(2, 9).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1),
                                   st.integers(0, 2)), max_size=24)))


@settings(max_examples=300, deadline=None)
@given(edge_lists)
def test_a_file_is_refused_exactly_when_an_edge_closes_a_cycle(case):
    n, edges = case
    expected = _oracle(n, edges)
    try:
        g = Graph.from_dict(_file(n, edges))
    except GraphEditError as exc:
        assert expected is not None and exc.message.startswith(expected), (exc.message,
                                                                           expected)
    else:
        assert expected is None
        assert len(g.edges) == len(edges)
        _check_ranks(g)


def _check_ranks(g: Graph) -> None:
    """The maintained order is a topological order of the graph."""
    g.can_connect("x", "x")  # makes a stale index rank the graph
    rank = g._topo._rank
    assert set(rank) == set(g.nodes)
    assert all(rank[e.src] < rank[e.dst] for e in g.edges)


ops = st.lists(st.tuples(st.sampled_from(["connect", "connect", "connect", "disconnect",
                                          "remove", "add", "rename", "undo"]),
                         st.integers(0, 7), st.integers(0, 7)), max_size=40)


@settings(max_examples=200, deadline=None)
@given(ops)
def test_connect_refuses_exactly_the_edges_that_close_a_cycle(script):
    g = Graph("t")
    ids = [g.add_node("ReLU" if i % 2 else "Add", {}, f"n{i}") for i in range(8)]
    undo: list[list] = []  # inverses of removals, newest last
    for op, a, b in script:
        live = list(g.nodes)
        if not live:
            break
        src, dst = live[a % len(live)], live[b % len(live)]
        if op == "connect":
            adj = {n: {e.dst for e in g.successors(n)} for n in g.nodes}
            port = 0 if g.node(dst).type == "ReLU" else len(g.inputs_of(dst))
            if port in g.inputs_of(dst):
                continue
            cycle = src == dst or _reaches(adj, dst, src)
            reason = g.can_connect(src, dst, port)
            if cycle:
                assert reason == f"connecting {src} → {dst} would make a cycle"
                with pytest.raises(GraphEditError, match="would make a cycle"):
                    g.connect(src, dst, port)
            else:
                assert reason is None
                g.connect(src, dst, port)
        elif op == "disconnect":
            edges = g.edges
            if edges:
                e = edges[a % len(edges)]
                g.disconnect(e.src, e.dst, e.port)
        elif op == "remove":
            undo.append(g.apply_all(g.removal(src)))
        elif op == "undo":  # a removal undone, when its node and edges can come back
            if undo:
                inverses = undo.pop()
                try:
                    g.apply_all(reversed(inverses))
                except GraphEditError:
                    pass  # its id or a slot was taken since (all or nothing)
        elif op == "add":
            ids.append(g.add_node("Add", {}))
        elif op == "rename":
            g.rename(src, g.unique_id("r"))
        _check_ranks(g)


def test_undoing_a_removal_gives_the_node_its_rank_back():
    """The order is restored exactly: the node's edges return without reordering
    the nodes after it (O(changed), not O(tail); see ``bench/undo.py``)."""
    g = Graph.from_dict(_file(50, [(i, i + 1, 0) for i in range(49)]))
    g.connect("a0", "a25", 1)  # an Add's second slot: not a plain chain
    g.can_connect("x", "x")
    before = dict(g._topo._rank)
    inverses = g.apply_all(g.removal("a10"))
    assert "a10" not in g._topo._rank
    g.add_node("Add", {}, "new1")  # a new node meanwhile takes a fresh rank
    assert g._topo._rank["new1"] not in before.values()
    g.remove_node("new1")
    g.apply_all(reversed(inverses))
    assert g._topo._rank == before
    _check_ranks(g)


def test_a_refused_edge_after_a_cycle_reports_the_cycle():
    """Edge 1 closes a cycle and edge 2 takes a taken port: the cycle is the refusal."""
    data = _file(3, [(0, 1, 0), (1, 0, 0), (2, 1, 0)])
    with pytest.raises(GraphEditError, match="connecting a1 → a0 would make a cycle"):
        Graph.from_dict(data)
    data = _file(3, [(0, 1, 0), (2, 1, 0), (1, 0, 0)])
    with pytest.raises(GraphEditError, match="port 0 of a1 is already connected"):
        Graph.from_dict(data)


def test_a_graph_read_after_a_refusal_still_checks_cycles():
    g = Graph.from_dict(_file(3, [(0, 1, 0), (1, 2, 0)]))
    with pytest.raises(GraphEditError, match="connecting a2 → a0 would make a cycle"):
        g.connect("a2", "a0", 0)
    g.connect("a0", "a2", 1)
    _check_ranks(g)


# -- engine.io: the at-a-glance check of a parsed file ------------------------------------
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10 ** 400, 10 ** 400)
    | st.sampled_from([10 ** 308, 2 * 10 ** 308, -(10 ** 309), 1.5, float("inf"), 1e308])
    | st.text(alphabet=st.sampled_from(list("ab[]{}\"\\") + ["\ud800", "é", "\n"]),
              max_size=6),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(alphabet="ab[\ud800", max_size=2), inner, max_size=3),
    max_leaves=40)


def _nested(value, depth: int):
    for _ in range(depth):
        value = [value]
    return value


@settings(max_examples=300, deadline=None)
@given(json_values, st.integers(0, 40))
def test_the_quick_file_check_passes_only_what_the_full_scan_passes(value, depth):
    """``_plain`` may send a good file to the full scan, never let a bad one through."""
    from engine import io
    data = {"x": _nested(value, depth)}
    try:
        io._scan.__globals__["_plain"] = lambda _d: False  # the full scan alone
        io._scan(data, None)
        refused = False
    except io.GraphFileError:
        refused = True
    finally:
        io._scan.__globals__["_plain"] = _PLAIN
    if refused:
        assert not io._plain(data)
    elif depth < 20 and not _has_text_or_big(value):
        assert io._plain(data)  # plain data goes the quick way


def _has_text_or_big(v) -> bool:
    if isinstance(v, str):
        return True
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return abs(v) >= 10 ** 300
    if isinstance(v, dict):
        return any(_has_text_or_big(k) or _has_text_or_big(x) for k, x in v.items())
    if isinstance(v, list):
        return any(_has_text_or_big(x) for x in v)
    return False


def test_a_loaded_node_keeps_the_parameters_its_check_normalised():
    """The load's check normalises each node's parameters; a node whose values it
    took as they are keeps that answer (no second normalisation in the analysis),
    and it is the answer the node would compute itself."""
    data = _file(1, [])
    data["nodes"] += [
        {"id": "c1", "type": "Conv2d", "params": {"out_channels": 8, "kernel_size": 3}},
        {"id": "c2", "type": "Conv2d", "params": {"out_channels": 8, "kernel_size": [3, 5]}},
    ]
    g = Graph.from_dict(data)
    c1, c2 = g.nodes["c1"], g.nodes["c2"]
    assert "normalised" in c1.__dict__  # kept from the check
    assert "normalised" not in c2.__dict__  # a list became a tuple: computed when asked
    for node in g.nodes.values():
        fresh = node.kind._normalise(dict(node.params))  # past the memo: an independent answer
        assert node.normalised == fresh
    assert c2.normalised["kernel_size"] == (3, 5)


def test_node_and_edge_init_are_the_dataclass_ones():
    """Node and Edge write their fields straight into ``__dict__`` (speed): the same
    fields, defaults and equality as the generated ``__init__``, still frozen."""
    import dataclasses
    import inspect

    from engine.graph.values import Edge, Node

    for cls in (Node, Edge):
        names = [f.name for f in dataclasses.fields(cls)]
        assert list(inspect.signature(cls).parameters) == names
    a, b = Node("a", "ReLU"), Node("a", "ReLU")
    assert a.params == {} and a.params is not b.params and a.pos is None and a == b
    assert Node("a", "ReLU", None).params is None  # given None stays None (refused later)
    n = Node("c", "Conv2d", {"out_channels": 4}, (1.0, 2.0))
    assert (n.id, n.type, n.params, n.pos) == ("c", "Conv2d", {"out_channels": 4}, (1.0, 2.0))
    assert dataclasses.replace(n, pos=(3.0, 4.0)).pos == (3.0, 4.0)
    assert Edge("a", "b") == Edge("a", "b", 0) != Edge("a", "b", 1)
    assert hash(Edge("a", "b")) == hash(Edge("a", "b", 0))
    with pytest.raises(dataclasses.FrozenInstanceError):
        n.id = "d"
    with pytest.raises(dataclasses.FrozenInstanceError):
        Edge("a", "b").port = 2
    g = Graph()
    with pytest.raises(GraphEditError, match="params must be a mapping"):
        g.insert_node(Node("r", "ReLU", None))


def test_loaded_edges_name_their_nodes_by_the_ids_own_strings():
    """The file's edge ends become the node ids' own string objects (a look-up by id
    then matches by identity); the graph is the one the file describes."""
    import json

    from engine.io import graph_from_json

    data = _file(4, [(0, 1, 0), (1, 2, 0), (0, 2, 1), (2, 3, 0)])
    g = graph_from_json(json.dumps(data))
    own = {id(k) for k in g.nodes}
    assert [(e.src, e.dst, e.port) for e in g.edges] == [
        ("a0", "a1", 0), ("a1", "a2", 0), ("a0", "a2", 1), ("a2", "a3", 0)]
    assert all(id(e.src) in own and id(e.dst) in own for e in g.edges)


@pytest.mark.parametrize("pos", [(10 ** 400, 0), (0, -10 ** 309), (float("inf"), 1),
                                 (1, float("nan")), ("1", 2), (True, 2), (1, 2, 3)])
def test_a_position_beyond_the_float_range_is_refused(pos):
    g = Graph()
    with pytest.raises(GraphEditError, match="pos must be a list of two finite numbers"):
        g.add_node("ReLU", {}, "r", pos=pos)
    assert "r" not in g


def test_an_edge_is_a_small_value_that_copies_and_pickles():
    import copy
    import pickle
    import weakref
    from dataclasses import replace

    from engine.graph.values import Edge

    e = Edge("a", "b", 2)
    assert not hasattr(e, "__dict__")  # slots: a 10,000-node file holds 11,000 of them
    assert weakref.ref(e)() is e  # still a weak reference's target
    assert pickle.loads(pickle.dumps(e)) == e == copy.deepcopy(e) == copy.copy(e)
    assert replace(e, port=3) == Edge("a", "b", 3)


_KINDS = {"x": "Input", "a": "Add", "r": "ReLU", "c": "Concat"}
_ENDS = st.sampled_from(["x", "a", "r", "c", "missing", 7, None])
_PORTS = st.one_of(st.integers(-1, 3), st.sampled_from([True, False, 1.0, "0", None]))


def _node_items() -> list[dict]:
    shape = {"channels": 1, "height": 4, "width": 4}
    return [{"id": nid, "type": kind, "params": shape if kind == "Input" else {}}
            for nid, kind in _KINDS.items()]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(_ENDS, _ENDS, _PORTS, st.booleans()), max_size=8))
def test_a_files_edges_read_as_connect_adds_them_one_by_one(items):
    """The load's own edge loop (a fast path for plain edges, cycles checked once at the
    end) against ``Graph.connect`` edge by edge: the same first refusal, word for word,
    or the same edges in the same order with the same slots."""
    edges = []
    for src, dst, port, written in items:
        e = {"from": src, "to": dst}
        if written or port != 0:
            e["port"] = port
        edges.append(e)
    oracle = Graph("t")
    for n in _node_items():
        oracle.add_node(n["type"], n["params"], n["id"])
    expected = None
    for e in edges:
        try:
            oracle.connect(e["from"], e["to"], e.get("port", 0))
        except GraphEditError as exc:
            expected = exc.message
            break
    data = {"format": "convcanvas-graph", "version": 1, "name": "t", "nodes": _node_items(),
            "edges": edges}
    try:
        g = Graph.from_dict(data)
    except GraphEditError as exc:
        assert exc.message == expected
    else:
        assert expected is None
        assert list(g.edges) == list(oracle.edges)
        assert g._in == oracle._in and g._out == oracle._out
        _check_ranks(g)
