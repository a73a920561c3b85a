"""The analysis as separate passes: each redoes only what an edit reaches, the fast
record constructor makes what the dataclass constructors make, the analysis names
no layer type but Input, and each of its modules owns one job."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

from engine import CATALOGUE, Analyzer, Graph, analyze
from engine.analysis.result import RF, NodeResult

ANALYSIS = Path(__file__).resolve().parents[1] / "engine" / "analysis"


def branching_graph() -> Graph:
    g = Graph("branches")
    g.add_node("Input", {"channels": 3, "height": 17, "width": 17}, "x")
    g.add_node("Conv2d", {"out_channels": 4, "kernel_size": 3, "stride": 2}, "a")
    g.add_node("Conv2d", {"out_channels": 4, "kernel_size": 5, "stride": 2, "padding": 1}, "b")
    g.add_node("Concat", {}, "cat")
    g.add_node("ReLU", {}, "relu")
    g.add_node("Conv2d", {"out_channels": 2, "kernel_size": 3, "dilation": 2}, "d")
    for src, dst, port in [("x", "a", 0), ("x", "b", 0), ("a", "cat", 0), ("b", "cat", 1),
                           ("cat", "relu", 0), ("relu", "d", 0)]:
        g.connect(src, dst, port)
    return g


def test_fast_records_equal_the_constructed_ones():
    res = analyze(branching_graph())
    for r in res.nodes.values():
        names = [f.name for f in dataclasses.fields(NodeResult)]
        assert list(vars(r)) == names
        again = NodeResult(**vars(r))
        assert again == r and repr(again) == repr(r)
        for rf in r.rf_by_input.values():
            assert list(vars(rf)) == [f.name for f in dataclasses.fields(RF)]
            assert RF(**vars(rf)) == rf and repr(RF(**vars(rf))) == repr(rf)
    for cls in (NodeResult, RF):  # what _record relies on
        assert not hasattr(cls, "__post_init__") and not hasattr(cls, "__slots__")


def test_each_pass_redoes_only_what_the_edit_reaches():
    g = branching_graph()
    an = Analyzer(g)
    an.result()
    assert an.recomputed == len(g)
    g.set_param("d", "bias", False)  # the cost changes, nothing else
    assert an.result().nodes["d"].params == 2 * 8 * 9  # no bias any more
    assert an.recomputed == 1
    g.set_param("b", "kernel_size", 4)  # the field changes, not the shapes
    r = an.result()
    assert an.recomputed == 4  # b, cat, relu, d
    assert r.to_json() == analyze(g).to_json()
    g.set_param("a", "out_channels", 6)  # the shapes change up to d, whose output does not
    r = an.result()
    assert an.recomputed == 4  # a, cat, relu, d
    assert r.to_json() == analyze(g).to_json()
    an.close()


def test_gridding_is_warned_before_a_layer_that_ends_the_grid():
    g = Graph("grid")
    g.add_node("Input", {"channels": 1, "height": 32, "width": 32}, "x")
    src = "x"
    for i in range(3):
        g.add_node("Conv2d", {"out_channels": 1, "kernel_size": 3, "dilation": 2}, f"c{i}")
        g.connect(src, f"c{i}")
        src = f"c{i}"
    g.add_node("ReLU", {}, "relu")
    g.connect(src, "relu")

    def gridded():
        return [w.node for w in analyze(g).warnings if "gridding" in w.message]

    assert gridded() == ["relu"]  # the output
    ends = next(t for t, k in CATALOGUE.items() if k.ends_spatial and t != "Linear")
    g.add_node(ends, {}, "end")
    g.connect("c2", "end")
    assert gridded() == ["c2", "relu"]


def _strings(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef)) and n.body
            and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
            and isinstance(n.value, str) and id(n) not in docs}


def test_the_analysis_names_no_layer_type_but_input():
    types = set(CATALOGUE) - {"Input"}
    for path in ANALYSIS.glob("*.py"):
        named = {t for s in _strings(path) for t in types if t in s}
        assert not named, f"{path.name} names {named}"


def test_each_analysis_module_says_what_it_owns_and_stays_short():
    for path in ANALYSIS.glob("*.py"):
        text = path.read_text()
        assert ast.get_docstring(ast.parse(text)), path.name
        assert len(text.splitlines()) <= 300, path.name


def test_each_warning_says_its_kind():
    """cli.md: every warning of ``analyze --json`` has a ``kind``."""
    from engine import Graph, analyze

    g = Graph("warned")
    g.add_node("Input", {"channels": 1, "height": 8, "width": 8}, "x")
    # (8 − 2) % 4 = 2: the last 2 pixels are never read
    g.add_node("Conv2d", {"out_channels": 2, "kernel_size": 2, "stride": 4}, "drops")
    # 4×4 twice, on grids 2 and 1 pixels apart
    g.add_node("Conv2d", {"out_channels": 2, "kernel_size": 2, "stride": 2}, "halved")
    g.add_node("Conv2d", {"out_channels": 2, "kernel_size": 5}, "same")
    g.add_node("Add", {}, "merge")
    for src, dst, port in [("x", "drops", 0), ("x", "halved", 0), ("x", "same", 0),
                           ("same", "merge", 0), ("halved", "merge", 1)]:
        g.connect(src, dst, port)
    kinds = {(w["node"], w["kind"]) for w in analyze(g).to_json()["warnings"]}
    assert ("drops", "stride_drops") in kinds
    assert ("merge", "misaligned") in kinds
