"""The exact n-D footprint of one element (``engine.analysis.exact_footprint``) against
torch's gradient of the all-ones net: merges of differently shaped branches (a cross, not
a square), Concat channels followed through their own branch, other inputs ignored."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from torch import nn

from engine import Graph

from .rf_oracle import (
    FEW,
    Net,
    TooBig,
    TorchNet,
    build_graph,
    chains,
    conv_ops,
    size_preserving,
)

pytestmark = [pytest.mark.torch, pytest.mark.usefixtures("torch_one_thread")]


def _footprint_vs_torch(net: Net, channel: int):
    """Compare ``exact_footprint`` of the middle output element with the input pixels
    whose gradient is non-zero in the all-ones torch net (2-D, merges included)."""
    from engine.analysis import Analyzer, exact_footprint

    for n in (40, 80, 160):
        g, last = build_graph(net, n, n)
        an = Analyzer(g)
        r = an.result()
        if not r.valid:  # the strides leave too little of the input: a larger one
            continue
        shape = r.nodes[last].shape
        c = min(channel, shape[0] - 1)
        index = (c, shape[1] // 2, shape[2] // 2)
        region = r.nodes[last].rf.region(index[1:])
        if region is not None and None in region:
            region = None  # no input pixel reaches the element along some axis
        if region is None or all(1 <= lo and hi <= n - 2 for lo, hi, _ in region):
            break
    else:
        raise TooBig
    fp = exact_footprint(an, last, index)
    x = torch.zeros(1, 1, n, n, dtype=torch.float64, requires_grad=True)
    y = TorchNet(net).double()(x)
    assert tuple(y.shape[1:]) == shape
    y[(0, *index)].backward()
    reached = (x.grad[0, 0] != 0).numpy()
    if fp is None:  # no input pixel reaches this element (or this channel of a Concat)
        assert not reached.any()
        return
    got = np.zeros((n, n), bool)
    (y0, x0), m = fp.origin, fp.mask
    got[y0:y0 + m.shape[0], x0:x0 + m.shape[1]] = m
    assert np.array_equal(got, reached), (net, index, fp.origin, m.astype(int))
    # its projection on each axis lies within the per-axis analysis' footprint (which
    # joins every branch: also the other branches of a Concat, and a branch that reaches
    # nothing along the other axis, e.g. behind a strided transposed conv)
    for axis in (0, 1):
        assert set(fp.axis_positions(axis)) <= set(region[axis][2])


@FEW
@given(chains(max_ups=0), size_preserving(), size_preserving(),
       st.sampled_from(["Add", "Concat"]), st.lists(conv_ops(), max_size=1).map(tuple),
       st.integers(0, 1))
def test_exact_footprint_of_merged_branches_matches_torch(trunk, a, b, merge, tail, channel):
    try:
        _footprint_vs_torch(Net(trunk, (a, b), merge, tail), channel)
    except TooBig:
        assume(False)


def test_exact_footprint_textbook_cross_and_concat_channels(cross_graph):
    """1×5 + 5×1 reach a cross of 9 pixels, not the 5×5 square of the per-axis footprints;
    a Concat channel is reached only through its own branch."""
    from engine.analysis import Analyzer, exact_footprint

    an = Analyzer(cross_graph)
    assert an.result().valid
    cross = exact_footprint(an, "add", (0, 12, 12))
    assert cross.origin == (10, 10) and cross.cells == 9
    assert cross.mask.astype(int).tolist() == [[0, 0, 1, 0, 0], [0, 0, 1, 0, 0],
                                               [1, 1, 1, 1, 1], [0, 0, 1, 0, 0],
                                               [0, 0, 1, 0, 0]]
    assert an.result().nodes["add"].rf.size == (5, 5)  # the per-axis view: a 5×5 square
    row = exact_footprint(an, "cat", (1, 12, 12))  # channels 0-1 come from a (1×5)
    col = exact_footprint(an, "cat", (2, 12, 12))  # channels 2-3 from b (5×1)
    assert (row.origin, row.mask.shape, row.cells) == ((12, 10), (1, 5), 5)
    assert (col.origin, col.mask.shape, col.cells) == ((10, 12), (5, 1), 5)


def test_exact_footprint_ignores_branches_of_other_inputs():
    """Input a → 3×3 conv, Input b → global pooling to 8×8, added: on a the footprint is
    the 3×3 window (b's global branch does not make it global)."""
    from engine.analysis import Analyzer, exact_footprint

    g = Graph("two inputs")
    g.add_node("Input", {"channels": 1, "height": 8, "width": 8}, "a")
    g.add_node("Input", {"channels": 1, "height": 32, "width": 32}, "b")
    g.add_node("Conv2d", {"out_channels": 1, "kernel_size": 3, "padding": 1}, "ca")
    g.add_node("AdaptiveAvgPool2d", {"output_size": [8, 8]}, "pb")
    g.add_node("Add", {}, "add")
    for src, dst, slot in (("a", "ca", 0), ("b", "pb", 0), ("ca", "add", 0), ("pb", "add", 1)):
        g.connect(src, dst, slot)
    an = Analyzer(g)
    assert an.result().valid, an.result().errors
    fp = exact_footprint(an, "add", (0, 4, 4), "a")
    assert fp is not None and (fp.origin, fp.cells) == ((3, 3), 9)
    assert exact_footprint(an, "add", (0, 4, 4), "b") is None  # global on b


def test_exact_footprint_follows_channels_behind_a_concat(cross_graph):
    """Behind a Concat, channel-keeping layers (ChannelShuffle, ReLU, pooling) keep the
    element on one branch: the footprint is that branch's window, as torch's gradient
    of the all-ones net says, for every channel."""
    from engine.analysis import Analyzer, exact_footprint

    g = cross_graph  # x → a (1×5, 2 ch), b (5×1, 2 ch) → cat (4 ch)
    g.add_node("ChannelShuffle", {"groups": 2}, "shuffle")
    g.add_node("ReLU", {}, "relu")
    g.add_node("AvgPool2d", {"kernel_size": 3, "stride": 1, "padding": 1}, "pool")
    for src, dst in (("cat", "shuffle"), ("shuffle", "relu"), ("relu", "pool")):
        g.connect(src, dst)
    an = Analyzer(g)
    assert an.result().valid, an.result().errors

    conv_a = nn.Conv2d(1, 2, (1, 5), padding=(0, 2), bias=False).double()
    conv_b = nn.Conv2d(1, 2, (5, 1), padding=(2, 0), bias=False).double()
    for conv in (conv_a, conv_b):
        with torch.no_grad():
            conv.weight.fill_(1.0)
    net = nn.Sequential(nn.ChannelShuffle(2), nn.ReLU(), nn.AvgPool2d(3, 1, 1))
    for channel in range(4):
        x = torch.ones(1, 1, 24, 24, dtype=torch.float64, requires_grad=True)
        y = net(torch.cat([conv_a(x), conv_b(x)], 1))
        y[0, channel, 12, 12].backward()
        reached = (x.grad[0, 0] != 0).numpy()
        fp = exact_footprint(an, "pool", (channel, 12, 12))
        got = np.zeros((24, 24), bool)
        (y0, x0), m = fp.origin, fp.mask
        got[y0:y0 + m.shape[0], x0:x0 + m.shape[1]] = m
        assert np.array_equal(got, reached), (channel, fp.origin, m.astype(int))
        assert fp.cells == 3 * 7  # one branch's window, widened by the 3×3 pool
