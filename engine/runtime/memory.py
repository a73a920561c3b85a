"""What a run may use: the memory estimate and limit, and the allocator tuning.

A run or a training is refused up front (:class:`~engine.runtime.errors.MemoryLimitError`,
naming the estimate, the limit and the node that dominates) when its estimate exceeds
the limit: :func:`default_memory_limit`, ``min(4 GiB, 50 % of RAM)`` unless the
environment variable ``CONVCANVAS_MEMORY_LIMIT`` sets it (``8GiB``, ``512MiB``, bytes);
the designer passes the limit of its settings with every run.

The estimate (:func:`estimate_memory`, :func:`training_memory`) is made per node from
the catalogue: each kind states the bytes per sample it needs beyond its inputs and
output (:class:`engine.catalogue.memory.Memory`: forward working memory such as a
deformable conv's sampling buffers, what a capturing run keeps, what autograd saves,
backward working memory). The runtime frees a tensor after its last reader (a
capturing run keeps them all), so a forward pass peaks at the largest, over the
topological order, of the tensors alive plus the node's own output and working
memory; weights come on top. Training adds the gradients (as many as the weights),
the optimizer's state (Adam two per weight, SGD with momentum one), every activation
and saved tensor of a batch until the backward pass frees them, the data set, and the
evaluation pass (up to 256 samples at once). ``bench/memory.py`` prints the estimate
beside the measured peak; ``tests/test_memory_guard.py`` keeps them within 2x.

Allocator tuning (glibc only). By default glibc serves blocks above a
dynamic threshold with ``mmap`` and trims the heap top after large frees, so
a run's activations often land on fresh pages: measured on the default
example after warm-up, hundreds of minor page faults per run (80-710 per
plain run, 320-570 per capturing run). The first :func:`~engine.runtime.build.build_model`
therefore calls ``mallopt`` once for the process: ``M_MMAP_THRESHOLD`` = 32
MiB and ``M_TRIM_THRESHOLD`` = 128 MiB (freed memory up to that amount stays
with the process for the next run); then a run takes 0-20 faults. The effect
on time is small and within this shared 2-core machine's noise
(``bench/capture.py --threads 1``, four alternating processes each way): the
raw capturing forward took 0.98-1.00x the plain one with the tuning and
1.01-1.12x without; ``Session.run`` with / without capture 1.06-1.08x with it
and 1.03-1.17x without. (An earlier figure of 1.15-1.2x without it, taken on
the raw forward, is not reproduced.) The plain run's times with and without
it overlap (no slowdown measurable). Kernels with several MB of temporaries feel it
more: a deformable conv at 256 channels, 14 x 14 (``bench/deform.py``, which tunes the
allocator itself) took 2.4 ms with 1,370 faults per call untuned, 1.0 ms tuned.
The designer runs its sessions in an engine process (:mod:`.process`), so the
tuning applies there, not to the designer's own process. Set
``CONVCANVAS_MALLOPT=0`` to leave the allocator alone; explicit
``MALLOC_MMAP_THRESHOLD_`` / ``MALLOC_TRIM_THRESHOLD_`` environment settings are
respected.

A capturing run keeps every activation alive until its result is dropped; on
ResNet-50 at 224×224 that is 144 MiB, more than the trim threshold, so freeing
one result often gave the pages back and the next capturing run faulted them in
again (35,000 minor faults, +50 % CPU: capture cost 1.5x a plain run).
:func:`keep_freed_heap` raises the trim threshold to twice the activations of
the session's graph (at most 1 GiB), so capture costs 1.1-1.17x there
(``bench/capture.py --graph bench/graphs/resnet50.convgraph.json``).
"""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass

from ..analysis.cost import activation_bytes
from ..catalogue.memory import Memory
from .errors import MemoryLimitError, format_bytes

__all__ = ["GiB", "LIMIT_VARIABLE", "tune_allocator", "keep_freed_heap", "physical_memory",
           "built_in_limit", "default_memory_limit", "parse_size", "MemoryEstimate",
           "estimate_memory", "training_memory", "estimate_bytes", "check_memory",
           "OPTIMIZER_STATE", "OVERHEAD"]

GiB = 1 << 30


# -- allocator ------------------------------------------------------------------------
_ALLOCATOR_TUNED: bool | None = None


