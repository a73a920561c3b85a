"""The engine panel: run the design on an image and look inside it.

:class:`EnginePanel` is the dock widget of the main window. A header with
*Run* (Ctrl+R), *Cancel*, a per-node progress bar and *Auto-run* sits above
nine tabs: Image, Maps (feature maps), Offsets (deformable convs), SE
(channel weights), RF (receptive fields on the image), Mechanism
(:mod:`designer.mechanism`), Weights, Train (:mod:`designer.training`: each
epoch's weights become the panel's and a run refreshes the tabs) and Code
(the header: :mod:`.run_header`; what each tab shows: :mod:`.views`).

All torch work happens in one worker thread (:class:`.controller.RunController`);
the panel only draws numpy arrays, and only the visible tab is redrawn when
something changes (the others catch up when shown).
"""

from __future__ import annotations

from html import escape

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox, QTabWidget, QVBoxLayout, QWidget

from designer.look import ERROR, plural, span
from designer.mechanism.tab import MechanismTab
from designer.training import TrainTab

from . import fmt
from .code_tab import CodeTab
from .controller import SAMPLES_DIR, RunController
from .feature_tab import FeatureMapsTab
from .image_tab import ImageTab, dropped_image
from .offsets_tab import OffsetsTab
from .rf_tab import ReceptiveFieldTab
from .run_header import RunHeader
from .se_tab import SETab
from .views import Views, input_sources
from .weights_tab import WeightsTab

__all__ = ["EnginePanel"]

AUTO_RUN_DELAY_MS = 400


