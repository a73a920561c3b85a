"""The Mechanism tab, the Explain-a-layer sandbox and the picture exports, driven like a
user would (pytest-qt): select a node, step, hover, toggle the transposed form, play
without stalling, edit impossible parameters, save a GIF and a PNG, explain --gif/--png."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.panel_helpers import EXAMPLES, ROOT, _document

pytestmark = pytest.mark.gui


def _mech_panel(new_panel, qapp, example, node):
    _win, panel = new_panel(size=(700, 900))
    panel.set_document(_document(EXAMPLES / f"{example}.convgraph.json"))
    panel.select_node(node)
    panel.tabs.setCurrentWidget(panel.mechanism_tab)
    qapp.processEvents()
    return panel, panel.mechanism_tab


def _hover(qapp, view, grid, cell, scroll=None):
    """A real mouse move over ``cell`` (drawn coordinates) of a grid item of ``view``
    (scrolled into sight first when the view sits in the scroll area ``scroll``)."""
    scene_pt = grid.mapToScene(grid.cell_rect(*cell).center())
    pos = view.mapFromScene(scene_pt)
    if scroll is not None:
        at = view.viewport().mapTo(scroll.widget(), pos)
        scroll.ensureVisible(at.x(), at.y(), 50, 50)
        qapp.processEvents()
    # the move is sent to the viewport itself: through the window system a widget left
    # over by an earlier test in the same process could take it (seen in the full suite)
    move = QMouseEvent(QEvent.Type.MouseMove, QPointF(pos),
                       QPointF(view.viewport().mapToGlobal(pos)), Qt.MouseButton.NoButton,
                       Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(view.viewport(), move)
    qapp.processEvents()


def _marks(grid, role):
    return next((set(cells) for r, cells in grid.marks if r == role), set())


def test_tab_follows_the_node_steps_hovers_and_toggles(new_panel, qapp):
    panel, tab = _mech_panel(new_panel, qapp, "transposed_conv_arithmetic", "tconv_5")
    view = tab.view
    stage = view.stage
    assert "tconv_5" in tab.title.text() and view.walk.form == "gather"
    assert view.walk.frames == 25 and not view.controls.form_label.isHidden()
    # step: the current output moves, its row of Cᵀ and its input pixels light up together
    view.controls.forward.click()
    assert view.player.frame == 1 and stage.matrix.row == 1
    lit = _marks(stage.input_grid, "lit")
    ly, lx = view.walk.lanes
    cols = {int(ly.in_src[y - ly.in_lo]) * 3 + int(lx.in_src[x - lx.in_lo]) for y, x in lit}
    assert cols == set(stage.band.row(1)) and lit
    # hover another output: its window and row show, the frame stays
    _hover(qapp, view.view, stage.output_grid, (3, 4))
    assert stage.hover == (3, 4) and stage.matrix.row == 3 * 5 + 4
    assert _marks(stage.output_grid, "focus") == {(3, 4)} and view.player.frame == 1
    assert "y[3,4]" in stage.equation.toPlainText()
    _hover(qapp, view.view, stage.kernel_grid, (0, 0))
    assert stage.hover is None and stage.matrix.row == 1
    QTest.mouseMove(view.controls.slider)  # away from the picture
    QApplication.sendEvent(view.view.viewport(), QEvent(QEvent.Type.Leave))
    qapp.processEvents()
    # toggle to the scatter form: one frame per input pixel, the same output at the end
    final_gather = view.walk.y.copy()
    view.controls.scatter.click()
    assert view.walk.form == "scatter" and view.walk.frames == 9
    view.player.seek(8)
    y = view.walk.outputs(8, slice(None), slice(None))[0]
    (y0, y1), (x0, x1) = (ln.real_out() for ln in view.walk.lanes)
    assert np.allclose(y[y0:y1, x0:x1], final_gather)
    assert stage.matrix.col == 8 and _marks(stage.output_grid, "target")
    # another node: a plain note for a layer without a window
    panel.select_node("small")
    qapp.processEvents()
    assert "moves no window" in tab.frame.placeholder.text()


def test_playing_is_timer_driven_and_never_stalls(new_panel, qapp):
    _panel, tab = _mech_panel(new_panel, qapp, "gridding_pair", "grid_conv3")
    view = tab.view
    assert view.walk.frames == 64 * 64
    view.controls.speed.setCurrentIndex(view.controls.speed.count() - 1)  # 30 steps/s
    stamps = []
    view.player.frameChanged.connect(lambda _f: stamps.append(time.perf_counter()))
    ticks = []
    probe = QTimer_every(qapp, 10, lambda: ticks.append(time.perf_counter()))
    view.player.play()
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 1.0:
        qapp.processEvents()
        time.sleep(0.002)
    view.player.pause()
    probe.stop()
    assert len(stamps) >= 10, "the animation did not advance"
    gaps = np.diff(ticks)
    assert gaps.max() < 0.25, f"the event loop stalled for {gaps.max() * 1000:.0f} ms"
    # the gridding of the dilated chain leading to the node is shown
    assert tab.gridding.isVisible() and tab.gridding.result.holes > 0
    assert "1, 2, 5" in tab.gridding.text.text()


def QTimer_every(qapp, ms, fn):  # noqa: N802 (a helper named after what it makes)
    from PySide6.QtCore import QTimer

    t = QTimer()
    t.setInterval(ms)
    t.timeout.connect(fn)
    t.start()
    return t


def test_sandbox_explains_free_parameters_and_shows_the_engines_refusal(qtbot):
    from designer.mechanism.sandbox import SandboxDialog

    d = SandboxDialog()
    qtbot.addWidget(d)
    d.show()
    assert d.view.mech.mechanism == "conv" and d.view.mech.output_size == (3, 3)
    d.spins["k"].setValue(7)
    assert not d.update_view()
    assert d.error.text() == "Conv2d: kernel 7 exceeds padded input 5 along H"
    assert not d.view.isEnabled()
    d.spins["p"].setValue(1)
    assert d.update_view() and d.error.text() == "" and d.view.mech.output_size == (1, 1)
    # a transposed conv: output_padding must stay below the stride (the engine says so)
    d.type.setCurrentText("ConvTranspose2d")
    d.spins["k"].setValue(3)
    d.spins["s"].setValue(2)
    d.spins["op"].setValue(2)
    assert not d.update_view() and "output_padding" in d.error.text()
    d.spins["op"].setValue(1)
    assert d.update_view() and not d.view.controls.form_label.isHidden()
    # groups must divide the channels
    d.type.setCurrentText("Conv2d")
    d.spins["g"].setValue(2)
    d.spins["cin"].setValue(3)
    assert not d.update_view() and "groups" in d.error.text()


def test_help_menu_opens_the_sandbox(window, qtbot):
    window.menu_actions.explain.trigger()
    dialog = window.menu_actions.sandbox
    qtbot.addWidget(dialog)
    assert dialog.isVisible() and dialog.windowTitle() == "Explain a layer"


def test_exports_write_a_gif_with_every_frame_and_a_png(qtbot, tmp_path, monkeypatch):
    from PIL import Image
    from PySide6.QtWidgets import QFileDialog

    from designer.mechanism.view import MechanismView
    from engine.mechanics import for_layer

    view = MechanismView()
    qtbot.addWidget(view)
    view.show_mechanics(for_layer("ConvTranspose2d", {"out_channels": 1, "kernel_size": 3,
                                                      "stride": 2}, (2, 2), 1))
    view.set_form("scatter")
    gif = view.export_to("gif", str(tmp_path / "t.gif"))
    with Image.open(gif) as im:
        assert im.n_frames == view.walk.frames == 4
        assert im.size[0] >= 600
    png = view.export_to("png", str(tmp_path / "t.png"))
    with Image.open(png) as im:
        assert im.format == "PNG" and im.size[0] >= 1200  # drawn at twice the size
    # the buttons ask where to save, then write there
    chosen = tmp_path / "button.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(chosen), "")))
    written = []
    view.exported.connect(written.append)
    view.controls.png.click()
    assert written == [str(chosen)] and chosen.stat().st_size > 10_000


def test_explain_cli_draws_the_gif_and_png(tmp_path):
    gif, png = tmp_path / "a.gif", tmp_path / "a.png"
    cmd = [sys.executable, "main.py", "explain", "Conv2d", "--input", "4", "--kernel", "3",
           "--gif", str(gif), "--png", str(png), "--json"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("{")  # stdout stays JSON
    from PIL import Image

    with Image.open(gif) as im:
        assert im.n_frames == 4
    assert png.stat().st_size > 10_000
    bad = subprocess.run([*cmd[:7], "7", "--png", str(tmp_path / "b.png")], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and not (tmp_path / "b.png").exists()
    assert bad.stderr.strip().endswith("kernel 7 exceeds padded input 4 along H")


def test_after_a_run_real_activations_and_deformable_sampling(new_panel, qapp):
    panel, tab = _mech_panel(new_panel, qapp, "deformable_block", "conv1")
    assert not tab.values.model().item(1).isEnabled()
    assert panel.run_blocking(timeout_s=180), panel.run_failure()
    panel.select_node("conv1")
    panel.tabs.setCurrentWidget(panel.mechanism_tab)
    qapp.processEvents()
    assert tab.values.model().item(1).isEnabled()
    tab.values.setCurrentIndex(1)
    act = panel.controller.result.activations
    assert np.allclose(tab.view.walk.x, act["input"][0]) or \
        np.allclose(tab.view.walk.x, panel.controller.result.inputs["input"][0, 0])
    assert np.allclose(tab.view.walk.y, act["conv1"][0])
    assert "from the last run" in tab.view.caption.text()
    # the deformable conv: its samples p0 + pn + Δpn with their neighbours
    panel.select_node("deform1")
    qapp.processEvents()
    d = tab.deform
    assert d.isVisible() and len(d.current) == 9
    before = d.location
    _hover(qapp, tab.view.view, tab.view.stage.output_grid, (2, 3), tab.scroll)
    assert d.location == (2, 3) != before
    s = d.current[4]
    assert s.base == (2.0 - 1 + 1, 3.0 - 1 + 1)  # stride 1, padding 1, centre tap
    assert abs(sum(w for *_yx, w, inside in s.corners if inside) - 1) < 1e-6
    assert "neighbours" in d.table.text()


def test_after_a_run_squeeze_excite_scale(new_panel, qapp):
    panel, tab = _mech_panel(new_panel, qapp, "se_resnet_block", "se")
    assert "Run the network" in tab.frame.placeholder.text()
    assert panel.run_blocking(timeout_s=180), panel.run_failure()
    panel.select_node("se")
    panel.tabs.setCurrentWidget(panel.mechanism_tab)
    qapp.processEvents()
    assert tab.se.isVisible() and tab.se.item.stages is not None
    panel.controller.jobs.wait(60, until=lambda: tab.se.item.stages.hidden is not None)
    for _ in range(3):
        qapp.processEvents()
    st = tab.se.item.stages
    assert st.hidden is not None and st.check < 1e-4
    assert np.allclose(st.weights, panel.controller.result.se_weights["se"])
    chosen = []
    tab.channelChosen.connect(chosen.append)
    tab.se.item.set_channel(5)
    assert chosen == [5] and "Channel <b>5</b>" in tab.se.caption.text()
