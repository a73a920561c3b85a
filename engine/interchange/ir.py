"""The intermediate form an import builds before it becomes a graph (torch-free).

A reader (:mod:`.fx_reader` for ``nn.Module`` sources, :mod:`.onnx_reader` for ONNX)
turns every source operation into one or more :class:`Op` records: a graph type and
its parameters, the ops it reads (slot order), the traced output shape without the
batch, the module path it came from (ids and groups are made from it) and its
weights under the layout of the module the runtime builds for that type (numpy
arrays or torch tensors: only ``.reshape`` and ``.shape`` are used here).

Types starting with ``~`` are *pending*: a reshape, a transpose or a tuple that a
fold may still turn into something the format expresses (:mod:`.fold`); what is left
pending after folding becomes ``Opaque``.

Every source operation also gets a report :class:`Record`; when ops fold, their
records follow the op they became, so the report can name the final node.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Op", "Net", "Record", "PENDING"]

#: prefix of pending types
PENDING = "~"


@dataclass
class Record:
    """One source operation in the report."""

    source: str          # the source's own name for it (fx node, ONNX node)
    op: str              # what it was (``Conv2d``, ``F.relu``, ONNX ``Conv``)
    status: str          # "mapped", "folded" or "opaque"
    key: str             # the op it became (an id once named)
    note: str = ""


@dataclass
class Op:
    """One node-to-be."""

    key: str
    type: str
    params: dict[str, Any]
    inputs: list[str]
    shape: tuple[int, ...]
    path: str = ""                 # dotted module path ("layer1.0.conv1"), "" at the root
    hint: str = ""                 # a short name where the path ends in no module
    weights: dict[str, Any] = field(default_factory=dict)
    attrs: dict[str, Any] = field(default_factory=dict)  # facts of pending ops
    param_count: int = 0           # Opaque: learnable parameters it hides
    owned: bool = False            # the path names this op's own module (not its container)

    @property
    def pending(self) -> bool:
        return self.type.startswith(PENDING)


class Net:
    """Ops in a topological order, the graph's inputs and outputs, the report records."""

    def __init__(self, name: str = "Imported"):
        self.name = name
        self.ops: dict[str, Op] = {}
        self.outputs: list[str] = []
        self.records: list[Record] = []

    # -- building -----------------------------------------------------------------
    def add(self, op: Op) -> Op:
        if op.key in self.ops:
            raise ValueError(f"internal: duplicate op key {op.key!r}")
        self.ops[op.key] = op
        return op

    def record(self, source: str, what: str, status: str, key: str, note: str = "") -> None:
        self.records.append(Record(source, what, status, key, note))

    # -- reading ------------------------------------------------------------------
    def consumers(self) -> dict[str, list[str]]:
        """For each op key, the keys of the ops that read it (once per slot)."""
        out: dict[str, list[str]] = {k: [] for k in self.ops}
        for op in self.ops.values():
            for src in op.inputs:
                out[src].append(op.key)
        return out

    # -- rewriting ----------------------------------------------------------------
    def replace_uses(self, old: str, new: str) -> None:
        """Every reader of ``old`` reads ``new`` instead (outputs too)."""
        for op in self.ops.values():
            op.inputs = [new if s == old else s for s in op.inputs]
        self.outputs = [new if s == old else s for s in self.outputs]

    def fold(self, keys, into: str, note: str = "") -> None:
        """Remove the ops ``keys`` (their records now point at ``into``, folded)."""
        keys = set(keys) - {into}
        for rec in self.records:
            if rec.key in keys:
                rec.key = into
                rec.status = "folded"
                if note and not rec.note:
                    rec.note = note
        for k in keys:
            self.ops.pop(k, None)

    def mark(self, key: str, status: str, note: str = "") -> None:
        """Set the status of the records that became ``key`` (e.g. ``opaque``)."""
        for rec in self.records:
            if rec.key == key:
                rec.status = status
                if note:
                    rec.note = note

    def prune(self) -> None:
        """Drop ops no output depends on (records of dropped ops say so)."""
        live: set[str] = set()
        stack = list(self.outputs)
        while stack:
            k = stack.pop()
            if k in live or k not in self.ops:
                continue
            live.add(k)
            stack.extend(self.ops[k].inputs)
        dead = [k for k, op in self.ops.items() if k not in live and op.type != "Input"]
        for rec in self.records:
            if rec.key in dead:
                rec.key = ""
                rec.status = "folded"
                rec.note = rec.note or "unused: no output depends on it"
        for k in dead:
            del self.ops[k]
