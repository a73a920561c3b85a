"""Issue 15, engine defects: jump and start follow the output grid past a global
operation (1), limits between parameters are analysis errors, not load errors (2),
NaN / Infinity literals name the node and parameter (3), readable numbers in the
command-line tables (9) and one generated-id scheme (13)."""

from __future__ import annotations

from fractions import Fraction

from engine import Graph, analyze


def _se_stride_upsample(with_se: bool) -> Graph:
    g = Graph("se grid")
    g.add_node("Input", {"channels": 8, "height": 32, "width": 32}, "x")
    chain = ["x"]
    if with_se:
        g.add_node("SqueezeExcitation", {"reduction": 4}, "se")
        chain.append("se")
    g.add_node("Conv2d", {"out_channels": 8, "kernel_size": 3, "stride": 2, "padding": 1}, "c")
    g.add_node("Upsample", {"scale_factor": 4}, "up")
    chain += ["c", "up"]
    for a, b in zip(chain, chain[1:], strict=False):
        g.connect(a, b)
    return g


def test_jump_and_start_follow_the_grid_past_squeeze_excitation():
    r = analyze(_se_stride_upsample(True))
    # hand-computed: SE keeps the grid (1), stride 2 doubles it (2), ×4 divides it (1/2)
    assert [r.nodes[i].rf.jump for i in ("se", "c", "up")] == [(1, 1), (2, 2), (0.5, 0.5)]
    assert all(r.nodes[i].rf.is_global for i in ("se", "c", "up"))
    assert r.nodes["up"].rf.size == (32, 32)  # still the whole input
    # the grid (jump, start) is the one the same chain without the SE block has
    plain = analyze(_se_stride_upsample(False))
    for i in ("c", "up"):
        assert r.nodes[i].rf.jump == plain.nodes[i].rf.jump
        assert r.nodes[i].rf.start == plain.nodes[i].rf.start
    assert r.nodes["se"].rf.start == (0, 0)  # output 0 sits on input pixel 0
    assert r.nodes["se"].rf.state.jumps == (Fraction(1),) * 2


def test_start_follows_an_offset_after_squeeze_excitation():
    g = Graph("offset")
    g.add_node("Input", {"channels": 4, "height": 16, "width": 16}, "x")
    g.add_node("SqueezeExcitation", {"reduction": 2}, "se")
    g.add_node("Conv2d", {"out_channels": 4, "kernel_size": 5, "stride": 3}, "c")
    g.connect("x", "se")
    g.connect("se", "c")
    rf = analyze(g).nodes["c"].rf
    # output 0 of a 5-wide valid window starts on pixel 0: centre 2; neighbours 3 apart
    assert rf.start == (2, 2) and rf.jump == (3, 3)
