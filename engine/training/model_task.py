"""The training task of a graph (torch-free): one 2D Input, one output, and its shape.

Engine side only (the exported script decides from a forward pass instead,
with the same rule, :func:`.tasks.task_from_shape`).
"""

from __future__ import annotations

from .tasks import TaskError, task_from_shape

__all__ = ["graph_task"]


def graph_task(graph, analysis) -> tuple[str, int, str, str, tuple[int, int, int]]:
    """``(task, K, input id, output id, (C, H, W))`` of a valid graph.

    Raises
    ------
    TaskError
        Not one 2D Input and one output, or an output that fits no task.
    """
    inputs = [n for n in graph.nodes if graph.nodes[n].type == "Input"]
    outputs = [n for n in graph.nodes if not graph.successors(n)]
    if len(inputs) != 1:
        raise TaskError(f"training needs one Input, the graph has {len(inputs)} "
                        f"({', '.join(inputs)})")
    if len(outputs) != 1:
        raise TaskError(f"training needs one output, the graph has {len(outputs)} "
                        f"({', '.join(outputs)})")
    in_shape = tuple(analysis.nodes[inputs[0]].shape)
    if len(in_shape) != 3:
        raise TaskError(f"Input {inputs[0]} is a volume {list(in_shape)}: training takes "
                        "2D images")
    task, k = task_from_shape(analysis.nodes[outputs[0]].shape, in_shape[1:])
    return task, k, inputs[0], outputs[0], in_shape
