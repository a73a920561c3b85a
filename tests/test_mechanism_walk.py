"""The Mechanism view's numbers (designer.mechanism, no drawing): the walk rebuilds
torch's outputs, both forms of a transposed conv build the same output cell by cell,
the matrix and overlap are the engine's, gridding counts by hand (2,2,2 holes; 1,2,5
none), deformable samples and the SE recomputation against torch."""

from __future__ import annotations

import numpy as np
import pytest

from designer.mechanism.deform import bilinear_corners, samples
from designer.mechanism.gridding import AxisLayer, gridding, hdc_suggestion, path_counts
from designer.mechanism.values import sample_values
from designer.mechanism.walk import Walk, follow
from engine.mechanics import for_layer

torch = pytest.importorskip("torch")
F = torch.nn.functional

CONV, TCONV = "Conv2d", "ConvTranspose2d"


def _walk(t, p, hw, form="gather", seed=3):
    m = for_layer(t, p, hw, 1)
    w = Walk(m, form)
    x, k, chosen = sample_values(w, seed)
    w.set_values(x, k, chosen=chosen)
    return m, w, x, k


def _final(w):
    """The real outputs at the last frame (partial sums complete for a scatter)."""
    y = w.outputs(w.frames - 1, slice(None), slice(None))[0]
    (y0, y1), (x0, x1) = (ln.real_out() for ln in w.lanes)
    return y[y0:y1, x0:x1]


def _t(a):
    return torch.tensor(a, dtype=torch.float64)[None, None]


@pytest.mark.parametrize("p, hw, ref", [
    ({"kernel_size": 3, "padding": 1, "stride": 2, "dilation": 2}, (7, 6),
     lambda x, k: F.conv2d(x, k, stride=2, padding=1, dilation=2)),
    ({"kernel_size": 3, "padding": 1, "padding_mode": "reflect"}, (5, 5),
     lambda x, k: F.conv2d(F.pad(x, (1, 1, 1, 1), mode="reflect"), k)),
    ({"kernel_size": [2, 3], "padding": "same"}, (4, 5),
     lambda x, k: F.conv2d(x, k, padding="same")),
])
def test_conv_walk_rebuilds_torch(p, hw, ref):
    _m, w, x, k = _walk(CONV, {"out_channels": 1, "bias": False, **p}, hw)
    assert np.allclose(_final(w), ref(_t(x), _t(k)).numpy()[0, 0])


