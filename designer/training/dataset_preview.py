"""What the chosen data set holds: images per class, unreadable files, a preview grid.

:func:`preview_data` (numpy and Pillow, no torch and no Qt: run it in a worker
thread) reads a folder of class sub-folders with the engine's own reader
(:func:`engine.training.folder.load_folder`, so the counts are those training
will see: unreadable files skipped and counted) or makes a few generated
``shapes`` / ``shapes-seg`` images. :class:`DatasetPreview` shows the result:
one line of per-class counts and a :class:`~.samples.SamplesGrid` of examples,
or the data error (an empty folder, a single class) in the error colour.
"""

from __future__ import annotations

from html import escape

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from designer import look

from .samples import SamplesGrid

__all__ = ["DatasetPreview", "preview_data"]

PER_CLASS = 4  # preview images of each class


def preview_data(data: str, channels: int, height: int, width: int, seed: int = 0,
                 samples: int = 4000) -> dict:
    """Counts and example images of ``data`` at the Input's size.

    Returns
    -------
    dict
        ``classes``, ``counts`` (images per class, training and validation
        together), ``skipped`` (unreadable files, relative paths), ``task``,
        ``images`` (uint8 ``[N, C, H, W]``), ``labels`` (class per image, or
        masks ``[N, H, W]`` for ``shapes-seg``), ``note``.

    Raises
    ------
    engine.training.DataError
        The folder cannot be used (no such folder, no class sub-folders, a
        single class, a class without a readable image).
    """
    from engine.training.shapes import (
        SEG_CLASSES,
        SHAPE_CLASSES,
        make_shapes,
        shapes_split_sizes,
    )

    if data in ("shapes", "shapes-seg"):
        k = len(SHAPE_CLASSES)
        sizes = shapes_split_sizes(samples)
        counts = [sum(len(range(c, n, k)) for n in sizes) for c in range(k)]
        d = make_shapes(2 * k, channels, height, width, seed)
        images, labels, masks = d["train"]
        seg = data == "shapes-seg"
        return {"classes": list(SEG_CLASSES if seg else SHAPE_CLASSES), "counts": counts,
                "count_classes": list(SHAPE_CLASSES), "skipped": [],
                "task": "segment" if seg else "classify", "images": images,
                "labels": masks if seg else labels,
                "note": f"{sizes[0]:,} training and {sizes[1]:,} validation images, "
                        "generated (no download); examples:"}
    from engine.training.folder import load_folder

    d = load_folder(data, channels, height, width, seed)
    x = np.concatenate([d["train"][0], d["val"][0]])
    y = np.concatenate([d["train"][1], d["val"][1]])
    classes = list(d["classes"])
    pick = [i for c in range(len(classes)) for i in np.flatnonzero(y == c)[:PER_CLASS]]
    return {"classes": classes, "counts": [int((y == c).sum()) for c in range(len(classes))],
            "count_classes": classes, "skipped": list(d["skipped"]), "task": "classify",
            "images": x[pick], "labels": y[pick],
            "note": f"{len(d['train'][1]):,} training and {len(d['val'][1]):,} validation "
                    "images (a fifth of each class held out); examples:"}


class DatasetPreview(QWidget):
    """Per-class counts and a preview grid of the chosen data set (or its error)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.grid = SamplesGrid()
        self.error: str | None = None
        self.preview: dict | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.summary)
        lay.addWidget(self.grid, 1)

    def show_loading(self, data: str) -> None:
        """Say that ``data`` is being read."""
        self.summary.setText(f"Reading <b>{escape(data)}</b>…")
        self.grid.clear()

    def show_error(self, data: str, message: str) -> None:
        """``data`` cannot be used: say why, in the error colour."""
        self.error = message
        self.preview = None
        what = escape(message if data in message else f"{data}: {message}")  # names it once
        self.summary.setText(look.span(f"<b>Cannot use this data</b>: {what}", look.ERROR))
        self.grid.clear("No images to show.")

    def show_preview(self, data: str, preview: dict) -> None:
        """Show what :func:`preview_data` found."""
        self.error = None
        self.preview = preview
        counts = " · ".join(f"{escape(c)} <b>{n:,}</b>" for c, n in
                            zip(preview["count_classes"], preview["counts"], strict=True))
        skipped = preview["skipped"]
        text = f"<b>{escape(data)}</b>: {counts}"
        if skipped:
            names = ", ".join(escape(s) for s in skipped[:3]) + (" …" if len(skipped) > 3
                                                                  else "")
            text += "<br>" + look.span(f"{look.plural(len(skipped), 'unreadable file')} "
                                       f"skipped ({names})", look.WARNING)
        self.summary.setText(f"{text}<br>{escape(preview['note'])}")
        self.grid.set_samples(preview["images"], preview["classes"], preview["labels"],
                              task=preview["task"])
