"""Shared helpers of the runtime tests (test_nnlib.py, test_runtime.py, test_session.py,
test_engine_process.py): a small graph using every runtime feature, parameter counts."""

from __future__ import annotations

from pathlib import Path

from torch import nn

from engine import CATALOGUE, Graph
from engine.catalogue import Inputs

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "resources" / "examples"


def n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def catalogue_params(type_name: str, params: dict, in_shape) -> int:
    kind = CATALOGUE[type_name]
    p = kind.normalise(params)
    ins = Inputs((tuple(in_shape),))
    return kind.cost(p, ins, kind.infer(p, ins)).params


def small_graph(name="small", channels=3, size=16) -> Graph:
    g = Graph(name)
    g.add_node("Input", {"channels": channels, "height": size, "width": size}, "x")
    g.add_node("Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1}, "conv1")
    g.add_node("ReLU", {}, "relu1")
    g.add_node("SqueezeExcitation", {"reduction": 4}, "se")
    g.add_node("DeformConv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1,
                                "modulated": True}, "dconv")
    g.add_node("Add", {}, "add")
    g.add_node("MaxPool2d", {"kernel_size": 2}, "pool")
    g.add_node("MaxUnpool2d", {"kernel_size": 2}, "unpool")
    for a, b in (("x", "conv1"), ("conv1", "relu1"), ("relu1", "se"), ("se", "dconv"),
                 ("dconv", "add"), ("add", "pool"), ("pool", "unpool")):
        g.connect(a, b)
    g.connect("relu1", "add", 1)
    g.connect("pool", "unpool", 1)
    return g


def analyze_one(type_name, params, in_shape):
    kind = CATALOGUE[type_name]
    return kind.infer(kind.normalise(params), Inputs((tuple(in_shape),)))
