"""The property page shown when several nodes are selected."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from designer.look import fmt_count_long
from designer.widgets.facts import FactRows, form_layout

__all__ = ["SelectionPage"]


class SelectionPage(QWidget):
    """Several selected nodes: how many, of which types, their parameters and MACs.

    Parameters
    ----------
    doc : Document
    ids : list of str
        The selected node ids.
    """

    def __init__(self, doc, ids: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.doc = doc
        self.ids = list(ids)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 10, 12, 12)
        outer.setSpacing(8)
        self.heading = QLabel(self)
        self.heading.setObjectName("heading")
        outer.addWidget(self.heading)
        form = form_layout()
        outer.addLayout(form)
        self.facts = FactRows(form, self)
        hint = QLabel("Ctrl+G groups the selection, Ctrl+D duplicates it, Del removes it, "
                      "Ctrl+C / Ctrl+V copy it (with the edges between the copied nodes).",
                      self)
        hint.setWordWrap(True)
        hint.setObjectName("muted")
        outer.addWidget(hint)
        outer.addStretch(1)
        self.refresh()

    def renamed(self, old: str, new: str) -> None:
        """Replace ``old`` by ``new`` in the selected ids."""
        self.ids = [new if i == old else i for i in self.ids]

    def refresh(self) -> None:
        """Show the count, types, summed parameters and MACs of the selected nodes.

        Ids no longer in the graph are left out.
        """
        result = self.doc.result()
        ids = [i for i in self.ids if i in self.doc.graph.nodes]
        self.heading.setText(f"{len(ids)} nodes selected")
        types: dict[str, int] = {}
        params = macs = 0
        for i in ids:
            t = self.doc.graph.nodes[i].type
            types[t] = types.get(t, 0) + 1
            res = result.nodes.get(i)
            if res is not None and res.params is not None:
                params += res.params
                macs += res.macs
        f = self.facts
        f.set("Types", ", ".join(f"{n}× {t}" if n > 1 else t for t, n in types.items()))
        f.set("Parameters", fmt_count_long(params))
        f.set("MACs", fmt_count_long(macs))
