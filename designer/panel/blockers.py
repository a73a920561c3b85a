"""What keeps the graph from running, said where a tab would offer to run it.

A tab that needs a run (Maps, ...) shows, while the graph has errors, the
errors that block the run instead of a "Run" button: each names its node as a
link, and a "Show" button per node selects it on the canvas.
"""

from __future__ import annotations

from html import escape

from designer import look

__all__ = ["blockers_message", "show_blockers"]

#: the errors listed (the Problems list has them all)
MOST = 3


def blockers_message(errors, most: int = MOST) -> tuple[str, list[str]]:
    """``(rich text, node ids)``: the errors that keep the graph from running, each
    with a ``node:ID`` link, and the first ``most`` nodes they name."""
    lines = []
    for e in errors[:most]:
        message = e.message
        if e.node and message.startswith(f"{e.node}: "):
            message = message[len(e.node) + 2:]
        where = f"<a href='node:{escape(e.node)}'>{escape(e.node)}</a>: " if e.node else ""
        lines.append(where + escape(message))
    if len(errors) > most:
        lines.append(f"… and {len(errors) - most} more (see the Problems list)")
    them = "it" if len(errors) == 1 else "them"
    text = (f"<b>The graph cannot run</b>: it has {look.plural(len(errors), 'error')}. "
            f"Fix {them} first:<br>" + look.span("<br>".join(lines), look.ERROR))
    ids = list(dict.fromkeys(e.node for e in errors if e.node))[:most]
    return text, ids


def show_blockers(tab, errors, go) -> None:
    """Show :func:`blockers_message` in ``tab`` (a tab with ``show_message`` and a
    ``placeholder``): a link or a "Show ID" button calls ``go(node_id)``."""
    text, ids = blockers_message(errors)
    label = tab.placeholder.label
    label._follow = go  # the latest callback: the link is connected once
    if not getattr(label, "_links_wired", False):
        label.linkActivated.connect(lambda href: _follow(label, href))
        label._links_wired = True
    tab.show_message(text, [(f"Show {nid}", (lambda n=nid: go(n))) for nid in ids])


def _follow(label, href: str) -> None:
    if href.startswith("node:"):
        label._follow(href[len("node:"):])
