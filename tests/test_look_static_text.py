"""Laid-out canvas texts are kept and shared (``look.static_text``): an undo shows the
texts of before again, and cards and labels repeat theirs. The layout must be the
one made afresh: the same text, elided to the same width, at the same size."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QFontMetricsF, QStaticText  # noqa: E402

from designer import look  # noqa: E402


def test_kept_text_is_the_text_laid_out_afresh(qapp):
    long = "depthwise_separable_convolution_block_number_twelve"
    for text, style, width in (("8×32×32", look.STRONG_TEXT, None),
                               ("RF 3×3 · j 1", look.BODY_TEXT, None),
                               (long, look.BODY_TEXT, 120.0),
                               (long, look.TITLE_TEXT, 120.0)):
        kept = look.static_text(text, style, width)
        assert look.static_text(text, style, width) is kept  # shared
        f = look.font(*style)
        shown = text if width is None else QFontMetricsF(f).elidedText(
            text, Qt.TextElideMode.ElideRight, width)
        fresh = QStaticText(shown)
        fresh.prepare(font=f)
        assert kept.text() == shown and kept.size() == fresh.size()
        if width is not None:
            assert kept.text() != text and kept.size().width() <= width  # elided
    assert look.static_text(long, look.BODY_TEXT, 200.0).text() != \
        look.static_text(long, look.BODY_TEXT, 120.0).text()
