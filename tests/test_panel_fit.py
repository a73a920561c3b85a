"""Engine panel: auto-run after graph and weights changes, and trained weights (the
offsets they move drawn, reset to the seed's weights, offsets gone stale after an edit,
weights dropped when the graph no longer takes them). Offscreen with pytest-qt; the
worker is waited for with the panel's own helpers.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.panel_helpers import (
    _document,
    _settle,
    _wait,
)

pytestmark = pytest.mark.gui


def test_auto_run_follows_graph_and_weights_changes(new_panel):
    win, panel = new_panel()
    panel.set_document(_document())
    assert panel.run_blocking(timeout_s=60)
    runs = []
    panel.controller.runFinished.connect(runs.append)
    panel.auto_run.setChecked(True)
    assert not panel.auto_timer.isActive()  # results are current: nothing to do
    panel.doc.graph.move("classifier", (5, 2400))  # positions do not matter
    assert not panel.auto_timer.isActive()
    panel.doc.graph.set_params("classifier", {"out_features": 9})
    assert panel.auto_timer.isActive()
    _wait(panel, lambda: len(runs) == 1, timeout=30)
    assert panel.controller.result.activations["classifier"].shape == (9,)
    assert panel.controller.result_is_current()
    panel.weights_tab.seed.setValue(7)  # a new seed re-initialises, then runs
    _wait(panel, lambda: len(runs) == 2, timeout=30)
    assert panel.controller.result.seed == 7
    assert "seed 7" in panel.weights_tab.state.text()


def _weights_with_moved_offsets(panel, path):
    """A weights file of the panel's graph whose deformable conv has learned offsets
    (the engine's Session.fit_offsets: a few steps that move them)."""
    from engine.runtime import Session

    session = Session(panel.doc.graph.to_dict(), panel.controller.seed)
    session.fit_offsets("deform", 4)
    return session.save_weights(path)


def test_trained_weights_reset_and_stale_offsets(new_panel, qapp, tmp_path):
    """Weights the Train tab reached become the panel's: a run draws the moved offsets
    and the status says where the weights come from; Random weights goes back to the
    seed's weights; offsets of a run before an edit of the node are not drawn with the
    new parameters; a graph the weights no longer fit drops them, saying so."""
    win, panel = new_panel()
    panel.set_document(_document())
    assert panel.run_blocking(timeout_s=120), panel.status_text()
    c = panel.controller
    panel.select_node("deform")
    panel.tabs.setCurrentWidget(panel.offsets_tab)
    qapp.processEvents()
    zero = panel.offsets_tab.offsets.copy()
    assert not zero.any()
    assert "Train</b> tab" in panel.offsets_tab.info.text()  # where offsets learn
    assert not panel.weights_tab.reset_button.isEnabled()

    trained = _weights_with_moved_offsets(panel, tmp_path / "epoch-1.pt")
    panel._weights_trained(trained, "epoch 1/1, validation accuracy 50.0%")  # runs
    _wait(panel, lambda: panel.run_state != "running")
    _settle(panel, qapp)
    assert "trained (epoch 1/1" in c.weights_text() and c.result_is_current()
    assert "trained (epoch 1/1" in panel.status_text()
    moved_offsets = panel.offsets_tab.offsets.copy()
    assert np.abs(moved_offsets).max() > 0
    # the arrows follow: one per tap, drawn where the tap moved (more than 0.05 px)
    tab = panel.offsets_tab
    grid, deformed = tab.sample_points()
    moved = np.hypot(*(deformed - grid).T) > 0.05
    assert moved.any() and len(tab.arrows) == 9
    assert [a.isVisible() for a in tab.arrows] == list(moved)
    assert "trained in the Train tab" in tab.info.text()
    assert panel.weights_tab.reset_button.isEnabled()

    panel.weights_tab.reset_button.click()  # the same seed: fresh random weights again
    assert c.weights_text() == f"random (seed {c.seed})" and c.trained is None
    assert not c.result_is_current()
    assert panel.run_blocking(timeout_s=60)
    assert np.array_equal(c.result.offsets["deform"], zero)
    assert not panel.weights_tab.reset_button.isEnabled()

    # an edit of the node after the run: its offsets no longer match its parameters
    panel.doc.graph.set_params("deform", {"kernel_size": 5, "padding": 2})
    panel.tabs.setCurrentWidget(panel.maps_tab)
    panel.tabs.setCurrentWidget(panel.offsets_tab)
    qapp.processEvents()
    text = panel.offsets_tab.placeholder.text()
    assert "changed since the last run" in text, text
    assert panel.run_blocking(timeout_s=60)
    panel.tabs.setCurrentWidget(panel.maps_tab)
    panel.tabs.setCurrentWidget(panel.offsets_tab)
    qapp.processEvents()
    assert panel.offsets_tab.offsets.shape[0] == 2 * 25
    assert len(panel.offsets_tab.sample_points()[0]) == 25

    # trained weights of the 3x3 graph do not fit the 5x5 one: dropped, with a notice
    panel._weights_trained(trained, "epoch 1/1")
    _wait(panel, lambda: panel.run_state != "running")
    assert panel.run_state == "done"
    assert c.trained is None and c.weights_text() == f"random (seed {c.seed})"
