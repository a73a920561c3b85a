"""Grading crafted designs (issue 14): every ``what`` of rubric.md passing and failing,
measures that cannot be taken, unreadable submissions. Expected values and scores are
worked out by hand in the comments, not taken from the engine."""

from __future__ import annotations

import json

import pytest

from engine.graph import Graph
from engine.labs import grade_file, grade_graph, rubric_from_dict


def chain(*layers, name="design") -> dict:
    """A graph file dict: ``layers`` are ``(id, type, params)`` fed one into the next."""
    nodes = [{"id": i, "type": t, "params": p} for i, t, p in layers]
    edges = [{"from": a[0], "to": b[0]} for a, b in zip(layers, layers[1:], strict=False)]
    return {"format": "convcanvas-graph", "version": 1, "name": name, "nodes": nodes,
            "edges": edges}


def inp(c, h, w, nid="input"):
    return (nid, "Input", {"channels": c, "height": h, "width": w})


def conv(nid, out, k=3, **kw):
    return (nid, "Conv2d", {"out_channels": out, "kernel_size": k, **kw})


# A: 3x16x16 -> conv 3x3 p1 (8) -> relu -> maxpool 2 -> conv 3x3 d2 p2 (4) -> flatten -> fc 10
#   conv:  8x16x16, params 3*8*9 + 8 = 224, MACs 8*16*16 * 3*9 = 55,296, RF 3
#   pool:  8x8x8, RF 3 + 1 = 4, jump 2
#   conv2: 4x8x8 (effective kernel 5, padding 2), params 8*4*9 + 4 = 292,
#          MACs 4*8*8 * 8*9 = 18,432, RF 4 + (2*2)*2 = 12 (taps 4 apart, each 4 wide: no hole)
#   flat:  256 (global); fc: 10, params 256*10 + 10 = 2,570, MACs 2,560
#   totals: 3,086 params, 76,288 MACs; largest non-global RF 12; no warning
A = chain(inp(3, 16, 16), conv("conv", 8, padding=1), ("relu", "ReLU", {}),
          ("pool", "MaxPool2d", {"kernel_size": 2}), conv("conv2", 4, dilation=2, padding=2),
          ("flat", "Flatten", {}), ("fc", "Linear", {"out_features": 10}))
# B: a 5x5 kernel on a 4x4 input is an error at conv; relu is blocked downstream
B = chain(inp(3, 4, 4), conv("conv", 8, k=5), ("relu", "ReLU", {}))
# C1: 1x32x32 -> two 3x3 convs dilated by 2: RF 1 + 4 + 4 = 9, only even offsets reached
#     (gridding); no stride anywhere
C1 = chain(inp(1, 32, 32), conv("c1", 4, dilation=2), conv("c2", 4, dilation=2))
# C2: 1x9x9 -> 2x2 conv stride 2: (9 - 2) % 2 = 1, the last row and the last column are
#     never read (a stride_drops warning per axis: 2)
C2 = chain(inp(1, 9, 9), conv("c1", 4, k=2, stride=2))


def check(cid, what, points=1, **fields):
    return {"id": cid, "what": what, "points": points, **fields}


#: every what, each of which holds on A (13 points)
PASSING = [
    check("valid", "valid"),
    check("input", "input_shape", equals=[3, 16, 16]),
    check("output", "output_shape", 2, equals=[10]),
    check("rf_node", "rf_size", 2, node="conv2", at_least=12),
    check("rf_any", "rf_size", at_most=12),
    check("params", "total_params", equals=3086),
    check("macs", "total_macs", at_least=76288, at_most=80000),
    check("convs", "count_type", type="Conv2d", at_least=2),
    check("quiet", "no_warning"),
    check("holes", "no_warning", kind="gridding"),
    check("pool", "node_shape", node="pool", equals=[8, 8, 8]),
]
#: the same whats, each just failing on A (by one where there is a boundary)
FAILING = [
    check("input", "input_shape", equals=[1, 16, 16]),
    check("output", "output_shape", 2, equals=[4, 8, 8]),
    check("rf_node", "rf_size", 2, node="conv2", at_least=13),
    check("rf_any", "rf_size", at_least=13),
    check("params", "total_params", at_most=3085),
    check("macs", "total_macs", equals=76289),
    check("convs", "count_type", type="Conv2d", at_most=1),
    check("pool", "node_shape", node="pool", equals=[8, 16, 16]),
]


