"""Benchmark: forward time of engine.deform.deform_conv2d against F.conv2d.

Geometry: 64 -> 64 channels, 128 x 128, 3 x 3 kernel, padding 1, batch 1, float32 on
CPU with 2 threads, random small offsets (std 0.5 px).  Prints the median (and the
minimum) of 20 runs after warm-up, with torch.no_grad() and with grad enabled, and the
ratio deform / conv2d.  Runs are interleaved (conv2d, deform, ...) so that load from
other processes affects both alike.  For context it also times a straightforward
F.grid_sample implementation, and forward + backward.

Usage: python bench/deform.py [--runs N]
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.deform import deform_conv2d  # noqa: E402


def grid_sample_deform_conv2d(input, offset, weight, bias=None, padding=(1, 1)):
    """Straightforward baseline: one F.grid_sample over all kernel positions + one matmul.

    Stride and dilation 1, one offset group, no mask: just enough for the benchmark.
    """
    n, c, h, w = input.shape
    c_out, _, kh, kw = weight.shape
    ho, wo = offset.shape[2:]
    off = offset.view(n, kh * kw, 2, ho, wo)
    ys = torch.arange(ho, dtype=input.dtype).view(1, 1, ho, 1) - padding[0]
    xs = torch.arange(wo, dtype=input.dtype).view(1, 1, 1, wo) - padding[1]
    ki = torch.arange(kh, dtype=input.dtype).repeat_interleave(kw).view(1, -1, 1, 1)
    kj = torch.arange(kw, dtype=input.dtype).repeat(kh).view(1, -1, 1, 1)
    py = ys + ki + off[:, :, 0]
    px = xs + kj + off[:, :, 1]
    grid = torch.stack(((2 * px + 1) / w - 1, (2 * py + 1) / h - 1), -1)
    cols = F.grid_sample(input, grid.view(n, kh * kw, ho * wo, 2), align_corners=False)
    out = torch.matmul(weight.view(c_out, c * kh * kw), cols.view(n, c * kh * kw, ho * wo))
    out = out.view(n, c_out, ho, wo)
    return out if bias is None else out + bias.view(1, -1, 1, 1)


def timed(fn, runs, warmup=3):
    """Median and minimum wall time of fn() in ms, for each fn in a dict, interleaved."""
    for f in fn.values():
        for _ in range(warmup):
            f()
    times = {name: [] for name in fn}
    for _ in range(runs):
        for name, f in fn.items():
            t0 = time.perf_counter()
            f()
            times[name].append((time.perf_counter() - t0) * 1e3)
    return {name: (statistics.median(t), min(t)) for name, t in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs

    torch.set_num_threads(2)
    torch.manual_seed(0)
    x = torch.randn(1, 64, 128, 128)
    weight = torch.randn(64, 64, 3, 3) * 0.05
    bias = torch.randn(64)
    offset = torch.randn(1, 18, 128, 128) * 0.5
    mask = torch.rand(1, 9, 128, 128)
    leaves = (x, weight, bias, offset, mask)

    print(f"deform_conv2d vs F.conv2d: 1x64x128x128 -> 64, 3x3, padding 1, float32, "
          f"{torch.get_num_threads()} threads, median (min) of {runs} runs, ms")
    for mode in ("no_grad", "grad"):
        grad = mode == "grad"
        for t in leaves:
            t.requires_grad_(grad)
        with torch.set_grad_enabled(grad):
            res = timed(
                {
                    "conv2d": lambda: F.conv2d(x, weight, bias, padding=1),
                    "deform": lambda: deform_conv2d(x, offset, weight, bias, padding=1),
                    "deform+mask": lambda: deform_conv2d(
                        x, offset, weight, bias, padding=1, mask=mask
                    ),
                    "grid_sample": lambda: grid_sample_deform_conv2d(x, offset, weight, bias),
                },
                runs,
            )
        base = res["conv2d"]
        for name, (med, best) in res.items():
            print(f"  {mode:8s} {name:12s} {med:8.2f} ({best:7.2f})"
                  f"   ratio {med / base[0]:5.2f} ({best / base[1]:5.2f})")

    for t in leaves:
        t.requires_grad_(True)

    def backward(fn):
        def run():
            for t in leaves:
                t.grad = None
            fn().sum().backward()
        return run

    res = timed(
        {
            "conv2d": backward(lambda: F.conv2d(x, weight, bias, padding=1)),
            "deform": backward(lambda: deform_conv2d(x, offset, weight, bias, padding=1)),
        },
        max(3, runs // 2),
        warmup=1,
    )
    base = res["conv2d"]
    for name, (med, best) in res.items():
        print(f"  {'fwd+bwd':8s} {name:12s} {med:8.2f} ({best:7.2f})"
              f"   ratio {med / base[0]:5.2f} ({best / base[1]:5.2f})")


if __name__ == "__main__":
    main()
