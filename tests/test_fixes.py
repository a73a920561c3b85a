"""Errors that offer their fix (engine.fixes, issue 15): every fix kind, applied to a
crafted graph, makes its issue go away and changes nothing else; its edits undo
exactly; its preview is the analysis the graph gets. Expected values are computed
by hand (the sizes) or by torch's formulas written out here."""

from __future__ import annotations

import pytest

from engine import Graph, analyze
from engine.fixes import advice_for, fixes_for, hdc_rates, issue_key


def chain(g: Graph, *ids: str) -> None:
    for a, b in zip(ids, ids[1:], strict=False):
        g.connect(a, b)


def tconv_merge() -> Graph:
    """x (16×16) → down (s2) → up (tconv s2 p1: 15×15) → add1 slot 1; x → add1 slot 0."""
    g = Graph("tconv")
    g.add_node("Input", {"channels": 4, "height": 16, "width": 16}, "x", pos=(0, 0))
    g.add_node("Conv2d", {"out_channels": 4, "kernel_size": 3, "stride": 2, "padding": 1},
               "down", pos=(0, 100))
    g.add_node("ConvTranspose2d", {"out_channels": 4, "kernel_size": 3, "stride": 2,
                                   "padding": 1}, "up", pos=(0, 200))
    g.add_node("Add", {}, "add1", pos=(0, 300))
    g.add_node("ReLU", {}, "relu1", pos=(0, 400))
    chain(g, "x", "down", "up")
    g.connect("x", "add1", 0)
    g.connect("up", "add1", 1)
    g.connect("add1", "relu1")
    return g


def valid_concat() -> Graph:
    """x (10×10) and conv1 (valid 3×3: 8×8) into cat1: sizes differ."""
    g = Graph("cat")
    g.add_node("Input", {"channels": 2, "height": 10, "width": 10}, "x", pos=(0, 0))
    g.add_node("Conv2d", {"out_channels": 2, "kernel_size": 3}, "conv1", pos=(100, 100))
    g.add_node("Concat", {}, "cat1", pos=(0, 200))
    g.connect("x", "conv1")
    g.connect("x", "cat1", 0)
    g.connect("conv1", "cat1", 1)
    return g


