"""Session-wide test set-up shared by every test module.

Kept free of Qt imports so the engine tests run where Qt is not installed: the
GUI clean-up below only acts when a test module has already loaded Qt.
"""

from __future__ import annotations

import sys

import pytest


@pytest.fixture(scope="session", autouse=True)
def _release_offscreen_clipboard():
    """Clear the clipboard after the last test (the offscreen platform crashes at
    exit when it still holds data the tests copied; see designer.app)."""
    yield
    if "PySide6.QtGui" in sys.modules:
        from designer.app import release_clipboard

        release_clipboard()


@pytest.fixture
def cross_graph():
    """Input 24 × 24 → a 1×5 and a 5×1 conv (2 channels each) → ``add`` (Add) and
    ``cat`` (Concat: channels 0-1 from the 1×5, 2-3 from the 5×1): merged windows of
    different shapes, whose footprint is a cross, not a square."""
    from engine import Graph

    g = Graph("cross")
    g.add_node("Input", {"channels": 1, "height": 24, "width": 24}, "x")
    g.add_node("Conv2d", {"out_channels": 2, "kernel_size": [1, 5], "padding": [0, 2]}, "a")
    g.add_node("Conv2d", {"out_channels": 2, "kernel_size": [5, 1], "padding": [2, 0]}, "b")
    g.add_node("Add", {}, "add")
    g.add_node("Concat", {}, "cat")
    for src, dst, slot in (("x", "a", 0), ("x", "b", 0), ("a", "add", 0), ("b", "add", 1),
                           ("a", "cat", 0), ("b", "cat", 1)):
        g.connect(src, dst, slot)
    return g
