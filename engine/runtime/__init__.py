"""The torch runtime: build a graph as a module, run it, capture, weights, images.

``from engine.runtime import Session`` imports torch. The package itself is
lazy (PEP 562): importing ``engine.runtime`` or its torch-free modules
(:mod:`.errors`, :mod:`.results`, :mod:`.images`, :mod:`.process` with
:mod:`.remote` and :mod:`.wire`, :mod:`.memory`) does not import torch; the
first access to a name that needs it (``Session``, ``build_model``, ...)
does. The designer relies on this: it talks to the runtime in a separate
engine process (:mod:`.process`) and receives :class:`RunResult` objects
without loading torch itself.

The public API returns numpy arrays only, so callers (the designer's engine
panel) never touch torch objects.
"""

from __future__ import annotations

from ..lazy import lazy_attributes

#: where each public name lives (submodule of this package)
_WHERE = {
    "build_model": "build", "GraphModule": "build", "graph_info": "build",
    "run_trace": "build", "default_memory_limit": "memory", "estimate_bytes": "memory",
    "estimate_memory": "memory", "training_memory": "memory",
    "RuntimeGraphError": "errors", "MemoryLimitError": "errors", "WeightsError": "errors",
    "ImageError": "errors", "RunCancelled": "errors",
    "load_image": "images", "mosaic": "images", "save_png": "images",
    "RunResult": "results", "NodeStats": "results", "FitResult": "results",
    "prepare_input": "inputs", "DEFAULT_IMAGE": "inputs", "run_graph": "run", "Session": "run",
}
__all__ = list(_WHERE)


__getattr__, __dir__ = lazy_attributes(__name__, _WHERE, globals())
