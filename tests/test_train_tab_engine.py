"""The Train tab's engine side: training in an engine process (``RemoteRuntime.train``),
steered by pause, resume and cancel messages; no Qt.

Checked against the engine itself: the weights each epoch writes are those
``engine.training.train`` reaches in this process with the same seed, a cancel while
paused still answers with the weights reached, and control messages that arrive after
the run ended do not disturb the next request.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.runtime.remote import EngineProcess, RemoteRuntime
from engine.training import TrainConfig, train
from tests.test_training_helpers import tiny_classifier, tiny_segmenter

CONFIG = TrainConfig(epochs=2, batch=16, lr=0.01, samples=48, seed=3, threads=1)


@pytest.fixture(scope="module")
def remote():
    process = EngineProcess(env={"OMP_NUM_THREADS": "1"})
    yield process, RemoteRuntime(process)
    process.close()


def test_epochs_write_the_engines_weights_and_report_plain_data(remote, tmp_path):
    process, rt = remote
    graph = tiny_classifier()
    reports = []
    answer = rt.train(graph, "shapes", CONFIG, tmp_path, callback=reports.append)
    result = answer["result"]
    assert result.completed and result.state_dict == {}
    epochs = [r for r in reports if r["phase"] == "epoch"]
    assert [r["epoch"] for r in epochs] == [1, 2] and reports[0]["phase"] == "data"
    for r in epochs:  # plain data: numbers, strings, numpy arrays
        assert isinstance(r["metrics"], dict) and isinstance(r["confusion"], np.ndarray)
        assert r["confusion"].sum() == result.val_samples == 12
        assert r["images"].dtype == np.uint8 and len(r["pred"]) == len(r["truth"]) == 12
    assert answer["weights"] == epochs[-1]["weights"] == str(tmp_path / "epoch-2.pt")
    here = train(graph, "shapes", CONFIG)  # the same run in this process
    there = torch.load(answer["weights"], weights_only=True)
    assert set(there) == set(here.state_dict)
    for key, value in here.state_dict.items():
        assert np.allclose(there[key].numpy(), value, atol=1e-6), key
    assert [e.val_acc for e in here.epochs] == [e.val_acc for e in result.epochs]


def test_cancel_while_paused_keeps_the_weights_and_late_messages_are_ignored(remote,
                                                                              tmp_path):
    process, rt = remote
    seen = []

    def steer(report):
        seen.append(report["phase"])
        if report["phase"] == "data":
            process.tell(("pause",))
            process.tell(("cancel",))  # while paused: the run stops, and answers
    answer = rt.train(tiny_classifier(), "shapes", CONFIG, tmp_path, callback=steer)
    assert seen == ["data"] and not answer["result"].completed
    assert answer["weights"] == str(tmp_path / "stopped.pt")
    state = torch.load(answer["weights"], weights_only=True)
    assert "fc.weight" in state
    # a pause and resume that reach the process after its run ended are dropped
    process.tell(("pause",))
    process.tell(("resume",))
    again = rt.train(tiny_classifier(), "shapes", TrainConfig(epochs=1, batch=16, samples=32),
                     tmp_path / "again")
    assert again["result"].completed and len(again["result"].epochs) == 1


def test_segmentation_reports_predicted_masks(remote, tmp_path):
    process, rt = remote
    reports = []
    answer = rt.train(tiny_segmenter(), "shapes-seg", TrainConfig(epochs=1, batch=8,
                                                                  samples=16),
                      tmp_path, callback=reports.append)
    (epoch,) = [r for r in reports if r["phase"] == "epoch"]
    assert epoch["task"] == "segment" and epoch["classes"][0] == "background"
    assert epoch["pred"].shape == epoch["truth"].shape == (4, 16, 16)  # masks, per pixel
    assert epoch["confusion"].shape == (5, 5) and epoch["confusion"].sum() == 4 * 16 * 16
    assert answer["result"].val_miou is not None
