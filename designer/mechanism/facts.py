"""The arithmetic of the shown layer as rich text: its formulas with its own numbers.

Output size per axis, the effective kernel ``d·(k−1)+1``, the parameter count
and the MACs, each as ``engine.mechanics`` writes it with the numbers
substituted, plus the engine's notes on the layer.
"""

from __future__ import annotations

from html import escape

from designer import look
from designer.look import fmt_count_long
from engine.mechanics import Mechanics

__all__ = ["facts_html", "plain_facts"]


def _line(name: str, text: str) -> str:
    return f"<b>{escape(name)}</b>: {escape(text)}"


def facts_html(m: Mechanics, notes: bool = True) -> str:
    """The formulas of ``m`` with its numbers, one per line (rich text)."""
    f = m.formulas
    lines = [_line("Output size", t) for t in f.output_size]
    if f.effective_text:
        lines += [_line("Effective kernel", t) for t in f.effective_text]
    lines.append(_line(f"Parameters (C_in {m.in_channels}, C_out {m.out_channels})",
                       f.params_text) + f" → <b>{fmt_count_long(f.params)}</b>")
    lines.append(_line("MACs", f.macs_text) + f" → <b>{fmt_count_long(f.macs)}</b>")
    if notes and m.notes:
        lines += [look.span(escape(n), look.INK_FAINT) for n in m.notes]
    return "<br>".join(lines)


def plain_facts(m: Mechanics) -> list[str]:
    """The same lines as plain text (the footer of an exported picture)."""
    f = m.formulas
    return [*f.output_size, *f.effective_text, f"params: {f.params_text}", f"MACs: {f.macs_text}"]
