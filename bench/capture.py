"""Cost of activation capture on the default example (target: at most 1.15x).

Runs ``resources/examples/classifier_tour.convgraph.json`` (3x128x128, the
bundled sample image) with the engine's model:

- plain: ``run_trace(model, inputs)``, the same forward as ``model(x)``;
- capture: ``run_trace(model, inputs, capture=True)``: every node's
  activation kept, SE channel weights and DeformConv2d offsets taken by
  forward hooks (registered for the run, removed after it);

both under ``torch.inference_mode()``, interleaved (plain, capture, plain, ...)
so that load changes on the machine hit both alike, after warm-up runs. It
prints the medians and their ratio, and for information the medians of the
designer's whole ``Session.run`` (with and without capture: numpy views,
per-node statistics).

Usage: ``python bench/capture.py [--repeats N] [--threads T] [--graph FILE]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from engine import load_graph  # noqa: E402
from engine.runtime import Session, run_trace  # noqa: E402

TARGET = 1.15


def timed(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of one call."""
    c0, t0 = time.process_time(), time.perf_counter()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def compare(plain, capture, repeats: int):
    """Interleaved timings (order alternating); medians and the median paired ratio."""
    rows = []
    for i in range(repeats):
        if i % 2:
            c, p = timed(capture), timed(plain)
        else:
            p, c = timed(plain), timed(capture)
        rows.append((p, c))
    med = statistics.median
    wall = (med(p[0] for p, _ in rows), med(c[0] for _, c in rows))
    cpu = (med(p[1] for p, _ in rows), med(c[1] for _, c in rows))
    paired = med(c[0] / p[0] for p, c in rows)
    return wall, cpu, paired


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=40)
    ap.add_argument("--threads", type=int, default=None,
                    help="torch threads (default: torch's choice)")
    ap.add_argument("--graph", default=str(ROOT / "resources" / "examples" /
                                           "classifier_tour.convgraph.json"))
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    graph = load_graph(args.graph)
    session = Session(graph, seed=0)
    session.set_input(None)
    model = session.model
    inputs = [session._current_inputs()[i] for i in session.input_ids]

    def plain():
        with torch.inference_mode():
            run_trace(model, inputs)

    def capture():
        with torch.inference_mode():
            trace = run_trace(model, inputs, capture=True)
        assert len(trace.activations) == len(graph)

    for _ in range(5):
        plain()
        capture()
    (wp, wc), (cp, cc), paired = compare(plain, capture, args.repeats)

    def run_plain():
        session.run(None, capture=False, keep_input=True)

    def run_capture():
        session.run(None, capture=True, keep_input=True)
    (sp, sc), _, s_paired = compare(run_plain, run_capture, max(10, args.repeats // 2))

    print(f"graph: {graph.name} ({len(graph)} nodes), torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, {args.repeats} interleaved repeats")
    print(f"forward without capture : median {wp * 1e3:8.2f} ms wall, {cp * 1e3:8.2f} ms CPU")
    print(f"forward with capture    : median {wc * 1e3:8.2f} ms wall, {cc * 1e3:8.2f} ms CPU")
    ratio = wc / wp
    print(f"capture / plain         : {ratio:.3f}x wall (median of paired ratios "
          f"{paired:.3f}x, CPU {cc / cp:.3f}x); target <= {TARGET}x: "
          f"{'OK' if ratio <= TARGET else 'ABOVE TARGET'}")
    print(f"Session.run, no capture : median {sp * 1e3:8.2f} ms wall")
    print(f"Session.run, capture    : median {sc * 1e3:8.2f} ms wall ({sc / sp:.3f}x, paired "
          f"{s_paired:.3f}x; numpy views + per-node statistics)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
