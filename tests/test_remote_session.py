"""``RemoteSession`` (engine.runtime.remote) mirrors ``Session`` (engine.runtime.run).

The designer talks to the runtime through an engine process by default, so the
hand-written mirror must offer what the designer uses of ``Session`` with the same
signatures, and give the same results: checked here by inspection and by running
the same tiny graph in this process and in an engine process (arrays compared for
equality; the child gets this process's thread count so that the kernels round
alike).
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from engine import Graph  # noqa: E402
from engine.export import export_code  # noqa: E402
from engine.runtime import (  # noqa: E402
    ImageError,
    MemoryLimitError,
    RunCancelled,
    RuntimeGraphError,
    Session,
    WeightsError,
    images,
    prepare_input,
)
from engine.runtime.process import (  # noqa: E402
    FUNCTIONS,
    SESSION_METHODS,
    EngineProcess,
    EngineProcessError,
    RemoteRuntime,
    RemoteSession,
    available,
)

pytestmark = pytest.mark.torch

ROOT = Path(__file__).resolve().parents[1]
SEED = 3
#: what the designer reaches on a session only through getattr (absent on Session)
REMOTE_EXTRAS = {"alive", "close"}


def tiny_graph() -> Graph:
    """Every capture and the pool's indices: conv, SE, modulated deformable conv,
    a residual Add, a pool feeding an unpool's indices slot."""
    g = Graph("tiny")
    g.add_node("Input", {"channels": 3, "height": 12, "width": 12}, "x")
    g.add_node("Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}, "conv")
    g.add_node("SqueezeExcitation", {"reduction": 2}, "se")
    g.add_node("DeformConv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1,
                                "modulated": True}, "dconv")
    g.add_node("Add", {}, "add")
    g.add_node("MaxPool2d", {"kernel_size": 2}, "pool")
    g.add_node("MaxUnpool2d", {"kernel_size": 2}, "unpool")
    for a, b in (("x", "conv"), ("conv", "se"), ("se", "dconv"), ("dconv", "add"),
                 ("add", "pool"), ("pool", "unpool")):
        g.connect(a, b)
    g.connect("conv", "add", 1)
    g.connect("pool", "unpool", 1)
    return g


def image() -> np.ndarray:
    return np.random.default_rng(7).random((20, 16, 3))


