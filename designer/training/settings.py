"""The Train tab's settings: data set, epochs, batch, learning rate, optimizer, seed.

:class:`TrainSettings` is a compact form; :meth:`TrainSettings.config` gives
the :class:`engine.training.TrainConfig` (torch-free) and
:meth:`TrainSettings.data` the data named as ``main.py train --data`` takes
it: ``shapes``, ``shapes-seg`` or a folder of class sub-folders.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QGridLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

from engine.training.results import TrainConfig

__all__ = ["TrainSettings", "BUILT_IN"]

#: the generated data sets, as the combo box lists them (data name, label)
BUILT_IN = (("shapes", "shapes (4 classes, generated)"),
            ("shapes-seg", "shapes-seg (per-pixel, generated)"))
FOLDER = "folder"


class TrainSettings(QWidget):
    """The settings form.

    Signals
    -------
    dataChanged(str)
        The data set chosen (``shapes``, ``shapes-seg`` or a folder path).
    """

    dataChanged = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.folder: str | None = None
        self.dataset = QComboBox()
        for name, label in BUILT_IN:
            self.dataset.addItem(label, name)
        self.dataset.addItem("Folder of class sub-folders…", FOLDER)
        self.dataset.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.dataset.setMinimumContentsLength(14)
        self.dataset.setToolTip("Generated shapes need no download; a folder holds one "
                                "sub-folder of .png/.jpg images per class")
        self.browse = QPushButton("Folder…")
        self.browse.setToolTip("Choose a folder of class sub-folders")
        self.epochs = self._spin(1, 1000, 5, "Passes over the training images")
        self.batch = self._spin(1, 4096, 64, "Images per optimizer step")
        self.samples = self._spin(16, 200_000, 4000, "Generated training images (a quarter "
                                  "as many more for validation)")
        self.seed = self._spin(0, 2**31 - 1, 0, "Fixes the initial weights, the data, the "
                               "batch order and Dropout")
        self.lr = QDoubleSpinBox()
        self.lr.setDecimals(5)
        self.lr.setRange(1e-5, 1.0)
        self.lr.setSingleStep(1e-4)
        self.lr.setValue(3e-3)
        self.lr.setToolTip("Learning rate")
        self.optimizer = QComboBox()
        self.optimizer.addItem("Adam", "adam")
        self.optimizer.addItem("SGD (momentum 0.9)", "sgd")
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(3)
        # two pairs a row: the tab stays usable in a narrow panel
        grid.addWidget(QLabel("Data"), 0, 0)
        grid.addWidget(self.dataset, 0, 1, 1, 2)
        grid.addWidget(self.browse, 0, 3)
        rows = ((("Epochs", self.epochs), ("Batch", self.batch)),
                (("Images", self.samples), ("Seed", self.seed)),
                (("Learning rate", self.lr), ("Optimizer", self.optimizer)))
        for r, row in enumerate(rows, 1):
            for c, (label, widget) in enumerate(row):
                grid.addWidget(QLabel(label), r, 2 * c)
                grid.addWidget(widget, r, 2 * c + 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        self.dataset.currentIndexChanged.connect(self._dataset_chosen)
        self.browse.clicked.connect(self._browse)

    @staticmethod
    def _spin(lo: int, hi: int, value: int, tip: str) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(lo, hi)
        spin.setValue(value)
        spin.setToolTip(tip)
        return spin

    def config(self) -> TrainConfig:
        """The settings as a TrainConfig."""
        return TrainConfig(epochs=self.epochs.value(), batch=self.batch.value(),
                           lr=float(self.lr.value()), optimizer=self.optimizer.currentData(),
                           seed=self.seed.value(), samples=self.samples.value())

    def data(self) -> str | None:
        """``shapes``, ``shapes-seg``, the folder's path, or None (no folder chosen yet)."""
        name = self.dataset.currentData()
        return self.folder if name == FOLDER else name

    def set_data(self, data: str) -> None:
        """Choose a built-in data set by name, or a folder by its path."""
        names = [n for n, _label in BUILT_IN]
        if data in names:
            self.dataset.setCurrentIndex(names.index(data))
        else:
            self.folder = str(data)
            if self.dataset.currentIndex() == self.dataset.count() - 1:
                self._dataset_chosen()
            else:
                self.dataset.setCurrentIndex(self.dataset.count() - 1)

    def set_running(self, running: bool) -> None:
        """Lock the form while a run goes on."""
        for w in (self.dataset, self.browse, self.epochs, self.batch, self.samples, self.seed,
                  self.lr, self.optimizer):
            w.setEnabled(not running)

    def _dataset_chosen(self, _index: int = 0) -> None:
        folder = self.dataset.currentData() == FOLDER
        self.samples.setEnabled(not folder)
        if folder and self.folder is None:
            self._browse()
        data = self.data()
        if data is not None:
            self.dataChanged.emit(data)

    def _browse(self) -> None:
        start = self.folder or str(Path.home())
        path = QFileDialog.getExistingDirectory(self, "Folder of class sub-folders", start)
        if path:
            self.set_data(path)
