"""The runtime in a separate process, for callers whose threads must never stall.

The designer's UI thread runs a Python slot for every timer, paint and input
event, and each needs the GIL. A torch runtime in a thread of the designer's
process shares that GIL: importing torch holds it for 45 ms of CPU time at
once in ``torch._C``'s initialisation (and for seconds without the care
:func:`designer.panel.controller.load_runtime_here` takes), and every run hands
it back and forth between the Python glue of each layer and the UI. Here torch
lives in a child process (``python -m engine.runtime.process FD``), so the
designer's process never imports it, and its worker thread only waits on a
socket (with the GIL released) while the engine works.

Client side (torch-free): :class:`EngineProcess` starts the child on first use
and restarts it if it died, and :class:`RemoteRuntime` offers what the
designer's jobs use of :mod:`engine.runtime` (``Session``, ``prepare_input``,
``load_image``, the exceptions) with the same signatures. Calls are
synchronous and serialised (one lock per process). A ``callback`` (progress of
``Session.run`` or ``fit_offsets``) is called in the calling thread for every
progress message; when it raises, the child is told to cancel (its own
callback then raises :class:`~engine.runtime.errors.RunCancelled`) and the
callback's exception is raised once the child has stopped.

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

Only Linux/POSIX (the socket is passed as an inherited file descriptor);
:func:`available` says whether this module can be used.
"""

from __future__ import annotations

import atexit
import itertools
import os
import pickle
import signal
import socket
import struct
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from . import images
from .errors import ImageError, MemoryLimitError, RunCancelled, RuntimeGraphError, WeightsError

__all__ = ["EngineProcess", "EngineProcessError", "RemoteRuntime", "RemoteSession",
           "available", "shared_process", "serve", "main"]

#: what a client may call (methods of a Session; functions of engine.runtime)
SESSION_METHODS = frozenset({"run", "set_input", "load_weights", "save_weights", "state_dict",
                             "effective_rf", "fit_offsets", "reset_offsets", "verify_export"})
FUNCTIONS = frozenset({"prepare_input"})
#: socket buffer size asked for (the kernel may cap it: net.core.wmem_max/rmem_max)
SOCKET_BUFFER = 4 << 20


class EngineProcessError(RuntimeError):
    """The engine process could not start or stopped unexpectedly."""


def torch_thread_defaults() -> dict[str, str]:
    """Environment for torch beside a UI: a core left to the UI thread, idle threads sleep.

    ``OMP_NUM_THREADS`` = cores − 1 (at least 1), ``OMP_WAIT_POLICY=PASSIVE``; set
    with ``setdefault`` so that the user's own settings win.
    """
    return {"OMP_WAIT_POLICY": "PASSIVE",
            "OMP_NUM_THREADS": str(max(1, (os.cpu_count() or 2) - 1))}


def available() -> bool:
    """Whether a child process can serve the runtime here (POSIX)."""
    return os.name == "posix" and hasattr(socket, "socketpair")


# -- wire format ------------------------------------------------------------------------
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


