"""Errors and warnings that offer their fix (docs/fixes.md). No Qt, no torch.

``fixes_for(graph, result)`` maps the :func:`issue_key` of every error and warning
of an analysis to the :class:`Fix` es that mend it. A fix has a human ``title``
(``Insert Crop2d before add1 (crops 33×33 → 32×32)``), a ``detail``, the ``issue``
key and ``node`` it belongs to, ``edits(graph)``: primitive edits of
:mod:`engine.graph.edits`, applied in one batch and undone by their inverses, and
``preview(graph)``: the analysis the graph would have with it (on a copy). Every
fix offered was checked on a copy: its issue is gone and no new error appears.

Fix kinds:

- a merge of mismatched sizes: ``output_padding`` / ``target_size`` on the
  transposed conv upstream, ``padding`` of the conv or pool upstream, or an
  inserted ``crop`` / ``pad`` (:mod:`.merge`);
- an element-wise merge of mismatched channels: a 1×1 ``projection`` conv and its
  norm (:mod:`.merge`);
- a stride that drops pixels: the padding that reads every pixel
  (``keep_pixels``, :mod:`.window`);
- a kernel larger than its input: the largest kernel (``fit_kernel``) or the
  padding (``fit_padding``) that fits (:mod:`.window`);
- gridding: HDC dilation rates for the stack (``hdc``, :mod:`.gridding`).

Misaligned grids get advice (:func:`advice_for`): where the jumps differ and how
to align them.
"""

from __future__ import annotations

from ..analysis import AnalysisResult, analyze
from ..analysis.result import Issue
from ..graph import Graph
from .base import Fix, issue_key
from .gridding import gridding_fixes, hdc_rates
from .merge import merge_fixes, misaligned_advice
from .window import kernel_fixes, stride_fixes

__all__ = ["Fix", "fixes_for", "fixes_for_issue", "advice_for", "issue_key", "hdc_rates"]

_MAKERS = (merge_fixes, stride_fixes, kernel_fixes, gridding_fixes)


def fixes_for_issue(graph: Graph, result: AnalysisResult, issue: Issue) -> list[Fix]:
    """The fixes of one issue of ``result`` (the analysis of ``graph`` as it is)."""
    out: dict[str, Fix] = {}
    for maker in _MAKERS:
        for fix in maker(graph, result, issue):
            out.setdefault(fix.key, fix)
    return list(out.values())


def fixes_for(graph: Graph, result: AnalysisResult | None = None,
              keys: set[str] | None = None) -> dict[str, list[Fix]]:
    """``{issue key: [Fix, ...]}`` for the issues of ``result`` that have fixes.

    Parameters
    ----------
    graph : Graph
        The graph as analysed.
    result : AnalysisResult, optional
        Its analysis (default: analysed here).
    keys : set of str, optional
        Only these issue keys (:func:`issue_key`), e.g. the one under the pointer.
    """
    result = analyze(graph) if result is None else result
    out: dict[str, list[Fix]] = {}
    for issue in (*result.errors, *result.warnings):
        key = issue_key(issue)
        if keys is not None and key not in keys:
            continue
        have = out.setdefault(key, [])
        seen = {f.key for f in have}
        have += [f for f in fixes_for_issue(graph, result, issue) if f.key not in seen]
    return {k: v for k, v in out.items() if v}


def advice_for(graph: Graph, result: AnalysisResult | None = None) -> dict[str, str]:
    """``{issue key: text}``: how to mend issues no single edit fixes well (misaligned
    grids: where the jumps differ and how to align them)."""
    result = analyze(graph) if result is None else result
    out = {}
    for issue in result.warnings:
        text = misaligned_advice(graph, result, issue)
        if text:
            out[issue_key(issue)] = text
    return out