class EnginePanel(QWidget):
    """Run the open design on an image and inspect activations, offsets, SE, RFs, code.

    Parameters
    ----------
    window : QWidget, optional
        The main window (parent of dialogs).

    Signals
    -------
    nodeRequested(str)
        The panel suggests selecting this node (e.g. a button "Show deform");
        the window may select it on the canvas (it then calls :meth:`select_node`).
    statusMessage(str)
        A one-line summary for the window's status bar.

    Notes
    -----
    The window calls :meth:`set_document`, :meth:`select_node` and, for
    ``--screenshot --run``, :meth:`run_blocking`. :attr:`run_action` (Ctrl+R)
    can be put in a menu.
    """

    nodeRequested = Signal(str)
    statusMessage = Signal(str)

    def __init__(self, window=None):
        super().__init__(window)
        self.window_ = window
        self.doc = None
        self.node_id: str | None = None
        self.last_error: tuple[str, str] | None = None
        self._run_problem: str | None = None
        self.dialog: QMessageBox | None = None
        self.run_state = "idle"  # idle | running | done | failed | cancelled
        self._blocked = False  # the status line says the graph has errors
        self._rerun = False
        self.controller = RunController(self)
        self._build()
        self.views = Views(self)
        self._connect()
        self.setAcceptDrops(True)
        self._set_status("Open a design, then press Run (Ctrl+R).")

    # -- construction ----------------------------------------------------------------
    def _build(self) -> None:
        self.run_action = QAction("Run", self)
        self.run_action.setShortcut(QKeySequence("Ctrl+R"))
        self.run_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.run_action.setToolTip("Run the network on the image (Ctrl+R)")
        self.addAction(self.run_action)
        self.header = RunHeader()
        # the header's widgets, as the panel's (tests and the window read them)
        self.run_button = self.header.run_button
        self.cancel_button = self.header.cancel_button
        self.progress = self.header.progress
        self.auto_run = self.header.auto_run
        self.status = self.header.status

        self.image_tab = ImageTab(SAMPLES_DIR)
        self.image_tab.set_current(self.controller.image_path)
        self.maps_tab = FeatureMapsTab()
        self.offsets_tab = OffsetsTab()
        self.se_tab = SETab()
        self.rf_tab = ReceptiveFieldTab()
        self.mechanism_tab = MechanismTab()
        self.weights_tab = WeightsTab()
        self.train_tab = TrainTab()
        self.code_tab = CodeTab()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.setUsesScrollButtons(True)
        for tab, name, tip in (
                (self.image_tab, "Image", "The picture fed to the network"),
                (self.maps_tab, "Maps", "Feature maps of the selected node"),
                (self.offsets_tab, "Offsets", "Where a deformable conv samples"),
                (self.se_tab, "SE", "Channel weights of a Squeeze-and-Excitation block"),
                (self.rf_tab, "RF", "Receptive field of an output pixel, on the image"),
                (self.mechanism_tab, "Mechanism", "How the layer computes, cell by cell"),
                (self.weights_tab, "Weights", "Seeded random weights or a .pt file"),
                (self.train_tab, "Train", "Train the design on generated shapes or your "
                 "own images, and watch it learn"),
                (self.code_tab, "Code", "The design as PyTorch code")):
            self.tabs.setTabToolTip(self.tabs.addTab(tab, name), tip)
        self.tabs.setCurrentWidget(self.maps_tab)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(4)
        lay.addWidget(self.header)
        lay.addWidget(self.tabs, 1)
        self.auto_timer = QTimer(self)
        self.auto_timer.setSingleShot(True)
        self.auto_timer.setInterval(AUTO_RUN_DELAY_MS)
        self.auto_timer.timeout.connect(self._auto_run_now)

    def _connect(self) -> None:
        c = self.controller
        self.run_action.triggered.connect(self.run)
        self.run_button.clicked.connect(self.run)
        self.cancel_button.clicked.connect(self.cancel)
        self.auto_run.toggled.connect(lambda on: on and self._schedule_auto_run())
        c.busyChanged.connect(self._busy)
        c.progress.connect(self._progress)
        c.runFinished.connect(self._run_finished)
        c.inputsReady.connect(lambda _i: self.views.refresh(self.image_tab))
        c.imageChanged.connect(self._image_changed)
        c.weightsChanged.connect(self._weights_changed)
        c.failed.connect(self._job_failed)
        c.cancelled.connect(self._job_cancelled)
        c.notice.connect(self._notice)
        c.weightsSaved.connect(self._weights_saved)
        self.tabs.currentChanged.connect(lambda _i: self.views.refresh(self.tabs.currentWidget()))
        self.image_tab.imageRequested.connect(self.set_image)
        self.maps_tab.pixelChosen.connect(self._pixel_chosen)
        self.se_tab.channelChosen.connect(self.maps_tab.select_channel)
        self.mechanism_tab.channelChosen.connect(self.maps_tab.select_channel)
        self.rf_tab.erfRequested.connect(self._erf_requested)
        self.weights_tab.seedChanged.connect(self._seed_changed)
        self.weights_tab.loadRequested.connect(c.load_weights)
        self.weights_tab.saveRequested.connect(c.save_weights)
        self.train_tab.follow(c)
        self.train_tab.weightsTrained.connect(self._weights_trained)
        self.train_tab.weightsSaved.connect(self._weights_saved)
        self.code_tab.verifyRequested.connect(self._verify)
        self.code_tab.errorOccurred.connect(self.show_error)

    # -- the window's interface ------------------------------------------------------------
    def set_document(self, doc) -> None:
        """Work on ``doc`` (a :class:`designer.document.Document`)."""
        if self.doc is not None:
            try:
                self.doc.graphChanged.disconnect(self._graph_changed)
            except (RuntimeError, TypeError):
                pass
        self.doc = doc
        self.node_id = None
        self.run_state = "idle"
        self.controller.set_document(doc)
        if doc is not None:
            doc.graphChanged.connect(self._graph_changed)
        self.code_tab.set_document(doc)
        self.train_tab.set_document(doc)
        self._weights_changed(self.controller.weights_text())
        self._update_validity(opened=True)
        self.views.invalidate()
        self.views.refresh(self.tabs.currentWidget())
        self._schedule_auto_run()

    def select_node(self, node_id: str | None) -> None:
        """Show ``node_id`` (the canvas selection) in the Maps, Offsets, SE and RF tabs."""
        if node_id is not None and (self.doc is None or node_id not in self.doc.graph.nodes):
            node_id = None
        if node_id == self.node_id:
            return
        self.node_id = node_id
        self.views.invalidate()
        self.views.refresh(self.tabs.currentWidget())

    def run(self) -> bool:
        """Run the design on the current image in the worker; False if it cannot start."""
        self._run_problem = None
        if self.doc is None:
            self._set_status("Open a design first.")
            self._run_problem = "no design is open"
            return False
        result = self.doc.result()
        if not result.valid:
            errors = fmt.errors_text(result.errors)
            self._set_status(f"<b>Fix the errors first</b>: {escape(errors)}.", error=True)
            self._run_problem = f"{errors}; fix the graph, then run"
            self.run_state = "failed"
            return False
        if self.controller.jobs.pending("run"):
            self._rerun = True  # run again with the newest state once this run ends
            self.controller.jobs.cancel("run")
            return True
        self.auto_timer.stop()
        self.run_state = "running"
        self.header.start("starting…")
        self._set_status("Running…")
        return self.controller.run()

    def cancel(self) -> None:
        """Stop the running run as soon as the current node is done."""
        self._rerun = False
        self.auto_timer.stop()
        self.controller.cancel()

    def run_blocking(self, timeout_s: float = 120) -> bool:
        """Run and wait (spinning the event loop) until done; True on success.

        Shows the feature maps of the selected node, or of the first convolution.
        On failure :meth:`run_failure` says why.
        """
        self.tabs.setCurrentWidget(self.maps_tab)
        if not self.run():
            return False
        self.controller.jobs.wait(timeout_s, until=lambda: self.run_state != "running")
        if self.run_state == "running":
            self.cancel()
            self._set_status(f"The run did not finish within {timeout_s:g} s.", error=True)
            self._run_problem = f"the run did not finish within {timeout_s:g} s"
            return False
        if self.run_state != "done":
            return False
        if self.node_id is None:
            self.node_id = self.views.default_node()
            self.views.invalidate()
        self.views.refresh(self.maps_tab)
        return True

    def run_failure(self) -> str:
        """Why the last :meth:`run` produced no results, in one plain line.

        For example ``"the graph has 1 error: deform: input not connected;
        fix the graph, then run"`` or ``"the run failed: <the engine's message>"``.
        """
        if self._run_problem:
            return self._run_problem
        if self.run_state == "done":
            return "the run succeeded"
        return f"the run ended without results (state: {self.run_state})"

    def maps_problem(self) -> str | None:
        """Why the panel does not show a feature-map mosaic now (None when it does).

        Checks that the panel and its Maps tab are visible and that the tab
        shows the tiled channels of an activation (not a message or a bar chart).
        """
        if not self.isVisible():
            return "the engine panel is hidden"
        if self.tabs.currentWidget() is not self.maps_tab:
            return f"the {self.tabs.tabText(self.tabs.currentIndex())} tab is shown"
        return self.maps_tab.mosaic_problem()

    def set_image(self, path) -> None:
        """Use the image file ``path`` (read in the worker; errors keep the old image)."""
        self.controller.set_image(path)

    def shutdown(self) -> None:
        """Stop the worker and training (call before the application quits)."""
        self.auto_timer.stop()
        self.train_tab.shutdown()
        self.controller.shutdown()

    # -- running --------------------------------------------------------------------------
    def _busy(self, busy: bool) -> None:
        self.header.set_busy(busy, self.run_state == "done")

    def _progress(self, job: str, done: int, total: int, label: str) -> None:
        if job == "run":
            self.header.report(done, total, label)

    def _run_finished(self, result) -> None:
        self.run_state = "done"
        n = len(result.activations) or len(result.shapes)
        self.header.finish(f"done · {n} nodes in {result.seconds * 1000:.0f} ms")
        inputs = fmt.inputs_html(result.input_sources or input_sources(self.doc),
                                 self.controller.image_name, result.seed)
        self._set_status(f"Ran {n} nodes on {inputs} in {result.seconds * 1000:.0f} ms · "
                         f"weights {self.controller.weights_text()}.")
        if self.node_id is None:
            self.node_id = self.views.default_node()
        self.views.invalidate()
        # the visible tab is redrawn in a callback of its own: the status and progress
        # texts set here are painted first, and no single callback holds the UI long
        QTimer.singleShot(1, self._redraw_visible)
        self._maybe_rerun()

    def _redraw_visible(self) -> None:
        """Redraw the visible tab if it is dirty (after a run)."""
        self.views.refresh(self.tabs.currentWidget())

    def _job_failed(self, job: str, message: str) -> None:
        titles = {"run": "The run failed", "image": "Cannot read the image",
                  "load weights": "Cannot load the weights",
                  "save weights": "Cannot save the weights",
                  "erf": "Effective receptive field failed",
                  "prepare": "Cannot prepare the input"}
        if job == "run":
            self.run_state = "failed"
            self.header.stop("failed")
            self._run_problem = f"{titles[job].lower()}: {fmt.one_line(message)}"
        if job == "prepare":
            self.image_tab.show_message(span(escape(message), ERROR))
            return
        if job == "load weights":
            self.weights_tab.set_message(span(escape(message), ERROR))
        self.show_error(titles.get(job, f"{job} failed"), message)
        self._maybe_rerun()

    def _job_cancelled(self, job: str) -> None:
        if job == "run":
            self.run_state = "cancelled"
            self.header.stop("cancelled")
            self._run_problem = "the run was cancelled"
            if not self._rerun:
                self._set_status("Run cancelled.")
        self._maybe_rerun()

    def _maybe_rerun(self) -> None:
        if self._rerun and not self.controller.jobs.pending("run"):
            self._rerun = False
            self.run()

    def _schedule_auto_run(self) -> None:
        if self.auto_run.isChecked() and self.doc is not None and \
                not self.controller.result_is_current():
            self.auto_timer.start()

    def _auto_run_now(self) -> None:
        # nothing to do when the last result already shows the current state
        if self.auto_run.isChecked() and not self.controller.result_is_current():
            self.run()

    # -- changes -----------------------------------------------------------------------------
    def _graph_changed(self, changes) -> None:
        # moving nodes or changing groups changes nothing the engine sees: skip the work
        if changes.visual_only():
            return
        if self.node_id is not None and self.node_id not in self.doc.graph.nodes:
            self.node_id = None
        self._update_validity()
        self.code_tab.graph_changed()
        self.views.invalidate()
        self.views.refresh(self.tabs.currentWidget())
        self._schedule_auto_run()

    def _update_validity(self, opened: bool = False) -> None:
        if self.doc is None:
            return
        result = self.doc.result()
        self.weights_tab.set_params(result.total_params if result.valid else None)
        blocked = self._blocked
        self._blocked = not result.valid
        if not result.valid:
            self._set_status(f"The graph has {plural(len(result.errors), 'error')}: fix the "
                             "errors first, then run.", error=True)
        elif opened or (blocked and self.controller.result is None):
            inputs = fmt.inputs_html(input_sources(self.doc), self.controller.image_name,
                                     self.controller.seed)
            self._set_status(f"Press Run (Ctrl+R) to run <b>{escape(self.doc.graph.name)}</b>"
                             f" on {inputs}.")
        else:
            if blocked:  # the errors are fixed: the error line must not stay
                self._set_status("The graph is valid again.")
            self._stale_notice("The graph changed")

    def _stale_notice(self, what: str) -> None:
        """Say that the maps are out of date (unless auto-run takes care of it)."""
        c = self.controller
        if c.result is not None and not c.result_is_current() and \
                not self.auto_run.isChecked():
            self._set_status(f"{what} since the last run: press Run (Ctrl+R) to update "
                             "the maps.")

    def _image_changed(self, name: str) -> None:
        self.image_tab.set_current(self.controller.image_path)
        sources = input_sources(self.doc)
        unused = "" if not sources or "image" in sources.values() else \
            " (not used: the Inputs of this design take seeded random values)"
        self._set_status(f"Image: <b>{escape(name)}</b>{unused}.")
        self._stale_notice(f"The image changed to <b>{escape(name)}</b>")
        self.views.invalidate()
        self.views.refresh(self.tabs.currentWidget())
        self._schedule_auto_run()

    def _weights_changed(self, text: str) -> None:
        self.weights_tab.set_state(text, self.controller.weights_modified)
        self.weights_tab.set_seed(self.controller.seed)
        self.weights_tab.set_message("")
        if self.controller.result is not None and not self.controller.result_is_current():
            self._stale_notice(f"The weights changed ({text})")
            self.views.invalidate()
            self.views.refresh(self.tabs.currentWidget())
        self._schedule_auto_run()

    def _seed_changed(self, seed: int) -> None:
        self.controller.set_seed(seed)

    def _notice(self, text: str) -> None:
        self._set_status(escape(text))

    def _weights_trained(self, path: str, text: str) -> None:
        """Training reached new weights: make them current and run, so the tabs show them."""
        self.controller.use_trained(path, text)
        if self.doc is not None and self.doc.result().valid:
            self.run()

    def _weights_saved(self, path: str) -> None:
        text = escape(f"Weights saved to {path}")
        self._set_status(text)
        self.weights_tab.set_message(text)

    # -- links between tabs -----------------------------------------------------------------
    def _pixel_chosen(self, channel: int, index) -> None:
        if self.maps_tab.node_id is not None:
            self.views.set_rf_index(self.maps_tab.node_id, (channel, *index))

    def _erf_requested(self, node_id: str, index, input_id: str) -> None:
        key = (node_id, tuple(index))
        self.controller.effective_rf(node_id, index, input_id,
                                     lambda erf: self.rf_tab.set_erf(key, erf),
                                     lambda msg, _tb: self.rf_tab.set_erf_error(key, msg))

    def _verify(self, code: str) -> None:
        self.controller.verify(code, self.code_tab.verify_done, self.code_tab.verify_failed)

    # -- messages ----------------------------------------------------------------------------
    def _set_status(self, text: str, error: bool = False) -> None:
        self.statusMessage.emit(self.header.set_status(text, error))

    def status_text(self) -> str:
        """The status line as plain text."""
        return self.header.status_text()

    def show_error(self, title: str, message: str) -> None:
        """Show an error in a (non-blocking) dialog and in the status line."""
        self.last_error = (title, message)
        self._set_status(f"{escape(title)}: {escape(message)}", error=True)
        if self.dialog is not None:
            self.dialog.close()
        box = QMessageBox(QMessageBox.Icon.Warning, title, message,
                          QMessageBox.StandardButton.Ok, self.window_ or self)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.dialog = box
        box.finished.connect(lambda _r: setattr(self, "dialog", None))

    # -- drag and drop ---------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt override)
        """Accept a dragged image file (PNG, JPEG or BMP)."""
        if dropped_image(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:  # noqa: N802 (Qt override)
        """Use a dropped image file as the input (:meth:`set_image`) and show the Image tab."""
        path = dropped_image(event.mimeData())
        if path:
            event.acceptProposedAction()
            self.tabs.setCurrentWidget(self.image_tab)
            self.set_image(path)

    # -- helpers for tests and screenshots --------------------------------------------------------
    def current_activation(self) -> np.ndarray | None:
        """The activation the Maps tab shows."""
        return self.maps_tab.activation

