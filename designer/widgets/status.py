"""The permanent part of the status bar: graph totals and a validity badge."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from designer.look import fmt_bytes, fmt_count, plural
from designer.widgets.badge import Badge

__all__ = ["StatusSummary"]


class StatusSummary(QWidget):
    """``58,976 params · 90.1M MACs · 7.6 MiB activations  [valid]``.

    The badge is green ("valid"), red ("N errors") or amber ("valid · N
    warnings"); clicking it emits :attr:`badgeClicked` (the window shows the
    problems).

    Signals
    -------
    badgeClicked()
        The validity badge was clicked.
    """

    badgeClicked = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 1, 8, 1)
        lay.setSpacing(14)
        self.params = QLabel(self)
        self.macs = QLabel(self)
        self.memory = QLabel(self)
        self.params.setToolTip("learnable parameters of the whole graph")
        self.macs.setToolTip("multiply-accumulate operations of one forward pass (batch 1)")
        self.memory.setToolTip("memory of every node's output in float32 (batch 1)")
        for w in (self.params, self.macs, self.memory):
            lay.addWidget(w)
        self.badge = Badge(self)
        self.badge.setCursor(Qt.CursorShape.PointingHandCursor)
        self.badge.setToolTip("Show the problems")
        lay.addWidget(self.badge)
        self.badge.clicked.connect(self.badgeClicked)
        self.doc = None

    def set_document(self, doc) -> None:
        """Follow ``doc``'s analysis (None: stop following; the texts stay)."""
        if self.doc is not None:
            try:
                self.doc.analysisChanged.disconnect(self.show_result)
            except (RuntimeError, TypeError):
                pass
        self.doc = doc
        if doc is not None:
            doc.analysisChanged.connect(self.show_result)
            self.show_result(doc.result())

    def show_result(self, result) -> None:
        """Show the totals and the badge of an :class:`engine.AnalysisResult`.

        The badge reads ``N errors`` (red), ``valid · N warnings`` (amber) or
        ``valid`` (green).
        """
        self.params.setText(f"<b>{fmt_count(result.total_params)}</b> params")
        self.macs.setText(f"<b>{fmt_count(result.total_macs)}</b> MACs")
        self.memory.setText(f"<b>{fmt_bytes(result.activation_bytes)}</b> activations")
        ne, nw = len(result.errors), len(result.warnings)
        if ne:
            state, text = "error", plural(ne, "error")
        elif nw:
            state, text = "warning", f"valid · {plural(nw, 'warning')}"
        else:
            state, text = "ok", "valid"
        self.badge.set_state(state, text)
