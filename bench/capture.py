"""Cost of activation capture on the default example (target: at most 1.15x).

Runs ``resources/examples/classifier_tour.convgraph.json`` (3x128x128, the
bundled sample image) through the product's path, ``Session.run`` (what
``main.py run`` and the designer's engine panel call), on one Session:

- no capture: ``session.run(None, capture=False, keep_input=True)``;
- capture: ``session.run(None, capture=True, keep_input=True)``: every
  node's activation as a read-only numpy array, SE channel weights and
  DeformConv2d offsets (forward hooks registered for the run), the
  ``RunResult`` with its (lazy) statistics;

interleaved (no capture, capture, capture, no capture, ...) so that load
changes on the machine hit both alike, after warm-up runs. The verdict is the
ratio of the median wall times of these two; the medians and minimums of
wall and CPU time and the median of the paired ratios are printed with it,
and a warning when the medians are more than twice the minimums (a busy
machine: the verdict is then unreliable).

For information it also prints, measured in the same interleaved rounds:

- ``+ all stats``: a capturing run that then reads every node's
  ``RunResult.stats`` entry, as ``main.py run`` does for ``summary.json``
  (the designer reads none);
- the raw forward, ``run_trace(model, inputs)`` with and without capture.

Last, for information (not judged): the designer's whole path, the same runs
through its engine process (``RemoteSession.run``), where the captured arrays
also cross the process boundary.

Each configuration of torch threads the product uses is measured and judged:
torch's default (``main.py run``) and the cores minus one (the designer's
engine process sets ``OMP_NUM_THREADS`` so, leaving a core to the UI; it also
sets ``OMP_WAIT_POLICY=PASSIVE``, which this process does not).

Usage: ``python bench/capture.py [--repeats N] [--threads T[,T...]] [--graph FILE]``.
``CONVCANVAS_MALLOPT=0`` leaves glibc's allocator untouched (see
``engine/runtime/build.py``). Exit status 1 when a ratio is above the target.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from engine import load_graph  # noqa: E402
from engine.runtime import Session, run_trace  # noqa: E402
from engine.runtime.build import tune_allocator  # noqa: E402
from engine.runtime.process import torch_thread_defaults  # noqa: E402

#: torch threads of the designer's engine process (cores − 1)
ENGINE_THREADS = int(torch_thread_defaults()["OMP_NUM_THREADS"])

TARGET = 1.15


def timed(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of one call."""
    c0, t0 = time.process_time(), time.perf_counter()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def interleaved(variants: dict, repeats: int) -> dict[str, list[tuple[float, float]]]:
    """``repeats`` rounds; each round times every variant once, the order alternating."""
    names = list(variants)
    rows: dict[str, list[tuple[float, float]]] = {n: [] for n in names}
    for i in range(repeats):
        for name in (names if i % 2 == 0 else names[::-1]):
            rows[name].append(timed(variants[name]))
    return rows


def measure(session, graph, repeats: int) -> dict[str, list[tuple[float, float]]]:
    """The five variants, warmed up, then ``repeats`` interleaved rounds."""
    model = session.model
    inputs = [session._current_inputs()[i] for i in session.input_ids]

    def run_plain():
        session.run(None, capture=False, keep_input=True)

    def run_capture():
        result = session.run(None, capture=True, keep_input=True)
        assert len(result.activations) == len(graph)

    def run_capture_stats():
        result = session.run(None, capture=True, keep_input=True)
        assert all(st.shape for st in result.stats.values())

    def fwd_plain():
        with torch.inference_mode():
            run_trace(model, inputs)

    def fwd_capture():
        with torch.inference_mode():
            run_trace(model, inputs, capture=True)

    variants = {"run": run_plain, "run+capture": run_capture,
                "run+capture+stats": run_capture_stats,
                "forward": fwd_plain, "forward+capture": fwd_capture}
    for _ in range(5):
        for fn in variants.values():
            fn()
    return interleaved(variants, repeats)


