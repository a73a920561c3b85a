"""How ONNX operators become graph types (numpy and onnx only).

Each handler takes a :class:`Node` (the operator, its attributes, constant inputs and
the inferred shapes) and emits ops, or returns False for a use its type does not
express (the reader then makes it ``Opaque``). Conv, ConvTranspose, Gemm/MatMul
(+ Add of a bias), BatchNormalization, the pools, GlobalAveragePool, ReduceMean over
H, W, Resize, Pad, Slice/Split, Concat, Add/Mul, Clip(0, 6), the activations,
Softmax, Flatten/Reshape/Transpose (reshape and transpose pending for the folds) and
DeformConv (with its offset conv: the pattern :mod:`.onnx_export` writes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from onnx import helper

from ..catalogue.interchange import ONNX_OPS, T, ranked
from .ir import Net, Op
from .params import compact, conv_params, pool_params

__all__ = ["HANDLERS", "Node"]


class Node:
    """One ONNX node with what the handlers read."""

    @dataclass
    class State:
        net: Net
        consts: dict
        shapes: dict
        readers: dict
        alias: dict = field(default_factory=dict)
        made: dict = field(default_factory=dict)   # output name -> (op_type, node)

    def __init__(self, state: State, proto, path: str, owned: bool):
        self.s, self.p, self.path, self.owned = state, proto, path, owned
        self.attrs = {a.name: helper.get_attribute_value(a) for a in proto.attribute}
        self.name = proto.name or proto.output[0]
        for o in proto.output:
            state.made[o] = (proto.op_type, self)

    def a(self, name, default=None):
        v = self.attrs.get(name, default)
        return v.decode() if isinstance(v, bytes) else v

    def x(self, i: int = 0) -> str | None:
        ins = self.p.input
        return self.s.alias.get(ins[i]) if i < len(ins) and ins[i] else None

    def const(self, i: int):
        ins = self.p.input
        return self.s.consts.get(ins[i]) if i < len(ins) and ins[i] else None

    def shape(self, i: int = 0) -> tuple[int, ...]:
        return self.s.shapes.get(self.p.input[i], ())

    def out(self, j: int = 0) -> tuple[int, ...]:
        return self.s.shapes.get(self.p.output[j], ())

    def emit(self, type_, params, inputs, weights=None, j=0, final=True, key=None,
             shape=None, note="") -> str:
        out = self.p.output[j]
        key = key or out
        full = shape if shape is not None else self.out(j)[1:]
        self.s.net.add(Op(key, type_, params, list(inputs), tuple(full), path=self.path,
                          hint=self.p.op_type.lower(), weights=dict(weights or {}),
                          owned=self.owned and bool(self.path)))
        if final:
            self.s.alias[out] = key
            self.s.net.record(self.name if j == 0 else f"{self.name}:{j}",
                              f"ONNX {self.p.op_type}",
                              "opaque" if type_ == T.opaque else "mapped", key, note)
        return key

    def same(self, i: int = 0) -> None:
        key = self.x(i)
        self.s.alias[self.p.output[0]] = key
        self.s.net.record(self.name, f"ONNX {self.p.op_type}", "folded", key, "identity")

    def is_shape_arithmetic(self) -> bool:
        return self.p.op_type == "Shape" or not any(self.x(i) for i in range(len(self.p.input)))

    def opaque(self) -> None:
        ins = list(dict.fromkeys(k for k in (self.x(i) for i in range(len(self.p.input)))
                                 if k))
        params = sum(int(np.prod(self.const(i).shape)) for i in range(len(self.p.input))
                     if self.const(i) is not None and self.const(i).dtype.kind == "f")
        for j, o in enumerate(self.p.output):
            if not o:
                continue
            shape = [max(1, int(v)) for v in self.out(j)[1:]] or [1]
            what = f"ONNX {self.p.op_type}" + (f"[{j}]" if len(self.p.output) > 1 else "")
            if not 1 <= len(shape) <= 4:
                shape = [int(np.prod(shape))]
            self.emit(T.opaque, {"op": what, "shape": shape, "params": params, "macs": 0},
                      ins, j=j, shape=shape)
            self.s.net.ops[self.s.alias[o]].param_count = params


def _pads(n: Node, rank: int):
    """``(begins, ends)`` of a conv or pool, auto_pad resolved from the shapes."""
    k = n.a("kernel_shape") or list(n.const(1).shape[2:] if n.const(1) is not None else [])
    auto = n.a("auto_pad", "NOTSET")
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        ins, outs = n.shape(0)[2:], n.out()[2:]
        s = n.a("strides") or [1] * rank
        d = n.a("dilations") or [1] * rank
        total = [max(0, (o - 1) * st + (kk - 1) * dd + 1 - i) for i, o, st, kk, dd in
                 zip(ins, outs, s, k, d, strict=True)]
        small = [t // 2 for t in total]
        big = [t - t // 2 for t in total]
        return (small, big) if auto == "SAME_UPPER" else (big, small)
    pads = n.a("pads") or [0] * (2 * rank)
    return list(pads[:rank]), list(pads[rank:])


def _conv(n: Node):
    w, b = n.const(1), n.const(2)
    rank = len(n.shape(0)) - 2
    if n.x() is None or w is None or rank not in (2, 3) or (len(n.p.input) > 2 and
                                                          n.p.input[2] and b is None):
        return False
    begin, end = _pads(n, rank)
    src = n.x()
    if begin != end:
        if rank != 2:
            return False
        padded = (n.shape(0)[1], n.shape(0)[2] + begin[0] + end[0],
                  n.shape(0)[3] + begin[1] + end[1])
        src = n.emit(T.pad, {"padding": [begin[1], end[1], begin[0], end[0]]}, [src],
                     key=n.p.output[0] + "__pad", final=False, shape=padded)
        begin = [0] * rank
    group = n.a("group", 1)
    weights = {"weight": w} if b is None else {"weight": w, "bias": b}
    p = conv_params(w.shape[0], w.shape[2:], n.a("strides") or 1, begin,
                    n.a("dilations") or 1, group, b is not None)
    n.emit(ranked("conv", rank), p, [src], weights)


def _conv_t(n: Node):
    w, b = n.const(1), n.const(2)
    rank = len(n.shape(0)) - 2
    if n.x() is None or w is None or rank not in (2, 3):
        return False
    begin, end = _pads(n, rank)
    if begin != end:
        return False
    group = n.a("group", 1)
    s, d = n.a("strides") or [1] * rank, n.a("dilations") or [1] * rank
    ins, outs = n.shape(0)[2:], n.out()[2:]
    op = [o - ((i - 1) * st - 2 * pd + dd * (k - 1) + 1) for i, o, st, pd, dd, k in
          zip(ins, outs, s, begin, d, w.shape[2:], strict=True)]
    weights = {"weight": w} if b is None else {"weight": w, "bias": b}
    p = conv_params(w.shape[1] * group, w.shape[2:], s, begin, d, group, b is not None, op)
    n.emit(ranked("conv_transpose", rank), p, [n.x()], weights)


def _gemm(n: Node):
    w, c = n.const(1), n.const(2)
    if n.x() is None or w is None or len(n.shape(0)) != 2 or n.a("transA", 0) or \
            n.a("alpha", 1.0) != 1.0 or (c is not None and n.a("beta", 1.0) != 1.0):
        return False
    w = w if n.a("transB", 0) else w.T
    weights = {"weight": np.ascontiguousarray(w)}
    if c is not None:
        weights["bias"] = np.broadcast_to(c, (w.shape[0],)).copy()
    n.emit(T.linear, {"out_features": int(w.shape[0]), "bias": c is not None}, [n.x()],
           weights)


def _matmul(n: Node):
    w = n.const(1)
    if n.x() is None or w is None or w.ndim != 2 or len(n.shape(0)) != 2:
        return False
    n.emit(T.linear, {"out_features": int(w.shape[1]), "bias": False}, [n.x()],
           {"weight": np.ascontiguousarray(w.T)})


def _bn(n: Node):
    ws = [n.const(i) for i in range(1, 5)]
    rank = len(n.shape(0)) - 2
    if n.x() is None or any(w is None for w in ws) or rank not in (2, 3) or \
            n.a("training_mode", 0):
        return False
    p = {}
    if abs(n.a("epsilon", 1e-5) - 1e-5) > 1e-12:
        p["eps"] = float(n.a("epsilon"))
    momentum = round(1.0 - n.a("momentum", 0.9), 6)
    if momentum != 0.1:
        p["momentum"] = momentum
    names = ("weight", "bias", "running_mean", "running_var")
    weights = dict(zip(names, ws, strict=True))
    weights["num_batches_tracked"] = np.array(0, dtype=np.int64)
    n.emit(ranked("batch_norm", rank), p, [n.x()], weights)


def _unary(n: Node):
    if n.x() is None:
        return False
    n.emit(ONNX_OPS[n.p.op_type], {}, [n.x()])


def _clip(n: Node):
    lo = n.const(1) if len(n.p.input) > 1 and n.p.input[1] else n.a("min")
    hi = n.const(2) if len(n.p.input) > 2 and n.p.input[2] else n.a("max")
    lo = None if lo is None else float(np.asarray(lo))
    hi = None if hi is None else float(np.asarray(hi))
    if n.x() is None or lo != 0.0 or hi not in (6.0, None):
        return False
    n.emit(T.relu6 if hi == 6.0 else T.relu, {}, [n.x()])


def _leaky(n: Node):
    slope = float(n.a("alpha", 0.01))
    if n.x() is None or not 0 <= slope <= 1:
        return False
    n.emit(ONNX_OPS[n.p.op_type], {"negative_slope": slope}, [n.x()])


def _hardsigmoid(n: Node):
    if abs(n.a("alpha", 0.2) - 1 / 6) > 1e-6 or abs(n.a("beta", 0.5) - 0.5) > 1e-6:
        return False
    return _unary(n)


def _gelu(n: Node):
    if n.a("approximate", "none") != "none":
        return False
    return _unary(n)


def _softmax(n: Node):
    r = len(n.shape(0))
    axis = n.a("axis", -1)
    if n.x() is None or r not in (2, 4, 5) or (axis + r if axis < 0 else axis) != 1:
        return False
    n.emit(ONNX_OPS[n.p.op_type], {}, [n.x()])


def _pool(op):
    def handle(n: Node):
        rank = len(n.shape(0)) - 2
        if n.x() is None or rank not in (2, 3) or (len(n.p.output) > 1 and n.p.output[1]):
            return False
        begin, end = _pads(n, rank)
        if begin != end or (op == "Avg" and any(begin) and not n.a("count_include_pad", 0)):
            return False
        k = n.a("kernel_shape")
        p = pool_params(k, n.a("strides") or [1] * rank, begin,
                        (n.a("dilations") or [1] * rank) if op == "Max" else None,
                        bool(n.a("ceil_mode", 0)))
        if op == "Avg" and rank == 3 and any(begin):
            return False
        n.emit(ranked("max_pool" if op == "Max" else "avg_pool", rank), p, [n.x()])
    return handle


def _gap(n: Node):
    rank = len(n.shape(0)) - 2
    if n.x() is None or rank not in (2, 3):
        return False
    n.emit(ranked("adaptive_avg_pool", rank), {"output_size": 1}, [n.x()])


def _reduce_mean(n: Node):
    r = len(n.shape(0))
    axes = n.a("axes")
    if axes is None and n.const(1) is not None:
        axes = list(n.const(1))
    axes = sorted(int(a) + r if a < 0 else int(a) for a in (axes or []))
    if n.x() is None or r not in (4, 5) or axes != list(range(2, r)):
        return False
    kind = ranked("adaptive_avg_pool", r - 2)
    if n.a("keepdims", 1):
        return n.emit(kind, {"output_size": 1}, [n.x()])
    gap = n.emit(kind, {"output_size": 1}, [n.x()], key=n.p.output[0] + "__pool",
                 final=False, shape=(n.shape(0)[1],) + (1,) * (r - 2))
    n.emit(T.flatten, {}, [gap])


def _reshape(n: Node):
    src, out = n.shape(0), n.out()
    if n.x() is None or not out or out[:1] != src[:1]:
        return False
    if out == src:
        return n.same()
    if len(out) == 2:
        return n.emit(T.flatten, {}, [n.x()])
    n.emit("~reshape", {}, [n.x()])


def _flatten(n: Node):
    if n.a("axis", 1) != 1:
        return False
    return _reshape(n)


def _transpose(n: Node):
    perm = list(n.a("perm") or [])
    if n.x() is None or not perm or perm[0] != 0:
        return False
    if perm == sorted(perm):
        return n.same()
    key = n.emit("~transpose", {}, [n.x()])
    n.s.net.ops[key].attrs["perm"] = tuple(perm)


def _linear(n: Node):
    return _gemm(n) if n.p.op_type == "Gemm" else _matmul(n)


from .onnx_ops2 import BY_TYPE, MORE  # noqa: E402  (the rest of the table)

#: the handler of each type that ONNX ops always map to (ONNX_OPS says which op)
_BY_TYPE = {T.relu: _unary, T.sigmoid: _unary, T.tanh: _unary, T.hardswish: _unary,
            T.hardsigmoid: _hardsigmoid, T.leaky_relu: _leaky, T.gelu: _gelu,
            T.softmax: _softmax, T.flatten: _flatten, T.linear: _linear, **BY_TYPE}

#: ONNX op type -> handler: those of ONNX_OPS by their type, then those whose type
#: depends on the attributes
HANDLERS = {
    **{op: _BY_TYPE[t] for op, t in ONNX_OPS.items()},
    "Conv": _conv, "ConvTranspose": _conv_t, "BatchNormalization": _bn, "Clip": _clip,
    "MaxPool": _pool("Max"), "AveragePool": _pool("Avg"), "GlobalAveragePool": _gap,
    "ReduceMean": _reduce_mean, "Reshape": _reshape, "Transpose": _transpose, **MORE,
}
_ = compact
