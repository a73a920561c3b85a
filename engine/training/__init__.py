"""Training a graph: tasks, data sets, the training loop, metrics and curves.

What this package owns:

- the **task**, from the graph's one output (:mod:`.tasks`): ``[K]`` logits
  are K-way classification (``"classify"``), ``[K, H, W]`` at the Input's
  size per-pixel classification (``"segment"``); anything else is a
  :class:`TaskError`;
- the **data sets** (:mod:`.data`): the generated ``shapes`` and
  ``shapes-seg`` (:mod:`.shapes`: circle, square, triangle, cross, at the
  Input's size and channels, no download) and a folder of class sub-folders
  (:mod:`.folder`); failures are :class:`DataError`;
- the **loop** (:mod:`.core` one epoch and one evaluation, :mod:`.loop`
  :func:`train`): cross-entropy, Adam or SGD, batch size, learning rate,
  epochs, seed; deterministic for a seed; CUDA when torch sees a GPU;
- **metrics and curves** (:mod:`.results`: ``metrics.json``; :mod:`.curves`:
  ``curves.png`` drawn with Pillow).

The command line is :mod:`engine.train_cli` (``main.py train``); the exported
training script (:mod:`engine.export_train`) carries verbatim copies of
:mod:`.tasks`, :mod:`.shapes`, :mod:`.folder`, :mod:`.data`, :mod:`.core` and
:mod:`.script` (its ``torchrun`` / DistributedDataParallel main), so those
modules import nothing from the engine.

The API for a caller such as the designer's worker (numpy out, like
:meth:`engine.runtime.Session.run`)::

    from engine.training import TrainConfig, train, Progress, RunCancelled

    def callback(p: Progress):          # called on the training thread
        if cancelled: raise RunCancelled  # stop: the result so far is returned
        while paused: wait()              # pause: block here; the time is not counted
        show(p.phase, p.epoch, p.step, p.steps, p.loss, p.metrics)

    result = train(graph_or_dict, "shapes", TrainConfig(epochs=5, batch=64, lr=1e-3,
                   optimizer="adam", seed=0, samples=4000), weights=None,
                   callback=callback)
    result.epochs[-1].val_acc, result.state_dict   # numpy arrays, keyed like run's

``data`` is ``"shapes"``, ``"shapes-seg"``, a folder path, or a
:class:`TrainData`. :func:`train` raises ``RuntimeGraphError``,
:class:`TaskError` or ``MemoryLimitError`` (exit 1 on the command line),
:class:`DataError` or ``WeightsError`` (exit 2); a cancel is not an error
(``TrainResult.completed`` is False). :func:`save_state_dict` writes the
weights for ``run --weights`` and the exported class.

Importing the package imports neither torch nor Qt (PEP 562: torch is loaded
by the first name that needs it: ``train``, ``save_state_dict``).
"""

from __future__ import annotations

import importlib

_WHERE = {
    "train": "loop", "graph_task": "model_task", "save_state_dict": "loop", "torch_state": "loop",
    "TrainConfig": "results", "TrainResult": "results", "EpochMetrics": "results",
    "Progress": "results", "TrainData": "data", "load_data": "data",
    "TaskError": "tasks", "DataError": "tasks", "task_from_shape": "tasks",
    "make_shapes": "shapes", "SHAPE_CLASSES": "shapes", "SEG_CLASSES": "shapes",
    "load_folder": "folder", "draw_curves": "curves", "save_curves": "curves",
}
__all__ = [*_WHERE, "RunCancelled"]


def __getattr__(name: str):
    if name == "RunCancelled":
        from ..runtime.errors import RunCancelled
        return RunCancelled
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{where}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
