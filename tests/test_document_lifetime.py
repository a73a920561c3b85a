"""A document left to Python's cyclic collector is freed without killing the process.

The scenario (``tests/gc_document_scenario.py``) runs in its own pytest process,
so that a segmentation fault there is a failure here, not the end of the suite:
documents with undo history, merged parameter edits and undone steps are
dropped unclosed, then a full collection must free every one of them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.gui


def test_a_dropped_document_is_collected_and_the_process_lives():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "-p", "no:randomly", "tests/gc_document_scenario.py"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "2 passed" in out.stdout
