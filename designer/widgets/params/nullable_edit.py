"""Nullable parameters: an "auto" check box in front of another editor."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QCheckBox

from .base import ParamEditor, row_layout

__all__ = ["NullableEdit"]


class NullableEdit(ParamEditor):
    """An "auto" check box (the value ``None``) in front of another editor.

    Parameters
    ----------
    param : engine.catalogue.schema.Param
        The nullable parameter; the "auto" tooltip is the part of its doc in
        parentheses, if any.
    inner : ParamEditor
        The editor of a non-None value (re-parented here; its commits are
        forwarded).
    """

    def __init__(self, param, inner: ParamEditor, parent=None):
        super().__init__(param, parent)
        self.inner = inner
        inner.setParent(self)
        lay = row_layout(self)
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
        """Check "auto" for None; else uncheck it and show ``value`` in the inner editor.

        The inner editor is disabled while "auto" is checked. Nothing is emitted.
        """
        with QSignalBlocker(self.auto):
            self.auto.setChecked(value is None)
        self.inner.setEnabled(value is not None)
        if value is not None:
            self.inner.set_value(value)

    def set_placeholder(self, value) -> None:
        """Show ``value`` (the effective one) in the disabled inner editor while auto."""
        if self.auto.isChecked() and value is not None:
            self.inner.set_value(value)

    def follow_input(self, shape) -> None:
        """Pass the node's input shape to the inner editor (if it follows it); while
        "auto", the inner editor shows the input's own size (what unchecking starts from)."""
        follow = getattr(self.inner, "follow_input", None)
        if follow is None:
            return
        follow(shape)
        if self.auto.isChecked() and shape is not None and len(shape) > 1:
            self.inner.set_value(tuple(shape[1:]))

    def value(self):
        """None when "auto" is checked, else the inner editor's value."""
        return None if self.auto.isChecked() else self.inner.value()
