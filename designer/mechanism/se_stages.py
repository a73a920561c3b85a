"""The vectors of a Squeeze-and-Excitation block on one input, from a run (numpy only).

Squeeze: the mean of each channel of the block's input. Excite: a 1×1 conv
C → h with ReLU, a 1×1 conv h → C (the logits) and a sigmoid (the channel
weights). The run captures only the weights; the hidden layer needs the
block's own parameters (a state dict), found by shape: ``[h, C, 1, 1]`` then
``[C, h, 1, 1]``. Without them the logits are the sigmoid's inverse of the
weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SEStages", "se_stages"]


@dataclass(frozen=True)
class SEStages:
    """The vectors of one SE block on one input (``hidden`` None when unknown)."""

    squeeze: np.ndarray
    hidden: np.ndarray | None
    logits: np.ndarray
    weights: np.ndarray
    before: np.ndarray
    after: np.ndarray
    #: largest |sigmoid(logits) − weights| (the recomputation checked against the run)
    check: float | None = None


def _excite_params(state: dict, prefix: str, c: int):
    """The two 1×1 convs of the block in ``state`` (by shape: ``[h, C]`` then ``[C, h]``)."""
    mats = [(k, v) for k, v in state.items() if k.startswith(prefix) and k.endswith("weight")
            and np.ndim(v) == 4 and v.shape[2:] == (1, 1)]
    first = next(((k, v) for k, v in mats if v.shape[1] == c), None)
    if first is None:
        return None
    h = first[1].shape[0]
    second = next(((k, v) for k, v in mats if v.shape == (c, h, 1, 1) and k != first[0]), None)
    if second is None:
        return None

    def bias(key, n):
        b = state.get(key[:-len("weight")] + "bias")
        return np.zeros(n) if b is None else np.asarray(b, np.float64)
    return (first[1][:, :, 0, 0].astype(np.float64), bias(first[0], h),
            second[1][:, :, 0, 0].astype(np.float64), bias(second[0], c))


def se_stages(before: np.ndarray, after: np.ndarray, weights: np.ndarray,
              state: dict | None = None, prefix: str = "") -> SEStages:
    """Squeeze, hidden, logits and weights of one block (``before``/``after`` ``[C, H, W]``).

    ``state`` (a state dict as numpy) gives the hidden layer; without it the
    logits are the sigmoid's inverse of ``weights``.
    """
    w = np.asarray(weights, np.float64).ravel()
    s = before.reshape(before.shape[0], -1).astype(np.float64).mean(axis=1)
    hidden, logits, check = None, None, None
    params = _excite_params(state, prefix, len(w)) if state else None
    if params is not None:
        w1, b1, w2, b2 = params
        hidden = np.maximum(w1 @ s + b1, 0.0)
        logits = w2 @ hidden + b2
        check = float(np.abs(1.0 / (1.0 + np.exp(-logits)) - w).max())
    if logits is None:
        q = np.clip(w, 1e-7, 1 - 1e-7)
        logits = np.log(q / (1 - q))
    return SEStages(s, hidden, logits, w, before, after, check)
