#!/usr/bin/env python3
"""Grading a class: 200 submissions in one ``grade`` command (issue 14: under 10 s).

Writes 200 submissions into a temporary folder and times the whole command
(``engine.cli.main(["grade", ... "--format", "csv", "-o", OUT])`` in a fresh
interpreter: start-up, reading the rubric and every file, analysis, report,
atomic write). Two classes:

* ``lab``: variants of lab 1 (``resources/labs/rf_budget``): the reference
  and the starter with random widths and extra convs, a few broken or
  unreadable files, graded against its rubric;
* ``large``: 200 copies of ``resources/examples/classifier_tour`` (the largest
  example, every layer family) with random widths, graded against a rubric
  that uses every ``what`` of rubric.md.

Run: ``.venv/bin/python bench/grade.py [--n 200] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
LAB = HERE / "resources" / "labs" / "rf_budget"
TOUR = HERE / "resources" / "examples" / "classifier_tour.convgraph.json"
EVERY_WHAT = {"format": "convcanvas-rubric", "version": 1, "title": "every what", "checks": [
    {"id": "valid", "what": "valid"},
    {"id": "input", "what": "input_shape", "equals": [3, 128, 128]},
    {"id": "output", "what": "output_shape", "equals": [10]},
    {"id": "rf", "what": "rf_size", "at_least": 31},
    {"id": "rf_node", "what": "rf_size", "node": "se", "at_least": 31},
    {"id": "params", "what": "total_params", "at_most": 200000},
    {"id": "macs", "what": "total_macs", "at_most": 100000000},
    {"id": "linear", "what": "count_type", "type": "Linear", "equals": 1},
    {"id": "quiet", "what": "no_warning"},
    {"id": "holes", "what": "no_warning", "kind": "gridding"},
    {"id": "stem", "what": "node_shape", "node": "stem_conv", "equals": [32, 64, 64]},
]}


def _widen(data: dict, rng: random.Random) -> dict:
    data = copy.deepcopy(data)
    for node in data["nodes"]:
        params = node.get("params", {})
        if "out_channels" in params and "groups" not in params:
            params["out_channels"] = rng.choice((4, 8, 12, 16, 24, 32))
    return data


def lab_class(folder: Path, n: int, rng: random.Random) -> list[Path]:
    ref = json.loads((LAB / "reference.convgraph.json").read_text())
    starter = json.loads((LAB / "starter.convgraph.json").read_text())
    paths = []
    for i in range(n):
        path = folder / f"student{i:03d}.convgraph.json"
        if i % 50 == 7:
            path.write_text("{ not json")
        elif i % 50 == 13:  # a kernel larger than the map: analysis errors
            bad = copy.deepcopy(ref)
            bad["nodes"][-2]["params"]["kernel_size"] = 15
            path.write_text(json.dumps(bad))
        else:
            path.write_text(json.dumps(_widen(ref if i % 3 else starter, rng)))
        paths.append(path)
    return paths


def large_class(folder: Path, n: int, rng: random.Random) -> list[Path]:
    tour = json.loads(TOUR.read_text())
    paths = []
    for i in range(n):
        path = folder / f"tour{i:03d}.convgraph.json"
        path.write_text(json.dumps(tour if i % 4 == 0 else _widen(tour, rng)))
        paths.append(path)
    return paths


def time_grade(paths: list[Path], rubric: Path, out: Path) -> tuple[float, int, str]:
    code = "import sys\nfrom engine.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    args = [sys.executable, "-c", code, "grade", *map(str, paths), "--rubric", str(rubric),
            "--format", "csv", "-o", str(out)]
    t = time.perf_counter()
    proc = subprocess.run(args, cwd=HERE, capture_output=True, text=True, timeout=600)
    return time.perf_counter() - t, proc.returncode, proc.stderr


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=200, help="submissions per class")
    ap.add_argument("--repeat", type=int, default=3, help="runs per class (median)")
    args = ap.parse_args()
    rng = random.Random(14)
    print(f"grade of {args.n} submissions, whole command in a fresh interpreter "
          f"(median of {args.repeat})")
    print(f"{'class':>6} {'nodes/design':>12} {'seconds':>8} {'ms/design':>9} "
          f"{'graded':>6} {'unreadable':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        every = folder / "every.rubric.json"
        every.write_text(json.dumps(EVERY_WHAT))
        classes = [("lab", lab_class(folder, args.n, rng), LAB / "rf_budget.rubric.json"),
                   ("large", large_class(folder, args.n, rng), every)]
        for name, paths, rubric in classes:
            out = folder / f"{name}.csv"
            runs = [time_grade(paths, rubric, out) for _ in range(args.repeat)]
            if any(rc != 0 for _, rc, _ in runs):
                print(runs[0][2], file=sys.stderr)
                return 1
            seconds = statistics.median(t for t, _, _ in runs)
            rows = out.read_text().splitlines()[1:]
            unreadable = sum(1 for r in rows if r.split(",")[3])
            nodes = len(json.loads(paths[1].read_text())["nodes"])
            print(f"{name:>6} {nodes:>12} {seconds:>8.2f} {1000 * seconds / len(paths):>9.1f} "
                  f"{len(rows):>6} {unreadable:>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
