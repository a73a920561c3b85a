"""Editors for catalogue parameters, one per ``Param.kind``.

Every editor follows the same small protocol so the property editor can treat
them alike:

* :meth:`ParamEditor.set_value` shows a value from the model and never emits;
* :attr:`ParamEditor.committed` is emitted only for a *user* edit, with the raw
  value to store (an int, a float, a bool, a string, a tuple or None).

:func:`make_editor` picks the editor from the schema: ``int`` → spin box,
``float`` → :class:`FloatSpinBox`, ``bool`` → check box, ``choice`` → combo,
``tuple`` → :class:`TupleEdit` (one spin box per axis and a link toggle for
square/cubic kernels), ``padding`` → :class:`PaddingEdit`, nullable parameters
are wrapped in :class:`NullableEdit` (an "auto" check box), and
ConvTranspose's ``target_size`` gets :class:`TargetSizeEdit`, which lists the
reachable output sizes.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QToolButton,
    QWidget,
)

from designer.style import link_icon

__all__ = ["ParamEditor", "IntEdit", "FloatEdit", "FloatSpinBox", "BoolEdit", "ChoiceEdit",
           "TupleEdit", "PaddingEdit", "NullableEdit", "TargetSizeEdit", "make_editor",
           "param_tooltip"]

INT_MAX = 2**31 - 1
AXIS_NAMES = {1: ("",), 2: ("H", "W"), 3: ("D", "H", "W")}


def param_tooltip(param) -> str:
    """Rich tooltip: the name, its one-line doc and the accepted values."""
    hint = param.hint()
    text = f"<b>{param.name}</b><br>{param.doc}" if param.doc else f"<b>{param.name}</b>"
    if hint:
        text += f"<br><span style='color:#6a7381'>accepts {hint}</span>"
    if param.nullable:
        text += "<br><span style='color:#6a7381'>auto: left empty (null)</span>"
    return text


def _row(parent: QWidget) -> QHBoxLayout:
    lay = QHBoxLayout(parent)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.setSpacing(4)
    return lay


class ParamEditor(QWidget):
    """Base class: a widget that edits one parameter value.

    Parameters
    ----------
    param : engine.catalogue.schema.Param
        The schema entry (range, options, doc).
    """

    #: emitted with the raw value after a user edit (never by :meth:`set_value`)
    committed = Signal(object)

    def __init__(self, param, parent: QWidget | None = None):
        super().__init__(parent)
        self.param = param
        self.setToolTip(param_tooltip(param))

    def set_value(self, value: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def value(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError


def _spin(lo: int, hi: int, parent: QWidget) -> QSpinBox:
    box = QSpinBox(parent)
    box.setRange(int(lo), int(min(hi, INT_MAX)))
    box.setKeyboardTracking(False)  # commit on Enter / focus out / arrow steps
    box.setAccelerated(True)
    box.setButtonSymbols(QAbstractSpinBox.ButtonSymbols.UpDownArrows)
    box.setMinimumWidth(46)  # the range's digits would ask for more: let the form decide
    return box


class IntEdit(ParamEditor):
    """An integer in ``lo..hi`` (QSpinBox)."""

    def __init__(self, param, parent=None):
        super().__init__(param, parent)
        self.spin = _spin(param.lo, param.hi, self)
        _row(self).addWidget(self.spin)
        self.spin.valueChanged.connect(lambda v: self.committed.emit(int(v)))

    def set_value(self, value):
        with QSignalBlocker(self.spin):
            self.spin.setValue(int(value) if value is not None else self.spin.minimum())

    def value(self):
        return self.spin.value()


class FloatSpinBox(QDoubleSpinBox):
    """A QDoubleSpinBox that shows values compactly (``1e-05``, ``0.1``, ``2``)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setDecimals(12)
        self.setKeyboardTracking(False)

    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt override
        return f"{value:.6g}"

    def valueFromText(self, text: str) -> float:  # noqa: N802 - Qt override
        try:
            return float(text.replace(",", "."))
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):
        stripped = text.strip().replace(",", ".")
        if not stripped or stripped in ("-", ".", "-.") or stripped.lower().endswith("e") \
                or stripped.lower().endswith(("e-", "e+")):
            return QValidator.State.Intermediate, text, pos
        try:
            v = float(stripped)
        except ValueError:
            return QValidator.State.Invalid, text, pos
        if not math.isfinite(v):
            return QValidator.State.Invalid, text, pos
        if self.minimum() <= v <= self.maximum():
            return QValidator.State.Acceptable, text, pos
        return QValidator.State.Intermediate, text, pos


class FloatEdit(ParamEditor):
    """A finite number in the parameter's interval."""

    def __init__(self, param, parent=None):
        super().__init__(param, parent)
        self.spin = FloatSpinBox(self)
        self.spin.setRange(float(param.lo), float(param.hi))
        default = param.default or 0.0
        step = 10 ** math.floor(math.log10(abs(default))) if default else 0.1
        self.spin.setSingleStep(min(step, (param.hi - param.lo) / 10 or 0.1))
        _row(self).addWidget(self.spin)
        self.spin.valueChanged.connect(lambda v: self.committed.emit(float(v)))

    def set_value(self, value):
        with QSignalBlocker(self.spin):
            self.spin.setValue(float(value) if value is not None else self.spin.minimum())

    def value(self):
        return self.spin.value()


