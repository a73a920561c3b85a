"""Layer mechanics: exactly which input pixel meets which kernel tap (Qt-free, torch-free).

Owns the index structure of one layer over one channel, for ``main.py explain``
and the designer's views: for each output position its ``(input position,
kernel tap)`` pairs with padding as virtual cells, the scatter and zero-insertion
forms of a transposed convolution, overlap counts, pooling windows and divisors,
unpooling and resampling maps, channel links of grouped and composite layers,
the matrix C, and the formulas of output size, parameters, MACs and effective
kernel with their numbers substituted.

Modules: :mod:`.axis` (one axis, torch's index arithmetic), :mod:`.grid` (the
2D :class:`Mechanics`), :mod:`.channels`, :mod:`.formulas`, :mod:`.build` (from
the analysis of a node), :mod:`.layer` (a graph's node, or free parameters
checked by the engine itself), :mod:`.text` (the readable report).
"""

from .build import explainable_types, mechanics, mechanism_of
from .grid import Formulas, Mechanics, ZeroInsertion
from .layer import MechanicsError, for_layer, for_node
from .text import describe

__all__ = ["Mechanics", "ZeroInsertion", "Formulas", "MechanicsError", "mechanics",
           "mechanism_of", "explainable_types", "for_layer", "for_node", "describe"]
