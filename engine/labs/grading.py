"""Grading designs against a rubric: one :class:`Grade` per submission.

A submission that cannot be read (or analysed) scores 0 with the reason in
``error``; every check is then reported failed and unmeasured, so reports keep
one column per check. Nothing here raises for a bad submission.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from ..graph import Graph
from ..io import GraphFileError, load_graph
from .measure import Design, measure
from .rubric import Check, Rubric

__all__ = ["CheckResult", "Grade", "grade_graph", "grade_file"]


def _tidy(v):
    return int(v) if isinstance(v, float) and v.is_integer() else v


@dataclass(frozen=True)
class CheckResult:
    """One check graded: ``measured`` is the JSON-ready value (None when it could not be
    taken); ``detail`` says what was measured, or why it could not be."""

    check: Check
    passed: bool
    measured: Any
    detail: str

    @property
    def id(self) -> str:
        """The check's id."""
        return self.check.id

    @property
    def points(self) -> int | float:
        """Points earned: all of the check's points when it holds, else 0."""
        return self.check.points if self.passed else 0

    @property
    def hint(self) -> str | None:
        """The rubric's hint, given only when the check failed."""
        return None if self.passed else self.check.hint

    def to_json(self) -> dict[str, Any]:
        """``id``, ``passed``, ``points``, ``max_points``, ``measured``, ``hint`` (cli.md),
        and ``detail``."""
        return {"id": self.id, "passed": self.passed, "points": _tidy(self.points),
                "max_points": _tidy(self.check.points), "measured": self.measured,
                "hint": self.hint, "detail": self.detail}


@dataclass(frozen=True)
class Grade:
    """The grade of one submission; ``error`` is None, or why it scored 0."""

    submission: str
    checks: tuple[CheckResult, ...]
    max_score: int | float
    error: str | None = None

    @property
    def score(self) -> int | float:
        """The sum of the points of the checks that hold."""
        return _tidy(sum(c.points for c in self.checks))

    def to_json(self) -> dict[str, Any]:
        """``submission``, ``score``, ``max_score``, ``error``, ``checks`` (cli.md)."""
        return {"submission": self.submission, "score": self.score,
                "max_score": self.max_score, "error": self.error,
                "checks": [c.to_json() for c in self.checks]}


def _describe(check: Check, m) -> str:
    if not m.taken:
        return m.why
    need = check.requirement()
    return f"{m.text} (needs {need})" if need else m.text


def grade_graph(rubric: Rubric, graph: Graph, submission: str = "") -> Grade:
    """Grade one design: the graph is analysed once and every check measured on it."""
    design = Design(graph)
    results = []
    for check in rubric.checks:
        m = measure(check, design)
        passed = m.taken and check.holds(m.value)
        results.append(CheckResult(check, passed, m.value, _describe(check, m)))
    return Grade(submission, tuple(results), rubric.max_score)


def failed(rubric: Rubric, submission: str, error: str) -> Grade:
    """The grade of a submission that could not be graded: 0, with ``error``."""
    checks = tuple(CheckResult(c, False, None, f"not graded: {error}") for c in rubric.checks)
    return Grade(submission, checks, rubric.max_score, error)


def grade_file(rubric: Rubric, path: str | os.PathLike) -> Grade:
    """Read and grade one submission file; an unreadable one scores 0 with the reason."""
    name = str(path)
    try:
        graph = load_graph(path)
    except GraphFileError as exc:
        return failed(rubric, name, exc.message)
    try:
        return grade_graph(rubric, graph, name)
    except (RecursionError, MemoryError):
        return failed(rubric, name, "the design is too large to analyse")
    except Exception as exc:  # a bug must not stop the rest of the class being graded
        return failed(rubric, name, f"could not be analysed ({type(exc).__name__}: {exc})")
