"""The graph model: validated edits, change events, incremental analysis (issue 2)."""

from __future__ import annotations

import keyword
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import Analyzer, Graph, GraphEditError, analyze
from engine.graph import (
    Edge,
    EdgeAdded,
    EdgeRemoved,
    MetaChanged,
    NodeAdded,
    NodeChanged,
    NodeMoved,
    NodeRemoved,
    NodeRenamed,
)


def snapshot(g: Graph):
    """Everything observable about a graph's state."""
    return (g.to_dict(), [(e.src, e.dst, e.port) for e in g.edges],
            {n: g.inputs_of(n) for n in g.nodes},
            {n: sorted((e.dst, e.port) for e in g.successors(n)) for n in g.nodes},
            g.topo_order(), dict(g.nodes))


@pytest.fixture
def g():
    """x → conv → relu, plus a lone Add; with an event recorder in ``g.events``."""
    g = Graph("model", "for the tests")
    g.add_node("Input", {"channels": 3, "height": 16, "width": 16}, "x", pos=(0, 0))
    g.add_node("Conv2d", {"out_channels": 8}, "conv")
    g.add_node("ReLU", {}, "relu")
    g.add_node("Add", {}, "add")
    g.connect("x", "conv")
    g.connect("conv", "relu")
    g.events = []
    g.subscribe(g.events.extend)  # one Changes per batch: flattened to its events
    return g


