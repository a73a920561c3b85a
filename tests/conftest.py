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
