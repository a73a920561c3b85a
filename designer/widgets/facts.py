"""Read-only "label: value" rows (analysis facts, totals) and section titles."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QWidget

__all__ = ["FactRows", "section_title", "form_layout"]


def form_layout(parent: QWidget | None = None) -> QFormLayout:
    """A QFormLayout with the spacing and alignment shared by the side panels."""
    form = QFormLayout(parent)
    form.setContentsMargins(0, 0, 0, 0)
    form.setHorizontalSpacing(10)
    form.setVerticalSpacing(6)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
    return form


def section_title(text: str, parent: QWidget | None = None) -> QLabel:
    """A small bold grey heading (``PARAMETERS``, ``ANALYSIS``...)."""
    label = QLabel(text.upper(), parent)
    label.setObjectName("sectionTitle")
    return label


class FactRows:
    """Rows of selectable read-only values in a form, added on first use.

    Parameters
    ----------
    form : QFormLayout
        The form the rows are appended to (so that they align with the
        editable rows above them).
    owner : QWidget
        Parent of the labels.

    Examples
    --------
    >>> facts.set("Output", "32×64×64")     # doctest: +SKIP
    >>> facts.set("Receptive field", None)  # hides the row  # doctest: +SKIP
    """

    def __init__(self, form: QFormLayout, owner: QWidget):
        self.form = form
        self.owner = owner
        self._rows: dict[str, tuple[QLabel, QLabel]] = {}

    def set(self, key: str, text: str | None, tooltip: str = "") -> None:
        """Show ``text`` (rich text allowed) in row ``key``; None hides the row."""
        if key not in self._rows:
            name = QLabel(key, self.owner)
            name.setObjectName("muted")
            value = QLabel(self.owner)
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.form.addRow(name, value)
            self._rows[key] = (name, value)
        name, value = self._rows[key]
        visible = text is not None
        self.form.setRowVisible(value, visible)
        if visible:
            value.setText(text)
            value.setToolTip(tooltip)
            name.setToolTip(tooltip)

    def value(self, key: str) -> str:
        """The text shown in row ``key`` (``""`` if absent)."""
        row = self._rows.get(key)
        return row[1].text() if row else ""
