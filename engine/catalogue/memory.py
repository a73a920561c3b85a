"""Memory facts of the layer kinds: what one sample needs beyond the tensors it passes on.

Every :class:`~engine.catalogue.base.LayerKind` answers ``kind.memory(params, ins, out)``
with a :class:`Memory`: bytes per sample (float32) that a forward or backward pass of
that node needs *beyond* its inputs and its output, which the runtime's estimate
(:mod:`engine.runtime.memory`) already counts. The figures follow what the code that
runs the node allocates (torch's CPU kernels, :mod:`engine.deform`); they were checked
against measured peaks (``bench/memory.py``, ``tests/test_memory_guard.py``). This
module only does the arithmetic; the kinds say which of it applies to them.
"""

from __future__ import annotations

from math import prod
from typing import NamedTuple

__all__ = ["Memory", "FLOAT", "nbytes", "onednn_conv", "conv_memory", "transposed_memory",
           "deform_memory", "separable_memory", "indices_memory", "mask_memory"]

#: bytes of one float32 element (the runtime's dtype)
FLOAT = 4


class Memory(NamedTuple):
    """Bytes per sample a node needs beyond its inputs and its output.

    ``work``: transient while its forward runs (im2col columns, sampling
    buffers), freed when it returns. ``kept``: what a capturing run keeps
    besides the output (a deformable conv's offsets). ``saved``: what autograd
    keeps for the backward pass besides the inputs and the output (pooling
    indices, sampling tables). ``back``: transient while its backward runs.
    """

    work: int = 0
    kept: int = 0
    saved: int = 0
    back: int = 0


def nbytes(shape) -> int:
    """Bytes of one float32 sample of ``shape`` (``[C, *spatial]``)."""
    return FLOAT * prod(shape)


def onednn_conv(ins_shape, groups: int, kernel) -> bool:
    """Whether torch runs a float32 CPU convolution with oneDNN rather than its own
    unfolding kernels (``ConvParams::use_mkldnn``, one sample): grouped, a kernel over
    3 x 3 in its last two axes, or more than 20480 elements in ``C`` times the first two
    spatial axes (``N·C·H·W`` in 2-D, ``N·C·D·H`` in 3-D)."""
    return (groups > 1 or (kernel[-1] > 3 and kernel[-2] > 3)
            or ins_shape[0] * ins_shape[1] * ins_shape[2] > 20480)


def conv_memory(dims: int, ins_shape, out, groups: int, kernel) -> Memory:
    """An ordinary convolution on the CPU (float32).

    With oneDNN (:func:`onednn_conv`) the input is reordered (padded, blocked) and a
    blocked output reordered back: ``2 x input + output``. Otherwise torch unfolds the
    input into ``C_in · prod(kernel) x prod(out spatial)`` columns (``thnn_conv2d``,
    ``slow_conv3d``) and multiplies into a temporary output. Measured: 16 -> 16 at
    32^3 needs 56 MiB of columns, 64 -> 128 at 16 x 56^2 (oneDNN) about 2 x input +
    output. The backward needs the same again (the gradient's reorders or columns).
    """
    x, y = nbytes(ins_shape), nbytes(out)
    if onednn_conv(ins_shape, groups, kernel):
        work = 2 * x + y
    else:
        work = FLOAT * (ins_shape[0] // groups) * prod(kernel) * prod(out[1:]) + y
    return Memory(work=work, back=work)


def transposed_memory(ins_shape, out, kernel) -> Memory:
    """A transposed convolution: ``C_out · k x H_in·W_in`` columns folded into the
    output (col2im), the input and output reordered once."""
    cols = FLOAT * out[0] * prod(kernel) * prod(ins_shape[1:])
    work = cols + nbytes(ins_shape) + nbytes(out)
    return Memory(work=work, back=work)


def deform_memory(ins_shape, out, kernel, offset_groups: int, modulated: bool) -> Memory:
    """A deformable convolution (:mod:`engine.deform`).

    With ``S = H_out·W_out · k_h·k_w · offset_groups`` samples: the offset conv's
    output (``2S`` floats, ``3S`` modulated: kept by a capturing run; the mask is a
    view of it, never copied); the forward's sampling buffers, alive at once
    (positions and fractions ``8 S`` bytes, floors ``8 S``, factors ``16 S``, their
    bilinear products ``16 S``, weights ``16 S``, int32 corners ``8 S``, first-corner
    rows ``4 S``, corner rows ``16 S``, the index ``16 S``: ``108 S``), the gather
    table (the input with a two-pixel zero border) and the im2col chunk. Training
    keeps the table, index, weights and fractions: ``40 S`` bytes; its backward sorts
    the samples (keys and order, ``20 S``), dots the corners (``16 S``, and a
    transposed copy, ``16 S``) and forms the offset gradient (``~48 S``), and needs
    the table's gradient.
    """
    c, h, w = ins_shape
    s = prod(out[1:]) * prod(kernel) * offset_groups
    offsets = FLOAT * (3 if modulated else 2) * s
    table = FLOAT * c * (h + 4) * (w + 4)
    work = 108 * s + offsets + table
    saved = 40 * s + table + offsets
    back = 100 * s + (16 * s if modulated else 0) + table + offsets
    return Memory(work=work, kept=offsets, saved=saved, back=back)


def separable_memory(middle, ins_shape, out) -> Memory:
    """Two convolutions in one module: the tensor between them (``middle``) is made,
    kept for the backward, and the larger of the two steps' reorders is needed."""
    m = nbytes(middle)
    step = max(2 * nbytes(ins_shape) + m, 2 * m + nbytes(out))
    return Memory(work=m + step, saved=m, back=m + step)


def indices_memory(out) -> Memory:
    """Max pooling under autograd keeps int64 indices (two floats) per output element."""
    return Memory(saved=2 * nbytes(out))


def mask_memory(out) -> Memory:
    """Dropout keeps a one-byte mask per element for the backward."""
    return Memory(saved=prod(out))
