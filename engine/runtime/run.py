"""Running graphs for the designer and the command line: numpy in, numpy out.

The designer's engine panel must never touch torch objects, so everything
public here takes and returns numpy arrays, plain numbers and paths:

- :func:`prepare_input` makes the tensor fed to one ``Input``;
- :func:`run_graph` builds, (optionally) loads weights and runs a graph once;
- :class:`Session` keeps a built model between runs and adds the
  interactive tools: effective receptive fields, a short offset fit of a
  ``DeformConv2d`` and a check of exported code against the engine.

Input images (:func:`prepare_input`). The whole image is resized to the
Input's height and width with bilinear interpolation (antialiased when
shrinking, ``align_corners=False``); the aspect ratio is not preserved and
nothing is cropped, so every part of the picture reaches the network. Pixel
values become float32 in [0, 1] (``uint8 / 255``). A 1-channel Input gets
the luminance ``0.299 R + 0.587 G + 0.114 B`` (ITU-R BT.601), a 3-channel
Input gets RGB (a grayscale picture is repeated on the three channels). Other
channel counts and 3D Inputs (with a depth) get a seeded uniform random
tensor in [0, 1).
"""

from __future__ import annotations

import math
import time
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..analysis import Analyzer
from ..atomic import atomic_write
from ..deform import deform_conv2d
from ..graph import Graph
from . import images
from .build import (
    GraphModule,
    as_graph,
    build_model,
    check_memory,
    graph_info,
    run_trace,
    split_offsets,
)
from .errors import ImageError, RunCancelled, WeightsError
from .results import FitResult, LazyStats, NodeStats, RunResult, node_stats

__all__ = ["DEFAULT_IMAGE", "prepare_input", "run_graph", "RunResult", "NodeStats",
           "FitResult", "Session", "LazyStats", "node_stats", "load_state_dict_file",
           "RunCancelled"]

#: The bundled sample image (the command line's default).
DEFAULT_IMAGE = Path(__file__).resolve().parents[2] / "resources" / "images" / "scene.png"

#: ITU-R BT.601 luma weights.
LUMA = (0.299, 0.587, 0.114)


# -- inputs ---------------------------------------------------------------------------
def _image_array(image) -> np.ndarray:
    """An image as float32 ``H x W x C`` (C = 1 or 3) in [0, 1]."""
    if isinstance(image, (str, Path)):
        image = images.load_image(image)
    a = np.asarray(image)
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3 or a.shape[2] not in (1, 3, 4) or a.shape[0] < 1 or a.shape[1] < 1:
        raise ImageError(f"expected an H x W or H x W x 3 image, got an array of shape "
                         f"{a.shape}")
    if a.shape[2] == 4:
        a = a[:, :, :3]
    if a.dtype == np.uint8:
        return a.astype(np.float32) / 255.0
    if a.dtype == np.uint16:
        return a.astype(np.float32) / 65535.0
    if a.dtype == bool:
        return a.astype(np.float32)
    if not np.issubdtype(a.dtype, np.floating):
        raise ImageError(f"expected a uint8 or float image, got dtype {a.dtype}")
    a = a.astype(np.float32)
    if not np.isfinite(a).all():
        raise ImageError("the image contains NaN or infinite values")
    return np.clip(a, 0.0, 1.0)


def _input_params(graph: Graph, input_id: str) -> dict:
    if input_id not in graph.nodes or graph.nodes[input_id].type != "Input":
        raise ValueError(f"{input_id!r} is not an Input node of the graph")
    return graph.nodes[input_id].resolved()


def _random_seed(seed: int, input_id: str) -> int:
    """The generator seed of a random input: ``seed`` mixed with the Input's id."""
    return (int(seed) * 1_000_003 + zlib.crc32(input_id.encode())) % (1 << 63)


def uses_image(graph, input_id: str) -> bool:
    """Whether :func:`prepare_input` feeds an image (not noise) to this Input."""
    p = _input_params(as_graph(graph), input_id)
    return images.takes_image(p["channels"], p["depth"])


