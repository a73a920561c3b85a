"""The arithmetic of a layer as text, with its numbers substituted.

Output sizes per axis (floor or ceil mode, output_padding and target_size),
the parameter count ``(k_h·k_w·C_in/groups + 1)·C_out`` and its relatives for
the composite convs, MACs, and the effective kernel ``d·(k−1)+1``. Every text
ends in the value it computes; the values equal the catalogue's cost (tests).
"""

from __future__ import annotations

from .grid import Formulas

__all__ = ["window_size", "scatter_size", "resample_size", "effective", "weights_and_macs",
           "formulas"]

AX = ("H", "W")


def window_size(ax: str, n: int, k: int, s: int, d: int, pads: tuple[int, int], out: int,
                ceil: bool = False) -> str:
    """``H: ⌊(H_in + p_top + p_bottom − d·(k−1) − 1)/s⌋ + 1 = ⌊(…)/…⌋ + 1 = out``."""
    lo, hi = ("⌈", "⌉") if ceil else ("⌊", "⌋")
    a, b = pads
    text = (f"{ax}_out = {lo}({ax}_in + p_before + p_after − d·(k−1) − 1)/s{hi} + 1 = "
            f"{lo}({n} + {a} + {b} − {d}·({k}−1) − 1)/{s}{hi} + 1")
    plain = ((n + a + b - d * (k - 1) - 1) // s + 1) if not ceil else \
        (-(-(n + a + b - d * (k - 1) - 1) // s) + 1)
    if plain != out:  # ceil mode: the last window must start inside the input
        text += " − 1 (a last window starting in the padding is dropped)"
    return f"{text} = {out}"


def scatter_size(ax: str, n: int, k: int, s: int, p: int, d: int, op: int, out: int,
                 target: int | None = None) -> str:
    """``H_out = (H_in − 1)·s − 2·p + d·(k−1) + output_padding + 1``, numbers in."""
    text = (f"{ax}_out = ({ax}_in − 1)·s − 2·p + d·(k−1) + output_padding + 1 = "
            f"({n} − 1)·{s} − 2·{p} + {d}·({k}−1) + {op} + 1 = {out}")
    if target is not None:
        text += f" (target_size {target}: output_padding = {target} − {out - op} = {op})"
    return text


def unpool_size(ax: str, n: int, k: int, s: int, p: int, out: int) -> str:
    """MaxUnpool2d: ``(H_in − 1)·s − 2·p + k``, or the size its pool started from."""
    default = (n - 1) * s - 2 * p + k
    text = f"{ax}_out = ({ax}_in − 1)·s − 2·p + k = ({n} − 1)·{s} − 2·{p} + {k} = {default}"
    if default != out:
        text += f"; the output takes the pool's input size = {out}"
    return text


def resample_size(ax: str, n: int, scale: float, out: int) -> str:
    """Upsample: ``H_out = ⌊H_in · scale⌋``."""
    return f"{ax}_out = ⌊{ax}_in · scale⌋ = ⌊{n} · {scale:g}⌋ = {out}"


def effective(ks, ds) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """The effective (dilated) kernel ``d·(k−1)+1`` per axis, and its text."""
    vals = tuple(d * (k - 1) + 1 for k, d in zip(ks, ds, strict=True))
    texts = tuple(f"{ax}: d·(k−1)+1 = {d}·({k}−1)+1 = {e}"
                  for ax, k, d, e in zip(AX, ks, ds, vals, strict=True))
    return vals, texts


def weights_and_macs(mech: str, p: dict, c_in: int, c_out: int, hw_in, hw_out
                     ) -> tuple[str, int, str, int]:
    """Parameter count and MACs of one forward pass: texts and values."""
    oh, ow = hw_out
    bias = bool(p.get("bias", False))
    b1 = " + 1" if bias else ""
    if mech in ("conv", "transposed", "deformable"):
        kh, kw = p["kernel_size"]
        g = p["groups"]
        params = (kh * kw * c_in // g + bias) * c_out
        ptext = (f"(k_h·k_w·C_in/groups{b1})·C_out = ({kh}·{kw}·{c_in}/{g}{b1})·{c_out}")
        if mech == "transposed":
            macs = c_in * hw_in[0] * hw_in[1] * kh * kw * (c_out // g)
            mtext = (f"C_in·H_in·W_in·k_h·k_w·C_out/groups = {c_in}·{hw_in[0]}·{hw_in[1]}·"
                     f"{kh}·{kw}·{c_out}/{g}")
        else:
            macs = c_out * oh * ow * kh * kw * (c_in // g)
            mtext = (f"C_out·H_out·W_out·k_h·k_w·C_in/groups = {c_out}·{oh}·{ow}·{kh}·{kw}·"
                     f"{c_in}/{g}")
        if mech == "deformable":
            off = (3 if p["modulated"] else 2) * p["offset_groups"] * kh * kw
            params += (kh * kw * c_in + 1) * off
            ptext += (f" + (k_h·k_w·C_in + 1)·C_off = … + ({kh}·{kw}·{c_in} + 1)·{off} "
                      f"(offset conv, C_off = {off})")
            macs += off * oh * ow * kh * kw * c_in + 4 * c_in * oh * ow * kh * kw
            mtext += (f" + C_off·H_out·W_out·k_h·k_w·C_in + 4·C_in·H_out·W_out·k_h·k_w "
                      f"(offsets, bilinear sampling) = … + {off}·{oh}·{ow}·{kh}·{kw}·{c_in}"
                      f" + 4·{c_in}·{oh}·{ow}·{kh}·{kw}")
        return f"{ptext} = {params}", params, f"{mtext} = {macs}", macs
    if mech == "depthwise_separable":
        kh, kw = p["kernel_size"]
        m = p["depth_multiplier"]
        mid = c_in * m
        params = (kh * kw + bias) * mid + (mid + bias) * c_out
        macs = mid * oh * ow * kh * kw + c_out * oh * ow * mid
        return (f"(k_h·k_w{b1})·C_in·m + (C_in·m{b1})·C_out = ({kh}·{kw}{b1})·{c_in}·{m} + "
                f"({c_in}·{m}{b1})·{c_out} = {params}", params,
                f"C_in·m·H_out·W_out·k_h·k_w + C_out·H_out·W_out·C_in·m = {c_in}·{m}·{oh}·{ow}"
                f"·{kh}·{kw} + {c_out}·{oh}·{ow}·{c_in}·{m} = {macs}", macs)
    if mech == "spatially_separable":
        kh, kw = p["kernel_size"]
        w_in = hw_in[1]
        params = (kh * c_in + bias) * c_out + (kw * c_out + bias) * c_out
        macs = c_out * oh * w_in * kh * c_in + c_out * oh * ow * kw * c_out
        return (f"(k_h·C_in{b1})·C_out + (k_w·C_out{b1})·C_out = ({kh}·{c_in}{b1})·{c_out} + "
                f"({kw}·{c_out}{b1})·{c_out} = {params}", params,
                f"C_out·H_out·W_in·k_h·C_in + C_out·H_out·W_out·k_w·C_out = {c_out}·{oh}·{w_in}"
                f"·{kh}·{c_in} + {c_out}·{oh}·{ow}·{kw}·{c_out} = {macs}", macs)
    return "no weights: 0", 0, "no multiplications by weights: 0", 0


def formulas(mech: str, p: dict, c_in: int, c_out: int, hw_in, hw_out,
             size_texts: tuple[str, ...]) -> Formulas:
    """All the texts of one layer (``size_texts`` from the size helpers above)."""
    ptext, params, mtext, macs = weights_and_macs(mech, p, c_in, c_out, hw_in, hw_out)
    eff, etext = ((), ())
    if "kernel_size" in p and mech not in ("unpool",):
        eff, etext = effective(p["kernel_size"], p.get("dilation") or (1, 1))
    return Formulas(size_texts, ptext, params, mtext, macs, eff, etext)
