"""The application's look: Fusion style, a calm light palette, a small style sheet.

Object names the style sheet knows: ``QLabel#sectionTitle``, ``#fieldError``,
``#fieldWarning``, ``#muted``, ``#heading``; a ``invalid="true"`` property on
line edits, spin boxes and combo boxes; ``QToolButton#axisLink``.
"""

from __future__ import annotations

from PySide6.QtGui import QPalette

from . import colors as c

__all__ = ["apply_theme", "style_sheet"]


def style_sheet() -> str:
    """The application's style sheet (colours from :mod:`designer.look.colors`)."""
    return f"""
QDockWidget {{ font-weight: 600; }}
QDockWidget::title {{ padding: 5px 8px; background: {c.css(c.TITLE_BAR)};
    border-bottom: 1px solid {c.css(c.LINE)}; }}
QDockWidget > QWidget {{ font-weight: normal; }}
QStatusBar {{ border-top: 1px solid {c.css(c.LINE)}; }}
QStatusBar::item {{ border: none; }}
QLabel#sectionTitle {{ color: {c.css(c.SECTION)}; font-weight: 600; padding-top: 6px; }}
QLabel#fieldError {{ color: {c.css(c.ERROR)}; }}
QLabel#fieldWarning {{ color: {c.css(c.WARNING)}; }}
QLabel#muted {{ color: {c.css(c.INK_FAINT)}; }}
QLabel#heading {{ font-size: 13pt; font-weight: 600; }}
QLineEdit[invalid="true"], QSpinBox[invalid="true"], QComboBox[invalid="true"] {{
    border: 1px solid {c.css(c.ERROR)}; }}
QTreeView, QListView {{ outline: 0; }}
QToolButton#axisLink {{ border: none; background: transparent; padding: 2px; }}
QToolButton#axisLink:hover {{ background: {c.css(c.HOVER)}; border-radius: 4px; }}
"""


def apply_theme(app) -> None:
    """Fusion style, the light palette and :func:`style_sheet` for ``app``."""
    app.setStyle("Fusion")
    pal = QPalette()
    role = QPalette.ColorRole
    for r, color in ((role.Window, c.WINDOW), (role.WindowText, c.INK), (role.Base, c.BASE),
                     (role.AlternateBase, c.ALT_BASE), (role.Text, c.INK),
                     (role.Button, c.BUTTON), (role.ButtonText, c.INK),
                     (role.Highlight, c.ACCENT), (role.HighlightedText, c.ON_COLOR),
                     (role.ToolTipBase, c.TOOLTIP), (role.ToolTipText, c.INK),
                     (role.PlaceholderText, c.PLACEHOLDER), (role.Link, c.ACCENT),
                     (role.Mid, c.MID), (role.Dark, c.DARK), (role.Light, c.BASE),
                     (role.Midlight, c.MIDLIGHT), (role.Shadow, c.SHADE)):
        pal.setColor(r, color)
    for r in (role.WindowText, role.Text, role.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, r, c.INK_DISABLED)
    app.setPalette(pal)
    app.setStyleSheet(style_sheet())
