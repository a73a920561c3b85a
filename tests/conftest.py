"""Session-wide test set-up shared by every test module: hypothesis profiles, fixtures.

Kept free of Qt imports so the engine tests run where Qt is not installed: the
GUI clean-up below only acts when a test module has already loaded Qt.
"""

from __future__ import annotations

import os
import sys

import pytest
from hypothesis import HealthCheck, settings

# -- hypothesis profiles ------------------------------------------------------------------
#: the most examples a property test runs in CI; a test's own ``max_examples`` (every
#: one of them is at most this) only lowers it
CI_MAX_EXAMPLES = 120

# "dev": hypothesis' defaults (random examples, the example database in .hypothesis/),
# so that every local run may find a new counter-example.
settings.register_profile("dev", settings.get_profile("default"))
# "ci": the same examples on every run (derandomize, no database), no deadline (a busy
# runner must not turn a slow example into a failure), the counter-example printed as a
# blob to reproduce it with ``@reproduce_failure``.
settings.register_profile(
    "ci", settings.get_profile("default"), derandomize=True, database=None, deadline=None,
    print_blob=True, max_examples=CI_MAX_EXAMPLES,
    suppress_health_check=[HealthCheck.too_slow])


def hypothesis_profile(environ=os.environ) -> str:
    """``HYPOTHESIS_PROFILE`` if set, else ``ci`` where ``CI`` is set (and not false)."""
    if environ.get("HYPOTHESIS_PROFILE"):
        return environ["HYPOTHESIS_PROFILE"]
    ci = environ.get("CI", "").strip().lower()
    return "ci" if ci not in ("", "0", "false", "no") else "dev"


settings.load_profile(hypothesis_profile())


@pytest.fixture(scope="session", autouse=True)
def _release_offscreen_clipboard():
    """Clear the clipboard after the last test (the offscreen platform crashes at
    exit when it still holds data the tests copied; see designer.app)."""
    yield
    if "PySide6.QtGui" in sys.modules:
        from designer.app import release_clipboard

        release_clipboard()


@pytest.fixture
def torch_one_thread():
    """Run torch on one thread: the tests' tensors are small, and with the default (one
    thread per core) a second busy process on the machine makes torch's threads wait for
    each other, which made the slowest property test 5-10 times slower."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def cross_graph():
    """Input 24 × 24 → a 1×5 and a 5×1 conv (2 channels each) → ``add`` (Add) and
    ``cat`` (Concat: channels 0-1 from the 1×5, 2-3 from the 5×1): merged windows of
    different shapes, whose footprint is a cross, not a square."""
    from engine import Graph

    g = Graph("cross")
    g.add_node("Input", {"channels": 1, "height": 24, "width": 24}, "x")
    g.add_node("Conv2d", {"out_channels": 2, "kernel_size": [1, 5], "padding": [0, 2]}, "a")
    g.add_node("Conv2d", {"out_channels": 2, "kernel_size": [5, 1], "padding": [2, 0]}, "b")
    g.add_node("Add", {}, "add")
    g.add_node("Concat", {}, "cat")
    for src, dst, slot in (("x", "a", 0), ("x", "b", 0), ("a", "add", 0), ("b", "add", 1),
                           ("a", "cat", 0), ("b", "cat", 1)):
        g.connect(src, dst, slot)
    return g
