"""The property page of one node: header, id, one field per parameter, analysis facts.

The form is generated from the catalogue schema (``kind.params``): one editor
per parameter (see :mod:`designer.widgets.params`). A user edit is pushed as
one ``SetParamsCommand`` (``RenameNodeCommand`` for the id) through
``push_edit``; a refused edit is explained in red under the field and the
field shows the model's value again. :meth:`NodePage.refresh` shows the
model's values with the editors' signals blocked, and analysis errors or
warnings that name a parameter under that parameter.
"""

from __future__ import annotations

from math import prod

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from designer.commands import RenameNodeCommand, SetParamsCommand, push_edit
from designer.look import (
    MISSING,
    STATE_COLORS,
    fmt_bytes,
    fmt_count_long,
    fmt_shape,
    kind_icon,
    span,
)
from designer.widgets.facts import FactRows, form_layout, section_title
from designer.widgets.field import Field, add_field_row
from designer.widgets.params import NullableEdit, TargetSizeEdit, make_editor, param_tooltip
from engine.catalogue import ParamError

__all__ = ["NodePage", "rf_text"]


def rf_text(rf) -> str:
    """One line per receptive field: size, jump, start and flags."""
    if rf.is_global:
        return "global (every output sees the whole input)"

    def axes(values):
        vals = [f"{v:g}" if isinstance(v, float) else str(v) for v in values]
        return vals[0] if len(set(vals)) == 1 else "×".join(vals)

    text = f"{fmt_shape(rf.size)} · jump {axes(rf.jump)} · start {axes(rf.start)}"
    if rf.deformable:
        text += " · nominal (deformable: it can look further)"
    return text


