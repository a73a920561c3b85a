"""The messages between the designer's side and the engine process, and what a client may call.

Transfer: every message is pickled (protocol 5) with its contiguous numpy
arrays sent as out-of-band buffers, written from the child's tensors' memory
and read (``os.readv``, GIL released) straight into one new array each on
this side: a ``RunResult`` crosses with its arrays copied once, read-only
ones staying read-only, and the child keeps nothing of it. The default
example's 8.6 MB of activations add about 6 ms to a run (socket copies and
page faults of the new arrays). Nothing a client unpickles names a torch
class. Exceptions are pickled too (the runtime's keep their type and
attributes, others become a RuntimeError with their message); the child's
traceback is added to them as a note.

:data:`SESSION_METHODS` and :data:`FUNCTIONS` are the calls a client may ask
for (the engine process refuses any other). Torch-free.
"""

from __future__ import annotations

import os
import pickle
import struct
from multiprocessing.connection import Connection

import numpy as np

__all__ = ["SESSION_METHODS", "FUNCTIONS", "send", "recv"]

#: what a client may call (methods of a Session; functions of engine.runtime)
SESSION_METHODS = frozenset({"run", "set_input", "load_weights", "save_weights", "state_dict",
                             "effective_rf", "fit_offsets", "reset_offsets", "verify_export"})
FUNCTIONS = frozenset({"prepare_input"})


def send(conn: Connection, obj) -> None:
    """Pickle ``obj`` (protocol 5) and send it with its buffers out of band."""
    buffers: list[pickle.PickleBuffer] = []
    head = pickle.dumps(obj, protocol=5, buffer_callback=buffers.append)
    raws = [b.raw() for b in buffers]
    conn.send_bytes(pickle.dumps((head, [r.nbytes for r in raws]), protocol=5))
    for r in raws:
        conn.send_bytes(r)


def recv(conn: Connection):
    """Receive what :func:`send` sent (each buffer read straight into a new array)."""
    head, sizes = pickle.loads(conn.recv_bytes())
    fd = conn.fileno()
    buffers = []
    for n in sizes:
        size = struct.unpack("!i", _read_exact(fd, 4))[0]  # Connection's framing
        if size == -1:
            size = struct.unpack("!Q", _read_exact(fd, 8))[0]
        if size != n:
            raise OSError(f"engine process: expected a buffer of {n} bytes, got {size}")
        buf = np.empty(n, dtype=np.uint8)  # no zero fill
        _read_exact(fd, n, memoryview(buf))
        buffers.append(buf)
    return pickle.loads(head, buffers=buffers)


def _read_exact(fd: int, n: int, into: memoryview | None = None):
    """Read ``n`` bytes from ``fd`` (into ``into`` if given; the GIL is released)."""
    view = memoryview(bytearray(n)) if into is None else into
    out, done = view, 0
    while done < n:
        got = os.readv(fd, [view[done:]])
        if got == 0:
            raise EOFError
        done += got
    return bytes(out) if into is None else out
