"""The runtime Session (issue 3): weights, effective RF, offset fitting, export
verification, inputs kept between runs; images and mosaics."""

from __future__ import annotations

import stat

import numpy as np
import pytest
import torch

from engine import Graph, load_graph
from engine.runtime import (
    ImageError,
    RunCancelled,
    RuntimeGraphError,
    Session,
    WeightsError,
    load_image,
    mosaic,
    save_png,
)

from .fs_faults import make_folder_read_only
from .runtime_helpers import EXAMPLES, small_graph

pytestmark = [pytest.mark.torch, pytest.mark.usefixtures("torch_one_thread")]


# -- weights ------------------------------------------------------------------------------
def test_weights_roundtrip_and_errors(tmp_path):
    g = small_graph()
    s = Session(g, seed=0)
    path = tmp_path / "w.pt"
    s.save_weights(path)
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left
    other = Session(g, seed=5)
    r_before = other.run()
    other.load_weights(path)
    assert np.array_equal(other.run().outputs["unpool"], s.run().outputs["unpool"])
    assert not np.array_equal(r_before.outputs["unpool"], s.run().outputs["unpool"])
    # a state dict that does not fit: keys named
    state = torch.load(path, weights_only=True)
    state["extra.weight"] = torch.zeros(1)
    del state["conv1.bias"]
    state["dconv.weight"] = torch.zeros(2, 2, 3, 3)
    bad = tmp_path / "bad.pt"
    torch.save(state, bad)
    with pytest.raises(WeightsError) as info:
        s.load_weights(bad)
    msg = str(info.value)
    assert "conv1.bias" in msg and "extra.weight" in msg and "dconv.weight" in msg
    assert str(bad) in msg and "\n" not in msg
    for content, why in ((b"hello", "torch.save"), (b"", "torch.save")):
        f = tmp_path / "junk.pt"
        f.write_bytes(content)
        with pytest.raises(WeightsError, match=why):
            s.load_weights(f)
    torch.save([1, 2], tmp_path / "list.pt")
    with pytest.raises(WeightsError, match="state dict"):
        s.load_weights(tmp_path / "list.pt")
    with pytest.raises(WeightsError, match="no such file"):
        s.load_weights(tmp_path / "missing.pt")
    with pytest.raises(OSError):
        s.save_weights(tmp_path / "no" / "dir" / "w.pt")


def test_failed_weights_save_leaves_the_existing_file_alone(tmp_path, monkeypatch):
    s = Session(small_graph(), seed=0)
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "w.pt"
    path.write_bytes(b"mine")
    try:
        with monkeypatch.context() as m:
            make_folder_read_only(m, folder)
            with pytest.raises(PermissionError):
                s.save_weights(path)
    finally:
        folder.chmod(stat.S_IRWXU)
    assert path.read_bytes() == b"mine"
    assert [p.name for p in folder.iterdir()] == ["w.pt"]
    s.save_weights(path)  # once the folder is writable again
    assert set(torch.load(path, weights_only=True)) == set(s.state_dict())


