"""The main of the exported training script: one process, or many under ``torchrun``.

Copied verbatim (with :mod:`.tasks`, :mod:`.shapes`, :mod:`.folder`,
:mod:`.data`, :mod:`.core`) into the script that ``main.py export GRAPH -o
MODEL.py --train-script train.py`` writes (:mod:`engine.export_train`); the
script calls :func:`main` with the model file, its class and the Input's
size. It imports nothing from the engine.

Distributed: under ``torchrun`` (``WORLD_SIZE`` > 1) every process joins a
process group (``nccl`` on GPUs, ``gloo`` on CPUs), builds the same model
(``torch.manual_seed(seed)`` then the class: the engine's initial weights),
makes or reads the same data, and wraps the model in
``DistributedDataParallel``. Each epoch's seeded order is dealt out
(``order[rank::world]``, cut to the same length on every rank, so all take
the same number of steps); ``--batch`` is the batch over all processes
together. After each epoch the BatchNorm running statistics are averaged
over the ranks, the validation set is split the same way and the sums are
added up, so rank 0 reports the figures of the whole set. At the end the
ranks check that their weights are equal (exit 1 if not) and rank 0 saves
them (every rank when ``--save-weights`` holds ``{rank}``).

With one process the run is the engine's own (``main.py train``): same
weights, data, batch order and metrics on the same machine and threads.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time

import torch
import torch.distributed as dist

from .core import (
    epoch_order,
    evaluate,
    gives_probabilities,
    iou_per_class,
    make_optimizer,
    make_schedule,
    pick_device,
    steps_per_epoch,
    train_epoch,
)
from .data import load_data
from .tasks import SEGMENT, DataError, TaskError, task_from_shape


def parse_args(argv=None):
    """The options (the same names as ``main.py train``)."""
    p = argparse.ArgumentParser(description="Train the exported model (torchrun-ready).")
    p.add_argument("--data", required=True, help="shapes, shapes-seg or a folder of classes")
    p.add_argument("--epochs", type=int, required=True)
    p.add_argument("--samples", type=int, default=4000, help="generated training images")
    p.add_argument("--batch", type=int, default=64, help="samples per step, all processes")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--optimizer", choices=("adam", "sgd"), default="adam")
    p.add_argument("--schedule", choices=("constant", "cosine"), default="constant")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads per process")
    p.add_argument("--weights", default=None, help="initial weights (a state dict)")
    p.add_argument("--save-weights", default=None,
                   help="final weights (rank 0; every rank when the name holds {rank})")
    p.add_argument("--metrics", default=None, help="write the metrics as JSON (rank 0)")
    p.add_argument("--model", default=None, help="the model file (default: the exported one)")
    return p.parse_args(argv)


def load_model_class(path, name):
    """The class ``name`` of the Python file ``path``."""
    spec = importlib.util.spec_from_file_location("convcanvas_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


def _average_buffers(model, world):
    """Make the floating buffers (BatchNorm running statistics) the mean over ranks."""
    for b in model.buffers():
        if b.is_floating_point():
            dist.all_reduce(b)
            b /= world


def _ranks_differ(model):
    """Largest difference between this rank's weights and rank 0's (all ranks agree)."""
    flat = torch.cat([t.detach().double().reshape(-1) for t in model.state_dict().values()])
    first = flat.clone()
    dist.broadcast(first, 0)
    worst = (flat - first).abs().max() if flat.numel() else flat.new_zeros(())
    dist.all_reduce(worst, op=dist.ReduceOp.MAX)
    return float(worst)


def main(argv=None, model_file=None, model_class="Net", input_shape=(3, 32, 32)):
    """Train; returns the exit code (0, 1 task or ranks differ, 2 unreadable data)."""
    args = parse_args(argv)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    device = pick_device(int(os.environ.get("LOCAL_RANK", "0")))
    if args.threads:
        torch.set_num_threads(args.threads)
    if world > 1:
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    try:
        return _train(args, world, rank, device, args.model or model_file, model_class,
                      tuple(input_shape))
    except (DataError, TaskError) as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2 if isinstance(exc, DataError) else 1
    finally:
        if world > 1:
            dist.destroy_process_group()


def leave(code):
    """End the process with exit status ``code``.

    With several processes it ends without Python's shutdown (``os._exit`` once the
    output is flushed): a gloo worker thread may still have to release a tensor of the
    last all-reduce then, and torch aborts the process when that happens while the
    interpreter shuts down ("terminate called without an active exception", SIGABRT).
    Every file the script writes is closed before this point."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed pipe (| head) must not skip the exit
                pass
        os._exit(code)
    sys.exit(code)


