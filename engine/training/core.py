"""One epoch of training, one evaluation: the torch code the engine and the script share.

Self-contained (torch only): the exported training script carries a verbatim
copy, and runs these functions on a ``DistributedDataParallel`` model with a
shard of each epoch's order.

- Modes: :func:`train_epoch` puts the model in ``train()`` mode (BatchNorm
  uses and updates batch statistics, Dropout drops), :func:`evaluate` in
  ``eval()`` mode under ``torch.inference_mode()``.
- Loss: cross-entropy on the logits, summed then divided by the samples (or
  pixels) of the batch; an output module that is an ``nn.Softmax`` gives
  probabilities, so the loss is then the negative log of the right one.
- Data: the uint8 images stay where they are (CPU memory, or the GPU when
  they were moved there once); each batch is gathered with ``index_select``
  and converted to float in [0, 1] once, on the device.
- Determinism: the order of an epoch is a ``torch.randperm`` seeded by
  ``(seed, epoch)``; with the same seed, weights and thread count a run
  repeats exactly on the CPU.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def pick_device(local_rank=0):
    """``cuda:<local_rank>`` when torch sees a GPU, else the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda", int(local_rank) % torch.cuda.device_count())
    return torch.device("cpu")


def epoch_order(n, seed, epoch):
    """The shuffled sample order of one epoch (CPU int64), fixed by ``(seed, epoch)``."""
    gen = torch.Generator().manual_seed(int(seed) * 1_000_003 + int(epoch))
    return torch.randperm(int(n), generator=gen)


def split_batches(order, batch):
    """``order`` cut into batches of ``batch``; a last batch of one joins the one before
    (BatchNorm in training mode needs two samples)."""
    parts = list(torch.split(order, int(batch)))
    if len(parts) > 1 and len(parts[-1]) == 1:
        parts[-2] = torch.cat(parts[-2:])
        parts.pop()
    return parts


def batch_tensors(images, labels, idx, device):
    """``(x, y)``: float images in [0, 1] and int64 labels of the samples ``idx``."""
    idx = idx.to(images.device)
    x = images.index_select(0, idx).to(device, non_blocking=True).float().div_(255.0)
    y = labels.index_select(0, idx.to(labels.device)).to(device, non_blocking=True).long()
    return x, y


def gives_probabilities(model):
    """Whether the model's last module is an ``nn.Softmax`` (probabilities, not logits)."""
    modules = list(model.modules())
    return isinstance(modules[-1], torch.nn.Softmax)


def loss_and_hits(out, y, probabilities=False):
    """Summed loss and the number of right predictions of one batch."""
    if probabilities:
        loss = F.nll_loss(out.clamp_min(1e-12).log(), y, reduction="sum")
    else:
        loss = F.cross_entropy(out, y, reduction="sum")
    return loss, (out.argmax(1) == y).sum()


def make_optimizer(params, kind, lr):
    """``"adam"``: Adam; ``"sgd"``: SGD with momentum 0.9 (and Nesterov)."""
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, nesterov=True)
    return torch.optim.Adam(params, lr=lr)


def make_schedule(optimizer, kind, total_steps):
    """``"constant"``: None; ``"cosine"``: the rate falls from ``lr`` to 0 along a
    half cosine over ``total_steps`` (stepped after every optimizer step)."""
    if kind != "cosine":
        return None
    total = max(1, int(total_steps))
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda t: 0.5 * (1.0 + math.cos(math.pi * min(t, total) / total)))


def steps_per_epoch(n, batch):
    """Optimizer steps of one epoch of ``n`` samples (see :func:`split_batches`)."""
    steps = -(-int(n) // int(batch))
    return steps - 1 if steps > 1 and int(n) % int(batch) == 1 else steps


def train_epoch(model, optimizer, images, labels, order, batch, device, probabilities=False,
                on_step=None, schedule=None):
    """One pass over ``order`` in training mode.

    Parameters
    ----------
    model : nn.Module
        Maps ``[B, C, H, W]`` to ``[B, K]`` or ``[B, K, H, W]``.
    optimizer : torch.optim.Optimizer
    images, labels : Tensor
        uint8 ``[N, C, H, W]`` and the labels (``[N]`` or ``[N, H, W]``).
    order : Tensor
        Sample indices to visit, in order.
    batch : int
    device : torch.device
    probabilities : bool, optional
        The model ends in a softmax (:func:`gives_probabilities`).
    on_step : callable, optional
        ``on_step(step, steps, mean_loss_so_far)`` after each step; it may raise
        to stop (the exception propagates).
    schedule : torch.optim.lr_scheduler.LRScheduler, optional
        Stepped after every optimizer step (:func:`make_schedule`).

    Returns
    -------
    tuple of Tensor
        Summed loss (float64), right predictions and samples (or pixels) seen.
    """
    model.train()
    loss_sum = torch.zeros((), dtype=torch.float64, device=device)
    hits = torch.zeros((), dtype=torch.int64, device=device)
    count = 0
    parts = split_batches(order, batch)
    for step, idx in enumerate(parts, 1):
        x, y = batch_tensors(images, labels, idx, device)
        out = model(x)
        loss, hit = loss_and_hits(out, y, probabilities)
        optimizer.zero_grad(set_to_none=True)
        (loss / y.numel()).backward()
        optimizer.step()
        if schedule is not None:
            schedule.step()
        loss_sum += loss.detach()
        hits += hit
        count += y.numel()
        if on_step is not None:
            on_step(step, len(parts), float(loss_sum) / count)
    return loss_sum, hits, torch.tensor(count, device=device)


def evaluate(model, images, labels, batch, device, classes, probabilities=False):
    """Loss, right predictions, count and confusion matrix in evaluation mode.

    Returns
    -------
    tuple of Tensor
        Summed loss (float64), right predictions, samples (or pixels), and the
        int64 ``[classes, classes]`` confusion matrix (rows: truth).
    """
    model.eval()
    loss_sum = torch.zeros((), dtype=torch.float64, device=device)
    hits = torch.zeros((), dtype=torch.int64, device=device)
    confusion = torch.zeros(classes * classes, dtype=torch.int64, device=device)
    count = 0
    with torch.inference_mode():
        for idx in torch.split(torch.arange(len(images)), int(batch)):
            x, y = batch_tensors(images, labels, idx, device)
            out = model(x)
            loss, hit = loss_and_hits(out, y, probabilities)
            loss_sum += loss
            hits += hit
            count += y.numel()
            pairs = y.reshape(-1) * classes + out.argmax(1).reshape(-1)
            confusion += torch.bincount(pairs, minlength=classes * classes)
    return (loss_sum, hits, torch.tensor(count, device=device),
            confusion.reshape(classes, classes))


def iou_per_class(confusion):
    """Intersection over union of each class from a confusion matrix (NaN when a class
    is neither present nor predicted)."""
    c = confusion.double()
    inter = c.diagonal()
    union = c.sum(0) + c.sum(1) - inter
    return torch.where(union > 0, inter / union.clamp_min(1), torch.full_like(inter, float("nan")))
