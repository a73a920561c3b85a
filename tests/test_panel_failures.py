"""Engine panel failures and cancellation: a cancelled run, an unreadable image, an
invalid graph, a failed run and a bad weights file each say why and leave the panel
working. Offscreen with pytest-qt; the worker is waited for with the panel's helpers.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.panel_helpers import (
    _document,
    _settle,
    _wait,
)

pytestmark = pytest.mark.gui


def test_cancel_stops_a_run(new_panel, qapp):
    win, panel = new_panel()
    panel.set_document(_document())
    seen = []

    def cancel_after_three(job, done, total, label):  # runs in the worker thread
        seen.append(done)
        if done == 3:
            panel.controller.jobs.cancel()  # the next progress callback raises

    panel.controller.jobs.progress.connect(cancel_after_three,
                                           Qt.ConnectionType.DirectConnection)
    assert panel.run()
    _wait(panel, lambda: panel.run_state != "running")
    assert panel.run_state == "cancelled"
    assert "cancelled" in panel.status_text().lower()
    assert panel.controller.result is None
    assert max(seen) == 3
    assert panel.last_error is None
    panel.controller.jobs.progress.disconnect(cancel_after_three)
    _settle(panel, qapp)
    assert not panel.cancel_button.isEnabled()
    # the panel still works afterwards
    assert panel.run_blocking(timeout_s=60)


def test_unreadable_image_shows_an_error_and_keeps_the_image(new_panel, qapp, tmp_path,
                                                              small_image):
    win, panel = new_panel()
    panel.set_document(_document())
    panel.set_image(small_image)
    _settle(panel, qapp)
    assert panel.controller.image_path == small_image
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n this is not an image")
    panel.set_image(bad)
    _settle(panel, qapp)
    assert panel.last_error is not None
    title, message = panel.last_error
    assert title == "Cannot read the image" and "broken.png" in message
    assert panel.dialog is not None and panel.dialog.isVisible()
    panel.dialog.close()
    assert panel.controller.image_path == small_image
    assert panel.run_blocking(timeout_s=60)
    assert "small.png" in panel.status_text()


def test_invalid_graph_asks_to_fix_the_errors(new_panel):
    win, panel = new_panel()
    doc = _document()
    doc.graph.disconnect("pool1", "deform", 0)
    panel.set_document(doc)
    assert not panel.run()
    assert "fix the errors first" in panel.status_text().lower()
    assert "deform: input not connected" in panel.status_text()
    assert not panel.controller.busy
    # headless callers (--screenshot --run) get the reason in one line
    assert not panel.run_blocking(timeout_s=10)
    assert panel.run_failure() == ("the graph has 1 error: deform: input not connected; "
                                   "fix the graph, then run")


def test_a_failed_run_says_why(new_panel, tmp_path):
    win, panel = new_panel()
    panel.set_document(_document())
    broken = tmp_path / "gone.png"
    broken.write_bytes(b"not a picture")  # replaced on disk after it was chosen
    panel.controller.image_path = broken
    assert not panel.run_blocking(timeout_s=60)
    assert panel.run_state == "failed"
    reason = panel.run_failure()
    assert reason.startswith("the run failed: ") and "gone.png" in reason, reason
    assert "\n" not in reason
    assert panel.last_error[0] == "The run failed"
    assert panel.maps_problem().startswith("it shows a message: Run the network")
    panel.dialog.close()


def test_bad_weights_file_is_refused_with_a_clear_message(new_panel, qapp, tmp_path):
    win, panel = new_panel()
    panel.set_document(_document())
    bad = tmp_path / "w.pt"
    bad.write_bytes(b"not a torch file")
    panel.controller.load_weights(bad)
    _settle(panel, qapp)
    assert panel.last_error[0] == "Cannot load the weights"
    assert "w.pt" in panel.last_error[1]
    assert panel.controller.weights_path is None
    panel.dialog.close()
    # save, then load back the engine's own weights: accepted
    good = tmp_path / "good.pt"
    panel.controller.save_weights(good)
    _settle(panel, qapp)
    assert good.exists()
    panel.controller.load_weights(good)
    _settle(panel, qapp)
    assert panel.controller.weights_path == str(good)
    assert "good.pt" in panel.weights_tab.state.text()


def test_the_error_line_goes_once_the_error_is_fixed(new_panel, qapp):
    """Issue 15 (4): the panel kept saying "graph has 1 error" after the fix."""
    from designer.commands import SetParamsCommand, push_edit

    win, panel = new_panel()
    doc = _document()
    panel.set_document(doc)
    conv = next(n for n, node in doc.graph.nodes.items() if node.kind.params
                and any(p.name == "kernel_size" for p in node.kind.params)
                and node.kind.param("kernel_size").hi >= 999)
    assert push_edit(doc.undo_stack, SetParamsCommand(doc.graph, conv, {"kernel_size": 999},
                                                      mergeable=False)) is None
    assert "error" in panel.status_text()
    doc.undo_stack.undo()
    assert doc.result().valid
    assert "error" not in panel.status_text(), panel.status_text()
    assert "Run" in panel.status_text()
