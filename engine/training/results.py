"""What training takes and gives back, as plain Python and numpy (no torch).

:class:`TrainConfig` (the settings), :class:`Progress` (what the callback of
:func:`engine.training.train` is told), :class:`EpochMetrics` and
:class:`TrainResult` (epochs, weights as numpy arrays, ``metrics.json``).
They pickle, so a worker or an engine process can send them on.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

OPTIMIZERS = ("adam", "sgd")
SCHEDULES = ("constant", "cosine")


@dataclass(frozen=True)
class TrainConfig:
    """Training settings.

    ``batch`` is the number of samples per step (for the exported script under
    torchrun: over all processes together). ``optimizer`` ``"adam"`` is
    :class:`torch.optim.Adam` with ``lr``; ``"sgd"`` is SGD with momentum 0.9.
    ``samples`` is the number of generated training images (``shapes``,
    ``shapes-seg``); ``seed`` fixes the initial weights, the generated data,
    the folder's validation split, the batch order and Dropout.
    """

    epochs: int = 5
    batch: int = 64
    lr: float = 1e-3
    optimizer: str = "adam"
    seed: int = 0
    samples: int = 4000
    schedule: str = "constant"
    threads: int | None = None

    def __post_init__(self):
        if self.epochs < 1 or self.batch < 1 or self.samples < 1:
            raise ValueError("epochs, batch and samples must be at least 1")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError(f"the learning rate must be a positive number, not {self.lr}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer {self.optimizer!r}: use one of {', '.join(OPTIMIZERS)}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule {self.schedule!r}: use one of {', '.join(SCHEDULES)}")
        if self.threads is not None and self.threads < 1:
            raise ValueError("threads must be at least 1")


@dataclass(frozen=True)
class EpochMetrics:
    """One epoch: mean losses, accuracies in [0, 1] (per pixel for ``segment``), seconds
    of training and validation (time spent inside the callback, e.g. paused, excluded)."""

    epoch: int
    train_loss: float
    train_acc: float
    val_loss: float
    val_acc: float
    seconds: float

    def to_json(self) -> dict:
        return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class Progress:
    """What the callback is told.

    ``phase`` is ``"data"`` (the data set is ready; ``message`` says what it is),
    ``"train"`` (after step ``step`` of ``steps`` of epoch ``epoch``; ``loss``
    is the epoch's mean loss so far) or ``"epoch"`` (epoch ``epoch`` of
    ``epochs`` is done and validated; ``metrics`` holds its figures).
    """

    phase: str
    epoch: int
    epochs: int
    step: int = 0
    steps: int = 0
    loss: float | None = None
    metrics: EpochMetrics | None = None
    message: str = ""


@dataclass
class TrainResult:
    """The outcome of :func:`engine.training.train` (numpy only).

    ``completed`` is False when the callback cancelled (the epochs finished
    before are kept, ``state_dict`` is the weights at that moment).
    ``val_iou`` is the per-class intersection over union on the validation set
    after the last epoch (``segment``; None for classes never present or
    predicted), ``val_miou`` their mean. ``state_dict`` is keyed like the
    engine's model and the exported class.
    """

    task: str
    classes: tuple
    epochs: list[EpochMetrics]
    state_dict: dict[str, np.ndarray]
    completed: bool = True
    device: str = "cpu"
    data: str = ""
    train_samples: int = 0
    val_samples: int = 0
    skipped: list = field(default_factory=list)
    val_iou: list | None = None
    val_miou: float | None = None
    config: TrainConfig = field(default_factory=TrainConfig)

    @property
    def last(self) -> EpochMetrics | None:
        return self.epochs[-1] if self.epochs else None

    def to_json(self) -> dict:
        """``metrics.json``: ``task``, ``classes``, ``epochs`` (cli.md), then the run's facts."""
        out = {"task": self.task, "classes": list(self.classes),
               "epochs": [e.to_json() for e in self.epochs],
               "completed": self.completed, "data": self.data, "device": self.device,
               "train_samples": self.train_samples, "val_samples": self.val_samples,
               "skipped": {"count": len(self.skipped), "files": list(self.skipped)},
               "config": asdict(self.config)}
        if self.val_iou is not None:
            out["val_iou"] = [None if v is None else round(v, 6) for v in self.val_iou]
            out["val_miou"] = None if self.val_miou is None else round(self.val_miou, 6)
        return out
