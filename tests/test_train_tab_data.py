"""The Train tab's data preview (a folder's per-class counts with a corrupt file, an
empty folder, a single class), the predicted masks of segmentation, and the offer to
save unsaved trained weights when the window closes. No training here but one short
run that fails (a design whose output does not fit the data).

Offscreen with pytest-qt.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.panel_helpers import _wait
from tests.test_training_helpers import image_folder, tiny_classifier
from tests.window_helpers import Button

pytestmark = pytest.mark.gui


def _tab(new_panel, graph):
    from designer.document import Document

    win, panel = new_panel()
    panel.set_document(Document(graph))
    assert panel.train_tab.preview.preview is None  # hidden: the data is not read
    panel.tabs.setCurrentWidget(panel.train_tab)  # shown: it is
    _wait(panel, lambda: not panel.train_tab.run.jobs.busy, timeout=30)
    return panel, panel.train_tab


def _preview(panel, tab, data):
    tab.settings.set_data(str(data))
    _wait(panel, lambda: not tab.run.jobs.busy, timeout=30)
    return tab.preview


def test_folder_preview_counts_classes_and_skips_a_corrupt_file(new_panel, tmp_path):
    root = image_folder(tmp_path / "pets", ("cat", "dog", "fox"), per_class=4)
    (root / "dog" / "broken.png").write_bytes(b"not a png")
    panel, tab = _tab(new_panel, tiny_classifier(k=3))
    preview = _preview(panel, tab, root)
    assert preview.error is None
    assert preview.preview["counts"] == [4, 4, 4]
    assert preview.preview["skipped"] == ["dog/broken.png"]
    text = preview.summary.text()
    assert "cat <b>4</b>" in text and "1 unreadable file skipped" in text
    assert "broken.png" in text
    assert tab.pages.currentWidget() is preview
    # the grid shows examples of every class, labelled with it
    assert sorted(set(preview.grid.captions)) == ["cat", "dog", "fox"]
    assert len(preview.grid.captions) == 12
    assert tab.settings.data() == str(root) and not tab.settings.samples.isEnabled()


@pytest.mark.parametrize("make, message", [
    (lambda root: root.mkdir(), "no class sub-folders"),
    (lambda root: image_folder(root, ("cat",), per_class=3), "only one class"),
    (lambda root: None, "no such folder"),
])
def test_an_unusable_folder_is_said_plainly(new_panel, tmp_path, make, message):
    root = tmp_path / "data"
    make(root)
    panel, tab = _tab(new_panel, tiny_classifier(k=2))
    preview = _preview(panel, tab, root)
    assert message in preview.error
    assert "Cannot use" in preview.summary.text() and message in preview.summary.text()
    assert preview.grid.captions == []


def test_shapes_preview_and_class_counts(new_panel):
    panel, tab = _tab(new_panel, tiny_classifier())
    tab.settings.samples.setValue(400)
    preview = _preview(panel, tab, "shapes")
    assert preview.preview["counts"] == [125, 125, 125, 125]  # 400 + 100, balanced
    assert preview.preview["classes"] == ["circle", "square", "triangle", "cross"]
    preview = _preview(panel, tab, "shapes-seg")
    assert preview.preview["task"] == "segment"
    assert preview.grid.captions[0] == "true mask" and len(preview.grid.tiles[0]) == 2


def test_predicted_masks_of_segmentation(qapp):
    from designer.training.samples import SamplesGrid

    grid = SamplesGrid()
    truth = np.zeros((2, 4, 4), np.uint8)
    truth[:, 1:3, 1:3] = 2
    pred = truth.copy()
    pred[1] = 0  # the second misses the shape: 12 of 16 pixels right
    grid.set_samples(np.zeros((2, 3, 4, 4), np.uint8), ["background", "a", "b"], truth, pred,
                     task="segment")
    assert grid.captions == ["100% right", "75% right"]  # of the pixels
    assert grid.right == [True, False]
    mask = grid.tiles[0][1]  # image, then its mask in the class colours
    assert mask.pixelColor(1, 1) != mask.pixelColor(0, 0)
    assert [name for name, _ in grid.legend] == ["background", "a", "b"]
    grid.resize(300, 200)
    grid.grab()  # paints


def test_quitting_offers_to_save_unsaved_trained_weights(engine_window, dialogs, tmp_path,
                                                         monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    window = engine_window
    panel = window.ensure_panel()
    tab = panel.train_tab
    trained = tmp_path / "epoch-1.pt"
    trained.write_bytes(b"weights")
    tab.weights, tab.saved = str(trained), False  # as after an epoch
    dialogs["answers"]["question"] = Button.Cancel
    window.close()
    assert window.isVisible()
    assert dialogs["question"][-1][0] == "Unsaved trained weights"
    kept = tmp_path / "kept.pt"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(kept), "")))
    dialogs["answers"]["question"] = Button.Save
    window.close()
    assert not window.isVisible()
    assert kept.read_bytes() == b"weights" and not tab.unsaved


def test_without_an_engine_process_training_runs_in_the_worker(new_panel, monkeypatch):
    monkeypatch.setenv("CONVCANVAS_ENGINE_PROCESS", "0")
    panel, tab = _tab(new_panel, tiny_classifier())
    tab.settings.epochs.setValue(50)  # short epochs: the stop lands long before the last
    tab.settings.samples.setValue(48)
    tab.settings.batch.setValue(16)
    tab.run.report.connect(lambda r: r["phase"] == "epoch" and tab.run.stop())
    assert tab.start()
    _wait(panel, lambda: not tab.run.busy, timeout=60)
    assert tab.error is None, tab.error
    result = tab.last_answer["result"]
    assert not result.completed and 1 <= len(result.epochs) < 50  # stopped, weights kept
    assert tab.weights.endswith("stopped.pt")
    _wait(panel, lambda: panel.controller.weights_path == tab.weights, timeout=10)