# -- session tools ------------------------------------------------------------------------
def test_effective_rf_stays_inside_the_theoretical_rf():
    g = load_graph(EXAMPLES / "hdc_dilated_stack.convgraph.json")
    s = Session(g, seed=0)
    s.run()
    res = s.analysis
    node = next(n for n in g.topo_order() if g.nodes[n].type == "Conv2d")
    shape = res.nodes[node].shape
    idx = (0, shape[1] // 2, shape[2] // 2)
    erf = s.effective_rf(node, idx)
    inp = g.topo_order()[0]
    assert erf.shape == tuple(res.nodes[inp].shape[1:]) and erf.dtype == np.float32
    assert erf.sum() > 0
    region = res.nodes[node].rf.region(idx[1:])
    ys, xs = np.nonzero(erf)
    (ylo, yhi, _), (xlo, xhi, _) = region
    assert ylo <= ys.min() and ys.max() <= yhi and xlo <= xs.min() and xs.max() <= xhi
    with pytest.raises(ValueError):
        s.effective_rf(node, (0, 0))
    with pytest.raises(ValueError):
        s.effective_rf(node, (shape[0], 0, 0))


def test_effective_rf_of_an_unrelated_input_is_zero():
    g = load_graph(EXAMPLES / "transposed_conv_arithmetic.convgraph.json")
    s = Session(g)
    inputs = s.input_ids
    assert len(inputs) == 2
    out = s.output_ids[0]
    reach = s.analysis.nodes[out].rf_by_input
    other = next(i for i in inputs if i not in reach)
    assert not s.effective_rf(out, (0, 0, 0), other).any()


def test_fit_offsets_moves_offsets_and_can_be_undone():
    g = Graph("fit")
    g.add_node("Input", {"channels": 3, "height": 24, "width": 24}, "x")
    g.add_node("Conv2d", {"out_channels": 6, "kernel_size": 3, "padding": 1}, "c")
    g.add_node("DeformConv2d", {"out_channels": 6, "kernel_size": 3, "padding": 1}, "d")
    g.connect("x", "c")
    g.connect("c", "d")
    s = Session(g, seed=0)
    s.run()
    seen = []
    fit = s.fit_offsets("d", steps=12, callback=lambda i, n, loss: seen.append((i, n, loss)))
    assert fit.steps == 12 and len(fit.losses) == 13 and len(seen) == 12
    assert fit.losses[-1] < fit.losses[0]
    assert fit.offsets.shape == (18, 24, 24) and np.abs(fit.offsets).mean() > 0.01
    assert fit.target_offsets.shape == (18,) and fit.target_offsets[8:10].tolist() == [0, 0]
    assert np.abs(s.run().offsets["d"]).mean() > 0.01
    s.reset_offsets("d")
    assert not s.run().offsets["d"].any()

    def cancel(i, n, loss):
        if i == 3:
            raise RunCancelled()
    assert s.fit_offsets("d", steps=10, callback=cancel).steps == 3
    with pytest.raises(ValueError):
        s.fit_offsets("c")


def test_verify_export_matches_engine():
    from engine.export import export_code
    g = small_graph("Verify me")
    s = Session(g, seed=4)
    s.run()
    assert s.verify_export(export_code(g)) <= 1e-5
    with pytest.raises(WeightsError):
        s.verify_export(export_code(small_graph(channels=1)))


def test_session_from_dict_and_bad_dicts():
    g = small_graph()
    s = Session(g.to_dict(), seed=0)
    assert s.input_ids == ("x",) and s.output_ids == ("unpool",)
    with pytest.raises(RuntimeGraphError):
        Session({"nodes": [{"id": "x", "type": "Nope"}]})


# -- images -------------------------------------------------------------------------------
def test_load_image_modes_and_errors(tmp_path):
    from PIL import Image
    rgb = tmp_path / "rgb.png"
    Image.new("RGB", (6, 4), (10, 20, 30)).save(rgb)
    a = load_image(rgb)
    assert a.shape == (4, 6, 3) and a.dtype == np.uint8 and tuple(a[0, 0]) == (10, 20, 30)
    gray = tmp_path / "g.png"
    Image.new("L", (3, 2), 7).save(gray)
    assert load_image(gray).shape == (2, 3)
    rgba = tmp_path / "a.png"
    Image.new("RGBA", (2, 2), (0, 0, 0, 0)).save(rgba)
    assert np.all(load_image(rgba) == 255)  # transparent -> white
    i16 = tmp_path / "i16.png"
    Image.fromarray(np.full((2, 2), 65535, np.uint16)).save(i16)
    b = load_image(i16)
    assert b.dtype == np.float32 and np.allclose(b, 1.0)
    for path, why in ((tmp_path / "missing.png", "no such file"), (tmp_path, "directory")):
        with pytest.raises(ImageError, match=why):
            load_image(path)
    junk = tmp_path / "junk.png"
    junk.write_text("not an image")
    with pytest.raises(ImageError, match="junk.png"):
        load_image(junk)
    trunc = tmp_path / "trunc.png"
    trunc.write_bytes(rgb.read_bytes()[:40])
    with pytest.raises(ImageError):
        load_image(trunc)


def test_mosaic_and_save_png(tmp_path):
    act = np.stack([np.arange(12, dtype=np.float32).reshape(3, 4) * (c + 1) - c
                    for c in range(5)])
    m = mosaic(act, pad=1)
    assert m.shape == (2 * 4 + 1, 3 * 5 + 1) and m.dtype == np.float32
    assert m.min() == 0 and m.max() == 1
    assert np.allclose(m[1:4, 1:5], np.arange(12).reshape(3, 4) / 11)  # per channel
    assert mosaic(act, cols=5, pad=0).shape == (3, 20)
    assert mosaic(np.zeros((2, 3, 3))).max() == 1.0  # constant maps: 0, padding 1
    assert mosaic(np.zeros((2, 3, 3)), pad_value=0).max() == 0
    assert mosaic(np.random.rand(4, 2, 3, 3)).shape == (2 * 4 + 1, 2 * 4 + 1)  # mid slice
    assert mosaic(np.arange(6.0)).shape == (1, 6)
    assert mosaic(np.random.rand(3, 1, 1), min_tile=4, pad=0).shape == (8, 8)
    out = tmp_path / "m.png"
    save_png(out, m)
    from PIL import Image
    with Image.open(out) as im:
        assert im.size == (m.shape[1], m.shape[0]) and im.mode == "L"
    save_png(out, np.zeros((2, 2, 3), np.uint8))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.png"]


def test_session_reuses_exact_inputs_and_keeps_them():
    g = small_graph()
    s = Session(g, seed=2)
    first = s.run(np.random.default_rng(1).random((9, 9, 3)))
    again = Session(g, seed=2).run(dict(first.inputs))
    assert again.input_sources == {"x": "given"}
    assert np.array_equal(again.outputs["unpool"], first.outputs["unpool"])
    kept = s.run(None, keep_input=True)
    assert np.array_equal(kept.inputs["x"], first.inputs["x"])
    with pytest.raises(ValueError, match="expects shape"):
        s.set_input({"x": np.zeros((1, 3, 4, 4), np.float32)})
