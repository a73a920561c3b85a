"""ConvCanvas engine: the layer catalogue, the graph model and its analysis.

No Qt, ever; torch only in the runtime modules (``engine.deform``,
``engine.runtime``, ``engine.nnlib``), so that importing ``engine`` and
analysing a graph stay fast and torch-free.
"""

from .analysis import RF, AnalysisResult, Analyzer, Issue, NodeResult, analyze
from .catalogue import CATALOGUE, FAMILIES, PRESETS
from .graph import Edge, Graph, GraphEditError, Node
from .io import GraphFileError, load_graph, save_graph

__all__ = ["load_graph", "save_graph", "analyze", "Analyzer", "AnalysisResult", "NodeResult",
           "Issue", "RF", "Graph", "Node", "Edge", "GraphEditError", "GraphFileError",
           "CATALOGUE", "FAMILIES", "PRESETS"]
