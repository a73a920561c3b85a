"""The ``grade`` and ``diff`` commands of ``main.py`` (cli.md): arguments, output
formats and exit codes. The work itself is :mod:`engine.labs`.

``grade SUBMISSION... --rubric R [--format text|json|gradescope|csv] [-o OUT]``
exits 0 once every submission is graded (an unreadable one scores 0 with its
reason) and 2 for an unreadable rubric or a usage error. ``diff A B [--json]``
exits 0 for the same design, 1 for different ones, 2 when either cannot be
read. Failures end in one line on stderr; torch and Qt are never imported.
"""

from __future__ import annotations

import json
import os
import sys

from .atomic import atomic_write_text
from .io import GraphFileError, load_graph
from .labs import (
    RubricError,
    csv_report,
    diff_graphs,
    grade_file,
    gradescope_report,
    json_report,
    load_rubric,
    text_report,
)
from .labs.diff import format_diff

__all__ = ["COMMANDS", "register", "cmd_grade", "cmd_diff"]

COMMANDS = ("grade", "diff")
FORMATS = ("text", "json", "gradescope", "csv")


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _utf8_stdout() -> bool:
    return (sys.stdout.encoding or "").lower().replace("-", "") == "utf8"


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _output_problem(out: str, inputs: list[str]) -> str | None:
    """Why ``out`` must not be written (an input, or a link out of its folder)."""
    for path in inputs:
        if _same_file(out, path):
            return f"{out}: refusing to write over an input ({path})"
    if os.path.isdir(out):
        return f"{out}: is a folder"
    if os.path.islink(out):
        folder = os.path.realpath(os.path.dirname(os.path.abspath(out)))
        if os.path.dirname(os.path.realpath(out)) != folder:
            return f"{out}: is a link out of its folder; refusing to follow it"
    return None


def cmd_grade(args) -> int:
    """``main.py grade``: grade every submission, print or write the report."""
    try:
        rubric = load_rubric(args.rubric)
    except RubricError as exc:
        return _fail(str(exc))
    subs = list(args.submissions)
    if args.format == "gradescope" and len(subs) != 1:
        return _fail(f"--format gradescope takes one submission (got {len(subs)})")
    if args.output is not None:
        problem = _output_problem(args.output, [args.rubric, *subs])
        if problem:
            return _fail(problem)
    grades = []
    many = len(subs) > 1
    for i, path in enumerate(subs, 1):
        grade = grade_file(rubric, path)
        grades.append(grade)
        if many:
            state = f"not graded: {grade.error}" if grade.error else \
                f"{grade.score}/{grade.max_score}"
            print(f"[{i}/{len(subs)}] {path}: {state}", file=sys.stderr)
    ascii = args.output is None and not _utf8_stdout()
    if args.format == "json":
        text = json_report(grades, ascii)
    elif args.format == "gradescope":
        text = gradescope_report(grades[0], rubric, ascii)
    elif args.format == "csv":
        text = csv_report(grades, rubric)
    else:
        text = text_report(grades, rubric)
    if args.output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return 0
    try:
        atomic_write_text(args.output, text)
    except OSError as exc:
        return _fail(f"{args.output}: cannot write: {exc.strerror or exc}")
    print(f"wrote {args.output}")
    return 0


def cmd_diff(args) -> int:
    """``main.py diff``: 0 same design, 1 different, 2 unreadable."""
    graphs = []
    for path in (args.a, args.b):
        try:
            graphs.append(load_graph(path))
        except GraphFileError as exc:
            return _fail(str(exc))
    diff = diff_graphs(*graphs)
    if args.json:
        print(json.dumps(diff.to_json(), indent=2, ensure_ascii=not _utf8_stdout()))
    else:
        sys.stdout.write(format_diff(diff, args.a, args.b))
    return 0 if diff.same else 1


def register(sub) -> None:
    """Add the ``grade`` and ``diff`` sub-parsers to ``sub`` (argparse sub-parsers)."""
    g = sub.add_parser("grade", help="grade designs against a rubric")
    g.add_argument("submissions", nargs="+", metavar="SUBMISSION")
    g.add_argument("--rubric", required=True, metavar="R.rubric.json")
    g.add_argument("--format", choices=FORMATS, default="text")
    g.add_argument("-o", "--output", default=None, metavar="OUT")
    g.set_defaults(func=cmd_grade)
    d = sub.add_parser("diff", help="compare two designs node by node")
    d.add_argument("a", metavar="A")
    d.add_argument("b", metavar="B")
    d.add_argument("--json", action="store_true", help="machine-readable output")
    d.set_defaults(func=cmd_diff)
