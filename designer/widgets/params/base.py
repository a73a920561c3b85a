"""The protocol every parameter editor follows, and what the editors share.

* :meth:`ParamEditor.set_value` shows a value from the model and never emits;
* :attr:`ParamEditor.committed` is emitted only for a *user* edit, with the raw
  value to store (an int, a float, a bool, a string, a tuple or None).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QAbstractSpinBox, QHBoxLayout, QSpinBox, QWidget

from designer.look import INK_FAINT, span

__all__ = ["ParamEditor", "param_tooltip", "row_layout", "int_spin_box", "INT_MAX",
           "AXIS_NAMES"]

INT_MAX = 2**31 - 1
#: names of the axes of an ``n``-tuple parameter, for tooltips
AXIS_NAMES = {1: ("",), 2: ("H", "W"), 3: ("D", "H", "W")}


def param_tooltip(param) -> str:
    """Rich tooltip: the name, its one-line doc and the accepted values."""
    hint = param.hint()
    text = f"<b>{param.name}</b><br>{param.doc}" if param.doc else f"<b>{param.name}</b>"
    if hint:
        text += "<br>" + span(f"accepts {hint}", INK_FAINT)
    if param.nullable:
        text += "<br>" + span("auto: left empty (null)", INK_FAINT)
    return text


def row_layout(parent: QWidget) -> QHBoxLayout:
    """The editor's row: its widgets side by side, no margins."""
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

    Signals
    -------
    committed(object)
        The raw value to store, after a user edit (never from :meth:`set_value`).
    """

    #: emitted with the raw value after a user edit (never by :meth:`set_value`)
    committed = Signal(object)

    def __init__(self, param, parent: QWidget | None = None):
        super().__init__(parent)
        self.param = param
        self.setToolTip(param_tooltip(param))

    def set_value(self, value: Any) -> None:  # pragma: no cover - abstract
        """Show ``value`` from the model, without emitting ``committed``."""
        raise NotImplementedError

    def value(self) -> Any:  # pragma: no cover - abstract
        """The value the editor shows, in the form it would commit."""
        raise NotImplementedError


def int_spin_box(lo: int, hi: int, parent: QWidget) -> QSpinBox:
    """An integer spin box in ``lo..hi`` that commits on Enter, focus out or a step."""
    box = QSpinBox(parent)
    box.setRange(int(lo), int(min(hi, INT_MAX)))
    box.setKeyboardTracking(False)  # commit on Enter / focus out / arrow steps
    box.setAccelerated(True)
    box.setButtonSymbols(QAbstractSpinBox.ButtonSymbols.UpDownArrows)
    box.setMinimumWidth(46)  # the range's digits would ask for more: let the form decide
    return box
