"""glibc's malloc in the processes that run torch on the CPU (torch-free).

glibc maps a block above its *mmap threshold* with its own ``mmap`` and gives
the top of its heap back to the system once more than its *trim threshold*
lies free there. Both thresholds start low (128 KiB) and rise only when a
block that was mapped is freed: to that block's size and twice that (at most
32 and 64 MiB). Until a process has freed one large block, a torch op that
makes several MB of temporaries and frees them gets fresh pages on every call,
one page fault per 4 KiB, and so does the next op that allocates. A
long-running process reaches the raised state by chance, after its first big
tensor; :func:`settle_malloc` reaches it at start, by freeing one 24 MiB block.

Measured (``bench/deform.py``'s sizes, 2 threads, AMD EPYC): a deformable conv
(256 channels, 14 x 14) and ``F.conv2d`` called in turn took 2.4 and 1.08 ms
with 1,370 page faults per call, and 1.0 and 0.60 ms with none once settled.

Called by the command line (:func:`engine.cli.main`) and the engine process
(:func:`engine.runtime.process.serve`); a no-op with another C library.
"""

from __future__ import annotations

import ctypes
import platform

__all__ = ["BLOCK", "settle_malloc"]

#: bytes of the block freed: under glibc's 32 MiB cap on the mmap threshold
BLOCK = 24 << 20

_settled = False


def settle_malloc(block: int = BLOCK) -> bool:
    """Raise glibc's mmap and trim thresholds by freeing one ``block``-byte block.

    Parameters
    ----------
    block : int
        Size of the block, in bytes (the thresholds become ``block`` and
        ``2 * block``; glibc ignores blocks over 32 MiB for this).

    Returns
    -------
    bool
        Whether a block was freed: False when this process did so before or
        its C library is not glibc.
    """
    global _settled
    if _settled or platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(None)
    malloc, free = libc.malloc, libc.free
    malloc.restype, malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    free.restype, free.argtypes = None, [ctypes.c_void_p]
    free(malloc(block))
    _settled = True
    return True
