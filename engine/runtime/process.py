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

The parts: :mod:`.remote` is the client side (torch-free), :mod:`.wire` the
messages; this module is the child's side (:func:`serve`, :func:`main`) and
re-exports the client's names, so ``from engine.runtime.process import
RemoteRuntime`` keeps working. It imports the runtime (torch) only inside
:func:`serve`, in the child.
"""

from __future__ import annotations

import pickle
import signal
import sys
import traceback
from multiprocessing.connection import Connection

from .errors import RunCancelled
from .remote import (
    INTERCHANGE_FUNCTIONS,
    EngineProcess,
    EngineProcessError,
    RemoteRuntime,
    RemoteSession,
    available,
    shared_process,
    torch_thread_defaults,
)
from .wire import FUNCTIONS, SESSION_METHODS, recv, send

__all__ = ["EngineProcess", "EngineProcessError", "RemoteRuntime", "RemoteSession",
           "available", "shared_process", "torch_thread_defaults", "send", "recv",
           "SESSION_METHODS", "FUNCTIONS", "serve", "main"]


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
        if kind in ("cancel", "pause", "resume"):  # late: its call had already ended
            continue
        if kind == "drop":  # not answered
            sessions.pop(message[1], None)
            continue
        send(conn, ("taken",))  # the client knows from this that the request reached us
        try:
            if rt is None:
                raise broken
            if kind == "new":
                _, sid, graph, seed, memory_limit = message
                sessions[sid] = rt.Session(graph, seed, memory_limit=memory_limit)
                value = None
            elif kind == "train":  # the designer's training job (train_job: torch)
                from .train_job import train_in_process

                value = train_in_process(conn, *message[1:])
            elif kind == "call":
                _, sid, method, args, kwargs, with_callback = message
                if sid is None and method in INTERCHANGE_FUNCTIONS:
                    fn = _interchange_job(method)
                elif sid is None:
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


def _interchange_job(name: str):
    """An import or ONNX-export job of :mod:`engine.interchange.jobs` (loaded on first use)."""
    from engine.interchange import jobs

    return getattr(jobs, name)


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
    # run the module under its own name, not as a second copy named __main__, so that
    # what it pickles names modules the client can import
    from engine.runtime import process as _module

    sys.exit(_module.main())
