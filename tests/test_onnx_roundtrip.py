"""ONNX → import → export ONNX → onnxruntime gives the source's outputs, for every network
of the import zoo (written in plain torch, exported with torch's own ONNX exporter)."""

from __future__ import annotations

import contextlib
import io
import warnings

import pytest

torch = pytest.importorskip("torch")
ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")
np = pytest.importorskip("numpy")

from tests.test_import_models import ZOO, make  # noqa: E402

pytestmark = pytest.mark.torch


def torch_to_onnx(model, shape) -> bytes:
    x = torch.zeros(1, *shape)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        program = torch.onnx.export(model, (x,), None, dynamo=True, input_names=["input"])
    return program.model_proto.SerializeToString()


def ort_run(model_bytes: bytes, feed: dict):
    sess = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    return sess.run(None, feed)


@pytest.mark.parametrize("name", list(ZOO))
def test_onnx_import_export_round_trip(name, tmp_path):
    from engine.interchange import export_onnx, import_model
    from engine.runtime import build_model

    model, shape = make(name)
    source = tmp_path / f"{name}.onnx"
    source.write_bytes(torch_to_onnx(model, shape))
    x = torch.randn(1, *shape, generator=torch.Generator().manual_seed(2))
    (want,) = ort_run(source.read_bytes(), {"input": x.numpy()})

    graph, groups, weights, report = import_model(str(source))
    assert report.opaque_nodes == [], report.summary()
    engine_model = build_model(graph)
    engine_model.load_state_dict(weights, strict=True)
    with torch.no_grad():
        assert np.abs(engine_model(x).numpy() - want).max() <= 1e-4

    proto = export_onnx(graph, tmp_path / "again.onnx", weights=weights)
    assert max(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")) >= 18
    assert [i.name for i in proto.graph.input] == ["input"]
    outputs = [n for n in graph.nodes if not graph.successors(n)]
    assert [o.name for o in proto.graph.output] == outputs
    (got,) = ort_run((tmp_path / "again.onnx").read_bytes(), {"input": x.numpy()})
    assert np.abs(got - want).max() <= 1e-4
