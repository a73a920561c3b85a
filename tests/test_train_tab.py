"""The engine panel's Train tab: pause and resume, live curves, confusion matrix,
predictions, the Offsets and SE tabs refreshed from each epoch's weights, Stop keeping
the weights reached, and Save weights writing a file ``main.py run --weights`` loads.

Offscreen with pytest-qt; tiny graphs (16 x 16 images), a few dozen generated images,
two or three short epochs. Training runs in the tab's own engine process.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from engine import Graph
from tests.panel_helpers import _settle, _wait
from tests.test_training_helpers import save, tiny_classifier

pytestmark = pytest.mark.gui


def deform_se_graph() -> Graph:
    """Input 3x16x16 -> deformable conv 4 -> ReLU -> SE (reduction 2) -> global pool,
    Flatten, Linear 4: the offsets and the channel weights both learn."""
    g = Graph("tiny deform se")
    g.add_node("Input", {"channels": 3, "height": 16, "width": 16}, "x")
    g.add_node("DeformConv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}, "dconv")
    g.add_node("ReLU", {}, "relu")
    g.add_node("SqueezeExcitation", {"reduction": 2}, "se")
    g.add_node("AdaptiveAvgPool2d", {"output_size": 1}, "gap")
    g.add_node("Flatten", {}, "flat")
    g.add_node("Linear", {"out_features": 4}, "fc")
    ids = list(g.nodes)
    for a, b in zip(ids, ids[1:], strict=False):
        g.connect(a, b)
    return g


def _panel_on(new_panel, graph: Graph):
    from designer.document import Document

    win, panel = new_panel(size=(1000, 800))
    panel.set_document(Document(graph))
    return win, panel


def _settings(tab, epochs: int, samples: int = 64, batch: int = 16) -> None:
    tab.settings.epochs.setValue(epochs)
    tab.settings.samples.setValue(samples)
    tab.settings.batch.setValue(batch)
    tab.settings.lr.setValue(0.01)


def _spin(qapp, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        qapp.processEvents()
        time.sleep(0.01)


def test_pause_resume_curves_confusion_and_the_tabs_refreshed(new_panel, qapp):
    win, panel = _panel_on(new_panel, deform_se_graph())
    assert panel.run_blocking(timeout_s=120), panel.run_failure()
    c = panel.controller
    se_before = c.result.se_weights["se"].copy()
    assert not c.result.offsets["dconv"].any()  # the offset conv starts at zero
    tab = panel.train_tab
    panel.tabs.setCurrentWidget(tab)
    reports = []
    tab.run.report.connect(reports.append)
    _settings(tab, epochs=2)

    assert tab.start()
    tab.run.pause()  # held at the first report: the data set is ready
    assert tab.pause_button.text() == "Resume" and tab.run.state == "paused"
    _wait(panel, lambda: reports, timeout=60)
    _spin(qapp, 0.5)
    assert [r["phase"] for r in reports] == ["data"]  # paused: no step was taken
    assert tab.progress.fraction == 0.0
    tab.toggle_pause()
    assert tab.run.state == "running"
    _wait(panel, lambda: not tab.run.busy, timeout=60)
    assert tab.error is None, tab.error
    result = tab.last_answer["result"]
    assert result.completed and len(result.epochs) == 2

    # curves: a point per epoch for validation and both accuracies, more for the loss
    assert tab.curves.points["val_acc"][0] == [1.0, 2.0]
    assert tab.curves.points["val_loss"][1] == pytest.approx([e.val_loss for e in
                                                              result.epochs])
    assert len(tab.curves.points["train_loss"][0]) >= 2
    assert tab.curves.curves["val_acc"].getData()[1] == pytest.approx(
        [100 * e.val_acc for e in result.epochs])
    # the confusion matrix counts every validation image once; its diagonal is the accuracy
    m = tab.confusion.matrix
    assert m.shape == (4, 4) and m.sum() == result.val_samples == 16
    assert np.trace(m) / m.sum() == pytest.approx(result.epochs[-1].val_acc)
    assert len(tab.samples.captions) == 16
    assert tab.progress.fraction == 1.0

    # the epoch's weights are the panel's: it ran with them, and the tabs show them
    _wait(panel, lambda: c.weights_path == tab.weights, timeout=10)
    assert c.trained and Path(tab.weights).is_file()
    assert "trained (epoch 2/2" in c.weights_text()
    _wait(panel, lambda: c.result_is_current() and not c.busy, timeout=60)
    panel.select_node("dconv")
    panel.tabs.setCurrentWidget(panel.offsets_tab)
    _settle(panel, qapp)
    assert np.abs(panel.offsets_tab.offsets).max() > 0  # the offsets grew
    assert "Train tab" in panel.offsets_tab.info.text()
    panel.select_node("se")
    panel.tabs.setCurrentWidget(panel.se_tab)
    _settle(panel, qapp)
    assert not np.allclose(c.result.se_weights["se"], se_before)
    assert tab.unsaved


def test_stop_keeps_the_weights_reached_and_save_writes_a_run_weights_file(
        new_panel, qapp, tmp_path, monkeypatch):
    from engine.cli import main as cli_main

    graph = tiny_classifier()
    win, panel = _panel_on(new_panel, graph)
    tab = panel.train_tab
    # many short epochs (about 16 ms each): the stop, sent when the first epoch's
    # report reaches the UI, lands long before the last one even on a busy machine
    _settings(tab, epochs=50, samples=96)

    def stop_after_the_first_epoch(r):
        if r["phase"] == "epoch" and r["epoch"] == 1:
            tab.run.stop()
    tab.run.report.connect(stop_after_the_first_epoch)
    assert tab.start()
    assert tab.run.state == "running" and not tab.start()  # one run at a time
    _wait(panel, lambda: not tab.run.busy, timeout=60)
    answer = tab.last_answer
    result = answer["result"]
    assert not result.completed and 1 <= len(result.epochs) < 50
    assert "Training stopped" in tab.status.text()
    # the weights reached: a file of their own, the panel's weights now
    assert tab.weights == answer["weights"] and Path(tab.weights).is_file()
    _wait(panel, lambda: panel.controller.weights_path == tab.weights, timeout=10)
    assert tab.unsaved
    assert tab.start_button.isEnabled() and not tab.stop_button.isEnabled()

    out = tmp_path / "trained.pt"
    assert tab.save_weights(out) == str(out)
    assert not tab.unsaved and out.read_bytes() == Path(tab.weights).read_bytes()
    graph_file = save(graph, tmp_path / "tiny.json")
    assert cli_main(["run", str(graph_file), "--weights", str(out), "--out",
                     str(tmp_path / "run")]) == 0

    # "from the panel's weights": the next run starts where this one stopped
    started = []
    monkeypatch.setattr(tab.run, "start", lambda *args: started.append(args) or False)
    assert not tab.start()
    assert started[-1][3] is None  # unticked: the seed's weights
    tab.go_on.setChecked(True)
    assert not tab.start()
    assert started[-1][3] == panel.controller.weights_path == tab.weights
    # the Weights tab's Save weights saves the trained weights too while they are the panel's
    tab.saved = False
    panel.controller.save_weights(tmp_path / "from_weights_tab.pt")
    _wait(panel, lambda: tab.saved, timeout=60)


def test_a_design_that_cannot_train_is_said_and_nothing_starts(new_panel):
    g = tiny_classifier(k=10)  # 10 classes: the shapes have 4
    win, panel = _panel_on(new_panel, g)
    tab = panel.train_tab
    _settings(tab, epochs=1, samples=32)
    assert tab.start()  # the class count is the engine's to check
    _wait(panel, lambda: not tab.run.busy, timeout=60)
    assert "4 classes" in tab.error and "Training failed" in tab.status.text()
    assert tab.weights is None and not tab.unsaved
    panel.doc.graph.set_params("conv2", {"kernel_size": 30})  # an error in the graph
    assert not tab.start()
    assert "Cannot train" in tab.status.text() and "errors" in tab.status.text()
