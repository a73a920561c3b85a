"""The Weights tab: seeded random initialisation, or a ``.pt`` state dict.

Loading uses ``torch.load(..., weights_only=True)`` through the runtime, so a
weights file can never run code; a file whose names or shapes do not fit the
graph is refused with a message that names them, and the previous weights
stay in use.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from designer.look import INK_FAINT, fmt_count_long

__all__ = ["WeightsTab", "WEIGHTS_FILTER"]

WEIGHTS_FILTER = "PyTorch weights (*.pt *.pth);;All files (*)"

_ABOUT = (
    "Every run uses these weights. Random filters are not useless: they already "
    "respond to edges, colours and textures, which is why the feature maps look "
    "structured before any training. Load a state dict saved by "
    "<code>main.py run --save-weights W.pt</code> or by training the exported model "
    "(<code>torch.save(model.state_dict(), 'W.pt')</code>). Files are read with "
    "<code>weights_only=True</code>: they cannot run code.")


class WeightsTab(QWidget):
    """Seed field, Load and Save buttons, and what the weights are now.

    Signals
    -------
    seedChanged(int)
        The user entered a new seed, or asked for random weights again (the model
        is re-initialised).
    loadRequested(str)
        Path of a weights file to load.
    saveRequested(str)
        Path to save the current weights to.
    """

    seedChanged = Signal(int)
    loadRequested = Signal(str)
    saveRequested = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.state = QLabel()
        self.state.setTextFormat(Qt.TextFormat.RichText)
        self.state.setWordWrap(True)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setKeyboardTracking(False)
        self.seed.setToolTip("Seed of the random initialisation (and of random inputs); "
                             "changing it re-initialises every layer")
        self.seed.setMinimumWidth(110)
        self.dice = QPushButton("New seed")
        self.dice.setToolTip("Pick another seed: new random weights")
        self.reset_button = QPushButton("Random weights")
        self.reset_button.setToolTip("Re-initialise every layer with this seed (drops loaded "
                                     "or fitted weights)")
        self.reset_button.setEnabled(False)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed)
        seed_row.addWidget(self.dice)
        seed_row.addWidget(self.reset_button)
        seed_row.addStretch(1)
        self.params = QLabel()
        self.load_button = QPushButton("Load .pt…")
        self.save_button = QPushButton("Save .pt…")
        self.load_button.setToolTip("Load a state dict (torch.load with weights_only=True)")
        self.save_button.setToolTip("Save the current weights as a state dict")
        buttons = QHBoxLayout()
        buttons.addWidget(self.load_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        form = QFormLayout()
        form.addRow("Weights", self.state)
        form.addRow("Seed", seed_row)
        form.addRow("Parameters", self.params)
        about = QLabel(_ABOUT)
        about.setWordWrap(True)
        about.setTextFormat(Qt.TextFormat.RichText)
        about.setStyleSheet(f"color: {INK_FAINT.name()};")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.RichText)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        lay.addLayout(form)
        lay.addLayout(buttons)
        lay.addWidget(self.message)
        lay.addWidget(about)
        lay.addStretch(1)
        self.seed.valueChanged.connect(self.seedChanged)
        self.dice.clicked.connect(lambda: self.seed.setValue(
            int(np.random.default_rng().integers(0, 100_000))))
        self.reset_button.clicked.connect(lambda: self.seedChanged.emit(self.seed.value()))
        self.load_button.clicked.connect(self._load)
        self.save_button.clicked.connect(self._save)

    def set_state(self, text: str, modified: bool = False) -> None:
        """What the weights are (``random (seed 0)``, ``loaded from W.pt``, ...).

        ``modified`` (loaded or fitted weights) enables *Random weights*, which goes
        back to the seed's weights (entering the same seed again would not).
        """
        self.state.setText(f"<b>{text}</b>")
        self.reset_button.setEnabled(modified)

    def set_params(self, count: int | None) -> None:
        """Number of parameters of the graph (None when it has errors)."""
        self.params.setText(fmt_count_long(count))

    def set_message(self, text: str) -> None:
        """A note under the buttons (last save, last error)."""
        self.message.setText(text)

    def set_seed(self, seed: int) -> None:
        """Show ``seed`` without emitting :attr:`seedChanged`."""
        self.seed.blockSignals(True)
        self.seed.setValue(int(seed))
        self.seed.blockSignals(False)

    def _load(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load weights", "", WEIGHTS_FILTER)
        if path:
            self.loadRequested.emit(path)

    def _save(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save weights", "weights.pt",
                                              WEIGHTS_FILTER)
        if path:
            if not path.endswith((".pt", ".pth")):
                path += ".pt"
            self.saveRequested.emit(path)
