"""engine.runtime.allocator.settle_malloc: after it, glibc keeps freed temporaries
instead of handing them back and faulting them in again (page faults counted by the
kernel, in a fresh process each: the allocator's state is per process)."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc",
                                reason="settle_malloc is a no-op without glibc")

# eight 1 MiB blocks made, written and freed, 20 times: the pattern of a torch op's
# temporaries; prints the minor page faults per round
ROUNDS = """
import ctypes, json, resource, sys
sys.path.insert(0, {root!r})
from engine.runtime.allocator import settle_malloc
settled = [settle_malloc() for _ in range({settle})]
libc = ctypes.CDLL(None)
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
libc.memset.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]
def one_round():
    blocks = [libc.malloc(1 << 20) for _ in range(8)]
    for b in blocks:
        libc.memset(b, 1, 1 << 20)
    for b in blocks:
        libc.free(b)
for _ in range(3):
    one_round()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    one_round()
faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 20
print(json.dumps({{"settled": settled, "faults": faults}}))
"""


def _rounds(settle: int) -> dict:
    proc = subprocess.run([sys.executable, "-c", ROUNDS.format(root=str(ROOT), settle=settle)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_freed_temporaries_stay_mapped_once_settled():
    cold = _rounds(0)
    # a new process gives the 8 MiB back after every round: 2,048 pages to fault in again
    assert cold["faults"] >= 1000
    settled = _rounds(2)
    assert settled["settled"] == [True, False]  # once per process
    assert settled["faults"] < 50


def test_the_command_line_settles_before_it_runs_a_command():
    example = ROOT / "resources" / "examples" / "classifier_tour.convgraph.json"
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
            "from engine.runtime import allocator\n"
            "from engine.cli import main\n"
            f"code = main(['analyze', {str(example)!r}])\n"
            "print(code, allocator._settled, allocator.settle_malloc())")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.stdout.split()[-3:] == ["0", "True", "False"], proc.stderr
