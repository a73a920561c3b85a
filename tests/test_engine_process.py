"""The engine process (the designer's runtime in a child process): wire format,
results and errors as in-process, restarts, no torch in the client, closing."""

from __future__ import annotations

import numpy as np
import pytest

from engine.runtime import MemoryLimitError, RuntimeGraphError, Session, WeightsError

from .runtime_helpers import EXAMPLES, ROOT, small_graph

pytestmark = [pytest.mark.torch, pytest.mark.usefixtures("torch_one_thread")]


# -- engine process (the designer's runtime) ----------------------------------------------
@pytest.fixture(scope="module")
def engine_process():
    from engine.runtime.process import EngineProcess, available

    assert available(), "the engine process serves the designer on every POSIX system"
    proc = EngineProcess()
    yield proc
    proc.close()


def test_wire_format_keeps_arrays_and_read_only_flags():
    import socket
    from multiprocessing.connection import Connection

    from engine.runtime.process import recv, send

    a, b = socket.socketpair()
    left, right = Connection(a.detach()), Connection(b.detach())
    ro = np.arange(12, dtype=np.float32).reshape(3, 4)
    ro.flags.writeable = False
    rw = np.ones((2, 2), np.int64)
    strided = np.arange(20.0)[::2]
    send(left, {"ro": ro, "rw": rw, "strided": strided, "same": ro, "empty": np.zeros(0)})
    got = right.poll(5) and recv(right)
    assert np.array_equal(got["ro"], ro) and not got["ro"].flags.writeable
    assert np.array_equal(got["rw"], rw) and got["rw"].flags.writeable
    assert np.array_equal(got["strided"], strided) and got["same"] is got["ro"]
    assert got["empty"].shape == (0,)
    left.close()
    right.close()


def test_remote_session_gives_the_engine_results(engine_process):
    from engine.runtime.process import RemoteRuntime
    from engine.runtime.results import RunResult

    rt = RemoteRuntime(engine_process)
    g = small_graph()
    image = np.random.default_rng(4).random((12, 10, 3))
    here = Session(g, seed=5).run(image)
    remote = rt.Session(g.to_dict(), 5)
    steps = []
    res = remote.run(image, lambda *a: steps.append(a))
    assert isinstance(res, RunResult) and len(steps) == len(g)
    assert list(res.activations) == list(here.activations)
    for nid, act in here.activations.items():
        assert np.array_equal(res.activations[nid], act)
        assert not res.activations[nid].flags.writeable
    assert np.array_equal(res.masks["dconv"], here.masks["dconv"])
    assert res.stats["conv1"] == here.stats["conv1"]
    again = remote.run(None, keep_input=True)
    assert np.array_equal(again.inputs["x"], here.inputs["x"])
    assert remote.effective_rf("conv1", (0, 3, 3)).shape == (16, 16)
    fit = remote.fit_offsets("dconv", 2)
    assert fit.steps == 2 and len(fit.losses) == 3
    assert np.array_equal(rt.prepare_input(g, "x", image, 5), here.inputs["x"])
    remote.close()
    assert not remote.alive


def test_remote_errors_and_cancel_keep_their_types(engine_process, tmp_path):
    from engine.runtime.process import EngineProcessError, RemoteRuntime

    rt = RemoteRuntime(engine_process)
    g = small_graph()
    with pytest.raises(RuntimeGraphError, match="no Input"):
        rt.Session({"nodes": [], "edges": []}, 0)
    with pytest.raises(MemoryLimitError) as info:
        rt.Session(g.to_dict(), 0, memory_limit=1000)
    assert info.value.limit == 1000
    remote = rt.Session(g.to_dict(), 0)
    with pytest.raises(WeightsError, match="no such file") as info:
        remote.load_weights(tmp_path / "missing.pt")
    assert info.value.path == str(tmp_path / "missing.pt")

    class Stop(Exception):
        pass

    def stop_at_three(done, total, node):
        if done == 3:
            raise Stop(node)
    with pytest.raises(Stop):
        remote.run(None, stop_at_three)
    assert len(remote.run(None, keep_input=True).activations) == len(g)  # still usable

    # a file the engine cannot write is the engine's answer, not a dead connection:
    # the user sees the file-system error and the process (its fitted weights) lives on
    pid = engine_process.pid
    fit = remote.fit_offsets("dconv", 2)
    fitted = remote.state_dict()
    for bad in (tmp_path / "no_such_dir" / "w.pt", tmp_path):
        with pytest.raises(OSError) as info:
            remote.save_weights(bad)
        assert not isinstance(info.value, EngineProcessError)
        assert "stopped unexpectedly" not in str(info.value)
    assert engine_process.pid == pid and remote.alive and fit.steps == 2
    after = remote.state_dict()
    assert all(np.array_equal(after[k], v) for k, v in fitted.items())


