"""engine.deform_mm: each matmul shape takes the route its first call measured faster."""

import time

import pytest
import torch

import engine.deform_mm as deform_mm
from engine.deform import deform_conv2d
from engine.deform_mm import _deform_mm, _deform_run

from .deform_reference import fresh_table, make_args

pytestmark = pytest.mark.usefixtures("torch_one_thread")

Q, X, C_OUT = 64, 576, 128  # 64 * 128 * 576 = 4.7 M multiply-adds: past the mm-only size


@pytest.fixture
def table(monkeypatch):
    """A fresh route table for the test."""
    return fresh_table(monkeypatch, deform_mm._deform_routes)


def _operands(how):
    gen = torch.Generator().manual_seed(3)
    weight = torch.randn(C_OUT, X, generator=gen)
    if how == "forward":
        return torch.randn(Q, X, generator=gen), weight, torch.randn(C_OUT, generator=gen)
    if how == "input":
        return torch.randn(Q, C_OUT, generator=gen), weight, None
    return torch.randn(Q, X, generator=gen), weight, torch.randn(Q, C_OUT, generator=gen)


def _slowed(monkeypatch, slow):
    """Make route ``slow`` take 20 ms longer; returns the list of routes run."""
    runs = []

    def run(route, how, rows, weight, other):
        runs.append(route)
        if route == slow:
            time.sleep(0.02)
        return _deform_run(route, how, rows, weight, other)

    monkeypatch.setattr(deform_mm, "_deform_run", run)
    return runs


@pytest.mark.parametrize("how", ["forward", "input", "weight"])
@pytest.mark.parametrize("slow", ["dnn", "mm"])
def test_the_first_call_of_a_shape_keeps_the_faster_route(monkeypatch, table, how, slow):
    fast = {"dnn": "mm", "mm": "dnn"}[slow]
    runs = _slowed(monkeypatch, slow)
    rows, weight, other = _operands(how)
    got = _deform_mm(how, rows, weight, other)
    assert sorted(runs) == ["dnn", "dnn", "mm", "mm"]  # each route timed twice
    assert list(table.values()) == [fast]
    # the answer is the kept route's own result, bit for bit
    assert torch.equal(got, _deform_run(fast, how, rows, weight, other))
    runs.clear()
    again = _deform_mm(how, rows, weight, other)
    assert runs == [fast] and torch.equal(again, got)


def test_both_routes_compute_the_same_product(table):
    for how in ("forward", "input", "weight"):
        rows, weight, other = _operands(how)
        r, w = rows.double(), weight.double()
        if how == "forward":
            want = r @ w.t() + other.double()
        else:
            want = r @ w if how == "input" else other.double().t() @ r
        for route in ("dnn", "mm"):
            got = _deform_run(route, how, rows, weight, other)
            torch.testing.assert_close(got.double(), want, rtol=1e-5, atol=1e-4)


def test_the_key_is_the_shape_the_bias_and_the_thread_count(monkeypatch, table):
    _slowed(monkeypatch, "dnn")
    rows, weight, bias = _operands("forward")
    _deform_mm("forward", rows, weight, bias)
    _deform_mm("forward", rows, weight, None)
    _deform_mm("forward", rows[:60].contiguous(), weight, bias)
    threads = torch.get_num_threads()
    assert set(table) == {("forward", (Q, X), (C_OUT, X), False, threads),
                          ("forward", (Q, X), (C_OUT, X), True, threads),
                          ("forward", (60, X), (C_OUT, X), False, threads)}
    torch.set_num_threads(threads + 1)
    try:
        _deform_mm("forward", rows, weight, bias)
    finally:
        torch.set_num_threads(threads)
    assert ("forward", (Q, X), (C_OUT, X), False, threads + 1) in table


def test_small_or_non_float32_matmuls_take_mm_untimed(monkeypatch, table):
    runs = _slowed(monkeypatch, None)
    rows, weight, bias = _operands("forward")
    _deform_mm("forward", rows[:8].contiguous(), weight, bias)  # 0.6 M multiply-adds
    _deform_mm("forward", rows.double(), weight.double(), bias.double())
    assert runs == ["mm", "mm"] and table == {}


def test_a_full_table_starts_again(monkeypatch, table):
    _slowed(monkeypatch, "mm")
    table.update({i: "mm" for i in range(4096)})
    rows, weight, bias = _operands("forward")
    _deform_mm("forward", rows, weight, bias)
    assert list(table.values()) == ["dnn"]


def test_a_layer_gives_the_same_bits_on_every_call(table):
    """After its first call a shape keeps its route: repeated calls are bit-identical."""
    args = make_args(seed=2, n=1, c_in=64, c_out=64, h=12, w=12, mask=True)
    args = {k: v.float() if isinstance(v, torch.Tensor) else v for k, v in args.items()}
    first = deform_conv2d(**args)
    assert table  # the matmul was past the mm-only size: a route was chosen
    for _ in range(3):
        assert torch.equal(deform_conv2d(**args), first)
