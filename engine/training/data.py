"""The training data named by ``--data``: ``shapes``, ``shapes-seg`` or a folder.

Self-contained (numpy; Pillow for folders): the exported training script
carries a verbatim copy of this module with :mod:`.tasks`, :mod:`.shapes` and
:mod:`.folder`, so the engine and the script train on the same arrays.

:func:`load_data` returns a :class:`TrainData`: images as uint8
``[N, C, H, W]`` (converted to float in [0, 1] one batch at a time, see
:mod:`.core`), labels as int64 ``[N]`` (classification) or uint8
``[N, H, W]`` (per-pixel), the class names, and the folder's skipped files.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .folder import folder_classes, load_folder
from .shapes import SEG_CLASSES, SHAPE_CLASSES, make_shapes, shapes_split_sizes
from .tasks import CLASSIFY, SEGMENT, TaskError, check_classes

BUILT_IN = ("shapes", "shapes-seg")


@dataclass
class TrainData:
    """Training and validation arrays (see the module docstring)."""

    name: str
    task: str
    classes: tuple
    train_x: np.ndarray
    train_y: np.ndarray
    val_x: np.ndarray
    val_y: np.ndarray
    skipped: list = field(default_factory=list)


def data_bytes(spec, channels, height, width, samples):
    """Bytes the arrays of ``spec`` will take (for a memory check before making them)."""
    if spec in BUILT_IN:
        n = sum(shapes_split_sizes(samples))
        return n * height * width * (channels + (1 if spec == "shapes-seg" else 0))
    _, files = folder_classes(spec)
    return sum(len(f) for f in files) * channels * height * width


def load_data(spec, task, k, channels, height, width, samples=4000, seed=0):
    """Make or read the data for a model with a ``task`` output of ``k`` classes.

    Parameters
    ----------
    spec : str
        ``"shapes"``, ``"shapes-seg"`` or the path of a folder of class sub-folders.
    task : str
        ``"classify"`` or ``"segment"`` (:func:`.tasks.task_from_shape`).
    k : int
        Classes of the output.
    channels, height, width : int
        The Input's size.
    samples : int, optional
        Generated training images (``shapes``): validation gets a quarter as many.
    seed : int, optional
        Fixes the generated images and the folder's validation split.

    Raises
    ------
    DataError
        The folder cannot be read (see :mod:`.folder`).
    TaskError
        The data does not fit the task or the output's class count.
    """
    spec = str(spec)
    if spec == "shapes-seg":
        if task != SEGMENT:
            raise TaskError("shapes-seg has per-pixel labels: it needs a [K, H, W] output "
                            "(use --data shapes for a [K] output)")
        check_classes(task, k, SEG_CLASSES, spec)
        d = make_shapes(samples, channels, height, width, seed)
        return TrainData(spec, task, SEG_CLASSES, d["train"][0], d["train"][2],
                         d["val"][0], d["val"][2])
    if task == SEGMENT:
        raise TaskError(f"a [K, H, W] output needs per-pixel labels: --data shapes-seg "
                        f"(not {spec})")
    if spec == "shapes":
        check_classes(task, k, SHAPE_CLASSES, spec)
        d = make_shapes(samples, channels, height, width, seed)
        return TrainData(spec, CLASSIFY, SHAPE_CLASSES, d["train"][0], d["train"][1],
                         d["val"][0], d["val"][1])
    classes, _ = folder_classes(spec)
    check_classes(task, k, classes, spec)  # before decoding every image
    d = load_folder(spec, channels, height, width, seed)
    return TrainData(spec, CLASSIFY, tuple(d["classes"]), d["train"][0], d["train"][1],
                     d["val"][0], d["val"][1], d["skipped"])
