#!/usr/bin/env python3
"""Mechanism view benchmarks (offscreen Qt): the cost of one animation step, and stalls.

1. Step: ``Player.step()`` (the frame's marks, the output grid, the matrix band,
   the equation) followed by a synchronous repaint of the whole picture
   (``viewport().repaint()``), for small and large layers in both forms of a
   transposed conv. Printed per layer: median, 95th percentile and maximum over
   consecutive frames (the larger layers' windows move their view and rebuild
   cached grids on some frames), as wall time and as the UI thread's CPU time
   (``time.thread_time``: what the redraw costs, without the time other processes
   take the core away on a loaded machine). Budget: the 95th percentile of every
   layer ≤ 16 ms (one frame at 60 Hz) in CPU time; the wall figures are printed
   beside it with the load average.
2. Playing: the animation plays at 30 steps/s for 2 s while a QTimer ticks every
   5 ms on the UI thread; the longest gap between ticks minus the period is the
   longest stall. Budget: < 50 ms (the panel's budget, bench/panel.py).

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python bench/mechanism.py [--frames N]``.
Exit status 1 when a budget is exceeded. ``--screenshots DIR`` instead writes the
README's pictures (a transposed conv in both forms, deformable sampling after a
run with fitted offsets) at twice the size.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QScrollArea  # noqa: E402

STEP_BUDGET_MS = 16.0
STALL_BUDGET_MS = 50.0
TICK_MS = 5

#: (label, layer type, parameters, input size, form)
CASES = (
    ("conv 3×3 p1 s2, 5×5", "Conv2d", {"kernel_size": 3, "padding": 1, "stride": 2}, 5, "gather"),
    ("conv 3×3 p1, 64×64", "Conv2d", {"kernel_size": 3, "padding": 1}, 64, "gather"),
    ("conv 5×5 d2, 56×56", "Conv2d", {"kernel_size": 5, "dilation": 2, "padding": 4}, 56,
     "gather"),
    ("tconv 3×3 s2 p1, 3×3 zero insertion", "ConvTranspose2d",
     {"kernel_size": 3, "stride": 2, "padding": 1}, 3, "gather"),
    ("tconv 3×3 s2 p1, 3×3 scatter", "ConvTranspose2d",
     {"kernel_size": 3, "stride": 2, "padding": 1}, 3, "scatter"),
    ("tconv 3×3 s2 p1, 128×128 zero insertion", "ConvTranspose2d",
     {"kernel_size": 3, "stride": 2, "padding": 1}, 128, "gather"),
    ("tconv 3×3 s2 p1, 128×128 scatter", "ConvTranspose2d",
     {"kernel_size": 3, "stride": 2, "padding": 1}, 128, "scatter"),
    ("max pool 2×2, 64×64", "MaxPool2d", {"kernel_size": 2}, 64, "gather"),
    ("upsample bilinear ×2, 32×32", "Upsample", {"scale_factor": 2, "mode": "bilinear",
                                                 "align_corners": False}, 32, "gather"),
)


def _view(app):
    from designer.mechanism.view import MechanismView

    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    view = MechanismView()
    scroll.setWidget(view)
    scroll.resize(620, 2400)
    scroll.show()
    app.processEvents()
    return scroll, view


def bench_steps(app, frames: int) -> dict[str, tuple[tuple[float, float, float], ...]]:
    from engine.mechanics import for_layer

    scroll, view = _view(app)
    out = {}
    for label, t, p, n, form in CASES:
        params = dict(p)
        if t.startswith(("Conv", "ConvT")):
            params["out_channels"] = 1
        view.form = form
        view.show_mechanics(for_layer(t, params, (n, n), 1))
        view.controls.scatter.setChecked(form == "scatter")
        app.processEvents()
        vp = view.view.viewport()
        vp.repaint()
        wall, cpu = [], []
        for _ in range(min(frames, view.walk.frames)):
            t0, c0 = time.perf_counter(), time.thread_time()
            view.player.step()
            vp.repaint()
            wall.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.thread_time() - c0) * 1000)
        out[label] = tuple(_summary(t) for t in (cpu, wall))
    scroll.close()
    return out


def _summary(times: list[float]) -> tuple[float, float, float]:
    times = sorted(times)
    return statistics.median(times), times[int(0.95 * (len(times) - 1))], times[-1]


def bench_playing(app, seconds: float = 2.0) -> tuple[float, int]:
    from engine.mechanics import for_layer

    scroll, view = _view(app)
    view.show_mechanics(for_layer("Conv2d", {"out_channels": 1, "kernel_size": 3,
                                             "padding": 1}, (64, 64), 1))
    view.controls.speed.setCurrentIndex(view.controls.speed.count() - 1)  # 30 steps/s
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(TICK_MS)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    start = view.player.frame
    timer.start()
    view.player.play()
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        app.processEvents()
        time.sleep(0.001)
    view.player.pause()
    timer.stop()
    stall = max(0.0, float(np.diff(ticks).max()) * 1000 - TICK_MS) if len(ticks) > 1 else 0.0
    steps = view.player.frame - start
    scroll.close()
    return stall, steps


def _panel(app, example: str, node: str, width: int = 780):
    import engine
    from designer.document import Document
    from designer.panel import EnginePanel

    panel = EnginePanel()
    panel.resize(width, 1200)
    panel.show()
    panel.set_document(Document(engine.load_graph(
        ROOT / "resources" / "examples" / f"{example}.convgraph.json")))
    panel.select_node(node)
    panel.tabs.setCurrentWidget(panel.mechanism_tab)
    app.processEvents()
    return panel, panel.mechanism_tab


def _move_offsets(panel, node_id: str, steps: int) -> None:
    """Move a deformable conv's offsets in the panel's session (the engine's
    ``Session.fit_offsets``; the designer trains them in its Train tab), then run."""
    c = panel.controller
    c._submit("fit", lambda ctx, spec: c._ready(ctx, spec).fit_offsets(node_id, steps))
    c.jobs.wait(600, until=lambda: not c.busy)
    assert panel.run_blocking(300), panel.run_failure()


def screenshots(app, out: Path) -> None:
    """The README's pictures of the Mechanism tab."""
    out.mkdir(parents=True, exist_ok=True)
    panel, tab = _panel(app, "transposed_conv_arithmetic", "tconv_5")
    body = tab.scroll.widget()
    for form, frame, name in (("gather", 6, "zero_insertion"), ("scatter", 4, "scatter")):
        tab.view.set_form(form)
        tab.view.player.seek(frame)
        app.processEvents()
        panel.resize(panel.width(), body.sizeHint().height() + 160)  # no scrolling
        app.processEvents()
        tab.grab().save(str(out / f"mechanism_transposed_{name}.png"))
    panel.shutdown()
    panel, tab = _panel(app, "deformable_block", "deform1")
    assert panel.run_blocking(300), panel.run_failure()
    _move_offsets(panel, "deform1", 40)
    for _ in range(5):
        app.processEvents()
    panel.select_node("deform1")
    panel.views.invalidate()
    panel.views.refresh(tab)
    app.processEvents()
    tab.deform.choose(20, 40)
    app.processEvents()
    tab.deform.grab().save(str(out / "mechanism_deformable.png"))
    panel.shutdown()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=120, help="steps timed per layer")
    parser.add_argument("--screenshots", metavar="DIR", help="write the README's pictures")
    args = parser.parse_args()
    if args.screenshots:
        os.environ.setdefault("QT_SCALE_FACTOR", "2")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from designer.look import apply_theme

    apply_theme(app)
    if args.screenshots:
        screenshots(app, Path(args.screenshots))
        return 0
    ok = True
    print(f"one step (step + full repaint), {args.frames} consecutive frames, ms "
          f"(load average {os.getloadavg()[0]:.1f}):")
    print(f"  {'layer':42s} {'CPU: median':>11s} {'p95':>6s} {'max':>6s}   "
          f"{'wall: median':>12s} {'p95':>6s} {'max':>6s}")
    for label, (cpu, wall) in bench_steps(app, args.frames).items():
        flag = "" if cpu[1] <= STEP_BUDGET_MS else "  OVER BUDGET"
        ok &= cpu[1] <= STEP_BUDGET_MS
        print(f"  {label:42s} {cpu[0]:11.2f} {cpu[1]:6.2f} {cpu[2]:6.2f}   "
              f"{wall[0]:12.2f} {wall[1]:6.2f} {wall[2]:6.2f}{flag}")
    stall, steps = bench_playing(app)
    ok &= stall < STALL_BUDGET_MS
    print(f"playing 2 s at 30 steps/s: {steps} steps, longest UI stall {stall:.1f} ms "
          f"(budget {STALL_BUDGET_MS:.0f} ms)")
    print("OK" if ok else "OVER BUDGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