class BoolEdit(ParamEditor):
    """True/false (QCheckBox); commits on the user's click only."""

    def __init__(self, param, parent=None):
        super().__init__(param, parent)
        self.box = QCheckBox(self)
        _row(self).addWidget(self.box)
        self.box.clicked.connect(lambda checked: self.committed.emit(bool(checked)))

    def set_value(self, value):
        with QSignalBlocker(self.box):
            self.box.setChecked(bool(value))

    def value(self):
        return self.box.isChecked()


class ChoiceEdit(ParamEditor):
    """One of the parameter's options (QComboBox)."""

    def __init__(self, param, parent=None):
        super().__init__(param, parent)
        self.combo = QComboBox(self)
        self.combo.addItems(list(param.options))
        _row(self).addWidget(self.combo)
        self.combo.activated.connect(lambda i: self.committed.emit(self.combo.itemText(i)))

    def set_value(self, value):
        with QSignalBlocker(self.combo):
            i = self.combo.findText(str(value))
            self.combo.setCurrentIndex(max(i, 0))

    def value(self):
        return self.combo.currentText()


class TupleEdit(ParamEditor):
    """One spin box per axis and a link toggle that keeps all axes equal.

    The committed value is a single int when all axes are equal (files stay
    readable: ``"kernel_size": 3``) and a tuple otherwise.
    """

    def __init__(self, param, parent=None):
        super().__init__(param, parent)
        n = param.n
        lay = _row(self)
        self.spins: list[QSpinBox] = []
        names = AXIS_NAMES.get(n, ("",) * n)
        for i in range(n):
            if i:
                sep = QLabel("×", self)
                sep.setObjectName("muted")
                lay.addWidget(sep)
            box = _spin(param.lo, param.hi, self)
            box.setToolTip(f"{param.name} along {names[i]}" if names[i] else param.name)
            box.valueChanged.connect(lambda v, i=i: self._edited(i, v))
            lay.addWidget(box, 1)
            self.spins.append(box)
        self.link = QToolButton(self)
        self.link.setObjectName("axisLink")
        self.link.setCheckable(True)
        self.link.setChecked(True)
        self.link.setAutoRaise(True)
        self.link.toggled.connect(self._link_toggled)
        self._link_toggled(True)
        lay.addWidget(self.link)

    def _link_toggled(self, linked: bool) -> None:
        self.link.setIcon(link_icon(linked))
        self.link.setToolTip("Same value on every axis (click to edit the axes separately)"
                             if linked else "Axes edited separately (click to link them)")
        if linked and len({s.value() for s in self.spins}) > 1:
            self._edited(0, self.spins[0].value())

    def _edited(self, index: int, value: int) -> None:
        if self.link.isChecked():
            for j, box in enumerate(self.spins):
                if j != index:
                    with QSignalBlocker(box):
                        box.setValue(value)
        self.committed.emit(self.value())

    def set_value(self, value):
        if value is None:
            return
        values = [value] * len(self.spins) if isinstance(value, int) else list(value)
        for box, v in zip(self.spins, values, strict=False):
            with QSignalBlocker(box):
                box.setValue(int(v))
        with QSignalBlocker(self.link):
            if len(set(values)) > 1:
                self.link.setChecked(False)
                self.link.setIcon(link_icon(False))

    def value(self):
        values = tuple(s.value() for s in self.spins)
        return values[0] if len(set(values)) == 1 else values


class PaddingEdit(ParamEditor):
    """Explicit padding per axis, or the words ``"same"`` / ``"valid"``."""

    def __init__(self, param, parent=None):
        super().__init__(param, parent)
        lay = _row(self)
        self.mode = QComboBox(self)
        self.mode.addItem("explicit", None)
        for word in param.words:
            self.mode.addItem(word, word)
        self.mode.setMinimumWidth(60)
        self.mode.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.mode.setMinimumContentsLength(5)
        self.mode.setToolTip('explicit pixels, "same" (output size = input size, '
                             'stride 1) or "valid" (no padding)')
        self.numbers = TupleEdit(param, self)
        lay.addWidget(self.mode)
        lay.addWidget(self.numbers, 1)
        self.mode.activated.connect(self._mode_chosen)
        self.numbers.committed.connect(self.committed.emit)

    def _mode_chosen(self, index: int) -> None:
        word = self.mode.itemData(index)
        self.numbers.setEnabled(word is None)
        self.committed.emit(word if word is not None else self.numbers.value())

    def set_value(self, value):
        with QSignalBlocker(self.mode):
            if isinstance(value, str):
                self.mode.setCurrentIndex(max(self.mode.findData(value), 0))
                self.numbers.setEnabled(False)
            else:
                self.mode.setCurrentIndex(0)
                self.numbers.setEnabled(True)
                self.numbers.set_value(value)

    def value(self):
        word = self.mode.currentData()
        return word if word is not None else self.numbers.value()


