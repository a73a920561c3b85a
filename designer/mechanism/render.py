"""Pictures for handouts: the Mechanism view as a PNG or an animated GIF, drawn offscreen.

The same :class:`~.stage.Stage` as on screen, laid out at a fixed width, with
the legend and the layer's formulas under it. :func:`write_png` and
:func:`write_gif` take a :class:`~.walk.Walk` (the view's buttons) and
:func:`explain_pictures` a :class:`~engine.mechanics.Mechanics` (``main.py
explain --png/--gif``, which imports this module lazily: it is the only part of
the command line that needs Qt). Files are written atomically; Pillow writes
the GIF.
"""

from __future__ import annotations

import io
import os
import sys
from html import escape

from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter

from designer import look
from engine.atomic import atomic_write
from engine.mechanics import Mechanics

from .facts import plain_facts
from .stage import Stage
from .walk import Walk

__all__ = ["ensure_app", "picture", "write_png", "write_gif", "explain_pictures",
           "MAX_GIF_FRAMES", "WIDTH"]

#: the width the pictures are laid out in (px at scale 1)
WIDTH = 760.0
#: an animation longer than this shows its first frames only
MAX_GIF_FRAMES = 150


def ensure_app():
    """The running QApplication, or a new one (offscreen where there is no display)."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        if sys.platform.startswith("linux") and not os.environ.get("DISPLAY") and \
                not os.environ.get("WAYLAND_DISPLAY"):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QApplication(["convcanvas-explain"])
        look.apply_theme(app)
    return app


def _stage(walk: Walk, note: str = "") -> Stage:
    stage = Stage()
    stage.footer.setVisible(True)
    lines = [escape(t) for t in plain_facts(walk.mech)]
    if note:
        lines.append(look.span(escape(note), look.INK_FAINT))
    stage.footer.setHtml("<br>".join(lines))
    stage.width = WIDTH
    stage.set_walk(walk)
    return stage


def picture(stage: Stage, scale: float = 1.0) -> QImage:
    """The stage as it is now, on white, ``scale`` device pixels per px."""
    stage.relayout(WIDTH)
    r = stage.sceneRect()
    img = QImage(max(1, int(r.width() * scale)), max(1, int(r.height() * scale)),
                 QImage.Format.Format_RGB32)
    img.fill(look.BASE)
    img.setDevicePixelRatio(scale)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    stage.render(p, QRectF(0, 0, r.width(), r.height()), r)
    p.end()
    return img


def _png_bytes(img: QImage) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    if not img.save(buf, "PNG"):
        raise OSError("could not encode the PNG")
    buf.close()
    return bytes(data.data())


def write_png(walk: Walk, path, frame: int | None = None, scale: float = 2.0):
    """The grids and matrix of ``walk`` at ``frame`` (default: the middle one) as a PNG."""
    ensure_app()
    stage = _stage(walk)
    stage.show_frame(walk.frames // 2 if frame is None else frame)
    data = _png_bytes(picture(stage, scale))
    return atomic_write(path, lambda f: f.write(data))


def write_gif(walk: Walk, path, fps: float = 2.0, scale: float = 1.0):
    """The animation of ``walk`` as a looping GIF (at most :data:`MAX_GIF_FRAMES`)."""
    from PIL import Image

    ensure_app()
    n = min(walk.frames, MAX_GIF_FRAMES)
    note = f"the first {n} of {walk.frames} steps" if n < walk.frames else ""
    stage = _stage(walk, note)
    frames = []
    for f in range(n):
        stage.show_frame(f)
        img = picture(stage, scale).convertToFormat(QImage.Format.Format_RGB888)
        w, h = img.width(), img.height()
        frames.append(Image.frombytes("RGB", (w, h), _packed(img)))
    size = frames[0].size
    frames = [f if f.size == size else f.resize(size) for f in frames]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], loop=0,
                   duration=max(20, round(1000.0 / fps)))
    data = buf.getvalue()
    return atomic_write(path, lambda f: f.write(data))


def _packed(img: QImage) -> bytes:
    """RGB888 rows without the padding Qt puts at the end of each line."""
    bits = bytes(img.constBits())
    line, w = img.bytesPerLine(), img.width() * 3
    return b"".join(bits[y * line:y * line + w] for y in range(img.height()))


def explain_pictures(mech: Mechanics, png=None, gif=None, form: str = "gather",
                     seed: int = 0) -> list[str]:
    """``main.py explain --png/--gif``: small integers, written to ``png`` / ``gif``."""
    from .values import sample_values

    ensure_app()
    written = []
    walk = Walk(mech, form)
    x, kernel, chosen = sample_values(walk, seed)
    walk.set_values(x, kernel, chosen=chosen)
    if png:
        written.append(str(write_png(walk, png)))
    if gif:
        written.append(str(write_gif(walk, gif)))
    return written
