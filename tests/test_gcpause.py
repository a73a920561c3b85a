"""engine.gcpause: the collector is paused, lasting objects go to the oldest generation,
and nothing is lost: a cycle made in the pause is still collected."""

from __future__ import annotations

import gc
import weakref

from engine.gcpause import paused


class _Thing:
    pass


def test_paused_disables_and_restores_the_collector():
    assert gc.isenabled()
    with paused():
        assert not gc.isenabled()
        with paused(lasting=True):  # nested: left to the outer pause
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with paused(lasting=True):
            pass
        assert not gc.isenabled()  # someone else paused it: left paused
    finally:
        gc.enable()


def test_lasting_objects_go_to_the_oldest_generation_and_cycles_are_still_found():
    with paused(lasting=True):
        kept = [_Thing() for _ in range(1000)]
        a, b = _Thing(), _Thing()
        a.other, b.other = b, a  # garbage: a cycle only the collector can free
        gone = weakref.ref(a)
        del a, b
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert all(id(t) in oldest for t in kept)
    assert gc.get_count()[0] < 100  # no young collection of them is pending
    assert gone() is not None
    gc.collect()
    assert gone() is None


def test_objects_frozen_by_the_process_stay_frozen():
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        with paused(lasting=True):
            [_Thing() for _ in range(10)]
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_an_incremental_analysis_leaves_its_results_to_the_oldest_generation():
    """The designer's re-analysis after an edit: its facts and results live until the
    next edit and hold no cycle, so they go straight to the oldest generation (no
    young collection scans them, and they do not hasten a full one)."""
    from bench.graphs import make_chain_graph
    from engine import Analyzer

    graph = make_chain_graph(300)
    an = Analyzer(graph)
    an.result()
    first = next(n for n in graph.nodes if graph.nodes[n].type == "Conv2d")
    graph.set_params(first, {"kernel_size": 5})  # every node below is recomputed
    result = an.result()
    assert an.recomputed > 250
    assert gc.get_count()[0] < 100
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    last = list(graph.nodes)[-1]
    assert id(result.nodes[last]) in oldest and id(result) in oldest
    an.close()
