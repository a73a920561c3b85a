"""The engine panel's Train tab: settings, Start / Pause / Stop, progress, what training shows.

:class:`TrainTab` puts together the settings (:mod:`.settings`), the progress
bar with its ETA (:mod:`.progress`), the live curves (:mod:`.curves`), the
confusion matrix (:mod:`.confusion`), the validation predictions
(:mod:`.samples`) and the data preview (:mod:`.dataset_preview`). A run goes
through :class:`.run.TrainingRun` (an engine process of its own, off the UI
thread). After every epoch, and when a run ends (or is stopped), the tab
emits :attr:`weightsTrained` with the weights file reached: the panel makes
them its current weights, so the Maps, Offsets, SE and RF tabs show them.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import asdict
from html import escape
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from designer import look
from engine.atomic import atomic_write

from .confusion import ConfusionView
from .curves import CurvesView
from .dataset_preview import DatasetPreview, preview_data
from .progress import TrainProgress
from .run import TrainingRun
from .samples import SamplesGrid
from .settings import TrainSettings

__all__ = ["TrainTab"]

WEIGHTS_FILTER = "PyTorch weights (*.pt *.pth);;All files (*)"
HANDOVER_MS = 40  # from an epoch's report to handing its weights to the panel
HINT = ("Choose the data and press <b>Start</b>: after every epoch the weights reached "
        "become the panel's, so the Maps, Offsets, SE and RF tabs show what the network "
        "learned.")


class TrainTab(QWidget):
    """Train the open design in the tool and watch it learn.

    Signals
    -------
    weightsTrained(str, str)
        ``(weights file, description)`` after each epoch and at the end of a run.
    weightsSaved(str)
        The trained weights were saved to this file.
    """

    weightsTrained = Signal(str, str)
    weightsSaved = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.doc = None
        self.run = TrainingRun(self)
        self.weights: str | None = None  # the latest trained weights (a temporary file)
        self.saved = True  # the latest trained weights were saved (or there are none)
        self.last_answer: dict | None = None
        self.error: str | None = None
        self._data_shown: str | None = None
        self._last_step = (0, 0, 0.0)  # (epoch, step, mean loss) of the last step report
        self._run_doc = None  # the document of the last run
        self._preview_stale = True  # the Data page does not show the chosen data yet
        #: the weights file the panel uses now (None: the seed's); set by the panel
        self.panel_weights: Callable[[], str | None] = lambda: None
        self._build()
        self.run.report.connect(self._report)
        self.run.finished.connect(self._finished)
        self.run.failed.connect(self._failed)
        self.run.stateChanged.connect(self._state_changed)
        self.settings.dataChanged.connect(lambda _d: self.refresh_preview())
        self.settings.samples.valueChanged.connect(  # the generated sets' counts
            lambda _v: self.settings.data() in ("shapes", "shapes-seg") and
            self.refresh_preview())

    def _build(self) -> None:
        self.settings = TrainSettings()
        self.start_button = QPushButton("Start")
        self.start_button.setToolTip("Train the design with these settings")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop training, keeping the weights reached")
        self.go_on = QCheckBox("from the panel's weights")
        self.go_on.setToolTip("Start from the weights the panel uses now (trained or loaded) "
                              "instead of the seed's random weights")
        self.save_button = QPushButton("Save weights…")
        self.save_button.setToolTip("Save the trained weights (a .pt file for "
                                    "main.py run --weights and the exported class)")
        buttons = QHBoxLayout()
        for b in (self.start_button, self.go_on, self.pause_button, self.stop_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        self.progress = TrainProgress()
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.RichText)
        # two lines, always: a new text repaints the label, not the whole tab's layout
        self.status.setFixedHeight(2 * self.status.fontMetrics().lineSpacing() + 4)
        self.status.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.curves = CurvesView()
        self.confusion = ConfusionView()
        self.samples = SamplesGrid()
        self.samples.clear("Predictions on validation images appear after the first epoch.")
        self.preview = DatasetPreview()
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(self.confusion)
        bottom.addWidget(self.samples)
        bottom.setSizes([300, 400])
        page = QSplitter(Qt.Orientation.Vertical)
        page.addWidget(self.curves)
        page.addWidget(bottom)
        page.setSizes([240, 260])
        self.pages = QTabWidget()
        self.pages.setDocumentMode(True)
        self.progress_page = page
        self.pages.addTab(page, "Curves and predictions")
        self.pages.addTab(self.preview, "Data")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(4)
        lay.addWidget(self.settings)
        lay.addLayout(buttons)
        lay.addWidget(self.progress)
        lay.addWidget(self.status)
        lay.addWidget(self.pages, 1)
        self.start_button.clicked.connect(lambda: self.start())
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button.clicked.connect(self.run.stop)
        self.save_button.clicked.connect(lambda: self.ask_save())
        self._state_changed("idle")

    # -- the panel's interface -------------------------------------------------------------
    def set_document(self, doc) -> None:
        """Train ``doc``'s graph; a run of another document is stopped (its weights stay
        with the tab, to be saved, but are not given to the new document)."""
        if doc is not self.doc and self.run.busy:
            self.run.stop()
        self.doc = doc
        self._data_shown = None
        self._say(HINT if doc is not None else "")
        self.refresh_preview()

    def follow(self, controller) -> None:
        """Work with the panel's :class:`~designer.panel.controller.RunController`: its
        weights file is :attr:`panel_weights`, and its *Save weights* (Weights tab) saves
        the trained weights too while they are the panel's."""
        self.panel_weights = lambda: controller.weights_path
        controller.weightsSaved.connect(
            lambda _path: controller.trained and setattr(self, "saved", True))

    @property
    def unsaved(self) -> bool:
        """Trained weights exist that were not saved to a file of the user's."""
        return self.weights is not None and not self.saved

    def input_size(self) -> tuple[int, int, int]:
        """``(C, H, W)`` of the design's Input; raises TaskError/ValueError when it cannot train."""
        from engine.training.model_task import graph_task

        if self.doc is None:
            raise ValueError("open a design first")
        result = self.doc.result()
        if not result.valid:
            raise ValueError("the graph has errors: fix them first")
        return graph_task(self.doc.graph, result)[4]

    # -- actions -------------------------------------------------------------------------------
    def start(self, weights: str | None = None) -> bool:
        """Start training with the settings; False if it cannot.

        It starts from ``weights`` if given, else from the panel's weights file
        (:attr:`panel_weights`) when *from the panel's weights* is ticked, else
        from the seed's random weights.
        """
        if weights is None and self.go_on.isChecked():
            weights = self.panel_weights()
        data = self.settings.data()
        try:
            self.input_size()
            if data is None:
                raise ValueError("choose a folder of class sub-folders first")
            config = self.settings.config()
        except Exception as exc:  # noqa: BLE001 - said in the tab
            self._say(look.span(f"<b>Cannot train</b>: {escape(str(exc))}", look.ERROR))
            return False
        if not self.run.start(self.doc.graph.to_dict(), data, config, weights):
            return False
        self._run_doc = self.doc
        self.error = None
        self.last_answer = None
        self.curves.clear(config.epochs)
        self._last_step = (0, 0, 0.0)
        self.confusion.clear()
        self.samples.clear("Predictions on validation images appear after the first epoch.")
        self.progress.start()
        self.pages.setCurrentWidget(self.progress_page)
        start = f" from {escape(Path(weights).name)}" if weights else ""
        self._say(f"Training on <b>{escape(str(data))}</b>{start}…")
        return True

    def toggle_pause(self) -> None:
        """Pause a running run, or resume a paused one."""
        if self.run.state == "paused":
            self.run.resume()
        else:
            self.run.pause()

    def save_weights(self, path) -> str:
        """Copy the latest trained weights to ``path`` (atomically); returns the path.

        Raises
        ------
        ValueError
            No trained weights yet.
        OSError
            The file cannot be written (the old one is kept).
        """
        if self.weights is None:
            raise ValueError("no trained weights yet: train first")
        with open(self.weights, "rb") as src:
            atomic_write(path, lambda f: shutil.copyfileobj(src, f))
        self.saved = True
        self.weightsSaved.emit(str(path))
        return str(path)

    def ask_save(self) -> bool:
        """Ask for a file and save the trained weights there; False if cancelled or failed."""
        path, _ = QFileDialog.getSaveFileName(self, "Save trained weights", "trained.pt",
                                              WEIGHTS_FILTER)
        if not path:
            return False
        try:
            self.save_weights(path)
        except (OSError, ValueError) as exc:
            self._say(look.span(f"<b>Cannot save the weights</b>: {escape(str(exc))}",
                                look.ERROR))
            return False
        self._say(f"Weights saved to <b>{escape(path)}</b>.")
        return True

    def offer_save(self, parent=None) -> bool:
        """Before quitting: when trained weights are unsaved, ask Save / Discard / Cancel.

        Returns True when the caller may go on (saved, discarded, or nothing to save).
        """
        if not self.unsaved:
            return True
        button = QMessageBox.StandardButton
        answer = QMessageBox.question(
            parent or self, "Unsaved trained weights",
            "<p>The weights trained in the <b>Train</b> tab are not saved.</p>"
            "<p>They are lost if you don't save them.</p>",
            button.Save | button.Discard | button.Cancel, button.Save)
        if answer == button.Save:
            return self.ask_save()
        return answer == button.Discard

    def train_for_screenshot(self, epochs: int, timeout_s: float = 600) -> str | None:
        """Train with the settings and return once ``epochs`` epochs are done, mid-run
        (the run has more epochs: ``main.py --screenshot --train-epochs``); None, or why not."""
        if self.settings.epochs.value() <= epochs:
            self.settings.epochs.setValue(epochs + 1)
        if not self.start():
            return self.status.text()
        self.run.jobs.wait(timeout_s, until=lambda: len(self.curves.points["val_acc"][0])
                           >= epochs or not self.run.busy)
        if len(self.curves.points["val_acc"][0]) < epochs:
            return self.error or f"fewer than {epochs} epochs within {timeout_s:g} s"
        return None

    def refresh_preview(self) -> None:
        """Read the chosen data set again for the Data page (in the worker thread; while
        the tab is hidden, when it is next shown)."""
        self._preview_stale = True
        data = self.settings.data()
        if data is None or self.doc is None or self.run.busy or not self.isVisible():
            return
        self._preview_stale = False
        try:
            c, h, w = self.input_size()
        except Exception as exc:  # noqa: BLE001 - said on the Data page
            self.preview.show_error(str(data), str(exc))
            return
        seed, samples = self.settings.seed.value(), self.settings.samples.value()
        self.preview.show_loading(str(data))
        self._data_shown = data
        self.run.jobs.submit(
            "preview", lambda _ctx: preview_data(data, c, h, w, seed, samples),
            on_done=lambda p: self._data_shown == data and self.preview.show_preview(data, p),
            on_fail=lambda msg, _tb: self._data_shown == data and
            self.preview.show_error(str(data), msg))
        if data not in ("shapes", "shapes-seg"):
            self.pages.setCurrentWidget(self.preview)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        """Read the data set for the Data page if it changed while the tab was hidden."""
        super().showEvent(event)
        if self._preview_stale:
            self.refresh_preview()

    def shutdown(self) -> None:
        """Stop a run and close its engine process (the trained weights files go too)."""
        self.run.shutdown()

    # -- reports (UI thread) -----------------------------------------------------------------
    def _report(self, r: dict) -> None:
        phase = r["phase"]
        if phase == "data":
            self._say(escape(r["message"]) + ".")
            return
        self.progress.update_from(r)
        if phase == "train" and r["loss"] is not None and r["steps"]:
            self._step_loss(r)
        elif phase == "epoch":
            m = r["metrics"]
            self.curves.add_epoch(m)
            if "confusion" in r:
                self.confusion.set_matrix(r["confusion"], r["classes"], r["task"])
                self.samples.set_samples(r["images"], r["classes"], r["truth"], r["pred"],
                                         r["task"])
            self._say(f"Epoch {m['epoch']}/{r['epochs']}: {self._figures(m)}.")
            if r.get("weights"):
                self._trained(r["weights"], f"epoch {m['epoch']}/{r['epochs']}, "
                              f"{100 * m['val_acc']:.1f}% on validation")

    def _step_loss(self, r: dict) -> None:
        """A point of the training loss over the steps since the last report: the report
        holds the epoch's mean so far, ``(mean·step − mean₀·step₀) / (step − step₀)``."""
        epoch0, step0, mean0 = self._last_step
        if epoch0 != r["epoch"]:
            step0, mean0 = 0, 0.0
        if r["step"] > step0:
            loss = (r["loss"] * r["step"] - mean0 * step0) / (r["step"] - step0)
            self.curves.add_step(r["epoch"] - 1 + r["step"] / r["steps"], loss)
        self._last_step = (r["epoch"], r["step"], r["loss"])

    @staticmethod
    def _figures(m: dict) -> str:
        return (f"loss {m['train_loss']:.3f} (validation {m['val_loss']:.3f}), accuracy "
                f"<b>{100 * m['train_acc']:.1f}%</b> (validation "
                f"<b>{100 * m['val_acc']:.1f}%</b>), {m['seconds']:.1f} s")

    def _trained(self, path: str, text: str) -> None:
        self.weights = path
        self.saved = False
        self.save_button.setEnabled(True)
        if self.doc is self._run_doc:  # the weights are the design's
            # a moment later: the epoch's figures are painted first, then the panel runs
            # (two short stalls of the UI thread, not one long one)
            QTimer.singleShot(HANDOVER_MS, self, lambda: self.doc is self._run_doc and
                              self.weightsTrained.emit(path, text))

    def _finished(self, answer: dict) -> None:
        self.last_answer = answer
        result = answer["result"]
        last = result.last
        how = "Training done" if result.completed else "Training stopped"
        self.progress.finish(how.lower())
        text = f"<b>{how}</b> after {len(result.epochs)} of {result.config.epochs} epochs"
        if last is not None:
            text += f": {self._figures(asdict(last))}"
        if result.val_miou is not None:
            text += f", mean IoU {100 * result.val_miou:.1f}%"
        self._say(text + ". The weights reached are the panel's weights now; "
                  "<b>Save weights…</b> keeps them.")
        if answer["weights"] != self.weights:  # stopped part-way: the weights reached
            self._trained(answer["weights"], f"stopped in epoch {len(result.epochs) + 1}")

    def _failed(self, message: str) -> None:
        self.error = message
        self.progress.finish("failed")
        self._say(look.span(f"<b>Training failed</b>: {escape(message)}", look.ERROR))

    def _state_changed(self, state: str) -> None:
        idle = state == "idle"
        self.settings.set_running(not idle)
        self.start_button.setEnabled(idle)
        self.go_on.setEnabled(idle)
        self.pause_button.setEnabled(state in ("running", "paused"))
        self.pause_button.setText("Resume" if state == "paused" else "Pause")
        self.stop_button.setEnabled(state in ("running", "paused"))
        self.save_button.setEnabled(self.weights is not None)
        self.progress.set_paused(state == "paused")

    def _say(self, html: str) -> None:
        self.status.setText(html)
