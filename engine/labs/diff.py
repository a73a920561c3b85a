"""The node-by-node comparison of two designs (``main.py diff A B``, cli.md).

Nodes are matched by id. A node in B only is *added*, in A only *removed*; a
node in both is *changed* when its parameters (compared normalised, so an
explicit default equals an omitted one), its type, its inputs, or what the
analysis says of it (shape, receptive-field size, parameter count, MACs)
differ. Canvas positions, names and descriptions are not part of a design.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..analysis import AnalysisResult, NodeResult, analyze
from ..catalogue import fmt_shape
from ..graph import Graph

__all__ = ["DesignDiff", "diff_graphs", "format_diff"]

#: the per-node measures compared after the parameters, in report order
MEASURES = ("shape", "rf_size", "param_count", "macs")


def _plain(v) -> Any:
    """A normalised parameter value as JSON: uniform tuples collapse to one number."""
    if isinstance(v, tuple | list):
        items = [_plain(x) for x in v]
        return items[0] if items and items.count(items[0]) == len(items) else items
    return v


def _rf_size(res: NodeResult | None):
    if res is None or res.rf is None or not res.rf.size:
        return None
    return max(res.rf.size)


def _measures(res: NodeResult | None) -> dict[str, Any]:
    if res is None:
        return dict.fromkeys(MEASURES)
    return {"shape": list(res.shape) if res.shape is not None else None,
            "rf_size": _rf_size(res), "param_count": res.params, "macs": res.macs}


def _inputs(graph: Graph, node_id: str) -> list[str]:
    slots = graph.inputs_of(node_id)
    return [slots[p] for p in sorted(slots)]


@dataclass(frozen=True)
class DesignDiff:
    """What differs between design A and design B (:func:`diff_graphs`)."""

    added: list[tuple[str, str]]  # (id, type) in B's order
    removed: list[tuple[str, str]]  # (id, type) in A's order
    changed: list[dict[str, Any]]
    total: dict[str, list[int]] = field(default_factory=dict)

    @property
    def same(self) -> bool:
        """Whether the designs are the same (nothing added, removed or changed)."""
        return not (self.added or self.removed or self.changed)

    def to_json(self) -> dict[str, Any]:
        """``added``, ``removed`` (ids), ``changed`` and ``total`` (cli.md ``diff``)."""
        return {"added": [i for i, _ in self.added], "removed": [i for i, _ in self.removed],
                "changed": self.changed, "total": self.total}


def _changed(a: Graph, b: Graph, ra: AnalysisResult, rb: AnalysisResult,
             nid: str) -> dict[str, Any] | None:
    na, nb = a.node(nid), b.node(nid)
    entry: dict[str, Any] = {"id": nid}
    if na.type != nb.type:
        entry["type"] = [na.type, nb.type]
    pa, pb = _normalised(na), _normalised(nb)
    params = {}
    for name in list(pa) + [k for k in pb if k not in pa]:
        va, vb = pa.get(name), pb.get(name)
        if va != vb:
            params[name] = [_plain(va), _plain(vb)]
    if params:
        entry["params"] = params
    ia, ib = _inputs(a, nid), _inputs(b, nid)
    if ia != ib:
        entry["inputs"] = [ia, ib]
    ma, mb = _measures(ra.nodes.get(nid)), _measures(rb.nodes.get(nid))
    for key in MEASURES:
        if ma[key] != mb[key]:
            entry[key] = [ma[key], mb[key]]
    return entry if len(entry) > 1 else None


def _normalised(node) -> dict[str, Any]:
    try:
        return dict(node.normalised)
    except Exception:  # a bad value (the analysis reports it): compare what was written
        return dict(node.params)


def diff_graphs(a: Graph, b: Graph, ra: AnalysisResult | None = None,
                rb: AnalysisResult | None = None) -> DesignDiff:
    """Compare design ``a`` with design ``b`` node by node (matched by id)."""
    ra = ra if ra is not None else analyze(a)
    rb = rb if rb is not None else analyze(b)
    added = [(n.id, n.type) for n in b if n.id not in a]
    removed = [(n.id, n.type) for n in a if n.id not in b]
    order = [nid for nid in rb.nodes if nid in a]
    order += [n.id for n in b if n.id in a and n.id not in rb.nodes]
    changed = [c for nid in order if (c := _changed(a, b, ra, rb, nid)) is not None]
    total = {"params": [ra.total_params, rb.total_params],
             "macs": [ra.total_macs, rb.total_macs]}
    return DesignDiff(added, removed, changed, total)


def _show(key: str, v) -> str:
    if v is None:
        return "—"
    if key == "shape":
        return fmt_shape(v)
    if isinstance(v, bool) or not isinstance(v, int | float):
        return ", ".join(v) if key == "inputs" else str(v)
    return f"{v:,}"


def _delta(a, b) -> str:
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (a, b))
    if not numbers:
        return ""
    d = b - a
    if isinstance(d, float) and not d.is_integer():
        return f"{d:+,.3g}"
    return f"{int(d):+,}"


def format_diff(diff: DesignDiff, name_a: str = "A", name_b: str = "B") -> str:
    """The readable report: added and removed nodes, then a table of what changed per
    node (A, B and the signed delta of numbers), then the totals."""
    lines = [f"{name_a} → {name_b}"]
    if diff.same:
        lines.append("same design: no node added, removed or changed")
    for title, items in (("added", diff.added), ("removed", diff.removed)):
        if items:
            lines.append(f"{title}: " + ", ".join(f"{i} ({t})" for i, t in items))
    rows = [("node", "what", "A", "B", "Δ")]
    for entry in diff.changed:
        pairs = [("type", entry["type"])] if "type" in entry else []
        pairs += list(entry.get("params", {}).items())
        pairs += [(k, entry[k]) for k in ("inputs", *MEASURES) if k in entry]
        for i, (key, (va, vb)) in enumerate(pairs):
            rows.append((entry["id"] if i == 0 else "", key, _show(key, va), _show(key, vb),
                         _delta(va, vb) if key != "inputs" else ""))
    for key in ("params", "macs"):
        va, vb = diff.total[key]
        rows.append(("total" if key == "params" else "", key, _show(key, va),
                     _show(key, vb), _delta(va, vb)))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines.append("")
    for i, r in enumerate(rows):
        cells = [c.rjust(w) if j >= 2 else c.ljust(w)
                 for j, (c, w) in enumerate(zip(r, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"