class NodePage(QWidget):
    """Editor of one node: header, id, one field per parameter, analysis facts.

    Parameters
    ----------
    doc : designer.document.Document
        The open document.
    node_id : str
        The node shown; follows renames (:meth:`renamed`).
    """

    def __init__(self, doc, node_id: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.doc = doc
        self.node_id = node_id
        node = doc.graph.nodes[node_id]
        self.kind = node.kind
        self.fields: dict[str, Field] = {}

        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 10, 12, 12)
        outer.setSpacing(8)

        head = QHBoxLayout()
        head.setSpacing(10)
        icon = QLabel(self)
        icon.setPixmap(kind_icon(self.kind, 32).pixmap(32, 32))
        head.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        titles = QVBoxLayout()
        titles.setSpacing(0)
        self.title = QLabel(self.kind.title, self)
        self.title.setObjectName("heading")
        self.subtitle = QLabel(self)
        self.subtitle.setObjectName("muted")
        self.subtitle.setWordWrap(True)
        titles.addWidget(self.title)
        titles.addWidget(self.subtitle)
        head.addLayout(titles, 1)
        outer.addLayout(head)

        form = form_layout()
        self.id_edit = QLineEdit(node_id, self)
        self.id_edit.setToolTip("Node id: the submodule name in exported code (letters, "
                                "digits and _, not starting with a digit)")
        self.id_field, _ = add_field_row(form, "id", self.id_edit, self)
        self.id_edit.editingFinished.connect(self._rename)

        if self.kind.params:
            form.addRow(section_title("Parameters", self))
            for param in self.kind.params:
                editor = make_editor(param, self)
                editor.committed.connect(lambda v, name=param.name: self._commit(name, v))
                field, label = add_field_row(form, param.name, editor, self)
                label.setToolTip(param_tooltip(param))
                self.fields[param.name] = field

        self.node_issues = QLabel(self)
        self.node_issues.setWordWrap(True)
        self.node_issues.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(self.node_issues)

        form.addRow(section_title("Analysis", self))
        self.facts = FactRows(form, self)
        for key in ("Input", "Output", "Receptive field", "Parameters", "MACs",
                    "Activation"):
            self.facts.set(key, None)
        form.addRow(section_title(f"About {self.kind.title}", self))
        about = QLabel(self.kind.doc, self)
        about.setWordWrap(True)
        about.setObjectName("muted")
        form.addRow(about)
        outer.addLayout(form)
        self.form = form
        outer.addStretch(1)
        self.refresh()

    # -- model -> view -----------------------------------------------------------
    def renamed(self, old: str, new: str) -> None:
        """Follow the rename of the node shown (other renames are ignored)."""
        if old == self.node_id:
            self.node_id = new

    def refresh(self) -> None:
        """Show the model's values, the analysis facts and the inline issues."""
        node = self.doc.graph.nodes.get(self.node_id)
        if node is None:
            return
        if not self.id_edit.hasFocus() or self.id_edit.text() == self.node_id:
            self.id_edit.setText(self.node_id)
        self.id_field.set_message(None)
        self._load_values(node)
        self._load_analysis(node)

    def _load_values(self, node) -> None:
        try:
            resolved = node.resolved()
        except ParamError:  # cannot happen for a graph-validated node; be safe
            resolved = {p.name: node.params.get(p.name, p.default) for p in self.kind.params}
        for name, field in self.fields.items():
            field.editor.set_value(resolved.get(name))
        if "stride" in self.fields and isinstance(self.fields["stride"].editor, NullableEdit):
            self.fields["stride"].editor.set_placeholder(resolved.get("kernel_size"))

    def _load_analysis(self, node) -> None:
        result = self.doc.result()
        res = result.nodes.get(self.node_id)
        outcome = None
        try:
            outcome = self.doc.analyzer.outcome(self.node_id)
        except KeyError:
            pass
        ins = outcome.ins if outcome is not None else None
        for field in self.fields.values():  # a size's axes follow the input (2D or 3D)
            follow = getattr(field.editor, "follow_input", None)
            if follow is not None:
                follow(ins.x if ins is not None and ins.shapes else None)
        summary = res.summary if res is not None else ""
        self.subtitle.setText(" · ".join(x for x in (self.kind.family, node.type if
                                                     node.type != self.kind.title else "",
                                                     summary) if x))
        # inline issues: by parameter, the rest above the facts
        for field in self.fields.values():
            field.set_message(None)
        loose = []
        for issue in result.issues_of(self.node_id):
            level = "error" if issue in result.errors else "warning"
            message = _strip(issue.message, self.node_id)
            field = self.fields.get(issue.param) if issue.param else None
            if issue.param == "id":
                field = self.id_field
            if field is not None and field.level != "error":
                field.set_message(message, level)
            else:
                loose.append(span(_esc(message), STATE_COLORS[level]))
        self.node_issues.setText("<br>".join(loose))
        self.form.setRowVisible(self.node_issues, bool(loose))

        target = self.fields.get("target_size")
        if target is not None and isinstance(target.editor, TargetSizeEdit):
            reach = None
            if ins is not None and outcome.params is not None:
                try:
                    reach = self.kind.reachable(outcome.params, ins)
                except (ParamError, ValueError, IndexError):
                    reach = None
            current = res.shape[1:] if res is not None and res.shape else None
            target.editor.set_reachable(reach, current)
            if reach is None:
                target.set_message(target.text() or "connect an input to list the "
                                   "reachable output sizes", target.level or "warning")

        f = self.facts
        shapes = ins.shapes if ins is not None else ()
        f.set("Input", ", ".join(fmt_shape(s) for s in shapes) if shapes else None)
        f.set("Output", fmt_shape(res.shape) if res is not None and res.shape else MISSING)
        rfs = res.rf_by_input if res is not None and res.rf_by_input else (
            {res.rf.input: res.rf} if res is not None and res.rf is not None else {})
        if rfs:
            lines = [rf_text(rf) if len(rfs) == 1 else f"{_esc(k)}: {rf_text(rf)}"
                     for k, rf in rfs.items()]
            f.set("Receptive field", "<br>".join(lines),
                  "size of the input window one output pixel sees, the distance "
                  "(jump) between neighbouring outputs in input pixels, and the centre "
                  "of the first one (start)")
        else:
            f.set("Receptive field", None)
        ok = res is not None and res.params is not None
        f.set("Parameters", fmt_count_long(res.params) if ok else MISSING,
              "learnable weights and biases")
        f.set("MACs", fmt_count_long(res.macs) if ok else MISSING,
              "multiply-accumulate operations of one forward pass")
        mem = 4 * prod(res.shape) if res is not None and res.shape else None
        f.set("Activation", fmt_bytes(mem) if mem else None, "output size in float32")

    # -- view -> model -----------------------------------------------------------
    def _push(self, command) -> str | None:
        return push_edit(self.doc.undo_stack, command)

    def _commit(self, name: str, value) -> None:
        node = self.doc.graph.nodes.get(self.node_id)
        if node is None:
            return
        field = self.fields[name]
        param = self.kind.param(name)
        try:
            normal = param.validate(value)
            current = node.resolved().get(name)
        except ParamError as exc:
            self._load_values(node)
            field.set_message(exc.message)
            return
        if normal == current:
            field.set_message(None)
            return
        # the kind may reset other parameters with this one (a target size
        # replaces an explicit output padding)
        changes = {name: value, **self.kind.linked_changes(name, value, dict(node.params))}
        error = self._push(SetParamsCommand(self.doc.graph, self.node_id, changes))
        if error:
            self._load_values(self.doc.graph.nodes.get(self.node_id, node))
            field.set_message(_strip(error, self.node_id))

    def _rename(self) -> None:
        new = self.id_edit.text().strip()
        if new == self.node_id or self.node_id not in self.doc.graph.nodes:
            self.id_field.set_message(None)
            return
        error = self._push(RenameNodeCommand(self.doc.graph, self.node_id, new))
        if error:
            self.id_edit.setText(self.node_id)
            self.id_field.set_message(error)


def _strip(message: str, node_id: str) -> str:
    """``"conv1: groups = 5: ..."`` -> ``"groups = 5: ..."`` (the node is on screen)."""
    prefix = f"{node_id}: "
    return message[len(prefix):] if message.startswith(prefix) else message


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
