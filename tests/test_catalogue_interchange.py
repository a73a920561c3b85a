"""The importer's tables in the catalogue (engine/catalogue/interchange.py) name real
types, real torch.nn modules and real ONNX operators, and the importer reads them."""

from __future__ import annotations

import pytest

from engine.catalogue import CATALOGUE
from engine.catalogue import interchange as tables


def test_every_table_names_catalogue_types():
    ranked = [tables.ranked(f, d) for f in ("conv", "conv_transpose", "batch_norm",
                                            "max_pool", "avg_pool", "adaptive_avg_pool")
              for d in (2, 3)]
    values = [*tables.NN_MODULES.values(), *tables.FUNCTIONS.values(),
              *tables.ONNX_OPS.values(), *tables.ROLE.values(), *ranked,
              *tables.NNLIB_STRUCTURE]
    assert set(values) <= set(CATALOGUE)
    assert tables.ranked("conv", 1) is None
    assert tables.T.relu6 == tables.ROLE["relu6"]


def test_module_names_are_torch_or_nnlib_classes():
    nn = pytest.importorskip("torch.nn")
    from engine import nnlib

    for name in tables.NN_MODULES:
        assert hasattr(nn, name) or hasattr(nnlib, name), name
    assert tables.module_type(nn.ReLU6()) == tables.T.relu6  # not its base Hardtanh
    assert tables.module_type(nn.ZeroPad2d(1)) == tables.T.pad

    class MyConv(nn.Conv2d):
        pass
    assert tables.module_type(MyConv(1, 1, 1)) == tables.ranked("conv", 2)
    assert tables.module_type(nn.LSTM(2, 2)) is None


def test_onnx_ops_are_real_and_all_handled():
    onnx = pytest.importorskip("onnx")
    from engine.interchange.onnx_ops import HANDLERS

    schemas = {s.name for s in onnx.defs.get_all_schemas()}
    for op in tables.ONNX_OPS:
        assert op in schemas or op == "DeformConv", op
        assert op in HANDLERS
    assert tables.sources_of(tables.T.relu6)["modules"] == ["ReLU6", "Hardtanh"]
    assert "Relu" in tables.sources_of(tables.T.relu)["onnx"]
