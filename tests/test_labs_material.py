"""The three ready labs of resources/labs (issue 14): each has a valid rubric, a starter
that does not yet score full marks, a reference that does, and a task text."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from engine.graph import Graph
from engine.io import load_graph
from engine.labs import grade_file, grade_graph, load_rubric

LABS = Path(__file__).resolve().parent.parent / "resources" / "labs"
#: lab -> the checks its starter fails
STARTER_FAILS = {"rf_budget": ["rf"], "upsample": ["output", "two_stages"],
                 "dilated": ["no_gridding"]}


@pytest.mark.parametrize("lab", sorted(STARTER_FAILS))
def test_each_lab_is_complete(lab):
    folder = LABS / lab
    rubric = load_rubric(folder / f"{lab}.rubric.json")
    assert rubric.title and all(c.hint for c in rubric.checks)
    task = (folder / "task.md").read_text(encoding="utf-8")
    assert task.startswith("# ") and f"{lab}.rubric.json" in task
    reference = grade_file(rubric, folder / "reference.convgraph.json")
    assert reference.error is None
    assert reference.score == reference.max_score, [c.detail for c in reference.checks]
    starter = grade_file(rubric, folder / "starter.convgraph.json")
    assert starter.error is None
    assert [c.id for c in starter.checks if not c.passed] == STARTER_FAILS[lab]
    assert 0 < starter.score < starter.max_score
    assert lab in (LABS / "README.md").read_text(encoding="utf-8")


def test_lab_1_budget_and_field_pull_against_each_other():
    rubric = load_rubric(LABS / "rf_budget" / "rf_budget.rubric.json")
    data = load_graph(LABS / "rf_budget" / "reference.convgraph.json").to_dict()
    wide = copy.deepcopy(data)  # the same field with 32-channel convs: over budget
    for node in wide["nodes"]:
        if "out_channels" in node["params"]:
            node["params"]["out_channels"] = 32
    grade = grade_graph(rubric, Graph.from_dict(wide))
    assert [c.id for c in grade.checks if not c.passed] == ["budget"]


def test_lab_3_gridding_is_what_the_rubric_catches():
    rubric = load_rubric(LABS / "dilated" / "dilated.rubric.json")
    data = load_graph(LABS / "dilated" / "reference.convgraph.json").to_dict()
    for node, d in zip([n for n in data["nodes"] if n["type"] == "Conv2d"], (2, 2, 4, 8),
                       strict=True):
        node["params"].update(dilation=d, padding=d)  # common factor 2: holes
    grade = grade_graph(rubric, Graph.from_dict(data))
    assert [c.id for c in grade.checks if not c.passed] == ["no_gridding"]


def test_lab_2_rubric_cannot_see_checkerboard_overlap():
    """docs/teaching.md says so: rubric.md has no ``what`` for "kernel divisible by
    stride", so a 3x3 stride-2 design with the right shapes scores full marks and the
    overlap is checked by hand. When a ``what`` for it exists, this test must change."""
    rubric = load_rubric(LABS / "upsample" / "upsample.rubric.json")
    data = load_graph(LABS / "upsample" / "reference.convgraph.json").to_dict()
    for node in data["nodes"]:
        if node["id"] in ("up1", "up2"):
            node["params"].update(kernel_size=3, output_padding=1)  # uneven overlap
    grade = grade_graph(rubric, Graph.from_dict(data))
    assert grade.score == grade.max_score
    teaching = (LABS.parent.parent / "docs" / "teaching.md").read_text(encoding="utf-8")
    assert "checkerboard" in teaching and "cannot" in teaching
