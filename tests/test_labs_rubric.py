"""Rubric files (rubric.md, issue 14): what is accepted, and a broken rubric's error names
the check's id and the field (``grade`` exit 2)."""

from __future__ import annotations

import json

import pytest

from engine.labs import RubricError, load_rubric, rubric_from_dict
from engine.labs.rubric import rubric_from_json

HEAD = {"format": "convcanvas-rubric", "version": 1}


def rubric(*checks, **top):
    return {**HEAD, "checks": list(checks), **top}


def error_of(data) -> RubricError:
    with pytest.raises(RubricError) as info:
        rubric_from_dict(data, "r.rubric.json")
    return info.value


def test_the_example_of_rubric_md_is_accepted():
    data = rubric(
        {"id": "valid", "points": 1, "what": "valid"},
        {"id": "input", "points": 1, "what": "input_shape", "equals": [3, 32, 32]},
        {"id": "out", "points": 2, "what": "output_shape", "equals": [10]},
        {"id": "rf", "points": 2, "what": "rf_size", "at_least": 31,
         "hint": "stack more 3x3 convs, or dilate one"},
        {"id": "budget", "points": 2, "what": "total_params", "at_most": 50000},
        {"id": "macs", "points": 1, "what": "total_macs", "at_most": 5000000},
        {"id": "dw", "points": 1, "what": "count_type", "type": "DepthwiseSeparableConv2d",
         "at_least": 1},
        {"id": "nofc", "points": 1, "what": "count_type", "type": "Linear", "at_most": 1},
        {"id": "holes", "points": 1, "what": "no_warning", "kind": "gridding"},
        title="Lab 3: a small classifier for 32x32 RGB images")
    r = rubric_from_dict(data)
    assert [c.id for c in r.checks] == ["valid", "input", "out", "rf", "budget", "macs",
                                        "dw", "nofc", "holes"]
    assert r.max_score == 12 and r.title.startswith("Lab 3")
    assert r.checks[3].hint == "stack more 3x3 convs, or dilate one"


def test_defaults_and_optional_fields():
    r = rubric_from_dict(rubric(
        {"id": "a", "what": "valid"},
        {"id": "b", "what": "rf_size", "node": "conv1", "at_least": 3, "at_most": 9,
         "points": 0.5},
        {"id": "c", "what": "node_shape", "node": "conv1", "equals": [8, 4, 4]},
        {"id": "d", "what": "no_warning"},
        {"id": "e", "what": "total_params", "equals": 10}))
    a, b, c, d, e = r.checks
    assert a.points == 1 and a.hint is None
    assert (b.node, b.at_least, b.at_most, b.points) == ("conv1", 3, 9, 0.5)
    assert c.equals == [8, 4, 4] and d.kind is None and e.equals == 10
    assert r.max_score == 4.5
    assert b.holds(3) and b.holds(9) and not b.holds(2) and not b.holds(10)
    assert c.holds((8, 4, 4)) and not c.holds((8, 4, 5))
    assert d.holds(0) and not d.holds(1) and a.holds(True) and not a.holds(False)


