"""The scene's edit actions: delete, copy, cut, paste, duplicate, auto-layout.

A mixin of :class:`~designer.canvas.scene.GraphScene`: each action hands the
selection (with its groups) to the scene's :class:`~designer.canvas.editor.CanvasEditor`,
which pushes one undoable command.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF

__all__ = ["SceneEdits"]


class SceneEdits:
    """Edit actions on the selection of a :class:`GraphScene` (one undo step each)."""

    def delete_selection(self) -> None:
        """Delete the selected nodes and edges (one undo step)."""
        self.editor.delete(self.selection_with_groups(), self.selected_edges())

    def copy(self) -> None:
        """Copy the selected nodes (and groups) to the clipboard."""
        self.editor.copy(self.selection_with_groups())

    def cut(self) -> None:
        """Copy the selected nodes, then delete the selection."""
        self.editor.copy(self.selection_with_groups())
        self.delete_selection()

    def paste(self, at: QPointF | None = None) -> None:
        """Paste the clipboard's nodes, centred on ``at`` if given (:meth:`CanvasEditor.paste`)."""
        self.editor.paste(at)

    def duplicate(self) -> None:
        """Duplicate the selected nodes, offset down-right."""
        self.editor.duplicate(self.selection_with_groups())

    def auto_layout(self) -> None:
        """Lay out the whole graph in layers (one undo step)."""
        self.editor.auto_layout()