def prepare_input(graph, input_id: str, image=None, seed: int = 0) -> np.ndarray:
    """The tensor fed to one Input.

    Parameters
    ----------
    graph : Graph or dict
        The graph.
    input_id : str
        Id of an ``Input`` node.
    image : numpy.ndarray or path, optional
        ``H x W x 3`` or ``H x W`` (``x 4``: alpha dropped), ``uint8`` or
        float in [0, 1], or an image file. Default: the bundled sample
        (:data:`DEFAULT_IMAGE`). Ignored for Inputs that get noise.
    seed : int, optional
        Seed of the random tensor (mixed with ``input_id``, so two Inputs
        differ).

    Returns
    -------
    numpy.ndarray
        float32 ``[1, C, H, W]`` (``[1, C, D, H, W]`` for 3D Inputs); see the
        module docstring for how the image is resized and converted.

    Raises
    ------
    ImageError
        The image cannot be read or is not an image array.
    """
    graph = as_graph(graph)
    p = _input_params(graph, input_id)
    c, h, w, d = p["channels"], p["height"], p["width"], p["depth"]
    if d is not None or c not in (1, 3):
        shape = (1, c, h, w) if d is None else (1, c, d, h, w)
        gen = torch.Generator().manual_seed(_random_seed(seed, input_id))
        return torch.rand(shape, generator=gen, dtype=torch.float32).numpy()
    a = _image_array(DEFAULT_IMAGE if image is None else image)
    if c == 1 and a.shape[2] == 3:
        a = a @ np.asarray(LUMA, dtype=np.float32)
        a = a[:, :, None]
    elif c == 3 and a.shape[2] == 1:
        a = np.repeat(a, 3, axis=2)
    t = torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1)))[None]
    if tuple(t.shape[2:]) != (h, w):
        t = F.interpolate(t, size=(h, w), mode="bilinear", align_corners=False,
                          antialias=True).clamp_(0.0, 1.0)
    return np.ascontiguousarray(t.numpy(), dtype=np.float32)


def _np(t: torch.Tensor) -> np.ndarray:
    """Read-only numpy view of a CPU tensor (no copy when contiguous)."""
    a = t.detach().numpy()
    a.flags.writeable = False
    return a


def _np0(t: torch.Tensor) -> np.ndarray:
    """Read-only numpy view of ``t[0]`` (batch dropped; numpy indexing is cheaper)."""
    a = (t.detach() if t.requires_grad else t).numpy()[0]
    a.flags.writeable = False
    return a


# -- weights --------------------------------------------------------------------------
def load_state_dict_file(path) -> dict[str, torch.Tensor]:
    """Read a weights file with ``torch.load(path, weights_only=True)``.

    Raises
    ------
    WeightsError
        Missing or unreadable file, not a file written by ``torch.save``, or
        not a state dict (a mapping of names to tensors).
    """
    p = Path(path)
    if not p.exists():
        raise WeightsError("no such file", path)
    if p.is_dir():
        raise WeightsError("is a directory, not a weights file", path)
    try:
        state = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # any failure means "not readable weights"
        text = str(exc).strip()
        if not zipfile.is_zipfile(p):
            why = "not a torch.save archive"
        elif "Weights only load failed" in text:
            why = "it holds objects other than tensors, refused by weights_only=True"
        else:
            why = (text.splitlines() or [type(exc).__name__])[0][:160]
        raise WeightsError(f"not a weights file written by torch.save ({why})",
                           path) from None
    if not isinstance(state, Mapping) or not all(
            isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()):
        raise WeightsError(f"expected a state dict (parameter name -> tensor), found "
                           f"{type(state).__name__}", path)
    return dict(state)


def _check_state(model: GraphModule, state: Mapping[str, torch.Tensor], path=None) -> None:
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    wrong = [f"{k} (file {list(state[k].shape)}, graph {list(v.shape)})"
             for k, v in own.items() if k in state and tuple(state[k].shape) != tuple(v.shape)]
    if not (missing or unexpected or wrong):
        return

    def some(items):
        shown = ", ".join(items[:4])
        return shown + (f" and {len(items) - 4} more" if len(items) > 4 else "")
    parts = []
    if missing:
        parts.append(f"missing keys {some(missing)}")
    if unexpected:
        parts.append(f"unexpected keys {some(unexpected)}")
    if wrong:
        parts.append(f"shape mismatch {some(wrong)}")
    raise WeightsError("the weights do not fit this graph: " + "; ".join(parts), path)


