"""engine.runtime.memory.tune_allocator: once tuned (as the first model build does),
glibc keeps freed temporaries instead of handing them back and faulting them in again
(page faults counted by the kernel, in a fresh process each: the allocator's state is per
process); CONVCANVAS_MALLOPT=0 leaves it alone."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc",
                                reason="tune_allocator sets glibc's thresholds only")

# eight 1 MiB blocks made, written and freed, 20 times: the pattern of a torch op's
# temporaries; prints the minor page faults per round
ROUNDS = """
import ctypes, json, resource, sys
sys.path.insert(0, {root!r})
from engine.runtime.memory import tune_allocator
tuned = [tune_allocator() for _ in range({tune})]
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
print(json.dumps({{"tuned": tuned, "faults": faults}}))
"""


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("CONVCANVAS_MALLOPT", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")}
    return {**env, **extra}


def _rounds(tune: int, **env) -> dict:
    proc = subprocess.run([sys.executable, "-c", ROUNDS.format(root=str(ROOT), tune=tune)],
                          capture_output=True, text=True, timeout=60, env=_env(**env))
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_freed_temporaries_stay_mapped_once_tuned():
    cold = _rounds(0)
    # a new process gives the 8 MiB back after every round: 2,048 pages to fault in again
    assert cold["faults"] >= 1000
    tuned = _rounds(2)
    assert tuned["tuned"] == [True, True]  # set once, then the same answer
    assert tuned["faults"] < 50
    off = _rounds(1, CONVCANVAS_MALLOPT="0")
    assert off["tuned"] == [False] and off["faults"] >= 1000


def test_the_first_model_build_tunes_the_allocator():
    example = ROOT / "resources" / "examples" / "classifier_tour.convgraph.json"
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
            "from engine import load_graph\n"
            "from engine.runtime import build_model, memory\n"
            "before = memory._ALLOCATOR_TUNED\n"
            f"build_model(load_graph({str(example)!r}))\n"
            "print(before, memory._ALLOCATOR_TUNED)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=180, env=_env())
    assert proc.stdout.split()[-2:] == ["None", "True"], proc.stderr
