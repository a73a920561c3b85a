"""Issue 17, 6a: the cost of the receptive-field analysis follows the graph, not the
product of its strides, and stays exact.

A 400-byte file (three ConvTranspose2d of stride 1024 on a 1×1 input) made
``analyze`` run past a minute: the per-residue table of ``rf.py`` has a period of
2³⁰. Past :data:`engine.analysis.rf.LIMIT` the map stays a chain of layers
(``rf_lazy``). The lazy maps are checked against the RF oracle (gradients in
torch) with the limit forced down, and against the tables on random networks.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine.analysis.rf as rf
from engine import Graph, analyze
from engine.analysis import rf_table
from engine.analysis.rf_lazy import LazyMap

from .rf_oracle import Net, build_graph, chains, check, conv, pool, size_preserving, tconv, up

ROOT = Path(__file__).resolve().parent.parent


def tconv_file(n: int, k: int, s: int) -> dict:
    nodes = [{"id": "x", "type": "Input", "params": {"channels": 1, "height": 1, "width": 1}}]
    edges = []
    for i in range(n):
        nodes.append({"id": f"t{i}", "type": "ConvTranspose2d",
                      "params": {"out_channels": 1, "kernel_size": k, "stride": s}})
        edges.append({"from": nodes[-2]["id"], "to": f"t{i}"})
    return {"format": "convcanvas-graph", "version": 1, "name": "strides", "nodes": nodes,
            "edges": edges}


def test_the_issue_file_analyzes_in_a_subprocess_within_10_s(tmp_path):
    path = tmp_path / "strides.convgraph.json"
    path.write_text(json.dumps(tconv_file(3, 1, 1024)))
    assert path.stat().st_size < 600
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "main.py", "analyze", str(path), "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=10)
    assert proc.returncode == 0, proc.stderr
    assert time.perf_counter() - t0 < 10
    last = json.loads(proc.stdout)["nodes"][-1]
    assert last["shape"] == [1, 1, 1]
    assert last["rf"]["size"] == [1, 1]  # one input pixel reaches each output it reaches
    assert last["rf"]["jump"] == [2.0 ** -30] * 2
    assert last["rf"]["start"] == [0, 0]


def chain(specs) -> tuple[Graph, str]:
    g = Graph("chain")
    g.add_node("Input", {"channels": 1, "height": 1, "width": 1}, "x")
    src = "x"
    for i, (t, p) in enumerate(specs):
        nid = g.add_node(t, {"out_channels": 1, **p} if t != "Upsample" else p, f"n{i}")
        g.connect(src, nid)
        src = nid
    return g, src


T = lambda k, s, p=0, d=1: ("ConvTranspose2d", dict(kernel_size=k, stride=s, padding=p,  # noqa: E731
                                                     dilation=d))
C = lambda k, s=1, p=0, d=1: ("Conv2d", dict(kernel_size=k, stride=s, padding=p,  # noqa: E731
                                             dilation=d))
U = lambda f, mode="nearest": ("Upsample", dict(scale_factor=f, mode=mode))  # noqa: E731

#: name -> (layers, size, jump) of the last node; each ran past a minute, or took seconds
PATHOLOGICAL = {
    "k1 s1024 ×3": ([T(1, 1024)] * 3, 1, Fraction(1, 1024 ** 3)),
    "k1024 s1024 ×3": ([T(1024, 1024)] * 3, 1, Fraction(1, 1024 ** 3)),
    "k1024 s1023 ×3": ([T(1024, 1023)] * 3, 2, Fraction(1, 1023 ** 3)),
    "k3 s1000 ×4": ([T(3, 1000)] * 4, 1, Fraction(1, 1000 ** 4)),
    "then a 1024 window": ([T(1, 1024)] * 2 + [C(1024, 1, 1023)], 1, Fraction(1, 1024 ** 2)),
    "bilinear 64/63 ×6": ([U(64 / 63, "bilinear")] * 6, 7, Fraction(63, 64) ** 6),
    "40 up, 40 convs": ([T(1, 2)] * 40 + [C(3, 1, 1)] * 40, 1, Fraction(1, 2 ** 40)),
    "up then down": ([T(1024, 1024)] * 2 + [C(1024, 1024)] * 2 + [C(3, 1, 1)] * 20, 41, 1),
}


@pytest.mark.parametrize("name", list(PATHOLOGICAL))
def test_long_periods_cost_milliseconds(name):
    layers, size, jump = PATHOLOGICAL[name]
    g, last = chain(layers)
    t0 = time.perf_counter()
    result = analyze(g)
    seconds = time.perf_counter() - t0
    assert result.valid, result.errors
    node = result.nodes[last]
    assert node.rf.size == (size, size)
    assert node.rf.state.maps[0].jump == jump
    assert seconds < 3, f"{name}: {seconds:.2f} s"  # ~0.01-0.2 s; generous for CI


# -- exact: the lazy maps against the oracle -----------------------------------------------
SMALL_CASES = {
    "tconv k1 s3 twice": Net((tconv(1, 3), tconv(1, 3))),
    "tconv k2 s3, k3 s2": Net((tconv(2, 3), tconv(3, 2, 1))),
    "holes then conv": Net((tconv(1, 3), conv(3, p=1, d=2), tconv(1, 2), conv(5, 2))),
    "up, tconv, conv": Net((up(2.5, "bilinear"), tconv(3, 2, 1), conv(3, 2))),
    "lazy branches": Net((tconv(1, 3),), ((tconv(2, 2), conv(3, p=2, d=2)),
                                          (up(2.0), conv(3, p=1))), "Add", (conv(3, 2),)),
    "tconv then pool": Net((tconv(3, 2, 1), tconv(2, 2), pool("maxpool", 3, 2, 1))),
}


@pytest.fixture
def tiny_limit(monkeypatch):
    """Every period past 2 goes lazy (the tables are the reference otherwise)."""
    monkeypatch.setattr(rf, "LIMIT", 2)
    monkeypatch.setattr(rf, "TOP_LIMIT", 2)
    rf._op_table.cache_clear()
    yield
    rf._op_table.cache_clear()


@pytest.mark.torch
@pytest.mark.usefixtures("tiny_limit", "torch_one_thread")
@pytest.mark.parametrize("name", list(SMALL_CASES))
def test_lazy_maps_agree_with_the_oracle(name):
    g, _ = build_graph(SMALL_CASES[name], 40, 40)
    assert any(isinstance(n.rf.state.maps[0], LazyMap) for n in analyze(g).nodes.values())
    check(SMALL_CASES[name])


def facts(net: Net, limit: int | None = None):
    """Per node: size, jump, start, holes and the regions of outputs -3..40 per axis."""
    old = rf.LIMIT, rf.TOP_LIMIT
    if limit is not None:
        rf.LIMIT, rf.TOP_LIMIT = limit, limit
    rf._op_table.cache_clear()
    try:
        g, _ = build_graph(net, 61, 53)
        result = analyze(g)
    finally:
        rf.LIMIT, rf.TOP_LIMIT = old
        rf._op_table.cache_clear()
    if not result.valid:
        return None
    out = {}
    for nid, n in result.nodes.items():
        maps = n.rf.state.maps
        holes = tuple((ax, r) for ax, (r, _) in n.rf.state.holes)  # reached, not ties' span
        out[nid] = (n.rf.size, n.rf.jump, n.rf.start, holes,
                    [[m.region(u) for u in range(-3, 40)] for m in maps])
    return out


@settings(max_examples=60, deadline=None)
@given(chains(max_ups=2), st.sampled_from([1, 2, 3, 8]))
def test_lazy_maps_equal_the_tables_on_random_chains(ops, limit):
    tables = facts(Net(ops))
    if tables is not None:
        assert facts(Net(ops), limit) == tables


@settings(max_examples=40, deadline=None)
@given(chains(), size_preserving(), size_preserving(), st.sampled_from(["Add", "Concat"]),
       st.lists(st.sampled_from([tconv(2, 2), tconv(1, 3), up(2.0), conv(3, 2)]),
                max_size=2).map(tuple), st.sampled_from([1, 2, 5]))
def test_lazy_maps_equal_the_tables_on_random_merges(trunk, a, b, merge, tail, limit):
    net = Net(trunk, (a, b), merge, tail)
    tables = facts(net)
    if tables is not None:
        assert facts(net, limit) == tables


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["conv", "tconv", "up"]), st.integers(1, 5),
                          st.integers(1, 4), st.integers(0, 3), st.integers(1, 3)),
                min_size=1, max_size=3),
       st.integers(-40, 40), st.integers(0, 90))
def test_range_unions_equal_the_unions_of_their_positions(ops, x0, width):
    m = rf.IDENTITY
    for kind, k, s, p, d in ops:
        op = {"conv": ("conv", k, s, p, d), "tconv": ("tconv", k, s, p, d),
              "up": ("up", k + 1, s, ("nearest", "bilinear", "bicubic")[d - 1])}[kind]
        m = rf.apply_op(m, op)
    if isinstance(m, rf.AxisMap):
        x1 = x0 + width
        assert rf_table.span(m, x0, x1) == rf._combine([m.at(x) for x in range(x0, x1 + 1)])
