"""The harness of the catalogue-against-torch tests (test_catalogue_conv.py and
test_catalogue_layers.py).

For random valid (and some invalid) parameters of every type in
``engine.CATALOGUE`` the test builds the equivalent module(s) directly from
``torch.nn`` (not through ``engine.runtime`` / ``engine.nnlib``), runs them on a
tensor of the analysed input shape and compares:

- output shape (batch dimension dropped) with the analysis' shape,
- ``sum(p.numel())`` with the analysis' parameter count,
- the MACs with the formulas of graph-format.md, evaluated here on torch's own
  shapes,
- failure: where torch refuses the shapes/parameters the analysis must report an
  error, and vice versa (for the shape-level rules both sides share).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from torch import nn

from engine import Graph, GraphEditError, analyze

FEW = settings(max_examples=30, deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
SOME = settings(FEW, max_examples=60)
MANY = settings(FEW, max_examples=120)

TORCH_ERRORS = (RuntimeError, ValueError, IndexError)


# -- harness -----------------------------------------------------------------------
@dataclass
class Got:
    error: str | None = None
    shape: tuple | None = None
    params: int | None = None
    macs: int | None = None


def add_inputs(g: Graph, shapes) -> list[str]:
    """One Input per shape; a 1-D shape [F] is an Input F×1×1 then a Flatten."""
    ids = []
    for i, shp in enumerate(shapes):
        if len(shp) == 1:
            g.add_node("Input", {"channels": shp[0], "height": 1, "width": 1}, f"in{i}")
            g.add_node("Flatten", {}, f"flat{i}")
            g.connect(f"in{i}", f"flat{i}")
            ids.append(f"flat{i}")
        elif len(shp) == 3:
            g.add_node("Input", {"channels": shp[0], "height": shp[1], "width": shp[2]},
                       f"in{i}")
            ids.append(f"in{i}")
        else:
            g.add_node("Input", {"channels": shp[0], "depth": shp[1], "height": shp[2],
                                 "width": shp[3]}, f"in{i}")
            ids.append(f"in{i}")
    return ids


def engine_node(shapes, type_name, params) -> Got:
    """Analyse Input(s) → one node of ``type_name``; an edit refusal counts as error."""
    g = Graph("probe")
    srcs = add_inputs(g, shapes)
    try:
        g.add_node(type_name, params, "n")
    except GraphEditError as exc:
        return Got(error=exc.message)
    for port, s in enumerate(srcs):
        g.connect(s, "n", port)
    r = analyze(g)
    nr = r.nodes["n"]
    others = [e for e in r.errors if e.node != "n"]
    assert not others, others
    if nr.error is not None:
        assert nr.shape is None and nr.params is None
        return Got(error=nr.error.message)
    assert r.valid
    assert isinstance(nr.params, int) and isinstance(nr.macs, int)
    return Got(shape=tuple(nr.shape), params=nr.params, macs=nr.macs)


def nparams(*modules) -> int:
    return sum(p.numel() for m in modules for p in m.parameters())


def run_torch(fn, shapes) -> Got:
    """``fn(xs) -> (output, params, macs)`` on zero tensors of ``shapes`` (batch 1)."""
    xs = [torch.zeros(1, *s) for s in shapes]
    try:
        with torch.no_grad():
            y, p, macs = fn(xs)
    except TORCH_ERRORS as exc:
        return Got(error=f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    if y.numel() == 0:  # some torch kernels return an empty tensor instead of failing
        return Got(error=f"empty output {tuple(y.shape)}")
    return Got(shape=tuple(y.shape[1:]), params=p, macs=macs)


def compare(eng: Got, ref: Got, what=""):
    if ref.error is not None:
        assert eng.error is not None, f"{what}: torch fails ({ref.error}) but the analysis " \
                                      f"accepts it as {eng.shape}"
        return
    assert eng.error is None, f"{what}: torch gives {ref.shape} but the analysis says " \
                              f"{eng.error!r}"
    assert eng.shape == ref.shape, what
    assert eng.params == ref.params, what
    assert eng.macs == ref.macs, what


def batched(x, dims):
    """torch reads a tensor one rank short as unbatched: refuse that as the engine does."""
    if x.dim() != dims + 2:
        raise RuntimeError(f"expected a batched {dims}D input, got {tuple(x.shape)}")
    return x


def conv_macs(conv: nn.Module, y) -> int:
    """Spec: C_out · prod(out spatial) · (C_in / groups) · prod(kernel)."""
    return (conv.out_channels * math.prod(y.shape[2:]) * (conv.in_channels // conv.groups)
            * math.prod(conv.kernel_size))


def tconv_macs(conv: nn.Module, x) -> int:
    """Spec: C_in · prod(in spatial) · (C_out / groups) · prod(kernel)."""
    return (conv.in_channels * math.prod(x.shape[2:]) * (conv.out_channels // conv.groups)
            * math.prod(conv.kernel_size))


# -- strategies -----------------------------------------------------------------------
def per_axis(n, lo, hi):
    """An int or a list of ``n`` ints (the graph file accepts both)."""
    return st.one_of(st.integers(lo, hi), st.lists(st.integers(lo, hi), min_size=n,
                                                   max_size=n))


def as_tuple(v, n):
    return tuple(v) if isinstance(v, list) else (v,) * n


def shape_of(draw, dims, c=None, lo=1, hi=12):
    c = draw(st.integers(1, 12)) if c is None else c
    if dims == 1:
        return (c,)
    return (c, *(draw(st.integers(lo, hi)) for _ in range(dims)))


def any_rank_shape(draw, c=None):
    dims = draw(st.sampled_from([1, 2, 2, 3]))
    return shape_of(draw, dims, c, hi=7 if dims == 3 else 10)


def conv2d_padding(pad):
    return pad if isinstance(pad, str) else as_tuple(pad, 2)
