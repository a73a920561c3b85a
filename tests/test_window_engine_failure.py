"""A broken engine panel is reported in its dock, never silently hidden."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

pytestmark = pytest.mark.gui


def test_panel_that_cannot_start_says_why(qtbot, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    import designer.window as window_module

    def broken():
        raise ImportError("No module named 'pyqtgraph'")

    monkeypatch.setattr(window_module, "engine_panel_class", broken)
    w = window_module.MainWindow(engine=True, session=False)
    qtbot.addWidget(w)
    assert w.open_example()
    assert w.ensure_panel() is None
    text = w.panel_dock.widget().text()
    assert "could not start" in text and "No module named 'pyqtgraph'" in text
    assert w.panel_error == "ImportError: No module named 'pyqtgraph'"
    assert "engine panel could not start" in capsys.readouterr().err
    assert w.ensure_panel() is None  # not retried
    assert w.doc.graph.nodes  # the canvas side keeps working
    w.doc.undo_stack.setClean()
    w.close()
