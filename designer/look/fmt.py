"""Numbers and shapes as the designer writes them, everywhere the same.

* counts (parameters, MACs): :func:`fmt_count` writes ``512``, ``58,976``,
  ``123k``, ``1.2M``, ``3.4G``: exact below 100,000, else three digits at
  most with an SI suffix; :func:`fmt_count_long` adds the exact figure where
  there is room (``90,123,456 (90.1M)``);
* shapes and sizes: :func:`fmt_shape` writes ``32×64×64`` (the engine's own
  format, so the designer's texts match the engine's messages);
* memory: :func:`fmt_bytes` (``1.25 MiB``); measured values: :func:`fmt_num`
  (``0.0123``, ``1.23e−05``, a real minus sign); :func:`plural` (``2 errors``).

Nothing is known: :data:`MISSING`.
"""

from __future__ import annotations

import math

from engine.catalogue import fmt_shape as _engine_shape

__all__ = ["MISSING", "fmt_count", "fmt_count_long", "fmt_bytes", "fmt_shape", "fmt_num",
           "plural"]

#: shown where a value is unknown (no analysis result, an error upstream)
MISSING = "—"

#: counts from here on are written compactly
_COMPACT_FROM = 100_000
_UNITS = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def fmt_count(n: int | None) -> str:
    """A count of parameters or MACs, short enough for a card or the status bar.

    ``512`` -> ``"512"``, ``58976`` -> ``"58,976"``, ``123456`` -> ``"123k"``,
    ``1_234_567`` -> ``"1.2M"``, ``90_123_456`` -> ``"90.1M"``,
    ``3_400_000_000`` -> ``"3.4G"``; None -> :data:`MISSING`.
    """
    if n is None:
        return MISSING
    if abs(n) < _COMPACT_FROM:
        return f"{n:,}"
    for i, (div, unit) in enumerate(_UNITS):
        if abs(n) >= div:
            v = n / div
            text = f"{v:.1f}" if abs(v) < 99.95 else f"{v:.0f}"
            if abs(float(text)) >= 1000 and i > 0:  # 999,999 -> "1.0M", not "1000k"
                div, unit = _UNITS[i - 1]
                text = f"{n / div:.1f}"
            return f"{text}{unit}"
    return f"{n:,}"  # pragma: no cover (below _COMPACT_FROM)


def fmt_count_long(n: int | None) -> str:
    """The exact count, and the short one where it differs.

    ``58976`` -> ``"58,976"``, ``90_123_456`` -> ``"90,123,456 (90.1M)"``.
    """
    if n is None:
        return MISSING
    short = fmt_count(n)
    exact = f"{n:,}"
    return exact if short == exact else f"{exact} ({short})"


def fmt_bytes(n: int | None) -> str:
    """``512`` -> ``"512 B"``, ``1_310_720`` -> ``"1.25 MiB"``; None -> :data:`MISSING`."""
    if n is None:
        return MISSING
    v = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if v < 1024 or unit == "GiB":
            return f"{v:.0f} {unit}" if unit == "B" else f"{v:.3g} {unit}"
        v /= 1024
    return f"{v:.3g} TiB"  # pragma: no cover


def fmt_shape(shape) -> str:
    """A shape or size: ``(32, 62, 62)`` -> ``"32×62×62"``; None -> ``"?"``.

    Any sequence of integers (numpy's included): tensor shapes, ``(h, w)``
    sizes, kernel sizes.
    """
    if shape is None:
        return _engine_shape(None)
    return _engine_shape(tuple(int(v) for v in shape))


def fmt_num(v: float, digits: int = 4) -> str:
    """A measured value: ``0.000123`` -> ``"1.230e−04"``, ``12.5`` -> ``"12.5"``.

    ``digits`` significant digits; scientific notation below 0.001 and from
    100,000; a real minus sign; ``nan``, ``∞``, ``−∞``.
    """
    v = float(v)
    if not math.isfinite(v):
        return "nan" if math.isnan(v) else ("∞" if v > 0 else "−∞")
    if v == 0:
        return "0"
    a = abs(v)
    text = f"{v:.{digits - 1}e}" if a < 1e-3 or a >= 1e5 else f"{v:.{digits}g}"
    return text.replace("-", "−")


def plural(n: int, noun: str) -> str:
    """``plural(1, "error")`` -> ``"1 error"``, ``plural(3, "error")`` -> ``"3 errors"``."""
    return f"{n} {noun}{'s' * (n != 1)}"