# -- client -----------------------------------------------------------------------------
class EngineProcess:
    """A child process serving :mod:`engine.runtime` (started on first use).

    Parameters
    ----------
    env : dict, optional
        Extra environment variables of the child (they override inherited
        ones). By default torch's OpenMP threads sleep when idle and leave one
        core to the designer (``OMP_WAIT_POLICY=PASSIVE``, ``OMP_NUM_THREADS``
        = cores - 1) unless the environment already sets them.
    """

    def __init__(self, env: dict[str, str] | None = None):
        self.env = dict(env or {})
        self._lock = threading.RLock()
        self._proc: subprocess.Popen | None = None
        self._conn: Connection | None = None
        self.generation = 0  # bumped at every (re)start: sessions of older ones are gone
        self.ready = False  # the running child has answered (it has loaded torch)
        self._ids = itertools.count(1)
        self._drops: list[tuple[int, int]] = []  # sessions to free (see drop_session)

    @property
    def alive(self) -> bool:
        """Whether the child process is running."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        """The child's process id; None when there is none (not started, closed, or died)."""
        return self._proc.pid if self._proc is not None else None

    def _child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        for key, value in torch_thread_defaults().items():
            env.setdefault(key, value)
        root = str(Path(__file__).resolve().parents[2])  # where `engine` is importable
        paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
        env["PYTHONPATH"] = os.pathsep.join([root, *[p for p in paths if p != root]])
        env.update(self.env)
        return env

    def start(self) -> None:
        """Start the child if it is not running (returns at once; it loads torch)."""
        with self._lock:
            if self.alive:
                return
            self._close_connection()
            ours, theirs = socket.socketpair()
            for end in (ours, theirs):  # a run's arrays cross in fewer, larger writes
                for opt in (socket.SO_SNDBUF, socket.SO_RCVBUF):
                    try:
                        end.setsockopt(socket.SOL_SOCKET, opt, SOCKET_BUFFER)
                    except OSError:
                        pass
            try:
                self._proc = subprocess.Popen(
                    [sys.executable, "-m", "engine.runtime.process", str(theirs.fileno())],
                    pass_fds=(theirs.fileno(),), env=self._child_env(), stdin=subprocess.DEVNULL)
            except OSError as exc:
                ours.close()
                raise EngineProcessError(f"cannot start the engine process: {exc}") from None
            finally:
                theirs.close()
            self._conn = Connection(ours.detach())
            self.generation += 1
            self.ready = False

    def _close_connection(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except OSError:
                pass
            self._conn = None

    def close(self, timeout_s: float = 5.0) -> None:
        """Ask the child to exit (then kill it); a later call starts a new one.

        If a request is still waiting for the child after ``timeout_s`` (a
        child that hangs), the child is killed first: the request then fails
        and closing goes on.
        """
        if not self._lock.acquire(timeout=timeout_s):
            proc = self._proc
            if proc is not None and proc.poll() is None:
                proc.kill()
            if not self._lock.acquire(timeout=timeout_s):
                return
        try:
            self._close_locked(timeout_s)
        finally:
            self._lock.release()

    def _close_locked(self, timeout_s: float) -> None:
        proc, self._proc = self._proc, None
        self.ready = False
        if proc is not None and proc.poll() is None:
            try:
                send(self._conn, ("exit",))
            except (OSError, ValueError):
                pass
        self._close_connection()
        if proc is not None:
            try:
                proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def _died(self) -> EngineProcessError:
        proc = self._proc
        code = proc.poll() if proc is not None else None
        if proc is not None and code is None:
            proc.kill()
            code = proc.wait()
        self._proc = None
        self.ready = False
        self._close_connection()
        how = "was killed" if code is not None and code < 0 else f"exited with status {code}"
        return EngineProcessError(f"the engine process stopped unexpectedly ({how}); "
                                  "the next job starts a new one")

    def request(self, message: tuple, callback: Callable | None = None) -> Any:
        """Send one request and wait for its answer, calling ``callback`` on progress."""
        with self._lock:
            self.start()
            self._send_drops()
            conn = self._conn
            pending: BaseException | None = None
            # only the connection's own errors mean the process died: an error the
            # engine answers with (a file it could not write is an OSError too) is
            # raised after the exchange, and the process and its sessions live on
            try:
                send(conn, message)
                while True:
                    kind, *rest = recv(conn)
                    if kind != "progress":
                        break
                    if callback is not None and pending is None:
                        try:
                            callback(*rest[0])
                        except BaseException as exc:  # noqa: BLE001 - re-raised below
                            pending = exc
                            send(conn, ("cancel",))
            except (EOFError, OSError) as exc:
                if pending is not None:
                    raise pending from None
                raise self._died() from exc
            self.ready = True
            if pending is not None:
                raise pending
            if kind == "ok":
                return rest[0]
            exc, tb = rest
            if tb:
                exc.add_note(f"in the engine process (pid {self.pid}):\n{tb}")
            raise exc

    def new_session(self, graph, seed: int, memory_limit: int | None) -> tuple[int, int]:
        """Build a Session in the child; ``(session id, generation)``."""
        with self._lock:
            self.start()
            sid = next(self._ids)
            self.request(("new", sid, graph, int(seed), memory_limit))
            return sid, self.generation

    def drop_session(self, sid: int, generation: int) -> None:
        """Free a session's model in the child; never waits (any thread).

        The child does not answer a drop. If a request is in progress, the
        drop is sent before the next one.
        """
        if generation != self.generation:
            return
        self._drops.append((sid, generation))
        if self._lock.acquire(blocking=False):
            try:
                self._send_drops()
            finally:
                self._lock.release()

    def _send_drops(self) -> None:
        while self._drops:
            sid, generation = self._drops.pop()
            if generation == self.generation and self.alive:
                try:
                    send(self._conn, ("drop", sid))
                except (OSError, ValueError):
                    pass


_shared: EngineProcess | None = None
_shared_lock = threading.Lock()


def shared_process() -> EngineProcess:
    """The engine process of this interpreter (one for all callers; closed at exit)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = EngineProcess()
            atexit.register(_shared.close)
        return _shared


def _graph_dict(graph):
    return graph.to_dict() if hasattr(graph, "to_dict") else graph


class RemoteSession:
    """A :class:`~engine.runtime.run.Session` living in an engine process.

    Same methods and results; ``callback`` arguments are called in the calling
    thread. :attr:`alive` is False once the process that held it has stopped
    (a new session must then be built).

    Every method but :meth:`close` raises :class:`EngineProcessError` when the
    session is no longer alive or the process stops during the call, and otherwise
    what the session's method raises in the engine process.
    """

    def __init__(self, process: EngineProcess, graph, seed: int = 0, *,
                 memory_limit: int | None = None):
        self.process = process
        self.seed = int(seed)
        self.sid, self.generation = process.new_session(_graph_dict(graph), seed, memory_limit)

    @property
    def alive(self) -> bool:
        """Whether the process that built this session still runs (False after :meth:`close`)."""
        return self.process.alive and self.process.generation == self.generation

    def _call(self, method: str, *args, callback=None, **kwargs):
        if not self.alive:
            raise EngineProcessError("the engine process that held this model stopped; "
                                     "build it again")
        return self.process.request(("call", self.sid, method, args, kwargs,
                                     callback is not None), callback)

    def run(self, image=None, callback=None, *, capture: bool = True,
            keep_input: bool = False):
        """As ``Session.run``; ``callback`` is called in this thread."""
        return self._call("run", image, callback=callback, capture=capture,
                          keep_input=keep_input)

    def set_input(self, image=None):
        """As ``Session.set_input``."""
        return self._call("set_input", image)

    def load_weights(self, weights) -> None:
        """As ``Session.load_weights`` (a path is read by the engine process)."""
        return self._call("load_weights", weights)

    def save_weights(self, path) -> str:
        """As ``Session.save_weights`` (the engine process writes the file)."""
        return self._call("save_weights", str(path))

    def state_dict(self):
        """As ``Session.state_dict``."""
        return self._call("state_dict")

    def effective_rf(self, node_id: str, index, input_id: str | None = None):
        """As ``Session.effective_rf``."""
        return self._call("effective_rf", node_id, tuple(index), input_id)

    def fit_offsets(self, node_id: str, steps: int = 30, callback=None, *,
                    angle: float = 30.0, lr: float = 0.05):
        """As ``Session.fit_offsets``; ``callback`` is called in this thread."""
        return self._call("fit_offsets", node_id, steps, callback=callback, angle=angle, lr=lr)

    def reset_offsets(self, node_id: str) -> None:
        """As ``Session.reset_offsets``."""
        return self._call("reset_offsets", node_id)

    def verify_export(self, code: str) -> float:
        """As ``Session.verify_export`` (the code is executed in the engine process)."""
        return self._call("verify_export", code)

    def close(self) -> None:
        """Free the model in the engine process."""
        self.process.drop_session(self.sid, self.generation)
        self.generation = -1


class RemoteRuntime:
    """What the designer's jobs use of :mod:`engine.runtime`, served by a child process.

    ``Session``, ``prepare_input`` and the exception classes behave as the
    runtime's; ``load_image`` (Pillow, no torch) runs in the calling process.
    """

    RunCancelled = RunCancelled
    WeightsError = WeightsError
    ImageError = ImageError
    RuntimeGraphError = RuntimeGraphError
    MemoryLimitError = MemoryLimitError
    load_image = staticmethod(images.load_image)

    def __init__(self, process: EngineProcess | None = None):
        self.process = process or shared_process()

    def Session(self, graph, seed: int = 0, *, memory_limit: int | None = None):  # noqa: N802
        """Build a model in the engine process: a :class:`RemoteSession` (as ``Session``).

        Raises
        ------
        RuntimeGraphError, MemoryLimitError
            As :class:`~engine.runtime.run.Session`.
        EngineProcessError
            The engine process cannot start or stops.
        """
        return RemoteSession(self.process, graph, seed, memory_limit=memory_limit)

    def prepare_input(self, graph, input_id: str, image=None, seed: int = 0):
        """As :func:`~engine.runtime.run.prepare_input`, computed in the engine process."""
        return self.process.request(("call", None, "prepare_input",
                                     (_graph_dict(graph), input_id, image, seed), {}, False))


# -- server -----------------------------------------------------------------------------
def serve(conn: Connection) -> None:
    """Answer requests on ``conn`` until it closes or an ``exit`` arrives (child side)."""
    try:
        from . import run as rt  # torch
    except Exception as exc:  # noqa: BLE001 - answered to every request below
        rt, broken = None, RuntimeError(f"the engine process cannot load the runtime "
                                        f"(PyTorch): {type(exc).__name__}: {exc}")
    sessions: dict = {}
    functions = {"prepare_input": getattr(rt, "prepare_input", None)}
    while True:
        try:
            message = recv(conn)
        except (EOFError, OSError):
            return
        kind = message[0]
        if kind == "exit":
            return
        if kind == "cancel":  # late: its call had already ended
            continue
        if kind == "drop":  # not answered
            sessions.pop(message[1], None)
            continue
        try:
            if rt is None:
                raise broken
            if kind == "new":
                _, sid, graph, seed, memory_limit = message
                sessions[sid] = rt.Session(graph, seed, memory_limit=memory_limit)
                value = None
            elif kind == "call":
                _, sid, method, args, kwargs, with_callback = message
                if sid is None:
                    if method not in FUNCTIONS:
                        raise ValueError(f"unknown function {method!r}")
                    fn = functions[method]
                else:
                    if method not in SESSION_METHODS:
                        raise ValueError(f"unknown method {method!r}")
                    if sid not in sessions:
                        raise EngineProcessError(f"no session {sid} in the engine process")
                    fn = getattr(sessions[sid], method)
                if with_callback:
                    kwargs = dict(kwargs, callback=_progress_sender(conn))
                value = fn(*args, **kwargs)
            else:
                raise ValueError(f"unknown request {kind!r}")
        except BaseException as exc:  # noqa: BLE001 - every failure goes to the client
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            tb = "" if isinstance(exc, RunCancelled) else traceback.format_exc()
            send(conn, ("error", _portable(exc), tb))
            continue
        try:
            send(conn, ("ok", value))
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            send(conn, ("error", RuntimeError(f"cannot send the result: {exc}"), ""))


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if the client can unpickle it without torch, else a RuntimeError like it.

    Builtin exceptions and those of ``engine`` (the runtime's keep their type
    and attributes) cross as they are; any other (torch's own, ...) would
    make the client import its module, so it becomes a RuntimeError with the
    same one-line message.
    """
    module = type(exc).__module__
    if module == "builtins" or module == "engine" or module.startswith("engine."):
        try:
            pickle.loads(pickle.dumps(exc, protocol=5))
            exc.__traceback__ = None
            return exc
        except Exception:  # noqa: BLE001 - not picklable: described instead
            pass
    return RuntimeError(str(exc) or type(exc).__name__)


def _progress_sender(conn: Connection):
    def progress(*args) -> None:
        send(conn, ("progress", args))
        while conn.poll():
            if recv(conn)[0] == "cancel":
                raise RunCancelled("cancelled")
    return progress


def main(argv: list[str] | None = None) -> int:
    """Child entry point: ``python -m engine.runtime.process FD``."""
    argv = sys.argv[1:] if argv is None else argv
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the designer's to handle
    conn = Connection(int(argv[0]))
    try:
        serve(conn)
    finally:
        conn.close()
    return 0


if __name__ == "__main__":
    # run the module under its own name, so that what it pickles (EngineProcessError)
    # names engine.runtime.process, not __main__
    from engine.runtime import process as _module

    sys.exit(_module.main())
