"""Find a node by id or type (Edit → Find, Ctrl+F): a small bar over the canvas.

For graphs of hundreds of nodes: type part of an id (``conv3``), a type
(``BatchNorm2d``), a kind's title or a family (``pooling``); Enter, F3 or the
arrows go to the next match, Shift+Enter / Shift+F3 to the previous one. The
match is selected and centred in the view; the bar says ``2 of 7``. Esc closes
the bar and gives the canvas the keyboard back. Matches are in reading order
(top to bottom, then left to right); a node whose id is the text comes first.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QToolButton

from designer import look

__all__ = ["FindBar", "find_nodes"]

#: a found card is shown at least this large (the canvas' readable zoom)
MIN_ZOOM = 0.6


def find_nodes(graph, text: str) -> list[str]:
    """Ids of the nodes of ``graph`` whose id, type, kind title or family contains
    ``text`` (case-insensitive), in reading order; an exact id comes first."""
    query = text.strip().lower()
    if not query:
        return []
    hits = []
    for node in graph.nodes.values():
        kind = node.kind
        hay = (node.id, node.type, kind.title, kind.family)
        if any(query in h.lower() for h in hay):
            hits.append(node)
    hits.sort(key=lambda n: (n.id.lower() != query, n.pos[1], n.pos[0]))
    return [n.id for n in hits]


class FindBar(QFrame):
    """The find bar, a child of the canvas view drawn over its top-right corner.

    Parameters
    ----------
    view : designer.canvas.view.GraphView
        The canvas: its scene is searched, its selection and centre follow the match.

    Signals
    -------
    found(str)
        The id of the node just selected.
    """

    found = Signal(str)

    def __init__(self, view):
        super().__init__(view)
        self.view = view
        self.matches: list[str] = []
        self.index = -1
        self.setObjectName("findBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(6, 4, 4, 4)
        lay.setSpacing(4)
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText("Find node by id or type…")
        self.edit.setClearButtonEnabled(True)
        self.edit.setMinimumWidth(200)
        self.edit.setToolTip("Part of an id, a type, a title or a family; Enter: next, "
                             "Shift+Enter: previous, Esc: close")
        self.count = QLabel(self)
        self.count.setMinimumWidth(64)
        self.count.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.prev_button = self._button("▲", "Previous match (Shift+Enter, Shift+F3)",
                                        self.previous)
        self.next_button = self._button("▼", "Next match (Enter, F3)", self.next)
        close = self._button("✕", "Close (Esc)", self.close_bar)
        for w in (self.edit, self.count, self.prev_button, self.next_button, close):
            lay.addWidget(w)
        self.edit.textChanged.connect(self._search)
        self.edit.installEventFilter(self)
        view.installEventFilter(self)
        self.hide()

    def _button(self, text: str, tip: str, slot) -> QToolButton:
        b = QToolButton(self)
        b.setText(text)
        b.setToolTip(tip)
        b.setAutoRaise(True)
        b.clicked.connect(lambda _c=False: slot())
        return b

    # -- public ------------------------------------------------------------------------
    def open(self) -> None:
        """Show the bar with its text selected, ready to type (Ctrl+F)."""
        self.show()
        self.raise_()
        self._place()
        self.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.edit.selectAll()
        self._search(self.edit.text(), go=False)

    def close_bar(self) -> None:
        """Hide the bar; the canvas gets the keyboard."""
        self.hide()
        self.view.setFocus(Qt.FocusReason.OtherFocusReason)

    def next(self) -> None:
        """Select and centre the next match (wraps around)."""
        self._step(+1)

    def previous(self) -> None:
        """Select and centre the previous match (wraps around)."""
        self._step(-1)

    # -- internals ---------------------------------------------------------------------
    def _graph(self):
        doc = self.view.scene().doc
        return doc.graph if doc is not None else None

    def _search(self, text: str, go: bool = True) -> None:
        graph = self._graph()
        self.matches = find_nodes(graph, text) if graph is not None else []
        self.index = -1
        if self.matches and go:
            self._step(+1)
        else:
            self._show_count()

    def _step(self, delta: int) -> None:
        if not self.matches:
            self._search(self.edit.text(), go=False)
        if not self.matches:
            return
        self.index = (self.index + delta) % len(self.matches)
        nid = self.matches[self.index]
        self._show_count()
        scene = self.view.scene()
        item = scene.nodes.get(nid)
        if item is None:  # the graph changed since the search
            self._search(self.edit.text())
            return
        scene.select_node(nid)
        if self.view.zoom() < MIN_ZOOM:
            self.view.set_zoom(MIN_ZOOM)
        self.view.centerOn(item)
        self.found.emit(nid)

    def _show_count(self) -> None:
        n = len(self.matches)
        if not self.edit.text().strip():
            self.count.setText("")
        elif not n:
            self.count.setText(look.span("no match", look.ERROR))
        else:
            self.count.setText(f"{self.index + 1} of {n}" if self.index >= 0 else
                               f"{n} match{'es' * (n != 1)}")
        self.prev_button.setEnabled(n > 1)
        self.next_button.setEnabled(n > 0)

    def _place(self) -> None:
        self.adjustSize()
        vp = self.view.viewport().geometry()
        self.move(vp.right() - self.width() - 10, vp.top() + 10)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        """Keys of the text field (Enter, Shift+Enter, F3, Esc); follow the view's size."""
        if obj is self.view and event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        elif obj is self.edit and event.type() == QEvent.Type.KeyPress:
            key, shift = event.key(), bool(event.modifiers()
                                           & Qt.KeyboardModifier.ShiftModifier)
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_F3):
                self.previous() if shift else self.next()
                return True
            if key == Qt.Key.Key_Escape:
                self.close_bar()
                return True
        return super().eventFilter(obj, event)
