"""Interchange with other tools: importing models as graphs, exporting graphs to ONNX.

Owns: tracing ``nn.Module`` sources (``torch.fx`` symbolic tracing, ``torch.export``
as the fallback), reading ONNX models (the ``onnx`` package), mapping their operations
to the graph types, folding patterns into composite types, naming node ids, the
``groups`` made from the module hierarchy, a top-to-bottom layout, the import report,
the source's weights under the graph's names, and the ONNX export of a graph.

Modules: :mod:`.ir` (the intermediate form), :mod:`.params`, :mod:`.fold`,
:mod:`.naming`, :mod:`.groups`, :mod:`.layout`, :mod:`.report`, :mod:`.assemble`,
:mod:`.files`, :mod:`.onnx_peek` (torch-free, checked by import-linter); :mod:`.fx_reader` with
:mod:`.fx_ctx`, :mod:`.fx_ops`, :mod:`.fx_modules`, :mod:`.fx_slices` (torch);
:mod:`.onnx_reader` with :mod:`.onnx_ops`, :mod:`.onnx_ops2` (onnx, numpy; never torch);
:mod:`.onnx_export` (torch, onnx, onnxscript); :mod:`.api` (``import_model``);
:mod:`.jobs` (the import and ONNX-export jobs the designer asks the engine process for:
plain data in and out, torch loaded only when one runs). Which source operation becomes
which type is the catalogue's table (:mod:`engine.catalogue.interchange`).

The designer calls, in the engine process (it imports torch)::

    from engine.interchange import import_model
    graph, groups, weights, report = import_model("model.onnx", input_shape=(3, 224, 224))
    # graph: engine.graph.Graph with positions; groups: graph-format.md's list (collapsed);
    # weights: {"<node id>.<name>": Tensor} for load_state_dict; report.to_json(),
    # report.summary(), report.exit_code (0 all mapped, 1 some Opaque).
    # Raises ImportSourceError when the source cannot be read (the CLI's exit 2).
    # engine.interchange.files.graph_text(graph, groups) is the file with its groups.

Importing this package imports neither torch nor onnx; the names below load their
module on first use (PEP 562).
"""

from __future__ import annotations

from ..lazy import lazy_attributes

_WHERE = {"import_model": "api", "ImportSourceError": "api", "export_onnx": "onnx_export",
          "OnnxExportError": "onnx_export", "Report": "report", "write_graph": "files"}
__all__ = list(_WHERE)


__getattr__, __dir__ = lazy_attributes(__name__, _WHERE, globals())
