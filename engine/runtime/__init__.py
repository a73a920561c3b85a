"""The torch runtime: build a graph as a module, run it, capture, weights, images.

Import it lazily (it imports torch): ``from engine.runtime import Session``.
The public API returns numpy arrays only, so callers (the designer's engine
panel) never touch torch objects.
"""

from .build import (
    GraphModule,
    build_model,
    default_memory_limit,
    estimate_bytes,
    graph_info,
    run_trace,
)
from .errors import ImageError, MemoryLimitError, RunCancelled, RuntimeGraphError, WeightsError
from .images import load_image, mosaic, save_png
from .run import (
    DEFAULT_IMAGE,
    FitResult,
    NodeStats,
    RunResult,
    Session,
    prepare_input,
    run_graph,
)

__all__ = ["build_model", "GraphModule", "graph_info", "run_trace", "default_memory_limit",
           "estimate_bytes", "RuntimeGraphError", "MemoryLimitError", "WeightsError",
           "ImageError", "RunCancelled", "load_image", "mosaic", "save_png", "prepare_input",
           "run_graph", "RunResult", "NodeStats", "FitResult", "Session", "DEFAULT_IMAGE"]
