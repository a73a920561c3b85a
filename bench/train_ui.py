#!/usr/bin/env python3
"""UI stalls while the Train tab trains (offscreen Qt): the longest event-loop gap.

A QTimer ticks every 5 ms on the UI thread while a design trains in the Train
tab (its own engine process) and, after each epoch, the panel runs the design
with the new weights and redraws the visible tab. The longest gap between
ticks, minus the 5 ms period, is the worst stall; each gap is labelled with
what was last heard (a training phase, or the panel's run) and with the CPU
time this process used during it (all its threads, and the UI thread alone): a
gap much longer than that CPU time is the UI thread waiting for a core that
other processes hold (the machine's load), not work of the designer. Two cases: the
Train tab visible (curves, confusion matrix, predictions update), and the SE
tab visible (the SE example: each epoch's run redraws the channel weights).
Printed next to the longest gap of the same ticks with nothing running (the
machine's own noise) and the load average. Budget: the worst stall < 50 ms.

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python bench/train_ui.py [--repeat N]``.
Exit status 1 when the budget is exceeded.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QElapsedTimer, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QMainWindow  # noqa: E402

STALL_BUDGET_MS = 50.0
TICK_MS = 5
EXAMPLES = ROOT / "resources" / "examples"


class Watch:
    """Ticks every 5 ms and records each gap with the phase heard last."""

    def __init__(self, app, panel):
        self.app = app
        self.clock = QElapsedTimer()
        self.gaps: list[tuple[float, float, float, str]] = []
        self.phase = "idle"
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self._last = (0.0, 0.0, 0.0)
        panel.train_tab.run.report.connect(
            lambda r: setattr(self, "phase", f"train: {r['phase']}"))
        panel.controller.progress.connect(
            lambda _j, _d, _t, label: setattr(self, "phase", f"panel run: {label}"))
        panel.controller.runFinished.connect(
            lambda _r: setattr(self, "phase", "panel run: redraw"))

    def _tick(self) -> None:
        now = (self.clock.nsecsElapsed() / 1e6, 1e3 * time.thread_time(),
               1e3 * time.process_time())
        wall, ui, proc = (a - b for a, b in zip(now, self._last, strict=True))
        self.gaps.append((wall - TICK_MS, ui, proc, self.phase))
        self._last = now

    def start(self) -> None:
        self.gaps.clear()
        self.clock.start()
        self._last = (0.0, 1e3 * time.thread_time(), 1e3 * time.process_time())
        self.timer.start()

    def stop(self) -> list[tuple[float, float, float, str]]:
        self.timer.stop()
        return sorted(self.gaps[1:], reverse=True)

    def spin(self, seconds: float, until=None) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end and not (until and until()):
            self.app.processEvents()
            time.sleep(0.001)


def one_case(app, example: str, tab_name: str, epochs: int, samples: int) -> tuple[float, float]:
    import engine
    from designer.document import Document
    from designer.panel import EnginePanel

    win = QMainWindow()
    panel = EnginePanel(win)
    win.setCentralWidget(panel)
    win.resize(1000, 800)
    win.show()
    panel.set_document(Document(engine.load_graph(EXAMPLES / example)))
    watch = Watch(app, panel)
    assert panel.run_blocking(120), panel.run_failure()  # the panel's engine process is warm
    panel.tabs.setCurrentWidget(getattr(panel, tab_name))
    if tab_name == "se_tab":  # the first node whose SE weights the runtime captures
        from engine.catalogue import CATALOGUE

        panel.select_node(next(n for n, node in panel.doc.graph.nodes.items()
                               if CATALOGUE[node.type].captured("se_weights")))
    watch.spin(1.0, until=lambda: not panel.controller.busy)
    watch.start()
    watch.spin(1.0)
    idle = watch.stop()[0][0]
    tab = panel.train_tab
    tab.settings.epochs.setValue(epochs)
    tab.settings.samples.setValue(samples)
    watch.start()
    t0 = time.perf_counter()
    assert tab.start(), tab.status.text()
    watch.spin(600, until=lambda: not tab.run.busy)
    watch.spin(1.5)  # the last epoch's panel run and redraw
    wall = time.perf_counter() - t0
    gaps = watch.stop()
    worst = gaps[0][0]
    busiest = max(ui for _g, ui, _p, _ph in gaps)
    top = ", ".join(f"{g:.0f} ms (CPU {proc:.0f} ms, UI thread {ui:.0f}; {ph})"
                    for g, ui, proc, ph in gaps[:3])
    print(f"  {example} · {tab_name}: worst stall {worst:.1f} ms; most UI-thread CPU in "
          f"one gap {busiest:.1f} ms; idle noise {idle:.1f} ms; training {wall:.1f} s\n"
          f"    longest: {top}")
    panel.shutdown()
    win.close()
    return worst, busiest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=2000)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    print(f"UI stalls while training ({args.epochs} epochs of {args.samples} shapes, "
          f"tick {TICK_MS} ms); load average {os.getloadavg()[0]:.2f} on "
          f"{os.cpu_count()} cores")
    worst = busiest = 0.0
    for _ in range(args.repeat):
        for example, tab in (("shapes_classifier.convgraph.json", "train_tab"),
                             ("shapes_se.convgraph.json", "se_tab")):
            w, b = one_case(app, example, tab, args.epochs, args.samples)
            worst, busiest = max(worst, w), max(busiest, b)
    ok = worst < STALL_BUDGET_MS
    print(f"worst stall {worst:.1f} ms, budget {STALL_BUDGET_MS:g} ms: "
          f"{'OK' if ok else 'OVER'} (most UI-thread CPU in one gap {busiest:.1f} ms); "
          f"load average after {os.getloadavg()[0]:.2f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