def _atomic_torch_save(obj, path) -> str:
    path = Path(path)
    atomic_write(path, lambda fh: torch.save(obj, fh))
    return str(path)


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
        estimate = check_memory(self.analysis, self.memory_limit)
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
        _check_state(self.model, state, path)
        try:
            self.model.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()[0]
            raise WeightsError(f"the weights do not fit this graph: {first}", path) from None

    def save_weights(self, path) -> str:
        """Save the ``state_dict`` with ``torch.save`` (atomically); returns the path."""
        state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        return _atomic_torch_save(state, path)

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
        """Train a DeformConv2d's offset conv for a few steps, to watch offsets move.

        The target is the node's own output when every kernel's sampling grid
        is rotated by ``angle`` degrees about its centre: offsets
        ``R(angle) p - p`` for each tap ``p`` (relative to the kernel centre,
        dilation included), the same at every position, computed with the
        current main weights (and masks) on the node's current input. A few
        Adam steps on the offset conv (learning rate ``lr`` for the bias,
        ``lr / fan_in`` for the weights) minimise the mean squared error to it,
        normalised by the target's variance; the offsets turn towards the
        rotated grid. Only the offset conv changes; :meth:`reset_offsets`
        undoes it.

        Parameters
        ----------
        node_id : str
            A DeformConv2d node.
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
        if self.info.types.get(node_id) != "DeformConv2d":
            raise ValueError(f"{node_id!r} is not a DeformConv2d node")
        module = self.model.get_submodule(node_id)
        conv = module.offset_conv
        self._initial_offsets.setdefault(node_id, {k: v.detach().clone()
                                                   for k, v in conv.state_dict().items()})
        src = self.info.sources[node_id][0]
        with torch.no_grad():
            trace = run_trace(self.model, self._current_inputs(), until=src)
            x = trace.activations[src].detach()
            padded = x if module.pre_pad is None else F.pad(x, module.pre_pad)  # uneven "same"
            off0, mask0 = split_offsets(module, conv(padded))
            target_off = self._rotation_offsets(module, angle).to(x.dtype)
            target_off = target_off.view(1, -1, 1, 1).expand_as(off0).contiguous()
            mask_t = None if mask0 is None else mask0.detach()
            target = deform_conv2d(padded, target_off, module.weight, module.bias,
                                   stride=module.stride, padding=module.padding,
                                   dilation=module.dilation, mask=mask_t)
            scale = float(target.var()) + 1e-8
        fan_in = conv.weight[0].numel()
        opt = torch.optim.Adam([{"params": [conv.bias], "lr": lr},
                                {"params": [conv.weight], "lr": lr / fan_in}])
        losses: list[float] = []
        done = 0
        try:
            with torch.enable_grad():
                for done in range(1, int(steps) + 1):
                    opt.zero_grad(set_to_none=True)
                    loss = F.mse_loss(module(x), target) / scale
                    losses.append(loss.detach().item())
                    loss.backward()
                    opt.step()
                    if callback is not None:
                        callback(done, int(steps), losses[-1])
        except RunCancelled:
            pass
        finally:
            for p in module.parameters():
                p.grad = None
        with torch.no_grad():
            off, mask = split_offsets(module, conv(padded))
            losses.append(float(F.mse_loss(module(x), target) / scale))
        return FitResult(node_id, tuple(losses), _np(off[0].clone()),
                         None if mask is None else _np(mask[0].clone()),
                         _np(target_off[0, :, 0, 0].clone()), float(angle), done)

    @staticmethod
    def _rotation_offsets(module, angle: float) -> torch.Tensor:
        kh, kw = module.kernel_size
        dh, dw = module.dilation
        a = math.radians(angle)
        ca, sa = math.cos(a), math.sin(a)
        vals = []
        for i in range(kh):
            for j in range(kw):
                py, px = (i - (kh - 1) / 2) * dh, (j - (kw - 1) / 2) * dw
                ry, rx = ca * py - sa * px, sa * py + ca * px
                vals.extend((ry - py, rx - px))
        return torch.tensor(vals * module.offset_groups, dtype=torch.float32)

    def reset_offsets(self, node_id: str) -> None:
        """Undo :meth:`fit_offsets` on ``node_id`` (back to the offsets before the first fit)."""
        saved = self._initial_offsets.pop(node_id, None)
        if saved is not None:
            self.model.get_submodule(node_id).offset_conv.load_state_dict(saved)

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
