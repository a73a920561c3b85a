"""The application's look: Fusion style, a calm light or dark palette, a small style sheet.

Object names the style sheet knows: ``QLabel#sectionTitle``, ``#fieldError``,
``#fieldWarning``, ``#muted``, ``#heading``; a ``invalid="true"`` property on
line edits, spin boxes and combo boxes; ``QToolButton#axisLink``; ``QFrame#findBar``.

The theme (View → Theme: ``system``, ``light`` or ``dark``, see :mod:`.themes`) is
remembered in the settings; ``system`` follows the desktop's colour scheme while
the application runs. :data:`notifier` says when the colours changed.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QPalette

from engine.gcpause import paused

from . import colors as c
from . import icons, themes

__all__ = ["apply_theme", "style_sheet", "set_theme", "theme_mode", "saved_theme",
           "notifier", "ThemeNotifier", "SETTINGS_KEY"]

#: where the chosen theme is remembered (designer.files.settings)
SETTINGS_KEY = "appearance/theme"


class ThemeNotifier(QObject):
    """Announces a change of theme: ``changed(dark)``."""

    changed = Signal(bool)


#: the application's one notifier (connect to repaint what keeps colours of its own)
notifier = ThemeNotifier()
_mode = "light"
_following: set[int] = set()


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
QFrame#findBar {{ background: {c.css(c.BASE)}; border: 1px solid {c.css(c.LINE)};
    border-radius: 6px; }}
"""


def _palette() -> QPalette:
    pal = QPalette()
    role = QPalette.ColorRole
    for r, color in ((role.Window, c.WINDOW), (role.WindowText, c.INK), (role.Base, c.BASE),
                     (role.AlternateBase, c.ALT_BASE), (role.Text, c.INK),
                     (role.Button, c.BUTTON), (role.ButtonText, c.INK),
                     (role.Highlight, c.ACCENT), (role.HighlightedText, c.ON_COLOR),
                     (role.ToolTipBase, c.TOOLTIP), (role.ToolTipText, c.INK),
                     (role.PlaceholderText, c.PLACEHOLDER), (role.Link, c.ACCENT),
                     (role.Mid, c.MID), (role.Dark, c.DARK), (role.Light, c.BASE),
                     (role.Midlight, c.MIDLIGHT), (role.Shadow, c.SHADE),
                     (role.BrightText, c.ON_COLOR)):
        pal.setColor(r, color)
    for r in (role.WindowText, role.Text, role.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, r, c.INK_DISABLED)
    return pal


def saved_theme() -> str:
    """The theme remembered in the settings (``"system"`` when none or unknown)."""
    from designer.files import settings  # the settings file, only when asked

    mode = str(settings().value(SETTINGS_KEY, "system"))
    return mode if mode in themes.MODES else "system"


def theme_mode() -> str:
    """The theme chosen: ``"system"``, ``"light"`` or ``"dark"``."""
    return _mode


def apply_theme(app, mode: str = "light") -> None:
    """Fusion style, the palette of ``mode`` and :func:`style_sheet` for ``app``;
    ``"system"`` keeps following the desktop. The designer passes
    :func:`saved_theme`; headless pictures (``explain --png``) keep the light default."""
    app.setStyle("Fusion")
    set_theme(app, mode, save=False, force=True)


def set_theme(app, mode: str, save: bool = True, force: bool = False) -> bool:
    """Switch to ``mode`` while the application runs: colours, palette, style sheet,
    then every widget, plot and canvas is repainted with them.

    Parameters
    ----------
    app : QApplication
    mode : str
        One of :data:`designer.look.themes.MODES`.
    save : bool
        Remember the choice in the settings.
    force : bool
        Set palette and style sheet even if the colours do not change.

    Returns
    -------
    bool
        Whether the dark colours are in use now.
    """
    global _mode
    dark = themes.resolve(mode)
    _mode = mode
    if save:
        from designer.files import settings

        settings().setValue(SETTINGS_KEY, mode)
    if id(app) not in _following:  # "system": follow the desktop while running
        _following.add(id(app))
        app.styleHints().colorSchemeChanged.connect(lambda _s: _system_changed(app))
    old_base = c.BASE.rgba()
    changed = themes.use_colors(dark)
    if changed or force:
        with _widgets_held():
            app.setPalette(_palette())
            app.setStyleSheet(style_sheet())
            if changed:
                for cached in (icons.status_icon, icons.link_icon, icons.family_icon):
                    cached.cache_clear()
                _repaint(app, old_base)
    if changed:
        notifier.changed.emit(dark)
    return dark


@contextmanager
def _widgets_held():
    """Free what is unreachable now, then hold the cyclic collector while Qt and
    :func:`_repaint` walk every widget.

    Their walks hold plain pointers to the widgets; a collection in the middle
    (any allocation can start one) could delete a widget that only a garbage
    cycle kept alive, and the walk would then touch freed memory. The test suite
    crashed so inside ``app.allWidgets()``.
    """
    gc.collect()
    with paused():
        yield


def _system_changed(app) -> None:
    if _mode == "system":
        set_theme(app, "system", save=False)


def _repaint(app, old_base: int) -> None:
    """Repaint what keeps a colour of its own: plots' backgrounds, scenes' brushes,
    cached canvas items."""
    from PySide6.QtWidgets import QGraphicsView

    base = app.palette().color(QPalette.ColorRole.Base)
    for w in app.allWidgets():
        if hasattr(w, "setBackground") and callable(w.setBackground):  # pyqtgraph views
            w.setBackground(base)
        if isinstance(w, QGraphicsView) and w.scene() is not None:
            scene = w.scene()
            if scene.backgroundBrush().color().rgba() == old_base:
                scene.setBackgroundBrush(c.BASE)
            for item in scene.items():
                item.update()  # also drops an item's cached picture
            w.viewport().update()
        w.update()

