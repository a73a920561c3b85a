"""Training figures of the examples (issue 12): accuracy, time, offsets, SE spread, IoU.

Trains, through the product's path (:func:`engine.training.train`, what
``main.py train`` calls), the training examples of ``resources/examples``:

- ``shapes_classifier``: validation accuracy on ``shapes`` at 32 x 32 and the
  seconds of training (the sum of the epochs' ``seconds``: training and
  validation, data generation excluded); goal >= 95 % in <= 60 s. Measured
  with each torch thread count of ``--threads`` (default 1 and 2);
- ``shapes_deformable``: mean offset length |dp| (pixels) of its DeformConv2d
  over validation images after training; goal > 0.1 px;
- ``shapes_se``: the standard deviation over channels of each SE node's
  channel weights on a validation image; goal > 0.05;
- ``shapes_seg_k4``: mean IoU (background and the 4 shapes) on
  ``shapes-seg``; goal >= 0.8; ``shapes_seg_k3``, the same network with
  3 x 3 stride-2 transposed convs, for comparison (no goal); for both, the
  checkerboard of the last transposed conv: the mean |activation| of its four stride-2 phases
  (y % 2, x % 2), largest over smallest, on validation images (1.0 = even).

The load average is printed before and after each training: the machine is
shared, and an epoch's time depends on it.

Usage: ``python bench/train.py [--only NAME[,NAME]] [--threads T[,T]] [--seed S]``.
Exit status 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as main.py train does

import numpy as np  # noqa: E402
import torch  # noqa: E402

from engine import load_graph  # noqa: E402
from engine.runtime import Session, run_trace  # noqa: E402
from engine.training import TrainConfig, load_data, torch_state, train  # noqa: E402
from engine.training.model_task import graph_task  # noqa: E402

EXAMPLES = ROOT / "resources" / "examples"
#: example -> (data, settings)
RUNS = {
    "shapes_classifier": ("shapes", dict(samples=12000, epochs=4, lr=3e-3, schedule="cosine")),
    "shapes_deformable": ("shapes", dict(samples=12000, epochs=4, lr=3e-3, schedule="cosine")),
    "shapes_se": ("shapes", dict(samples=12000, epochs=4, lr=3e-3, schedule="cosine")),
    "shapes_seg_k4": ("shapes-seg", dict(samples=4000, epochs=4, lr=3e-3, batch=32,
                                         schedule="cosine")),
    "shapes_seg_k3": ("shapes-seg", dict(samples=4000, epochs=4, lr=3e-3, batch=32,
                                         schedule="cosine")),
}


def load() -> str:
    return "/".join(f"{v:.2f}" for v in os.getloadavg())


def run(name: str, threads: int, seed: int):
    graph = load_graph(EXAMPLES / f"{name}.convgraph.json")
    data_name, settings = RUNS[name]
    cfg = TrainConfig(seed=seed, threads=threads, **settings)
    from engine.analysis import analyze
    task, k, input_id, _, (c, h, w) = graph_task(graph, analyze(graph))
    t0 = time.perf_counter()
    data = load_data(data_name, task, k, c, h, w, cfg.samples, seed)
    made = time.perf_counter() - t0
    before = load()
    result = train(graph, data, cfg)
    after = load()
    seconds = sum(e.seconds for e in result.epochs)
    last = result.last
    print(f"{name}: {data_name} {cfg.samples} + {len(data.val_x)} images {c}x{h}x{w} (made in "
          f"{made:.1f} s), {cfg.epochs} epochs, batch {cfg.batch}, lr {cfg.lr}, "
          f"{cfg.schedule}, {threads} thread(s)")
    print(f"  training {seconds:.1f} s (epochs: "
          f"{', '.join(f'{e.seconds:.1f}' for e in result.epochs)}), load {before} -> {after}")
    print(f"  val acc {last.val_acc:.4f} (per epoch: "
          f"{', '.join(f'{e.val_acc:.3f}' for e in result.epochs)}), train acc "
          f"{last.train_acc:.4f}")
    session = Session(graph, seed)
    session.load_weights(torch_state(result.state_dict))
    return result, seconds, session, data, input_id


def check(ok: bool, text: str) -> bool:
    print(f"  {'PASS' if ok else 'MISS'}: {text}")
    return ok


def offsets_figure(session, data, input_id, n=32) -> dict:
    out = {}
    for i in range(min(n, len(data.val_x))):
        r = session.run({input_id: data.val_x[i:i + 1].astype(np.float32) / 255.0},
                        capture=True)
        for nid, off in r.offsets.items():
            mag = np.sqrt(off[0::2].astype(np.float64) ** 2 + off[1::2] ** 2)
            out.setdefault(nid, []).append(mag.mean())
    return {nid: float(np.mean(v)) for nid, v in out.items()}


def checkerboard(session, data, input_id, node: str, n=64) -> float:
    x = torch.from_numpy(data.val_x[:n].astype(np.float32) / 255.0)
    with torch.inference_mode():
        act = run_trace(session.model, [x], until=node).activations[node].abs()
    phases = [float(act[..., dy::2, dx::2].mean()) for dy in (0, 1) for dx in (0, 1)]
    return max(phases) / min(phases)


def main() -> int:
    sys.stdout.reconfigure(line_buffering=True)
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", default=",".join(RUNS))
    p.add_argument("--threads", default="1,2")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    names = [n for n in args.only.split(",") if n]
    threads = [int(t) for t in args.threads.split(",")]
    print(f"{os.cpu_count()} cores, torch {torch.__version__}, default threads "
          f"{torch.get_num_threads()}, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}, "
          f"load {load()}")
    ok = True
    for name in names:
        if name == "shapes_classifier":
            for t in threads:
                result, seconds, *_ = run(name, t, args.seed)
                ok &= check(result.last.val_acc >= 0.95 and seconds <= 60,
                            f"val acc {result.last.val_acc:.4f} >= 0.95 in {seconds:.1f} s "
                            "<= 60 s")
        elif name == "shapes_deformable":
            _, _, session, data, input_id = run(name, threads[0], args.seed)
            for nid, v in offsets_figure(session, data, input_id).items():
                ok &= check(v > 0.1, f"{nid}: mean |dp| {v:.3f} px over 32 validation "
                                     "images > 0.1 px")
        elif name == "shapes_se":
            _, _, session, data, input_id = run(name, threads[0], args.seed)
            r = session.run({input_id: data.val_x[:1].astype(np.float32) / 255.0})
            for nid, wts in r.se_weights.items():
                ok &= check(float(np.std(wts)) > 0.05,
                            f"{nid}: channel weights std {np.std(wts):.3f} > 0.05 on validation "
                            f"image 0 (min {wts.min():.3f}, max {wts.max():.3f}, "
                            f"{len(wts)} channels)")
        else:
            result, _, session, data, input_id = run(name, threads[0], args.seed)
            print(f"  IoU per class {[round(v, 3) for v in result.val_iou]}")
            if name == "shapes_seg_k4":
                ok &= check(result.val_miou >= 0.8, f"mean IoU {result.val_miou:.4f} >= 0.8")
            else:
                print(f"  mean IoU {result.val_miou:.4f} (for comparison, no goal)")
            board = checkerboard(session, data, input_id, "up3")
            print(f"  checkerboard of up3: phase |activation| max/min {board:.3f}")
    print("all goals met" if ok else "some goals missed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
