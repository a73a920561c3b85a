"""The graph-file fuzzer at scale (issue 17; prints the figures of the README).

Runs ``analyze``, ``export`` and a load-save round trip (what the designer's
Save does) of ``tests/test_reliability_fuzz.py`` on N mutated
example files (default 10000; derandomised: case i of seed S is always the same
file) in this process, each command bounded by a timer, and counts the outcomes:
exit codes, tracebacks (any exception other than SystemExit, or "Traceback" on
stderr), hangs (past the per-command limit) and failures that were not one line.
Each problem is printed with its ``(seed, index)`` to replay with ``make_case``.

Run: ``.venv/bin/python bench/fuzz.py [-n 10000] [--seed 17] [--limit 10]``
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.test_reliability_fuzz import make_case, run_command, run_save  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", type=int, default=10_000, help="mutated files")
    p.add_argument("--seed", type=int, default=17)
    p.add_argument("--limit", type=float, default=10.0, help="seconds per command")
    args = p.parse_args(argv)
    codes: collections.Counter = collections.Counter()
    tracebacks = hangs = not_one_line = 0
    slowest = (0.0, None)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for i in range(args.n):
            what, data = make_case(args.seed, i)
            path = folder / "case.convgraph.json"
            path.write_bytes(data)
            saved = folder / "saved.convgraph.json"
            for argv_ in (["analyze", str(path)],
                          ["export", str(path), "-o", str(folder / "m.py")], ["save"]):
                got = (run_save(path, saved, args.limit) if argv_[0] == "save"
                       else run_command(argv_, args.limit))
                name = f"({args.seed}, {i}) {what}, {argv_[0]}"
                if got["seconds"] > slowest[0]:
                    slowest = (got["seconds"], name)
                if got["hang"]:
                    hangs += 1
                    print(f"hang: {name}", flush=True)
                elif got["traceback"]:
                    tracebacks += 1
                    last = got["traceback"].strip().splitlines()[-1]
                    print(f"traceback: {name}: {last}", flush=True)
                else:
                    codes[(argv_[0], got["code"])] += 1
                    if got["code"] == 2 and len(got["err"].strip().splitlines()) != 1:
                        not_one_line += 1
                        print(f"not one line: {name}: {got['err'][:200]!r}", flush=True)
            if (i + 1) % 1000 == 0:
                print(f"... {i + 1} files, {time.perf_counter() - t0:.0f} s", file=sys.stderr,
                      flush=True)
    seconds = time.perf_counter() - t0
    print(f"files: {args.n} (seed {args.seed}), commands: {3 * args.n}")
    print(f"tracebacks: {tracebacks}, hangs (> {args.limit:g} s): {hangs}, "
          f"exit-2 messages not one line: {not_one_line}")
    for cmd in ("analyze", "export", "save"):
        print(f"{cmd}: " + ", ".join(f"exit {c}: {n}" for (k, c), n in sorted(codes.items())
                                     if k == cmd))
    print(f"slowest command: {slowest[0]:.2f} s ({slowest[1]})")
    print(f"total: {seconds:.0f} s ({1000 * seconds / max(1, 3 * args.n):.1f} ms a command)")
    return 1 if tracebacks or hangs or not_one_line else 0


if __name__ == "__main__":
    sys.exit(main())
