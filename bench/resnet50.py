"""Import a plain-torch ResNet-50 as a graph file (for the README's screenshot).

There is no torchvision here: the network is written below with torchvision's layout
(bottleneck blocks 3, 4, 6, 3 at widths 64 to 2048, 1000 classes, its module names, so
a torchvision ``resnet50`` state dict loads into it), imported with
:func:`engine.interchange.import_model` on a 3×224×224 input and written with its
``groups`` (a stem, four stages and a head, collapsed). Then::

    .venv/bin/python bench/resnet50.py -o /tmp/resnet50.convgraph.json
    .venv/bin/python main.py --screenshot docs/imported_resnet50.png /tmp/resnet50.convgraph.json

``--weights-out W.pt`` also writes the (random, seeded) weights under the graph's
names; ``--torchvision W.pth`` loads a torchvision ``resnet50`` state dict first;
``--screenshot OUT.png`` then runs the ``main.py --screenshot`` above (offscreen).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
from torch import nn  # noqa: E402


class Bottleneck(nn.Module):
    """torchvision's Bottleneck (stride on the 3×3 conv)."""

    expansion = 4

    def __init__(self, cin, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or cin != planes * 4:
            self.downsample = nn.Sequential(nn.Conv2d(cin, planes * 4, 1, stride, bias=False),
                                            nn.BatchNorm2d(planes * 4))

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class ResNet50(nn.Module):
    """torchvision's ``resnet50`` layout: stem, layer1..layer4, avgpool, fc."""

    def __init__(self, classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.inplanes = 64
        self.layer1 = self._stage(64, 3, 1)
        self.layer2 = self._stage(128, 4, 2)
        self.layer3 = self._stage(256, 6, 2)
        self.layer4 = self._stage(512, 3, 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(2048, classes)

    def _stage(self, planes, blocks, stride):
        layers = []
        for i in range(blocks):
            layers.append(Bottleneck(self.inplanes, planes, stride if i == 0 else 1))
            self.inplanes = planes * 4
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", required=True, metavar="GRAPH.convgraph.json")
    parser.add_argument("--weights-out", metavar="W.pt")
    parser.add_argument("--torchvision", metavar="W.pth",
                        help="a torchvision resnet50 state dict to load first")
    parser.add_argument("--screenshot", metavar="OUT.png",
                        help="then save the designer's window on the graph to OUT.png")
    args = parser.parse_args(argv)
    from engine.interchange.api import import_model
    from engine.interchange.files import write_graph

    torch.manual_seed(0)
    model = ResNet50().eval()
    if args.torchvision:
        model.load_state_dict(torch.load(args.torchvision, weights_only=True))
    start = time.perf_counter()
    graph, groups, weights, report = import_model(model, (3, 224, 224))
    graph.name = "ResNet-50"
    write_graph(graph, groups, args.output)
    if args.weights_out:
        from engine.runtime.weights import atomic_torch_save
        atomic_torch_save(weights, args.weights_out)
    print(f"{report.summary()}; {len(groups)} groups; wrote {args.output} "
          f"({time.perf_counter() - start:.1f} s)")
    if args.screenshot:
        import os
        import subprocess
        env = dict(os.environ)
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        main_py = Path(__file__).resolve().parents[1] / "main.py"
        done = subprocess.run([sys.executable, str(main_py), "--screenshot", args.screenshot,
                               args.output], env=env, check=False)
        if done.returncode:
            return done.returncode
        print(f"wrote {args.screenshot}")
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
