"""Where torch runs for the engine panel, and loading it without stalling the UI.

:func:`runtime` gives what the jobs use of :mod:`engine.runtime`: by default
an engine process (:mod:`engine.runtime.process`), a child that holds the
:class:`~engine.runtime.Session`; the worker thread only waits for its
answers, so loading torch and running the graph never hold the GIL that the
UI thread needs (in a thread of this process, importing torch alone blocked
the UI for 45 ms or more, see :func:`load_runtime_here`). With
``CONVCANVAS_ENGINE_PROCESS=0``, or where a child process cannot serve it
(not POSIX), the session lives in the worker thread of this process instead.
"""

from __future__ import annotations

import ctypes
import gc
import importlib.util
import os
import sys
import threading
from pathlib import Path

__all__ = ["runtime", "runtime_loaded", "use_engine_process", "load_runtime_here",
           "preload_torch_libraries", "again_after_restart", "TORCH_LIBRARIES",
           "interchange"]

#: torch's shared libraries, in dependency order (``torch/lib``; the ones present are loaded)
TORCH_LIBRARIES = ("libgomp.so.1", "libc10.so", "libtorch_cpu.so", "libtorch.so", "libshm.so",
                   "libtorch_python.so")

_runtime_lock = threading.Lock()
_remote = None


def use_engine_process() -> bool:
    """Whether torch runs in an engine process (default where it can) or in this one."""
    if os.environ.get("CONVCANVAS_ENGINE_PROCESS", "1") == "0":
        return False
    from engine.runtime import process  # torch-free

    return process.available()


def runtime():
    """What the jobs use of :mod:`engine.runtime` (``Session``, ``prepare_input``, ...).

    An :class:`engine.runtime.process.RemoteRuntime` (the engine process of
    this interpreter, started by its first request), or, without one, the
    module itself loaded in this process by :func:`load_runtime_here`. Call
    it from the worker thread.
    """
    global _remote
    if not use_engine_process():
        return load_runtime_here()
    with _runtime_lock:
        if _remote is None:
            from engine.runtime.process import RemoteRuntime

            _remote = RemoteRuntime()
        return _remote


def again_after_restart(job):
    """``job()``, once more if the engine process had stopped, idle, before it took a request.

    Such a process (killed between two jobs, or a moment before this one, before
    the operating system reported its end) held the job's session, which is
    gone; nothing of the job ran in it (the process acknowledges every request
    before it works on it). The second try builds the session again in a new
    process (the controller sees it is no longer alive). A process that stops
    while it works on a request is not retried: the job fails with why.
    """
    from engine.runtime.remote import EngineRestarted  # torch-free

    try:
        return job()
    except EngineRestarted:
        return job()


def interchange():
    """What runs the import and ONNX-export jobs (``import_model``, ``export_onnx``).

    The engine process's :class:`~engine.runtime.process.RemoteRuntime`, or, without
    one, :mod:`engine.interchange.jobs` itself with torch loaded in this process as
    :func:`load_runtime_here` loads it. Call it from the worker thread.
    """
    rt = runtime()
    if use_engine_process():
        return rt
    from engine.interchange import jobs

    return jobs


def runtime_loaded() -> bool:
    """Whether torch is loaded where the jobs run (else the next job loads it first)."""
    if not use_engine_process():
        return "torch" in sys.modules
    return _remote is not None and _remote.process.ready


def load_runtime_here():
    """:mod:`engine.runtime`, with torch imported into this process (worker thread).

    For when there is no engine process. Loading torch must not stall the UI
    thread, which needs the GIL for every Python slot and timer it runs, so
    the first call:

    - tells torch's OpenMP threads to sleep rather than spin while idle and to
      leave one core to the UI thread (unless the user set these variables):
      spinning threads preempted by the UI made runs up to 30 times slower on
      a 2-core machine and stalled the UI;
    - loads torch's shared libraries first with :func:`preload_torch_libraries`
      (``dlopen`` called through ctypes, which releases the GIL; the import
      of an extension module holds it: 300-700 ms for ``libtorch_cpu.so``);
    - imports with the cyclic garbage collector paused, then moves everything
      alive to the permanent generation (:func:`gc.freeze`): full collections
      during the import held the GIL for 20-100 ms each, and a full collection
      after it (in any thread, the UI's included) walks torch's 150 000 objects
      for 170-200 ms. Cycles among the objects alive at that moment are never
      collected afterwards (a small, bounded cost).

    What remains cannot be split: ``torch._C``'s module initialisation holds
    the GIL for about 45 ms of CPU time here (30-50 ms stalls of the UI thread
    on a quiet machine, more under load), which is why the designer runs torch
    in an engine process by default.
    """
    if "torch" not in sys.modules or "engine.runtime.run" not in sys.modules:
        with _runtime_lock:
            if "torch" not in sys.modules:
                from engine.runtime.process import torch_thread_defaults

                for key, value in torch_thread_defaults().items():
                    os.environ.setdefault(key, value)
                preload_torch_libraries()
            collecting = gc.isenabled()
            gc.disable()
            try:
                import engine.runtime.run  # noqa: F401 - torch
            finally:
                gc.freeze()
                if collecting:
                    gc.enable()
    import engine.runtime

    return engine.runtime


def preload_torch_libraries() -> list[str]:
    """``dlopen`` torch's shared libraries without holding the GIL (Linux only).

    CPython holds the GIL while it loads an extension module, and loading
    ``torch._C`` maps and relocates ``libtorch_cpu.so`` (400 MB) and its
    companions. Loaded beforehand with a ctypes *call* of ``dlopen``
    (``RTLD_NOW | RTLD_LOCAL``, the flags the import would use; ctypes releases
    the GIL around foreign calls, but not in ``ctypes.CDLL``), the import finds
    them in memory. Their static initialisers do not use the Python C API (they
    load in a process whose interpreter is not initialised). Does nothing when
    torch is already imported, not installed, or the platform is not Linux.

    Returns
    -------
    list of str
        The libraries loaded.
    """
    if "torch" in sys.modules or not sys.platform.startswith("linux"):
        return []
    try:
        spec = importlib.util.find_spec("torch")  # finds the package without importing it
    except (ImportError, ValueError):
        return []
    if spec is None or not spec.origin:
        return []
    folder = Path(spec.origin).parent / "lib"
    try:
        dlopen = ctypes.CDLL(None).dlopen
    except (OSError, AttributeError):
        return []
    dlopen.argtypes = [ctypes.c_char_p, ctypes.c_int]
    dlopen.restype = ctypes.c_void_p
    loaded = []
    for name in TORCH_LIBRARIES:
        path = folder / name
        if path.is_file() and dlopen(os.fsencode(path), os.RTLD_NOW | os.RTLD_LOCAL):
            loaded.append(name)
    return loaded
