"""The animation's clock: play, pause, step and scrub, driven by a timer.

:class:`Player` only counts frames; whoever listens to :attr:`Player.frameChanged`
draws them. Playing never sleeps: a :class:`QTimer` fires once per frame and
the event loop stays free between frames (a frame costs a few milliseconds).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

__all__ = ["Player", "SPEEDS"]

#: frames per second offered by the speed control
SPEEDS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0)


class Player(QObject):
    """Frame ``0 .. frames − 1``, looping while playing.

    Signals
    -------
    frameChanged(int)
        The frame to show now.
    playingChanged(bool)
        Playing started (True) or stopped.
    """

    frameChanged = Signal(int)
    playingChanged = Signal(bool)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.frames = 1
        self.frame = 0
        self.fps = 2.0
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.step)
        self.set_speed(self.fps)

    @property
    def playing(self) -> bool:
        """The timer is running."""
        return self.timer.isActive()

    def set_frames(self, frames: int) -> None:
        """A new animation of ``frames`` frames, at its first frame (paused)."""
        self.pause()
        self.frames = max(1, int(frames))
        self.seek(0, force=True)

    def set_speed(self, fps: float) -> None:
        """``fps`` frames per second."""
        self.fps = float(fps)
        self.timer.setInterval(max(1, round(1000.0 / self.fps)))

    def play(self) -> None:
        """Start (from the first frame when at the last one)."""
        if self.playing:
            return
        if self.frame >= self.frames - 1:
            self.seek(0)
        self.timer.start()
        self.playingChanged.emit(True)

    def pause(self) -> None:
        """Stop at the current frame."""
        if self.playing:
            self.timer.stop()
            self.playingChanged.emit(False)

    def toggle(self) -> None:
        """Play or pause."""
        self.pause() if self.playing else self.play()

    def step(self, delta: int = 1) -> None:
        """Move ``delta`` frames (wrapping around)."""
        self.seek((self.frame + delta) % self.frames)

    def seek(self, frame: int, force: bool = False) -> None:
        """Show ``frame`` (clamped)."""
        frame = int(min(max(frame, 0), self.frames - 1))
        if frame != self.frame or force:
            self.frame = frame
            self.frameChanged.emit(frame)