def channel_add() -> Graph:
    g = Graph("channels")
    g.add_node("Input", {"channels": 4, "height": 8, "width": 8}, "x")
    g.add_node("Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1}, "conv1")
    g.add_node("Add", {}, "add1")
    g.connect("x", "conv1")
    g.connect("x", "add1", 0)
    g.connect("conv1", "add1", 1)
    return g


def strided() -> Graph:
    g = Graph("stride")
    g.add_node("Input", {"channels": 1, "height": 8, "width": 8}, "x")
    g.add_node("Conv2d", {"out_channels": 1, "kernel_size": 3, "stride": 2}, "conv1")
    g.add_node("Flatten", {}, "flat")
    chain(g, "x", "conv1", "flat")
    return g


def big_kernel() -> Graph:
    g = Graph("kernel")
    g.add_node("Input", {"channels": 1, "height": 5, "width": 5}, "x")
    g.add_node("Conv2d", {"out_channels": 1, "kernel_size": 7}, "conv1")
    g.add_node("ReLU", {}, "relu1")
    chain(g, "x", "conv1", "relu1")
    return g


def dilated_stack() -> Graph:
    g = Graph("gridding")
    g.add_node("Input", {"channels": 1, "height": 32, "width": 32}, "x")
    for i in (1, 2, 3):
        g.add_node("Conv2d", {"out_channels": 1, "kernel_size": 3, "dilation": 2,
                              "padding": 2}, f"d{i}")
        g.add_node("ReLU", {}, f"r{i}")
    chain(g, "x", "d1", "r1", "d2", "r2", "d3", "r3")
    return g


# (graph, issue key, fix kind, expected title, {node: params after} or inserted types)
CASES = {
    "output_padding": (tconv_merge, "error:add1:", "output_padding",
                       "Set output_padding of up to 1 (15×15 → 16×16)",
                       {"up": {"out_channels": 4, "kernel_size": 3, "stride": 2,
                               "padding": 1, "output_padding": 1}}),
    "target_size": (tconv_merge, "error:add1:", "target_size",
                    "Set target_size of up to 16×16 (15×15 → 16×16)",
                    {"up": {"out_channels": 4, "kernel_size": 3, "stride": 2, "padding": 1,
                            "target_size": (16, 16)}}),
    "pad": (tconv_merge, "error:add1:", "pad", "Insert Pad2d before add1 (pads 15×15 → 16×16)",
            ["Pad2d"]),
    "crop": (valid_concat, "error:cat1:", "crop",
             "Insert Crop2d before cat1 (crops 10×10 → 8×8)", ["Crop2d"]),
    "padding": (valid_concat, "error:cat1:", "padding",
                "Set padding of conv1 to 1 (8×8 → 10×10)",
                {"conv1": {"out_channels": 2, "kernel_size": 3, "padding": 1}}),
    "projection": (channel_add, "error:add1:", "projection",
                   "Insert 1×1 projection Conv2d + BatchNorm2d before add1 (4 → 8 channels)",
                   ["Conv2d", "BatchNorm2d"]),
    "keep_pixels": (strided, "stride_drops:conv1:stride", "keep_pixels",
                    "Set padding of conv1 to 1 so that every pixel is read "
                    "(output 3×3 → 4×4)",
                    {"conv1": {"out_channels": 1, "kernel_size": 3, "stride": 2,
                               "padding": 1}}),
    "fit_kernel": (big_kernel, "error:conv1:kernel_size", "fit_kernel",
                   "Set kernel_size of conv1 to 5×5 (the largest that fits its padded input)",
                   {"conv1": {"out_channels": 1, "kernel_size": 5}}),
    "fit_padding": (big_kernel, "error:conv1:kernel_size", "fit_padding",
                    "Set padding of conv1 to 1 (pads 5×5 to 7×7 so the kernel fits)",
                    {"conv1": {"out_channels": 1, "kernel_size": 7, "padding": 1}}),
    "hdc": (dilated_stack, "gridding:r3:", "hdc",
            "Use HDC dilation rates 1, 2, 5 for d1, d2, d3 (were 2, 2, 2)",
            {"d1": {"out_channels": 1, "kernel_size": 3, "dilation": 1, "padding": 1},
             "d2": {"out_channels": 1, "kernel_size": 3, "dilation": 2, "padding": 2},
             "d3": {"out_channels": 1, "kernel_size": 3, "dilation": 5, "padding": 5}}),
}


def _issues(result) -> list[str]:
    return sorted(issue_key(i) for i in (*result.errors, *result.warnings))


@pytest.mark.parametrize("name", list(CASES))
def test_every_fix_kind_mends_its_issue_and_changes_nothing_else(name):
    make, key, kind, title, expect = CASES[name]
    g = make()
    before = analyze(g)
    assert key in _issues(before)
    (fix,) = [f for f in fixes_for(g, before)[key] if f.kind == kind and f.title == title]
    assert fix.issue == key and fix.detail and fix.node == key.split(":")[1]
    assert fix.key.startswith(key + "|")
    old = g.to_dict()
    preview = fix.preview(g)
    assert g.to_dict() == old  # the preview works on a copy
    inverses = fix.apply(g)
    after = analyze(g)
    assert after.to_json() == preview.to_json()
    assert _issues(after) == [k for k in _issues(before) if k != key]  # only it is gone
    new = {n["id"]: n for n in g.to_dict()["nodes"]}
    olds = {n["id"]: n for n in old["nodes"]}
    if isinstance(expect, dict):  # parameters changed on these nodes only
        assert set(new) == set(olds)
        for nid, node in new.items():
            if nid in expect:
                assert {k: tuple(v) if isinstance(v, list) else v
                        for k, v in node.get("params", {}).items()} == expect[nid]
            else:
                assert node == olds[nid]
        assert g.to_dict()["edges"] == old["edges"]
    else:  # nodes inserted on one edge, nothing else touched
        added = [new[n]["type"] for n in new if n not in olds]
        assert added == expect
        assert all(new[n] == olds[n] for n in olds)
        assert len(g.to_dict()["edges"]) == len(old["edges"]) + len(expect)
    # the untouched nodes upstream keep their analysis
    for nid in ("x",):
        assert after.nodes[nid].to_json() == before.nodes[nid].to_json()
    g.apply_all(list(reversed(inverses)))  # undo: exactly the graph before
    assert g.to_dict() == old


def test_fixes_of_the_seed_example_are_hdc_rates():
    # seed 001: two HDC groups of rates 1, 2, 5 (no common factor > 1)
    assert hdc_rates(3, 3) == [1, 2, 5] and hdc_rates(6, 3) == [1, 2, 5, 1, 2, 5]
    g = dilated_stack()
    (fix,) = fixes_for(g)["gridding:r3:"]
    res = fix.preview(g)
    assert not [w for w in res.warnings if w.kind == "gridding"]
    # 32×32 keeps its size (padding d(k−1)/2); RF 1 + 2·(1 + 2 + 5) = 17
    assert res.nodes["r3"].shape == (1, 32, 32) and res.nodes["r3"].rf.size == (17, 17)


def test_inserted_crop_gives_the_merged_size_and_a_human_title():
    g = tconv_merge()
    crops = [f for f in fixes_for(g)["error:add1:"] if f.kind == "crop"]
    (crop,) = crops  # slot 0 (16×16) cropped to the other's 15×15
    assert crop.title == "Insert Crop2d before add1 (crops 16×16 → 15×15)"
    res = crop.preview(g)
    assert res.valid and res.nodes["add1"].shape == (4, 15, 15)
    text = crop.preview_text(g, analyze(g)).splitlines()
    assert "crop1: (none) → 4×15×15 · RF 1×1 · j 1" in text
    assert any(line.startswith("add1: ? → 4×15×15 · RF") for line in text)


def test_a_graph_without_issues_has_no_fixes_and_keys_filter():
    g = channel_add()
    g.set_param("conv1", "out_channels", 4)
    assert fixes_for(g) == {}
    assert fixes_for(channel_add(), keys={"error:nope:"}) == {}


def test_misaligned_grids_say_where_the_jumps_differ():
    g = Graph("mis")
    g.add_node("Input", {"channels": 1, "height": 13, "width": 13}, "x")
    g.add_node("Conv2d", {"out_channels": 1, "kernel_size": 3, "stride": 2}, "a")
    g.add_node("ConvTranspose2d", {"out_channels": 1, "kernel_size": 3, "stride": 3}, "b")
    g.add_node("ConvTranspose2d", {"out_channels": 1, "kernel_size": 6}, "d")
    g.add_node("Concat", {}, "cat")
    chain(g, "x", "a", "b")
    g.connect("x", "d")
    g.connect("b", "cat", 0)
    g.connect("d", "cat", 1)
    text = advice_for(g)["misaligned:cat:"]
    assert "slot 0 (from b): jump 2/3" in text and "slot 1 (from d): jump 1" in text
