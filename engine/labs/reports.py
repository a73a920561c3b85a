"""The reports of ``grade`` (cli.md): text, JSON, Gradescope ``results.json`` and CSV.

Each function returns the whole text (ending in a newline) so that the
command line writes it in one go, to stdout or atomically to a file.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from .grading import Grade
from .rubric import Rubric

__all__ = ["text_report", "json_report", "gradescope_report", "csv_report"]


def _num(v) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def text_report(grades: Sequence[Grade], rubric: Rubric) -> str:
    """A readable report: per submission its score, then each check (PASS/FAIL), what was
    measured, and the hint of a failed check; a class summary when there are several."""
    lines = []
    title = rubric.title or "rubric"
    lines.append(f"{title}: {len(rubric.checks)} checks, {_num(rubric.max_score)} points")
    width = max(len(c.id) for c in rubric.checks)
    pts = max(len(f"{_num(c.points)}/{_num(c.points)}") for c in rubric.checks)
    for g in grades:
        lines.append("")
        head = f"{g.submission}: {_num(g.score)}/{_num(g.max_score)}"
        if g.error is not None:
            lines.append(f"{head}  (not graded: {g.error})")
            continue
        lines.append(head)
        for c in g.checks:
            mark = "PASS" if c.passed else "FAIL"
            score = f"{_num(c.points)}/{_num(c.check.points)}".rjust(pts)
            lines.append(f"  {mark}  {c.id.ljust(width)}  {score}  "
                         f"{c.check.what}: {c.detail}")
            if c.hint:
                lines.append(f"        {' ' * width}  {' ' * pts}  hint: {c.hint}")
    if len(grades) > 1:
        scores = [g.score for g in grades]
        bad = sum(1 for g in grades if g.error is not None)
        full = sum(1 for g in grades if g.error is None and g.score == g.max_score)
        lines.append("")
        lines.append(f"{len(grades)} submissions: mean {sum(scores) / len(scores):.2f}/"
                     f"{_num(rubric.max_score)}, {full} with full marks"
                     + (f", {bad} not graded" if bad else ""))
    return "\n".join(lines) + "\n"


def json_report(grades: Sequence[Grade], ascii: bool = False) -> str:
    """A JSON list, one object per submission (:meth:`Grade.to_json`); ``ascii`` escapes
    every non-ASCII character (for a console that cannot show them)."""
    return json.dumps([g.to_json() for g in grades], indent=2, ensure_ascii=ascii) + "\n"


def gradescope_report(grade: Grade, rubric: Rubric, ascii: bool = False) -> str:
    """Gradescope's ``results.json`` for one submission: ``score``, ``output`` and
    ``tests`` (``name``, ``score``, ``max_score``, ``status``, ``output``), one per check."""
    tests = []
    for c in grade.checks:
        need = c.check.requirement()
        name = f"{c.id}: {c.check.what}" + (f" {need}" if need else "")
        out = c.detail + (f"\nHint: {c.hint}" if c.hint else "")
        tests.append({"name": name, "score": c.points, "max_score": c.check.points,
                      "status": "passed" if c.passed else "failed", "output": out})
    if grade.error is not None:
        summary = f"Your design could not be graded: {grade.error}"
    else:
        summary = f"{rubric.title + ': ' if rubric.title else ''}{_num(grade.score)}/" \
                  f"{_num(grade.max_score)} points"
    data = {"score": grade.score, "output": summary, "tests": tests}
    return json.dumps(data, indent=2, ensure_ascii=ascii) + "\n"


def _cell(text: str) -> str:
    """Text a spreadsheet will not run as a formula (``=``, ``+``, ``-``, ``@`` first)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_report(grades: Sequence[Grade], rubric: Rubric) -> str:
    """One row per submission: ``submission``, ``score``, ``max_score``, ``error``, then
    the points earned on each check (a column per check id, in rubric order)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["submission", "score", "max_score", "error",
                     *(c.id for c in rubric.checks)])
    for g in grades:
        writer.writerow([_cell(g.submission), _num(g.score), _num(g.max_score),
                         _cell(g.error or ""),
                         *(_num(c.points) for c in g.checks)])
    return buf.getvalue()
