"""The import and ONNX-export jobs the designer asks the engine process for.

Plain data in and out, so that nothing the designer unpickles names a torch or onnx
class: :func:`import_model` takes the source and the input shape and returns the graph
file's dict (``groups`` included), the report as JSON and its summary line, and writes
the source's weights (``torch.save``) to the file the designer names, which then
becomes its current weights file; :func:`export_onnx` writes an ONNX file from a graph
dict. Every failure is an :class:`InterchangeJobError` whose one-line message names
what is wrong (the file, the shape, the operation).

Importing this module imports neither torch nor onnx: the jobs import them when they
run (in the engine process, or in the designer's worker thread without one).
"""

from __future__ import annotations

import json

__all__ = ["InterchangeJobError", "import_model", "export_onnx"]


class InterchangeJobError(Exception):
    """An import or export that failed; the message says what is wrong (torch-free)."""


def _line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


def import_model(source: str, input_shape=None, weights_path: str | None = None) -> dict:
    """Import ``source`` (cli.md's ``import`` SOURCE) as plain data.

    Parameters
    ----------
    source : str
        ``MODEL.onnx``, ``FILE.py:NAME`` or ``package.module:NAME`` (NAME is called with
        no arguments: this runs the user's own code).
    input_shape : tuple of int, optional
        ``(C, H, W)`` or ``(C, D, H, W)`` without the batch; default the ONNX model's own,
        or the first conv's channels at 224 × 224.
    weights_path : str, optional
        Where to write the source's weights (``torch.save`` of the state dict keyed by
        the graph's node ids, written atomically).

    Returns
    -------
    dict
        ``graph`` (the graph file's dict with ``groups``), ``report`` (the report's
        JSON: ``operations``, ``counts``, ``opaque_nodes``, ...), ``summary`` (one
        line), ``weights_path`` (None without one) and ``weight_count`` (tensors).

    Raises
    ------
    InterchangeJobError
        The source cannot be read, built or traced, the shape does not fit, or the
        weights cannot be written.
    """
    from .api import ImportSourceError
    from .api import import_model as run_import
    from .files import graph_text

    try:
        graph, groups, weights, report = run_import(source, input_shape)
    except ImportSourceError as exc:
        raise InterchangeJobError(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - the user's model may fail in any way
        shape = "" if input_shape is None else \
            f" with input shape {','.join(str(d) for d in input_shape)}"
        raise InterchangeJobError(f"{source}: cannot import{shape}: {type(exc).__name__}: "
                                  f"{_line(exc)}") from None
    if weights_path:
        from ..runtime.weights import atomic_torch_save
        try:
            atomic_torch_save(weights, weights_path)
        except OSError as exc:
            raise InterchangeJobError(f"{weights_path}: cannot write the imported weights: "
                                      f"{exc.strerror or exc}") from None
    return {"graph": json.loads(graph_text(graph, groups)), "report": report.to_json(),
            "summary": report.summary(), "weights_path": weights_path or None,
            "weight_count": len(weights)}


def export_onnx(graph: dict, path: str, weights: str | None = None, seed: int = 0) -> dict:
    """Write ``graph`` (a graph dict) to the ONNX file ``path``.

    Parameters
    ----------
    graph : dict
        ``Graph.to_dict()``.
    path : str
        Written atomically.
    weights : str, optional
        A weights file (``torch.load(..., weights_only=True)``); default the seeded ones.
    seed : int

    Returns
    -------
    dict
        ``path``, ``inputs`` and ``outputs`` (the ONNX model's names).

    Raises
    ------
    InterchangeJobError
        Graph errors, an Opaque node (named), weights that do not fit, or a file that
        cannot be written.
    """
    from ..graph import Graph
    from ..runtime.errors import WeightsError
    from .onnx_export import OnnxExportError, onnx_names
    from .onnx_export import export_onnx as run_export

    g = Graph.from_dict(graph)
    try:
        run_export(g, path, weights=weights, seed=int(seed))
    except OnnxExportError as exc:
        raise InterchangeJobError(str(exc)) from None
    except WeightsError as exc:
        raise InterchangeJobError(str(exc)) from None
    except OSError as exc:
        raise InterchangeJobError(f"{path}: cannot write: {exc.strerror or exc}") from None
    except Exception as exc:  # noqa: BLE001 - torch's exporter may fail in any way
        raise InterchangeJobError(f"the ONNX exporter failed: {type(exc).__name__}: "
                                  f"{_line(exc)}") from None
    inputs, outputs = onnx_names(g)
    return {"path": str(path), "inputs": inputs, "outputs": outputs}
