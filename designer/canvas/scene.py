"""The graph scene: a mirror of a :class:`~designer.document.Document`.

The scene never owns state. It builds one :class:`NodeItem` per node and one
:class:`EdgeItem` per edge, then follows the model through
``Document.graphChanged`` (one batch of engine events per user action: add,
remove, move, rename a node, add or remove an edge) and the analysis through
``Document.analysisChanged`` (only the cards and labels whose
:class:`engine.NodeResult` changed are touched). Edits go the other way, as
QUndoCommands pushed by :class:`~designer.canvas.editor.CanvasEditor` and by
the mouse interactions (:mod:`designer.canvas.interactions`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtWidgets import QGraphicsScene, QToolTip

from designer import look
from engine import AnalysisResult, Edge
from engine.gcpause import paused
from engine.graph import (
    EdgeAdded,
    EdgeRemoved,
    NodeAdded,
    NodeChanged,
    NodeMoved,
    NodeRemoved,
    NodeRenamed,
)

from .edge_item import EdgeItem
from .editor import CanvasEditor
from .freshness import LazyLabels
from .geometry import SceneGeometry
from .interactions import Interaction, start_interaction
from .kept_routes import KeptRoutes
from .layout import layered_positions
from .node_item import NodeItem
from .port_item import PortItem
from .routing import Lane
from .scene_edits import SceneEdits
from .scene_groups import SceneGroups
from .spatial import SpatialGrid

__all__ = ["GraphScene"]

class GraphScene(SceneEdits, SceneGroups, SceneGeometry, LazyLabels, QGraphicsScene):
    """The canvas of one document.

    Signals
    -------
    selectionChangedIds(list)
        Ids of the selected nodes, in graph order (edges are not listed).
    nodeActivated(str)
        A node was double-clicked (open its properties).
    message(str)
        Transient text for the status bar (why an edit was refused, ...).
    groupsSelected(list)
        Ids of the selected group cards and frames (:class:`SceneGroups`).
    """

    selectionChangedIds = Signal(list)
    nodeActivated = Signal(str)
    message = Signal(str)
    groupsSelected = Signal(list)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.doc = None
        self.nodes: dict[str, NodeItem] = {}
        self.edges: dict[Edge, EdgeItem] = {}
        self._lanes: dict[EdgeItem, Lane] = {}
        self._lane_index = SpatialGrid(240.0)  # lanes by their vertical run (x ignored)
        self._edge_index = SpatialGrid()  # edges by their bounds
        self._label_index = SpatialGrid()  # shown labels by their rectangles
        self._unrouted = SpatialGrid(400.0)  # edges not routed yet, by their ends
        self.kept_routes = KeptRoutes()  # of edges that left, for their return (an undo)
        self._auto_pos: dict[str, tuple[float, float]] = {}
        self._interaction: Interaction | None = None
        self._last_selection: list[str] = []
        self._selected_edges: set[EdgeItem] = set()
        self._building = False
        self._cards: tuple | None = None  # (ys, cards, xs) sorted by y (SceneGeometry)
        self._bands: dict | None = None  # SceneGeometry.bands_held
        self._pending: list[tuple[QRectF, int]] = []  # (rect, _route_seq when noted)
        self._route_seq = 0  # counts card changes and routes (GraphScene.flush)
        self._dirty_edges: set[EdgeItem] = set()
        self._init_lazy()
        self._reroute_timer = QTimer(self)
        self._reroute_timer.setSingleShot(True)
        self._reroute_timer.setInterval(0)
        self._reroute_timer.timeout.connect(self.flush_due)
        self.editor = CanvasEditor(self)
        self._init_groups()
        self.setSceneRect(QRectF(-50000, -50000, 100000, 100000))
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self.setBackgroundBrush(look.BACKGROUND)
        self.selectionChanged.connect(self._on_selection)

    # -- document ------------------------------------------------------------------------
    def set_document(self, doc) -> None:
        """Show ``doc`` (a Document, or None for an empty canvas); rebuilds every item.

        The cyclic collector is paused meanwhile (:func:`engine.gcpause.paused`):
        the thousands of items made here live on, and scanning them again and
        again as they pile up made opening a 3,000-node graph about 15% slower.
        """
        with paused():
            self._set_document(doc)
        self._on_selection()

    def _set_document(self, doc) -> None:
        if self.doc is not None:
            for sig, slot in ((self.doc.graphChanged, self._on_graph_event),
                              (self.doc.analysisChanged, self._on_analysis),
                              (self.doc.graphChanged, self._groups_follow),
                              (self.doc.analysisChanged, self._groups_analysis)):
                try:
                    sig.disconnect(slot)
                except (RuntimeError, TypeError):
                    pass
        self.cancel_interaction()
        self._building = True
        try:
            self.clear()
            self._clear_groups()
            self.cards_changed()
            self._pending = []
            self._dirty_edges = set()
            self._reroute_timer.stop()
            self._selected_edges = set()
            self.nodes.clear()
            self.edges.clear()
            self._lanes.clear()
            for index in (self._lane_index, self._edge_index, self._label_index,
                          self._unrouted, self.kept_routes):
                index.clear()
            self._auto_pos = {}
            self.doc = doc
            if doc is None:
                return
            graph = doc.graph
            if any(n.pos is None for n in graph.nodes.values()):
                self._auto_pos = layered_positions(graph)
            for node in graph.nodes.values():
                self._add_node(node)
            for e in graph.edges:
                self._add_edge(e, adjust=False)
            for item in self.nodes.values():
                item.set_connected_inputs(graph.inputs_of(item.node_id))
            self._lazy = bool(self.views()) and len(self.edges) >= self.LAZY_EDGES
            self.label_epoch += 1  # the views reveal what they show afresh
            self.refresh_groups(initial=True)
            self._on_analysis(doc.result())
            if self._lazy:  # routes and labels follow when seen (LazyLabels.reveal)
                for item in self.edges.values():
                    self.note_unrouted(item)
            else:
                with self.bands_held():
                    for item in self.edges.values():  # routes first (labels wait: _building)
                        item.adjust()
                self._building = False  # labels now see every route
                for item in self.edges.values():
                    item.place_label()
            self._groups_analysis(doc.result())  # labels of edges inside cards stay hidden
            doc.graphChanged.connect(self._on_graph_event)
            doc.analysisChanged.connect(self._on_analysis)
            doc.graphChanged.connect(self._groups_follow)
            doc.analysisChanged.connect(self._groups_analysis)
        finally:
            self._building = False

    @property
    def graph(self):
        """The document's graph, or None without a document."""
        return self.doc.graph if self.doc is not None else None

    # -- model events ----------------------------------------------------------------------
    def _on_graph_event(self, changes) -> None:
        """Mirror one batch of model events (one user action), touching only the
        cards and edges it names.

        Items come and go in event order, from the events' own values (later
        events of the batch may have changed the model since); then each card
        the batch touched is synced once with the model as it is now.
        """
        with self.bands_held():
            self._mirror(changes)

    def _mirror(self, changes) -> None:
        touched: dict[str, QRectF | None] = {}
        for ev in changes:
            if isinstance(ev, NodeAdded):
                item = self._add_node(ev.node)
                self._reroute_near([item.sceneBoundingRect()])
            elif isinstance(ev, NodeRemoved):
                self._remove_node(ev.node.id)
                touched.pop(ev.node.id, None)
            elif isinstance(ev, NodeRenamed):
                self._on_renamed(ev.old, ev.new)
                touched[ev.new] = touched.pop(ev.old, None)
            elif isinstance(ev, EdgeAdded):
                self._add_edge(ev.edge)
                touched.setdefault(ev.edge.dst, None)
            elif isinstance(ev, EdgeRemoved):
                self._remove_edge(ev.edge)
                touched.setdefault(ev.edge.dst, None)
            elif isinstance(ev, NodeMoved):
                item = self.nodes.get(ev.node_id)
                if item is not None and touched.get(ev.node_id) is None:
                    touched[ev.node_id] = item.sceneBoundingRect()  # where it was
            elif isinstance(ev, NodeChanged):
                touched.setdefault(ev.new.id, None)
        for nid, old_rect in touched.items():
            self._sync(nid, old_rect)

    def _sync(self, node_id: str, old_rect: QRectF | None) -> None:
        """Show the model's current value, position and wired slots of one card."""
        item = self.nodes.get(node_id)
        node = self.graph.nodes.get(node_id)
        if item is None or node is None:
            return
        item.set_node(node)
        self._ports_changed(item)
        pos = QPointF(*self.view_point(node_id, node.pos if node.pos is not None
                                       else self._position_for(node_id)))
        if old_rect is None and pos == item.pos():
            return
        rects = [item.sceneBoundingRect()] if old_rect is None else [old_rect]
        if pos != item.pos():
            self.unindex_card(item)
            item.setPos(pos)
            self.index_card(item)
        rects.append(item.sceneBoundingRect())
        self._dirty_edges.update(item.edges_in)
        self._dirty_edges.update(item.edges_out)
        self._reroute_near(rects)

    def _add_node(self, node) -> NodeItem:
        item = NodeItem(node)
        pos = node.pos if node.pos is not None else self._position_for(node.id)
        item.setPos(QPointF(*self.view_point(node.id, pos)))
        self.addItem(item)
        self.nodes[node.id] = item
        self.index_card(item)
        return item

    def _position_for(self, node_id: str) -> tuple[float, float]:
        """Where a node without a position in the model is shown."""
        if node_id in self._auto_pos:
            return self._auto_pos[node_id]
        views = self.views()
        if views:
            v = views[0]
            c = v.mapToScene(v.viewport().rect().center())
        else:
            c = QPointF(0, 0)
        x, y = self.snap(c.x()), self.snap(c.y())
        while self.card_at(QPointF(x, y), margin=20) is not None:
            y += 80
        self._auto_pos[node_id] = (x, y)
        return x, y

    def _remove_node(self, node_id: str) -> None:
        item = self.nodes.pop(node_id, None)
        if item is not None:
            rect = item.sceneBoundingRect()
            self.unindex_card(item)
            self.removeItem(item)
            self._reroute_near([rect])

    def _on_renamed(self, old: str, new: str) -> None:
        item = self.nodes.pop(old, None)
        if item is None:
            return
        self.nodes[new] = item
        item.set_node(replace(item.node, id=new))
        if old in self._auto_pos:
            self._auto_pos[new] = self._auto_pos.pop(old)
        for e in item.edges_in + item.edges_out:
            self.edges.pop(e.edge, None)
            ren = Edge(new if e.edge.src == old else e.edge.src,
                       new if e.edge.dst == old else e.edge.dst, e.edge.port)
            e.edge = ren
            self.edges[ren] = e
            e.set_result(e.src.result)

    def _add_edge(self, edge: Edge, adjust: bool = True) -> EdgeItem:
        src, dst = self.nodes[edge.src], self.nodes[edge.dst]
        item = EdgeItem(edge, src, dst)
        self.addItem(item)
        self.addItem(item.label)
        self.edges[edge] = item
        src.edges_out.append(item)
        dst.edges_in.append(item)
        src.output_port.set_connected(True)
        src.sync_stub()
        item.set_result(src.result)
        if adjust:
            item.adjust()
        return item

    def _remove_edge(self, edge: Edge) -> None:
        item = self.edges.pop(edge, None)
        if item is None:
            return
        self._dirty_edges.discard(item)
        if item.src.edges_out.count(item):
            item.src.edges_out.remove(item)
        if item.dst.edges_in.count(item):
            item.dst.edges_in.remove(item)
        item.src.output_port.set_connected(bool(item.src.edges_out))
        item.src.sync_stub()
        self.kept_routes.keep(item)
        self.forget_edge(item)
        self.removeItem(item.label)
        self.removeItem(item)

    def _ports_changed(self, dst: NodeItem) -> None:
        before = len(dst.input_ports)
        dst.set_connected_inputs({e.edge.port: e.edge.src for e in dst.edges_in})
        if len(dst.input_ports) != before:
            for e in dst.edges_in:
                e.adjust()

    # -- analysis ------------------------------------------------------------------------
    def _on_analysis(self, result: AnalysisResult) -> None:
        """Update the cards and edge labels whose analysis changed.

        The incremental analysis hands back the same :class:`NodeResult` object
        for a node it did not recompute, so most nodes are skipped by identity.
        A card repaints only when what it shows changed, a label only when its
        text did (see :meth:`NodeItem.set_result`, :meth:`EdgeItem.set_result`).
        """
        warn: dict[str, list] = defaultdict(list)
        for w in result.warnings:
            if w.node is not None:
                warn[w.node].append(w)
        nodes = result.nodes
        news = []
        for nid, item in self.nodes.items():
            r = nodes.get(nid)
            ws = tuple(warn[nid]) if nid in warn else ()
            if r is not item.result or ws != item.warnings:
                news.append((item, r, ws))
        self.mirror_results(news)  # cards and labels in sight; the others when seen

    # -- selection ---------------------------------------------------------------------
    def selected_ids(self) -> list[str]:
        """Selected node ids, in graph order."""
        if self.graph is None:
            return []
        chosen = {it.node_id for it in self.selectedItems() if isinstance(it, NodeItem)}
        return [n for n in self.graph.nodes if n in chosen]

    def selected_edges(self) -> list[Edge]:
        """The model edges of the selected edge items."""
        return [it.edge for it in self.selectedItems() if isinstance(it, EdgeItem)]

    def select_node(self, node_id: str | None) -> None:
        """Select only ``node_id`` (None clears) and show it in the views (a node
        inside a collapsed group: the group's card)."""
        self.select_nodes([node_id] if node_id else [])
        item = self.nodes.get(node_id) if node_id else None
        if item is not None and not item.isVisible():
            item = self.card_for(node_id)
            self.select_group(item.group_id if item is not None else None)
        if item is not None:
            for v in self.views():
                v.ensureVisible(item, 60, 60)

    def select_nodes(self, ids) -> None:
        """Select exactly the nodes in ``ids`` (unknown ids are ignored).

        Emits ``selectionChangedIds`` once, and only if the selection changed.
        """
        ids = set(ids)
        self.blockSignals(True)
        try:
            self.clearSelection()
            for nid in ids:
                item = self.nodes.get(nid)
                if item is not None:
                    item.setSelected(True)
        finally:
            self.blockSignals(False)
        self._on_selection()

    def _on_selection(self) -> None:
        if self._building:
            return
        edges = {it for it in self.selectedItems() if isinstance(it, EdgeItem)}
        for e in edges ^ self._selected_edges:
            e.label.update()  # its frame shows the edge's selection
        self._selected_edges = edges
        ids = self.selected_ids()
        if ids != self._last_selection:
            self._last_selection = ids
            self.selectionChangedIds.emit(ids)
        if self.group_cards or self.group_frames:
            self.groupsSelected.emit(self.selected_group_ids())

    def select_all(self) -> None:
        """Select every node (and every collapsed group's card)."""
        self.select_nodes(self.nodes)
        for card in self.group_cards.values():
            card.setSelected(True)

    def item_pos(self, node_id: str) -> tuple[float, float]:
        """A node's model position (or the automatic one), wherever groups show it."""
        if self._plan is not None:
            return self.model_pos_of(node_id)
        p = self.nodes[node_id].pos()
        return (p.x(), p.y())

    # -- mouse: dispatched to interaction objects -------------------------------------------
    def item_at(self, pos: QPointF):
        """The port, card or edge at ``pos`` (labels and previews are ignored)."""
        for it in self.items(pos):
            if isinstance(it, (PortItem, NodeItem, EdgeItem)):
                return it
        return None

    def start(self, interaction: Interaction) -> None:
        """Cancel the running interaction and make ``interaction`` the current one."""
        self.cancel_interaction()
        self._interaction = interaction

    def end_interaction(self, interaction: Interaction) -> None:
        """Forget ``interaction`` if it is the current one (it has finished)."""
        if self._interaction is interaction:
            self._interaction = None

    def cancel_interaction(self) -> bool:
        """Abort the running interaction (Esc); True if there was one."""
        inter, self._interaction = self._interaction, None
        if inter is not None:
            inter.cancel()
            return True
        return False

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Hand the press to the running interaction, or start one.

        A left press on a port or card starts one (:func:`start_interaction`);
        anything else gets the default handling (rubber band, edge selection).
        """
        if self._interaction is not None:
            self._interaction.mouse_press(event)
            return
        if self.doc is not None and event.button() == Qt.MouseButton.LeftButton:
            inter = start_interaction(self, self.item_at(event.scenePos()), event)
            if inter is not None:
                self._interaction = inter
                event.accept()
                return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Hand the move to the running interaction, if any."""
        if self._interaction is not None:
            self._interaction.mouse_move(event)
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Hand the release to the running interaction, which then ends."""
        if self._interaction is not None:
            inter = self._interaction
            inter.mouse_release(event)
            self.end_interaction(inter)
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def helpEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Tooltips of cards, ports and edges are built when asked for."""
        item = self.item_at(event.scenePos()) or self.group_at(event.scenePos())
        if item is None:
            QToolTip.hideText()
            return
        QToolTip.showText(event.screenPos(), item.toolTip(), event.widget())
        event.accept()

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """A left double-click on a card or its port emits ``nodeActivated``."""
        item = self.item_at(event.scenePos())
        if isinstance(item, PortItem):
            item = item.node
        if isinstance(item, NodeItem) and event.button() == Qt.MouseButton.LeftButton:
            self.nodeActivated.emit(item.node_id)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)