def tune_allocator() -> bool:
    """Set glibc's mmap and trim thresholds once (see the module docstring).

    Returns
    -------
    bool
        Whether the thresholds are set (False off glibc, when disabled with
        ``CONVCANVAS_MALLOPT=0`` or when the environment sets them).
    """
    global _ALLOCATOR_TUNED
    if _ALLOCATOR_TUNED is not None:
        return _ALLOCATOR_TUNED
    _ALLOCATOR_TUNED = False
    if (os.environ.get("CONVCANVAS_MALLOPT", "1") == "0" or not sys.platform.startswith("linux")
            or "MALLOC_MMAP_THRESHOLD_" in os.environ
            or "MALLOC_TRIM_THRESHOLD_" in os.environ):
        return False
    try:
        import ctypes
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 - glibc only (not musl)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    _ALLOCATOR_TUNED = bool(mallopt(m_mmap_threshold, 32 << 20)
                            and mallopt(m_trim_threshold, 128 << 20))
    if _ALLOCATOR_TUNED:
        _TRIM[:] = [mallopt, 128 << 20]
    return _ALLOCATOR_TUNED


#: glibc's ``mallopt`` and the trim threshold set, once the allocator is tuned
_TRIM: list = []


def keep_freed_heap(nbytes: int) -> None:
    """Keep up to ``nbytes`` (at most 1 GiB) of freed memory with the process.

    Raises glibc's trim threshold (never lowers it) when :func:`tune_allocator`
    set it; a capturing run calls it with twice its activations, so the next
    run reuses the pages the last result held instead of faulting in new ones.
    """
    if not _TRIM:
        return
    mallopt, current = _TRIM
    want = min(int(nbytes), GiB)
    if want > current and mallopt(-1, want):  # -1: M_TRIM_THRESHOLD
        _TRIM[1] = want


# -- limit ----------------------------------------------------------------------------
_UNITS = {"": 1, "B": 1, "K": 1 << 10, "KB": 1 << 10, "KIB": 1 << 10, "M": 1 << 20,
          "MB": 1 << 20, "MIB": 1 << 20, "G": 1 << 30, "GB": 1 << 30, "GIB": 1 << 30,
          "T": 1 << 40, "TB": 1 << 40, "TIB": 1 << 40}

#: the environment variable that sets the limit
LIMIT_VARIABLE = "CONVCANVAS_MEMORY_LIMIT"


def parse_size(text: str) -> int:
    """``"8GiB"`` / ``"8 G"`` / ``"512MB"`` / ``"2000000000"`` -> bytes (binary units).

    Raises
    ------
    ValueError
        Not a positive size.
    """
    t = str(text).strip().upper().replace(" ", "")
    number = t.rstrip("KMGTIB")
    unit = t[len(number):]
    try:
        value = float(number)
    except ValueError:
        value = float("nan")
    if unit not in _UNITS or not (value > 0) or value == float("inf"):
        raise ValueError(f"{text!r} is not a size (e.g. 8GiB, 512MiB or a number of bytes)")
    return int(value * _UNITS[unit])


@functools.cache
def physical_memory() -> int | None:
    """Physical RAM in bytes (``/proc/meminfo``, else ``os.sysconf``), None if unknown.

    Read once per process (every run checks its memory estimate against it).
    """
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        return None


