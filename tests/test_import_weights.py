"""The weights ``import_model`` returns are copies of their own: float32, contiguous,
equal to the source's, and untouched when the source module changes afterwards (each
weight is copied exactly once, in ``engine.interchange.api``)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.torch


def test_imported_weights_are_equal_copies():
    from engine.interchange import import_model

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4),
                                torch.nn.ReLU(), torch.nn.Flatten(),
                                torch.nn.Linear(4 * 6 * 6, 5)).eval()
    _graph, _groups, weights, _report = import_model(model, (3, 8, 8))
    source = list(model.state_dict().values())
    assert len(weights) == len(source)
    for value, original in zip(weights.values(), source, strict=True):
        assert value.is_contiguous() and value.dtype == original.dtype
        assert torch.equal(value, original)
        assert value.data_ptr() != original.data_ptr()  # a copy, not the module's tensor
    before = {k: v.clone() for k, v in weights.items()}
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    assert all(torch.equal(weights[k], before[k]) for k in weights)
