"""Benchmark: engine.deform.deform_conv2d against F.conv2d and a plain grid_sample version.

Geometries of issue 16 (ResNet stages): 256 ch 14 x 14, 512 ch 7 x 7, 128 ch 28 x 28,
C -> C channels, 3 x 3 kernel, padding 1, float32 on CPU with 2 threads; batch 1 and 4,
offset groups 1 and 4, with and without mask (DCN v2); random offsets (std 1 px).
For each case it times, interleaved in rounds (so that load from other processes hits
every variant alike): the forward under ``torch.no_grad()`` and forward + backward (all of
input, offset, mask, weight, bias require grad) of ``F.conv2d``, ``deform_conv2d``, the
30-line ``grid_sample`` reference below and, with ``--against REV``, the
``deform_conv2d`` of ``engine/deform.py`` at git revision REV.  It prints the median over
rounds of each per-round ratio, the conv2d median in ms and the 1-minute load average.

The process first tunes glibc's malloc as the runtime does on its first model build
(:func:`engine.runtime.memory.tune_allocator`; the kernel is called here without one);
``--cold-malloc`` leaves it as a new process has it (page faults on every call's
temporaries: slower, and more for deform).

Usage: python bench/deform.py [--runs N] [--against REV] [--only SUBSTRING] [--threads T]
                             [--no-backward] [--compile] [--cold-malloc]
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.deform import deform_conv2d  # noqa: E402
from engine.runtime.memory import tune_allocator  # noqa: E402

SIZES = [(256, 14), (512, 7), (128, 28)]


def grid_sample_deform_conv2d(input, offset, weight, bias=None, padding=(1, 1), mask=None):
    """Plain reference: one F.grid_sample per offset group over all taps, then one matmul.

    Stride and dilation 1; offset groups and mask as in torchvision's layout.
    """
    n, c, h, w = input.shape
    c_out, _, kh, kw = weight.shape
    ho, wo = offset.shape[2:]
    k = kh * kw
    g = offset.shape[1] // (2 * k)
    off = offset.reshape(n * g, k, 2, ho, wo)
    ys = torch.arange(ho, dtype=input.dtype).view(1, 1, ho, 1) - padding[0]
    xs = torch.arange(wo, dtype=input.dtype).view(1, 1, 1, wo) - padding[1]
    ki = torch.arange(kh, dtype=input.dtype).repeat_interleave(kw).view(1, k, 1, 1)
    kj = torch.arange(kw, dtype=input.dtype).repeat(kh).view(1, k, 1, 1)
    py = ys + ki + off[:, :, 0]
    px = xs + kj + off[:, :, 1]
    grid = torch.stack(((2 * px + 1) / w - 1, (2 * py + 1) / h - 1), -1)
    cols = F.grid_sample(input.reshape(n * g, c // g, h, w), grid.view(n * g, k, ho * wo, 2),
                         align_corners=False)  # [N * G, C / G, K, P]
    if mask is not None:
        cols = cols * mask.reshape(n * g, 1, k, ho * wo)
    out = torch.matmul(weight.reshape(c_out, c * k), cols.reshape(n, c * k, ho * wo))
    out = out.view(n, c_out, ho, wo)
    return out if bias is None else out + bias.view(1, -1, 1, 1)


def load_revision(rev):
    """deform_conv2d of git revision ``rev``: its ``engine/deform*.py`` files (the kernel
    and, from 64c31fd on, its matmul and sampling modules) run in one namespace, their
    imports of each other dropped, as the exporter copies them."""
    namespace = {}
    for name in ("deform_mm.py", "deform_sampling.py", "deform.py"):
        got = subprocess.run(["git", "show", f"{rev}:engine/{name}"], cwd=ROOT,
                             capture_output=True, text=True)
        if got.returncode != 0:
            if name == "deform.py":
                raise SystemExit(f"no engine/deform.py at {rev}: {got.stderr.strip()}")
            continue  # before the split
        text = re.sub(r"^from engine\.deform\w* import (\([^)]*\)|.*)$", "", got.stdout,
                      flags=re.M)
        exec(compile(text, f"{rev}:engine/{name}", "exec"), namespace)
    return namespace["deform_conv2d"]


def rounds(fns, runs, warmup=2):
    """Per-round wall times (ms) of each fn, interleaved; the first call warms up for a
    second (the first case's ratios were 1.3x too high without: clock, allocator)."""
    until = time.perf_counter() + 1.0 if not getattr(rounds, "warm", False) else 0.0
    rounds.warm = True
    while time.perf_counter() < until:
        for f in fns.values():
            f()
    for f in fns.values():
        for _ in range(warmup):
            f()
    times = {name: [] for name in fns}
    for _ in range(runs):
        for name, f in fns.items():
            t0 = time.perf_counter()
            f()
            times[name].append((time.perf_counter() - t0) * 1e3)
    return times


def make_case(c, hw, n, g, modulated, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, c, hw, hw, generator=gen)
    weight = torch.randn(c, c, 3, 3, generator=gen) / (3 * c**0.5)
    bias = torch.randn(c, generator=gen)
    offset = torch.randn(n, 2 * g * 9, hw, hw, generator=gen)
    mask = torch.rand(n, g * 9, hw, hw, generator=gen) if modulated else None
    return x, offset, weight, bias, mask


def report(tag, times, names, load):
    base = times["conv2d"]
    parts = [f"conv {statistics.median(base):7.2f} ms"]
    for name in names:
        ratio = statistics.median(a / b for a, b in zip(times[name], base, strict=True))
        parts.append(f"{name} {ratio:5.2f}x")
    if "grid_sample" in times:
        speedup = statistics.median(
            a / b for a, b in zip(times["grid_sample"], times["deform"], strict=True))
        parts.append(f"grid/deform {speedup:4.2f}")
    if "before" in times:
        speedup = statistics.median(
            a / b for a, b in zip(times["before"], times["deform"], strict=True))
        parts.append(f"before/after {speedup:4.2f}")
    print(f"    {tag:7s} " + "  ".join(parts) + f"  (load {load:.2f})", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="rounds per case")
    parser.add_argument("--against", metavar="REV", help="also time deform.py at git REV")
    parser.add_argument("--only", default="", help="run the cases whose label contains this")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-backward", action="store_true")
    parser.add_argument("--cold-malloc", action="store_true",
                        help="leave glibc's malloc as a new process has it (no tune_allocator)")
    parser.add_argument("--compile", action="store_true",
                        help="also time torch.compile(deform_conv2d), compile time included")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    if not args.cold_malloc:
        tune_allocator()  # as the runtime's first model build does
    before = load_revision(args.against) if args.against else None
    compiled = torch.compile(deform_conv2d, dynamic=False) if args.compile else None
    print(f"deform_conv2d vs F.conv2d, C -> C, 3x3, padding 1, float32, "
          f"{torch.get_num_threads()} threads, {os.cpu_count()} cores; median over "
          f"{args.runs} interleaved rounds of the per-round time ratio to conv2d"
          + (f"; before = {args.against}" if before else ""))
    for c, hw in SIZES:
        for n in (1, 4):
            for g in (1, 4):
                for modulated in (False, True):
                    label = f"{c}ch {hw}x{hw} n={n} G={g}" + (" mask" if modulated else "")
                    if args.only not in label:
                        continue
                    print(f"  {label}")
                    x, offset, weight, bias, mask = make_case(c, hw, n, g, modulated)
                    leaves = [t for t in (x, offset, weight, bias, mask) if t is not None]
                    deform_args = (x, offset, weight, bias)
                    fns = {
                        "conv2d": partial(F.conv2d, x, weight, bias, padding=1),
                        "deform": partial(deform_conv2d, *deform_args, padding=1, mask=mask),
                        "grid_sample": partial(grid_sample_deform_conv2d, *deform_args,
                                               mask=mask),
                    }
                    if before:
                        fns["before"] = partial(before, *deform_args, padding=1, mask=mask)
                    if compiled:
                        fns["compiled"] = partial(compiled, *deform_args, padding=1, mask=mask)
                        t0 = time.perf_counter()
                        fns["compiled"]()
                        print(f"    compile {time.perf_counter() - t0:.1f} s")
                    with torch.no_grad():
                        got = fns["deform"]()
                        torch.testing.assert_close(got, fns["grid_sample"](), atol=2e-4,
                                                   rtol=2e-4)
                        times = rounds(fns, args.runs)
                    names = [k for k in fns if k != "conv2d"]
                    report("forward", times, names, os.getloadavg()[0])
                    if args.no_backward:
                        continue
                    for t in leaves:
                        t.requires_grad_(True)

                    def backward(fn, leaves=leaves):
                        def run():
                            for t in leaves:
                                t.grad = None
                            fn().sum().backward()
                        return run

                    bfns = {name: backward(f) for name, f in fns.items()
                            if name != "compiled"}
                    times = rounds(bfns, max(3, (args.runs + 1) // 2), warmup=1)
                    report("fwd+bwd", times, [k for k in bfns if k != "conv2d"],
                           os.getloadavg()[0])
                    for t in leaves:
                        t.requires_grad_(False)


if __name__ == "__main__":
    main()
