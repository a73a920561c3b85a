"""Editors for catalogue parameters, one per ``Param.kind``.

One module per editor (``int_edit``, ``tuple_edit``, ...; ``factory`` picks
one). Every editor follows the same small protocol (``base.ParamEditor``), so
the property editor can treat them alike:

* :meth:`ParamEditor.set_value` shows a value from the model and never emits;
* :attr:`ParamEditor.committed` is emitted only for a *user* edit, with the raw
  value to store (an int, a float, a bool, a string, a tuple or None).

:func:`make_editor` picks the editor from the schema: ``int`` → spin box,
``float`` → :class:`FloatSpinBox`, ``bool`` → check box, ``choice`` → combo,
``tuple`` → :class:`TupleEdit` (one spin box per axis and a link toggle for
square/cubic kernels), ``padding`` → :class:`PaddingEdit`, nullable parameters
are wrapped in :class:`NullableEdit` (an "auto" check box), and
ConvTranspose's ``target_size`` gets :class:`TargetSizeEdit`, which lists the
reachable output sizes, a number that may also be ``-inf`` / ``inf`` (Pad2d's
``value``) gets :class:`PadValueEdit`, and a size that is a pair or a triple
(Upsample's ``size``) :class:`SizesEdit`, whose axes follow the node's input
(``follow_input``).
"""

from .base import ParamEditor, param_tooltip
from .bool_edit import BoolEdit
from .choice_edit import ChoiceEdit
from .factory import make_editor
from .float_edit import FloatEdit, FloatSpinBox
from .int_edit import IntEdit
from .nullable_edit import NullableEdit
from .pad_value_edit import PadValueEdit
from .padding_edit import PaddingEdit
from .sizes_edit import SizesEdit
from .target_size_edit import TargetSizeEdit
from .tuple_edit import TupleEdit

__all__ = ["ParamEditor", "IntEdit", "FloatEdit", "FloatSpinBox", "BoolEdit", "ChoiceEdit",
           "TupleEdit", "PaddingEdit", "NullableEdit", "TargetSizeEdit", "PadValueEdit",
           "SizesEdit", "make_editor", "param_tooltip"]
