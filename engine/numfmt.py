"""How the engine writes a number for people (tables, messages; JSON keeps full precision).

A receptive-field jump or start after a transposed conv or an upsampling is an
exact fraction; printed as a float it reads ``0.6666666666666666``. Here it
reads ``2/3``: integers as integers, simple fractions (denominator up to
:data:`MAX_DENOMINATOR`) exactly, anything else with 3 significant digits.
"""

from __future__ import annotations

from fractions import Fraction

__all__ = ["fmt_number", "MAX_DENOMINATOR"]

#: the largest denominator written as a fraction (``2/3``, ``5/64``); beyond it, ``0.667``
MAX_DENOMINATOR = 64


def fmt_number(value: int | float | Fraction) -> str:
    """``value`` for people: ``2``, ``1/2``, ``2/3``, ``-3/4``, ``15.5``, ``0.0123``.

    Examples
    --------
    >>> fmt_number(2.0), fmt_number(Fraction(2, 3)), fmt_number(0.6666666666666666)
    ('2', '2/3', '2/3')
    >>> fmt_number(15.5), fmt_number(0.1)
    ('15.5', '0.1')
    """
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        exact = Fraction(value)
        near = exact.limit_denominator(MAX_DENOMINATOR)
        # a float made from a simple fraction (2/3 → 0.666…) is that fraction again
        frac = near if abs(float(near) - value) <= 1e-12 * max(1.0, abs(value)) else exact
    else:
        frac = Fraction(value)
    if frac.denominator == 1:
        return str(frac.numerator)
    if frac.denominator in (2, 4, 5, 8, 10):  # a short decimal reads best: 15.5, 0.25
        return f"{float(frac):g}"
    if frac.denominator <= MAX_DENOMINATOR:
        return f"{frac.numerator}/{frac.denominator}"
    return f"{float(frac):.3g}"
