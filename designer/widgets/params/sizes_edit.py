"""A size that is a pair for 2D and a triple for 3D (Upsample's ``size``).

The axes follow the node's input (``follow_input``: a ``[C, D, H, W]`` input gives
D × H × W) and the value shown (a triple shows three axes), so the row never needs a
switch of its own (the property dock is narrow). Each axis is a
:class:`~.tuple_edit.TupleEdit`'s spin box with its link toggle.
"""

from __future__ import annotations

import dataclasses

from .base import ParamEditor, row_layout
from .tuple_edit import TupleEdit

__all__ = ["SizesEdit"]


class SizesEdit(ParamEditor):
    """A :class:`TupleEdit` of 2 or 3 axes, rebuilt when the number of axes changes."""

    def __init__(self, param, parent=None):
        super().__init__(param, parent)
        self.lengths = tuple(getattr(param, "lengths", (param.n,)))
        self._lay = row_layout(self)
        self.inner: TupleEdit | None = None
        self._build(param.n)

    @property
    def axes(self) -> int:
        """How many axes are shown (2: H × W, 3: D × H × W)."""
        return len(self.inner.spins)

    def _build(self, n: int) -> None:
        old = self.inner
        value = old.value() if old is not None else None
        self.inner = TupleEdit(dataclasses.replace(self.param, n=n), self)
        self.inner.committed.connect(self.committed.emit)
        if old is not None:
            self._lay.replaceWidget(old, self.inner)
            old.deleteLater()
            if isinstance(value, int):
                self.inner.set_value(value)
        else:
            self._lay.insertWidget(0, self.inner, 1)

    def set_axes(self, n: int) -> None:
        """Show ``n`` axes (one of the parameter's lengths); nothing is emitted."""
        if n in self.lengths and n != self.axes:
            self._build(n)

    def follow_input(self, shape) -> None:
        """Take the number of axes from the input shape ``[C, H, W]`` / ``[C, D, H, W]``."""
        if shape is not None and len(shape) - 1 in self.lengths:
            self.set_axes(len(shape) - 1)

    def set_value(self, value):
        """Show ``value`` (an int, a pair or a triple: its length sets the axes)."""
        if isinstance(value, (list, tuple)):
            self.set_axes(len(value))
        self.inner.set_value(value)

    def value(self):
        """An int when all axes are equal, else the tuple (as :class:`TupleEdit`)."""
        return self.inner.value()
