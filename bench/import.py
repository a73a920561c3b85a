"""Speed of ``main.py import`` (prints its figures; see the README).

Imports a ResNet-101-style network written in plain torch (bottleneck blocks 3, 4, 23,
3; narrow, on a 3×32×32 input, so that the figure is the import's own work: tracing,
mapping, folding, analysis check, ids, groups, layout), a graph of about 350 nodes.
Goal: under 5 s for a model of 200+ nodes. Also times the ONNX path (the same model
exported by torch, then imported), the ONNX export of the imported graph, and a
full-size ResNet-50 (``bench/resnet50.py``: widths 64 to 2048, 3×224×224, 25.6 M
parameters: the trace's own forward pass and the weight copies count there). The load
average is printed before and after.

Run: ``.venv/bin/python bench/import.py``
"""

from __future__ import annotations

import contextlib
import io
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
from torch import nn  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from resnet50 import Bottleneck, ResNet50  # noqa: E402  (bench/resnet50.py)

SHAPE = (3, 32, 32)


class DeepResNet(nn.Module):
    def __init__(self, layers=(3, 4, 23, 3), width=4, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        cin, stages = width, []
        for i, n in enumerate(layers):
            planes = width * 2 ** i
            blocks = []
            for j in range(n):
                blocks.append(Bottleneck(cin, planes, 2 if j == 0 and i > 0 else 1))
                cin = planes * 4
            stages.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def deep_resnet() -> nn.Module:
    torch.manual_seed(0)
    return DeepResNet().eval()


def time_import(source, shape=SHAPE) -> tuple[float, int]:
    """``(seconds, nodes)`` of one ``import_model`` of ``source``."""
    from engine.interchange import import_model
    start = time.perf_counter()
    graph, _groups, _weights, report = import_model(source, shape)
    seconds = time.perf_counter() - start
    if report.opaque_nodes:
        raise SystemExit(f"unexpected Opaque nodes: {report.opaque_nodes}")
    return seconds, len(graph.nodes)


def _load() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def main() -> None:
    import engine.interchange.api  # noqa: F401  (torch and the readers loaded, not timed)
    print(f"load average {_load()}")
    model = deep_resnet()
    runs = [time_import(model) for _ in range(7)]
    times = [s for s, _ in runs]
    nodes = runs[0][1]
    print(f"import nn.Module (torch.fx): {nodes} nodes, median {statistics.median(times):.2f} s,"
          f" min {min(times):.2f} s (goal < 5 s)")
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        proto = torch.onnx.export(model, (torch.zeros(1, *SHAPE),), None, dynamo=True,
                                  input_names=["input"]).model_proto
    data = proto.SerializeToString()
    times = [time_import(data, None)[0] for _ in range(7)]
    print(f"import ONNX: median {statistics.median(times):.2f} s, min {min(times):.2f} s")
    from engine.interchange import export_onnx, import_model
    graph, _g, weights, _r = import_model(model, SHAPE)
    start = time.perf_counter()
    export_onnx(graph, weights=weights)
    print(f"export ONNX of the imported graph: {time.perf_counter() - start:.2f} s")
    full = ResNet50().eval()
    runs = [time_import(full, (3, 224, 224)) for _ in range(5)]
    times = [s for s, _ in runs]
    print(f"import full-size ResNet-50 (3x224x224, 25.6 M params): {runs[0][1]} nodes, "
          f"median {statistics.median(times):.2f} s, min {min(times):.2f} s")
    print(f"load average {_load()}")


if __name__ == "__main__":
    main()
