"""What a run returns: plain dataclasses of numpy arrays (no torch).

:class:`RunResult`, :class:`NodeStats` and :class:`FitResult` are built by
:mod:`engine.runtime.run` and pickled from the engine process to the
designer (:mod:`engine.runtime.process`), which must not import torch: this
module imports numpy only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["NodeStats", "RunResult", "FitResult", "LazyStats", "node_stats"]


@dataclass(frozen=True)
class NodeStats:
    """Summary of one activation."""

    shape: tuple[int, ...]
    min: float
    max: float
    mean: float
    std: float

    def to_json(self) -> dict[str, Any]:
        """The JSON form; statistics that are not finite (NaN, inf) become None."""
        def num(v):
            return v if math.isfinite(v) else None
        return {"shape": list(self.shape), "min": num(self.min), "max": num(self.max),
                "mean": num(self.mean), "std": num(self.std)}


@dataclass(frozen=True)
class RunResult:
    """Everything one run produced, as read-only numpy arrays.

    Attributes
    ----------
    inputs : dict
        Input id -> the exact tensor fed in, float32 with its batch dimension.
    activations : dict
        Node id -> activation without the batch dimension (every node, in
        topological order; empty when the run did not capture).
    outputs : dict
        Output (sink) node id -> activation without the batch dimension, in
        node order.
    se_weights : dict
        SqueezeExcitation id -> channel weights ``[C]``.
    offsets : dict
        DeformConv2d id -> offsets ``[2 * offset_groups * kh * kw, Ho, Wo]``
        (torchvision layout: ``dy, dx`` per tap).
    masks : dict
        Modulated DeformConv2d id -> sigmoid masks ``[offset_groups * kh * kw,
        Ho, Wo]``.
    stats : Mapping
        Node id -> :class:`NodeStats` (captured nodes; outputs always),
        computed on first access (:class:`LazyStats`).
    shapes : dict
        Node id -> actual output shape without the batch dimension (always).
    input_sources : dict
        Input id -> ``"image"``, ``"random"`` or ``"given"`` (exact arrays
        passed as a dict instead of an image).
    seconds : float
        Wall time of the forward pass.
    memory_estimate : int
        Bytes (activations x 2 + weights) checked against the limit.
    seed : int
        The seed of the weights and of the random inputs.
    state_dict_path : str, optional
        Where the weights were saved, if they were.
    """

    inputs: dict[str, np.ndarray]
    activations: dict[str, np.ndarray]
    outputs: dict[str, np.ndarray]
    se_weights: dict[str, np.ndarray]
    offsets: dict[str, np.ndarray]
    masks: dict[str, np.ndarray]
    stats: Mapping[str, NodeStats]
    shapes: dict[str, tuple[int, ...]]
    input_sources: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    memory_estimate: int = 0
    seed: int = 0
    state_dict_path: str | None = None


@dataclass(frozen=True)
class FitResult:
    """What :meth:`Session.fit_offsets` did.

    Attributes
    ----------
    node : str
        The DeformConv2d.
    losses : tuple of float
        Normalised MSE before each step (then after the last).
    offsets : numpy.ndarray
        The offsets after the fit, ``[2 * og * kh * kw, Ho, Wo]``.
    mask : numpy.ndarray or None
        Masks after the fit (modulated only).
    target_offsets : numpy.ndarray
        The offsets of the target, ``[2 * og * kh * kw]`` (the same at every
        position).
    angle : float
        Degrees of the target's rotation of the sampling grid.
    steps : int
        Steps actually done (fewer when cancelled).
    """

    node: str
    losses: tuple[float, ...]
    offsets: np.ndarray
    mask: np.ndarray | None
    target_offsets: np.ndarray
    angle: float
    steps: int


def node_stats(a: np.ndarray) -> NodeStats:
    """Min, max, mean and (population) std of one activation (no batch dimension).

    numpy, single-threaded: no torch parallel region (whose thread hand-offs
    cost far more than these few passes over memory on a loaded machine), and
    callable from any thread. float32 pairwise sums (the mean to ~1e-7
    relative); integer and bool arrays are converted to float32.
    """
    shape = tuple(a.shape)
    if a.size == 0:
        return NodeStats(shape, math.nan, math.nan, math.nan, math.nan)
    if a.dtype != np.float32 and a.dtype != np.float64:
        a = a.astype(np.float32)
    lo, hi = a.min(), a.max()
    with np.errstate(invalid="ignore", over="ignore"):  # ±inf (a -inf padding): nan, quietly
        mean = a.mean()
        d = a - mean
        d *= d
        std = math.sqrt(float(d.mean()))
    return NodeStats(shape, float(lo), float(hi), float(mean), std)


class LazyStats(Mapping):
    """``{node_id: NodeStats}`` computed on first access from read-only arrays.

    :meth:`Session.run` returns one as ``RunResult.stats``: the command line
    (``summary.json``) reads every entry, the designer none (its Maps tab
    computes the statistics of the node on show), so a capturing run pays
    nothing for them. The arrays are the run's read-only activations; a value,
    once computed, is kept.
    """

    def __init__(self, arrays: Mapping[str, np.ndarray]):
        self._arrays = dict(arrays)
        self._done: dict[str, NodeStats] = {}

    def __getitem__(self, key: str) -> NodeStats:
        st = self._done.get(key)
        if st is None:
            st = self._done[key] = node_stats(self._arrays[key])
        return st

    def __iter__(self):
        return iter(self._arrays)

    def __len__(self) -> int:
        return len(self._arrays)

    def __repr__(self) -> str:
        return f"LazyStats({list(self._arrays)})"
