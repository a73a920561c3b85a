"""Export a graph to ONNX (``main.py export GRAPH -o MODEL.onnx``); imports torch, onnx.

The graph is built by the runtime (:func:`engine.runtime.build_model`, seeded, or with
the given weights) and exported with torch's dynamo exporter (``torch.onnx.export(...,
dynamo=True)``, opset 18; 19 when the graph holds a deformable convolution). Inputs
are named ``input`` (by Input id when there are several), outputs by node id.

Deformable convolutions are exported as ONNX ``DeformConv`` (opset 19): during the
export each DeformConv2d module's forward calls the custom operator
``convcanvas::deform_conv2d`` (it computes :func:`engine.deform.deform_conv2d`), which
a custom translation writes as one ``DeformConv`` node fed by the offset conv (and the
sigmoid of its mask channels); onnxruntime computes it on the CPU. The rest of the
graph maps through torch's own ONNX functions.

A graph holding an Opaque node is refused (:class:`OnnxExportError`, naming the node).
"""

from __future__ import annotations

import types
import warnings
from pathlib import Path

import torch

from ..atomic import atomic_write
from ..catalogue.interchange import T, module_type
from ..runtime.build import build_model, graph_info
from ..runtime.errors import MemoryLimitError, RuntimeGraphError
from ..runtime.weights import check_state, load_state_dict_file

__all__ = ["export_onnx", "OnnxExportError", "onnx_names", "OPSET"]

#: the opset written (DeformConv needs 19)
OPSET = 18


class OnnxExportError(Exception):
    """The graph cannot be exported (errors, an Opaque node); exit 1."""


@torch.library.custom_op("convcanvas::deform_conv2d", mutates_args=())
def _deform_op(x: torch.Tensor, offset: torch.Tensor, weight: torch.Tensor,
               bias: torch.Tensor | None, mask: torch.Tensor | None, stride: list[int],
               padding: list[int], dilation: list[int], groups: int,
               offset_groups: int) -> torch.Tensor:
    from ..deform import deform_conv2d
    return deform_conv2d(x, offset, weight, bias, stride=tuple(stride),
                         padding=tuple(padding), dilation=tuple(dilation), mask=mask)


@_deform_op.register_fake
def _deform_fake(x, offset, weight, bias, mask, stride, padding, dilation, groups,
                 offset_groups):
    return x.new_empty((x.shape[0], weight.shape[0], offset.shape[2], offset.shape[3]))


def _deform_onnx(x, offset, weight, bias, mask, stride, padding, dilation, groups,
                 offset_groups):
    from onnxscript import opset19 as op
    return op.DeformConv(x, weight, offset, bias, mask, strides=stride,
                         pads=[padding[0], padding[1], padding[0], padding[1]],
                         dilations=dilation, group=groups, offset_group=offset_groups)


def _deform_forward(self, x):
    """DeformConv2d.forward through the custom operator (same arithmetic)."""
    if self.pre_pad is not None:
        x = torch.nn.functional.pad(x, self.pre_pad)
    out = self.offset_conv(x)
    n = 2 * self.offset_groups * self.kernel_size[0] * self.kernel_size[1]
    mask = torch.sigmoid(out[:, n:]) if self.modulated else None
    return _deform_op(x, out[:, :n], self.weight, self.bias, mask, list(self.stride),
                      list(self.padding), list(self.dilation), self.groups,
                      self.offset_groups)


def onnx_names(graph) -> tuple[list[str], list[str]]:
    """``(input names, output names)`` of the ONNX model of ``graph``."""
    inputs = [n for n in graph.nodes if graph.nodes[n].type == "Input"]
    outputs = [n for n in graph.nodes if not graph.successors(n)]
    return (["input"] if len(inputs) == 1 else inputs), outputs


def export_onnx(graph, path=None, *, weights=None, seed: int = 0):
    """Export ``graph`` to ONNX; returns the ``onnx.ModelProto`` (and writes ``path``).

    Parameters
    ----------
    graph : Graph
    path : str or Path, optional
        Written atomically.
    weights : str, Path or dict, optional
        A weights file (``torch.load(..., weights_only=True)``) or a state dict; default
        the seeded initial weights.
    seed : int

    Raises
    ------
    OnnxExportError
        Graph errors or an Opaque node (the message names it).
    WeightsError
        The weights cannot be read or do not fit.
    """
    try:
        model = build_model(graph, seed)
    except (RuntimeGraphError, MemoryLimitError) as exc:
        raise OnnxExportError(str(exc)) from None
    if weights is not None:
        state = weights if isinstance(weights, dict) else load_state_dict_file(weights)
        check_state(model, state, None if isinstance(weights, dict) else str(weights))
        model.load_state_dict(state, strict=True)
    deform = False
    for module in model.modules():
        if module_type(module) == T.deform_conv and hasattr(module, "offset_conv"):
            module.forward = types.MethodType(_deform_forward, module)
            deform = True
    info = graph_info(model)
    example = tuple(torch.zeros((1, *info.shapes[i])) for i in info.input_ids)
    in_names, out_names = onnx_names(graph)
    table = {torch.ops.convcanvas.deform_conv2d.default: _deform_onnx} if deform else None
    with warnings.catch_warnings(), _quiet():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(
            model, example, None, dynamo=True, opset_version=19 if deform else OPSET,
            input_names=in_names, output_names=out_names, custom_translation_table=table,
            verbose=False, optimize=True)
    proto = program.model_proto
    for node in proto.graph.node:  # no stack traces (the engine's paths) in the file
        keep = [p for p in node.metadata_props if p.key in ("namespace",
                                                             "pkg.torch.onnx.name_scopes")]
        del node.metadata_props[:]
        node.metadata_props.extend(keep)
    proto.producer_name = "ConvCanvas"
    if path is not None:
        data = proto.SerializeToString()
        atomic_write(Path(path), lambda fh: fh.write(data))
    return proto


class _quiet:
    """Silence torch's exporter chatter on stdout/stderr (progress lines, warnings)."""

    def __enter__(self):
        import contextlib
        import io
        import logging
        self._stack = contextlib.ExitStack()
        self._stack.enter_context(contextlib.redirect_stdout(io.StringIO()))
        self._levels = {}
        for name in ("torch.onnx", "torch.export", "torch._export", "onnxscript"):
            log = logging.getLogger(name)
            self._levels[name] = log.level
            log.setLevel(logging.ERROR)
        return self

    def __exit__(self, *exc):
        import logging
        for name, level in self._levels.items():
            logging.getLogger(name).setLevel(level)
        self._stack.close()
        return False
