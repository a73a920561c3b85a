"""The import layout keeps the main chain in one column whatever order the source
computes its branches in, returns merges to the leftmost source column, and never puts
two nodes on one spot (torch-free: ``engine.interchange.layout``)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from engine.interchange.layout import COL, ROW, layout


def _block(shortcut_first: bool, add_shortcut_first: bool):
    main = ["conv1", "bn1", "conv2"]
    order = ["x", *(["ds"] if shortcut_first else []), *main,
             *([] if shortcut_first else ["ds"]), "add", "out"]
    inputs = {"conv1": ["x"], "bn1": ["conv1"], "conv2": ["bn1"], "ds": ["x"],
              "add": ["ds", "conv2"] if add_shortcut_first else ["conv2", "ds"],
              "out": ["add"]}
    return order, inputs


def test_the_main_chain_stays_straight_in_any_order():
    for shortcut_first in (False, True):
        for add_shortcut_first in (False, True):
            pos = layout(*_block(shortcut_first, add_shortcut_first))
            assert {pos[n][0] for n in ("x", "conv1", "bn1", "conv2", "add", "out")} == {0}
            assert pos["ds"] == (COL, ROW)  # beside conv1, one row below x


@given(st.lists(st.lists(st.integers(0, 30), max_size=3), min_size=1, max_size=30))
def test_every_node_below_its_sources_and_alone(raw):
    order = [f"n{i}" for i in range(len(raw))]
    inputs = {f"n{i}": [f"n{j}" for j in dict.fromkeys(srcs) if j < i]
              for i, srcs in enumerate(raw)}
    pos = layout(order, inputs)
    assert len(set(pos.values())) == len(order)
    assert all(pos[n][1] > pos[s][1] for n in order for s in inputs[n])
