"""The engine's training run: :func:`train` (graph + data + settings -> numpy results).

The model is the runtime's own (:func:`engine.runtime.build_model`, seeded),
so its ``state_dict`` loads into ``main.py run --weights`` and into the
exported class (``strict=True``). One epoch is :func:`.core.train_epoch`
then :func:`.core.evaluate`. Runs on ``cuda`` when torch sees a GPU (the
uint8 data set is moved there once), else on the CPU with torch's threads
(one per core) and no copy of the data set. The global torch generator is
left as it was (``fork_rng``).
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from ..analysis import Analyzer
from ..runtime.build import as_graph, build_model
from ..runtime.errors import RunCancelled, RuntimeGraphError
from ..runtime.memory import check_memory, default_memory_limit, training_memory
from ..runtime.weights import atomic_torch_save, check_state, load_state_dict_file
from . import core
from .data import BUILT_IN, TrainData, data_bytes, load_data
from .model_task import graph_task
from .results import EpochMetrics, Progress, TrainConfig, TrainResult
from .shapes import shapes_split_sizes
from .tasks import TaskError

__all__ = ["train", "training_bytes", "save_state_dict", "torch_state"]


def training_bytes(graph, analyzer, cfg, data_size: int = 0, val_samples: int = 256,
                   drawn_pixels: int = 0):
    """The :class:`~engine.runtime.memory.MemoryEstimate` of training ``graph`` with
    ``cfg``: weights, gradients and optimizer state, the data (``data_size`` bytes),
    a training step of ``cfg.batch`` and an evaluation pass of up to 256 samples.
    ``drawn_pixels``: channel-pixels of the generated data (drawn about 2**20 pixels
    at a time in float32 arrays, 24 bytes each at the peak)."""
    return training_memory(graph, analyzer, batch=cfg.batch, optimizer=cfg.optimizer,
                           eval_batch=min(max(cfg.batch, 256), val_samples), data=data_size,
                           data_work=24 * drawn_pixels)


def torch_state(state) -> dict[str, torch.Tensor]:
    """A state dict of numpy arrays (or tensors) as CPU tensors."""
    return {k: v.detach().cpu() if isinstance(v, torch.Tensor) else torch.from_numpy(
        np.array(v)) for k, v in state.items()}


def save_state_dict(state, path) -> str:
    """``torch.save`` a (numpy) state dict atomically; loadable with ``weights_only=True``."""
    return atomic_torch_save(torch_state(state), path)


@contextlib.contextmanager
def _threads(n: int | None):
    before = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextlib.contextmanager
def _deterministic(device: torch.device):
    if device.type != "cuda":
        yield
        return
    flags = torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
    try:
        yield
    finally:
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = flags


def train(graph, data="shapes", config: TrainConfig | None = None, *, weights=None,
          callback: Callable[[Progress], Any] | None = None, memory_limit: int | None = None,
          device: str | None = None, on_epoch: Callable | None = None) -> TrainResult:
    """Train a graph; see the package docstring (:mod:`engine.training`) for the API.

    ``on_epoch(model, data, confusion)``, if given, is called after each epoch's
    validation, before the callback hears of it (the designer's engine process
    takes the weights and a few predictions there); its time is not counted.

    Raises
    ------
    RuntimeGraphError, TaskError, MemoryLimitError
        Graph errors, an output that fits no task or not the data, too much
        memory (exit 1 on the command line).
    DataError, WeightsError
        Unreadable data or weights (exit 2).
    """
    cfg = config or TrainConfig()
    g = as_graph(graph)
    an = Analyzer(g)
    try:
        analysis = an.result()
        if not analysis.valid:
            raise RuntimeGraphError.from_issues(analysis.errors)
        task, k, _input_id, output_id, (c, h, w) = graph_task(g, analysis)
        limit = default_memory_limit() if memory_limit is None else int(memory_limit)
        drawn = 0
        if isinstance(data, TrainData):
            size, val = data.train_x.nbytes + data.val_x.nbytes, len(data.val_x)
        else:
            size, val = data_bytes(data, c, h, w, cfg.samples), 256
            if data in BUILT_IN:
                val = shapes_split_sizes(cfg.samples)[1]
                drawn = c * min(sum(shapes_split_sizes(cfg.samples)) * h * w,
                                max(h * w, 1 << 20))
        check_memory(training_bytes(g, an, cfg, size, val, drawn), limit,
                     f"training (batch {cfg.batch}, data included)")
        if isinstance(data, TrainData):
            if data.task != task or len(data.classes) != k:
                raise TaskError(f"the data ({data.task}, {len(data.classes)} classes) does "
                                f"not fit the output ({task}, {k} classes)")
            ds = data
        else:
            ds = load_data(data, task, k, c, h, w, cfg.samples, cfg.seed)
        dev = torch.device(device) if device else core.pick_device()
        with torch.random.fork_rng(devices=[dev.index or 0] if dev.type == "cuda" else []), \
                _deterministic(dev), _threads(cfg.threads):
            model = build_model(g, cfg.seed, an, memory_limit=limit)
            if weights is not None:
                state = (torch_state(weights) if isinstance(weights, dict)
                         else load_state_dict_file(weights))
                check_state(model, state, None if isinstance(weights, dict) else weights)
                model.load_state_dict(state, strict=True)
            torch.manual_seed(cfg.seed)  # Dropout
            return _fit(model, ds, cfg, task, k, dev, callback,
                        core.gives_probabilities(model.get_submodule(output_id)), on_epoch)
    finally:
        an.close()


def _fit(model, ds: TrainData, cfg: TrainConfig, task, k, dev, callback, probabilities,
         on_epoch=None):
    waited = [0.0]

    def tell(progress: Progress):
        if callback is not None:
            t = time.perf_counter()
            try:
                callback(progress)
            finally:
                waited[0] += time.perf_counter() - t

    model.to(dev)
    train_x, train_y = torch.from_numpy(ds.train_x), torch.from_numpy(ds.train_y)
    val_x, val_y = torch.from_numpy(ds.val_x), torch.from_numpy(ds.val_y)
    if dev.type == "cuda":  # uint8 images: move them once
        train_x, train_y, val_x, val_y = (t.to(dev) for t in (train_x, train_y, val_x, val_y))
    opt = core.make_optimizer(model.parameters(), cfg.optimizer, cfg.lr)
    schedule = core.make_schedule(opt, cfg.schedule,
                                  cfg.epochs * core.steps_per_epoch(len(train_x), cfg.batch))
    epochs: list[EpochMetrics] = []
    confusion = None
    completed = True
    eval_batch = max(cfg.batch, 256)
    try:
        tell(Progress("data", 0, cfg.epochs, message=(
            f"{ds.name}: {len(ds.train_x)} training and {len(ds.val_x)} validation images, "
            f"{len(ds.classes)} classes" + (f", {len(ds.skipped)} unreadable file(s) skipped"
                                            if ds.skipped else ""))))
        for epoch in range(1, cfg.epochs + 1):
            t0, waited[0] = time.perf_counter(), 0.0
            order = core.epoch_order(len(train_x), cfg.seed, epoch)

            def on_step(step, steps, loss, epoch=epoch):
                tell(Progress("train", epoch, cfg.epochs, step, steps, loss))
            tl, th, tn = core.train_epoch(model, opt, train_x, train_y, order, cfg.batch, dev,
                                          probabilities, on_step, schedule)
            vl, vh, vn, confusion = core.evaluate(model, val_x, val_y, eval_batch, dev, k,
                                                  probabilities)
            tn, vn = max(int(tn), 1), max(int(vn), 1)
            m = EpochMetrics(epoch, float(tl) / tn, int(th) / tn, float(vl) / vn, int(vh) / vn,
                             time.perf_counter() - t0 - waited[0])
            epochs.append(m)
            if on_epoch is not None:
                on_epoch(model, ds, confusion)
            tell(Progress("epoch", epoch, cfg.epochs, metrics=m))
    except RunCancelled:
        completed = False
    model.eval()
    state = {n: t.detach().cpu().numpy().copy() for n, t in model.state_dict().items()}
    iou = miou = None
    if task == "segment" and confusion is not None:
        per = core.iou_per_class(confusion.cpu()).tolist()
        iou = [None if math.isnan(v) else v for v in per]
        seen = [v for v in iou if v is not None]
        miou = sum(seen) / len(seen) if seen else None
    return TrainResult(task=task, classes=tuple(ds.classes), epochs=epochs, state_dict=state,
                       completed=completed, device=str(dev), data=ds.name,
                       train_samples=len(ds.train_x), val_samples=len(ds.val_x),
                       skipped=list(ds.skipped), val_iou=iou, val_miou=miou, config=cfg)
