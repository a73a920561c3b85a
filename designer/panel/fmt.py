"""What the panel's tabs write about arrays and runs: statistics tables, pictures of
tensors, what the Inputs receive, the note on stale results.

Numbers, shapes and colours come from :mod:`designer.look` (``fmt_num``,
``fmt_shape``).
"""

from __future__ import annotations

import re
from html import escape, unescape

import numpy as np

from designer.look import INK_FAINT, WARNING, fmt_num, plural, span

__all__ = ["stats", "stats_html", "WIDEST_STATS", "STALE_NOTE", "picture", "inputs_html",
           "errors_text", "one_line", "plain", "muted"]


def stats(a: np.ndarray) -> dict[str, float]:
    """min, max, mean, std and the fraction of exact zeros of ``a``."""
    a = np.asarray(a, dtype=np.float32)
    if a.size == 0:
        return {"min": 0.0, "max": 0.0, "mean": 0.0, "std": 0.0, "zeros": 0.0}
    return {"min": float(a.min()), "max": float(a.max()), "mean": float(a.mean()),
            "std": float(a.std()), "zeros": float(np.count_nonzero(a == 0) / a.size)}


#: appended to a tab's title when its results predate the last change
STALE_NOTE = " " + span("· from before the last change of the graph, weights or image: "
                        "run again", WARNING)

#: statistics whose :func:`stats_html` cells are as wide as any can be (for sizing)
WIDEST_STATS = {"min": -8.888e-88, "max": -8.888e-88, "mean": -8.888e-88,
                "std": -8.888e-88, "zeros": 1.0}


def stats_html(columns: list[tuple[str, dict[str, float]]]) -> str:
    """Statistics (from :func:`stats`) side by side as a small HTML table.

    Parameters
    ----------
    columns : list of (str, dict)
        Column title and statistics, e.g. ``[("channel 3", stats(m)), ("layer", ...)]``.
    """
    head = "<tr><td></td>" + "".join(
        f"<td align='right' style='padding-left:8px'><b>{t}</b></td>" for t, _ in columns) \
        + "</tr>"
    rows = []
    for key in ("min", "max", "mean", "std", "zeros"):
        cells = "".join(
            f"<td align='right' style='padding-left:8px'>"
            f"{f'{100 * s[key]:.0f} %' if key == 'zeros' else fmt_num(s[key])}</td>"
            for _, s in columns)
        rows.append(f"<tr><td style='color:{INK_FAINT.name()}'>{key}</td>{cells}</tr>")
    return f"<table cellspacing='0'>{head}{''.join(rows)}</table>"


def picture(a: np.ndarray) -> np.ndarray:
    """A drawable picture of ``[C, H, W]``: RGB for 3 channels in [0, 1], else the mean."""
    if a.ndim == 3 and a.shape[0] == 3 and float(a.min()) >= 0 and float(a.max()) <= 1:
        return a.transpose(1, 2, 0)
    if a.ndim == 3:
        return a.mean(axis=0)
    return a


def inputs_html(sources: dict[str, str], image_name: str, seed: int) -> str:
    """What the Inputs of a run receive, as rich text for a status line.

    Parameters
    ----------
    sources : dict
        Input id -> ``"image"``, ``"random"`` (seeded noise: Inputs with a
        depth or with other than 1 or 3 channels) or ``"given"``, as in
        :attr:`engine.runtime.RunResult.input_sources`.
    image_name : str
        The image file.
    seed : int
        The seed of the random values.

    Examples
    --------
    ``<b>scene.png</b>``; ``seeded random values for <b>clip</b> (seed 0)``;
    ``<b>scene.png</b> (rgb) and seeded random values for <b>depth</b> (seed 0)``.
    """
    def ids(kind: str) -> list[str]:
        return [i for i, k in sources.items() if k == kind]

    def names(items: list[str]) -> str:
        return ", ".join(f"<b>{escape(i)}</b>" for i in items)

    image, noise, given = ids("image"), ids("random"), ids("given")
    parts = []
    if image:
        part = f"<b>{escape(image_name)}</b>"
        if noise or given:
            part += " (" + ", ".join(escape(i) for i in image) + ")"
        parts.append(part)
    if noise:
        parts.append(f"seeded random values for {names(noise)} (seed {seed})")
    if given:
        parts.append(f"given tensors for {names(given)}")
    return " and ".join(parts) if parts else f"<b>{escape(image_name)}</b>"


def errors_text(errors, most: int = 3) -> str:
    """``"the graph has 2 errors: conv1: message; conv2: message"`` (plain text)."""
    n = len(errors)
    shown = [e.message if not e.node or e.message.startswith(f"{e.node}: ")
             else f"{e.node}: {e.message}" for e in errors[:most]]
    more = f" (and {n - most} more)" if n > most else ""
    return f"the graph has {plural(n, 'error')}: {'; '.join(shown)}{more}"


def one_line(text: str) -> str:
    """``text`` with its line breaks folded into spaces."""
    return " ".join(text.split())


def muted(html: str) -> str:
    """``html`` in the muted ink of hints and notes."""
    return span(html, INK_FAINT)


def plain(html: str) -> str:
    """Rich text without its tags and entities."""
    return unescape(re.sub(r"<[^>]+>", "", html))
