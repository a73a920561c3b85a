#!/usr/bin/env python3
"""Cold start of the designer: process launch to the first fully painted window.

Runs ``main.py --startup-probe`` (a hidden flag: open the default example,
show the window, paint it once, print, quit) five times in fresh processes and
prints the median wall time measured from here, next to the budget (2.5 s).
Also checks that start-up did not import torch. Exit status 1 when over budget
or when torch was imported.

Usage: ``QT_QPA_PLATFORM=offscreen python bench/startup.py [--runs N]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET_S = 2.5


def one_run(env: dict) -> tuple[float, float, float, str]:
    """Wall seconds to the "shown" line, in-process seconds to it and to "ready"
    (engine panel built too), and whether torch was imported."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "--startup-probe"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    wall = time.perf_counter() - t0
    rest, err = proc.communicate(timeout=60)
    if proc.returncode != 0 or not line.startswith("shown") or "ready" not in rest:
        raise SystemExit(f"error: start-up probe failed (exit {proc.returncode}): "
                         f"{(err or line).strip().splitlines()[-1:]}")
    _w1, inner = line.split()
    _w2, ready, torch = rest.split()
    return wall, float(inner), float(ready), torch.split("=", 1)[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, XDG_CONFIG_HOME=f"{tmp}/config", XDG_DATA_HOME=f"{tmp}/data")
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        one_run(env)  # warm the OS file cache once (Python bytecode, Qt libraries)
        runs = [one_run(env) for _ in range(args.runs)]
    walls = [r[0] for r in runs]
    inner = [r[1] for r in runs]
    ready = [r[2] - r[1] for r in runs]
    torch = {r[3] for r in runs}
    median = statistics.median(walls)
    print(f"startup (launch -> window painted, default example), {args.runs} runs:")
    print(f"  median {median:.2f} s   min {min(walls):.2f} s   max {max(walls):.2f} s   "
          f"(in-process {statistics.median(inner):.2f} s)   budget {BUDGET_S:.1f} s")
    print(f"  then the engine panel is built in {statistics.median(ready):.2f} s "
          "(the window is already shown)")
    print(f"  torch imported at start-up: {', '.join(sorted(torch))}")
    ok = median <= BUDGET_S and torch == {"no"}
    print("  OK" if ok else "  OVER BUDGET" if median > BUDGET_S else "  torch imported!")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