def rubric(*checks):
    return rubric_from_dict({"format": "convcanvas-rubric", "version": 1,
                             "checks": list(checks)})


def graded(data, *checks):
    grade = grade_graph(rubric(*checks), Graph.from_dict(data), "s")
    return grade, {c.id: c for c in grade.checks}


def test_every_what_holds_on_a_and_is_measured_by_hand():
    grade, by_id = graded(A, *PASSING)
    assert [c.id for c in grade.checks if not c.passed] == []
    assert (grade.score, grade.max_score, grade.error) == (13, 13, None)
    measured = {cid: c.measured for cid, c in by_id.items()}
    assert measured == {"valid": True, "input": [3, 16, 16], "output": [10], "rf_node": 12,
                        "rf_any": 12, "params": 3086, "macs": 76288, "convs": 2, "quiet": 0,
                        "holes": 0, "pool": [8, 8, 8]}
    assert by_id["rf_any"].detail == "12 at conv2 (needs ≤ 12)"
    assert all(c.hint is None for c in grade.checks)


def test_every_what_fails_on_a_with_its_hint():
    checks = [{**c, "hint": f"try {c['id']}"} for c in FAILING]
    grade, by_id = graded(A, *checks)
    assert [c.id for c in grade.checks if c.passed] == []
    assert (grade.score, grade.max_score) == (0, 10)  # 1+2+2+1+1+1+1+1
    assert all(c.hint == f"try {c.id}" and c.points == 0 for c in grade.checks)
    # measured all the same: the values of A
    assert by_id["rf_node"].measured == 12 and by_id["params"].measured == 3086
    assert by_id["output"].detail == "10 (needs 4×8×8)"


def test_valid_and_the_warnings_fail_on_designs_that_break_them():
    grade, by_id = graded(B, check("valid", "valid", 3))
    assert grade.score == 0 and by_id["valid"].measured is False
    assert by_id["valid"].detail.startswith("1 error: ")
    warn = [check("any", "no_warning"), check("grid", "no_warning", 2, kind="gridding"),
            check("drops", "no_warning", 4, kind="stride_drops")]
    grade, by_id = graded(C1, *warn)  # gridding only: 4 of 7
    assert grade.score == 4 and by_id["grid"].measured == 1 and by_id["any"].measured == 1
    assert "gridding" in by_id["grid"].detail
    grade, by_id = graded(C2, *warn)  # stride_drops only: 2 of 7
    assert grade.score == 2 and by_id["drops"].measured == 2


def test_measures_that_cannot_be_taken_fail_and_say_why():
    # on B: input_shape (the Input itself is fine) and count_type can be measured;
    # everything that needs conv's analysis cannot
    checks = [check("input", "input_shape", equals=[3, 4, 4]),       # 1: holds
              check("convs", "count_type", 2, type="Conv2d", equals=1),  # 2: holds
              check("output", "output_shape", equals=[8, 1, 1]),
              check("conv", "node_shape", node="conv", equals=[8, 1, 1]),
              check("rf", "rf_size", node="relu", at_least=1),
              check("nope", "node_shape", node="nope", equals=[1]),
              check("nope_rf", "rf_size", node="nope", at_least=1),
              check("rf_any", "rf_size", at_least=1),
              check("params", "total_params", at_most=10**9),
              check("macs", "total_macs", at_least=0),
              check("quiet", "no_warning")]
    grade, by_id = graded(B, *checks)
    assert (grade.score, grade.max_score) == (3, 12)
    unmeasured = [cid for cid, c in by_id.items() if c.measured is None]
    assert unmeasured == ["output", "conv", "rf", "nope", "nope_rf", "rf_any", "params",
                          "macs", "quiet"]
    assert all(not by_id[c].passed and "cannot be measured" in by_id[c].detail
               for c in unmeasured)
    assert "error upstream (conv:" in by_id["output"].detail
    assert "node conv has an error" in by_id["conv"].detail
    assert 'there is no node "nope"' in by_id["nope"].detail
    assert 'there is no node "nope"' in by_id["nope_rf"].detail
    assert "the graph has errors" in by_id["params"].detail


