"""Canvas edits that take more than one mouse gesture: drop, paste, delete, layout.

:class:`CanvasEditor` turns user intents into QUndoCommands (one per model
change, macros for multi-step edits) and pushes them with
:func:`designer.commands.push_edit`; the scene then follows the model's
change events like for any other edit.
"""

from __future__ import annotations

import json

from PySide6.QtCore import QMimeData, QPointF
from PySide6.QtGui import QGuiApplication

from designer.commands import (
    AddNodeCommand,
    ConnectCommand,
    DisconnectCommand,
    InsertNodeCommand,
    MacroCommand,
    MoveNodesCommand,
    RemoveNodesCommand,
    fresh_id,
    push_edit,
)
from designer.group_commands import AddGroupCommand
from engine import CATALOGUE, PRESETS, Edge

from . import theme
from .clip_groups import copied_groups, pasted_groups
from .layout import COL, ROW, layered_positions

__all__ = ["CanvasEditor", "NODES_MIME"]

#: clipboard mime type of copied nodes: JSON ``{"nodes": [...], "edges": [...]}``
NODES_MIME = "application/x-convcanvas-nodes"
_PRESETS = {p.name: p for p in PRESETS}
_PASTE_STEP = 40.0


class CanvasEditor:
    """Edits of a :class:`~designer.canvas.scene.GraphScene`'s document.

    Parameters
    ----------
    scene : GraphScene
        The scene whose document is edited; refusals and notices go to its
        ``message`` signal.
    """

    def __init__(self, scene):
        self.scene = scene
        self._pastes = 0

    @property
    def graph(self):
        """The scene document's graph, or None without a document."""
        return self.scene.graph

    def push(self, command, quiet: bool = False) -> str | None:
        """Push ``command``; returns the refusal message (also shown unless quiet)."""
        doc = self.scene.doc
        if doc is None:
            return "no document"
        error = push_edit(doc.undo_stack, command)
        if error is not None and not quiet:
            self.scene.message.emit(error)
        return error

    # -- delete --------------------------------------------------------------------------
    def delete(self, node_ids: list[str], edges: list[Edge]) -> None:
        """Delete nodes and edges in one undo step.

        Parameters
        ----------
        node_ids : list of str
            Nodes to remove (their edges go with them).
        edges : list of engine.Edge
            Edges to remove; those touching a removed node are skipped.

        Notes
        -----
        One command is pushed as is; several become a macro named after what is
        deleted (``Delete 2 nodes and 1 edge``). Nothing happens without a
        document or when both lists are empty.
        """
        graph = self.graph
        if graph is None:
            return
        gone = set(node_ids)
        cut = [e for e in edges if e.src not in gone and e.dst not in gone]
        if not cut and not node_ids:
            return
        if not cut:
            self.push(RemoveNodesCommand(graph, node_ids))
            return
        if len(cut) == 1 and not node_ids:
            self.push(DisconnectCommand(graph, cut[0].src, cut[0].dst, cut[0].port))
            return
        n, m = len(node_ids), len(cut)
        what = [f"{n} node{'s' if n != 1 else ''}"] if n else []
        what += [f"{m} edge{'s' if m != 1 else ''}"] if m else []
        macro = MacroCommand(graph, f"Delete {' and '.join(what)}")
        for e in cut:
            macro.add(DisconnectCommand, e.src, e.dst, e.port)
        if node_ids:
            macro.add(RemoveNodesCommand, node_ids)
        self.push(macro)

    # -- clipboard ---------------------------------------------------------------------
    def payload(self, node_ids: list[str]) -> dict:
        """The selected nodes (shown positions) and the edges among them."""
        graph, chosen = self.graph, set(node_ids)
        nodes = []
        for nid in node_ids:
            n = graph.nodes[nid]
            x, y = self.scene.item_pos(nid)
            nodes.append({"id": nid, "type": n.type,
                          "params": {k: list(v) if isinstance(v, tuple) else v
                                     for k, v in n.params.items()},
                          "pos": [x, y]})
        edges = [{"from": e.src, "to": e.dst, "port": e.port} for e in graph.edges
                 if e.src in chosen and e.dst in chosen]
        return {"format": "convcanvas-nodes", "nodes": nodes, "edges": edges,
                "groups": copied_groups(graph, chosen)}

    def copy(self, node_ids: list[str]) -> None:
        """Put :meth:`payload` of ``node_ids`` on the clipboard.

        The JSON goes in as :data:`NODES_MIME` and as plain text. Resets the paste
        offset and reports on the scene's ``message`` signal (also when nothing is
        selected).
        """
        if not node_ids:
            self.scene.message.emit("Select nodes to copy")
            return
        data = json.dumps(self.payload(node_ids), ensure_ascii=False)
        mime = QMimeData()
        mime.setData(NODES_MIME, data.encode("utf-8"))
        mime.setText(data)
        QGuiApplication.clipboard().setMimeData(mime)
        self._pastes = 0
        self.scene.message.emit(f"Copied {len(node_ids)} node{'s' if len(node_ids) > 1 else ''}")

    def paste(self, at: QPointF | None = None) -> list[str]:
        """Add the clipboard's nodes and the edges among them, as one undo step.

        Parameters
        ----------
        at : QPointF, optional
            Scene point where the centre of the pasted nodes goes. Without it,
            each paste since the last copy lands 40 units further down-right.

        Returns
        -------
        list of str
            Ids of the new nodes (selected), or ``[]`` when the clipboard holds
            no ConvCanvas nodes or the edit is refused (the reason goes to the
            scene's ``message`` signal).
        """
        mime = QGuiApplication.clipboard().mimeData()
        data = None
        if mime is not None and mime.hasFormat(NODES_MIME):
            try:
                data = json.loads(bytes(mime.data(NODES_MIME)).decode("utf-8"))
            except ValueError:
                data = None
        if not isinstance(data, dict) or not data.get("nodes"):
            self.scene.message.emit("The clipboard holds no ConvCanvas nodes")
            return []
        self._pastes += 1
        if at is None:
            offset = QPointF(_PASTE_STEP * self._pastes, _PASTE_STEP * self._pastes)
        else:
            xs = [n["pos"][0] for n in data["nodes"]]
            ys = [n["pos"][1] for n in data["nodes"]]
            centre = QPointF((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2)
            offset = at - centre
        return self._insert(data, offset, "Paste")

    def duplicate(self, node_ids: list[str]) -> list[str]:
        """Copy ``node_ids`` and the edges among them 40 units down-right, as one undo step.

        Returns the new ids (selected), or ``[]`` when nothing is selected or the
        edit is refused. The clipboard is not touched.
        """
        if not node_ids:
            self.scene.message.emit("Select nodes to duplicate")
            return []
        return self._insert(self.payload(node_ids), QPointF(_PASTE_STEP, _PASTE_STEP),
                            "Duplicate")

    def _insert(self, data: dict, offset: QPointF, verb: str) -> list[str]:
        graph = self.graph
        if graph is None:
            return []
        ids: dict[str, str] = {}
        snap = self.scene.snap
        try:
            nodes, edges = list(data["nodes"]), list(data.get("edges", []))
            n = len(nodes)
            macro = MacroCommand(graph, f"{verb} {n} node{'s' if n != 1 else ''}")
            for n in nodes:
                new = fresh_id(graph, str(n["id"]), ids.values())
                ids[n["id"]] = new
                x, y = n.get("pos") or (0.0, 0.0)
                macro.add(AddNodeCommand, n["type"], n.get("params") or {}, new,
                          (snap(x + offset.x()), snap(y + offset.y())))
            for e in edges:
                macro.add(ConnectCommand, ids[e["from"]], ids[e["to"]], int(e.get("port", 0)))
            for group in pasted_groups(graph, data.get("groups") or [], ids):
                macro.add(AddGroupCommand, group)
        except (KeyError, TypeError, ValueError, AttributeError):
            self.scene.message.emit("The clipboard content is not valid")
            return []
        if self.push(macro) is not None:
            return []
        self.scene.select_nodes(ids.values())
        return list(ids.values())

    # -- layout ------------------------------------------------------------------------
    def auto_layout(self) -> None:
        """Move every node to its layered position, as one undo step.

        Positions come from :func:`~designer.canvas.layout.layered_positions`;
        nothing is pushed when no node moves.
        """
        graph = self.graph
        if graph is None or not len(graph):
            return
        pos = layered_positions(graph)
        moves = {nid: (graph.nodes[nid].pos, p) for nid, p in pos.items()
                 if graph.nodes[nid].pos != p}
        if moves:
            self.push(MoveNodesCommand(graph, moves, "Auto-layout"))

    # -- new layers ----------------------------------------------------------------------
    def layer_params(self, type_name: str, params: dict | None, preset: str | None,
                     in_channels: int | None) -> dict:
        """Parameters of a new layer: the palette's, adapted to the incoming channels."""
        params = dict(params or {})
        p = _PRESETS.get(preset) if preset else None
        if p is not None and p.type == type_name and in_channels:
            base = p.initial_params()
            for k, v in p.initial_params(in_channels).items():
                if base.get(k) != v:
                    params[k] = v
        return params

    def drop_layer(self, type_name: str, params: dict | None, preset: str | None,
                   pos: QPointF, edge: Edge | None = None) -> str | None:
        """A palette item dropped at ``pos`` (onto ``edge``: inserted there)."""
        graph = self.graph
        if graph is None:
            return None
        if type_name not in CATALOGUE:
            self.scene.message.emit(f"Unknown layer type {type_name!r}")
            return None
        snap = self.scene.snap
        where = (snap(pos.x()), snap(pos.y()))
        if edge is not None and self.insertable(type_name, edge):
            src_item = self.scene.nodes[edge.src]
            r = src_item.result
            in_ch = r.shape[0] if r is not None and r.shape else None
            params = self.layer_params(type_name, params, preset, in_ch)
            extra = self._make_room(edge, where)
            if extra is not None:
                where = (where[0], extra[1])
            cmd = InsertNodeCommand(graph, edge, type_name, params, None, where,
                                    extra[0] if extra else None)
            if self.push(cmd) is not None:
                return None
            nid = cmd.node_id
        else:
            cmd = AddNodeCommand(graph, type_name, self.layer_params(type_name, params,
                                                                     preset, None),
                                 None, where)
            if self.push(cmd) is not None:
                return None
            nid = cmd.node_id
        self.scene.select_nodes([nid])
        return nid

    def insertable(self, type_name: str, edge: Edge) -> bool:
        """Whether a layer of ``type_name`` can be inserted into an edge.

        True for a known type that accepts a single input; ``edge`` itself is not
        looked at.
        """
        kind = CATALOGUE.get(type_name)
        return kind is not None and kind.max_inputs >= 1 and kind.min_inputs <= 1

    def _make_room(self, edge: Edge, where: tuple[float, float]):
        """Shift the rows from the edge's target down when the drop spot is crowded."""
        scene = self.scene
        p = QPointF(*where)
        crowded = scene.card_at(p, margin=theme.NODE_H / 2 + 4) is not None
        if not crowded:
            return None
        graph = self.graph
        dst_y = scene.item_pos(edge.dst)[1]
        src_y = scene.item_pos(edge.src)[1]
        if dst_y <= src_y:
            return None
        moves = {}
        for nid in graph.nodes:
            x, y = scene.item_pos(nid)
            if y >= dst_y - 1:
                moves[nid] = (graph.nodes[nid].pos, (x, y + ROW))
        return moves, dst_y

    def add_layer(self, type_name: str, params: dict | None = None,
                  preset: str | None = None) -> str | None:
        """Add a layer below the selected node (connected to it), else mid-view."""
        graph, scene = self.graph, self.scene
        if graph is None or type_name not in CATALOGUE:
            return None
        sel = scene.selected_ids()
        kind = CATALOGUE[type_name]
        if len(sel) == 1 and kind.max_inputs >= 1:
            src = sel[0]
            x, y = scene.item_pos(src)
            y += ROW
            while scene.card_at(QPointF(x, y), margin=10) is not None:
                x += COL
            r = scene.nodes[src].result
            in_ch = r.shape[0] if r is not None and r.shape else None
            cmd = MacroCommand(graph, "")
            add = cmd.add(AddNodeCommand, type_name,
                          self.layer_params(type_name, params, preset, in_ch),
                          fresh_id(graph, kind.stem()), (x, y))
            cmd.setText(add.text())
            cmd.add(ConnectCommand, src, add.node_id, 0)
            if self.push(cmd) is not None:
                return None
        else:
            views = scene.views()
            c = views[0].mapToScene(views[0].viewport().rect().center()) if views \
                else QPointF(0, 0)
            x, y = scene.snap(c.x()), scene.snap(c.y())
            while scene.card_at(QPointF(x, y), margin=10) is not None:
                y += ROW
            add = AddNodeCommand(graph, type_name,
                                 self.layer_params(type_name, params, preset, None), None,
                                 (x, y))
            if self.push(add) is not None:
                return None
        scene.select_node(add.node_id)
        return add.node_id
