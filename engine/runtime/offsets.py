"""The short built-in fit that makes a deformable conv's offsets move (the Offsets tab).

Which nodes have learned offsets, and which submodule predicts them, is the
catalogue's word: the kind's ``"offsets"`` capture (``kind.captures``,
recorded per node in :attr:`~engine.runtime.build.GraphInfo.captures`).

The target is the node's own output when every kernel's sampling grid is
rotated by ``angle`` degrees about its centre: offsets ``R(angle) p - p`` for
each tap ``p`` (relative to the kernel centre, dilation included), the same
at every position, computed with the current main weights (and masks) on
the node's current input. A few Adam steps on the offset conv (learning rate
``lr`` for the bias, ``lr / fan_in`` for the weights) minimise the mean
squared error to it, normalised by the target's variance; the offsets turn
towards the rotated grid. Only the offset conv changes, and its weights
before the first fit are kept so that :func:`reset_offsets` can undo it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..deform import deform_conv2d
from .arrays import numpy_view
from .build import GraphModule, graph_info, run_trace, split_offsets
from .errors import RunCancelled
from .results import FitResult

__all__ = ["OFFSETS", "offset_modules", "fit_offsets", "reset_offsets", "rotation_offsets"]

#: The capture role of a module's learned sampling offsets (``LayerKind.captures``).
OFFSETS = "offsets"

#: What :func:`fit_offsets` keeps to undo a fit: node id -> the offset conv's
#: ``state_dict`` before the first fit.
Saved = dict[str, dict[str, torch.Tensor]]


def offset_modules(model: GraphModule, node_id: str) -> tuple[nn.Module, nn.Module]:
    """The node's module and the submodule that predicts its offsets.

    Raises
    ------
    ValueError
        The node's kind captures no ``"offsets"`` (or there is no such node).
    """
    sub = next((s for n, role, s in graph_info(model).captures
                if n == node_id and role == OFFSETS), None)
    if sub is None:
        raise ValueError(f"{node_id!r} is not a node with learned offsets")
    module = model.get_submodule(node_id)
    return module, module.get_submodule(sub)


def rotation_offsets(module: nn.Module, angle: float) -> torch.Tensor:
    """Per offset channel, the offset that rotates the module's kernel grid by ``angle``°."""
    kh, kw = module.kernel_size
    dh, dw = module.dilation
    a = math.radians(angle)
    ca, sa = math.cos(a), math.sin(a)
    vals = []
    for i in range(kh):
        for j in range(kw):
            py, px = (i - (kh - 1) / 2) * dh, (j - (kw - 1) / 2) * dw
            ry, rx = ca * py - sa * px, sa * py + ca * px
            vals.extend((ry - py, rx - px))
    return torch.tensor(vals * module.offset_groups, dtype=torch.float32)


def fit_offsets(model: GraphModule, inputs: Mapping[str, torch.Tensor], node_id: str,
                saved: Saved, steps: int = 30,
                callback: Callable[[int, int, float], Any] | None = None, *,
                angle: float = 30.0, lr: float = 0.05) -> FitResult:
    """Fit the offsets of ``node_id`` for ``steps`` Adam steps (see the module docstring).

    ``inputs`` are the model's current inputs (by Input id); ``saved`` keeps
    the offset conv's weights before the first fit (for :func:`reset_offsets`).
    ``callback(done, steps, loss)`` after each step may raise
    :class:`RunCancelled` to stop early (the result so far is returned).
    """
    module, conv = offset_modules(model, node_id)
    saved.setdefault(node_id, {k: v.detach().clone() for k, v in conv.state_dict().items()})
    src = graph_info(model).sources[node_id][0]
    with torch.no_grad():
        trace = run_trace(model, inputs, until=src)
        x = trace.activations[src].detach()
        padded = x if module.pre_pad is None else F.pad(x, module.pre_pad)  # uneven "same"
        off0, mask0 = split_offsets(module, conv(padded))
        target_off = rotation_offsets(module, angle).to(x.dtype)
        target_off = target_off.view(1, -1, 1, 1).expand_as(off0).contiguous()
        mask_t = None if mask0 is None else mask0.detach()
        target = deform_conv2d(padded, target_off, module.weight, module.bias,
                               stride=module.stride, padding=module.padding,
                               dilation=module.dilation, mask=mask_t)
        scale = float(target.var()) + 1e-8
    fan_in = conv.weight[0].numel()
    opt = torch.optim.Adam([{"params": [conv.bias], "lr": lr},
                            {"params": [conv.weight], "lr": lr / fan_in}])
    losses: list[float] = []
    done = 0
    try:
        with torch.enable_grad():
            for done in range(1, int(steps) + 1):
                opt.zero_grad(set_to_none=True)
                loss = F.mse_loss(module(x), target) / scale
                losses.append(loss.detach().item())
                loss.backward()
                opt.step()
                if callback is not None:
                    callback(done, int(steps), losses[-1])
    except RunCancelled:
        pass
    finally:
        for p in module.parameters():
            p.grad = None
    with torch.no_grad():
        off, mask = split_offsets(module, conv(padded))
        losses.append(float(F.mse_loss(module(x), target) / scale))
    return FitResult(node_id, tuple(losses), numpy_view(off[0].clone()),
                     None if mask is None else numpy_view(mask[0].clone()),
                     numpy_view(target_off[0, :, 0, 0].clone()), float(angle), done)


def reset_offsets(model: GraphModule, node_id: str, saved: Saved) -> None:
    """Undo :func:`fit_offsets` on ``node_id`` (back to the offsets before the first fit)."""
    weights = saved.pop(node_id, None)
    if weights is not None:
        offset_modules(model, node_id)[1].load_state_dict(weights)
