"""``main.py train`` and the ``--train-script`` option of ``main.py export``.

``train GRAPH --data shapes|shapes-seg|DIR --epochs N [--samples N] [--batch B]
[--lr LR] [--optimizer adam|sgd] [--schedule constant|cosine] [--seed S]
[--threads T] [--weights W.pt] [--save-weights W.pt] --out DIR`` trains the
graph (:func:`engine.training.train`) and writes into DIR ``metrics.json``
and ``curves.png``, and the weights to ``--save-weights``; progress goes to
stderr, one summary line to stdout. Exit codes: 0 done; 1 graph errors, an
output that fits no task (or not the data), too much memory, a failed run; 2
an unreadable graph, data or weights file, an output that cannot be written
or that would replace an input. Files are written atomically, after the
training, so a failure leaves what the user owns as it was.

``export GRAPH -o MODEL.py --train-script train.py`` also writes the training
script (:mod:`engine.export_train`).

Torch is imported only when training starts; ``OMP_WAIT_POLICY`` is set to
``PASSIVE`` first (unless set): on a machine that other work keeps busy,
OpenMP threads that spin while they wait made an epoch up to 5x slower.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

from .io import GraphFileError, load_graph

__all__ = ["add_train_parser", "add_train_script_option", "train_command"]

OUTPUTS = ("metrics.json", "curves.png")


def _fail(message: str, code: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def _count(minimum: int):
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if v < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, not {v}")
        return v
    return parse


def _rate(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (v > 0 and math.isfinite(v)):
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text}")
    return v


def add_train_parser(sub) -> None:
    """Register ``train`` on the sub-parsers of :func:`engine.cli.build_parser`."""
    t = sub.add_parser("train", help="train the graph on generated shapes or a folder")
    t.add_argument("graph")
    t.add_argument("--data", required=True, metavar="shapes|shapes-seg|DIR")
    t.add_argument("--epochs", required=True, type=_count(1), metavar="N")
    t.add_argument("--samples", type=_count(1), default=4000, metavar="N",
                   help="generated training images (validation: a quarter as many more)")
    t.add_argument("--batch", type=_count(1), default=64, metavar="B")
    t.add_argument("--lr", type=_rate, default=1e-3, metavar="LR")
    t.add_argument("--optimizer", choices=("adam", "sgd"), default="adam")
    t.add_argument("--schedule", choices=("constant", "cosine"), default="constant")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--threads", type=_count(1), default=None, metavar="T",
                   help="torch CPU threads (default: one per core)")
    t.add_argument("--weights", default=None, metavar="W.pt", help="initial weights")
    t.add_argument("--save-weights", default=None, metavar="W.pt")
    t.add_argument("--out", required=True, metavar="DIR")
    t.set_defaults(func=train_command)


def _load(path: str):
    try:
        return load_graph(path)
    except GraphFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _real(path) -> Path:
    return Path(os.path.realpath(path))


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _check_outputs(args) -> str | None:
    """Why the outputs cannot be written (over an input, a link out of DIR), or None."""
    inputs = {_real(args.graph): "the graph"}
    if args.weights:
        inputs[_real(args.weights)] = "the --weights file"
    data_dir = None if args.data in ("shapes", "shapes-seg") else _real(args.data)
    out = _real(args.out)
    if out.exists() and not out.is_dir():
        return f"{args.out}: not a folder"
    targets = [Path(args.out) / name for name in OUTPUTS]
    for given in targets:
        if given.is_symlink() and not _inside(_real(given), out):
            return f"{given}: a link out of the output folder; remove it or choose another"
    if args.save_weights:
        targets.append(Path(args.save_weights))
    for given in targets:
        real = _real(given)
        if real in inputs:
            return f"{given}: would write over {inputs[real]}"
        if data_dir is not None and _inside(real, data_dir):
            return f"{given}: inside the data folder {args.data}; write elsewhere"
    return None


class _Reporter:
    """Progress on stderr: a line per epoch, and the step now and then."""

    def __init__(self, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.last = time.monotonic()

    def __call__(self, p) -> None:
        if p.phase == "data":
            print(p.message, file=self.stream, flush=True)
        elif p.phase == "train":
            now = time.monotonic()
            if p.step == p.steps or now - self.last < (0.2 if self.tty else 10.0):
                return
            self.last = now
            text = f"epoch {p.epoch}/{p.epochs}: step {p.step}/{p.steps}, loss {p.loss:.4f}"
            print(("\r" + text) if self.tty else text, file=self.stream,
                  end="" if self.tty else "\n", flush=True)
        elif p.phase == "epoch":
            m = p.metrics
            text = (f"epoch {m.epoch}/{p.epochs}: train loss {m.train_loss:.4f} acc "
                    f"{m.train_acc:.4f}, val loss {m.val_loss:.4f} acc {m.val_acc:.4f} "
                    f"({m.seconds:.1f} s)")
            print(("\r\033[K" if self.tty else "") + text, file=self.stream, flush=True)


def train_command(args) -> int:
    """Implement ``main.py train`` (arguments parsed by :mod:`engine.cli`)."""
    graph = _load(args.graph)
    why = _check_outputs(args)
    if why:
        return _fail(why, 2)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch is loaded
    try:
        return _train(args, graph)
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # the contract: one line, never a traceback
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        return _fail(f"{args.graph}: internal error ({type(exc).__name__}: {first}); "
                     "please report it", 1)


def _train(args, graph) -> int:
    from .runtime.errors import MemoryLimitError, RuntimeGraphError, WeightsError
    from .training import DataError, TaskError, TrainConfig, save_curves, save_state_dict, train

    cfg = TrainConfig(epochs=args.epochs, batch=args.batch, lr=args.lr,
                      optimizer=args.optimizer, seed=args.seed, samples=args.samples,
                      schedule=args.schedule, threads=args.threads)
    try:
        result = train(graph, args.data, cfg, weights=args.weights, callback=_Reporter())
    except (RuntimeGraphError, TaskError, MemoryLimitError) as exc:
        return _fail(f"{args.graph}: {exc.message}", 1)
    except DataError as exc:
        return _fail(exc.message, 2)
    except WeightsError as exc:
        return _fail(exc.message, 2)
    except (RuntimeError, ValueError) as exc:  # torch refusing something the analysis allowed
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        return _fail(f"{args.graph}: the training failed: {first}", 1)
    if result.skipped:
        shown = ", ".join(result.skipped[:5]) + (" ..." if len(result.skipped) > 5 else "")
        print(f"skipped {len(result.skipped)} unreadable image(s): {shown}", file=sys.stderr)
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        if args.save_weights:
            save_state_dict(result.state_dict, args.save_weights)
        text = json.dumps(result.to_json(), indent=2, ensure_ascii=False, allow_nan=False)
        from .atomic import atomic_write_text
        atomic_write_text(out / "metrics.json", text + "\n")
        save_curves(out / "curves.png", result.epochs,
                    f"{graph.name or Path(args.graph).name} on {args.data}")
    except OSError as exc:
        where = getattr(exc, "filename", None) or out
        return _fail(f"{where}: cannot write: {exc.strerror or exc}", 2)
    last = result.last
    extra = f", mean IoU {result.val_miou:.4f}" if result.val_miou is not None else ""
    print(f"trained {graph.name or args.graph} on {args.data} for {len(result.epochs)} "
          f"epoch(s) on {result.device}: val acc {last.val_acc:.4f}{extra}; wrote {out}")
    return 0


# -- export --train-script ----------------------------------------------------------------
def add_train_script_option(export_parser, cmd_export) -> None:
    """Add ``--train-script TRAIN.py`` to ``export``; ``cmd_export`` writes the model."""
    export_parser.add_argument("--train-script", default=None, metavar="TRAIN.py",
                               help="also write a training script (torchrun-ready)")
    export_parser.set_defaults(func=lambda args: export_with_script(args, cmd_export))


def export_with_script(args, cmd_export) -> int:
    """``export``, then the training script when ``--train-script`` is given."""
    if not args.train_script:
        return cmd_export(args)
    from .export import ExportError, check_class_name
    from .export_train import training_script, write_training_script
    from .training.tasks import TaskError

    if args.class_name is not None:
        try:
            check_class_name(args.class_name)
        except ExportError as exc:
            return _fail(f"--class-name: {exc}", 2)
    if Path(args.output).suffix.lower() != ".py" or getattr(args, "format", None) == "onnx":
        return _fail("--train-script needs a Python model (-o MODEL.py)", 2)
    script = _real(args.train_script)
    if script in (_real(args.output), _real(args.graph)):
        return _fail(f"{args.train_script}: would write over "
                     f"{'the model' if script == _real(args.output) else 'the graph'}", 2)
    graph = _load(args.graph)
    try:
        text = training_script(graph, args.output, args.train_script, args.class_name)
    except ExportError as exc:
        return _fail(f"{args.graph}: {exc.message}", 1)
    except TaskError as exc:
        return _fail(f"{args.graph}: no training script: {exc.message}", 1)
    code = cmd_export(args)
    if code:
        return code
    try:
        write_training_script(text, args.train_script)
    except OSError as exc:
        return _fail(f"{args.train_script}: cannot write: {exc.strerror or exc}", 2)
    print(f"wrote {args.train_script}")
    return 0
