"""One-click fixes in the designer: the undo command, the hover preview, the menus.

The engine works out what mends an error or warning (:mod:`engine.fixes`); this
module turns a :class:`engine.fixes.Fix` into what a person uses:

* :class:`FixCommand`: the fix's primitive edits as one undoable step;
* :func:`preview_text`: what the graph would look like with the fix (each node
  whose shape or receptive field would change, before → after), shown on hover;
* :class:`FixFinder`: the fixes of a document's current analysis, worked out once
  per graph revision (each candidate is checked on a copy, so it is not free);
* :func:`add_fix_actions`: the fixes of one node as entries of a context menu.
"""

from __future__ import annotations

import html
from collections.abc import Iterator

from designer.commands import GraphCommand, push_edit
from engine.fixes import Fix, advice_for, fixes_for, issue_key
from engine.fixes.base import changed_lines
from engine.graph import Edit

__all__ = ["FixCommand", "FixFinder", "apply_fix", "preview_text", "add_fix_actions"]

#: at most this many issues get their fixes worked out (each is analysed on copies)
MAX_ISSUES = 40


class FixCommand(GraphCommand):
    """Apply one fix: its edits, worked out on the first redo, as one undo step.

    Parameters
    ----------
    graph : engine.Graph
        The document's graph.
    fix : engine.fixes.Fix
        The fix to apply.
    """

    def __init__(self, graph, fix: Fix, parent: GraphCommand | None = None):
        super().__init__(graph, f"Fix: {fix.title}", parent)
        self.fix = fix

    def steps(self) -> Iterator[Edit]:
        """The fix's primitive edits (for the graph as it is when first applied)."""
        yield from self.fix.edits(self.graph)


def apply_fix(doc, fix: Fix) -> str | None:
    """Push ``fix`` onto ``doc``'s undo stack; the refusal message, or None."""
    return push_edit(doc.undo_stack, FixCommand(doc.graph, fix))


def preview_text(doc, fix: Fix, rich: bool = True) -> str:
    """What the fix would give, for a tooltip: its title and detail, then one line per
    node whose shape or receptive field would change (``add1: ? → 4×16×16 · RF 7×7``),
    and the error count before → after."""
    graph, before = doc.graph, doc.result()
    try:
        after = fix.preview(graph)
    except Exception as exc:  # the graph changed under the fix: say so, do not fail
        return f"{fix.title}\n(cannot preview: {exc})"
    lines = changed_lines(before, after) or ["no shape or receptive field changes"]
    lines.append(f"errors {len(before.errors)} → {len(after.errors)}, "
                 f"warnings {len(before.warnings)} → {len(after.warnings)}")
    if not rich:
        return "\n".join([fix.title, fix.detail, "", "With this fix:", *lines])
    body = "<br>".join(html.escape(t) for t in lines)
    return (f"<b>{html.escape(fix.title)}</b><br><i>{html.escape(fix.detail)}</i>"
            f"<br><br>With this fix:<br><tt>{body}</tt>")


class FixFinder:
    """The fixes and advice of a document's current analysis, cached per revision.

    Parameters
    ----------
    doc : designer.document.Document
        The document whose graph and analysis are read.
    """

    def __init__(self, doc):
        self.doc = doc
        self._revision: int | None = None
        self._fixes: dict[str, list[Fix]] = {}
        self._advice: dict[str, str] = {}

    def _refresh(self) -> None:
        graph = self.doc.graph
        if self._revision == graph.revision:
            return
        result = self.doc.result()
        issues = [*result.errors, *result.warnings][:MAX_ISSUES]
        keys = {issue_key(i) for i in issues}
        try:
            self._fixes = fixes_for(graph, result, keys)
            self._advice = advice_for(graph, result)
        except Exception:  # a fix maker tripped on an odd graph: offer none, never fail
            self._fixes, self._advice = {}, {}
        self._revision = graph.revision

    def fixes(self, key: str) -> list[Fix]:
        """The fixes of the issue with :func:`engine.fixes.issue_key` ``key``."""
        self._refresh()
        return list(self._fixes.get(key, ()))

    def advice(self, key: str) -> str | None:
        """Advice text for an issue no single edit mends (misaligned grids)."""
        self._refresh()
        return self._advice.get(key)

    def of_node(self, node_id: str) -> list[Fix]:
        """Every fix of the issues at ``node_id``, in the analysis' order."""
        self._refresh()
        return [f for fixes in self._fixes.values() for f in fixes if f.node == node_id]


def add_fix_actions(menu, doc, node_id: str, on_message=None) -> int:
    """Add the fixes of ``node_id``'s issues to ``menu`` (a QMenu); returns how many.

    Each entry applies its fix as one undo step; its tooltip previews the result.
    ``on_message`` receives a refusal message, if any.
    """
    result = doc.result()
    keys = {issue_key(i) for i in result.issues_of(node_id)}
    if not keys:
        return 0
    try:
        found = fixes_for(doc.graph, result, keys)
    except Exception:  # a fix maker tripped on an odd graph: offer none, never fail
        return 0
    fixes = [f for fs in found.values() for f in fs]
    if not fixes:
        return 0
    menu.setToolTipsVisible(True)
    menu.addSection("Fix")
    for fix in fixes:
        action = menu.addAction(fix.title)
        action.setToolTip(preview_text(doc, fix, rich=False))

        def run(_checked=False, fix=fix):
            message = apply_fix(doc, fix)
            if message and on_message is not None:
                on_message(message)
        action.triggered.connect(run)
    return len(fixes)
