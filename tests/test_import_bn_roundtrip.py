"""BatchNorm through ONNX: torch's exporter (its ONNX optimizer, which ``export -o X.onnx``
runs) folds an eval-mode BatchNorm into the Conv right before it, so the file holds a
Conv with the folded weights and no BatchNormalization; importing that file gives a
Conv2d without the BatchNorm2d, with the same outputs. A BatchNorm that follows
anything else (here an Add) stays a BatchNormalization and imports as BatchNorm2d. The
numbers survive graph → ONNX → graph → ONNX (onnxruntime against torch, ≤ 1e-4)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")
np = pytest.importorskip("numpy")

pytestmark = pytest.mark.torch


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.bn1 = torch.nn.BatchNorm2d(4)
        self.skip = torch.nn.Conv2d(4, 4, 1)
        self.bn2 = torch.nn.BatchNorm2d(4)
        with torch.no_grad():  # statistics and affine terms that are not the defaults
            for bn in (self.bn1, self.bn2):
                bn.running_mean.uniform_(-1, 1)
                bn.running_var.uniform_(0.5, 2.0)
                bn.weight.uniform_(0.5, 1.5)
                bn.bias.uniform_(-0.5, 0.5)

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv(x)))
        return self.bn2(y + self.skip(y))


def _types(graph):
    return [n.type for n in graph.nodes.values()]


def _ops(path):
    return [n.op_type for n in onnx.load(str(path)).graph.node]


def _ort(path, x):
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return sess.run(None, {"input": x})[0]


def test_batchnorm_after_a_conv_is_folded_on_export_and_the_numbers_survive(tmp_path):
    from engine.catalogue.interchange import ranked
    from engine.interchange import export_onnx, import_model

    model = Net().eval()
    x = np.random.RandomState(1).randn(1, 3, 12, 12).astype(np.float32)
    with torch.no_grad():
        want = model(torch.from_numpy(x)).numpy()
    bn, conv = ranked("batch_norm", 2), ranked("conv", 2)

    graph, _groups, weights, _report = import_model(model, (3, 12, 12))
    assert _types(graph).count(bn) == 2  # the module's graph has both BatchNorms
    first = tmp_path / "first.onnx"
    export_onnx(graph, first, weights=weights)
    ops = _ops(first)
    assert ops.count("BatchNormalization") == 1  # bn1 folded into conv, bn2 kept
    assert ops.count("Conv") == 2
    assert np.abs(_ort(first, x) - want).max() <= 1e-4

    again, _g, weights2, report = import_model(str(first))
    assert report.opaque_nodes == []
    assert _types(again).count(bn) == 1 and _types(again).count(conv) == 2
    second = tmp_path / "second.onnx"
    export_onnx(again, second, weights=weights2)
    assert _ops(second) == ops  # a fixed point: nothing more to fold
    assert np.abs(_ort(second, x) - want).max() <= 1e-4
