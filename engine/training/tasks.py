"""What a graph's output asks of training, and the two errors of training data.

Pure Python (no torch, no numpy), self-contained: the exported training script
(:mod:`engine.export_train`) carries a verbatim copy of this module, so the
engine and the script decide the task by the same rule.

- a ``[K]`` output (K >= 2) is K-way classification (``"classify"``);
- a ``[K, H, W]`` output with the Input's H and W is per-pixel
  classification (``"segment"``);
- anything else fits no task (:class:`TaskError`, exit 1 on the command line).
"""

from __future__ import annotations

CLASSIFY = "classify"
SEGMENT = "segment"


class TaskError(ValueError):
    """The graph's output fits no task, or not the data's classes (exit 1)."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class DataError(ValueError):
    """The training data cannot be read or made (exit 2)."""

    def __init__(self, message, path=None):
        self.path = None if path is None else str(path)
        self.message = f"{self.path}: {message}" if self.path else message
        super().__init__(self.message)


def task_from_shape(output_shape, input_hw):
    """``(task, K)`` from the output shape (no batch) and the Input's ``(H, W)``.

    Raises
    ------
    TaskError
        The shape is neither ``[K]`` nor ``[K, H, W]`` at the Input's size,
        or K < 2.
    """
    shape = tuple(int(s) for s in output_shape)
    hw = tuple(int(s) for s in input_hw)
    if len(shape) == 1:
        task = CLASSIFY
    elif len(shape) == 3 and shape[1:] == hw:
        task = SEGMENT
    elif len(shape) == 3:
        raise TaskError(f"the output {list(shape)} is a map of another size than the Input "
                        f"{list(hw)}: per-pixel classification needs [K, {hw[0]}, {hw[1]}]")
    else:
        raise TaskError(f"the output {list(shape)} fits no task: training needs [K] logits "
                        "(classification) or [K, H, W] (per-pixel classification)")
    if shape[0] < 2:
        raise TaskError(f"the output {list(shape)} has {shape[0]} class: at least 2 are needed")
    return task, shape[0]


def check_classes(task, k, classes, data_name):
    """Raise :class:`TaskError` unless the output's K fits the data's class names."""
    if k != len(classes):
        what = "channels" if task == SEGMENT else "features"
        raise TaskError(f"the output has {k} {what} but {data_name} has {len(classes)} "
                        f"classes ({', '.join(classes)})")
