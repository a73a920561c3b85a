"""The property page of a selected group: its name (editable) and its figures."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from designer.canvas.group_facts import group_facts
from designer.canvas.group_item import facts_lines
from designer.commands import push_edit
from designer.group_commands import SetGroupCommand
from designer.look import fmt_count_long, plural
from designer.widgets.facts import FactRows, form_layout

__all__ = ["GroupPage"]


class GroupPage(QWidget):
    """A group: name field, members, shapes in and out, receptive field, counts.

    Parameters
    ----------
    doc : Document
    group_id : str
        The group shown.
    """

    def __init__(self, doc, group_id: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.doc = doc
        self.group_id = group_id
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 10, 12, 12)
        outer.setSpacing(8)
        self.heading = QLabel("Group", self)
        self.heading.setObjectName("heading")
        outer.addWidget(self.heading)
        form = form_layout()
        outer.addLayout(form)
        self.name_edit = QLineEdit(self)
        self.name_edit.setToolTip("The name shown on the group's card")
        self.name_edit.editingFinished.connect(self._commit_name)
        form.addRow("Name", self.name_edit)
        self.error = QLabel(self)
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.error.hide()
        outer.addWidget(self.error)
        self.facts = FactRows(form, self)
        self.toggle = QPushButton(self)
        self.toggle.clicked.connect(self._toggle)
        outer.addWidget(self.toggle)
        hint = QLabel("Ctrl+Shift+G ungroups; Ctrl+C / Ctrl+V copy the group with its "
                      "nodes; a double-click on a collapsed card expands it.", self)
        hint.setWordWrap(True)
        hint.setObjectName("muted")
        outer.addWidget(hint)
        outer.addStretch(1)
        doc.graphChanged.connect(self._on_changes)
        self.refresh()

    def _group(self):
        return self.doc.graph.groups.get(self.group_id)

    def _commit_name(self) -> None:
        g = self._group()
        name = self.name_edit.text().strip()
        if g is None or name == g.name:
            return
        if not name:
            self.name_edit.setText(g.name)
            return
        error = push_edit(self.doc.undo_stack,
                          SetGroupCommand(self.doc.graph, self.group_id, name=name))
        self.error.setText(error or "")
        self.error.setVisible(error is not None)
        if error is not None:
            self.name_edit.setText(g.name)

    def _toggle(self) -> None:
        g = self._group()
        if g is not None:
            push_edit(self.doc.undo_stack, SetGroupCommand(self.doc.graph, self.group_id,
                                                           collapsed=not g.collapsed))

    def _on_changes(self, _changes) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Show the group as the model and the analysis have it now."""
        g = self._group()
        if g is None:
            self.heading.setText("Group (removed)")
            return
        if not self.name_edit.hasFocus() and self.name_edit.text() != g.name:
            self.name_edit.setText(g.name)
        self.toggle.setText("Expand" if g.collapsed else "Collapse")
        f = group_facts(self.doc.graph, self.doc.result(), self.group_id)
        flow = facts_lines(f)[0]
        rows = self.facts
        rows.set("Id", g.id)
        rows.set("Layers", plural(len(f.members), "layer"))
        rows.set("In → out", flow)
        rows.set("Receptive field", f.rf.label() if f.rf is not None else None)
        rows.set("Parameters", fmt_count_long(f.params))
        rows.set("MACs", fmt_count_long(f.macs))
