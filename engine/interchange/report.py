"""The import report: every source operation, what it became and how (torch-free).

``status`` is ``mapped`` (one op, one node), ``folded`` (part of a composite node, an
identity, a tuple item, or unused) or ``opaque``; ``node`` is the graph node it
became (None when it became none).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Report"]


@dataclass
class Report:
    source: str
    how: str                               # "fx", "export" or "onnx"
    operations: list[dict] = field(default_factory=list)
    nodes: int = 0
    opaque_nodes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        out = {"mapped": 0, "folded": 0, "opaque": 0}
        for item in self.operations:
            out[item["status"]] = out.get(item["status"], 0) + 1
        return out

    @property
    def exit_code(self) -> int:
        """0 when every operation mapped or folded, 1 with some Opaque node."""
        return 1 if self.opaque_nodes else 0

    def summary(self) -> str:
        c = self.counts()
        text = (f"imported {self.source} ({self.how}): {len(self.operations)} operations, "
                f"{c['mapped']} mapped, {c['folded']} folded, {c['opaque']} opaque -> "
                f"{self.nodes} nodes")
        if self.opaque_nodes:
            shown = ", ".join(self.opaque_nodes[:5])
            more = len(self.opaque_nodes) - 5
            text += f"; Opaque: {shown}" + (f" and {more} more" if more > 0 else "")
        return text + f" in {self.seconds:.2f} s"

    def to_json(self) -> dict:
        return {"source": self.source, "traced_with": self.how, "counts": self.counts(),
                "nodes": self.nodes, "opaque_nodes": list(self.opaque_nodes),
                "seconds": round(self.seconds, 3), "operations": list(self.operations)}
