"""Training in the designer: the engine panel's Train tab.

What this package owns (torch runs in an engine process, never here):

- :mod:`.tab`: :class:`TrainTab`, the tab itself (settings, Start / Pause /
  Stop, Save weights…, status) and how it hands each epoch's weights to the
  panel (``weightsTrained``);
- :mod:`.run`: :class:`TrainingRun`, one run off the UI thread, through an
  engine process of its own (:mod:`engine.runtime.train_job` on the other side),
  with pause, resume and stop;
- :mod:`.settings` (the form), :mod:`.progress` (progress bar and ETA),
  :mod:`.curves` (live loss and accuracy, pyqtgraph), :mod:`.confusion`
  (validation confusion matrix), :mod:`.samples` (validation images with their
  predicted labels or masks), :mod:`.dataset_preview` (per-class counts and
  examples of the chosen data; unreadable files counted, unusable folders said).
"""

from .run import TrainingRun
from .tab import TrainTab

__all__ = ["TrainTab", "TrainingRun"]
