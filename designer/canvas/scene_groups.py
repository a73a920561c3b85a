"""Groups on the graph scene: collapsed cards, expanded frames, folding, group edits.

:class:`SceneGroups` is a mixin of :class:`~designer.canvas.scene.GraphScene`.
After every batch that touches groups (or moves nodes of a graph with groups)
it works out the view (:func:`~designer.canvas.folding.plan_view`): the member
cards of a collapsed group are hidden and stand where its
:class:`~designer.canvas.group_item.GroupCardItem` stands, so the edges into
and out of the group attach to the card; edges inside it are hidden; every
other card is shown at its folded position; expanded groups get a
:class:`~designer.canvas.group_item.GroupFrameItem`. Without groups nothing of
this runs. The group edits (group, ungroup, rename, collapse, expand) are
pushed as the commands of :mod:`designer.group_commands`.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtWidgets import QInputDialog

from designer.commands import MoveNodesCommand
from designer.group_commands import GroupCommand, SetGroupCommand, UngroupCommand
from engine.graph import EdgeAdded, EdgeRemoved, NodeAdded, NodeMoved, NodeRemoved, NodeRenamed
from engine.graph.events import GROUP_EVENTS

from . import theme
from .folding import Fold, ViewPlan, plan_view
from .group_facts import group_facts
from .group_item import HEADER_H, GroupCardItem, GroupFrameItem

__all__ = ["SceneGroups"]

#: events after which the group view is worked out again
_LAYOUT_EVENTS = (*GROUP_EVENTS, NodeAdded, NodeRemoved, NodeRenamed, NodeMoved, EdgeAdded,
                  EdgeRemoved)
#: room between an expanded frame and what it holds
_PAD = 14.0
#: room above frames for the label of the edge that enters them (two text lines)
_LABEL_ROOM = 30.0


class SceneGroups:
    """Group cards, frames and folding of a graph scene (a mixin)."""

    def _init_groups(self) -> None:
        self.group_cards: dict[str, GroupCardItem] = {}
        self.group_frames: dict[str, GroupFrameItem] = {}
        self._plan: ViewPlan | None = None
        self._inner_edges: set = set()

    def _clear_groups(self) -> None:
        """Forget every group item (the scene was cleared)."""
        self.group_cards = {}
        self.group_frames = {}
        self._plan = None
        self._inner_edges = set()

    # -- coordinates ----------------------------------------------------------------------
    def view_point(self, node_id: str, pos: tuple[float, float]) -> tuple[float, float]:
        """Where a node at model position ``pos`` is shown."""
        plan = self._plan
        if plan is None:
            return pos
        if node_id in plan.hidden and plan.hidden[node_id] in plan.cards:
            return plan.cards[plan.hidden[node_id]]
        return (pos[0], plan.fold.to_view(pos[1]))

    def model_point(self, p: QPointF) -> tuple[float, float]:
        """The model position of a card shown at ``p``."""
        fold = self._plan.fold if self._plan is not None else Fold()
        return (p.x(), fold.to_model(p.y()))

    def model_pos_of(self, node_id: str) -> tuple[float, float]:
        """A node's model position (the automatic one when it has none)."""
        node = self.graph.nodes[node_id]
        if node.pos is not None:
            return node.pos
        if self._plan is not None and node_id in self._plan.hidden:
            return self._auto_pos.get(node_id, (0.0, 0.0))
        return self.model_point(self.nodes[node_id].pos())

    # -- following the model -------------------------------------------------------------
    def _groups_follow(self, changes) -> None:
        """After the scene mirrored a batch: redo the group view if it may have changed
        (parameter and name changes leave it as it is: the analysis updates the cards)."""
        if self.graph is None or not (self.graph.groups or self._plan is not None
                                      or self.group_frames):
            return
        if any(isinstance(ev, _LAYOUT_EVENTS) for ev in changes):
            self.refresh_groups()

    def refresh_groups(self, initial: bool = False) -> None:
        """Work out the view of the groups and show it (cards, frames, positions).

        ``initial``: the scene is being built and routes every edge next, so cards
        are only placed. Otherwise the cards that moved take their edges along
        and the edges near what changed are re-routed.
        """
        graph = self.graph
        if graph is None:
            return
        if not graph.groups and self._plan is None and not self.group_frames:
            return
        model = {}
        for nid, node in graph.nodes.items():
            model[nid] = node.pos if node.pos is not None else self._auto_pos.get(
                nid, (self.nodes[nid].x(), self.nodes[nid].y()))
        plan = (plan_view(graph, model, _PAD + HEADER_H, _PAD, _LABEL_ROOM) if graph.groups
                else None)
        self._plan = plan
        hidden = plan.hidden if plan is not None else {}
        # cards
        cards = plan.cards if plan is not None else {}
        changed: list[QRectF] = []
        for gid in list(self.group_cards):
            if gid not in cards:
                card = self.group_cards.pop(gid)
                changed.append(card.sceneBoundingRect())
                self.removeItem(card)
        result = self.doc.result() if self.doc is not None else None
        for gid, (x, y) in cards.items():
            card = self.group_cards.get(gid)
            fresh = card is None
            if fresh:
                card = self.group_cards[gid] = GroupCardItem(self, graph.groups[gid])
                self.addItem(card)
            card.set_group(graph.groups[gid])
            card.set_facts(group_facts(graph, result, gid))
            if fresh or card.pos() != QPointF(x, y):
                card.setPos(QPointF(x, y))
                changed.append(card.sceneBoundingRect())
        # nodes: hidden ones stand under their card
        targets = {}
        for nid, item in self.nodes.items():
            x, y = plan.node_pos[nid] if plan is not None else model[nid]
            p = QPointF(x, y)
            show = nid not in hidden
            if item.isVisible() != show:
                if not show:
                    item.setSelected(False)
                item.setVisible(show)
                self.forget_bands()
            if p != item.pos():
                targets[item] = p
        if initial:
            for item, p in targets.items():
                item.setPos(p)
            self.cards_changed()
        else:
            changed += [self.card_rect(it) for it in targets]
            self.move_cards(targets)
            changed += [self.card_rect(it) for it in targets]
        # edges inside a card are not shown, nor a second edge from one source to a card
        inner = set()
        seen = set()
        for e in self.edges.values():
            src, dst = e.edge.src, e.edge.dst
            if src in hidden and hidden.get(dst) == hidden[src]:
                inner.add(e)
            elif dst in hidden:
                if (src, hidden[dst]) in seen:
                    inner.add(e)
                seen.add((src, hidden[dst]))
        for e in self._inner_edges - inner:
            if self.edges.get(e.edge) is not e:
                continue  # removed from the scene meanwhile
            e.setVisible(True)
            e.label.setVisible(bool(e.label.size().width()))
            if not initial:
                e.adjust()
        for e in inner - self._inner_edges:
            e.setVisible(False)
            e.label.setVisible(False)
            self.note_lane(e, None)  # other edges need not keep clear of it
        self._inner_edges = inner
        self._layout_frames(plan)
        if changed and not initial:
            self._reroute_near(changed)

    def group_obstacles(self, edge, lo: float, hi: float) -> list[QRectF]:
        """The collapsed cards in the band ``lo..hi`` that ``edge`` must go around."""
        hidden = self._plan.hidden if self._plan is not None else {}
        ends = {hidden.get(edge.edge.src), hidden.get(edge.edge.dst)}
        out = []
        for gid, card in self.group_cards.items():
            if gid not in ends and lo - theme.NODE_H <= card.y() <= hi + theme.NODE_H:
                out.append(card.sceneBoundingRect().adjusted(-2, -2, 2, 2))
        return out

    def frame_conflict(self, rect: QRectF) -> int:
        """100 for each expanded group's header that ``rect`` would cover (labels)."""
        return 100 * sum(1 for f in self.group_frames.values()
                         if f.header().intersects(rect))

    def _layout_frames(self, plan: ViewPlan | None) -> None:
        graph = self.graph
        frames = plan.frames if plan is not None else []
        for gid in list(self.group_frames):
            if gid not in frames:
                self.removeItem(self.group_frames.pop(gid))
        rects: dict[str, QRectF] = {}
        for gid in frames:  # innermost first
            g = graph.groups[gid]
            parts = [self.card_rect(self.nodes[n], 0) for n in g.nodes]
            for k in graph.subgroups(gid):
                if k in rects:
                    parts.append(rects[k])
                elif k in self.group_cards:
                    parts.append(self.group_cards[k].sceneBoundingRect())
            if not parts:
                continue
            r = parts[0]
            for q in parts[1:]:
                r = r.united(q)
            r = r.adjusted(-_PAD, -_PAD - HEADER_H, _PAD, _PAD)
            rects[gid] = r
            frame = self.group_frames.get(gid)
            if frame is None:
                frame = self.group_frames[gid] = GroupFrameItem(self, g, len(graph.ancestors(gid)))
                self.addItem(frame)
            frame.set_group(g)
            frame.set_rect(r)
        for gid in [g for g in self.group_frames if g not in rects]:
            self.removeItem(self.group_frames.pop(gid))

    def _groups_analysis(self, result) -> None:
        """New analysis: new figures on the cards; inner edges' labels stay hidden."""
        graph = self.graph
        for gid, card in self.group_cards.items():
            if gid in graph.groups:
                card.set_facts(group_facts(graph, result, gid))
        for e in self._inner_edges:
            e.label.setVisible(False)

    # -- selection -----------------------------------------------------------------------
    def selected_group_ids(self) -> list[str]:
        """Ids of the selected group cards and frames, in group order."""
        if self.graph is None:
            return []
        chosen = {it.group_id for it in self.selectedItems()
                  if isinstance(it, (GroupCardItem, GroupFrameItem))}
        return [g for g in self.graph.groups if g in chosen]

    def selection_with_groups(self) -> list[str]:
        """Selected node ids plus every member of a selected group, in graph order."""
        ids = set(self.selected_ids())
        for gid in self.selected_group_ids():
            ids.update(self.graph.members(gid))
        return [n for n in self.graph.nodes if n in ids]

    # -- group edits -----------------------------------------------------------------------
    def group_selection(self, name: str | None = None) -> str | None:
        """Group the selected nodes and groups (Ctrl+G); returns the new group's id."""
        ids = self.selection_with_groups()
        if not ids:
            self.message.emit("Select nodes to group")
            return None
        cmd = GroupCommand(self.graph, ids, name)
        if self.editor.push(cmd) is not None:
            return None
        self.select_group(cmd.group_id)
        return cmd.group_id

    def ungroup_selection(self) -> None:
        """Dissolve the selected groups, or the groups of the selected nodes (Ctrl+Shift+G)."""
        graph = self.graph
        gids = self.selected_group_ids()
        if not gids:
            gids = list(dict.fromkeys(g for g in (graph.group_of(n)
                                                  for n in self.selected_ids()) if g))
        if not gids:
            self.message.emit("Select a group to ungroup")
            return
        if len(gids) == 1:
            self.editor.push(UngroupCommand(graph, gids[0]))
            return
        from designer.commands import MacroCommand

        macro = MacroCommand(graph, f"Ungroup {len(gids)} groups")
        for gid in gids:
            macro.add(UngroupCommand, gid)
        self.editor.push(macro)

    def set_collapsed(self, group_id: str, collapsed: bool) -> None:
        """Collapse or expand a group (one undo step)."""
        if self.editor.push(SetGroupCommand(self.graph, group_id,
                                            collapsed=collapsed)) is None:
            self.select_group(group_id)  # its card, or its frame (the group's page)

    def rename_group(self, group_id: str, name: str) -> str | None:
        """Rename a group; returns the refusal message or None."""
        return self.editor.push(SetGroupCommand(self.graph, group_id, name=name))

    def ask_rename(self, group_id: str) -> None:
        """Ask for a new name (double-click on a frame's title)."""
        g = self.graph.groups.get(group_id)
        views = self.views()
        if g is None or not views:
            return
        name, ok = QInputDialog.getText(views[0], "Rename group", "Name:", text=g.name)
        if ok and name.strip():
            self.rename_group(group_id, name.strip())

    def card_for(self, node_id: str) -> GroupCardItem | None:
        """The collapsed card that stands for ``node_id``, or None when it is shown."""
        hidden = self._plan.hidden if self._plan is not None else {}
        return self.group_cards.get(hidden.get(node_id))

    def select_group(self, group_id: str | None) -> None:
        """Select only the card or frame of ``group_id``."""
        self.select_nodes([])
        item = self.group_cards.get(group_id) or self.group_frames.get(group_id)
        if item is not None:
            item.setSelected(True)

    def fill_group_menu(self, menu, item) -> None:
        """The context menu of a group's card or frame (selected first)."""
        if not item.isSelected():
            self.select_group(item.group_id)
        gid, name = item.group_id, item.group.name
        collapsed = self.graph.groups[gid].collapsed
        menu.addAction(f"Expand {name}" if collapsed else f"Collapse {name}",
                       lambda: self.set_collapsed(gid, not collapsed))
        menu.addAction("Rename…", lambda: self.ask_rename(gid))
        menu.addAction(f"Ungroup {name}", self.ungroup_selection)
        menu.addSeparator()
        menu.addAction(f"Cut {name}", self.cut)
        menu.addAction(f"Copy {name}", self.copy)
        menu.addAction(f"Duplicate {name}", self.duplicate)
        menu.addSeparator()
        menu.addAction(f"Delete {name} and its nodes", self.delete_selection)

    # -- dragging a card -------------------------------------------------------------------
    def drag_card(self, card: GroupCardItem, delta: QPointF) -> None:
        """Show ``card`` (and its hidden members) moved by ``delta`` from where it was."""
        start = getattr(card, "_start", None) or card.pos()
        target = start + delta
        step = target - card.pos()
        if step.isNull():
            return
        card.setPos(target)
        hidden = self._plan.hidden if self._plan is not None else {}
        self.move_cards({self.nodes[n]: self.nodes[n].pos() + step
                         for n, g in hidden.items() if g == card.group_id})

    def drag_frame(self, frame: GroupFrameItem, step: QPointF) -> None:
        """Show an expanded group, all it holds included, moved by ``step`` more."""
        gid = frame.group_id
        graph = self.graph
        inside = [g for g in graph.groups if gid in graph.ancestors(g)]
        self.move_cards({self.nodes[n]: self.nodes[n].pos() + step
                         for n in graph.members(gid)})
        for g in inside:
            if g in self.group_cards:
                self.group_cards[g].moveBy(step.x(), step.y())
            if g in self.group_frames:
                self.group_frames[g].set_rect(self.group_frames[g].rect.translated(step))
        frame.set_rect(frame.rect.translated(step))

    def drop_card(self, card, delta: QPointF) -> None:
        """Move the members of a card's (or frame's) group in the model by ``delta``
        (one undo step)."""
        graph = self.graph
        moves = {}
        for n in graph.members(card.group_id):
            x, y = self.model_pos_of(n)
            moves[n] = (graph.nodes[n].pos, (x + delta.x(), y + delta.y()))
        if moves and not delta.isNull():
            error = self.editor.push(MoveNodesCommand(graph, moves, f"Move {card.group.name}"),
                                     quiet=True)
            if error is not None:
                self.message.emit(error)
                self.refresh_groups()

    def group_at(self, pos: QPointF):
        """The group card or frame header at ``pos``, or None."""
        for it in self.items(pos):
            if isinstance(it, (GroupCardItem, GroupFrameItem)):
                return it
        return None
