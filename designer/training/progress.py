"""The Train tab's progress bar with the time left (ETA).

:class:`TrainProgress` turns the reports of a run (epoch, step of steps) into
the fraction of the whole run done, and estimates the time left from the time
spent training so far (paused time left out): ``elapsed × (1 − done) / done``.
"""

from __future__ import annotations

import time

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

__all__ = ["TrainProgress", "clock"]

SCALE = 1000  # the bar counts thousandths of the run


def clock(seconds: float) -> str:
    """``75`` -> ``"1:15"``, ``3725`` -> ``"1:02:05"``."""
    s = max(0, round(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class TrainProgress(QWidget):
    """A progress bar over the whole run and a label with the elapsed and remaining time."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.bar = QProgressBar()
        self.bar.setRange(0, SCALE)
        self.bar.setValue(0)
        self.bar.setTextVisible(True)
        self.bar.setFormat("idle")
        self.eta = QLabel("")
        self.eta.setFixedWidth(self.eta.fontMetrics().horizontalAdvance("0:00:00 · about 0:00:00 "
                                                                        "left "))
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.bar, 1)
        lay.addWidget(self.eta)
        self.fraction = 0.0
        self._t0: float | None = None
        self._paused_at: float | None = None
        self._paused_s = 0.0

    def start(self) -> None:
        """A new run begins (nothing done yet)."""
        self.fraction = 0.0
        self._t0 = time.monotonic()
        self._paused_at, self._paused_s = None, 0.0
        self.bar.setValue(0)
        self.bar.setFormat("preparing the data…")
        self.eta.setText("")

    def set_paused(self, paused: bool) -> None:
        """Stop (or restart) the clock while the run is paused."""
        now = time.monotonic()
        if paused and self._paused_at is None:
            self._paused_at = now
            self.bar.setFormat(self.bar.format() + " · paused")
        elif not paused and self._paused_at is not None:
            self._paused_s += now - self._paused_at
            self._paused_at = None

    def elapsed(self) -> float:
        """Seconds of training so far (paused time left out)."""
        if self._t0 is None:
            return 0.0
        end = self._paused_at if self._paused_at is not None else time.monotonic()
        return end - self._t0 - self._paused_s

    def update_from(self, report: dict) -> None:
        """Follow a progress report of the run."""
        epochs = max(1, report["epochs"])
        if report["phase"] == "train" and report["steps"]:
            done = (report["epoch"] - 1 + report["step"] / report["steps"]) / epochs
            text = f"epoch {report['epoch']}/{epochs} · step {report['step']}/{report['steps']}"
        elif report["phase"] == "epoch":
            done = report["epoch"] / epochs
            text = f"epoch {report['epoch']}/{epochs} done"
        else:
            return
        self.fraction = min(1.0, max(self.fraction, done))
        self.bar.setValue(round(SCALE * self.fraction))
        self.bar.setFormat(f"{text} · %p%")
        spent = self.elapsed()
        if 0 < self.fraction < 1:
            left = spent * (1 - self.fraction) / self.fraction
            self.eta.setText(f"{clock(spent)} · about {clock(left)} left")
        else:
            self.eta.setText(clock(spent))

    def finish(self, text: str) -> None:
        """The run ended: ``text`` on the bar, the total time beside it."""
        self.bar.setFormat(text)
        self.eta.setText(f"{clock(self.elapsed())} in all")
