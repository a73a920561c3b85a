"""``import_model``: any supported source to a graph, its groups, weights and report.

The source is resolved here: an ``nn.Module`` (or ``FILE.py:NAME`` /
``package.module:NAME``, NAME a module class or a function returning a module, called
with no arguments: this runs the user's own code) is traced by :mod:`.fx_reader`; a
path ending in ``.onnx`` (or ONNX bytes, or a ``ModelProto``) is read by
:mod:`.onnx_reader`. Imports torch (and onnx for ONNX sources).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from .assemble import assemble

__all__ = ["import_model", "ImportSourceError", "load_source", "example_inputs"]


class ImportSourceError(Exception):
    """The source cannot be read, built or traced (``main.py import`` exits 2)."""


def _load_python(spec: str):
    target, _, name = spec.rpartition(":")
    if not target or not name.isidentifier():
        raise ImportSourceError(f"{spec}: expected FILE.py:NAME or package.module:NAME")
    try:
        if target.endswith(".py") or "/" in target or "\\" in target:
            path = Path(target)
            if not path.is_file():
                raise ImportSourceError(f"{target}: no such file")
            mod_name = f"_convcanvas_import_{abs(hash(str(path.resolve())))}"
            loader = importlib.util.spec_from_file_location(mod_name, path)
            module = importlib.util.module_from_spec(loader)
            sys.modules[mod_name] = module
            loader.loader.exec_module(module)
        else:
            module = importlib.import_module(target)
    except ImportSourceError:
        raise
    except BaseException as exc:  # the user's code may raise anything
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise ImportSourceError(f"{target}: cannot be imported: {type(exc).__name__}: "
                                f"{_line(exc)}") from None
    obj = getattr(module, name, None)
    if obj is None:
        raise ImportSourceError(f"{target} has no {name!r}")
    try:
        model = obj()
    except Exception as exc:
        raise ImportSourceError(f"{spec}: calling {name}() fails: {type(exc).__name__}: "
                                f"{_line(exc)}") from None
    if not isinstance(model, nn.Module):
        raise ImportSourceError(f"{spec}: {name}() gives a {type(model).__name__}, not an "
                                "nn.Module")
    return model, name


def _line(exc) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:200]


def load_source(source):
    """``("module", nn.Module, name)`` or ``("onnx", source, name)`` for a source."""
    if isinstance(source, nn.Module):
        return "module", source, type(source).__name__
    if isinstance(source, bytes) or type(source).__name__ == "ModelProto":
        return "onnx", source, "onnx model"
    text = str(source)
    if text.lower().endswith(".onnx"):
        return "onnx", Path(text), Path(text).stem
    model, name = _load_python(text)
    return "module", model, name


def _first_layer_shape(model: nn.Module):
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Conv3d)):
            return (m.in_channels, 224, 224) if m.weight.dim() == 4 else \
                (m.in_channels, 16, 112, 112)
    return None


def example_inputs(shapes, batch: int, seed: int = 0) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return [torch.randn((batch, *s), generator=g) for s in shapes]


def _shapes(input_shape, model):
    if input_shape is None:
        guess = _first_layer_shape(model)
        if guess is None:
            raise ImportSourceError("cannot tell the input shape: give --input-shape C,H,W")
        return [guess]
    if input_shape and isinstance(input_shape[0], int):
        return [tuple(input_shape)]
    return [tuple(s) for s in input_shape]


def _to_torch(weights: dict) -> dict[str, torch.Tensor]:
    """Tensors of their own (float32, contiguous): copied exactly once here (the readers
    hand over the source's tensors and arrays as they are)."""
    out = {}
    for k, v in weights.items():
        if isinstance(v, torch.Tensor):
            t, own = v.detach(), False
        else:
            t, own = torch.from_numpy(np.array(v, copy=True)), True
        if k.endswith("num_batches_tracked"):
            t, own = t.to(torch.long).reshape(()), own or t.dtype != torch.long
        elif t.is_floating_point() and t.dtype != torch.float32:
            t, own = t.to(torch.float32), True
        out[k] = t.contiguous() if own else t.clone(memory_format=torch.contiguous_format)
    return out


def import_model(source, input_shape=None):
    """Import a model as an editable graph.

    Parameters
    ----------
    source : nn.Module, str or path
        A module instance, ``FILE.py:NAME``, ``package.module:NAME`` (NAME an
        ``nn.Module`` class or a function returning one, called with no arguments:
        this runs that code) or a path to a ``.onnx`` file.
    input_shape : tuple of int or list of tuples, optional
        ``(C, H, W)`` (or ``(C, D, H, W)``) without the batch, one per input; default:
        the ONNX model's own, or the first conv's in_channels at 224×224.

    Returns
    -------
    graph : engine.graph.Graph
        Nodes with positions (top to bottom).
    groups : list of dict
        graph-format.md's ``groups`` from the module hierarchy, all collapsed.
    weights : dict of str to Tensor
        The source's weights keyed as the engine's ``state_dict`` (``run --weights``).
    report : Report
        Every source operation and the node it became (``report.exit_code``: 0 all
        mapped, 1 some Opaque).

    Raises
    ------
    ImportSourceError
        The source cannot be read, built or traced.
    """
    start = time.perf_counter()
    kind, obj, name = load_source(source)
    if kind == "onnx":
        from .onnx_reader import OnnxReadError, read_onnx
        try:
            net = read_onnx(obj, input_shape, name)
        except OnnxReadError as exc:
            raise ImportSourceError(str(exc)) from None
        how, classes, label = "onnx", {}, str(source) if not isinstance(
            source, bytes) else name
    else:
        from .fx_reader import BATCH, TraceError, read_module
        obj.eval()
        shapes = _shapes(input_shape, obj)
        try:
            net, how = read_module(obj, example_inputs(shapes, BATCH), name)
        except TraceError as exc:
            raise ImportSourceError(f"{name}: {exc}") from None
        classes = {p: type(m).__name__ for p, m in obj.named_modules() if p}
        label = name if isinstance(source, nn.Module) else str(source)
    graph, groups, weights, report = assemble(net, label, how, classes)
    report.seconds = time.perf_counter() - start
    return graph, groups, _to_torch(weights), report