def report(rows, label: str) -> bool:
    """Print one configuration's figures and verdict; True when within the target."""
    med, ms = statistics.median, 1e3

    def line(text, name):
        wall = [w for w, _ in rows[name]]
        cpu = [c for _, c in rows[name]]
        print(f"  {text:32s}: median {med(wall) * ms:7.2f} ms wall (min "
              f"{min(wall) * ms:6.2f}), CPU median {med(cpu) * ms:7.2f} ms (min "
              f"{min(cpu) * ms:6.2f})")
        return med(wall), min(wall), med(cpu)

    def paired(a, b):
        return med(rb[0] / ra[0] for ra, rb in zip(rows[a], rows[b], strict=True))

    print(f"{label} (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    p_med, p_min, p_cpu = line("Session.run, no capture", "run")
    c_med, c_min, c_cpu = line("Session.run, capture", "run+capture")
    s_med, _, _ = line("Session.run, capture + all stats", "run+capture+stats")
    f_med, f_min, _ = line("forward (run_trace), no capture", "forward")
    fc_med, fc_min, _ = line("forward (run_trace), capture", "forward+capture")
    ratio = c_med / p_med
    print(f"  Session.run capture / no capture: {ratio:.3f}x wall (medians; min/min "
          f"{c_min / p_min:.3f}x, median of paired ratios {paired('run', 'run+capture'):.3f}x, "
          f"CPU {c_cpu / p_cpu:.3f}x); target <= {TARGET}x: "
          f"{'OK' if ratio <= TARGET else 'ABOVE TARGET'}")
    print(f"    for information: with all stats read (main.py run) {s_med / p_med:.3f}x; "
          f"raw forward capture / plain {fc_med / f_med:.3f}x (min/min "
          f"{fc_min / f_min:.3f}x)")
    spread = max(p_med / p_min, c_med / c_min)
    if spread > 2:
        print(f"  warning: the machine is busy (medians up to {spread:.1f}x the minimums; with "
              "several torch threads, OpenMP waits for preempted threads): this verdict is "
              "unreliable, run again on a quieter machine")
    return ratio <= TARGET


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=60)
    ap.add_argument("--threads", default=None,
                    help="comma-separated torch thread counts to measure (default: torch's "
                         "choice, as main.py run, then the cores minus one, as the designer's "
                         "engine process)")
    ap.add_argument("--graph", default=str(ROOT / "resources" / "examples" /
                                           "classifier_tour.convgraph.json"))
    ap.add_argument("--no-engine-process", action="store_true",
                    help="skip the designer's path through its engine process")
    args = ap.parse_args(argv)
    default = torch.get_num_threads()
    if args.threads:
        counts = [int(t) for t in args.threads.split(",")]
    else:
        counts = list(dict.fromkeys([default, ENGINE_THREADS]))

    graph = load_graph(args.graph)
    session = Session(graph, seed=0)
    session.set_input(None)
    print(f"graph: {graph.name} ({len(graph)} nodes), torch {torch.__version__}, "
          f"{args.repeats} interleaved rounds per configuration, glibc allocator tuning "
          f"{'on' if tune_allocator() else 'off'}")
    ok = True
    for n in counts:
        torch.set_num_threads(n)
        who = []
        if n == default:
            who.append("main.py run")
        if n == ENGINE_THREADS:
            who.append("the designer's engine process")
        label = f"{n} torch thread{'s' if n != 1 else ''}" + (f" ({', '.join(who)})"
                                                             if who else "")
        ok &= report(measure(session, graph, args.repeats), label)
    if not args.no_engine_process:
        engine_process(graph, args.repeats)
    return 0 if ok else 1


def engine_process(graph, repeats: int) -> None:
    """For information: the designer's whole path, through its engine process."""
    from engine.runtime.process import EngineProcess, RemoteRuntime, available

    if not available():
        return
    proc = EngineProcess()
    try:
        remote = RemoteRuntime(proc).Session(graph.to_dict(), 0)
        remote.set_input(None)
        seconds = {}

        def run(capture):
            def fn():
                seconds.setdefault(capture, []).append(
                    remote.run(None, capture=capture, keep_input=True).seconds)
            return fn
        rows = interleaved({"plain": run(False), "capture": run(True)}, 5)
        seconds.clear()
        rows = interleaved({"plain": run(False), "capture": run(True)}, repeats)
    finally:
        proc.close()
    med, ms = statistics.median, 1e3
    p, c = (med(w for w, _ in rows[k]) for k in ("plain", "capture"))
    fp, fc = (med(seconds[k]) for k in (False, True))
    threads = os.environ.get("OMP_NUM_THREADS") or str(ENGINE_THREADS)
    print(f"for information, the designer's path (RemoteSession.run through the engine "
          f"process, {threads} thread(s), passive): no capture median {p * ms:.2f} ms, capture "
          f"{c * ms:.2f} ms ({c / p:.3f}x; the forward in the engine process {fp * ms:.2f} / "
          f"{fc * ms:.2f} ms, the rest is Session.run's own work, the transfer of the "
          "arrays and the round trip)")


if __name__ == "__main__":
    sys.exit(main())
