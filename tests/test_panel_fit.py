"""Engine panel: auto-run after graph and weights changes, and Fit offsets (progress,
cancel, reset to the seed's weights, offsets gone stale after an edit). Offscreen
with pytest-qt; the worker is waited for with the panel's own helpers.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

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


def test_fit_cancel_reset_and_stale_offsets(new_panel, qapp):
    """Fit offsets: the summary stays readable; a cancelled fit keeps its steps and says
    so (results stale); Random weights goes back to the seed's weights; offsets of a run
    before an edit of the node are not drawn with the new parameters."""
    win, panel = new_panel()
    panel.set_document(_document())
    assert panel.run_blocking(timeout_s=120), panel.status_text()
    c = panel.controller
    panel.select_node("deform")
    panel.tabs.setCurrentWidget(panel.offsets_tab)
    qapp.processEvents()
    zero = panel.offsets_tab.offsets.copy()
    assert not zero.any()
    assert not panel.weights_tab.reset_button.isEnabled()

    panel.auto_run.setChecked(True)  # a finished fit brings its own run: no second one
    panel._fit_offsets("deform", 4)
    _wait(panel, lambda: panel.run_state != "running")
    _settle(panel, qapp)
    assert not panel.auto_timer.isActive() and not c.busy
    panel.auto_run.setChecked(False)
    status = panel.status_text()
    assert "Fitted the offsets of deform for 4 steps" in status and "Ran " in status, status
    fitted = panel.offsets_tab.offsets.copy()
    assert np.abs(fitted).max() > 0 and c.result_is_current()
    # the arrows follow: one per tap, drawn where the tap moved (more than 0.05 px)
    tab = panel.offsets_tab
    grid, deformed = tab.sample_points()
    moved = np.hypot(*(deformed - grid).T) > 0.05
    assert moved.any() and len(tab.arrows) == 9
    assert [a.isVisible() for a in tab.arrows] == list(moved)
    assert "fitted" in c.weights_text() and panel.weights_tab.reset_button.isEnabled()

    def cancel_at_two(job, done, total, label):  # worker thread
        if job == "fit" and done == 2:
            c.jobs.cancel()

    c.jobs.progress.connect(cancel_at_two, Qt.ConnectionType.DirectConnection)
    try:
        panel._fit_offsets("deform", 50)
        _wait(panel, lambda: panel.run_state != "running")
        _settle(panel, qapp)
    finally:
        c.jobs.progress.disconnect(cancel_at_two)
    assert panel.run_state == "cancelled"
    # cancel is noticed at the report of step 3, made after step 3 updated the weights
    assert "keep the 3 of 50 steps taken" in panel.status_text(), panel.status_text()
    assert not c.result_is_current()  # the weights moved since the last run
    assert panel.run_blocking(timeout_s=60)
    moved = c.result.offsets["deform"]
    assert not np.array_equal(moved, fitted)  # the two extra steps are in the weights

    panel.weights_tab.reset_button.click()  # the same seed: fresh random weights again
    assert c.weights_text() == f"random (seed {c.seed})"
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

    # a run that rebuilt the model (the graph changed) and was then cancelled: the
    # fitted offsets are gone with the old model, and the weights no longer claim them
    panel._fit_offsets("deform", 2)
    _wait(panel, lambda: panel.run_state != "running")
    assert "fitted" in c.weights_text()
    panel.doc.graph.set_params("classifier", {"out_features": 7})

    def cancel_when_built(job, done, total, label):  # worker thread
        if job == "run" and label not in ("building the model", "loading PyTorch"):
            c.jobs.cancel()

    c.jobs.progress.connect(cancel_when_built, Qt.ConnectionType.DirectConnection)
    try:
        assert panel.run()
        _wait(panel, lambda: panel.run_state != "running")
    finally:
        c.jobs.progress.disconnect(cancel_when_built)
    assert panel.run_state == "cancelled"
    assert "fitted" not in c.weights_text(), c.weights_text()
