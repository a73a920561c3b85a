"""Running graphs for the designer and the command line: numpy in, numpy out.

The designer's engine panel must never touch torch objects, so everything
public here takes and returns numpy arrays, plain numbers and paths:

- :func:`run_graph` builds, (optionally) loads weights and runs a graph once;
- :class:`Session` keeps a built model between runs and adds the
  interactive tools: effective receptive fields, a short offset fit of a
  deformable conv (:mod:`.offsets`) and a check of exported code against the
  engine.

The parts live beside it, each with its own job: :mod:`.inputs` (the tensor
fed to each Input, :func:`prepare_input`), :mod:`.weights` (weights files),
:mod:`.offsets` (the offset fit), :mod:`.arrays` (read-only numpy views);
their public names are importable from here too.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import torch

from ..analysis import Analyzer
from ..graph import Graph
from . import images
from . import offsets as offset_fit
from .arrays import numpy_view as _np
from .arrays import numpy_view0 as _np0
from .build import as_graph, build_model, check_memory, graph_info, run_trace, split_offsets
from .errors import RunCancelled, WeightsError
from .inputs import DEFAULT_IMAGE, LUMA, prepare_input, uses_image
from .memory import estimate_memory, keep_freed_heap
from .results import FitResult, LazyStats, NodeStats, RunResult, node_stats
from .weights import atomic_torch_save, check_state, load_state_dict_file

__all__ = ["DEFAULT_IMAGE", "LUMA", "prepare_input", "uses_image", "run_graph", "RunResult",
           "NodeStats", "FitResult", "Session", "LazyStats", "node_stats",
           "load_state_dict_file", "RunCancelled"]


# -- the session ----------------------------------------------------------------------
class Session:
    """A built model kept between runs (the designer's engine panel).

    Parameters
    ----------
    graph : dict or Graph
        The graph (a graph-file dict, as ``Graph.to_dict()`` gives).
    seed : int, optional
        Seed of the initial weights and of random inputs.
    memory_limit : int, optional
        Bytes; default ``min(4 GiB, 50 % of RAM)``.

    Raises
    ------
    RuntimeGraphError, MemoryLimitError
        As :func:`~engine.runtime.build.build_model`.

    Notes
    -----
    Not thread-safe: use one session from one thread at a time.
    """

    def __init__(self, graph, seed: int = 0, *, memory_limit: int | None = None):
        g = as_graph(graph)
        self.graph = g.copy() if isinstance(graph, Graph) else g
        self.seed = int(seed)
        self.memory_limit = memory_limit
        an = Analyzer(self.graph)
        try:
            self.analysis = an.result()
            self.model = build_model(self.graph, self.seed, an, memory_limit=memory_limit)
            self.estimate = estimate_memory(self.graph, an)
        finally:
            an.close()
        self.info = graph_info(self.model)
        self._inputs: dict[str, torch.Tensor] | None = None
        self._sources: dict[str, str] = {}
        self._initial_offsets: dict[str, dict[str, torch.Tensor]] = {}

    # -- plain facts ------------------------------------------------------------------
    @property
    def input_ids(self) -> tuple[str, ...]:
        """Ids of the Input nodes, in the graph's node order (the order they are fed)."""
        return self.info.input_ids

    @property
    def output_ids(self) -> tuple[str, ...]:
        """Ids of the output nodes (no successors), in the graph's node order."""
        return self.info.output_ids

    @property
    def num_parameters(self) -> int:
        """Number of elements of the model's parameters (buffers not counted)."""
        return sum(p.numel() for p in self.model.parameters())

    # -- inputs -----------------------------------------------------------------------
    def set_input(self, image=None) -> dict[str, np.ndarray]:
        """Prepare (and keep) the inputs from an image; returns them as numpy.

        ``image`` may also be a dict ``{input_id: array [1, C, (D,) H, W]}``
        of exact tensors (``inputs`` of an earlier :class:`RunResult`).
        """
        tensors: dict[str, torch.Tensor] = {}
        sources: dict[str, str] = {}
        if isinstance(image, Mapping):
            for nid in self.input_ids:
                if nid not in image:
                    raise ValueError(f"no array given for Input {nid}")
                a = np.asarray(image[nid], dtype=np.float32)
                want = (1, *self.info.shapes[nid])
                if a.shape != want:
                    raise ValueError(f"Input {nid} expects shape {list(want)}, got "
                                     f"{list(a.shape)}")
                tensors[nid] = torch.from_numpy(np.array(a, dtype=np.float32))
                sources[nid] = "given"
        else:
            arr = image
            if image is not None and not isinstance(image, np.ndarray):
                arr = images.load_image(image)
            for nid in self.input_ids:
                img = uses_image(self.graph, nid)
                a = prepare_input(self.graph, nid, arr if img else None, self.seed)
                tensors[nid] = torch.from_numpy(a)
                sources[nid] = "image" if img else "random"
        self._inputs, self._sources = tensors, sources
        return {k: _np(v) for k, v in tensors.items()}

    def _current_inputs(self) -> dict[str, torch.Tensor]:
        if self._inputs is None:
            self.set_input(None)
        return self._inputs

    # -- running ----------------------------------------------------------------------
    def run(self, image=None, callback: Callable[[int, int, str], Any] | None = None, *,
            capture: bool = True, keep_input: bool = False) -> RunResult:
        """Run the model once.

        Parameters
        ----------
        image : numpy.ndarray, path or dict, optional
            See :meth:`set_input`; default the bundled sample image (or, with
            ``keep_input``, the inputs of the previous run).
        callback : callable, optional
            ``callback(done, total, node_id)`` after each node; raise
            :class:`RunCancelled` in it to stop (the exception propagates).
        capture : bool, optional
            Return every activation, the SE weights and the deformable offsets.
        keep_input : bool, optional
            With ``image=None``, reuse the current inputs.

        Returns
        -------
        RunResult
        """
        estimate = check_memory(self.estimate, self.memory_limit)
        if capture:
            keep_freed_heap(2 * self.analysis.activation_bytes)
        if image is not None or not keep_input or self._inputs is None:
            self.set_input(image)
        inputs = self._inputs
        t0 = time.perf_counter()
        with torch.inference_mode():
            trace = run_trace(self.model, [inputs[i] for i in self.input_ids],
                              capture=capture, callback=callback)
        seconds = time.perf_counter() - t0
        info = self.info
        acts = {nid: _np0(t) for nid, t in trace.activations.items()}
        outputs = {nid: _np0(t) for nid, t in zip(info.output_ids, trace.outputs,
                                                   strict=True)}
        se = {nid: _np(t.reshape(-1)) for nid, t in trace.se_weights.items()}
        offsets, masks = {}, {}
        for nid, logits in trace.offset_logits.items():
            off, mask = split_offsets(self.model.get_submodule(nid), logits)
            offsets[nid] = _np0(off)
            if mask is not None:
                masks[nid] = _np0(mask)
        stats = dict(acts)
        for nid, a in outputs.items():
            stats.setdefault(nid, a)
        result = RunResult(
            inputs={k: _np(v) for k, v in inputs.items()}, activations=acts,
            outputs=outputs, se_weights=se, offsets=offsets, masks=masks,
            stats=LazyStats(stats),
            shapes=dict(trace.shapes), input_sources=dict(self._sources),
            seconds=seconds, memory_estimate=estimate, seed=self.seed)
        return result

    # -- weights ----------------------------------------------------------------------
    def load_weights(self, weights) -> None:
        """Load a weights file (or a state dict) with ``strict=True``.

        Raises
        ------
        WeightsError
            Unreadable file, or keys/shapes that do not fit (named in the message).
        """
        if isinstance(weights, Mapping):
            state, path = dict(weights), None
        else:
            state, path = load_state_dict_file(weights), weights
        check_state(self.model, state, path)
        try:
            self.model.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()[0]
            raise WeightsError(f"the weights do not fit this graph: {first}", path) from None

    def save_weights(self, path) -> str:
        """Save the ``state_dict`` with ``torch.save`` (atomically); returns the path."""
        state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        return atomic_torch_save(state, path)

    def state_dict(self) -> dict[str, np.ndarray]:
        """The weights as numpy arrays (copies), keyed like the ``state_dict``."""
        return {k: v.detach().numpy().copy() for k, v in self.model.state_dict().items()}

    # -- effective receptive field ----------------------------------------------------
    def effective_rf(self, node_id: str, index, input_id: str | None = None) -> np.ndarray:
        """Effective receptive field of one output element (Luo et al., 2016).

        The gradient of ``activation[node_id][index]`` (no batch dimension)
        with respect to the current input, in absolute value, summed over the
        channels (and the depth of 3D inputs).

        Parameters
        ----------
        node_id : str
            Any node.
        index : sequence of int
            One index per dimension of the node's output (``(c, y, x)``;
            ``(f,)`` after Flatten/Linear). Negative indices count from the end.
        input_id : str, optional
            The Input to differentiate against (default: the first one that
            reaches the node).

        Returns
        -------
        numpy.ndarray
            float32 ``H x W`` of the Input (zeros when no pixel has an effect).
        """
        if node_id not in self.info.shapes:
            raise ValueError(f"no node {node_id!r}")
        shape = self.info.shapes[node_id]
        index = tuple(int(i) for i in index)
        if len(index) != len(shape) or not all(-n <= i < n for i, n in zip(index, shape,
                                                                            strict=True)):
            raise ValueError(f"index {list(index)} does not fit the output shape "
                             f"{list(shape)} of {node_id}")
        if input_id is None:
            reach = self.analysis.nodes[node_id].rf_by_input
            input_id = next((i for i in self.input_ids if i in reach), self.input_ids[0])
        if input_id not in self.input_ids:
            raise ValueError(f"{input_id!r} is not an Input of the graph")
        inputs = {k: (v.detach().clone().requires_grad_(True) if k == input_id else v)
                  for k, v in self._current_inputs().items()}
        x = inputs[input_id]
        with torch.enable_grad():
            trace = run_trace(self.model, inputs, until=node_id)
            element = trace.activations[node_id][(0, *index)]
            if not element.requires_grad:
                grad = None
            else:
                (grad,) = torch.autograd.grad(element, x, allow_unused=True)
        hw = tuple(x.shape[-2:])
        if grad is None:
            return np.zeros(hw, dtype=np.float32)
        g = grad[0].abs()
        g = g.sum(dim=tuple(range(g.dim() - 2)))
        return g.detach().numpy().astype(np.float32)

    # -- deformable offsets -----------------------------------------------------------
    def fit_offsets(self, node_id: str, steps: int = 30,
                    callback: Callable[[int, int, float], Any] | None = None, *,
                    angle: float = 30.0, lr: float = 0.05) -> FitResult:
        """Train a node's offset conv for a few steps, to watch its offsets move.

        The offsets turn towards the kernel grid rotated by ``angle`` degrees
        (:mod:`.offsets` says how). Only the offset conv changes;
        :meth:`reset_offsets` undoes it.

        Parameters
        ----------
        node_id : str
            A node with learned offsets (its kind captures ``"offsets"``: a
            deformable conv).
        steps : int, optional
            Adam steps.
        callback : callable, optional
            ``callback(done, steps, loss)`` after each step; may raise
            :class:`RunCancelled` to stop early (the result so far is kept and
            returned).

        Returns
        -------
        FitResult
        """
        return offset_fit.fit_offsets(self.model, self._current_inputs(), node_id,
                                   self._initial_offsets, steps, callback, angle=angle, lr=lr)

    def reset_offsets(self, node_id: str) -> None:
        """Undo :meth:`fit_offsets` on ``node_id`` (back to the offsets before the first fit)."""
        offset_fit.reset_offsets(self.model, node_id, self._initial_offsets)

    # -- export check -----------------------------------------------------------------
    def verify_export(self, code: str) -> float:
        """Max abs difference between exported code and the engine on the current input.

        The code is executed in a fresh namespace; its last top-level class is
        built (inside ``fork_rng``), loaded with this session's ``state_dict``
        (``strict=True``) and run in eval mode on the current inputs.

        Returns
        -------
        float
            Max abs difference over all outputs (``inf`` if shapes differ).
        """
        import ast

        tree = ast.parse(code)
        classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
        if not classes:
            raise ValueError("the code defines no class")
        namespace: dict[str, Any] = {"__name__": "convcanvas_exported"}
        exec(compile(tree, "<exported model>", "exec"), namespace)
        cls = namespace[classes[-1]]
        with torch.random.fork_rng(devices=[]):
            net = cls()
        try:
            net.load_state_dict(self.model.state_dict(), strict=True)
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()[0]
            raise WeightsError(f"the exported class does not take the engine's weights: "
                               f"{first}") from None
        net.eval()
        inputs = [self._current_inputs()[i] for i in self.input_ids]
        with torch.inference_mode():
            ours = run_trace(self.model, inputs).outputs
            theirs = net(*inputs)
        if isinstance(theirs, torch.Tensor):
            theirs = (theirs,)
        if len(theirs) != len(ours):
            return math.inf
        worst = 0.0
        for a, b in zip(ours, theirs, strict=True):
            if tuple(a.shape) != tuple(b.shape):
                return math.inf
            if a.numel():
                worst = max(worst, float((a - b).abs().max()))
        return worst


def run_graph(graph, image=None, seed: int = 0, weights=None, capture: bool = True,
              callback: Callable[[int, int, str], Any] | None = None,
              memory_limit: int | None = None, save_weights=None) -> RunResult:
    """Build, optionally load weights, and run a graph once.

    Parameters
    ----------
    graph : Graph or dict
        The graph.
    image : numpy.ndarray or path, optional
        See :func:`prepare_input` (default the bundled sample image).
    seed : int, optional
        Weights seed (and seed of random inputs).
    weights : path or dict, optional
        A ``.pt`` state dict (loaded with ``weights_only=True``) or a state dict.
    capture : bool, optional
        Capture every activation, SE weights and deformable offsets.
    callback : callable, optional
        ``callback(done, total, node_id)``; may raise :class:`RunCancelled`.
    memory_limit : int, optional
        Bytes; default ``min(4 GiB, 50 % of RAM)``.
    save_weights : path, optional
        Also save the weights there (atomically); recorded in
        ``RunResult.state_dict_path``.

    Returns
    -------
    RunResult

    Raises
    ------
    RuntimeGraphError, MemoryLimitError, WeightsError, ImageError, RunCancelled
    """
    session = Session(graph, seed, memory_limit=memory_limit)
    if weights is not None:
        session.load_weights(weights)
    result = session.run(image, callback, capture=capture)
    if save_weights is not None:
        path = session.save_weights(save_weights)
        result = replace(result, state_dict_path=path)
    return result
