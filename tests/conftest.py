"""Session-wide test set-up shared by every test module: hypothesis profiles, fixtures.

Kept free of Qt imports so the engine tests run where Qt is not installed: the
GUI clean-up below only acts when a test module has already loaded Qt, and the GUI
fixtures (engine panel, canvas view, main window) import Qt only when a test asks for them.
"""

from __future__ import annotations

import os
import sys

import pytest
from hypothesis import HealthCheck, settings

# -- hypothesis profiles ------------------------------------------------------------------
#: the most examples a property test runs in CI; a test's own ``max_examples`` (every
#: one of them is at most this) only lowers it
CI_MAX_EXAMPLES = 120

# "dev": hypothesis' defaults (random examples, the example database in .hypothesis/),
# so that every local run may find a new counter-example.
settings.register_profile("dev", settings.get_profile("default"))
# "ci": the same examples on every run (derandomize, no database), no deadline (a busy
# runner must not turn a slow example into a failure), the counter-example printed as a
# blob to reproduce it with ``@reproduce_failure``.
settings.register_profile(
    "ci", settings.get_profile("default"), derandomize=True, database=None, deadline=None,
    print_blob=True, max_examples=CI_MAX_EXAMPLES,
    suppress_health_check=[HealthCheck.too_slow])


def hypothesis_profile(environ=os.environ) -> str:
    """``HYPOTHESIS_PROFILE`` if set, else ``ci`` where ``CI`` is set (and not false)."""
    if environ.get("HYPOTHESIS_PROFILE"):
        return environ["HYPOTHESIS_PROFILE"]
    ci = environ.get("CI", "").strip().lower()
    return "ci" if ci not in ("", "0", "false", "no") else "dev"


settings.load_profile(hypothesis_profile())


@pytest.fixture(scope="session", autouse=True)
def _release_offscreen_clipboard():
    """Clear the clipboard after the last test (the offscreen platform crashes at
    exit when it still holds data the tests copied; see designer.app)."""
    yield
    if "PySide6.QtGui" in sys.modules:
        from designer.app import release_clipboard

        release_clipboard()


@pytest.fixture
def torch_one_thread():
    """Run torch on one thread: the tests' tensors are small, and with the default (one
    thread per core) a second busy process on the machine makes torch's threads wait for
    each other, which made the slowest property test 5-10 times slower."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


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


# -- GUI fixtures (imports inside: this module stays free of Qt) ----------------------------
# engine panel (test_panel_*.py; helpers in panel_helpers)
@pytest.fixture(scope="module")
def small_image(tmp_path_factory):
    import numpy as np
    from PIL import Image

    path = tmp_path_factory.mktemp("img") / "small.png"
    yy, xx = np.mgrid[0:24, 0:32]
    rgb = np.stack([xx * 8, yy * 10, (xx + yy) % 2 * 255], axis=-1).astype(np.uint8)
    Image.fromarray(rgb).save(path)
    return path


@pytest.fixture
def new_panel(qapp):
    """Make fresh panels: ``new_panel(size=(w, h)) -> (window, panel)``; they are shut
    down and closed after the test."""
    from tests.panel_helpers import _make_panel

    made = []

    def make(size=(900, 760)):
        made.append(_make_panel(qapp, size))
        return made[-1]
    yield make
    for win, panel in made:
        panel.shutdown()
        win.close()


# canvas (test_canvas_*.py; helpers in canvas_helpers)
@pytest.fixture
def view(qtbot):
    from designer.canvas import GraphView

    v = GraphView()
    qtbot.addWidget(v)
    v.resize(1000, 800)
    v.show()
    qtbot.waitExposed(v)
    return v


# main window (test_window_*.py; helpers in window_helpers)
@pytest.fixture
def dialogs(monkeypatch):
    """Record dialogs instead of showing them; ``answers`` decides questions."""
    from PySide6.QtWidgets import QMessageBox

    Button = QMessageBox.StandardButton
    seen: dict[str, list] = {"question": [], "box": [], "critical": [], "warning": []}
    answers = {"question": Button.Discard}

    def question(parent, title, text, *a, **k):
        seen["question"].append((title, text))
        return answers["question"]

    def box_exec(self):
        seen["box"].append((self.windowTitle(), self.text()))
        return int(Button.Ok.value)

    def critical(parent, title, text, *a, **k):
        seen["critical"].append((title, text))
        return Button.Ok

    def warning(parent, title, text, *a, **k):
        seen["warning"].append((title, text))
        return Button.Ok

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    monkeypatch.setattr(QMessageBox, "critical", staticmethod(critical))
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(warning))
    monkeypatch.setattr(QMessageBox, "exec", box_exec)
    seen["answers"] = answers
    return seen


@pytest.fixture
def home(tmp_path, monkeypatch):
    """Private configuration and data folders for settings and recovery."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path


@pytest.fixture
def window(qtbot, home, dialogs):
    """The window on the default example, without the engine panel (a second to build)."""
    from tests.window_helpers import _open_window

    yield from _open_window(qtbot, dialogs, engine=False)


@pytest.fixture
def engine_window(qtbot, home, dialogs):
    """The window with the engine panel docked."""
    from tests.window_helpers import _open_window

    yield from _open_window(qtbot, dialogs, engine=True)



@pytest.fixture(autouse=True)
def _release_held_mouse_buttons():
    """After each test, end a mouse press that Qt never saw released.

    A test whose press or double click rebuilds the item under the pointer (a rename
    that re-creates a group frame, say) can leave QApplication believing a button is
    still down; every later test's synthetic moves are then drags, and hover tests
    fail far from the cause. Only when Qt is already loaded (the engine tests stay
    Qt-free).
    """
    yield
    widgets = sys.modules.get("PySide6.QtWidgets")
    if widgets is None:
        return
    app = widgets.QApplication.instance()
    if app is None or app.mouseButtons() == _no_button():
        return
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    probe = widgets.QWidget()
    probe.resize(10, 10)
    probe.show()
    for button in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton,
                   Qt.MouseButton.MiddleButton):
        if app.mouseButtons() & button:
            QTest.mouseRelease(probe, button, Qt.KeyboardModifier.NoModifier, QPoint(5, 5))
    probe.close()
    probe.deleteLater()


def _no_button():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.NoButton
