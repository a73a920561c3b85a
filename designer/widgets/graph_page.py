"""The property page shown when no node is selected: the graph's name, description and totals."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget

from designer.commands import SetMetaCommand, push_edit
from designer.look import (
    ERROR,
    OK,
    WARNING,
    fmt_bytes,
    fmt_count_long,
    fmt_shape,
    notifier,
    plural,
    span,
)
from designer.widgets.facts import FactRows, form_layout, section_title
from designer.widgets.field import add_field_row
from designer.widgets.text import CommitTextEdit

__all__ = ["GraphPage"]


def _status_html(result) -> str:
    ne, nw = len(result.errors), len(result.warnings)
    if ne:
        text = span(f"<b>{plural(ne, 'error')}</b>", ERROR)
    else:
        text = span("<b>valid</b>", OK)
    if nw:
        text += ", " + span(plural(nw, "warning"), WARNING)
    return text


def _partial(result) -> tuple[str, str]:
    """The mark and tooltip note of totals that leave nodes out (``("", "")`` if none).

    With an error, the totals are those of the nodes whose shape is known (as
    ``main.py analyze`` prints them): the nodes that failed and those below them
    have no cost yet, so the page says how many nodes the totals cover.
    """
    if result.valid:
        return "", ""
    known = sum(1 for n in result.nodes.values() if n.shape is not None)
    total = len(result.nodes)
    mark = " " + span(f"(partial: {known} of {total} nodes)", WARNING)
    note = (f"; partial: only the {known} of {total} nodes the errors leave analysable "
            "are counted")
    return mark, note


class GraphPage(QWidget):
    """Name and description of the graph (``SetMetaCommand``) and its totals.

    Parameters
    ----------
    doc : Document
        Edited through its undo stack; read for the totals.
    """

    def __init__(self, doc, parent: QWidget | None = None):
        super().__init__(parent)
        self.doc = doc
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 10, 12, 12)
        outer.setSpacing(8)
        heading = QLabel("Graph", self)
        heading.setObjectName("heading")
        outer.addWidget(heading)

        form = form_layout()
        outer.addLayout(form)
        self.name_edit = QLineEdit(self)
        self.name_edit.setPlaceholderText("Untitled")
        self.name_edit.setToolTip("Name of the design (also the default class name of the "
                                  "exported PyTorch code)")
        self.name_field, _ = add_field_row(form, "Name", self.name_edit, self)
        self.name_edit.editingFinished.connect(self._commit_name)
        self.desc_edit = CommitTextEdit(self)
        self.desc_edit.setPlaceholderText("What this network shows or is for…")
        self.desc_edit.setToolTip("Description (saved in the file); Ctrl+Enter commits")
        self.desc_edit.setMinimumHeight(110)
        self.desc_edit.setMaximumHeight(320)
        self.desc_edit.committed.connect(self._commit_description)
        form.addRow(QLabel("Description", self))
        form.addRow(self.desc_edit)

        form.addRow(section_title("Totals", self))
        self.facts = FactRows(form, self)
        for key in ("Nodes", "Input", "Output", "Parameters", "MACs", "Activations",
                    "Status"):
            self.facts.set(key, None)
        hint = QLabel("Select a node to edit its parameters. Drag layers from the palette "
                      "onto the canvas and drag from an output port to an input port to "
                      "connect them.", self)
        hint.setWordWrap(True)
        hint.setObjectName("muted")
        form.addRow(hint)
        outer.addStretch(1)
        self.refresh()
        notifier.changed.connect(self._theme_changed)  # a method: dropped with the page

    def renamed(self, old: str, new: str) -> None:  # pragma: no cover - nothing to follow
        """Nothing to do: the page shows no node ids (page interface of the property editor)."""
        pass

    def refresh(self) -> None:
        """Show the graph's name, description and totals from the model and analysis.

        A field that has the focus keeps the text being typed.
        """
        graph = self.doc.graph
        if not self.name_edit.hasFocus():
            self.name_edit.setText(graph.name)
        if not self.desc_edit.hasFocus():
            self.desc_edit.set_text(graph.description)
        result = self.doc.result()
        f = self.facts
        f.set("Nodes", f"{len(graph)} nodes, {len(graph.edges)} edges")
        inputs = [n.id for n in graph if n.type == "Input"]
        outputs = [n.id for n in graph if not graph.successors(n.id) and n.type != "Input"]

        def shapes(ids):
            items = [f"{fmt_shape(result.nodes[i].shape)}" for i in ids if i in result.nodes]
            return ", ".join(items) if items else None

        f.set("Input", shapes(inputs))
        f.set("Output", shapes(outputs))
        mark, note = _partial(result)
        f.set("Parameters", fmt_count_long(result.total_params) + mark,
              "learnable weights and biases" + note)
        f.set("MACs", fmt_count_long(result.total_macs) + mark,
              "multiply-accumulate operations of one forward pass (batch 1)" + note)
        f.set("Activations", fmt_bytes(result.activation_bytes) + mark,
              "memory of all node outputs in float32 (batch 1)" + note)
        f.set("Status", _status_html(result))

    def _theme_changed(self, _dark: bool) -> None:
        self.refresh()  # the state colours are in the text

    def _commit_name(self) -> None:
        name = self.name_edit.text().strip()
        if name == self.doc.graph.name:
            return
        if not name:
            self.name_edit.setText(self.doc.graph.name)
            self.name_field.set_message("the name cannot be empty")
            return
        self.name_field.set_message(None)
        error = push_edit(self.doc.undo_stack,
                          SetMetaCommand(self.doc.graph, name, self.doc.graph.description))
        if error:
            self.name_field.set_message(error)

    def _commit_description(self, text: str) -> None:
        if text == self.doc.graph.description:
            return
        push_edit(self.doc.undo_stack, SetMetaCommand(self.doc.graph, self.doc.graph.name,
                                                      text))
