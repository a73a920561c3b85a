"""The readable report of ``explain``: formulas, the matrix C and the grids.

Grids print one cell per position: the matrix C with its tap indices (``·``
where an output does not read an input), the overlap counts, and for a
transposed convolution the zero-inserted input (input indices, ``·`` zeros).
Large layers print the formulas and counts only.
"""

from __future__ import annotations

from .grid import Mechanics

__all__ = ["describe", "grid_text"]

#: the largest matrix C printed (rows × columns)
MAX_MATRIX = (64, 64)
#: the largest grid printed per axis
MAX_GRID = 32


def grid_text(values, width: int, blank=None) -> list[str]:
    """Rows of ``values`` (flat, row-major, ``width`` per row), right-aligned;
    ``blank`` prints as ``·``."""
    cells = ["·" if v == blank else str(v) for v in values]
    w = max((len(c) for c in cells), default=1)
    return ["  " + " ".join(c.rjust(w) for c in cells[r:r + width]).rstrip()
            for r in range(0, len(cells), width)]


def _fmt(v) -> str:
    if isinstance(v, tuple):
        return "×".join(map(str, v))
    return str(v)


def describe(m: Mechanics, channels: bool = False) -> str:
    """The people-readable text of ``explain`` (``channels``: list the channel links)."""
    (h, w), (oh, ow) = m.input_size, m.output_size
    lines = [f"{m.type} ({m.mechanism.replace('_', ' ')}), one channel: {h}×{w} → {oh}×{ow}"]
    shown = ", ".join(f"{k} {_fmt(v)}" for k, v in m.params.items()
                      if v is not None and k not in ("out_channels", "bias"))
    lines.append(f"  {shown}")
    f = m.formulas
    lines.append("output size:")
    lines.extend(f"  {t}" for t in f.output_size)
    if f.effective_text:
        lines.append("effective kernel:")
        lines.extend(f"  {t}" for t in f.effective_text)
    lines.append(f"params (C_in {m.in_channels}, C_out {m.out_channels}): {f.params_text}")
    lines.append(f"MACs: {f.macs_text}")
    taps = m.taps
    what = "multiplications with input pixels" if f.params else "reads of input pixels"
    lines.append(f"taps: {len(taps)} {what} over one channel (padding left out)")
    lines.extend(f"note: {n}" for n in m.notes)
    rows, cols = oh * ow, h * w
    if rows <= MAX_MATRIX[0] and cols <= MAX_MATRIX[1]:
        which = "Cᵀ of the conv it transposes" if m.zero_insertion is not None else "C"
        lines.append(f"matrix {which} (rows: {rows} outputs, columns: {cols} inputs; "
                     "tap index, · none):")
        lines.extend(grid_text([t for row in m.matrix() for t in row], cols, blank=-1))
    if oh <= MAX_GRID and ow <= MAX_GRID:
        lines.append("overlap (taps per output):")
        lines.extend(grid_text(m.overlap, ow))
    z = m.zero_insertion
    if z is not None:
        (t, b), (lft, r) = z.padding
        lines.append(f"zero insertion: {z.size[0]}×{z.size[1]} stride-1 input ({z.stride[0]}"
                     f"×{z.stride[1]} apart, padding {t},{b} / {lft},{r}), kernel flipped")
        if z.size[0] <= MAX_GRID and z.size[1] <= MAX_GRID:
            cells = [None] * (z.size[0] * z.size[1])
            for i, pos in z.input_at:
                cells[pos] = i
            lines.extend(grid_text(cells, z.size[1]))
    if m.divisors is not None and oh <= MAX_GRID and ow <= MAX_GRID:
        lines.append("divisor (window cells inside the padded input):")
        lines.extend(grid_text(m.divisors, ow))
    if channels:
        links = m.channel_links
        text = ", ".join(f"{o}←{i}" for o, i in links[:48])
        more = f" … ({len(links)} in all)" if len(links) > 48 else ""
        lines.append(f"channel links (out←in): {text}{more}")
        for name, stage in m.channel_stages:
            lines.append(f"  {name}: {len(stage)} links")
    return "\n".join(lines)
