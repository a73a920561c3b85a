"""Speed of the exported module against the same network written by hand and the engine.

A ResNet-50 written in plain torch (``bench/import.py``'s bottleneck network with
blocks 3, 4, 6, 3, width 64, 1000 classes; ReLU in place, as torchvision writes
it) is imported as a graph (``engine.interchange.import_model``); the graph is
then exported (``engine.export.export_code``) and the exported class loaded with
the same weights. Three forwards of one 3×224×224 image, 1 torch thread, under
``torch.inference_mode``, interleaved (hand, exported, engine, then reversed,
...) after warm-up runs:

- hand: the hand-written module;
- exported: the exported module;
- engine: the engine's module (``engine.runtime.build_model`` with the same
  weights, ``run_trace`` without capture: the path of ``Session.run``).

It prints the median and minimum of each and the ratios exported / hand and
exported / engine (goal: at most 1.05 both) and checks that the three outputs
agree. Exit status 1 when a ratio of the medians is above the goal.

Run: ``.venv/bin/python bench/export.py [--repeats N]``
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

GOAL = 1.05


def resnet50():
    """The hand-written ResNet-50 (``bench/import.py``'s network, seed 0, eval mode)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("bench_import", ROOT / "bench" / "import.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    torch.manual_seed(0)
    return mod.DeepResNet(layers=(3, 4, 6, 3), width=64, classes=1000).eval()


def exported_and_engine(model):
    """``(graph, exported module, engine module)`` with ``model``'s weights."""
    from engine.export import export_code
    from engine.interchange import import_model
    from engine.runtime import build_model
    graph, _groups, weights, report = import_model(model, (3, 224, 224))
    if report.opaque_nodes:
        raise SystemExit(f"unexpected Opaque nodes: {report.opaque_nodes}")
    code = export_code(graph, "ResNet50")
    namespace: dict = {}
    exec(compile(code, "<exported ResNet50>", "exec"), namespace)
    exported = namespace["ResNet50"]()
    exported.load_state_dict(weights)
    engine = build_model(graph)
    engine.load_state_dict(weights)
    return graph, code, exported.eval(), engine.eval()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    from engine.runtime import run_trace
    hand = resnet50()
    graph, code, exported, engine = exported_and_engine(hand)
    x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    variants = {
        "hand": lambda: hand(x),
        "exported": lambda: exported(x),
        "engine": lambda: run_trace(engine, [x]).outputs[0],
    }
    with torch.inference_mode():
        outs = {k: f() for k, f in variants.items()}
        for k in ("exported", "engine"):
            err = (outs[k] - outs["hand"]).abs().max().item()
            print(f"{k} vs hand: max abs difference {err:.2e}")
        exact = torch.equal(outs["exported"], outs["engine"])
        print(f"exported == engine exactly: {exact}")
        for _ in range(2):
            for f in variants.values():
                f()
        times: dict[str, list[float]] = {k: [] for k in variants}
        names = list(variants)
        for i in range(args.repeats):
            for k in (names if i % 2 == 0 else names[::-1]):
                t = time.perf_counter()
                variants[k]()
                times[k].append(time.perf_counter() - t)
    dels = sum(1 for line in code.splitlines() if line.strip().startswith("del "))
    print(f"ResNet-50 ({len(graph)} nodes), 1 thread, 3×224×224, {args.repeats} interleaved "
          f"rounds, load {Path('/proc/loadavg').read_text().split()[0]}; exported forward: "
          f"{dels} del lines")
    med = {k: statistics.median(v) for k, v in times.items()}
    for k, v in times.items():
        print(f"  {k:9s} median {med[k] * 1e3:7.1f} ms, min {min(v) * 1e3:7.1f} ms")
    ok = True
    for ref in ("hand", "engine"):
        ratio = med["exported"] / med[ref]
        best = min(times["exported"]) / min(times[ref])
        ok &= ratio <= GOAL
        print(f"  exported / {ref}: {ratio:.3f} (medians), {best:.3f} (minimums); goal ≤ {GOAL}")
    return 0 if ok and exact else 1


if __name__ == "__main__":
    sys.exit(main())
