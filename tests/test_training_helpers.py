"""Small graphs shared by the training tests (test_training_*.py); it holds no test.

Tiny sizes keep every training test short: 16 x 16 images, a few dozen samples.
"""

from __future__ import annotations

import json
from pathlib import Path

from engine import Graph


def tiny_classifier(k: int = 4, channels: int = 3, size: int = 16, name: str = "tiny") -> Graph:
    """Input -> conv 8, BatchNorm, ReLU, max pool -> conv 8, ReLU -> global pool, Flatten,
    Dropout 0.3, Linear k."""
    g = Graph(name)
    g.add_node("Input", {"channels": channels, "height": size, "width": size}, "x")
    g.add_node("Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1}, "conv1")
    g.add_node("BatchNorm2d", {}, "bn1")
    g.add_node("ReLU", {}, "relu1")
    g.add_node("MaxPool2d", {"kernel_size": 2}, "pool1")
    g.add_node("Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1}, "conv2")
    g.add_node("ReLU", {}, "relu2")
    g.add_node("AdaptiveAvgPool2d", {"output_size": 1}, "gap")
    g.add_node("Flatten", {}, "flat")
    g.add_node("Dropout", {"p": 0.3}, "drop")
    g.add_node("Linear", {"out_features": k}, "fc")
    ids = list(g.nodes)
    for a, b in zip(ids, ids[1:], strict=False):
        g.connect(a, b)
    return g


def tiny_segmenter(size: int = 16) -> Graph:
    """Input -> conv 8, BatchNorm, ReLU -> max pool -> ConvTranspose2d k4 s2 p1 -> 1x1 conv 5."""
    g = Graph("tiny seg")
    g.add_node("Input", {"channels": 3, "height": size, "width": size}, "x")
    g.add_node("Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1}, "conv1")
    g.add_node("BatchNorm2d", {}, "bn1")
    g.add_node("ReLU", {}, "relu1")
    g.add_node("MaxPool2d", {"kernel_size": 2}, "pool1")
    g.add_node("ConvTranspose2d", {"out_channels": 8, "kernel_size": 4, "stride": 2,
                                   "padding": 1}, "up")
    g.add_node("Conv2d", {"out_channels": 5, "kernel_size": 1}, "logits")
    ids = list(g.nodes)
    for a, b in zip(ids, ids[1:], strict=False):
        g.connect(a, b)
    return g


def save(graph: Graph, path: Path) -> Path:
    path.write_text(json.dumps(graph.to_dict()), encoding="utf-8")
    return path


def image_folder(root: Path, classes=("cat", "dog"), per_class=5, size=(20, 12)) -> Path:
    """``root/<class>/<i>.png`` (and one .jpg per class): solid images, darker per class."""
    import numpy as np
    from PIL import Image

    for k, name in enumerate(classes):
        sub = root / name
        sub.mkdir(parents=True)
        for i in range(per_class):
            a = np.full((size[1], size[0], 3), 40 + 80 * k + i, np.uint8)
            ext = "jpg" if i == 0 else "png"
            Image.fromarray(a).save(sub / f"{i}.{ext}")
    return root
