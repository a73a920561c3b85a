"""Teaching labs: rubrics, grading and design diffs (rubric.md, cli.md ``grade``/``diff``).

This package owns rubric parsing and validation (:mod:`.rubric`), measuring a
design's analysis against each check (:mod:`.measure`), grading submissions
(:mod:`.grading`), the reports a teacher reads or uploads (:mod:`.reports`:
text, JSON, Gradescope ``results.json``, CSV) and the node-by-node comparison
of two designs (:mod:`.diff`). Everything is measured on the engine's analysis,
never on a file's text. Torch-free and Qt-free (an import-linter contract).
"""

from .diff import DesignDiff, diff_graphs
from .grading import CheckResult, Grade, grade_file, grade_graph
from .measure import Measure, measure
from .reports import csv_report, gradescope_report, json_report, text_report
from .rubric import WHATS, Check, Rubric, RubricError, load_rubric, rubric_from_dict

__all__ = ["WHATS", "Check", "Rubric", "RubricError", "load_rubric", "rubric_from_dict",
           "Measure", "measure", "CheckResult", "Grade", "grade_graph", "grade_file",
           "text_report", "json_report", "gradescope_report", "csv_report", "DesignDiff",
           "diff_graphs"]
