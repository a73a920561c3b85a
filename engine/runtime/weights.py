"""Weights files: read with ``weights_only=True``, checked against a model, saved atomically.

Every failure is a :class:`~engine.runtime.errors.WeightsError` whose message
says what does not fit (missing or unexpected keys, shape mismatches), so the
command line and the designer can show it in one line.
"""

from __future__ import annotations

import warnings
import zipfile
from collections.abc import Mapping
from pathlib import Path

import torch

from ..atomic import atomic_write
from .errors import WeightsError

__all__ = ["load_state_dict_file", "check_state", "atomic_torch_save"]


def load_state_dict_file(path) -> dict[str, torch.Tensor]:
    """Read a weights file with ``torch.load(path, weights_only=True)``.

    Raises
    ------
    WeightsError
        Missing or unreadable file, not a file written by ``torch.save``, or
        not a state dict (a mapping of names to tensors).
    """
    p = Path(path)
    if not p.exists():
        raise WeightsError("no such file", path)
    if p.is_dir():
        raise WeightsError("is a directory, not a weights file", path)
    try:
        with warnings.catch_warnings():  # the error below says it in one line
            warnings.simplefilter("ignore")
            state = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # any failure means "not readable weights"
        text = str(exc).strip()
        if not zipfile.is_zipfile(p):
            why = "not a torch.save archive"
        elif "Weights only load failed" in text:
            why = "it holds objects other than tensors, refused by weights_only=True"
        else:
            why = (text.splitlines() or [type(exc).__name__])[0][:160]
        raise WeightsError(f"not a weights file written by torch.save ({why})",
                           path) from None
    if not isinstance(state, Mapping) or not all(
            isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()):
        raise WeightsError(f"expected a state dict (parameter name -> tensor), found "
                           f"{type(state).__name__}", path)
    for key, value in state.items():
        why = _unusable(value)
        if why:
            raise WeightsError(f"the tensor {key!r} is {why}: the model needs dense real "
                               "tensors", path)
    return dict(state)


def _unusable(t: torch.Tensor) -> str | None:
    """Why a tensor cannot be loaded into a model as it is (it would be cast or fail)."""
    if t.device.type == "meta":
        return "a meta tensor (it holds no values)"
    if t.layout != torch.strided:
        return f"a sparse tensor ({str(t.layout).removeprefix('torch.')})"
    if t.is_quantized:
        return f"a quantized tensor ({str(t.dtype).removeprefix('torch.')})"
    if t.is_complex():
        return f"a complex tensor ({str(t.dtype).removeprefix('torch.')})"
    return None


def check_state(model: torch.nn.Module, state: Mapping[str, torch.Tensor], path=None) -> None:
    """Raise :class:`WeightsError` naming every key or shape of ``state`` that
    does not fit ``model``'s ``state_dict``."""
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    wrong = [f"{k} (file {list(state[k].shape)}, graph {list(v.shape)})"
             for k, v in own.items() if k in state and tuple(state[k].shape) != tuple(v.shape)]
    if not (missing or unexpected or wrong):
        return

    def some(items):
        shown = ", ".join(items[:4])
        return shown + (f" and {len(items) - 4} more" if len(items) > 4 else "")
    parts = []
    if missing:
        parts.append(f"missing keys {some(missing)}")
    if unexpected:
        parts.append(f"unexpected keys {some(unexpected)}")
    if wrong:
        parts.append(f"shape mismatch {some(wrong)}")
    raise WeightsError("the weights do not fit this graph: " + "; ".join(parts), path)


def atomic_torch_save(obj, path) -> str:
    """``torch.save(obj)`` to ``path`` atomically (temporary file, then rename)."""
    path = Path(path)
    atomic_write(path, lambda fh: torch.save(obj, fh))
    return str(path)
