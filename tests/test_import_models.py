"""Plain-torch networks for the import tests (no torchvision, nothing downloaded), and
the check every one of them passes: zero Opaque nodes, params and MACs as torch's,
``run --weights`` outputs equal to the module's (max abs diff ≤ 1e-4).

Small on purpose (few channels, small inputs): the machines have two cores.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional

pytestmark = pytest.mark.torch


# -- ResNet (BasicBlock: 18/34, Bottleneck: 50) -------------------------------------------
class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or cin != planes:
            self.downsample = nn.Sequential(nn.Conv2d(cin, planes, 1, stride, bias=False),
                                            nn.BatchNorm2d(planes))

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, planes, stride=1):
        super().__init__()
        width = planes
        self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or cin != planes * 4:
            self.downsample = nn.Sequential(
                nn.Conv2d(cin, planes * 4, 1, stride, bias=False), nn.BatchNorm2d(planes * 4))

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


class ResNet(nn.Module):
    def __init__(self, block=BasicBlock, layers=(2, 2, 2, 2), width=8, classes=10):
        super().__init__()
        self.inplanes = width
        self.conv1 = nn.Conv2d(3, width, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make(block, width, layers[0], 1)
        self.layer2 = self._make(block, width * 2, layers[1], 2)
        self.layer3 = self._make(block, width * 4, layers[2], 2)
        self.layer4 = self._make(block, width * 8, layers[3], 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(width * 8 * block.expansion, classes)

    def _make(self, block, planes, n, stride):
        layers = []
        for i in range(n):
            layers.append(block(self.inplanes, planes, stride if i == 0 else 1))
            self.inplanes = planes * block.expansion
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)


def resnet18():
    return ResNet(BasicBlock, (2, 2, 2, 2))


def resnet50():
    return ResNet(Bottleneck, (3, 4, 6, 3), width=4)


# -- MobileNetV2 (ReLU6, inverted residuals) ----------------------------------------------
def conv_bn(cin, cout, k=3, stride=1, groups=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups,
                                   bias=False), nn.BatchNorm2d(cout), nn.ReLU6(inplace=True))


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        layers = [conv_bn(cin, hidden, 1)] if expand != 1 else []
        layers += [conv_bn(hidden, hidden, 3, stride, groups=hidden),
                   nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        self.conv = nn.Sequential(*layers)
        self.use_res_connect = stride == 1 and cin == cout

    def forward(self, x):
        if self.use_res_connect:
            return x + self.conv(x)
        return self.conv(x)


class MobileNetV2(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.features = nn.Sequential(
            conv_bn(3, 8, 3, 2), InvertedResidual(8, 8, 1, 1), InvertedResidual(8, 12, 2, 6),
            InvertedResidual(12, 12, 1, 6), InvertedResidual(12, 16, 2, 6),
            InvertedResidual(16, 16, 1, 6), conv_bn(16, 64, 1))
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(64, classes))

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(torch.flatten(x, 1))


# -- ShuffleNetV2 (chunk, view-transpose-view channel shuffle) ----------------------------
def channel_shuffle(x, groups):
    b, c, h, w = x.size()
    x = x.view(b, groups, c // groups, h, w)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(b, -1, h, w)


class ShuffleUnit(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.stride = stride
        half = cout // 2
        if stride > 1:
            self.branch1 = nn.Sequential(
                nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False), nn.BatchNorm2d(cin),
                nn.Conv2d(cin, half, 1, bias=False), nn.BatchNorm2d(half), nn.ReLU(True))
        b_in = cin if stride > 1 else half
        self.branch2 = nn.Sequential(
            nn.Conv2d(b_in, half, 1, bias=False), nn.BatchNorm2d(half), nn.ReLU(True),
            nn.Conv2d(half, half, 3, stride, 1, groups=half, bias=False), nn.BatchNorm2d(half),
            nn.Conv2d(half, half, 1, bias=False), nn.BatchNorm2d(half), nn.ReLU(True))

    def forward(self, x):
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = torch.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


class ShuffleNetV2(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8),
                                   nn.ReLU(True))
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.stage2 = nn.Sequential(ShuffleUnit(8, 16, 2), ShuffleUnit(16, 16, 1))
        self.stage3 = nn.Sequential(ShuffleUnit(16, 32, 2), ShuffleUnit(32, 32, 1))
        self.conv5 = nn.Sequential(nn.Conv2d(32, 64, 1, bias=False), nn.BatchNorm2d(64),
                                   nn.ReLU(True))
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = self.stage3(self.stage2(self.maxpool(self.conv1(x))))
        return self.fc(self.conv5(x).mean([2, 3]))


# -- the original U-Net: valid convs, centre-cropped skips --------------------------------
def double_conv(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3), nn.ReLU(inplace=True),
                         nn.Conv2d(cout, cout, 3), nn.ReLU(inplace=True))


def center_crop(enc, dec):
    _, _, h, w = dec.shape
    height, width = enc.shape[2:]
    top, left = (height - h) // 2, (width - w) // 2
    return enc[:, :, top:top + h, left:left + w]


class UNet(nn.Module):
    def __init__(self, classes=2):
        super().__init__()
        self.down1, self.down2 = double_conv(1, 4), double_conv(4, 8)
        self.pool = nn.MaxPool2d(2)
        self.bottom = double_conv(8, 16)
        self.up2, self.dec2 = nn.ConvTranspose2d(16, 8, 2, 2), double_conv(16, 8)
        self.up1, self.dec1 = nn.ConvTranspose2d(8, 4, 2, 2), double_conv(8, 4)
        self.out = nn.Conv2d(4, classes, 1)

    def forward(self, x):
        c1 = self.down1(x)
        c2 = self.down2(self.pool(c1))
        b = self.bottom(self.pool(c2))
        u2 = self.up2(b)
        d2 = self.dec2(torch.cat([center_crop(c2, u2), u2], dim=1))
        u1 = self.up1(d2)
        d1 = self.dec1(torch.cat([center_crop(c1, u1), u1], dim=1))
        return self.out(d1)


# -- SE-ResNet blocks (one SE with 1×1 convs, one with Linear layers) ---------------------
class SEModule(nn.Module):
    def __init__(self, c, r=4):
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(c, c // r, 1)
        self.relu = nn.ReLU(inplace=True)
        self.fc2 = nn.Conv2d(c // r, c, 1)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        s = self.sigmoid(self.fc2(self.relu(self.fc1(self.avg_pool(x)))))
        return x * s


class SELinear(nn.Module):
    def __init__(self, c, r=4):
        super().__init__()
        self.fc = nn.Sequential(nn.Linear(c, c // r), nn.ReLU(inplace=True),
                                nn.Linear(c // r, c), nn.Sigmoid())

    def forward(self, x):
        b, c, _, _ = x.shape
        y = self.fc(x.mean((2, 3))).view(b, c, 1, 1)
        return x * y


class SEBasicBlock(BasicBlock):
    def __init__(self, cin, planes, stride=1, linear=False):
        super().__init__(cin, planes, stride)
        self.se = SELinear(planes) if linear else SEModule(planes)

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.se(self.bn2(self.conv2(out)))
        return self.relu(out + identity)


class SEResNet(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 1, 1, bias=False), nn.BatchNorm2d(8),
                                  nn.ReLU(inplace=True))
        self.blocks = nn.Sequential(SEBasicBlock(8, 8), SEBasicBlock(8, 16, 2, linear=True),
                                    SEBasicBlock(16, 16))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.blocks(self.stem(x))), 1))


# -- DeepLab ASPP head ---------------------------------------------------------------------
class ASPPPooling(nn.Sequential):
    def __init__(self, cin, cout):
        super().__init__(nn.AdaptiveAvgPool2d(1), nn.Conv2d(cin, cout, 1, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU())

    def forward(self, x):
        size = x.shape[-2:]
        for mod in self:
            x = mod(x)
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


class ASPP(nn.Module):
    def __init__(self, cin, rates=(2, 4, 6), cout=8):
        super().__init__()
        mods = [nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout),
                              nn.ReLU())]
        mods += [nn.Sequential(nn.Conv2d(cin, cout, 3, padding=r, dilation=r, bias=False),
                               nn.BatchNorm2d(cout), nn.ReLU()) for r in rates]
        mods.append(ASPPPooling(cin, cout))
        self.convs = nn.ModuleList(mods)
        self.project = nn.Sequential(nn.Conv2d(len(mods) * cout, cout, 1, bias=False),
                                     nn.BatchNorm2d(cout), nn.ReLU(), nn.Dropout(0.5))

    def forward(self, x):
        return self.project(torch.cat([conv(x) for conv in self.convs], dim=1))


class DeepLab(nn.Module):
    def __init__(self, classes=3):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False),
                                      nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 16, 3, 1, 1))
        self.head = nn.Sequential(ASPP(16), nn.Conv2d(8, 8, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, classes, 1))

    def forward(self, x):
        size = x.shape[-2:]
        out = self.head(self.backbone(x))
        return F.interpolate(out, size=size, mode="bilinear", align_corners=False)


#: name -> (constructor, input shape C, H, W)
ZOO = {
    "resnet18": (resnet18, (3, 32, 32)),
    "resnet50": (resnet50, (3, 32, 32)),
    "mobilenetv2": (MobileNetV2, (3, 32, 32)),
    "shufflenetv2": (ShuffleNetV2, (3, 32, 32)),
    "unet": (UNet, (1, 60, 60)),
    "se_resnet": (SEResNet, (3, 16, 16)),
    "deeplab_aspp": (DeepLab, (3, 24, 24)),
}


def make(name):
    """The zoo model ``name`` in eval mode with seeded weights and random BN statistics."""
    ctor, shape = ZOO[name]
    torch.manual_seed(0)
    model = ctor().eval()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    return model, shape


def torch_macs(model, shape) -> int:
    """MACs of one forward pass counted by hand on the module's own shapes (graph-format.md's
    rule: conv ``C_out·H·W·C_in/g·k²``, transposed ``C_in·H_in·W_in·C_out/g·k²``, linear
    ``in·out``; nothing else)."""
    total = []

    def hook(m, args, out):
        x = args[0]
        k = 1
        for v in m.weight.shape[2:]:
            k *= v
        if isinstance(m, nn.ConvTranspose2d):
            total.append(x.shape[1] * x[0, 0].numel() * (m.out_channels // m.groups) * k)
        elif isinstance(m, nn.Conv2d):
            total.append(out.shape[1] * out[0, 0].numel() * (m.in_channels // m.groups) * k)
        elif isinstance(m, nn.Linear):
            total.append(m.in_features * m.out_features)
    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear))]
    with torch.no_grad():
        model(torch.zeros(1, *shape))
    for h in handles:
        h.remove()
    return sum(total)


def check_groups(graph, groups):
    """graph-format.md's rules for ``groups``."""
    ids = {g["id"] for g in groups}
    seen = set()
    for g in groups:
        assert set(g) == {"id", "name", "nodes", "parent", "collapsed"}
        assert g["parent"] is None or g["parent"] in ids
        assert g["collapsed"] is True
        for n in g["nodes"]:
            assert n in graph.nodes and n not in seen
            seen.add(n)
    for g in groups:  # no cycles
        chain, p = set(), g["parent"]
        while p is not None:
            assert p not in chain
            chain.add(p)
            p = next(h["parent"] for h in groups if h["id"] == p)


