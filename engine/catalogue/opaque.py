"""The Opaque kind: an operation brought in by an import that no other type expresses.

It records what the import measured: ``op`` (a name, shown only: it never
reaches code), ``shape`` (the output shape), ``params`` and ``macs``. The
analysis takes those as they are; its receptive field is unknown
(``rf_unknown``: its ``rf`` and every ``rf`` downstream are null, with a
warning of kind ``"rf_unknown"``). It has no torch module: building, running
or exporting a graph that holds one is refused (:meth:`Opaque.refusal`).

It takes 0 to 64 inputs on slots 0..n-1 (an imported operation may read
several tensors, or none: a constant); their shapes are not checked, since
the operation is unknown. The output shape is any of the shapes the format
knows, ``[F]``, ``[C, H, W]`` or ``[C, D, H, W]``, or ``[C, L]``.
"""

from __future__ import annotations

from .base import Cost, LayerKind, fmt_shape
from .schema import Int, IntList, Text

__all__ = ["Opaque"]

#: largest count of parameters or MACs an Opaque node may record
MAX_COUNT = 10 ** 15


class Opaque(LayerKind):
    type = title = "Opaque"
    id_stem, glyph = "opaque", "opaque"
    family = "Dense"
    rf_unknown = True
    has_module = False
    min_inputs, max_inputs = 0, 64
    doc = ("An operation brought in by an import that no other type expresses: the "
           "analysis uses its recorded output shape, params and MACs; its receptive "
           "field is unknown. A graph holding one cannot be built, run or exported.")
    params = (
        Text("op", "custom", "the imported operation (shown only)", required=True),
        IntList("shape", (1,), "output shape without the batch: [F], [C, L], [C, H, W] "
                "or [C, D, H, W]", required=True, min_len=1, max_len=4, lo=1, hi=1 << 24),
        Int("params", 0, "learnable parameters, as the import counted them", lo=0,
            hi=MAX_COUNT),
        Int("macs", 0, "multiply-accumulates of one forward pass, as the import counted "
            "them", lo=0, hi=MAX_COUNT),
    )

    def infer(self, p, ins):
        return tuple(p["shape"])

    def cost(self, p, ins, out):
        return Cost(p["params"], p["macs"])

    def rf_ops(self, p, ins, out):
        return ((),) * (len(out) - 1)  # unused: the field is unknown (rf_unknown)

    def summary(self, p):
        op = p["op"] if len(p["op"]) <= 24 else p["op"][:23] + "…"
        return f"{op} → {fmt_shape(p['shape'])}"

    def refusal(self, p):
        return (f"the imported operation {p['op']!r} is Opaque: no torch module computes "
                "it, so the graph cannot be built, run or exported; replace the node")
