"""The receptive-field oracle of test_receptive_field.py and test_exact_footprint.py.

The same network is built twice: as an engine graph (analysed) and in torch
with every weight 1, no bias and no nonlinearity, so that every path from an
input pixel to an output has a positive weight and nothing cancels. Max pooling
is replaced by a window of ones of the same geometry (its theoretical receptive
field is that of the window). The gradient of one output pixel with respect to
the input (float64) is then non-zero exactly on the input pixels that can
influence it: its footprint.

All layers are separable (the same along W for every row), so each axis is
probed on its own with a long input along that axis and a short one across it:
the rows (columns) with a non-zero gradient are the footprint along H (W),
whatever the other axis does at its border. Output positions are taken in the
interior, far from the border along the probed axis (checked: the footprint
never touches the first or last pixel), over more than a full period.

From the oracle: the footprint of every probed position (compared with
``rf.region``: lo, hi and the exact set, holes included), the period and the
shift per period (``rf.jump``), the largest extent (``rf.size``) and, moved
back along the grid, the centre of the region of output 0 (``rf.start``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import torch
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from torch import nn

from engine import Graph, analyze


# -- network description ---------------------------------------------------------------
@dataclass(frozen=True)
class Op:
    """One layer; per-axis values are (H, W) pairs."""

    kind: str  # conv, maxpool, avgpool, tconv, up
    k: tuple = (1, 1)
    s: tuple = (1, 1)
    p: tuple | str = (0, 0)
    d: tuple = (1, 1)
    ceil: bool = False
    scale: float = 1.0
    mode: str = "nearest"

    def engine(self):
        if self.kind == "conv":
            return "Conv2d", {"out_channels": 1, "kernel_size": list(self.k),
                              "stride": list(self.s), "dilation": list(self.d), "bias": False,
                              "padding": self.p if isinstance(self.p, str) else list(self.p)}
        if self.kind == "maxpool":
            return "MaxPool2d", {"kernel_size": list(self.k), "stride": list(self.s),
                                 "padding": list(self.p), "dilation": list(self.d),
                                 "ceil_mode": self.ceil}
        if self.kind == "avgpool":
            return "AvgPool2d", {"kernel_size": list(self.k), "stride": list(self.s),
                                 "padding": list(self.p), "ceil_mode": self.ceil}
        if self.kind == "tconv":
            return "ConvTranspose2d", {"out_channels": 1, "kernel_size": list(self.k),
                                       "stride": list(self.s), "padding": list(self.p),
                                       "dilation": list(self.d), "bias": False}
        assert self.kind == "up"
        return "Upsample", {"scale_factor": self.scale, "mode": self.mode,
                            "align_corners": False if self.mode == "bilinear" else None}

    def torch(self, cin: int) -> tuple[nn.Module, int]:
        """The oracle module (all weights 1) and its output channels."""
        if self.kind == "conv":
            m = nn.Conv2d(cin, 1, self.k, self.s, self.p, self.d, bias=False)
        elif self.kind == "maxpool" and not self.ceil:
            m = nn.Conv2d(cin, cin, self.k, self.s, self.p, self.d, groups=cin, bias=False)
        elif self.kind in ("maxpool", "avgpool"):
            assert self.d == (1, 1)
            return nn.AvgPool2d(self.k, self.s, self.p, ceil_mode=self.ceil), cin
        elif self.kind == "tconv":
            m = nn.ConvTranspose2d(cin, 1, self.k, self.s, self.p, 0, 1, False, self.d)
        else:
            return nn.Upsample(scale_factor=self.scale, mode=self.mode,
                               align_corners=False if self.mode == "bilinear" else None), cin
        with torch.no_grad():
            m.weight.fill_(1.0)
        return m, m.out_channels


@dataclass(frozen=True)
class Net:
    """Input → trunk → optional two branches merged (Add/Concat) → tail."""

    trunk: tuple = ()
    branches: tuple = ()  # () or (ops_a, ops_b)
    merge: str = "Add"
    tail: tuple = ()

    def all_ops(self):
        return [*self.trunk, *(o for b in self.branches for o in b), *self.tail]


def build_graph(net: Net, h: int, w: int) -> tuple[Graph, str]:
    g = Graph("rf")
    g.add_node("Input", {"channels": 1, "height": h, "width": w}, "x")
    counter = iter(range(1000))

    def chain(src, ops):
        for op in ops:
            t, params = op.engine()
            nid = g.add_node(t, params, f"n{next(counter)}")
            g.connect(src, nid)
            src = nid
        return src

    last = chain("x", net.trunk)
    if net.branches:
        a = chain(last, net.branches[0])
        b = chain(last, net.branches[1])
        m = g.add_node(net.merge, {}, "merge")
        g.connect(a, m, 0)
        g.connect(b, m, 1)
        last = m
    return g, chain(last, net.tail)


class TorchNet(nn.Module):
    def __init__(self, net: Net):
        super().__init__()
        self.net = net

        def seq(ops, cin):
            mods = []
            for op in ops:
                m, cin = op.torch(cin)
                mods.append(m)
            return nn.Sequential(*mods), cin

        self.trunk, c = seq(net.trunk, 1)
        if net.branches:
            self.a, ca = seq(net.branches[0], c)
            self.b, cb = seq(net.branches[1], c)
            c = ca + cb if net.merge == "Concat" else ca
        self.tail, _ = seq(net.tail, c)

    def forward(self, x):
        x = self.trunk(x)
        if self.net.branches:
            a, b = self.a(x), self.b(x)
            x = torch.cat([a, b], 1) if self.net.merge == "Concat" else a + b
        return self.tail(x)


# -- independent bounds (to size the input; the oracle checks they were enough) -----------
def bounds(net: Net, axis: int):
    """Jump, an upper bound of the RF extent and of the offset of output 0, a period bound."""

    def walk(ops, j, e, s, per):
        for op in ops:
            if op.kind == "up":
                e += 3 * j
                s += 3 * j
                f = Fraction(op.scale).limit_denominator(64)
                j /= f
                per *= f.numerator
                finest[0] = min(finest[0], j)
                continue
            k, st_, d = op.k[axis], op.s[axis], op.d[axis]
            p = op.p[axis] if not isinstance(op.p, str) else d * (k - 1)
            if op.kind == "tconv":
                e += (d * (k - 1) + st_) * j
                s += (p + d * (k - 1) + st_) * j
                j /= st_
                per *= st_
                finest[0] = min(finest[0], j)
            else:
                e += d * (k - 1) * j
                s += (p + d * (k - 1)) * j
                j *= st_
        return j, e, s, per

    finest = [Fraction(1)]
    j, e, s, per = walk(net.trunk, Fraction(1), Fraction(0), Fraction(0), 1)
    if net.branches:
        outs = [walk(b, j, e, s, per) for b in net.branches]
        j = outs[0][0]
        e = max(o[1] for o in outs)
        s = max(o[2] for o in outs)
        per = math.lcm(*(o[3] for o in outs))
    return (*walk(net.tail, j, e, s, per), finest[0])


# -- the oracle ---------------------------------------------------------------------------
@dataclass
class Probe:
    positions: list  # output indices along the axis
    footprints: list = field(default_factory=list)  # sorted input pixels, per position
    regions: list = field(default_factory=list)  # engine's region, per position
    rf: object = None


class TooBig(Exception):
    """The probe would need more memory than a unit test should take."""


#: largest float64 map (batch × H × W, at the finest resolution) a probe may build
MAX_ELEMENTS = 4_000_000
#: the same for the random networks of the property tests: a smaller bound keeps each
#: example under a second (the largest, up-sampled 6× or more, took 1-2 s each)
RANDOM_MAX_ELEMENTS = 1_500_000


def footprints(net: Net, axis: int, periods: int = 2, budget: int = MAX_ELEMENTS) -> Probe:
    j, e, s, per, fine = bounds(net, axis)
    nprobe = max(4, periods * per + 1)
    o0 = math.ceil((s + e + 4) / j)
    n_long = math.ceil((o0 + nprobe) * j + s + e + 8)
    jo, eo, so, per_o, fine_o = bounds(net, 1 - axis)
    n_short = math.ceil(2 * (so + eo) + (4 + per_o) * jo + 8)
    if nprobe * n_long * n_short / (fine * fine_o) > budget:
        raise TooBig
    while True:
        h, w = (n_long, n_short) if axis == 0 else (n_short, n_long)
        g, last = build_graph(net, h, w)
        r = analyze(g)
        assert r.valid, r.errors
        shape = r.nodes[last].shape
        if shape[1 + axis] >= o0 + nprobe:
            break
        n_long += math.ceil(nprobe * j) + 8
    # across the probed axis, a whole period of outputs: some of them are reached
    # (a transposed conv with k < s leaves outputs that no input reaches)
    other = max(0, (shape[2 - axis] - per_o) // 2)
    across = slice(other, other + per_o)
    positions = list(range(o0, o0 + nprobe))
    model = TorchNet(net).double()
    x = torch.zeros(len(positions), 1, h, w, dtype=torch.float64, requires_grad=True)
    y = model(x)
    assert tuple(y.shape[1:]) == shape  # shapes agree with torch too
    sel = [(b, o, across) if axis == 0 else (b, across, o) for b, o in enumerate(positions)]
    total = sum(y[b, :, i, k].sum() for b, i, k in sel)
    total.backward()
    grad = x.grad[:, 0]
    rf = r.nodes[last].rf
    probe = Probe(positions, rf=rf)
    for b, o in enumerate(positions):
        gmap = grad[b].abs()
        line = gmap.amax(dim=1 - axis)  # per pixel along the probed axis
        cross = gmap.amax(dim=axis)
        top = float(line.max())
        pix = [int(i) for i in torch.nonzero(line > top * 1e-10).flatten()] if top > 0 else []
        if pix:
            assert pix[0] > 0 and pix[-1] < line.numel() - 1, "probe not interior: enlarge"
            assert bool((cross > 0).any())
        probe.footprints.append(pix)
        index = (o, other) if axis == 0 else (other, o)
        probe.regions.append(rf.region(index)[axis])
    return probe


def oracle_period(fp: list[list[int]]):
    """Smallest P with fp[i + P] == fp[i] + shift for every probed i; returns (P, shift)."""
    for p in range(1, len(fp) // 2 + 1):
        first = next((i for i in range(p) if fp[i] and fp[i + p]), None)
        if first is None:
            continue
        shift = fp[first + p][0] - fp[first][0]
        if all([v + shift for v in fp[i]] == fp[i + p] for i in range(len(fp) - p)):
            return p, shift
    raise AssertionError("no period within the probed window")


def check(net: Net, budget: int = MAX_ELEMENTS):
    """Compare the analysis with the oracle along both axes (``TooBig`` above ``budget``)."""
    probes = [footprints(net, axis, budget=budget) for axis in (0, 1)]
    dead = [not any(p.footprints) for p in probes]
    if any(dead):
        # no input pixel reaches any output (e.g. a stride that only reads the zeros a
        # transposed conv inserted): the dead axis has size 0, the other can't be observed
        for axis in (0, 1):
            if dead[axis] and not dead[1 - axis]:
                raise AssertionError("an axis without any footprint hides the other")
        assert 0 in probes[0].rf.size, probes[0].rf
        for axis, probe in enumerate(probes):
            if probe.rf.size[axis] == 0:
                assert all(r is None for r in probe.regions)
        return
    for axis, probe in enumerate(probes):
        rf = probe.rf
        where = f"axis {'HW'[axis]} of {net}"
        assert not rf.is_global and not rf.deformable
        # the exact footprint of every probed position (holes included)
        for o, fp, region in zip(probe.positions, probe.footprints, probe.regions,
                                 strict=True):
            if not fp:
                assert region is None, (where, o, region)
                continue
            assert region is not None, (where, o, fp)
            lo, hi, pos = region
            assert (lo, hi) == (fp[0], fp[-1]), (where, o, region, fp)
            assert pos == fp, (where, o, pos, fp)
        # size: the largest extent; jump: the shift per period over the period
        assert rf.size[axis] == max(fp[-1] - fp[0] + 1 for fp in probe.footprints if fp), where
        period, shift = oracle_period(probe.footprints)
        assert math.isclose(rf.jump[axis], shift / period, rel_tol=1e-12), \
            (where, rf.jump, shift, period)
        # start: centre of the region of output 0, from a position of residue 0
        i0 = next((i for i, o in enumerate(probe.positions)
                   if o % period == 0 and probe.footprints[i]), None)
        if i0 is not None:
            fp = probe.footprints[i0]
            back = probe.positions[i0] // period * shift
            assert math.isclose(rf.start[axis], (fp[0] + fp[-1]) / 2 - back, abs_tol=1e-9), \
                (where, rf.start, fp, back)



# -- layer constructors ------------------------------------------------------------------
def pair(v):
    return v if isinstance(v, tuple) else (v, v)


def conv(k, s=1, p=0, d=1):
    return Op("conv", pair(k), pair(s), p if isinstance(p, str) else pair(p), pair(d))


def tconv(k, s=1, p=0, d=1):
    return Op("tconv", pair(k), pair(s), pair(p), pair(d))


def pool(kind, k, s=None, p=0, d=1, ceil=False):
    return Op(kind, pair(k), pair(k if s is None else s), pair(p), pair(d), ceil)


def up(scale, mode="nearest"):
    return Op("up", scale=scale, mode=mode)


# -- random networks -------------------------------------------------------------------
def pairs(lo, hi):
    return st.one_of(st.integers(lo, hi).map(lambda v: (v, v)),
                     st.tuples(st.integers(lo, hi), st.integers(lo, hi)))


@st.composite
def conv_ops(draw, stride=True):
    k = draw(pairs(1, 5))
    d = draw(pairs(1, 3))
    s = draw(pairs(1, 2 if stride else 1))
    if s == (1, 1) and draw(st.booleans()):
        p = "same"
    else:
        p = draw(pairs(0, 3))
    return Op("conv", k, s, p, d)


@st.composite
def pool_ops(draw):
    kind = draw(st.sampled_from(["maxpool", "avgpool"]))
    k = draw(pairs(1, 3))
    s = draw(pairs(1, 3))
    p = tuple(draw(st.integers(0, kk // 2)) for kk in k)
    ceil = draw(st.booleans())
    d = (1, 1) if kind == "avgpool" or ceil else draw(pairs(1, 2))
    return Op(kind, k, s, p, d, ceil)


@st.composite
def tconv_ops(draw):
    k = draw(pairs(1, 4))
    s = draw(pairs(1, 3))
    d = draw(pairs(1, 2))
    p = tuple(draw(st.integers(0, dd * (kk - 1))) for kk, dd in zip(k, d, strict=True))
    return Op("tconv", k, s, p, d)


up_ops = st.builds(up, st.sampled_from([2.0, 3.0, 1.5, 2.5, 0.5]),
                   st.sampled_from(["nearest", "bilinear"]))


@st.composite
def chains(draw, max_ups=1):
    ops, ups = [], 0
    for _ in range(draw(st.integers(1, 4))):
        strat = [conv_ops(), conv_ops(), pool_ops(), tconv_ops()]
        if ups < max_ups:
            strat.append(up_ops)
        op = draw(st.one_of(*strat))
        ups += op.kind in ("up", "tconv")
        ops.append(op)
    return tuple(ops)


@st.composite
def size_preserving(draw):
    """Stride-1 ops that keep the size: branches of a merge must agree in shape."""
    ops = []
    for _ in range(draw(st.integers(1, 2))):
        if draw(st.booleans()):
            ops.append(Op("conv", draw(pairs(1, 4)), (1, 1), "same", draw(pairs(1, 3))))
        else:
            k = draw(st.sampled_from([1, 3, 5]))
            ops.append(pool(draw(st.sampled_from(["maxpool", "avgpool"])), k, 1, k // 2))
    return tuple(ops)


FEW = settings(max_examples=25, deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                      HealthCheck.filter_too_much])

