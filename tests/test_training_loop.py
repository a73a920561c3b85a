"""The training loop (issue 12): determinism, modes, callback (progress, cancel, pause),
segmentation, memory guard. Tiny graphs and data; no timed assertions."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from torch import nn

from engine.runtime import MemoryLimitError, RunCancelled, RuntimeGraphError, WeightsError
from engine.training import TaskError, TrainConfig, load_data, train
from engine.training.core import epoch_order, evaluate, split_batches, train_epoch

from .test_training_helpers import tiny_classifier, tiny_segmenter

pytestmark = [pytest.mark.torch, pytest.mark.usefixtures("torch_one_thread")]

CFG = TrainConfig(epochs=2, batch=16, samples=48, lr=3e-3, seed=5)


def _figures(result):
    return [(e.train_loss, e.train_acc, e.val_loss, e.val_acc) for e in result.epochs]


def test_the_same_seed_gives_the_same_metrics_and_weights_twice():
    a = train(tiny_classifier(), "shapes", CFG)
    b = train(tiny_classifier(), "shapes", CFG)
    assert _figures(a) == _figures(b)
    assert a.state_dict.keys() == b.state_dict.keys()
    assert all(np.array_equal(a.state_dict[k], b.state_dict[k]) for k in a.state_dict)
    c = train(tiny_classifier(), "shapes", TrainConfig(**{**CFG.__dict__, "seed": 6}))
    assert _figures(c) != _figures(a)
    assert a.task == "classify" and a.classes[0] == "circle" and a.completed
    assert torch.get_num_threads() == 1  # the run's thread setting is undone


def test_training_changes_the_weights_and_lowers_the_loss():
    cfg = TrainConfig(epochs=3, batch=16, samples=128, lr=1e-2, seed=0, schedule="cosine")
    r = train(tiny_classifier(), "shapes", cfg)
    assert r.epochs[-1].train_loss < r.epochs[0].train_loss
    assert all(0 <= e.val_acc <= 1 and 0 <= e.train_acc <= 1 for e in r.epochs)
    sgd = train(tiny_classifier(), "shapes", TrainConfig(**{**cfg.__dict__, "optimizer": "sgd",
                                                             "epochs": 1}))
    assert sgd.completed and len(sgd.epochs) == 1


class _Recorder(nn.Module):
    """BatchNorm and Dropout, recording the mode of every forward."""

    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm2d(3)
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(3, 4)
        self.modes = []

    def forward(self, x):
        self.modes.append(self.training)
        return self.fc(self.drop(self.bn(x).mean((2, 3))))


def test_train_mode_for_training_eval_mode_for_validation():
    model = _Recorder()
    x = torch.randint(0, 255, (10, 3, 4, 4), dtype=torch.uint8)
    y = torch.arange(10) % 4
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    train_epoch(model, opt, x, y, epoch_order(10, 0, 1), 4, torch.device("cpu"))
    assert model.modes == [True, True, True]  # 4 + 4 + 2
    model.modes.clear()
    stats = model.bn.running_mean.clone()
    first = evaluate(model, x, y, 4, torch.device("cpu"), 4)
    second = evaluate(model, x, y, 4, torch.device("cpu"), 4)
    assert model.modes and not any(model.modes)
    assert torch.equal(stats, model.bn.running_mean)  # validation leaves BatchNorm alone
    assert all(torch.equal(a, b) for a, b in zip(first, second, strict=True))  # no Dropout
    assert int(first[3].sum()) == 10 and int(first[2]) == 10  # confusion matrix, count


def test_a_last_batch_of_one_joins_the_one_before():
    assert [len(b) for b in split_batches(torch.arange(9), 4)] == [4, 5]
    assert [len(b) for b in split_batches(torch.arange(10), 4)] == [4, 4, 2]


def test_the_callback_sees_progress_can_pause_and_cancel():
    seen = []

    def log(p):
        seen.append(p.phase)
        if p.phase == "train" and p.step == 1 and p.epoch == 1:
            time.sleep(0.4)  # paused: not counted in the epoch's seconds

    t0 = time.perf_counter()
    r = train(tiny_classifier(), "shapes", CFG, callback=log)
    total = time.perf_counter() - t0
    assert seen[0] == "data" and seen.count("epoch") == 2 and seen.count("train") == 6
    assert r.epochs[0].seconds < total - 0.35

    def cancel(p):
        if p.phase == "train" and p.epoch == 2 and p.step == 2:
            raise RunCancelled
    r = train(tiny_classifier(), "shapes", CFG, callback=cancel)
    assert not r.completed and [e.epoch for e in r.epochs] == [1]
    assert r.state_dict and all(isinstance(v, np.ndarray) for v in r.state_dict.values())


def test_segmentation_reports_iou_per_class():
    r = train(tiny_segmenter(), "shapes-seg", TrainConfig(epochs=1, batch=8, samples=16))
    assert r.task == "segment" and len(r.classes) == 5
    assert len(r.val_iou) == 5 and 0 <= r.val_miou <= 1
    assert 0 <= r.epochs[0].val_acc <= 1  # per pixel


def test_prepared_data_initial_weights_and_errors(tmp_path):
    g = tiny_classifier()
    data = load_data("shapes", "classify", 4, 3, 16, 16, samples=16, seed=0)
    first = train(g, data, TrainConfig(epochs=1, batch=8, samples=16))
    again = train(g, data, TrainConfig(epochs=1, batch=8, samples=16, lr=1e-9),
                  weights=first.state_dict)  # starts from the trained weights
    assert np.allclose(again.state_dict["fc.weight"], first.state_dict["fc.weight"], atol=1e-6)
    with pytest.raises(TaskError, match="10 features"):
        train(tiny_classifier(k=10), "shapes", CFG)
    with pytest.raises(TaskError, match="does not fit"):
        train(tiny_segmenter(), data, CFG)
    with pytest.raises(MemoryLimitError):
        train(g, "shapes", CFG, memory_limit=1000)
    bad = tmp_path / "w.pt"
    torch.save({"nope": torch.zeros(1)}, bad)
    with pytest.raises(WeightsError, match="missing keys"):
        train(g, "shapes", CFG, weights=bad)
    g.set_params("conv2", {"out_channels": 8, "kernel_size": 30})
    with pytest.raises(RuntimeGraphError):
        train(g, "shapes", CFG)