def test_engine_process_restarts_after_dying():
    import os
    import signal

    from engine.runtime.process import EngineProcess, EngineProcessError, RemoteRuntime

    proc = EngineProcess()
    try:
        rt = RemoteRuntime(proc)
        remote = rt.Session(small_graph().to_dict(), 0)
        os.kill(proc.pid, signal.SIGKILL)
        # the request finds it dead, or (when the kill has already been seen) the
        # session knows its process is gone: either way a clear refusal
        with pytest.raises(EngineProcessError,
                           match="stopped unexpectedly|held this model stopped"):
            remote.run(None)
        assert not remote.alive
        assert len(rt.Session(small_graph().to_dict(), 0).run(None).activations) == 8
    finally:
        proc.close()


def test_engine_process_client_never_imports_torch():
    import subprocess
    import sys

    code = ("import sys\n"
            "import engine\n"
            "from engine.runtime.process import RemoteRuntime\n"
            f"g = engine.load_graph({str(EXAMPLES / 'classifier_tour.convgraph.json')!r})\n"
            "rt = RemoteRuntime()\n"
            "r = rt.Session(g.to_dict(), 0).run(None)\n"
            "print(len(r.activations), r.stats['stem_conv'].shape, 'torch' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["23", "(16,", "128,", "128)", "False"]


def test_engine_process_close_does_not_wait_for_a_hung_request(monkeypatch):
    import os
    import signal
    import threading
    import time

    from engine.runtime import remote as client
    from engine.runtime.process import EngineProcess, EngineProcessError, RemoteRuntime

    proc = EngineProcess()
    try:
        remote = RemoteRuntime(proc).Session(small_graph().to_dict(), 0)
        os.kill(proc.pid, signal.SIGSTOP)  # the child hangs: the next request waits for it
        errors = []
        waiting = threading.Event()  # the job has sent its request and waits for the answer
        real_recv = client.recv  # what the client side reads answers with

        def recv(conn):
            if threading.current_thread() is t:
                waiting.set()
            return real_recv(conn)

        monkeypatch.setattr(client, "recv", recv)

        def job():
            try:
                remote.run(None)
            except EngineProcessError as exc:
                errors.append(exc)
        t = threading.Thread(target=job, daemon=True)
        t.start()
        assert waiting.wait(10), "the request never reached the point of waiting"
        assert t.is_alive()  # ... and it is still waiting: the child cannot answer
        t0 = time.monotonic()
        proc.close(timeout_s=1.0)
        t.join(5)
        assert time.monotonic() - t0 < 5 and not t.is_alive() and not proc.alive
        assert errors and "stopped unexpectedly" in str(errors[0])
    finally:
        proc.close(timeout_s=1.0)


# -- a job just after the idle engine process died (issue 17, item 9) ----------------------
def _kill_unseen(proc, monkeypatch):
    """Kill the idle child and keep the client from seeing it end: its socket is closed,
    but ``poll()`` says it runs, as in the few milliseconds before the operating system
    reports a death (waitid with WNOWAIT waits for it without reaping it)."""
    import os
    import signal

    pid = proc.pid
    os.kill(pid, signal.SIGKILL)
    os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    monkeypatch.setattr(proc._proc, "poll", lambda: None)


def test_a_request_just_after_the_idle_engine_died_goes_to_a_new_one(monkeypatch):
    from designer.panel.engine_runtime import again_after_restart
    from engine.runtime.remote import EngineProcess, EngineRestarted, RemoteRuntime

    proc = EngineProcess()
    try:
        rt = RemoteRuntime(proc)
        graph = small_graph().to_dict()
        remote = rt.Session(graph, 0)
        first = proc.pid
        _kill_unseen(proc, monkeypatch)
        assert remote.alive  # the client cannot know yet
        # building a model is sent again to a new process
        assert len(rt.Session(graph, 0).run(None).activations) == 8
        assert proc.pid != first
        # a session of the dead process: nothing ran, the caller builds it again
        remote = rt.Session(graph, 0)
        _kill_unseen(proc, monkeypatch)
        with pytest.raises(EngineRestarted, match="before it took the request"):
            remote.run(None)
        assert not remote.alive
        held = {"session": rt.Session(graph, 0)}
        _kill_unseen(proc, monkeypatch)

        def job():  # what the designer's controller does (designer.panel.controller._ready)
            if not held["session"].alive:
                held["session"] = rt.Session(graph, 0)
            return held["session"].run(None)
        assert len(again_after_restart(job).activations) == 8
    finally:
        proc.close()


@pytest.mark.gui
def test_a_designer_run_just_after_the_idle_engine_died_restarts_it(new_panel, monkeypatch):
    from designer.panel.engine_runtime import runtime

    from .panel_helpers import _document

    win, panel = new_panel()
    panel.set_document(_document())
    assert panel.run_blocking(timeout_s=120) and panel.run_state == "done"
    proc = runtime().process
    first = proc.pid
    _kill_unseen(proc, monkeypatch)
    assert panel.run_blocking(timeout_s=120), panel.run_failure()
    assert panel.run_state == "done" and proc.pid != first
