"""The memory limit of runs and training: its setting and the Edit → Memory limit… dialog.

The engine refuses up front a run or a training whose estimate (per node, from the
catalogue: :mod:`engine.runtime.memory`) passes the limit, naming the figure and the
node that dominates. The limit is ``min(4 GiB, 50 % of RAM)`` unless the environment
variable ``CONVCANVAS_MEMORY_LIMIT`` or this setting says otherwise; the engine panel
passes the setting with every request that builds a model (the designer never imports
torch: the limit travels to the engine process). Stored in the application settings
(:func:`designer.files.settings`) under :data:`KEY`, in MiB; absent or 0: the default.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from engine.runtime.memory import default_memory_limit

from .files import settings
from .look.fmt import fmt_bytes

__all__ = ["KEY", "memory_limit_setting", "set_memory_limit_setting", "MemoryLimitDialog"]

#: the settings key (MiB; 0 or absent: the engine's default)
KEY = "engine/memory_limit_mib"
MiB = 1 << 20


def memory_limit_setting() -> int | None:
    """The limit in bytes set in the settings, or None for the engine's default."""
    try:
        mib = float(settings().value(KEY, 0) or 0)
    except (TypeError, ValueError):
        return None
    return int(mib * MiB) if mib > 0 else None


def set_memory_limit_setting(limit: int | None) -> None:
    """Store ``limit`` (bytes; None: the engine's default)."""
    s = settings()
    if limit is None:
        s.remove(KEY)
    else:
        s.setValue(KEY, round(limit / MiB))
    s.sync()


class MemoryLimitDialog(QDialog):
    """Asks for the memory limit in GiB, or the engine's default; stores it when accepted."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Memory limit")
        default = default_memory_limit()
        current = memory_limit_setting()
        text = QLabel(
            "A run or a training whose estimated memory (per node: activations, working "
            "memory such as a deformable conv's sampling buffers, gradients and optimizer "
            f"state) passes this limit is refused before it starts. The default is "
            f"{fmt_bytes(default)} (min(4 GiB, half the RAM), or CONVCANVAS_MEMORY_LIMIT).")
        text.setWordWrap(True)
        self.use_default = QCheckBox(f"Use the default ({fmt_bytes(default)})")
        self.use_default.setChecked(current is None)
        self.gib = QDoubleSpinBox()
        self.gib.setRange(0.25, 4096.0)
        self.gib.setDecimals(2)
        self.gib.setSingleStep(0.5)
        self.gib.setSuffix(" GiB")
        self.gib.setValue((current or default) / (1 << 30))
        self.gib.setEnabled(current is not None)
        self.use_default.toggled.connect(lambda on: self.gib.setEnabled(not on))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (text, self.use_default, self.gib, buttons):
            layout.addWidget(widget)
        text.setMinimumWidth(400)
        layout.setSizeConstraint(QVBoxLayout.SizeConstraint.SetFixedSize)

    def limit(self) -> int | None:
        """The limit the dialog shows (bytes), None for the default."""
        return None if self.use_default.isChecked() else int(self.gib.value() * (1 << 30))

    def accept(self) -> None:
        """Store the limit, then close."""
        set_memory_limit_setting(self.limit())
        super().accept()
