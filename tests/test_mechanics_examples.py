"""engine.mechanics on the worked examples of the seed articles, by hand (issue 11):
4×4 ⊛ 3×3 → 2×2 and its 4×16 matrix C; transposed 2×2 → 4×4 (and → 5×5 with stride 2)
as zero insertion + flipped kernel; TensorFlow/MXNet sizes 3 → 5 and 3 → 6; dilation
holes and the HDC rates 1, 2, 5; padding as virtual cells; count_include_pad; parameter
counts and MACs equal to the analysis'."""

from __future__ import annotations

import pytest

from engine import Graph, analyze
from engine.catalogue import CATALOGUE
from engine.mechanics import MechanicsError, for_layer, mechanism_of

_ = -1
C_4x4_3x3 = [  # y = C·x: rows the 4 outputs, columns the 16 inputs, entries the tap w_ij
    [0, 1, 2, _, 3, 4, 5, _, 6, 7, 8, _, _, _, _, _],
    [_, 0, 1, 2, _, 3, 4, 5, _, 6, 7, 8, _, _, _, _],
    [_, _, _, _, 0, 1, 2, _, 3, 4, 5, _, 6, 7, 8, _],
    [_, _, _, _, _, 0, 1, 2, _, 3, 4, 5, _, 6, 7, 8],
]


def conv(hw, **p):
    return for_layer("Conv2d", {"out_channels": 1, **p}, hw)


def tconv(hw, **p):
    return for_layer("ConvTranspose2d", {"out_channels": 1, **p}, hw)


def test_4x4_conv_3x3_gives_2x2_and_the_4x16_matrix_c():
    m = conv((4, 4), kernel_size=3)
    assert m.output_size == (2, 2)
    assert m.matrix() == C_4x4_3x3
    assert m.to_json()["taps"][:3] == [[0, 0, 0], [0, 1, 1], [0, 2, 2]]
    assert len(m.taps) == 4 * 9 and m.overlap == (9, 9, 9, 9)
    assert m.formulas.output_size[0].endswith("⌊(4 + 0 + 0 − 1·(3−1) − 1)/1⌋ + 1 = 2")


def test_transposed_2x2_to_4x4_is_c_transposed_and_zero_insertion():
    m = tconv((2, 2), kernel_size=3)
    assert m.output_size == (4, 4)
    # x = Cᵀ·y: the transposed conv's matrix is the 4×16 C transposed, taps unflipped
    assert m.matrix() == [list(col) for col in zip(*C_4x4_3x3, strict=True)]
    z = m.zero_insertion
    assert z.size == (6, 6) and z.padding == ((2, 2), (2, 2))  # 2×2 padded by k−1 = 2
    assert z.input_at == ((0, 14), (1, 15), (2, 20), (3, 21))
    assert m.overlap == (1, 2, 2, 1, 2, 4, 4, 2, 2, 4, 4, 2, 1, 2, 2, 1)


def test_transposed_2x2_to_5x5_with_one_zero_between_inputs():
    m = tconv((2, 2), kernel_size=3, stride=2)
    assert m.output_size == (5, 5)
    z = m.zero_insertion
    assert z.size == (7, 7) and z.input_at == ((0, 16), (1, 18), (2, 30), (3, 32))
    row = (1, 1, 2, 1, 1)  # the checkerboard: overlapping taps where windows meet
    assert m.overlap == tuple(a * b for a in row for b in row)


def test_tensorflow_sizes_3_to_5_and_3_to_6():
    five = tconv((3, 3), kernel_size=3, stride=2, padding=1)
    assert five.output_size == (5, 5)
    assert five.zero_insertion.size == (7, 7)  # 3 → 5 zero-inserted, one zero around
    assert five.formulas.output_size[0].endswith("(3 − 1)·2 − 2·1 + 1·(3−1) + 0 + 1 = 5")
    six = tconv((3, 3), kernel_size=3, stride=2, padding=1, output_padding=1)
    assert six.output_size == (6, 6)
    assert "(3 − 1)·2 − 2·1 + 1·(3−1) + 1 + 1 = 6" in six.formulas.output_size[0]
    z = six.zero_insertion  # torch / MXNet: the extra zero row goes below and right
    assert z.size == (8, 8) and z.padding == ((1, 2), (1, 2))
    assert [pos for _, pos in z.input_at] == [9, 11, 13, 25, 27, 29, 41, 43, 45]
    # TensorFlow's output_shape 6 (target_size) picks the same output_padding
    tf = tconv((3, 3), kernel_size=3, stride=2, padding=1, target_size=6)
    assert tf.output_size == (6, 6) and tf.taps == six.taps
    assert "output_padding = 6 − 5 = 1" in tf.formulas.output_size[0]
    with pytest.raises(MechanicsError, match="target size 7 along H is not reachable from "
                       "input 3: reachable 5, 6"):
        tconv((3, 3), kernel_size=3, stride=2, padding=1, target_size=7)


def test_dilation_holes():
    m = conv((5, 5), kernel_size=3, dilation=2)  # a 3×3 kernel spread over 5×5: 9 weights
    assert m.output_size == (1, 1) and m.formulas.effective_kernel == (5, 5)
    assert [i for _, i, _ in m.taps] == [0, 2, 4, 10, 12, 14, 20, 22, 24]
    assert [t for _, _, t in m.taps] == list(range(9))