@pytest.mark.parametrize("p, hw", [
    ({"kernel_size": 3, "stride": 2, "padding": 1}, (3, 3)),
    ({"kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1}, (3, 3)),
    ({"kernel_size": 3, "stride": 2, "padding": 2, "dilation": 2}, (3, 4)),
    ({"kernel_size": 2, "stride": 1}, (2, 2)),
    ({"kernel_size": 3, "stride": 2, "padding": 1, "target_size": [6, 6]}, (3, 3)),
])
def test_transposed_both_forms_build_the_same_output_cell_by_cell(p, hw):
    m, gather, x, k = _walk(TCONV, {"out_channels": 1, **p}, hw)
    _, scatter, _, _ = _walk(TCONV, {"out_channels": 1, **p}, hw, form="scatter")
    op = p.get("output_padding", 0) if "target_size" not in p else 1
    ref = F.conv_transpose2d(_t(x), _t(k), stride=p["stride"], padding=p.get("padding", 0),
                             output_padding=op, dilation=p.get("dilation", 1)).numpy()[0, 0]
    assert np.allclose(_final(gather), ref)
    assert np.allclose(_final(scatter), ref)
    assert gather.frames == m.output_size[0] * m.output_size[1]
    assert scatter.frames == m.input_size[0] * m.input_size[1]
    # the gather form finishes one output per frame, with its final value
    for f in (0, gather.frames // 2):
        vals, done = gather.outputs(f, slice(None), slice(None))
        assert done.sum() == f + 1
        assert np.allclose(vals[done], ref.ravel()[:f + 1])


def test_scatter_partial_sums_grow_one_input_at_a_time():
    p = {"out_channels": 1, "kernel_size": 3, "stride": 2, "padding": 1}
    m, w, x, k = _walk(TCONV, p, (3, 3), form="scatter")
    prev = np.zeros(w.out_shape)
    for f in range(w.frames):
        vals, _touched = w.outputs(f, slice(None), slice(None))
        fr = w.frame(f)
        iy, ix = divmod(f, 3)
        # exactly the outputs of its window changed, each by x·w[tap]
        diff = vals - prev
        for oy, ox, sy, sx in fr.window:
            lo = (oy - w.lanes[0].out_lo, ox - w.lanes[1].out_lo)
            assert np.isclose(diff[lo], x[iy, ix] * k[sy, sx])
        prev = vals


@pytest.mark.parametrize("t, p, hw, ref", [
    ("MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": 1}, (6, 6),
     lambda x: F.max_pool2d(x, 3, 2, 1)),
    ("AvgPool2d", {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}, (6, 6),
     lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True)),
    ("Upsample", {"mode": "bilinear", "scale_factor": 2}, (3, 4),
     lambda x: F.interpolate(x, scale_factor=2, mode="bilinear")),
    ("Upsample", {"mode": "bicubic", "scale_factor": 2}, (3, 4),
     lambda x: F.interpolate(x, scale_factor=2, mode="bicubic")),
    ("Upsample", {"mode": "nearest", "scale_factor": 1.5}, (4, 4),
     lambda x: F.interpolate(x, scale_factor=1.5, mode="nearest")),
])
def test_pools_and_resampling(t, p, hw, ref):
    _m, w, x, _k = _walk(t, p, hw)
    assert np.allclose(_final(w), ref(_t(x)).numpy()[0, 0], atol=1e-5)


def test_unpooling_puts_each_value_where_its_pool_found_it():
    m, w, x, _k = _walk("MaxUnpool2d", {"kernel_size": 2}, (3, 3))
    assert w.form == "scatter"
    idx = torch.tensor([[oy * m.output_size[1] + ox for (oy, ox) in
                         (w.chosen[i] for i in range(9))]]).reshape(1, 1, 3, 3)
    ref = F.max_unpool2d(_t(x), idx, 2, output_size=m.output_size).numpy()[0, 0]
    assert np.allclose(_final(w), ref)


def test_matrix_rows_and_overlap_are_the_engines():
    t3 = {"kernel_size": 3, "stride": 2, "padding": 1}
    for t, p, hw, form in ((CONV, t3, (5, 5), "gather"), (TCONV, t3, (3, 3), "gather"),
                           (TCONV, t3, (3, 3), "scatter")):
        m = for_layer(t, {"out_channels": 1, **p}, hw, 1)
        w = Walk(m, form)
        w.set_values(np.zeros(hw), None)  # kernel unknown: entries are tap indices
        c = m.matrix()
        for o in range(len(c)):
            assert w.matrix_row(o) == {i: t_ for i, t_ in enumerate(c[o]) if t_ >= 0}
        assert w.overlap().ravel().tolist() == list(m.overlap)


def test_seed_example_4x4_by_3x3_gives_the_4x16_matrix():
    m = for_layer(CONV, {"out_channels": 1, "kernel_size": 3}, (4, 4), 1)
    w = Walk(m)
    w.set_values(np.arange(16.0).reshape(4, 4), np.arange(1.0, 10.0).reshape(3, 3))
    rows = [w.matrix_row(o) for o in range(4)]
    assert [sorted(r) for r in rows][0] == [0, 1, 2, 4, 5, 6, 8, 9, 10]
    assert rows[3][15] == 9.0 and rows[0][0] == 1.0
    f = w.frame(3)
    assert f.row == 3 and len(f.window) == 9 and f.lit[0] == (1, 1)


def test_follow_moves_the_view_only_when_the_window_leaves_it():
    assert follow(0, 0, 10, 16, 3, 5) == 0  # everything fits
    assert follow(0, -1, 42, 16, 4, 6) == 0  # still inside
    start = follow(0, -1, 42, 16, 15, 17)
    assert start <= 15 and 17 < start + 16
    assert follow(30, -1, 42, 16, 39, 40) == 25  # clamped at the end


# -- gridding (seed 001) ------------------------------------------------------------------
def _rates(*rates):
    return [AxisLayer(tuple(j * r for j in range(3))) for r in rates]


def test_gridding_222_has_holes_125_has_none():
    # by hand: offsets {0,2,4} three times sum to even numbers 0..12 only,
    # with 1,3,6,7,6,3,1 paths (the trinomial coefficients)
    assert path_counts(_rates(2, 2, 2)).tolist() == [1, 0, 3, 0, 6, 0, 7, 0, 6, 0, 3, 0, 1]
    # {0,1,2} + {0,2,4} + {0,5,10} reach every offset 0..16
    c = path_counts(_rates(1, 2, 5))
    assert len(c) == 17 and (c > 0).all()
    assert c.tolist() == [1, 1, 2, 1, 2, 2, 2, 2, 1, 2, 2, 2, 2, 1, 2, 1, 1]
    assert hdc_suggestion(3) == (1, 2, 5)


def test_gridding_from_the_mechanics_of_each_conv():
    def chain(*rates):
        return [(f"c{i}", for_layer(CONV, {"out_channels": 1, "kernel_size": 3, "dilation": r,
                                           "padding": r}, (32, 32), 1))
                for i, r in enumerate(rates)]
    g = gridding(chain(2, 2, 2))
    assert g.counts.shape == (13, 13)
    assert g.holes == 13 * 13 - 7 * 7 and g.common == 2 and g.suggestion == (1, 2, 5)
    assert (g.counts[1::2, :] == 0).all() and (g.counts[::2, ::2] > 0).all()
    g = gridding(chain(1, 2, 5))
    assert g.counts.shape == (17, 17) and g.holes == 0 and g.suggestion is None
    # a stride multiplies the offsets after it: rates 1 then a stride-2 conv of rate 1
    strided = [AxisLayer((0, 1, 2), 2), AxisLayer((0, 1, 2))]
    assert path_counts(strided).tolist() == [1, 1, 2, 1, 2, 1, 1]


def test_gridding_chain_on_the_example_graph():
    import engine
    from designer.mechanism.gridding_view import dilated_chain
    from engine.analysis import Analyzer
    from tests.panel_helpers import EXAMPLES

    g = engine.load_graph(EXAMPLES / "gridding_pair.convgraph.json")
    a = Analyzer(g)
    a.result()
    grid = dilated_chain(g, a, "grid_conv3")
    assert [n for n, _ in grid] == ["grid_conv1", "grid_conv2", "grid_conv3"]
    assert gridding(grid).holes > 0
    assert gridding(dilated_chain(g, a, "hdc_conv3")).holes == 0


# -- deformable samples -------------------------------------------------------------------
def test_deformable_samples_rebuild_torchvisions_output():
    from engine.deform import deform_conv2d

    rng = np.random.default_rng(0)
    h, w, k = 7, 8, 3
    x = rng.normal(size=(1, 1, h, w))
    weight = rng.normal(size=(1, 1, k, k))
    off = rng.normal(scale=1.5, size=(1, 2 * k * k, 4, 4))
    mask = rng.uniform(size=(1, k * k, 4, 4))
    out = deform_conv2d(_t(x[0, 0]), torch.tensor(off), torch.tensor(weight), None,
                        stride=2, padding=1, dilation=1, mask=torch.tensor(mask)).numpy()
    params = {"kernel_size": (k, k), "stride": (2, 2), "padding": (1, 1), "dilation": (1, 1)}
    for loc in ((0, 0), (1, 2), (3, 3)):
        total = 0.0
        for s in samples(params, off[0], mask[0], loc, (h, w)):
            v = sum(wt * x[0, 0, yy, xx] for yy, xx, wt, inside in s.corners if inside)
            total += weight[0, 0].ravel()[s.tap] * v * s.mask
        assert np.isclose(total, out[0, 0][loc])


def test_bilinear_corners_follow_torchvisions_border_rule():
    assert [c[2] for c in bilinear_corners(1.25, 2.5, 5, 5)] == [0.375, 0.375, 0.125, 0.125]
    assert all(c[2] == 0 for c in bilinear_corners(-1.0, 2.0, 5, 5))  # y <= -1: zero
    inside = [c[3] for c in bilinear_corners(-0.5, 0.5, 5, 5)]
    assert inside == [False, False, True, True]


# -- squeeze and excitation ----------------------------------------------------------------
def test_se_stages_recompute_the_weights():
    from designer.mechanism.se_stages import se_stages

    rng = np.random.default_rng(1)
    c, h = 8, 2
    before = rng.normal(size=(c, 5, 5))
    w1, b1 = rng.normal(size=(h, c, 1, 1)), rng.normal(size=h)
    w2, b2 = rng.normal(size=(c, h, 1, 1)), rng.normal(size=c)
    s = before.mean(axis=(1, 2))
    weights = 1 / (1 + np.exp(-(w2[:, :, 0, 0] @ np.maximum(w1[:, :, 0, 0] @ s + b1, 0) + b2)))
    state = {"se.fc1.weight": w1, "se.fc1.bias": b1, "se.fc2.weight": w2, "se.fc2.bias": b2,
             "other.weight": rng.normal(size=(c, c, 1, 1))}
    st = se_stages(before, before * weights[:, None, None], weights, state, "se.")
    assert st.hidden.shape == (h,) and st.check < 1e-9
    assert np.allclose(st.squeeze, s)
    bare = se_stages(before, before, weights)
    assert bare.hidden is None and np.allclose(1 / (1 + np.exp(-bare.logits)), weights)


def test_a_runs_values_fill_a_scatter_only_where_every_input_has_been_added():
    m = for_layer(TCONV, {"out_channels": 1, "kernel_size": 3, "stride": 2, "padding": 1},
                  (3, 3), 1)
    rng = np.random.default_rng(2)
    y = rng.normal(size=m.output_size)
    w = Walk(m, "scatter")
    w.set_values(rng.normal(size=(3, 3)), None, y)
    vals, done = w.outputs(0, slice(None), slice(None))
    (y0, y1), (x0, x1) = (ln.real_out() for ln in w.lanes)
    real_done = done[y0:y1, x0:x1]
    assert real_done[0, 0] and not real_done[1, 1]  # y[1,1] also reads inputs after 0
    vals, done = w.outputs(w.frames - 1, slice(None), slice(None))
    assert done[y0:y1, x0:x1].all() and np.allclose(vals[y0:y1, x0:x1], y)
