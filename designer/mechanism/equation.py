"""The sentence under the grids: how the current frame's value is made, numbers filled in.

``y[1,2] = 2·3 + 0·1 + 1·2 + … = 14`` for a convolution, ``max(3, 5, 1, 0) = 5``
for a max pool, ``x[0,1] = 3 adds 3·w to 9 outputs`` for a scatter. Rich
text; numbers through designer.look's formats (:func:`.style.value_text`).
"""

from __future__ import annotations

from html import escape

from designer import look

from .style import value_text
from .walk import Frame, Walk

__all__ = ["equation_html", "MOST_TERMS"]

#: terms written out before "…"
MOST_TERMS = 9


def _ix(a: int, b: int) -> str:
    return f"[{a},{b}]"


def _sum(parts: list[str], n: int) -> str:
    if n > MOST_TERMS:
        parts = parts[:MOST_TERMS - 3] + ["…"] + parts[-2:]
    return " + ".join(parts) if parts else "0"


def equation_html(walk: Walk, frame: Frame, channels: int = 1,
                  from_run: bool = False) -> str:
    """How the frame's value is computed (``channels``: input channels one output
    channel reads; ``from_run``: the values are a run's activations)."""
    m = walk.mech
    mark = look.MARK.darker(120)
    if frame.form == "scatter":
        return _scatter(walk, frame, mark)
    oy, ox = frame.focus
    y = walk.value(oy - walk.lanes[0].out_lo, ox - walk.lanes[1].out_lo)
    head = look.span(f"<b>y{_ix(oy, ox)}</b>", mark)
    value = f"<b>{escape(value_text(y))}</b>"
    terms = frame.terms
    padded = len(frame.window) - len(terms)
    pad_note = look.span(f" (the other {padded} cells of the window are zeros)",
                         look.INK_FAINT) \
        if padded > 0 and m.mechanism != "max_pool" else ""
    if m.mechanism == "max_pool":
        body = f"max({', '.join(value_text(x) for x, _k, _w in terms)})"
        return f"{head} = {escape(body)} = {value}"
    if m.mechanism == "avg_pool":
        div = m.axes[0].extent[oy] * m.axes[1].extent[ox]
        body = f"({_sum([value_text(x) for x, _k, _w in terms], len(terms))}) / {div}"
        return f"{head} = {escape(body)} = {value}{pad_note}"
    if m.mechanism == "upsample":
        parts = [f"{value_text(w, 3)}·{value_text(x)}" for x, _k, w in terms if w]
        return f"{head} = {escape(_sum(parts, len(parts)))} = {value}"
    if walk.kernel is None or from_run:
        taps = len(frame.window)
        reads = f"{taps} taps" + (f" × {channels} input channels" if channels > 1 else "")
        return (f"{head} = Σ w·x over {reads} (+ bias) = {value} "
                + look.span("(the run's value; the kernel weights are the model's)",
                            look.INK_FAINT))
    parts = [f"{value_text(k)}·{value_text(x)}" for x, k, _w in terms]
    return f"{head} = Σ w·x = {escape(_sum(parts, len(parts)))} = {value}{pad_note}"


def _scatter(walk: Walk, frame: Frame, mark) -> str:
    ly, lx = walk.lanes
    iy, ix = int(ly.in_src[frame.focus[0] - ly.in_lo]), int(lx.in_src[frame.focus[1] - lx.in_lo])
    x = frame.terms[0][0]
    head = look.span(f"<b>x{_ix(iy, ix)} = {escape(value_text(x))}</b>", mark)
    oh, ow = walk.mech.output_size
    inside = [(a, b) for a, b, _s, _t in frame.window if 0 <= a < oh and 0 <= b < ow]
    cropped = len(frame.window) - len(inside)
    if walk.mech.mechanism == "unpool":
        if frame.chosen is None:
            return f"{head} has no cell in the output"
        cy, cx = frame.chosen
        return (f"{head} goes back to <b>y{_ix(cy, cx)}</b>, where its max pool found it; "
                f"the other {len(frame.window) - 1} cells of its window stay 0 unless another "
                "value lands there")
    if not inside:
        where = "no output (all its writes are cropped)"
    else:
        ys = sorted({a for a, _ in inside})
        xs = sorted({b for _, b in inside})
        where = f"{len(inside)} outputs y[{ys[0]}..{ys[-1]}, {xs[0]}..{xs[-1]}]"
    text = f"{head} × kernel is added to {where}"
    if cropped:
        text += look.span(f"; {cropped} writes fall on the cropped border (padding p removes "
                          "them)", look.INK_FAINT)
    return text