def _train(args, world, rank, device, model_file, model_class, input_shape):
    def say(text):
        if rank == 0:
            print(text, file=sys.stderr, flush=True)

    cls = load_model_class(model_file, model_class)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(args.seed)
        model = cls()
    if args.weights:
        model.load_state_dict(torch.load(args.weights, map_location="cpu", weights_only=True),
                              strict=True)
    model.eval()
    with torch.no_grad():
        out_shape = tuple(model(torch.zeros(1, *input_shape)).shape[1:])
    task, k = task_from_shape(out_shape, input_shape[1:])
    data = load_data(args.data, task, k, *input_shape, args.samples, args.seed)
    say(f"{data.name}: {len(data.train_x)} training, {len(data.val_x)} validation images, "
        f"{task} into {k} classes, {world} process(es) on {device.type}")
    probabilities = gives_probabilities(model)
    model.to(device)
    net = model
    if world > 1:
        ids = [device.index] if device.type == "cuda" else None
        net = torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)
    tensors = [torch.from_numpy(a) for a in (data.train_x, data.train_y, data.val_x, data.val_y)]
    if device.type == "cuda":
        tensors = [t.to(device) for t in tensors]
    train_x, train_y, val_x, val_y = tensors
    per_rank = max(1, -(-args.batch // world))
    n_rank = len(train_x) // world
    opt = make_optimizer(net.parameters(), args.optimizer, args.lr)
    schedule = make_schedule(opt, args.schedule, args.epochs * steps_per_epoch(n_rank, per_rank))
    torch.manual_seed(args.seed + rank)  # Dropout: the engine's with one process
    epochs, confusion = [], None
    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        order = epoch_order(len(train_x), args.seed, epoch)[rank::world][:n_rank]
        tl, th, tn = train_epoch(net, opt, train_x, train_y, order, per_rank, device,
                                 probabilities, None, schedule)
        if world > 1:
            _average_buffers(model, world)
        vl, vh, vn, confusion = evaluate(model, val_x[rank::world], val_y[rank::world],
                                         max(args.batch, 256), device, k, probabilities)
        sums = torch.stack([tl.double(), th.double(), tn.double(), vl.double(), vh.double(),
                            vn.double()])
        if world > 1:
            dist.all_reduce(sums)
            dist.all_reduce(confusion)
        tl, th, tn, vl, vh, vn = sums.tolist()
        m = {"epoch": epoch, "train_loss": tl / max(tn, 1), "train_acc": th / max(tn, 1),
             "val_loss": vl / max(vn, 1), "val_acc": vh / max(vn, 1),
             "seconds": time.perf_counter() - t0}
        epochs.append(m)
        say(f"epoch {epoch}/{args.epochs}: train loss {m['train_loss']:.4f} acc "
            f"{m['train_acc']:.4f}, val loss {m['val_loss']:.4f} acc {m['val_acc']:.4f} "
            f"({m['seconds']:.1f} s)")
    if world > 1:
        worst = _ranks_differ(model)
        say(f"weights of the {world} ranks: largest difference {worst:g}")
        if worst != 0.0:
            return 1
    model.eval()
    state = {n: t.detach().cpu() for n, t in model.state_dict().items()}
    if args.save_weights and ("{rank}" in args.save_weights or rank == 0):
        path = args.save_weights.replace("{rank}", str(rank))
        torch.save(state, path + ".tmp")  # then renamed: a failure leaves the old file
        os.replace(path + ".tmp", path)
    if args.metrics and rank == 0:
        out = {"task": task, "classes": list(data.classes), "epochs": epochs, "world": world}
        if task == SEGMENT and confusion is not None:
            iou = iou_per_class(confusion.cpu())
            out["val_miou"] = float(iou[~iou.isnan()].mean())
        with open(args.metrics, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=2)
    return 0
