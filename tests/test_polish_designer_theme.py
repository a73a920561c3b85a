"""Issue 15: a dark theme that follows the system, readable in both (WCAG contrast,
computed here), chosen in View → Theme and remembered."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QPalette

from designer import look
from designer.look import themes


def _luminance(c: QColor) -> float:
    def lin(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
    return 0.2126 * lin(c.redF()) + 0.7152 * lin(c.greenF()) + 0.0722 * lin(c.blueF())


def _over(fg: QColor, bg: QColor) -> QColor:
    """``fg`` composed over an opaque ``bg`` (labels have a translucent background)."""
    a = fg.alphaF()
    return QColor.fromRgbF(*(a * f + (1 - a) * b for f, b in
                             ((fg.redF(), bg.redF()), (fg.greenF(), bg.greenF()),
                              (fg.blueF(), bg.blueF()))))


def contrast(fg: QColor, bg: QColor) -> float:
    """The WCAG 2 contrast ratio (1 to 21)."""
    hi, lo = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.fixture
def light_again(qapp):
    yield qapp
    look.set_theme(qapp, "light", save=False)
    assert not themes.is_dark()


def _pairs():
    label_bg = _over(look.LABEL_BG, look.BACKGROUND)
    return {  # (text, background, least contrast): 4.5 body text, 3 large text / marks
        "card title": (look.INK, look.CARD, 4.5), "card params": (look.INK_SOFT, look.CARD, 4.5),
        "card id": (look.INK_FAINT, look.CARD, 3.0), "label": (look.INK, label_bg, 4.5),
        "label RF": (look.INK_SOFT, label_bg, 4.5), "window text": (look.INK, look.WINDOW, 4.5),
        "error text": (look.ERROR, look.BASE, 3.0), "warning text": (look.WARNING, look.BASE, 3.0),
        "ok text": (look.OK, look.BASE, 3.0), "edge": (look.EDGE, look.BACKGROUND, 3.0),
        "accent": (look.ACCENT, look.BASE, 3.0), "section": (look.SECTION, look.BASE, 4.5),
        "muted": (look.INK_FAINT, look.WINDOW, 3.0),
        "card border": (look.CARD_BORDER, look.BACKGROUND, 1.25),  # with the shadow
    }


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_readable_in_both_themes(light_again, mode):
    look.set_theme(light_again, mode, save=False)
    assert themes.is_dark() == (mode == "dark")
    low = {name: round(contrast(fg, bg), 2) for name, (fg, bg, least) in _pairs().items()
           if contrast(fg, bg) < least}
    assert not low, low
    for family in look.FAMILY_COLORS:  # the card's glyph and stripe on the card
        assert contrast(look.family_color(family), look.CARD) >= 2.0, family
        assert contrast(look.ON_COLOR, look.family_color(family)) >= 2.5, family


def test_dark_changes_every_colour_in_place_and_back(light_again):
    ink = look.INK  # the object every view holds
    light_ink = QColor(ink)
    look.set_theme(light_again, "dark", save=False)
    assert look.INK is ink and ink != light_ink
    assert ink == QColor(themes.DARK["INK"])
    pal = light_again.palette()
    assert _luminance(pal.color(QPalette.ColorRole.Window)) < 0.05
    assert _luminance(pal.color(QPalette.ColorRole.WindowText)) > 0.6
    assert look.BACKGROUND.name() in look.style_sheet() or look.LINE.name() in \
        light_again.styleSheet()
    look.set_theme(light_again, "light", save=False)
    assert ink == light_ink and look.CARD != look.INK


def test_a_theme_switch_walks_the_widgets_with_the_collector_held(light_again, monkeypatch):
    """Qt's and ``_repaint``'s walks over every widget hold plain pointers: a widget
    kept only by a garbage cycle is freed before them, and no collection runs during
    them (one did, in the suite: a crash inside ``app.allWidgets()``)."""
    import gc
    import weakref

    from PySide6.QtWidgets import QWidget

    from designer.look import theme

    class Held(QWidget):
        pass

    w = Held()
    w.me = w  # a cycle: only the collector frees it
    gone = weakref.ref(w)
    del w
    seen = []
    real = theme._repaint

    def repaint(app, old_base):
        seen.append((gc.isenabled(), gone() is None,
                     any(type(x) is Held for x in app.allWidgets())))
        real(app, old_base)

    monkeypatch.setattr(theme, "_repaint", repaint)
    look.set_theme(light_again, "dark", save=False)
    assert seen == [(False, True, False)]
    assert gc.isenabled()  # and back on after


def test_system_follows_the_desktop(light_again, monkeypatch):
    monkeypatch.setattr(themes, "system_is_dark", lambda: True)
    assert look.set_theme(light_again, "system", save=False) is True
    monkeypatch.setattr(themes, "system_is_dark", lambda: False)
    assert look.set_theme(light_again, "system", save=False) is False
    with pytest.raises(ValueError, match="unknown theme 'blue'"):
        look.set_theme(light_again, "blue", save=False)


def test_view_menu_switches_repaints_and_remembers(window, light_again, qtbot):
    from designer.files import settings

    actions = window.menu_actions.themes
    assert list(actions) == ["system", "light", "dark"]
    seen = []
    look.notifier.changed.connect(seen.append)
    actions["dark"].trigger()
    assert actions["dark"].isChecked() and seen == [True]
    assert settings().value(look.SETTINGS_KEY) == "dark" and look.saved_theme() == "dark"
    qtbot.wait(1)
    image = window.view.viewport().grab().toImage()
    corner = image.pixelColor(2, image.height() - 2)  # canvas background, no card there
    assert _luminance(corner) < 0.05
    head = window.palette._families[0]
    assert _luminance(head.foreground(0).color()) > 0.1  # family headings light on dark
    actions["light"].trigger()
    assert settings().value(look.SETTINGS_KEY) == "light" and seen == [True, False]
    image = window.view.viewport().grab().toImage()
    assert _luminance(image.pixelColor(2, image.height() - 2)) > 0.8
