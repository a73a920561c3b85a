"""Shape pass: wiring, inputs and output shape of every node.

For each node it checks that slots 0..n-1 are connected, gathers what arrives
(:class:`~engine.catalogue.Inputs`) and asks the catalogue for the output shape.
Its fact is a :class:`Layer`, which the later passes read (parameters, inputs,
output) and through which they ask the catalogue for cost and receptive-field
ops. A node downstream of an error gets no shape and no error of its own.
"""

from __future__ import annotations

from ..catalogue import Inputs, LayerError
from ..graph import Node
from .facts import Facts, sweep
from .result import Issue

__all__ = ["Layer", "shape_pass"]


class Layer:
    """What the shape pass knows of a node; the catalogue's answers for it.

    ``out`` is the output shape, None when the node failed (``error`` says why)
    or is blocked by an error upstream (``error`` None). ``cost()`` and
    ``ops()`` ask the catalogue on first use. Within one analysis, nodes with
    the same kind, parameters and inputs (a net's repeated blocks) share one
    Layer, so the catalogue answers once for all of them: its rules are pure
    functions of those three and their answers immutable.
    """

    __slots__ = ("kind", "params", "ins", "out", "error", "_cost", "_ops")

    def __init__(self, kind, params: dict, ins: Inputs | None = None, out=None,
                 error: Issue | None = None):
        self.kind = kind
        self.params = params
        self.ins = ins
        self.out = out
        self.error = error
        self._cost = self._ops = None

    def cost(self):
        """``kind.cost`` of the layer (a :class:`~engine.catalogue.base.Cost`)."""
        if self._cost is None:
            self._cost = self.kind.cost(self.params, self.ins, self.out)
        return self._cost

    def ops(self):
        """``kind.rf_ops`` of the layer: per spatial axis, its receptive-field ops."""
        if self._ops is None:
            self._ops = self.kind.rf_ops(self.params, self.ins, self.out)
        return self._ops

    def __repr__(self) -> str:
        what = f"-> {self.out}" if self.out is not None else \
            f"failed: {self.error.message}" if self.error else "blocked"
        return f"<Layer {self.kind.type} {what}>"


def shape_pass(facts: Facts, todo: set[str]) -> set[str]:
    """Recompute the layers of ``todo`` (and of the successors whose inputs change)."""
    layers, nodes, shared = facts.layers, facts.graph.nodes, facts.shared

    def step(nid: str) -> bool:
        old = layers.get(nid)
        new = layers[nid] = _layer(facts, nodes[nid], shared)
        return old is None or old.out != new.out or _in_shapes(old) != _in_shapes(new)

    return sweep(facts, todo, step)


def _in_shapes(layer: Layer):
    """What a successor reads besides ``out`` (MaxUnpool2d: its pool's input size)."""
    return layer.ins.shapes if layer.ins is not None else None


def _layer(facts: Facts, node: Node, shared: dict) -> Layer:
    kind = node.kind
    params = node.normalised  # validated when the node entered the graph
    srcs = facts.sources(node.id)
    if srcs is None or len(srcs) < kind.min_inputs:
        return _failed(node, params, _wiring(kind, facts.graph.inputs_of(node.id)))
    layers = facts.layers
    shapes, types, src_in = [], [], []  # plain loops: a comprehension costs a frame (3.11)
    for s in srcs:
        src = layers[s]
        if src.out is None:  # downstream of an error: no shape, no error of its own
            return Layer(kind, params)
        shapes.append(src.out)
        types.append(src.kind.type)
        src_in.append(src.ins.shapes if src.ins is not None else ())
    shapes, types, src_in = tuple(shapes), tuple(types), tuple(src_in)
    # the params dict is shared by identical nodes (Node.normalised) and lives in the
    # graph through the pass, so its id stands for its value in this key
    key = (kind, id(params), shapes, types, src_in)
    layer = shared.get(key)
    if layer is None:
        ins = Inputs(shapes, types, src_in)
        try:
            kind.check(params)  # limits between parameters: an error at the node
            layer = Layer(kind, params, ins, kind.infer(params, ins))
        except LayerError as exc:
            return _failed(node, params, exc.message, exc.param)
        shared[key] = layer
    return layer


def _failed(node: Node, params: dict, message: str, param: str | None = None) -> Layer:
    return Layer(node.kind, params, error=Issue(node.id, param, f"{node.id}: {message}"))


def _wiring(kind, ports: dict[int, str]) -> str:
    """Why the connected slots cannot feed the node (some slot of 0..n-1 is missing)."""
    n = len(ports)
    if n == 0:
        return "input not connected" if kind.min_inputs == 1 else \
            f"needs at least {kind.min_inputs} inputs (none connected)"
    if n < kind.min_inputs:
        if kind.slots:
            missing = [kind.slots[i] for i in range(kind.min_inputs) if i not in ports]
            return f"slot {', '.join(missing)} not connected"
        return f"needs at least {kind.min_inputs} inputs (has {n})"
    gaps = [i for i in range(max(ports) + 1) if i not in ports]
    return f"slot {gaps[0]} is not connected (inputs must use slots 0..{n - 1})"
