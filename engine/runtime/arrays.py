"""Read-only numpy views of CPU tensors: how the runtime hands results to numpy callers.

Everything the runtime returns (``RunResult``, ``FitResult``, prepared inputs)
is numpy; these views share the tensors' memory (no copy when contiguous)
and are marked read-only, so a caller cannot change what the model holds.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["numpy_view", "numpy_view0"]


def numpy_view(t: torch.Tensor) -> np.ndarray:
    """Read-only numpy view of a CPU tensor (no copy when contiguous)."""
    a = t.detach().numpy()
    a.flags.writeable = False
    return a


def numpy_view0(t: torch.Tensor) -> np.ndarray:
    """Read-only numpy view of ``t[0]`` (batch dropped; numpy indexing is cheaper)."""
    a = (t.detach() if t.requires_grad else t).numpy()[0]
    a.flags.writeable = False
    return a
