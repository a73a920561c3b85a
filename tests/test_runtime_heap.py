"""engine.runtime.memory.keep_freed_heap: a capturing run keeps its pages (issue 16)."""

from __future__ import annotations

from engine.runtime import memory


def test_trim_threshold_only_rises_and_stays_under_a_gib(monkeypatch):
    calls = []

    def mallopt(option, value):
        calls.append((option, value))
        return 1

    monkeypatch.setattr(memory, "_TRIM", [mallopt, 128 << 20])
    memory.keep_freed_heap(64 << 20)  # below the threshold: left alone
    memory.keep_freed_heap(300 << 20)
    memory.keep_freed_heap(200 << 20)  # never lowered
    memory.keep_freed_heap(10 << 30)  # capped
    assert calls == [(-1, 300 << 20), (-1, 1 << 30)]


def test_nothing_happens_when_the_allocator_is_not_tuned(monkeypatch):
    monkeypatch.setattr(memory, "_TRIM", [])
    memory.keep_freed_heap(1 << 30)  # no glibc, or CONVCANVAS_MALLOPT=0: no call, no error


def test_a_capturing_session_run_raises_the_threshold(monkeypatch):
    from engine import load_graph
    from engine.runtime import Session
    seen = []
    monkeypatch.setattr("engine.runtime.run.keep_freed_heap", seen.append)
    from pathlib import Path
    g = load_graph(Path(__file__).resolve().parents[1] / "resources" / "examples"
                   / "classifier_tour.convgraph.json")
    s = Session(g, seed=0)
    s.run(None, capture=False)
    assert seen == []
    s.run(None, capture=True, keep_input=True)
    assert seen == [2 * s.analysis.activation_bytes]
