"""``main.py grade`` (cli.md, issue 14): the four formats, exit codes, progress, ``-o``.

Most tests call ``engine.cli.main`` in-process (fast); one subprocess checks that
grading imports neither torch nor Qt.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import main

from .test_labs_grade import PASSING, A, B, chain, check, conv, inp

ROOT = Path(__file__).resolve().parent.parent

#: Gradescope's documented results.json fields (gradescope-autograders.readthedocs.io,
#: "Autograder Specifications", output format)
GS_TOP = {"score", "execution_time", "output", "output_format", "test_output_format",
          "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests",
          "leaderboard"}
GS_TEST = {"score", "max_score", "status", "name", "name_format", "number", "output",
           "output_format", "tags", "visibility", "extra_data"}


def validate_gradescope(data: dict) -> None:
    """Raise AssertionError unless ``data`` is a results.json Gradescope accepts."""
    assert isinstance(data, dict) and set(data) <= GS_TOP, set(data) - GS_TOP
    assert isinstance(data["score"], int | float) and not isinstance(data["score"], bool)
    assert isinstance(data.get("output", ""), str)
    assert isinstance(data["tests"], list) and data["tests"]
    for t in data["tests"]:
        assert set(t) <= GS_TEST, set(t) - GS_TEST
        assert {"name", "score", "max_score", "output"} <= set(t)
        assert isinstance(t["name"], str) and t["name"]
        assert isinstance(t["output"], str)
        for key in ("score", "max_score"):
            assert isinstance(t[key], int | float) and not isinstance(t[key], bool)
        assert 0 <= t["score"] <= t["max_score"]
        assert t.get("status", "passed") in ("passed", "failed")
    assert data["score"] == sum(t["score"] for t in data["tests"])


@pytest.fixture
def lab(tmp_path):
    """A rubric (every what, 13 points on A) and three submissions: A (13), B (an error:
    valid, rf_any, params, macs, quiet, holes, output, rf_node, pool fail; input fails too
    (3x4x4); convs fails (one Conv2d): 0), and an unreadable one."""
    rubric = tmp_path / "lab.rubric.json"
    rubric.write_text(json.dumps({"format": "convcanvas-rubric", "version": 1,
                                  "title": "Test lab", "checks": PASSING}))
    subs = []
    for name, data in (("alice", A), ("bob", B)):
        path = tmp_path / f"{name}.convgraph.json"
        path.write_text(json.dumps(data))
        subs.append(str(path))
    bad = tmp_path / "carol.convgraph.json"
    bad.write_text("not json")
    subs.append(str(bad))
    return tmp_path, str(rubric), subs


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_lists_every_submission_and_never_stops(lab, capsys):
    _, rubric, subs = lab
    code, out, err = run(capsys, "grade", *subs, "--rubric", rubric, "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert [d["submission"] for d in data] == subs
    assert [(d["score"], d["max_score"]) for d in data] == [(13, 13), (0, 13), (0, 13)]
    assert data[0]["error"] is None and data[1]["error"] is None
    assert "JSON" in data[2]["error"]
    for d in data:
        assert set(d) == {"submission", "score", "max_score", "error", "checks"}
        for c in d["checks"]:
            assert {"id", "passed", "points", "max_points", "measured", "hint"} <= set(c)
    # progress for many on stderr, one line per submission
    lines = err.strip().splitlines()
    assert len(lines) == 3 and lines[0].startswith("[1/3]") and "13/13" in lines[0]
    assert "not graded" in lines[2]


def test_text_report(lab, capsys):
    _, rubric, subs = lab
    code, out, err = run(capsys, "grade", subs[0], "--rubric", rubric)
    assert code == 0 and err == ""  # one submission: no progress
    assert out.splitlines()[0] == "Test lab: 11 checks, 13 points"
    assert f"{subs[0]}: 13/13" in out and "PASS  rf_node" in out
    code, out, _ = run(capsys, "grade", *subs, "--rubric", rubric, "--format", "text")
    assert "FAIL  valid" in out and "not graded" in out
    assert out.strip().splitlines()[-1].startswith("3 submissions: mean 4.33/13")


def test_csv_has_a_row_per_student_and_a_column_per_check(lab, capsys):
    _, rubric, subs = lab
    code, out, _ = run(capsys, "grade", *subs, "--rubric", rubric, "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["submission", "score", "max_score", "error",
                       *(c["id"] for c in PASSING)]
    assert [r[:3] for r in rows[1:]] == [[subs[0], "13", "13"], [subs[1], "0", "13"],
                                         [subs[2], "0", "13"]]
    assert rows[1][4:] == ["1", "1", "2", "2", "1", "1", "1", "1", "1", "1", "1"]
    assert rows[3][3] and set(rows[3][4:]) == {"0"}


def test_gradescope_results_validate(lab, capsys):
    tmp, rubric, subs = lab
    for sub, score in ((subs[0], 13), (subs[1], 0), (subs[2], 0)):
        code, out, _ = run(capsys, "grade", sub, "--rubric", rubric, "--format",
                           "gradescope")
        assert code == 0
        data = json.loads(out)
        validate_gradescope(data)
        assert data["score"] == score and len(data["tests"]) == len(PASSING)
    assert "could not be graded" in data["output"]
    # a failed check's output carries the measure and the hint
    rubric2 = tmp / "hint.rubric.json"
    rubric2.write_text(json.dumps({"format": "convcanvas-rubric", "version": 1, "checks": [
        check("rf", "rf_size", 2, at_least=31, hint="dilate")]}))
    code, out, _ = run(capsys, "grade", subs[0], "--rubric", rubric2, "--format",
                       "gradescope")
    test = json.loads(out)["tests"][0]
    assert test == {"name": "rf: rf_size ≥ 31", "score": 0, "max_score": 2,
                    "status": "failed", "output": "12 at conv2 (needs ≥ 31)\nHint: dilate"}


def test_gradescope_takes_one_submission(lab, capsys):
    _, rubric, subs = lab
    code, out, err = run(capsys, "grade", *subs[:2], "--rubric", rubric, "--format",
                         "gradescope")
    assert code == 2 and out == "" and "one submission" in err.splitlines()[-1]


def test_an_unreadable_rubric_exits_2_naming_the_check_and_field(lab, capsys):
    tmp, _, subs = lab
    bad = tmp / "bad.rubric.json"
    bad.write_text(json.dumps({"format": "convcanvas-rubric", "version": 1, "checks": [
        {"id": "rf", "what": "rf_size", "at_least": "31"}]}))
    code, out, err = run(capsys, "grade", subs[0], "--rubric", bad)
    assert code == 2 and out == ""
    assert err.strip().splitlines()[-1] == (f'error: {bad}: check "rf", field "at_least": '
                                            'must be a number, not "31"')
    code, _, err = run(capsys, "grade", subs[0], "--rubric", tmp / "missing.rubric.json")
    assert code == 2 and "no such file" in err


def test_output_file_is_written_and_never_over_an_input(lab, capsys):
    tmp, rubric, subs = lab
    out_file = tmp / "grades.csv"
    code, out, _ = run(capsys, "grade", *subs, "--rubric", rubric, "--format", "csv",
                       "-o", out_file)
    assert code == 0 and out == f"wrote {out_file}\n"
    assert out_file.read_text().startswith("submission,score")
    before = Path(rubric).read_bytes(), Path(subs[0]).read_bytes()
    for target in (rubric, subs[0]):
        code, _, err = run(capsys, "grade", subs[0], "--rubric", rubric, "-o", target)
        assert code == 2 and "refusing to write over an input" in err
    link = tmp / "link.json"
    link.symlink_to(subs[0])
    code, _, err = run(capsys, "grade", subs[0], "--rubric", rubric, "-o", link)
    assert code == 2 and "input" in err
    assert (Path(rubric).read_bytes(), Path(subs[0]).read_bytes()) == before
    code, _, err = run(capsys, "grade", subs[0], "--rubric", rubric, "-o",
                       tmp / "no" / "such" / "dir.json")
    assert code == 2 and "cannot write" in err
    code, _, err = run(capsys, "grade", subs[0], "--rubric", rubric, "-o", tmp)
    assert code == 2 and "folder" in err


def test_a_link_out_of_the_folder_is_not_followed(lab, tmp_path_factory, capsys):
    tmp, rubric, subs = lab
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "theirs.json"
    elsewhere.write_text("keep")
    link = tmp / "out.json"
    link.symlink_to(elsewhere)
    code, _, err = run(capsys, "grade", subs[0], "--rubric", rubric, "-o", link)
    assert code == 2 and "link" in err and elsewhere.read_text() == "keep"


def test_a_failed_write_keeps_the_old_file(lab, capsys, monkeypatch):
    from .fs_faults import make_folder_read_only  # refuses for root too (CI runs as root)

    tmp, rubric, subs = lab
    folder = tmp / "ro"
    folder.mkdir()
    target = folder / "grades.json"
    target.write_text("old")
    make_folder_read_only(monkeypatch, folder)
    try:
        code, _, err = run(capsys, "grade", subs[0], "--rubric", rubric, "-o", target)
    finally:
        folder.chmod(0o700)
    assert code == 2 and "cannot write" in err and target.read_text() == "old"
    assert sorted(p.name for p in folder.iterdir()) == ["grades.json"]


def test_grade_and_diff_import_neither_torch_nor_qt(lab):
    _, rubric, subs = lab
    code = ("import sys\nfrom engine.cli import main\n"
            f"main(['grade', *{subs!r}, '--rubric', {rubric!r}, '--format', 'json'])\n"
            f"main(['diff', {subs[0]!r}, {subs[1]!r}])\n"
            "bad = [m for m in ('torch', 'PySide6', 'pyqtgraph') if m in sys.modules]\n"
            "print('LOADED', bad, file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert "LOADED []" in proc.stderr, proc.stderr


def test_many_submissions_one_of_which_has_a_warning(tmp_path, capsys):
    rubric = tmp_path / "r.rubric.json"
    rubric.write_text(json.dumps({"format": "convcanvas-rubric", "version": 1, "checks": [
        check("quiet", "no_warning", 2), check("one", "count_type", type="Conv2d",
                                               equals=1)]}))
    paths = []
    for i, stride in enumerate((1, 2, 1)):  # 9x9, k2: stride 2 drops a pixel per axis
        p = tmp_path / f"s{i}.convgraph.json"
        p.write_text(json.dumps(chain(inp(1, 9, 9), conv("c", 2, k=2, stride=stride))))
        paths.append(p)
    code, out, _ = run(capsys, "grade", *paths, "--rubric", rubric, "--format", "json")
    assert [d["score"] for d in json.loads(out)] == [3, 1, 3]


def test_main_py_dispatches_grade_and_diff():
    proc = subprocess.run([sys.executable, "main.py", "diff", "x.json", "y.json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "no such file" in proc.stderr
