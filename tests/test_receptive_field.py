"""Receptive fields against an exact gradient oracle (issue 2): the analysis' ``rf``
(size, jump, start and the exact region of every probed position) of fixed and random
chains and merged branches; the oracle and the networks are in ``rf_oracle.py``."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from engine import analyze

from .rf_oracle import (
    FEW,
    RANDOM_MAX_ELEMENTS,
    Net,
    TooBig,
    build_graph,
    chains,
    check,
    conv,
    conv_ops,
    pool,
    size_preserving,
    tconv,
    up,
)

pytestmark = [pytest.mark.torch, pytest.mark.usefixtures("torch_one_thread")]


CASES = {
    "dilated 1-2-4": Net((conv(3, p=1), conv(3, p=2, d=2), conv(3, p=4, d=4))),
    "gridding 2-2-2": Net((conv(3, p=2, d=2),) * 3),
    "strided + pool": Net((conv(7, 2, 3), pool("maxpool", 3, 2, 1), conv(3, 1, 1))),
    "anisotropic": Net((conv((5, 1), (1, 2), (2, 0), (1, 3)), conv((1, 3), (3, 1), 0, (2, 1)))),
    "tconv k3 s2 p1": Net((conv(3, 2, 1), tconv(3, 2, 1))),
    "tconv k4 s2 p1": Net((tconv(4, 2, 1),)),
    "tconv k1 s3 (holes)": Net((tconv(1, 3),)),
    "tconv dilated": Net((tconv(3, 2, 1, 2), conv(3))),
    "tconv anisotropic": Net((tconv((3, 2), (2, 3), (1, 0), (1, 2)),)),
    "nearest x2 then conv": Net((up(2), conv(3, p=1))),
    "bilinear x2": Net((up(2, "bilinear"),)),
    "bilinear x1.5": Net((up(1.5, "bilinear"), conv(3))),
    "nearest x2.5 then stride 2": Net((up(2.5), conv(3, 2))),
    "bilinear x0.5": Net((up(0.5, "bilinear"),)),
    "dilated max pool": Net((pool("maxpool", 3, 2, 1, 2), conv(3))),
    "avg pool ceil": Net((pool("avgpool", 3, 2, 1, ceil=True), pool("maxpool", 2, ceil=True))),
    "same padding even kernel": Net((conv(4, p="same"), conv(2, p="same", d=3))),
    "residual add": Net((conv(3, 2, 1),), ((conv(3, p=1), conv(3, p=1)), (conv(1),)), "Add"),
    "inception concat": Net((), ((conv(5, p=2),), (conv(3, p=2, d=2),)), "Concat",
                            (conv(3, 2),)),
    "decoder concat": Net((conv(3, 2, 1), tconv(2, 2)),
                          ((conv(3, p=1),), (pool("avgpool", 3, 1, 1),)), "Concat",
                          (conv(3, p=1),)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_fixed_networks(name):
    check(CASES[name])


def test_textbook_recurrence_for_plain_conv_chains():
    # r += d·(k−1)·j, j *= s (Araujo et al.): exact for conv/pool chains
    net = CASES["strided + pool"]
    g, last = build_graph(net, 64, 64)
    rf = analyze(g).nodes[last].rf
    assert rf.size == (1 + 6 * 1 + 2 * 2 + 2 * 4,) * 2 == (19, 19)
    assert rf.jump == (4, 4)


# -- random networks -------------------------------------------------------------------
@FEW
@given(chains())
def test_random_chains(ops):
    try:
        check(Net(ops), RANDOM_MAX_ELEMENTS)
    except TooBig:
        assume(False)


@FEW
@given(chains(), size_preserving(), size_preserving(), st.sampled_from(["Add", "Concat"]),
       st.lists(conv_ops(), max_size=1).map(tuple))
def test_random_branching(trunk, a, b, merge, tail):
    try:
        check(Net(trunk, (a, b), merge, tail), RANDOM_MAX_ELEMENTS)
    except TooBig:
        assume(False)