# -- the API, by inspection ----------------------------------------------------------------
def shape_of(fn) -> list[tuple]:
    """Parameter names, kinds and defaults (annotations may differ: the remote side
    is torch-free and names no torch types)."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]


def public_methods(cls) -> set[str]:
    return {n for n, v in vars(cls).items() if not n.startswith("_") and callable(v)}


def public_properties(cls) -> set[str]:
    return {n for n, v in vars(cls).items() if not n.startswith("_")
            and isinstance(v, property)}


def designer_session_uses() -> set[str]:
    """Attributes the designer reads on a session: ``session.X``,
    ``self._session.X``, ``self._ready(...).X`` and ``getattr(<those>, "X", ...)``."""
    def is_session(node) -> bool:
        return ((isinstance(node, ast.Name) and node.id == "session")
                or (isinstance(node, ast.Attribute) and node.attr == "_session")
                or (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "_ready"))
    used = set()
    for path in (ROOT / "designer").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and is_session(node.value):
                used.add(node.attr)
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                  and node.func.id == "getattr" and len(node.args) >= 2
                  and is_session(node.args[0]) and isinstance(node.args[1], ast.Constant)):
                used.add(node.args[1].value)
    return used


def test_every_public_session_method_is_mirrored_with_its_signature():
    methods = public_methods(Session)
    assert methods == SESSION_METHODS  # what the engine process lets a client call
    for name in sorted(methods):
        assert name in vars(RemoteSession), name
        assert shape_of(getattr(RemoteSession, name)) == shape_of(getattr(Session, name)), name


def test_what_the_designer_uses_exists_on_both_sides():
    used = designer_session_uses()
    # (fit_offsets left the designer with its Fit offsets button: the Train tab trains)
    assert {"run", "set_input", "load_weights", "effective_rf"} <= used
    on_session = public_methods(Session) | public_properties(Session)
    assert used <= on_session | REMOTE_EXTRAS, used - on_session - REMOTE_EXTRAS
    for name in used:
        assert hasattr(RemoteSession, name), name
        if name in public_properties(Session):
            assert isinstance(vars(RemoteSession).get(name), property), name
    assert REMOTE_EXTRAS <= set(dir(RemoteSession))


def test_remote_runtime_mirrors_the_runtime_functions():
    # RemoteRuntime.Session(graph, seed, *, memory_limit) is Session(graph, seed, ...)
    assert shape_of(RemoteRuntime.Session) == shape_of(Session.__init__)
    assert FUNCTIONS == {"prepare_input"}
    assert shape_of(RemoteRuntime.prepare_input)[1:] == shape_of(prepare_input)
    for name in ("RunCancelled", "WeightsError", "ImageError", "RuntimeGraphError",
                 "MemoryLimitError"):
        assert getattr(RemoteRuntime, name) is {
            "RunCancelled": RunCancelled, "WeightsError": WeightsError,
            "ImageError": ImageError, "RuntimeGraphError": RuntimeGraphError,
            "MemoryLimitError": MemoryLimitError}[name]
    assert RemoteRuntime.load_image is images.load_image


# -- the remote path, for real -------------------------------------------------------------
@pytest.fixture(scope="module")
def runtime():
    if not available():
        pytest.skip("no engine process on this platform")
    proc = EngineProcess(env={"OMP_NUM_THREADS": str(torch.get_num_threads())})
    yield RemoteRuntime(proc)
    proc.close()


@pytest.fixture
def pair(runtime):
    """The same graph and seed in this process and in the engine process."""
    g = tiny_graph()
    remote = runtime.Session(g.to_dict(), SEED)
    yield Session(g, SEED), remote
    remote.close()


def assert_same_result(a, b):
    for field in ("inputs", "activations", "outputs", "se_weights", "offsets", "masks"):
        x, y = getattr(a, field), getattr(b, field)
        assert list(x) == list(y), field
        for key in x:
            assert np.array_equal(x[key], y[key]), (field, key)
            assert not y[key].flags.writeable, (field, key)
    assert a.shapes == b.shapes and a.input_sources == b.input_sources
    assert (a.seed, a.memory_estimate) == (b.seed, b.memory_estimate)
    for nid in a.stats:
        assert a.stats[nid] == b.stats[nid], nid


def test_run_set_input_and_captures_equal_the_session(pair):
    here, there = pair
    img = image()
    steps = []
    local = here.run(img)
    remote = there.run(img, lambda *a: steps.append(a))
    assert [s[2] for s in steps] == list(here.info.order)  # progress crosses, in order
    assert_same_result(local, remote)
    assert set(remote.se_weights) == {"se"} and set(remote.masks) == {"dconv"}
    # kept input, plain run, explicit inputs
    assert_same_result(here.run(None, keep_input=True, capture=False),
                       there.run(None, keep_input=True, capture=False))
    given = {"x": local.inputs["x"] * 0.5}
    a, b = here.set_input(given), there.set_input(given)
    assert np.array_equal(a["x"], b["x"])
    assert_same_result(here.run(None, keep_input=True), there.run(None, keep_input=True))
    assert np.array_equal(there.effective_rf("unpool", (1, 5, 6)),
                          here.effective_rf("unpool", (1, 5, 6)))


def test_prepare_input_and_export_check_equal_the_session(pair, runtime):
    here, there = pair
    g = tiny_graph()
    img = image()
    assert np.array_equal(runtime.prepare_input(g, "x", img, SEED),
                          prepare_input(g, "x", img, SEED))
    code = export_code(g)
    assert there.verify_export(code) == here.verify_export(code) <= 1e-5


def test_weights_cross_both_ways(pair, tmp_path):
    here, there = pair
    other = Session(tiny_graph(), SEED + 1)
    other.save_weights(tmp_path / "other.pt")
    there.load_weights(tmp_path / "other.pt")  # read by the engine process
    theirs = there.state_dict()
    assert list(theirs) == list(other.state_dict())
    assert all(np.array_equal(theirs[k], v) for k, v in other.state_dict().items())
    assert there.save_weights(tmp_path / "back.pt") == str(tmp_path / "back.pt")
    here.load_weights(tmp_path / "back.pt")
    assert_same_result(here.run(image()), there.run(image()))


def test_errors_cross_back_with_their_type_and_message(pair, runtime, tmp_path):
    here, there = pair
    with pytest.raises(WeightsError, match="no such file") as info:
        there.load_weights(tmp_path / "missing.pt")
    assert info.value.path == str(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a zip")
    for s in (here, there):
        with pytest.raises(WeightsError, match="not a torch.save archive"):
            s.load_weights(tmp_path / "junk.pt")
    messages = []
    for s in (here, there):
        with pytest.raises(ValueError) as info:
            s.effective_rf("conv", (0, 99, 0))
        messages.append(str(info.value))
        with pytest.raises(ValueError, match="learned offsets"):
            s.fit_offsets("conv", 1)
    assert messages[0] == messages[1]
    with pytest.raises(ValueError) as info:
        there.effective_rf("nope", (0,))
    assert any("in the engine process" in n for n in info.value.__notes__)  # child's traceback
    with pytest.raises(RuntimeGraphError, match="no Input"):
        runtime.Session({"nodes": [], "edges": []}, 0)
    with pytest.raises(MemoryLimitError) as info:
        runtime.Session(tiny_graph().to_dict(), 0, memory_limit=1000)
    assert info.value.limit == 1000
    with pytest.raises(ValueError, match="unknown method"):  # only Session's public methods
        runtime.process.request(("call", there.sid, "model", (), {}, False))
    assert there.alive  # errors are answers: the process and the session live on


def test_cancel_and_offset_fit(pair):
    here, there = pair
    here.set_input(image())
    there.set_input(image())

    class Stop(Exception):
        pass

    def stop_at(k, exc):
        def callback(done, *_):
            if done == k:
                raise exc
        return callback
    with pytest.raises(Stop):
        there.run(None, stop_at(3, Stop()), keep_input=True)
    with pytest.raises(RunCancelled):
        there.run(None, stop_at(2, RunCancelled("stop")), keep_input=True)
    assert_same_result(here.run(None, keep_input=True), there.run(None, keep_input=True))

    # a whole fit: the same losses and offsets on both sides
    before = there.state_dict()
    a, b = here.fit_offsets("dconv", 3, angle=20.0), there.fit_offsets("dconv", 3, angle=20.0)
    assert (a.node, a.losses, a.angle, a.steps) == (b.node, b.losses, b.angle, b.steps)
    for x, y in ((a.offsets, b.offsets), (a.mask, b.mask), (a.target_offsets, b.target_offsets)):
        assert np.array_equal(x, y)
    mine, theirs = here.state_dict(), there.state_dict()
    assert all(np.array_equal(theirs[k], v) for k, v in mine.items())
    here.reset_offsets("dconv")
    there.reset_offsets("dconv")
    assert all(np.array_equal(there.state_dict()[k], v) for k, v in before.items())

    # cancelled part-way: the session returns what it has, the remote side raises the
    # callback's exception (the designer copes with both); the steps taken stay (how
    # many on the remote side depends on when the child sees the cancel)
    part = here.fit_offsets("dconv", 5, stop_at(2, RunCancelled("stop")))
    assert part.steps == 2
    with pytest.raises(RunCancelled):
        there.fit_offsets("dconv", 5, stop_at(2, RunCancelled("stop")))
    moved = there.state_dict()
    assert not np.array_equal(moved["dconv.offset_conv.bias"], before["dconv.offset_conv.bias"])
    assert np.array_equal(moved["dconv.weight"], before["dconv.weight"])  # only offsets
    here.reset_offsets("dconv")
    there.reset_offsets("dconv")
    assert_same_result(here.run(None, keep_input=True), there.run(None, keep_input=True))
    assert_same_result(Session(tiny_graph(), SEED).run(image()), there.run(image()))


def test_a_closed_session_refuses_calls(runtime):
    remote = runtime.Session(tiny_graph().to_dict(), 0)
    assert isinstance(remote, RemoteSession) and remote.alive
    remote.close()
    assert not remote.alive
    with pytest.raises(EngineProcessError, match="build it again"):
        remote.run(None)