# -- refused edits: an error, nothing changed, no event --------------------------------------
REFUSED = {
    "unknown type": (lambda g: g.add_node("Conv4d", {}, "c4"), "type"),
    "type not a string": (lambda g: g.add_node(None, {}, "c4"), "type"),
    "unknown parameter": (lambda g: g.add_node("Conv2d", {"out_channels": 8, "foo": 1}), "foo"),
    "in_channels is inferred": (lambda g: g.add_node("Conv2d", {"out_channels": 8,
                                                                "in_channels": 3}),
                                "in_channels"),
    "missing required": (lambda g: g.add_node("Conv2d", {"kernel_size": 3}), "out_channels"),
    "string for int": (lambda g: g.add_node("Conv2d", {"out_channels": "8"}), "out_channels"),
    "float for int": (lambda g: g.add_node("Conv2d", {"out_channels": 8, "kernel_size": 3.0}),
                      "kernel_size"),
    "bool for int": (lambda g: g.add_node("Conv2d", {"out_channels": True}), "out_channels"),
    "int for bool": (lambda g: g.add_node("Conv2d", {"out_channels": 8, "bias": 1}), "bias"),
    "bool in a pair": (lambda g: g.add_node("Conv2d", {"out_channels": 8,
                                                       "stride": [1, True]}), "stride"),
    "pair of 3 in 2D": (lambda g: g.add_node("Conv2d", {"out_channels": 8,
                                                        "kernel_size": [3, 3, 3]}),
                        "kernel_size"),
    "zero channels": (lambda g: g.add_node("Conv2d", {"out_channels": 0}), "out_channels"),
    "negative stride": (lambda g: g.add_node("Conv2d", {"out_channels": 8, "stride": -1}),
                        "stride"),
    "huge kernel": (lambda g: g.add_node("Conv2d", {"out_channels": 8,
                                                    "kernel_size": 10 ** 12}), "kernel_size"),
    "NaN eps": (lambda g: g.add_node("BatchNorm2d", {"eps": math.nan}), "eps"),
    "inf scale": (lambda g: g.add_node("Upsample", {"scale_factor": math.inf}),
                  "scale_factor"),
    "p above 1": (lambda g: g.add_node("Dropout", {"p": 1.5}), "p"),
    "bad padding word": (lambda g: g.add_node("Conv2d", {"out_channels": 8,
                                                         "padding": "full"}), "padding"),
    "bad mode": (lambda g: g.add_node("Upsample", {"mode": "area"}), "mode"),
    # limits between parameters (out_channels % groups, output_padding >= stride) are
    # analysis errors at the node, not refused edits: tests/test_polish_engine.py
    "bad pos": (lambda g: g.add_node("ReLU", {}, "r2", pos=(math.nan, 0)), "pos"),
    "id with a dash": (lambda g: g.add_node("ReLU", {}, "a-b"), "id"),
    "id starting with a digit": (lambda g: g.add_node("ReLU", {}, "1abc"), "id"),
    "empty id": (lambda g: g.add_node("ReLU", {}, ""), "id"),
    "id of 65 characters": (lambda g: g.add_node("ReLU", {}, "a" * 65), "id"),
    "injected id": (lambda g: g.add_node("ReLU", {}, "x; import os"), "id"),
    "duplicate id": (lambda g: g.add_node("ReLU", {}, "conv"), "id"),
    "keyword id": (lambda g: g.add_node("ReLU", {}, "class"), "id"),
    "soft keyword id": (lambda g: g.add_node("ReLU", {}, "match"), "id"),
    "forward": (lambda g: g.add_node("ReLU", {}, "forward"), "id"),
    "training": (lambda g: g.add_node("ReLU", {}, "training"), "id"),
    "__class__": (lambda g: g.add_node("ReLU", {}, "__class__"), "id"),
    "_modules": (lambda g: g.add_node("ReLU", {}, "_modules"), "id"),
    "self": (lambda g: g.add_node("ReLU", {}, "self"), "id"),
    "cycle": (lambda g: g.connect("relu", "conv"), None),
    "self loop": (lambda g: g.connect("relu", "relu"), None),
    "port taken": (lambda g: g.connect("x", "relu"), "port"),
    "port out of range": (lambda g: g.connect("x", "relu", 1), "port"),
    "negative port": (lambda g: g.connect("x", "add", -1), "port"),
    "bool port": (lambda g: g.connect("x", "add", True), "port"),
    "into an Input": (lambda g: g.connect("relu", "x"), None),
    "missing source": (lambda g: g.connect("nope", "add"), None),
    "missing target": (lambda g: g.connect("x", "nope"), None),
    "disconnect missing edge": (lambda g: g.disconnect("x", "relu"), None),
    "set unknown parameter": (lambda g: g.set_param("conv", "foo", 1), "foo"),
    "set wrong type": (lambda g: g.set_param("conv", "kernel_size", "3"), "kernel_size"),
    "set out of range": (lambda g: g.set_param("conv", "dilation", 0), "dilation"),
    "set several, one bad": (lambda g: g.set_params("conv", {"kernel_size": 5,
                                                             "stride": 0}), "stride"),
    "set on missing node": (lambda g: g.set_param("nope", "p", 0.1), None),
    "rename to invalid": (lambda g: g.rename("conv", "a b"), "id"),
    "rename to duplicate": (lambda g: g.rename("conv", "relu"), "id"),
    "rename to keyword": (lambda g: g.rename("conv", "lambda"), "id"),
    "rename to module attribute": (lambda g: g.rename("conv", "parameters"), "id"),
    "rename missing node": (lambda g: g.rename("nope", "yes"), None),
    "move to NaN": (lambda g: g.move("conv", (math.nan, 1)), "pos"),
    "move to a string": (lambda g: g.move("conv", "here"), "pos"),
    "move missing node": (lambda g: g.move("nope", (1, 1)), None),
    "remove missing node": (lambda g: g.remove_node("nope"), None),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_refused_edit_changes_nothing(g, name):
    edit, param = REFUSED[name]
    before = snapshot(g)
    with pytest.raises(GraphEditError) as info:
        edit(g)
    assert info.value.message and "\n" not in info.value.message
    if param is not None:
        assert info.value.param == param, info.value.message
    assert snapshot(g) == before
    assert g.events == []
    assert g.can_connect("x", "add", 0) is None  # the model still works


def test_refused_edit_names_the_node():
    g = Graph()
    with pytest.raises(GraphEditError) as info:
        g.add_node("Conv2d", {"out_channels": 8, "stride": 0}, "c1")
    assert info.value.node == "c1" and info.value.param == "stride"
    assert "c1" in info.value.message and "stride" in info.value.message


def test_parameter_types_are_not_confused_by_the_validation_memo():
    # 3 and 3.0, 1 and True hash alike: a memo keyed on them let invalid values through
    g = Graph()
    g.add_node("Conv2d", {"out_channels": 1, "kernel_size": 3}, "a")
    g.add_node("Conv2d", {"out_channels": 1, "bias": True, "stride": [1, 1]}, "b")
    for bad in ({"out_channels": 1, "kernel_size": 3.0}, {"out_channels": True},
                {"out_channels": 1, "bias": 1}, {"out_channels": 1, "stride": [1.0, 1]},
                {"out_channels": 1.0, "kernel_size": 3}):
        with pytest.raises(GraphEditError):
            g.add_node("Conv2d", bad, "c")
    assert set(g.nodes) == {"a", "b"}


def test_every_module_attribute_is_a_refused_id():
    torch = pytest.importorskip("torch")
    from engine.graph import ID_RE, check_id

    m = torch.nn.Module()
    accepted = []
    for name in sorted(set(dir(m)) | set(vars(m))):
        if not ID_RE.match(name):
            continue
        try:
            check_id(name)
            accepted.append(name)
        except GraphEditError:
            pass
    assert accepted == [], "ids that would shadow nn.Module attributes"


def test_every_keyword_is_a_refused_id():
    from engine.graph import check_id

    for word in [*keyword.kwlist, *keyword.softkwlist]:
        with pytest.raises(GraphEditError):
            check_id(word)


@pytest.mark.parametrize("good", ["a", "_a", "conv_1", "A" * 64, "Input", "x0"])
def test_legal_ids(good):
    g = Graph()
    assert g.add_node("ReLU", {}, good) == good


# -- accepted edits: exactly one event of the right class -----------------------------------
def test_add_node_event(g):
    nid = g.add_node("MaxPool2d", {"kernel_size": 3}, pos=(10, 20))
    assert g.events == [NodeAdded(g.nodes[nid])]
    assert g.nodes[nid].pos == (10.0, 20.0) and dict(g.nodes[nid].params) == {"kernel_size": 3}


def test_connect_and_disconnect_events(g):
    g.connect("relu", "add", 0)
    g.connect("x", "add", 1)
    assert g.events == [EdgeAdded(Edge("relu", "add", 0)), EdgeAdded(Edge("x", "add", 1))]
    assert g.inputs_of("add") == {0: "relu", 1: "x"}
    g.events.clear()
    g.disconnect("x", "add", 1)
    assert g.events == [EdgeRemoved(Edge("x", "add", 1))]
    assert g.inputs_of("add") == {0: "relu"}


def test_set_param_event(g):
    old = g.nodes["conv"]
    g.set_param("conv", "kernel_size", 5)
    new = g.nodes["conv"]
    assert g.events == [NodeChanged(old, new)]
    assert dict(new.params) == {"out_channels": 8, "kernel_size": 5}
    g.events.clear()
    g.set_param("conv", "kernel_size", 5)  # no change: no event
    assert g.events == []
    g.set_params("conv", {"kernel_size": None, "stride": 2})  # reset one, set another
    assert len(g.events) == 1 and isinstance(g.events[0], NodeChanged)
    assert dict(g.nodes["conv"].params) == {"out_channels": 8, "stride": 2}


def test_set_nullable_param_to_null(g):
    g.add_node("MaxPool2d", {"stride": 1}, "pool")
    g.events.clear()
    g.set_param("pool", "stride", None)
    assert len(g.events) == 1
    assert g.nodes["pool"].params["stride"] is None


def test_move_event(g):
    g.move("x", (5, 6))
    assert g.events == [NodeMoved("x", (0.0, 0.0), (5.0, 6.0))]
    g.events.clear()
    g.move("x", (5, 6))
    assert g.events == []


def test_rename_event_keeps_edges(g):
    before_order = g.topo_order()
    g.rename("conv", "conv_a")
    assert g.events == [NodeRenamed("conv", "conv_a")]
    assert "conv" not in g.nodes and g.nodes["conv_a"].id == "conv_a"
    assert g.inputs_of("conv_a") == {0: "x"} and g.inputs_of("relu") == {0: "conv_a"}
    assert [(e.src, e.dst) for e in g.edges] == [("x", "conv_a"), ("conv_a", "relu")]
    assert g.topo_order() == [n if n != "conv" else "conv_a" for n in before_order]
    g.events.clear()
    g.rename("conv_a", "conv_a")
    assert g.events == []


def test_set_meta_event(g):
    g.set_meta("renamed")
    assert g.events == [MetaChanged("renamed", "for the tests")]
    g.events.clear()
    g.set_meta("renamed", "for the tests")
    assert g.events == []


def test_remove_and_reinsert(g):
    node = g.nodes["add"]
    removed, edges = g.remove_node("add")
    assert g.events == [NodeRemoved(node)] and removed == node and edges == []
    g.events.clear()
    node = g.nodes["conv"]
    removed, edges = g.remove_node("conv")
    # the edges go first (last edge first, so re-adding them in order restores it),
    # one event each, then the node: one batch
    assert g.events == [*(EdgeRemoved(e) for e in reversed(edges)), NodeRemoved(node)]
    assert sorted((e.src, e.dst) for e in edges) == [("conv", "relu"), ("x", "conv")]
    assert g.inputs_of("relu") == {}
    g.events.clear()
    g.insert_node(removed)
    assert g.events == [NodeAdded(removed)] and g.nodes["conv"] == removed


def test_unsubscribe(g):
    seen = []
    unsubscribe = g.subscribe(seen.append)
    g.move("x", (1, 1))
    unsubscribe()
    g.move("x", (2, 2))
    assert len(seen) == 1


def test_copy_and_dict_round_trip(g):
    g.connect("relu", "add", 0)
    g.connect("x", "add", 1)
    c = g.copy()
    assert c.to_dict() == g.to_dict()
    assert Graph.from_dict(g.to_dict()).to_dict() == g.to_dict()


# -- incremental analysis -----------------------------------------------------------------
def conv_chain(n=300):
    g = Graph("chain")
    g.add_node("Input", {"channels": 4, "height": 32, "width": 32}, "x")
    src = "x"
    for i in range(1, n):
        nid = g.add_node("Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1},
                         f"c{i}")
        g.connect(src, nid)
        src = nid
    return g


def test_incremental_after_one_edit_in_a_300_node_chain():
    g = conv_chain(300)
    an = Analyzer(g)
    first = an.result()
    assert an.recomputed == 300 and first.valid
    assert first.to_json() == analyze(g).to_json()
    mid = "c150"
    desc = g.descendants(mid)
    assert len(desc) == 149
    # a change whose effect reaches every descendant (the receptive field grows)
    g.set_params(mid, {"kernel_size": 5, "padding": 2})
    r = an.result()
    assert an.recomputed == 1 + len(desc)
    assert r.to_json() == analyze(g).to_json()
    assert r.nodes["c299"].rf.size == (2 * 298 + 5, 2 * 298 + 5)
    # a result is cached until the next edit
    an.result()
    assert an.recomputed == 1 + len(desc)
    # a change nobody downstream sees: only the node itself
    g.set_param(mid, "bias", False)
    r = an.result()
    assert an.recomputed == 1
    assert r.to_json() == analyze(g).to_json()
    # a change of channels: never more than the node and its descendants
    g.set_param(mid, "out_channels", 6)
    r = an.result()
    assert 1 <= an.recomputed <= 1 + len(desc)
    assert r.to_json() == analyze(g).to_json()
    # a move recomputes nothing: the cached result stays
    g.move(mid, (3, 4))
    assert an.result() is r
    an.close()


def test_incremental_rename_of_the_input():
    g = conv_chain(5)
    an = Analyzer(g)
    an.result()
    g.rename("x", "image")
    r = an.result()
    assert r.to_json() == analyze(g).to_json()
    assert r.nodes["c4"].rf.input == "image"


# random edit sequences: incremental == fresh after every step
TYPES = {
    "Input": [{"channels": 2, "height": 12, "width": 12}, {"channels": 4, "height": 9,
                                                           "width": 9}],
    "Conv2d": [{"out_channels": 4}, {"out_channels": 2, "kernel_size": 1},
               {"out_channels": 4, "padding": 1, "dilation": 2, "stride": 2}],
    "ReLU": [{}],
    "MaxPool2d": [{}, {"kernel_size": 3, "stride": 1, "padding": 1}],
    "ConvTranspose2d": [{"out_channels": 2, "stride": 2}],
    "Upsample": [{}, {"scale_factor": 1.5, "mode": "bilinear"}],
    "Add": [{}],
    "Concat": [{}],
    "SqueezeExcitation": [{"reduction": 2}],
    "Flatten": [{}],
    "Linear": [{"out_features": 3}],
}
PARAM_CHANGES = [("kernel_size", 1), ("kernel_size", 5), ("stride", 2), ("padding", 1),
                 ("padding", "same"), ("out_channels", 6), ("dilation", 3), ("bias", False),
                 ("channels", 3), ("height", 7), ("scale_factor", 2.5), ("reduction", 4),
                 ("out_features", 5), ("kernel_size", None), ("groups", 2), ("stride", 0)]

edit_ops = st.lists(st.tuples(
    st.sampled_from(["add", "add", "connect", "connect", "connect", "disconnect", "set",
                     "set", "remove", "rename", "move", "reinsert"]),
    st.integers(0, 10 ** 6), st.integers(0, 10 ** 6), st.integers(0, 2)), min_size=1,
    max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edit_ops)
def test_random_edits_keep_incremental_equal_to_fresh(ops):
    g = Graph("random")
    an = Analyzer(g)
    removed = []
    types = list(TYPES)
    fresh_names = iter(f"n{i}" for i in range(1000))
    for op, a, b, c in ops:
        ids = list(g.nodes)
        try:
            if op == "add" or not ids:
                t = types[a % len(types)]
                g.add_node(t, TYPES[t][b % len(TYPES[t])], next(fresh_names))
            elif op == "connect":
                g.connect(ids[a % len(ids)], ids[b % len(ids)], c)
            elif op == "disconnect" and g.edges:
                e = g.edges[a % len(g.edges)]
                g.disconnect(e.src, e.dst, e.port)
            elif op == "set":
                name, value = PARAM_CHANGES[b % len(PARAM_CHANGES)]
                g.set_param(ids[a % len(ids)], name, value)
            elif op == "remove":
                removed.append(g.remove_node(ids[a % len(ids)]))
            elif op == "rename":
                g.rename(ids[a % len(ids)], next(fresh_names))
            elif op == "move":
                g.move(ids[a % len(ids)], (a % 97, b % 89))
            elif op == "reinsert" and removed:
                node, edges = removed.pop()
                g.insert_node(node)
                for e in edges:
                    g.connect(e.src, e.dst, e.port)
        except GraphEditError:
            pass
        if b % 3 == 0 or op == ops[-1][0]:
            assert an.result().to_json() == analyze(g).to_json()
    assert an.result().to_json() == analyze(g).to_json()
    an.close()