def built_in_limit() -> int:
    """``min(4 GiB, 50 % of physical RAM)`` (4 GiB when the RAM is unknown)."""
    ram = physical_memory()
    return 4 * GiB if not ram else min(4 * GiB, ram // 2)


def default_memory_limit() -> int:
    """The limit of a run given none: ``CONVCANVAS_MEMORY_LIMIT`` if set, else
    :func:`built_in_limit`. A value that is not a size is reported once on stderr and
    the built-in limit used."""
    text = os.environ.get(LIMIT_VARIABLE, "").strip()
    if text:
        try:
            return parse_size(text)
        except ValueError as exc:
            _warn_once(f"{LIMIT_VARIABLE}: {exc}; using {format_bytes(built_in_limit())}")
    return built_in_limit()


@functools.cache
def _warn_once(message: str) -> None:
    print(message, file=sys.stderr)


# -- estimate -------------------------------------------------------------------------
@dataclass(frozen=True)
class MemoryEstimate:
    """A memory estimate in bytes, where it peaks and which node dominates.

    ``total`` = ``fixed`` (weights and :data:`OVERHEAD`; in training also gradients,
    optimizer state and data) + ``live`` (tensors alive at the peak besides the peak
    node's own) + ``own`` (the peak node's output and working memory, times the batch).
    ``node`` / ``type``: the node at whose step it peaks; ``dominant`` /
    ``dominant_type`` / ``dominant_bytes``: the node that holds the most of it (its
    output, what it keeps, its working memory); ``phase``: the pass (``"run"``,
    ``"forward"``, ``"backward"``, ``"evaluation"``, ``"data"``).
    """

    total: int
    fixed: int
    live: int
    own: int
    node: str | None = None
    type: str = ""
    dominant: str | None = None
    dominant_type: str = ""
    dominant_bytes: int = 0
    phase: str = "run"

    def describe(self) -> str:
        """One line naming the node that dominates, e.g. ``dconv (DeformConv2d)
        dominates with 7.1 GiB of output and working memory; other tensors 12.0 MiB;
        weights and fixed costs 8.2 MiB``."""
        fixed = ("weights and fixed costs" if self.phase == "run" else
                 "weights, gradients, optimizer state, data and fixed costs")
        fixed = f"{fixed} {format_bytes(self.fixed)}"
        if self.phase == "data":
            return f"making the data takes {format_bytes(self.own)}; {fixed}"
        if self.dominant is None:
            return fixed
        where = "" if self.phase == "run" else f" in the {self.phase} pass"
        others = self.total - self.fixed - self.dominant_bytes
        return (f"{self.dominant} ({self.dominant_type}) dominates with "
                f"{format_bytes(self.dominant_bytes)} of output and working memory{where}; "
                f"other tensors {format_bytes(others)}; {fixed}")


def _steps(graph, analyzer):
    """``(id, type, ins bytes, out bytes, Memory, sources)`` in topological order."""
    steps = []
    for nid in graph.topo_order():
        o = analyzer.outcome(nid)
        node = graph.nodes[nid]
        out = activation_bytes(o.shape)
        ins = sum(activation_bytes(s) for s in o.ins.shapes) if o.ins else 0
        m = node.kind.memory(o.params, o.ins, o.shape) if o.ins else Memory()
        sources = tuple(dict.fromkeys(graph.inputs_of(nid).values()))
        steps.append((nid, node.type, ins, out, m, sources))
    return steps


def _peak(total, live, own, nid, typ, held, types):
    """A peak tuple: ``(total, live, own, node, type, dominant, its type, its bytes)``;
    the dominant node holds the most of it (its own step counted with what it holds)."""
    dom, dom_bytes = nid, own + held.get(nid, 0)
    for other, size in held.items():
        if other != nid and size > dom_bytes:
            dom, dom_bytes = other, size
    return (total, live, own, nid, typ, dom, types.get(dom, ""), dom_bytes)


_NO_PEAK = (0, 0, 0, None, "", None, "", 0)


def _forward(steps, batch: int, keep_all: bool, kept_field: str | None):
    """Peak of a forward pass (a :func:`_peak` tuple). ``keep_all``: every output
    stays (capture, autograd); then ``kept_field`` (``"kept"``, ``"saved"``) adds what
    each node keeps besides; else a tensor goes after its last reader."""
    last, types = {}, {}
    for i, (nid, typ, _i, _o, _m, sources) in enumerate(steps):
        types[nid] = typ
        for src in sources:
            last[src] = i

    def walk(stop):
        """Step through the pass; at step ``stop`` return what is held; else the peak
        ``(total, step)``."""
        held, live, best = {}, 0, (0, -1)
        for i, (nid, _typ, _ins, out, m, sources) in enumerate(steps):
            own = batch * (out + m.work)
            if i == stop:
                return held, live, own
            if own + live > best[0]:
                best = (own + live, i)
            held[nid] = batch * (out + (getattr(m, kept_field) if kept_field else 0))
            live += held[nid]
            if not keep_all:
                for src in sources:
                    if last.get(src) == i and src in held:
                        live -= held.pop(src)
        return best

    total, at = walk(None)
    if at < 0:
        return _NO_PEAK
    held, live, own = walk(at)  # once more, to the peak: who holds what (linear time)
    nid, typ = steps[at][0], steps[at][1]
    return _peak(total, live, own, nid, typ, held, types)


def _backward(steps, batch: int):
    """Peak of the backward pass (a :func:`_peak` tuple): the saved tensors of the
    nodes not yet reached, the gradients of the node's output and inputs, its backward
    working memory."""
    held = {nid: batch * (out + m.saved) for nid, _t, _i, out, m, _s in steps}
    types = {nid: typ for nid, typ, *_rest in steps}
    live, best = sum(held.values()), (0, -1, 0, 0)
    for i in range(len(steps) - 1, -1, -1):
        nid, _typ, ins, out, m, _sources = steps[i]
        own = batch * (out + ins + m.back)
        if own + live > best[0]:
            best = (own + live, i, live, own)
        live -= held[nid]
    total, at, live, own = best
    if at < 0:
        return _NO_PEAK
    reached = {nid: held[nid] for nid, *_rest in steps[:at + 1]}
    return _peak(total, live, own, steps[at][0], steps[at][1], reached, types)


#: what any run or training needs besides its tensors (decoding the image, the result's
#: Python objects, first-use buffers): 5-13 MiB measured on the small examples
OVERHEAD = 8 << 20


def _analyzer(graph, analyzer):
    if analyzer is not None:
        return analyzer, False
    from ..analysis import Analyzer

    return Analyzer(graph), True


def estimate_memory(graph, analyzer=None, *, capture: bool = True,
                    batch: int = 1) -> MemoryEstimate:
    """Memory of one run (forward pass) of a valid graph.

    Parameters
    ----------
    graph : engine.graph.Graph
    analyzer : engine.analysis.Analyzer, optional
        An up-to-date analyzer of ``graph`` (made and closed here otherwise).
    capture : bool, optional
        Every activation (and the kinds' ``kept`` captures) stays alive, as in
        ``Session.run``; else a tensor is freed after its last reader.
    batch : int, optional
        Samples per pass.
    """
    an, own = _analyzer(graph, analyzer)
    try:
        steps = _steps(graph, an)
        weights = 4 * int(an.result().total_params) + OVERHEAD
    finally:
        if own:
            an.close()
    peak = _forward(steps, batch, capture, "kept" if capture else None)
    return MemoryEstimate(weights + peak[0], weights, *peak[1:], "run")


#: optimizer state per weight (tensors the size of the weights)
OPTIMIZER_STATE = {"adam": 2, "sgd": 1}


def training_memory(graph, analyzer=None, *, batch: int, optimizer: str = "adam",
                    eval_batch: int = 256, data: int = 0,
                    data_work: int = 0) -> MemoryEstimate:
    """Memory of training a valid graph (see the module docstring).

    Parameters
    ----------
    batch : int
        Samples per step.
    optimizer : str, optional
        ``"adam"`` or ``"sgd"`` (:data:`OPTIMIZER_STATE`).
    eval_batch : int, optional
        Samples per evaluation pass (no gradients, tensors freed after use).
    data : int, optional
        Bytes of the data set held during training.
    data_work : int, optional
        Bytes needed for a while to make the data (drawing generated images).
    """
    an, own = _analyzer(graph, analyzer)
    try:
        steps = _steps(graph, an)
        weights = 4 * int(an.result().total_params)
    finally:
        if own:
            an.close()
    fixed = weights * (2 + OPTIMIZER_STATE.get(optimizer, 2)) + int(data) + OVERHEAD
    passes = [(*_forward(steps, batch, True, "saved"), "forward"),
              (*_backward(steps, batch), "backward")]
    if eval_batch > 0:
        passes.append((*_forward(steps, eval_batch, False, None), "evaluation"))
    passes.append((int(data_work), 0, int(data_work), None, "", None, "", 0, "data"))
    peak = max(passes, key=lambda p: p[0])
    return MemoryEstimate(fixed + peak[0], fixed, *peak[1:])


def estimate_bytes(graph, analyzer=None) -> int:
    """Bytes of one capturing run of ``graph`` (:func:`estimate_memory`'s total)."""
    return estimate_memory(graph, analyzer).total


def check_memory(estimate: MemoryEstimate, limit: int | None = None,
                 what: str = "running the graph") -> int:
    """Raise :class:`MemoryLimitError` when ``estimate`` exceeds ``limit``
    (default :func:`default_memory_limit`); return the estimated bytes."""
    limit = default_memory_limit() if limit is None else int(limit)
    if estimate.total > limit:
        raise MemoryLimitError(estimate.total, limit, what, estimate.describe())
    return estimate.total
