"""*Help → Explain a layer…*: the Mechanism view of any layer, without a graph.

:class:`SandboxDialog` offers the explainable layer types and their numbers
(input size i, kernel k, stride s, padding p, dilation d, output_padding,
groups, channel counts; scale and mode for resampling) and shows the same
:class:`~.view.MechanismView` as the engine panel. The numbers go to
:func:`engine.mechanics.for_layer`, which checks them as the engine does: an
impossible combination shows the engine's own message.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QGridLayout,
    QLabel,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from designer import look
from engine.catalogue import CATALOGUE
from engine.mechanics import MechanicsError, explainable_types, for_layer, mechanism_of

from .view import MechanismView

__all__ = ["SandboxDialog"]

#: (field, label, parameter, low, high, default, tip)
FIELDS = (
    ("i", "input i", None, 1, 64, 5, "input height and width (a square map)"),
    ("k", "kernel k", "kernel_size", 1, 11, 3, "kernel (window) size"),
    ("s", "stride s", "stride", 1, 8, 1, "stride"),
    ("p", "padding p", "padding", 0, 8, 0, "zero padding on each side"),
    ("d", "dilation d", "dilation", 1, 8, 1, "dilation: taps d apart"),
    ("op", "output_padding", "output_padding", 0, 7, 0,
     "extra rows/columns at the bottom/right of a transposed conv's output"),
    ("g", "groups", "groups", 1, 64, 1, "groups: C_in and C_out split into this many"),
    ("cin", "C_in", None, 1, 256, 1, "input channels"),
    ("cout", "C_out", "out_channels", 1, 256, 1, "output channels"),
)


class SandboxDialog(QDialog):
    """Try a layer's numbers and watch it compute (no graph needed)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Explain a layer")
        self.resize(720, 860)
        self.type = QComboBox()
        types = explainable_types()
        self.type.addItems(list(types))
        first_conv = next((t for t in types if mechanism_of(CATALOGUE[t]) == "conv"), types[0])
        self.type.setCurrentText(first_conv)
        self.spins: dict[str, QSpinBox] = {}
        grid = QGridLayout()
        grid.addWidget(QLabel("Layer"), 0, 0)
        grid.addWidget(self.type, 0, 1, 1, 3)
        for n, (key, label, _param, lo, hi, default, tip) in enumerate(FIELDS):
            spin = QSpinBox()
            spin.setRange(lo, hi)
            spin.setValue(default)
            spin.setToolTip(tip)
            self.spins[key] = spin
            row, col = 1 + n // 3, (n % 3) * 2
            name = QLabel(label)
            name.setBuddy(spin)
            grid.addWidget(name, row, col)
            grid.addWidget(spin, row, col + 1)
        self.scale = QDoubleSpinBox()
        self.scale.setRange(0.25, 8.0)
        self.scale.setSingleStep(0.5)
        self.scale.setValue(2.0)
        self.mode = QComboBox()
        self.extra = [QLabel("scale"), self.scale, QLabel("mode"), self.mode]
        for j, w in enumerate(self.extra):
            grid.addWidget(w, 4, j)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setStyleSheet(f"color: {look.css(look.ERROR)}; font-weight: 600;")
        self.view = MechanismView()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        body = QWidget()
        inner = QVBoxLayout(body)
        inner.setContentsMargins(0, 0, 6, 0)
        inner.addWidget(self.view)
        inner.addStretch(1)
        scroll.setWidget(body)
        lay = QVBoxLayout(self)
        lay.addLayout(grid)
        lay.addWidget(self.error)
        lay.addWidget(scroll, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(120)
        self._timer.timeout.connect(self.update_view)
        self.type.currentTextChanged.connect(self._type_changed)
        for spin in self.spins.values():
            spin.valueChanged.connect(lambda _v: self._timer.start())
        self.scale.valueChanged.connect(lambda _v: self._timer.start())
        self.mode.currentTextChanged.connect(lambda _t: self._timer.start())
        self._type_changed(self.type.currentText())

    def _type_changed(self, type_name: str) -> None:
        kind = CATALOGUE[type_name]
        names = {p.name for p in kind.params}
        for key, _label, param, *_rest in FIELDS:
            self.spins[key].setEnabled(param is None or param in names)
        resample = "scale_factor" in names
        for w in self.extra:
            w.setVisible(resample)
        if resample:
            self.mode.blockSignals(True)
            self.mode.clear()
            self.mode.addItems([c for c in kind.param("mode").options if c != "trilinear"])
            self.mode.blockSignals(False)
        self.update_view()

    def params(self) -> dict:
        """The parameters the enabled fields give the chosen layer."""
        kind = CATALOGUE[self.type.currentText()]
        names = {p.name for p in kind.params}
        out = {}
        for key, _label, param, *_rest in FIELDS:
            if param is not None and param in names:
                out[param] = self.spins[key].value()
        if "scale_factor" in names:
            out["scale_factor"] = self.scale.value()
            out["mode"] = self.mode.currentText()
            if out["mode"] in ("bilinear", "bicubic"):
                out["align_corners"] = False
        return out

    def update_view(self) -> bool:
        """Explain the layer the fields describe; False (and the engine's message) when
        the combination is impossible."""
        i = self.spins["i"].value()
        try:
            mech = for_layer(self.type.currentText(), self.params(), (i, i),
                             self.spins["cin"].value())
        except MechanicsError as exc:
            self.error.setText(exc.message)
            self.view.player.pause()
            self.view.setEnabled(False)
            self.view.hide()  # no picture of a layer that cannot exist
            return False
        self.error.setText("")
        self.view.show()
        self.view.setEnabled(True)
        self.view.show_mechanics(mech)
        return True
