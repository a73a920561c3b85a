"""The designer's training job, run by an engine process (torch; child side).

:func:`train_in_process` runs :func:`engine.training.train` for a request
``("train", graph, data, config, weights, out_dir)`` (see :mod:`.process`)
and talks to the client on the request's connection while it trains:

- progress goes out as ``("progress", (report,))`` where ``report`` is a
  plain dict (numbers, strings, numpy arrays; see :func:`report_of`): the
  ``"data"`` and ``"epoch"`` phases always, ``"train"`` steps at most every
  ``every_s`` seconds (and the last step of an epoch);
- after each epoch the weights are written to ``out_dir/epoch-N.pt``
  (loadable by ``main.py run --weights``) and the report carries their path,
  the validation confusion matrix and the predictions for the first
  ``samples`` validation images (labels, or masks for segmentation);
- the client steers with control messages read between steps: ``("pause",)``
  blocks the training until ``("resume",)``; ``("cancel",)`` stops it (also
  while paused): the weights reached are kept.

The process gives the CPU to the designer first: on its first training it lowers
its own scheduling priority by :data:`NICE` (``os.nice``; the process only
trains), so the UI thread, which needs little CPU but needs it at once, is not
kept waiting by the training threads on a busy machine.

The answer is a dict: ``result`` (the :class:`~engine.training.TrainResult`
without its weights) and ``weights`` (the path of the last weights written,
``out_dir/stopped.pt`` for a run stopped part-way).
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from .errors import RunCancelled
from .wire import recv, send

__all__ = ["train_in_process", "train_for_client", "report_of", "NICE"]

#: how much the training process lowers its priority (``os.nice``), once
NICE = 5
_niced = False


def report_of(progress, **extra) -> dict:
    """A :class:`~engine.training.Progress` as a plain dict, with ``extra`` added."""
    out = {"phase": progress.phase, "epoch": progress.epoch, "epochs": progress.epochs,
           "step": progress.step, "steps": progress.steps, "loss": progress.loss,
           "metrics": asdict(progress.metrics) if progress.metrics is not None else None,
           "message": progress.message}
    out.update(extra)
    return out


class _Steering:
    """Reads the client's control messages between steps (pause, resume, cancel)."""

    def __init__(self, conn):
        self.conn = conn

    def check(self) -> None:
        paused = False
        while paused or self.conn.poll():
            kind = recv(self.conn)[0]
            if kind == "cancel":
                raise RunCancelled("cancelled")
            paused = kind == "pause"  # blocks in recv until resume (or cancel)


def _predictions(model, ds, n: int) -> dict:
    """The first ``n`` validation images, their labels and the model's predictions."""
    dev = next((p.device for p in model.parameters()), torch.device("cpu"))
    x = ds.val_x[:n]
    was_training = model.training
    model.eval()
    with torch.inference_mode():
        out = model(torch.from_numpy(x).to(dev).float().div_(255.0))
        pred = out.argmax(1).to(torch.uint8 if out.dim() == 4 else torch.int64).cpu().numpy()
    model.train(was_training)
    return {"images": np.ascontiguousarray(x), "truth": np.ascontiguousarray(ds.val_y[:n]),
            "pred": pred}


def train_in_process(conn, graph, data, config, weights=None, out_dir=None, **options) -> dict:
    """Train for a client on ``conn`` (see the module docstring); ``options`` as
    :func:`train_for_client`."""
    global _niced
    if not _niced and hasattr(os, "nice"):
        try:
            os.nice(NICE)
        except OSError:
            pass
        _niced = True
    return train_for_client(graph, data, config, weights, out_dir,
                            lambda report: send(conn, ("progress", (report,))),
                            _Steering(conn).check, **options)


def train_for_client(graph, data, config, weights, out_dir, report, check, *,
                     every_s: float = 0.1, samples: int = 16) -> dict:
    """The training job whatever carries its reports: ``report(dict)`` gets each one,
    ``check()`` is called after each and pauses by blocking, stops by raising
    :class:`~engine.runtime.errors.RunCancelled` (the designer calls this directly in
    its worker thread when it has no engine process)."""
    from engine.training import save_state_dict, train

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pending: dict = {}
    written: list[str] = []
    last = [0.0]  # time of the last step report

    def on_epoch(model, ds, confusion):
        state = {k: v.detach() for k, v in model.state_dict().items()}
        path = save_state_dict(state, out / f"epoch-{len(written) + 1}.pt")
        written.append(path)
        pending["extra"] = {"weights": path, "confusion": confusion.cpu().numpy(),
                            "classes": list(ds.classes), "task": ds.task,
                            **_predictions(model, ds, samples)}

    def callback(progress):
        now = time.perf_counter()
        extra = pending.pop("extra", {}) if progress.phase == "epoch" else {}
        if progress.phase != "train" or progress.step == progress.steps or \
                now - last[0] >= every_s:
            last[0] = now
            report(report_of(progress, **extra))
        check()

    result = train(graph, data, config, weights=weights, callback=callback, on_epoch=on_epoch)
    path = written[-1] if written else None
    if not result.completed or path is None:
        path = save_state_dict(result.state_dict, out / "stopped.pt")
    result.state_dict = {}
    return {"result": result, "weights": path}
