"""The editor that fits a parameter's schema entry."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from .base import ParamEditor
from .bool_edit import BoolEdit
from .choice_edit import ChoiceEdit
from .float_edit import FloatEdit
from .int_edit import IntEdit
from .nullable_edit import NullableEdit
from .pad_value_edit import PadValueEdit
from .padding_edit import PaddingEdit
from .shown_edit import ShownEdit
from .sizes_edit import SizesEdit
from .target_size_edit import TargetSizeEdit
from .tuple_edit import TupleEdit

__all__ = ["make_editor"]


def make_editor(param, parent: QWidget | None = None) -> ParamEditor:
    """The editor that fits ``param`` (see the module docstring)."""
    kind = param.kind
    if param.name == "target_size" and kind == "tuple":
        return TargetSizeEdit(param, parent)
    if kind == "int":
        editor: ParamEditor = IntEdit(param, parent)
    elif kind == "float" and getattr(param, "words", ()):
        editor = PadValueEdit(param, parent)  # a number or -inf / inf (Pad2d's value)
    elif kind == "float":
        editor = FloatEdit(param, parent)
    elif kind == "bool":
        editor = BoolEdit(param, parent)
    elif kind == "choice":
        editor = ChoiceEdit(param, parent)
    elif kind == "padding":
        editor = PaddingEdit(param, parent)
    elif kind == "tuple" and len(getattr(param, "lengths", ())) > 1:
        editor = SizesEdit(param, parent)  # a pair or a triple (Upsample's size)
    elif kind == "tuple":
        editor = TupleEdit(param, parent)
    elif kind in ("text", "intlist"):
        return ShownEdit(param, parent)  # facts of an imported operation: shown, not edited
    else:  # pragma: no cover - every schema kind is handled above
        raise TypeError(f"no editor for parameter kind {kind!r}")
    if param.nullable:
        return NullableEdit(param, editor, parent)
    return editor
