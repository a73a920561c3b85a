"""Hand-computed textbook examples (issue 2): every number here is worked out by hand
in the comment next to it, not taken from the engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import Graph, analyze, load_graph

EXAMPLES = Path(__file__).resolve().parent.parent / "resources" / "examples"


def chain(input_shape, *layers):
    """Input → layers in a row; returns (graph, result, ids)."""
    g = Graph("textbook")
    c, h, w = input_shape
    g.add_node("Input", {"channels": c, "height": h, "width": w}, "x")
    ids, src = [], "x"
    for i, (type_name, params) in enumerate(layers):
        nid = g.add_node(type_name, params, f"l{i}")
        g.connect(src, nid)
        ids.append(nid)
        src = nid
    return g, analyze(g), ids


def one(input_shape, type_name, **params):
    _, r, ids = chain(input_shape, (type_name, params))
    return r.nodes[ids[0]], r


# -- parameter counts -----------------------------------------------------------------
def test_conv_1_to_32_5x5_has_832_params():
    n, _ = one((1, 28, 28), "Conv2d", out_channels=32, kernel_size=5, padding=1)
    assert n.params == 32 * 1 * 5 * 5 + 32 == 832


def test_conv_8_to_32_3x3_has_2336_params():
    n, _ = one((8, 16, 16), "Conv2d", out_channels=32, kernel_size=3, padding=1)
    assert n.params == 32 * 8 * 3 * 3 + 32 == 2336


def test_spatially_separable_has_6_weights_against_9():
    sep, _ = one((1, 10, 10), "SpatiallySeparableConv2d", out_channels=1, kernel_size=3,
                 bias=False)
    full, _ = one((1, 10, 10), "Conv2d", out_channels=1, kernel_size=3, bias=False)
    assert (sep.params, full.params) == (3 + 3, 3 * 3)
    assert sep.shape == full.shape == (1, 8, 8)


def test_depthwise_separable_mobilenet_counts():
    # 32 → 64, 3×3, both convs with bias: depthwise 32·9 + 32, pointwise 32·64 + 64
    n, _ = one((32, 56, 56), "DepthwiseSeparableConv2d", out_channels=64, kernel_size=3,
               padding=1)
    assert n.params == (32 * 9 + 32) + (32 * 64 + 64) == 2432
    # MACs: 32·56·56·9 (depthwise) + 64·56·56·32 (pointwise)
    assert n.macs == 32 * 56 * 56 * 9 + 64 * 56 * 56 * 32


def test_grouped_and_depthwise_conv_counts():
    g4, _ = one((16, 8, 8), "Conv2d", out_channels=32, kernel_size=3, padding=1, groups=4,
                bias=False)
    assert g4.params == 32 * (16 // 4) * 9 == 1152
    dw, _ = one((16, 8, 8), "Conv2d", out_channels=16, kernel_size=3, padding=1, groups=16)
    assert dw.params == 16 * 1 * 9 + 16 == 160


def test_squeeze_excitation_and_batchnorm_counts():
    se, _ = one((64, 56, 56), "SqueezeExcitation", reduction=16)
    # 64 → 4 → 64 with biases: 64·4 + 4 + 4·64 + 64
    assert se.params == 580 and se.macs == 2 * 64 * 4
    bn, _ = one((64, 56, 56), "BatchNorm2d")
    assert bn.params == 2 * 64 and bn.macs == 0


def test_linear_counts():
    _, r, ids = chain((16, 4, 4), ("Flatten", {}), ("Linear", {"out_features": 10}))
    fc = r.nodes[ids[1]]
    assert r.nodes[ids[0]].shape == (256,)
    assert fc.params == 256 * 10 + 10 and fc.macs == 2560


def test_deform_conv_counts():
    # 8 → 16, 3×3, v1: main 16·8·9 + 16, offset conv 8 → 2·9 = 18 channels: 18·8·9 + 18
    n, _ = one((8, 10, 10), "DeformConv2d", out_channels=16, kernel_size=3, padding=1)
    assert n.params == (16 * 8 * 9 + 16) + (18 * 8 * 9 + 18)
    hw = 10 * 10
    assert n.macs == 16 * hw * 8 * 9 + 18 * hw * 8 * 9 + 8 * hw * 9 * 4
    v2, _ = one((8, 10, 10), "DeformConv2d", out_channels=16, kernel_size=3, padding=1,
                modulated=True)
    assert v2.params == (16 * 8 * 9 + 16) + (27 * 8 * 9 + 27)


# -- output sizes ---------------------------------------------------------------------
def test_strided_conv_output_63():
    # (128 − 5 + 2·1) / 2 + 1 = 62.5 → 62 + 1 = 63
    n, _ = one((3, 128, 128), "Conv2d", out_channels=8, kernel_size=5, stride=2, padding=1)
    assert n.shape == (8, 63, 63)
    # MACs: 8 · 63·63 · 3 · 25
    assert n.macs == 8 * 63 * 63 * 3 * 25


def test_transposed_conv_on_128_gives_255():
    # (128 − 1)·2 − 2·1 + 3 = 255
    n, _ = one((32, 128, 128), "ConvTranspose2d", out_channels=16, kernel_size=3, stride=2,
               padding=1)
    assert n.shape == (16, 255, 255)
    assert n.params == 32 * 16 * 9 + 16 == 4624
    assert n.macs == 32 * 128 * 128 * 16 * 9


def test_transposed_conv_3_to_5_or_6():
    base = {"out_channels": 4, "kernel_size": 3, "stride": 2, "padding": 1}
    # (3 − 1)·2 − 2 + 3 = 5
    assert one((8, 3, 3), "ConvTranspose2d", **base)[0].shape == (4, 5, 5)
    assert one((8, 3, 3), "ConvTranspose2d", **base, output_padding=1)[0].shape == (4, 6, 6)
    assert one((8, 3, 3), "ConvTranspose2d", **base, target_size=6)[0].shape == (4, 6, 6)
    assert one((8, 3, 3), "ConvTranspose2d", **base, target_size=[5, 6])[0].shape == (4, 5, 6)
    n, r = one((8, 3, 3), "ConvTranspose2d", **base, target_size=7)
    assert n.shape is None and not r.valid
    (err,) = r.errors
    assert err.node == "l0" and err.param == "target_size"
    assert "7" in err.message and "5, 6" in err.message, err.message


def test_transposed_conv_example_file():
    r = analyze(load_graph(EXAMPLES / "transposed_conv_arithmetic.convgraph.json"))
    assert r.valid
    got = {k: r.nodes[k].shape for k in ("tconv_5", "tconv_6", "tconv_target6", "tconv_255",
                                         "tconv_256")}
    assert got == {"tconv_5": (4, 5, 5), "tconv_6": (4, 6, 6), "tconv_target6": (4, 6, 6),
                   "tconv_255": (16, 255, 255), "tconv_256": (16, 256, 256)}


def test_pool_sizes():
    # floor((7 − 2) / 2) + 1 = 3; with ceil_mode ceil(5 / 2) + 1 = 4
    assert one((1, 7, 7), "MaxPool2d")[0].shape == (1, 3, 3)
    assert one((1, 7, 7), "MaxPool2d", ceil_mode=True)[0].shape == (1, 4, 4)
    # 3×3 stride 2 padding 1 on 56: floor((56 + 2 − 3) / 2) + 1 = 28
    assert one((64, 56, 56), "MaxPool2d", kernel_size=3, stride=2, padding=1)[0].shape == \
        (64, 28, 28)


def test_unpooling_decoder_example():
    r = analyze(load_graph(EXAMPLES / "unpooling_decoder.convgraph.json"))
    assert r.valid
    assert r.nodes["pool1"].shape == (16, 14, 14)
    assert r.nodes["unpool1"].shape == (16, 28, 28)


def test_upsample_fractional_sizes():
    # floor(10 · 1.5) = 15, floor(7 · 0.5) = 3
    assert one((3, 10, 10), "Upsample", scale_factor=1.5)[0].shape == (3, 15, 15)
    assert one((3, 7, 7), "Upsample", scale_factor=0.5, mode="bilinear")[0].shape == (3, 3, 3)


# -- receptive fields -------------------------------------------------------------------
def test_dilated_stack_1_2_4_gives_3_7_15():
    layers = [("Conv2d", {"out_channels": 8, "kernel_size": 3, "dilation": d, "padding": d})
              for d in (1, 2, 4)]
    _, r, ids = chain((3, 64, 64), *layers)
    # 1 + 2·1 = 3; 3 + 2·2 = 7; 7 + 2·4 = 15
    assert [r.nodes[i].rf.size for i in ids] == [(3, 3), (7, 7), (15, 15)]
    assert all(r.nodes[i].shape == (8, 64, 64) for i in ids)
    assert all(r.nodes[i].rf.jump == (1, 1) for i in ids)
    # the region of pixel (10, 20): centred on it, 15 wide; 1, 2, 4 leave no holes
    (lo, hi, pos), (lo_w, hi_w, _) = r.nodes[ids[2]].rf.region((10, 20))
    assert (lo, hi, lo_w, hi_w) == (10 - 7, 10 + 7, 20 - 7, 20 + 7)
    assert pos == list(range(3, 18))
    assert not r.warnings


def test_gridding_holes_of_2_2_2():
    layers = [("Conv2d", {"out_channels": 8, "kernel_size": 3, "dilation": 2, "padding": 2})] * 3
    _, r, ids = chain((1, 32, 32), *layers)
    rf = r.nodes[ids[2]].rf
    # 1 + 2·(2 + 2 + 2) = 13, but only the even offsets: 7 of the 13 pixels per axis
    assert rf.size == (13, 13)
    lo, hi, pos = rf.region((16, 16))[1]
    assert (lo, hi) == (10, 22) and pos == list(range(10, 23, 2))


def test_strides_and_pools_recurrence():
    # conv 7 s2 p3: r 7, j 2; maxpool 3 s2 p1: r 7 + 2·2 = 11, j 4; conv 3: 11 + 2·4 = 19
    _, r, ids = chain((3, 224, 224),
                      ("Conv2d", {"out_channels": 8, "kernel_size": 7, "stride": 2,
                                  "padding": 3}),
                      ("MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": 1}),
                      ("Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1}))
    assert [r.nodes[i].rf.size for i in ids] == [(7, 7), (11, 11), (19, 19)]
    assert [r.nodes[i].rf.jump for i in ids] == [(2, 2), (4, 4), (4, 4)]
    # start (centre of output 0): conv 7 s2 p3 → 0; pool p1 → 0 − 1·2 + 1·2 = 0 ...
    assert r.nodes[ids[0]].rf.start == (0, 0)
    assert r.nodes[ids[2]].shape == (8, 56, 56)


def test_five_vs_two_threes_example():
    r = analyze(load_graph(EXAMPLES / "five_vs_two_threes.convgraph.json"))
    assert r.nodes["conv5x5"].rf.size == r.nodes["conv3x3_b"].rf.size == (5, 5)
    # 32·32·25 + 32 against 2·(32·32·9 + 32)
    assert r.nodes["conv5x5"].params == 25632
    assert r.nodes["conv3x3_a"].params + r.nodes["conv3x3_b"].params == 2 * 9248


def test_transposed_conv_exact_rf():
    # k4 s2 p1 (DCGAN upsampler): every output gets exactly 2 input pixels, jump 1/2
    n, _ = one((8, 16, 16), "ConvTranspose2d", out_channels=8, kernel_size=4, stride=2,
               padding=1)
    assert n.shape == (8, 32, 32)
    assert n.rf.size == (2, 2) and n.rf.jump == (0.5, 0.5)
    # output 0: o = 2i − 1 + t for t = 0..3 → i ∈ {0} (t = 1) and i = −1 (t = 3, padding)
    assert n.rf.region((0, 0))[0] == (-1, 0, [-1, 0])
    assert n.rf.region((1, 1))[0] == (0, 1, [0, 1])


def test_global_receptive_fields():
    _, r, ids = chain((8, 20, 30), ("SqueezeExcitation", {"reduction": 4}),
                      ("Conv2d", {"out_channels": 8, "kernel_size": 3}))
    assert all(r.nodes[i].rf.is_global for i in ids)
    assert r.nodes[ids[1]].rf.size == (20, 30)


def test_hdc_example_shapes_and_rf_33():
    r = analyze(load_graph(EXAMPLES / "hdc_dilated_stack.convgraph.json"))
    assert r.valid
    convs = [f"conv{i}" for i in range(1, 7)]
    assert r.nodes["input"].shape == (3, 64, 64)
    assert [r.nodes[c].shape for c in convs] == [
        (32, 62, 62), (32, 58, 58), (64, 48, 48), (64, 46, 46), (64, 42, 42), (128, 32, 32)]
    assert r.nodes["conv6"].rf.size == (33, 33)
    assert r.nodes["conv6"].rf.region((0, 0))[0][:2] == (0, 32)  # no padding: from pixel 0
    assert not r.warnings


def test_gridding_pair_warns_for_the_2_2_2_stack_only():
    r = analyze(load_graph(EXAMPLES / "gridding_pair.convgraph.json"))
    assert r.valid
    warned = {w.node for w in r.warnings}
    assert warned == {"grid_conv3"}
    (w,) = r.warnings
    assert "7 of 13" in w.message
    assert r.nodes["grid_conv3"].rf.size == (13, 13)
    assert r.nodes["hdc_conv3"].rf.size == (17, 17)


def test_deformable_rf_is_marked_nominal():
    r = analyze(load_graph(EXAMPLES / "deformable_block.convgraph.json"))
    assert not r.nodes["conv1"].rf.deformable
    assert r.nodes["deform1"].rf.deformable and r.nodes["relu3"].rf.deformable
    assert r.nodes["deform1"].rf.size == (5, 5)


# -- warnings ----------------------------------------------------------------------------
def test_stride_that_drops_pixels_warns():
    # (9 − 3) % 2 = 0: nothing dropped; (10 − 3) % 2 = 1: the last row/column is never read
    _, r, _ = chain((1, 9, 9), ("Conv2d", {"out_channels": 1, "kernel_size": 3, "stride": 2}))
    assert not r.warnings
    _, r, _ = chain((1, 10, 9), ("Conv2d", {"out_channels": 1, "kernel_size": 3, "stride": 2}))
    (w,) = r.warnings
    assert w.node == "l0" and w.param == "stride"
    assert "1 input pixel of 10 along H" in w.message


def test_misaligned_grids_warn():
    # a: 1×1 conv, jump 1, 10×10; b: 2×2 stride 4 → 3×3, ×10/3 → 10×10, jump 4·3/10 = 1.2
    g = Graph()
    g.add_node("Input", {"channels": 1, "height": 10, "width": 10}, "x")
    g.add_node("Conv2d", {"out_channels": 1, "kernel_size": 1}, "a")
    g.add_node("Conv2d", {"out_channels": 1, "kernel_size": 2, "stride": 4}, "b")
    g.add_node("Upsample", {"scale_factor": 3.4}, "b_up")
    g.add_node("Add", {}, "add")
    for s, d, p in (("x", "a", 0), ("x", "b", 0), ("b", "b_up", 0), ("a", "add", 0),
                    ("b_up", "add", 1)):
        g.connect(s, d, p)
    r = analyze(g)
    assert r.valid and r.nodes["b_up"].shape == (1, 10, 10)
    assert any(w.node == "add" and "misaligned" in w.message for w in r.warnings), r.warnings


# -- error texts carry the numbers ----------------------------------------------------------
def test_error_dilated_kernel_exceeds_padded_input():
    # 3×3 at dilation 5: 5·2 + 1 = 11 > 8 + 2·1 = 10
    n, r = one((1, 8, 20), "Conv2d", out_channels=4, kernel_size=3, dilation=5, padding=1)
    (err,) = r.errors
    assert n.shape is None and err.node == "l0" and err.param == "kernel_size"
    assert "dilated kernel 11 exceeds padded input 10 along H" in err.message


def test_error_merge_mismatch_names_sizes_and_axes():
    g = Graph()
    g.add_node("Input", {"channels": 8, "height": 32, "width": 32}, "a")
    g.add_node("Input", {"channels": 4, "height": 31, "width": 31}, "b")
    g.add_node("Concat", {}, "cat")
    g.connect("a", "cat", 0)
    g.connect("b", "cat", 1)
    (err,) = analyze(g).errors
    assert err.node == "cat"
    assert "inputs 32×32 and 31×31 differ along H, W" in err.message
    g.add_node("Add", {}, "add")
    g.connect("a", "add", 0)
    g.connect("b", "add", 1)
    errs = {e.node: e.message for e in analyze(g).errors}
    assert "differ along C, H, W" in errs["add"], errs


def test_error_groups_do_not_divide_in_channels():
    n, r = one((30, 8, 8), "Conv2d", out_channels=8, kernel_size=3, groups=4)
    (err,) = r.errors
    assert err.node == "l0" and err.param == "groups"
    assert "in_channels 30 is not divisible by groups 4" in err.message


def test_error_linear_without_flatten():
    n, r = one((16, 4, 4), "Linear", out_features=10)
    (err,) = r.errors
    assert "16×4×4" in err.message and "Flatten" in err.message


def test_error_downstream_nodes_get_no_error_of_their_own():
    _, r, ids = chain((1, 4, 4), ("Conv2d", {"out_channels": 1, "kernel_size": 5}),
                      ("ReLU", {}), ("Conv2d", {"out_channels": 1, "kernel_size": 1}))
    assert [e.node for e in r.errors] == [ids[0]]
    assert "kernel 5 exceeds padded input 4 along H" in r.errors[0].message
    assert all(r.nodes[i].shape is None and r.nodes[i].params is None for i in ids)


@pytest.mark.parametrize("kind", ["MaxPool2d", "AvgPool2d"])
def test_error_pool_window_too_large(kind):
    n, r = one((1, 2, 9), kind, kernel_size=3)
    (err,) = r.errors
    assert "window 3 exceeds padded input 2 along H" in err.message


def test_stride_warning_names_its_axis_and_the_pixels_lost():
    # W = 10, k = 3, s = 2, no padding: windows start at 0, 2, 4, 6 and end at pixel 8,
    # so (10 − 2 − 1) % 2 = 1 pixel (the last column) is never read; H = 9 loses none.
    g = Graph("stride")
    g.add_node("Input", {"channels": 1, "height": 9, "width": 10}, "x")
    g.add_node("Conv2d", {"out_channels": 1, "kernel_size": 3, "stride": 2}, "c")
    g.connect("x", "c")
    r = analyze(g)
    assert r.nodes["c"].shape == (1, 4, 4)
    assert [w.message for w in r.warnings] == [
        "c: stride 2 drops the last 1 input pixel of 10 along W ((W + 2p − d(k−1) − 1) % s = 1)"]