@pytest.fixture(scope="module", params=list(ZOO))
def imported(request):
    from engine.interchange import import_model
    model, shape = make(request.param)
    graph, groups, weights, report = import_model(model, shape)
    return request.param, model, shape, graph, groups, weights, report


def test_imports_with_zero_opaque_nodes(imported):
    name, _model, _shape, graph, groups, _w, report = imported
    assert report.opaque_nodes == [] and report.exit_code == 0, report.summary()
    assert all(op["status"] in ("mapped", "folded") for op in report.operations)
    assert all(n.pos is not None for n in graph.nodes.values())
    check_groups(graph, groups)


def test_params_and_macs_equal_torch(imported):
    from engine.analysis import analyze
    name, model, shape, graph, *_ = imported
    result = analyze(graph)
    assert result.valid, result.errors
    assert result.total_params == sum(p.numel() for p in model.parameters())
    assert result.total_macs == torch_macs(model, shape)


def test_run_with_imported_weights_gives_the_modules_outputs(imported):
    from engine.runtime import build_model
    name, model, shape, graph, _g, weights, _r = imported
    engine_model = build_model(graph)
    engine_model.load_state_dict(weights, strict=True)
    x = torch.randn(1, *shape, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        diff = (engine_model(x) - model(x)).abs().max().item()
    assert diff <= 1e-4


def test_the_expected_folds_and_types(imported):
    name, _m, _s, graph, groups, _w, report = imported
    types = [n.type for n in graph.nodes.values()]
    if name == "mobilenetv2":
        assert types.count("ReLU6") == 11 and types.count("Add") == 3
    if name == "shufflenetv2":
        assert types.count("ChannelShuffle") == 4 and types.count("ChannelSlice") == 4
    if name == "unet":
        crops = [n for n in graph.nodes.values() if n.type == "Crop2d"]
        assert len(crops) == 2
        assert all(n.params == {} and len(graph.inputs_of(n.id)) == 2 for n in crops)
    if name == "se_resnet":
        assert types.count("SqueezeExcitation") == 3 and "Multiply" not in types
        assert "blocks_0_se" in graph.nodes and "blocks_1_se" in graph.nodes
    if name == "deeplab_aspp":
        assert "Upsample" in types and types.count("Concat") == 1
    if name == "resnet50":
        top = [g["id"] for g in groups if g["parent"] is None]
        assert top == ["stem", "layer1", "layer2", "layer3", "layer4", "head"]
        assert [g["id"] for g in groups if g["parent"] == "layer3"] == [
            f"layer3.{i}" for i in range(6)]
        assert "layer1_0_conv1" in graph.nodes and len(graph.nodes) > 150


def test_layout_reads_top_to_bottom_with_branches_side_by_side(imported):
    name, _m, _s, graph, *_ = imported
    pos = {n.id: n.pos for n in graph.nodes.values()}
    assert all(pos[e.dst][1] > pos[e.src][1] for e in graph.edges)
    assert len(set(pos.values())) == len(pos)  # no two cards on one spot
    if name == "resnet18":  # the projection shortcut beside the block's first conv
        assert pos["layer2_0_downsample_0"][1] == pos["layer2_0_conv1"][1]
        assert pos["layer2_0_downsample_0"][0] > pos["layer2_0_conv1"][0]