class NullableEdit(ParamEditor):
    """An "auto" check box (the value ``None``) in front of another editor."""

    def __init__(self, param, inner: ParamEditor, parent=None):
        super().__init__(param, parent)
        self.inner = inner
        inner.setParent(self)
        lay = _row(self)
        self.auto = QCheckBox("auto", self)
        doc = param.doc or ""
        self.auto.setToolTip(doc[doc.find("(") + 1: doc.rfind(")")] if "(" in doc else
                             "leave the value empty (null)")
        lay.addWidget(self.auto)
        lay.addWidget(inner, 1)
        self.auto.clicked.connect(self._auto_clicked)
        inner.committed.connect(self.committed.emit)

    def _auto_clicked(self, checked: bool) -> None:
        self.inner.setEnabled(not checked)
        self.committed.emit(None if checked else self.inner.value())

    def set_value(self, value):
        with QSignalBlocker(self.auto):
            self.auto.setChecked(value is None)
        self.inner.setEnabled(value is not None)
        if value is not None:
            self.inner.set_value(value)

    def set_placeholder(self, value) -> None:
        """Show ``value`` (the effective one) in the disabled inner editor while auto."""
        if self.auto.isChecked() and value is not None:
            self.inner.set_value(value)

    def value(self):
        return None if self.auto.isChecked() else self.inner.value()


class TargetSizeEdit(ParamEditor):
    """ConvTranspose ``target_size``: per axis, a combo of the reachable sizes.

    :meth:`set_reachable` gives the sizes some ``output_padding`` reaches
    (``kind.reachable(params, ins)``); with "auto" checked the combos show the
    current output size and the output padding decides.
    """

    def __init__(self, param, parent=None):
        super().__init__(param, parent)
        lay = _row(self)
        self.auto = QCheckBox("auto", self)
        self.auto.setToolTip("auto: the output size follows output_padding")
        lay.addWidget(self.auto)
        self.combos: list[QComboBox] = []
        names = AXIS_NAMES.get(param.n, ("",) * param.n)
        for i in range(param.n):
            if i:
                sep = QLabel("×", self)
                sep.setObjectName("muted")
                lay.addWidget(sep)
            combo = QComboBox(self)
            combo.setToolTip(f"reachable output sizes along {names[i]}")
            combo.activated.connect(lambda _i: self._commit())
            lay.addWidget(combo, 1)
            self.combos.append(combo)
        self.auto.clicked.connect(lambda _c: self._commit())
        self._value = None
        self._reach: tuple[tuple[int, ...], ...] | None = None
        self._current: tuple[int, ...] | None = None

    def _commit(self) -> None:
        self._sync_enabled(self.auto.isChecked())
        self.committed.emit(self.value())

    def _sync_enabled(self, auto: bool) -> None:
        for c in self.combos:
            c.setEnabled(not auto and self._reach is not None)

    def set_reachable(self, reach, current=None) -> None:
        """Sizes per axis (None: unknown, e.g. no input) and the current output size."""
        self._reach = tuple(tuple(r) for r in reach) if reach is not None else None
        self._current = tuple(current) if current is not None else None
        self._fill()

    def _fill(self) -> None:
        shown = self._value if self._value is not None else self._current
        for i, combo in enumerate(self.combos):
            options = list(self._reach[i]) if self._reach is not None else []
            want = shown[i] if shown is not None and i < len(shown) else None
            if want is not None and want not in options:
                options.append(want)
            with QSignalBlocker(combo):
                combo.clear()
                for v in options:
                    ok = self._reach is not None and v in self._reach[i]
                    combo.addItem(str(v) if ok else f"{v} (unreachable)", v)
                if want is not None:
                    combo.setCurrentIndex(max(combo.findData(want), 0))
        self._sync_enabled(self.auto.isChecked())

    def set_value(self, value):
        self._value = tuple(value) if value is not None else None
        with QSignalBlocker(self.auto):
            self.auto.setChecked(value is None)
        self._fill()

    def value(self):
        if self.auto.isChecked():
            return None
        vals = tuple(c.currentData() for c in self.combos)
        return None if any(v is None for v in vals) else vals


def make_editor(param, parent: QWidget | None = None) -> ParamEditor:
    """The editor that fits ``param`` (see the module docstring)."""
    kind = param.kind
    if param.name == "target_size" and kind == "tuple":
        return TargetSizeEdit(param, parent)
    if kind == "int":
        editor: ParamEditor = IntEdit(param, parent)
    elif kind == "float":
        editor = FloatEdit(param, parent)
    elif kind == "bool":
        editor = BoolEdit(param, parent)
    elif kind == "choice":
        editor = ChoiceEdit(param, parent)
    elif kind == "padding":
        editor = PaddingEdit(param, parent)
    elif kind == "tuple":
        editor = TupleEdit(param, parent)
    else:  # pragma: no cover - every schema kind is handled above
        raise TypeError(f"no editor for parameter kind {kind!r}")
    if param.nullable:
        return NullableEdit(param, editor, parent)
    return editor
