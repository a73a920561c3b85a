"""How the designer writes checks and differences (numbers through :mod:`designer.look`).

* :func:`check_title`: ``"receptive field ≥ 31"``, ``"input shape = 3×32×32"``;
* :func:`show_value`, :func:`signed`, :func:`delta`: a value of a diff entry,
  a signed change (``+944``, ``−1.2M``, a real minus sign);
* :func:`badge_lines`: the few lines a changed node's badge shows;
* :func:`entry_rows`: every difference of one changed node, for the table.

A diff entry is one item of :attr:`engine.labs.DesignDiff.changed`: pairs
``[B, this design]`` (the designer compares B with the open design).
"""

from __future__ import annotations

from typing import Any

from designer.look import MISSING, fmt_count, fmt_shape
from engine.labs import Check

__all__ = ["check_title", "points_text", "show_value", "signed", "delta", "badge_lines",
           "entry_rows", "LABELS"]

#: what -> the measure in words (the requirement follows)
_WHAT = {"valid": "valid graph (no errors)", "input_shape": "input shape",
         "output_shape": "output shape", "total_params": "parameters",
         "total_macs": "MACs"}
#: diff keys in words
LABELS = {"type": "type", "inputs": "inputs", "shape": "shape", "rf_size": "RF",
          "param_count": "params", "macs": "MACs"}
#: the numbers a badge sums up on one line, in this order
_NUMBERS = ("rf_size", "param_count", "macs")
MAX_BADGE_LINES = 5
MAX_BADGE_PARAMS = 2
MINUS = "\u2212"


def check_title(check: Check) -> str:
    """What the check asks for, in words: the measure, then its requirement."""
    what = check.what
    if what == "no_warning":
        return f"no {check.kind} warning" if check.kind else "no warning at all"
    if what == "rf_size":
        label = f"receptive field of {check.node}" if check.node else "receptive field"
    elif what == "node_shape":
        label = f"shape of {check.node}"
    elif what == "count_type":
        label = f"number of {check.type}"
    else:
        label = _WHAT.get(what, what)
    need = check.requirement()
    if check.measures == "shape" and need:
        need = f"= {need}"
    return f"{label} {need}" if need else label


def _num(v) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def points_text(earned, total) -> str:
    """``"4/4"``, ``"0/1.5"``."""
    return f"{_num(earned)}/{_num(total)}"


def show_value(key: str, value: Any) -> str:
    """One side of a difference: a shape ``16×8×8``, a count ``8,352``, a parameter."""
    if value is None:
        return MISSING
    if key == "shape":
        return fmt_shape(value)
    if key == "inputs":
        return ", ".join(value) if value else "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list | tuple):
        return "(" + ", ".join(show_value("", v) for v in value) + ")"
    return str(value)


def _is_number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def signed(n, compact: bool = False) -> str:
    """``+944``, ``−1,024``; ``compact`` writes large ones short (``+1.2M``)."""
    sign = "+" if n >= 0 else MINUS
    a = abs(n)
    if isinstance(a, float) and not a.is_integer():
        return f"{sign}{a:.3g}"
    a = int(a)
    return sign + (fmt_count(a) if compact else f"{a:,}")


def delta(a, b, compact: bool = False) -> str:
    """The signed change from ``a`` (B) to ``b`` (this design); ``""`` unless both are
    numbers."""
    return signed(b - a, compact) if _is_number(a) and _is_number(b) else ""


def badge_lines(entry: dict[str, Any]) -> list[str]:
    """The lines of a changed node's badge: type, parameters (two at most), inputs,
    shape, then one line of signed changes of RF, params and MACs (always kept: the
    lines above it are cut to :data:`MAX_BADGE_LINES` with "…")."""
    lines = []
    if "type" in entry:
        a, b = entry["type"]
        lines.append(f"type {a} → {b}")
    params = list(entry.get("params", {}).items())
    for name, (a, b) in params[:MAX_BADGE_PARAMS]:
        lines.append(f"{name} {show_value(name, a)} → {show_value(name, b)}")
    if len(params) > MAX_BADGE_PARAMS:
        more = len(params) - MAX_BADGE_PARAMS
        lines.append(f"and {more} more parameter{'s' * (more != 1)}")
    if "inputs" in entry:
        lines.append("inputs rewired")
    if "shape" in entry:
        a, b = entry["shape"]
        lines.append(f"shape {show_value('shape', a)} → {show_value('shape', b)}")
    numbers = []
    for key in _NUMBERS:
        if key in entry:
            a, b = entry[key]
            d = delta(a, b, compact=True)
            numbers.append(f"{LABELS[key]} {d}" if d else
                           f"{LABELS[key]} {show_value(key, a)} → {show_value(key, b)}")
    room = MAX_BADGE_LINES - (1 if numbers else 0)
    if len(lines) > room:  # the signed changes always show: they are what a badge is for
        lines = lines[: room - 1] + ["…"]
    return lines + ([" · ".join(numbers)] if numbers else [])


def entry_rows(entry: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Every difference of a changed node: ``(what, B, this design, Δ)`` rows in the
    engine's order (type, parameters, inputs, shape, RF, params, MACs)."""
    rows = []
    pairs = [("type", entry["type"])] if "type" in entry else []
    pairs += list(entry.get("params", {}).items())
    pairs += [(k, entry[k]) for k in ("inputs", "shape", *_NUMBERS) if k in entry]
    params = entry.get("params", {})
    for key, (a, b) in pairs:
        label = key if key in params else LABELS.get(key, key)
        rows.append((label, show_value(key, a), show_value(key, b),
                     "" if key == "inputs" else delta(a, b)))
    return rows