def test_hdc_rates_1_2_5():
    # the seed's six dilated layers: 64 → 62 → 58 → 48 → 46 → 42 → 32, RF 3, 5, 11
    size, seen = 64, []
    for d in (1, 2, 5, 1, 2, 5):
        m = conv((size, size), kernel_size=3, dilation=d)
        seen.append((m.formulas.effective_kernel[0], m.output_size[0]))
        size = m.output_size[0]
    assert seen == [(3, 62), (5, 58), (11, 48), (3, 46), (5, 42), (11, 32)]
    assert m.formulas.effective_text[0] == "H: d·(k−1)+1 = 5·(3−1)+1 = 11"


def test_padding_is_virtual_cells_left_out_of_taps():
    m = conv((3, 3), kernel_size=3, padding=1)
    assert m.padding_cells() == ((1, 1), (1, 1))
    first = m.windows()[0]
    assert len(first) == 9 and first[0] == (-1, -1, 0)  # a padding cell, tap 0
    assert [(i, t) for o, i, t in m.taps if o == 0] == [(0, 4), (1, 5), (3, 7), (4, 8)]
    assert m.overlap == (4, 6, 4, 6, 9, 6, 4, 6, 4)


def test_avg_pool_divides_by_the_padded_window():
    m = for_layer("AvgPool2d", {"kernel_size": 3, "stride": 1, "padding": 1}, (3, 3))
    assert m.overlap[0] == 4 and m.divisors[0] == 9  # count_include_pad
    assert set(m.divisors) == {9}
    pool = for_layer("MaxPool2d", {"kernel_size": 2}, (4, 4))
    assert [i for o, i, _ in pool.taps if o == 3] == [10, 11, 14, 15]


@pytest.mark.parametrize("cin,type_name,params,hw,count", [
    (1, "Conv2d", {"out_channels": 32, "kernel_size": 5, "padding": 1}, (28, 28), 832),
    (256, "Conv2d", {"out_channels": 512, "kernel_size": 3, "padding": 1}, (8, 8), 1180160),
    (32, "Conv2d", {"out_channels": 512, "kernel_size": 5, "padding": 1, "stride": 2},
     (128, 128), 410112),
    (32, "ConvTranspose2d", {"out_channels": 16, "kernel_size": 3, "stride": 2, "padding": 1},
     (128, 128), 4624),
])
def test_seed_parameter_counts_and_sizes(cin, type_name, params, hw, count):
    m = for_layer(type_name, params, hw, cin)
    assert m.formulas.params == count
    assert m.formulas.params_text.endswith(f"= {count}")
    if params.get("stride") == 2:  # (128 − 5 + 2)/2 + 1 = 63; 2·(128 − 1) − 2 + 3 = 255
        assert m.output_size == ((63, 63) if type_name == "Conv2d" else (255, 255))


@pytest.mark.parametrize("type_name,params,cin", [
    ("Conv2d", {"out_channels": 6, "kernel_size": [3, 2], "groups": 2, "stride": 2}, 4),
    ("Conv2d", {"out_channels": 4, "kernel_size": 3, "bias": False, "dilation": 2}, 4),
    ("ConvTranspose2d", {"out_channels": 6, "kernel_size": 3, "stride": 2, "groups": 3}, 3),
    ("DepthwiseSeparableConv2d", {"out_channels": 5, "kernel_size": 3, "depth_multiplier": 2},
     3),
    ("SpatiallySeparableConv2d", {"out_channels": 4, "kernel_size": [3, 5], "stride": 2}, 3),
    ("DeformConv2d", {"out_channels": 4, "kernel_size": 3, "groups": 2, "modulated": True}, 2),
    ("DeformConv2d", {"out_channels": 2, "kernel_size": 2, "offset_groups": 2}, 4),
    ("MaxPool2d", {"kernel_size": 2}, 3),
    ("Upsample", {"scale_factor": 2.0}, 3),
])
def test_formulas_agree_with_the_analysis(type_name, params, cin):
    g = Graph()
    g.add_node("Input", {"channels": cin, "height": 9, "width": 11}, "x")
    g.add_node(type_name, params, "layer")
    g.connect("x", "layer")
    node = analyze(g).nodes["layer"]
    m = for_layer(type_name, params, (9, 11), cin)
    assert (m.formulas.params, m.formulas.macs) == (node.params, node.macs)
    assert m.output_size == node.shape[1:]


def test_only_2d_window_layers_have_mechanics():
    have = {t for t, k in CATALOGUE.items() if mechanism_of(k)}
    assert have == {"Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d", "MaxUnpool2d",
                    "Upsample", "DepthwiseSeparableConv2d", "SpatiallySeparableConv2d",
                    "DeformConv2d"}


def test_one_dimensional_as_height_one():
    m = conv((1, 7), kernel_size=[1, 3], stride=[1, 2])
    assert m.output_size == (1, 3)
    assert [(o, i) for o, i, _ in m.taps] == [(0, 0), (0, 1), (0, 2), (1, 2), (1, 3), (1, 4),
                                              (2, 4), (2, 5), (2, 6)]


def test_unpool_node_takes_its_pools_input_size():
    from engine.mechanics import for_node

    g = Graph()
    g.add_node("Input", {"channels": 2, "height": 7, "width": 7}, "x")
    g.add_node("MaxPool2d", {"kernel_size": 2}, "pool")
    g.add_node("MaxUnpool2d", {"kernel_size": 2}, "unpool")
    g.connect("x", "pool")
    g.connect("pool", "unpool", 0)
    g.connect("pool", "unpool", 1)
    m = for_node(g, "unpool")
    assert (m.input_size, m.output_size) == ((3, 3), (7, 7))
    assert m.formulas.output_size[0].endswith("= 6; the output takes the pool's input size = 7")
    assert m.channel_links == ((0, 0), (1, 1))
    assert max(o for o, _, _ in m.taps) == 5 * 7 + 5  # the last row and column get nothing
