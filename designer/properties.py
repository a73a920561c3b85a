"""The property editor: the selected node's id, parameters and analysis facts.

The form is generated from the catalogue schema (``kind.params``): one editor
per parameter (see :mod:`designer.widgets.params`). It follows the model both
ways without feedback loops:

* a user edit is pushed as one ``SetParamsCommand`` (``RenameNodeCommand``
  for the id) through ``push_edit``; a refused edit is explained in red under
  the field and the field shows the model's value again;
* every model change (including undo/redo) refreshes the fields with their
  signals blocked, and analysis errors or warnings that name a parameter are
  shown under that parameter.

With no selection the editor shows the graph's name, description and totals
(:class:`~designer.widgets.graph_page.GraphPage`); with several nodes selected
a short summary (:class:`~designer.widgets.selection_page.SelectionPage`); with
one, :class:`~designer.widgets.node_page.NodePage`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QScrollArea, QWidget

from designer.widgets.graph_page import GraphPage
from designer.widgets.group_page import GroupPage
from designer.widgets.node_page import NodePage
from designer.widgets.selection_page import SelectionPage

__all__ = ["PropertyEditor"]


class PropertyEditor(QScrollArea):
    """The right-hand dock: a :class:`NodePage`, a graph page or a selection summary.

    Call :meth:`set_document` when a document is opened and
    :meth:`set_selection` when the canvas selection changes.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.doc = None
        self.ids: list[str] = []
        self.page: QWidget | None = None
        self.group_id: str | None = None
        self.setMinimumWidth(300)

    def set_document(self, doc) -> None:
        """Follow ``doc`` (disconnects the previous one)."""
        if self.doc is not None:
            for signal, slot in ((self.doc.analysisChanged, self._on_analysis),
                                 (self.doc.graphChanged, self._on_event)):
                try:
                    signal.disconnect(slot)
                except (RuntimeError, TypeError):
                    pass
        self.doc = doc
        self.ids = []
        if doc is not None:
            doc.analysisChanged.connect(self._on_analysis)
            doc.graphChanged.connect(self._on_event)
        self._rebuild()

    def set_selection(self, ids: list[str]) -> None:
        """Show the node (one id), a summary (several) or the graph (none)."""
        ids = [i for i in ids if self.doc is not None and i in self.doc.graph.nodes]
        if ids == self.ids and self.page is not None:
            return
        same_page = (len(ids) == 1 and isinstance(self.page, NodePage)
                     and self.page.node_id == ids[0])
        self.ids = list(ids)
        if same_page:
            return
        self.group_id = None
        self._rebuild()

    def set_group(self, group_id: str | None) -> None:
        """Show a group's page (its name, members and figures); None: the graph's."""
        if group_id == self.group_id and not self.ids and self.page is not None:
            return
        self.ids, self.group_id = [], group_id
        self._rebuild()

    def _rebuild(self) -> None:
        old = self.takeWidget()
        if old is not None:
            old.hide()
            old.deleteLater()
        if self.doc is None:
            self.page = QWidget()
        elif self.group_id is not None and self.group_id in self.doc.graph.groups:
            self.page = GroupPage(self.doc, self.group_id)
        elif len(self.ids) == 1:
            self.page = NodePage(self.doc, self.ids[0])
        elif self.ids:
            self.page = SelectionPage(self.doc, self.ids)
        else:
            self.page = GraphPage(self.doc)
        self.setWidget(self.page)

    def _on_event(self, changes) -> None:
        from engine.graph import NodeRemoved, NodeRenamed

        removed = False
        for event in changes:
            if isinstance(event, NodeRenamed):
                self.ids = [event.new if i == event.old else i for i in self.ids]
                if isinstance(self.page, (NodePage, SelectionPage)):
                    self.page.renamed(event.old, event.new)
            elif isinstance(event, NodeRemoved) and event.node.id in self.ids:
                self.ids = [i for i in self.ids if i != event.node.id]
                removed = True
        if removed:
            self._rebuild()

    def _on_analysis(self, _result) -> None:
        if self.page is not None and hasattr(self.page, "refresh"):
            self.page.refresh()
