"""View → Theme: System, Light or Dark, one checked; the choice is remembered."""

from __future__ import annotations

from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QApplication, QMenu

from designer.look import set_theme, theme_mode
from designer.look.themes import MODES

__all__ = ["theme_actions", "LABELS"]

#: menu text of each theme mode
LABELS = {"system": "&System", "light": "&Light", "dark": "&Dark"}
TIPS = {"system": "Follow the desktop's light or dark colour scheme",
        "light": "Dark text on light cards", "dark": "Light text on dark cards"}


def theme_actions(menu: QMenu, window) -> dict[str, QAction]:
    """Add one checkable action per theme mode to ``menu``; choosing one switches the
    whole application at once (and saves it unless the window is headless)."""
    group = QActionGroup(menu)
    group.setExclusive(True)
    actions = {}
    for mode in MODES:
        action = QAction(LABELS[mode], menu)
        action.setCheckable(True)
        action.setChecked(mode == theme_mode())
        action.setStatusTip(TIPS[mode])
        action.triggered.connect(lambda _c=False, m=mode: set_theme(
            QApplication.instance(), m, save=getattr(window, "session", True)))
        group.addAction(action)
        menu.addAction(action)
        actions[mode] = action
    return actions