def test_single_input_and_output_checks_need_exactly_one():
    # two Inputs added together: two inputs, one output
    two_in = chain(inp(1, 4, 4, "a"), ("add", "Add", {}))
    two_in["nodes"].append({"id": "b", "type": "Input",
                            "params": {"channels": 1, "height": 4, "width": 4}})
    two_in["edges"].append({"from": "b", "to": "add", "port": 1})
    # one Input feeding two branches: two outputs
    two_out = chain(inp(1, 4, 4), ("r1", "ReLU", {}))
    two_out["nodes"].append({"id": "r2", "type": "ReLU", "params": {}})
    two_out["edges"].append({"from": "input", "to": "r2"})
    checks = [check("in", "input_shape", equals=[1, 4, 4]),
              check("out", "output_shape", equals=[1, 4, 4])]
    grade, by_id = graded(two_in, *checks)
    assert grade.score == 1 and "2 Input nodes (a, b)" in by_id["in"].detail
    grade, by_id = graded(two_out, *checks)
    assert grade.score == 1 and "2 output nodes (r1, r2)" in by_id["out"].detail


def test_a_global_field_is_left_out_of_the_largest_but_measured_on_its_node():
    # 3x8x8 -> conv 3x3 (RF 3) -> global average pool (RF global: the 8x8 input)
    g = chain(inp(3, 8, 8), conv("conv", 4), ("gap", "AdaptiveAvgPool2d", {}))
    grade, by_id = graded(g, check("any", "rf_size", at_most=3),
                          check("gap", "rf_size", node="gap", equals=8))
    assert grade.score == 2 and by_id["gap"].detail.startswith("8 (global)")


def test_points_add_up_with_fractions_and_zero():
    grade, _ = graded(A, check("a", "valid", 0.5), check("b", "valid", 0),
                      check("c", "input_shape", 2.25, equals=[3, 16, 16]),
                      check("d", "rf_size", 1, at_least=100))
    assert (grade.score, grade.max_score) == (2.75, 3.75)


def test_unreadable_submissions_score_zero_and_the_rest_are_graded(tmp_path):
    r = rubric(*PASSING)
    good = tmp_path / "good.convgraph.json"
    good.write_text(json.dumps(A))
    garbage = tmp_path / "garbage.convgraph.json"
    garbage.write_text("{nope")
    unknown = tmp_path / "unknown.convgraph.json"
    unknown.write_text(json.dumps(chain(inp(3, 8, 8), ("x", "Conv9d", {}))))
    grades = [grade_file(r, p) for p in (garbage, tmp_path / "missing.json", unknown, good)]
    assert [g.score for g in grades] == [0, 0, 0, 13]
    assert all(g.max_score == 13 for g in grades)
    assert "JSON" in grades[0].error and "no such file" in grades[1].error
    assert "Conv9d" in grades[2].error and grades[3].error is None
    for g in grades[:3]:
        assert len(g.checks) == len(PASSING)
        assert all(not c.passed and c.measured is None for c in g.checks)
        data = g.to_json()
        assert data["score"] == 0 and data["error"] == g.error


def test_the_json_form_of_a_grade():
    grade, _ = graded(A, check("rf", "rf_size", 2, node="conv2", at_least=13, hint="dilate"))
    data = grade.to_json()
    assert data == {"submission": "s", "score": 0, "max_score": 2, "error": None,
                    "checks": [{"id": "rf", "passed": False, "points": 0, "max_points": 2,
                                "measured": 12, "hint": "dilate",
                                "detail": "12 (needs ≥ 13)"}]}


@pytest.mark.parametrize("what", ["valid", "input_shape", "output_shape", "rf_size",
                                  "total_params", "total_macs", "count_type", "no_warning",
                                  "node_shape"])
def test_every_what_of_rubric_md_is_covered_both_ways(what):
    assert any(c["what"] == what for c in PASSING)
    covered_failing = [c["what"] for c in FAILING] + ["valid", "no_warning"]
    assert what in covered_failing
