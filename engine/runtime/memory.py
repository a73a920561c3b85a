"""What a run may use: the memory estimate and limit, and the allocator tuning.

A run is refused (:class:`~engine.runtime.errors.MemoryLimitError`) when its
estimate (:func:`estimate_bytes`: activations x 2 plus the weights) exceeds
the limit (:func:`default_memory_limit`: ``min(4 GiB, 50 % of RAM)``).

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
it overlap (no slowdown measurable). The designer runs its sessions in an engine process
(:mod:`.process`), so the tuning applies there, not to the designer's own
process. Set ``CONVCANVAS_MALLOPT=0`` to leave the allocator alone;
explicit ``MALLOC_MMAP_THRESHOLD_`` / ``MALLOC_TRIM_THRESHOLD_`` environment
settings are respected.

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

from .errors import MemoryLimitError

__all__ = ["GiB", "tune_allocator", "keep_freed_heap", "physical_memory", "default_memory_limit",
           "estimate_bytes", "check_memory"]

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


# -- memory ---------------------------------------------------------------------------
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


def default_memory_limit() -> int:
    """``min(4 GiB, 50 % of physical RAM)`` (4 GiB when the RAM is unknown)."""
    ram = physical_memory()
    return 4 * GiB if not ram else min(4 * GiB, ram // 2)


def estimate_bytes(result) -> int:
    """Memory a run needs, from the analysis: activations x 2 plus the weights.

    Parameters
    ----------
    result : engine.analysis.AnalysisResult
        Analysis of a valid graph (float32, batch 1).

    Returns
    -------
    int
        ``2 * result.activation_bytes + 4 * result.total_params``.
    """
    return 2 * int(result.activation_bytes) + 4 * int(result.total_params)


def check_memory(result, limit: int | None = None, what: str = "running the graph") -> int:
    """Raise :class:`MemoryLimitError` when the estimate exceeds ``limit``; return it."""
    estimate = estimate_bytes(result)
    limit = default_memory_limit() if limit is None else int(limit)
    if estimate > limit:
        raise MemoryLimitError(estimate, limit, what)
    return estimate