BROKEN = [
    # (the check, the field the error must name, a word of the message)
    ({"id": "x", "what": "colour"}, "what", "unknown what"),
    ({"id": "x"}, "what", "missing"),
    ({"id": "x", "what": 3}, "what", "unknown what"),
    ({"id": "x", "what": "valid", "points": -1}, "points", "≥ 0"),
    ({"id": "x", "what": "valid", "points": "2"}, "points", "number"),
    ({"id": "x", "what": "valid", "points": True}, "points", "number"),
    ({"id": "x", "what": "valid", "hint": 4}, "hint", "string"),
    ({"id": "x", "what": "valid", "hnit": "typo"}, "hnit", "unknown field"),
    ({"id": "x", "what": "valid", "equals": True}, "equals", "does not apply"),
    ({"id": "x", "what": "input_shape"}, "equals", "missing"),
    ({"id": "x", "what": "input_shape", "equals": 3}, "equals", "shape"),
    ({"id": "x", "what": "output_shape", "equals": [10, 0]}, "equals", "shape"),
    ({"id": "x", "what": "output_shape", "equals": [10.5]}, "equals", "shape"),
    ({"id": "x", "what": "output_shape", "equals": [10], "at_least": 3}, "at_least",
     "does not apply"),
    ({"id": "x", "what": "node_shape", "equals": [10]}, "node", "missing"),
    ({"id": "x", "what": "node_shape", "node": 5, "equals": [10]}, "node", "string"),
    ({"id": "x", "what": "rf_size"}, "equals", "at_least or at_most"),
    ({"id": "x", "what": "rf_size", "at_least": "31"}, "at_least", "number"),
    ({"id": "x", "what": "rf_size", "equals": [31]}, "equals", "number"),
    ({"id": "x", "what": "total_params", "at_most": None}, "at_most", "number"),
    ({"id": "x", "what": "total_params", "equals": 3, "at_most": 4}, "equals", "alone"),
    ({"id": "x", "what": "total_macs", "at_least": 9, "at_most": 4}, "at_most", "never"),
    ({"id": "x", "what": "total_macs", "kind": "gridding", "at_most": 4}, "kind",
     "does not apply"),
    ({"id": "x", "what": "count_type", "at_least": 1}, "type", "missing"),
    ({"id": "x", "what": "count_type", "type": "Conv2D", "at_least": 1}, "type",
     "unknown layer type"),
    ({"id": "x", "what": "no_warning", "kind": "holes"}, "kind", "unknown warning kind"),
    ({"id": "x", "what": "no_warning", "at_most": 0}, "at_most", "does not apply"),
]


@pytest.mark.parametrize("check,field,words", BROKEN,
                         ids=[f"{c.get('what')}-{f}" for c, f, _ in BROKEN])
def test_a_broken_check_names_its_id_and_field(check, field, words):
    err = error_of(rubric({"id": "ok", "what": "valid"}, check))
    assert (err.check, err.field) == ("x", field)
    text = str(err)
    assert text.startswith("r.rubric.json: ") and 'check "x"' in text
    assert f'field "{field}"' in text and words in text


def test_ids_must_be_present_strings_and_unique():
    err = error_of(rubric({"what": "valid"}))
    assert err.field == "id" and "#1" in str(err)
    err = error_of(rubric({"id": "", "what": "valid"}))
    assert err.field == "id"
    err = error_of(rubric({"id": "a", "what": "valid"}, {"id": "a", "what": "valid"}))
    assert (err.check, err.field) == ("a", "id") and "unique" in str(err)
    err = error_of(rubric("valid"))
    assert err.field == "checks"


@pytest.mark.parametrize("data,field", [
    ([], None), ({**HEAD, "format": "convcanvas-graph", "checks": []}, "format"),
    ({"format": "convcanvas-rubric", "version": 2, "checks": []}, "version"),
    ({**HEAD, "checks": []}, "checks"), ({**HEAD}, "checks"),
    ({**HEAD, "checks": [{"id": "a", "what": "valid"}], "title": 3}, "title"),
    ({**HEAD, "checks": [{"id": "a", "what": "valid"}], "author": "me"}, "author"),
])
def test_top_level_errors_name_the_field(data, field):
    err = error_of(data)
    assert err.check is None and err.field == field


def test_files_that_are_not_rubrics(tmp_path):
    cases = {"missing": None, "empty": b"", "binary": b"\xff\xfe\x00",
             "bad": b"{not json", "nan": json.dumps(
                 rubric({"id": "a", "what": "rf_size", "at_least": 1})).replace(
                 "1}", "NaN}").encode(),
             "twice": b'{"format": "convcanvas-rubric", "version": 1, "version": 1, '
                      b'"checks": []}'}
    for name, content in cases.items():
        path = tmp_path / f"{name}.rubric.json"
        if content is not None:
            path.write_bytes(content)
        with pytest.raises(RubricError) as info:
            load_rubric(path)
        assert str(info.value).startswith(str(path)), name
    with pytest.raises(RubricError, match="folder"):
        load_rubric(tmp_path)


def test_a_rubric_file_round_trip(tmp_path):
    path = tmp_path / "lab.rubric.json"
    path.write_text(json.dumps(rubric({"id": "v", "what": "valid", "points": 3})))
    r = load_rubric(path)
    assert r.path == str(path) and r.max_score == 3
    assert rubric_from_json(path.read_bytes()).checks == r.checks
