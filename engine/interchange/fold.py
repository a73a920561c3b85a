"""Fold patterns of imported ops into the composite types, then settle what is left
(torch-free).

- the squeeze-excitation pattern (global average pool, 1×1 conv or Linear with bias,
  ReLU, the same back, Sigmoid, a per-channel scale of the block's input) →
  ``SqueezeExcitation`` (Linear weights keep their values, as 1×1 kernels);
- a depthwise conv straight into a 1×1 conv, as the submodules ``depthwise`` and
  ``pointwise`` of one module (so the state_dict keys are the composite's) →
  ``DepthwiseSeparableConv2d``; ``conv_h`` + ``conv_w`` → ``SpatiallySeparableConv2d``;
- reshape to ``[g, C/g, H, W]``, swap of those two axes, reshape back → ``ChannelShuffle``.

What is still pending afterwards (a reshape, a transpose, a broadcast multiply) becomes
``Opaque`` with its traced shape; a pending value of a rank the format has no shape
for is merged into the ops that read it.
"""

from __future__ import annotations

from ..catalogue.interchange import T
from .ir import Net, Op

__all__ = ["fold_all", "se_reduction", "settle"]


def se_reduction(channels: int, hidden: int, prefer: int = 16) -> int | None:
    """A ``reduction`` with ``max(1, channels // reduction) == hidden``, or None."""
    for r in (prefer, channels // max(1, hidden), *range(1, channels + 1)):
        if 1 <= r <= channels and max(1, channels // r) == hidden:
            return r
    return None


def fold_all(net: Net) -> None:
    """Every fold, then :func:`settle`."""
    _fold_se(net)
    _fold_pairs(net, "depthwise", "pointwise", _ds_params, T.depthwise_separable)
    _fold_pairs(net, "conv_h", "conv_w", _ss_params, T.spatially_separable)
    _fold_shuffle(net)
    settle(net)


def _single(net: Net, cons: dict, key: str, type_: str | tuple) -> Op | None:
    """The op of ``key`` if it is of ``type_`` and read by exactly one op."""
    op = net.ops.get(key)
    types = (type_,) if isinstance(type_, str) else type_
    if op is None or op.type not in types or len(cons.get(key, ())) != 1 or \
            key in net.outputs:
        return None
    return op


def _is_1x1(op: Op) -> bool:
    p = op.params
    return (op.type == T.conv2d and p.get("kernel_size", 3) in (1, [1, 1])
            and p.get("stride", 1) in (1, [1, 1]) and p.get("padding", 0) in (0, [0, 0])
            and p.get("dilation", 1) in (1, [1, 1]) and p.get("groups", 1) == 1
            and p.get("bias", True) and p.get("padding_mode", "zeros") == "zeros")


def _dense(op: Op | None) -> bool:
    return op is not None and (_is_1x1(op) or op.type == T.linear and op.params.get(
        "bias", True))


def _prefix(paths) -> str:
    parts = [p.split(".") if p else [] for p in paths]
    out = []
    for items in zip(*parts, strict=False):
        if len(set(items)) != 1:
            break
        out.append(items[0])
    return ".".join(out)


def _owned(net: Net, prefix: str, members) -> bool:
    """Whether only ``members`` live in module ``prefix`` (it is then theirs)."""
    if not prefix:
        return False
    return not any(op.path == prefix or op.path.startswith(prefix + ".")
                   for k, op in net.ops.items() if k not in members)


def _fold_se(net: Net) -> None:
    for key in [k for k, op in net.ops.items() if op.type == "~bmul"]:
        cons = net.consumers()
        mul = net.ops[key]
        for x, g in (mul.inputs, mul.inputs[::-1]):
            chain = _se_chain(net, cons, x, g)
            if chain:
                _apply_se(net, mul, x, chain)
                break


def _se_chain(net, cons, x, g):
    xs = net.ops[x].shape
    if len(xs) != 3:
        return None
    chain = []
    op = _single(net, cons, g, "~reshape")
    if op is not None:
        chain.append(op)
        g = op.inputs[0]
    sig = _single(net, cons, g, T.sigmoid)
    fc2 = sig and _single(net, cons, sig.inputs[0], (T.conv2d, T.linear))
    act = fc2 and _single(net, cons, fc2.inputs[0], T.relu)
    fc1 = act and _single(net, cons, act.inputs[0], (T.conv2d, T.linear))
    if not (_dense(fc1) and _dense(fc2) and fc1.type == fc2.type):
        return None
    src = fc1.inputs[0]
    flat = _single(net, cons, src, T.flatten)
    if flat is not None:
        chain.append(flat)
        src = flat.inputs[0]
    pool = net.ops.get(src)
    if pool is None or pool.type != T.global_pool2d or pool.params.get(
            "output_size") not in (1, [1, 1]) or pool.inputs[0] != x:
        return None
    if len(cons[src]) != 1 or src in net.outputs:
        return None
    c, hidden = xs[0], fc1.shape[0]
    if sig.shape[0] != c or fc2.shape[0] != c or se_reduction(c, hidden) is None:
        return None
    return chain + [sig, fc2, act, fc1, pool]


def _apply_se(net: Net, mul: Op, x: str, chain: list[Op]) -> None:
    sig, fc2, act, fc1, pool = chain[-5:]
    c, hidden = net.ops[x].shape[0], fc1.shape[0]
    weights = {}
    for name, fc, shape in (("fc1", fc1, (hidden, c, 1, 1)), ("fc2", fc2, (c, hidden, 1, 1))):
        weights[f"{name}.weight"] = fc.weights["weight"].reshape(shape)
        weights[f"{name}.bias"] = fc.weights["bias"]
    members = {op.key for op in chain} | {mul.key}
    prefix = _prefix([op.path for op in chain] + [mul.path])
    owned = _owned(net, prefix, members) and all(
        op.path != prefix for op in (fc1, fc2) if op.owned)
    new = Op(mul.key, T.se, {"reduction": se_reduction(c, hidden)}, [x],
             mul.shape, path=prefix if owned else mul.path, hint="se", weights=weights,
             owned=owned)
    net.ops[mul.key] = new
    net.mark(mul.key, "folded", "squeeze-excitation pattern")
    net.fold([op.key for op in chain], mul.key, "squeeze-excitation pattern")


def _ds_params(a: Op, b: Op, net: Net) -> dict | None:
    cin = net.ops[a.inputs[0]].shape[0]
    pa = a.params
    if a.type != T.conv2d or pa.get("groups", 1) != cin or not _is_1x1_like(b, pa):
        return None
    p = {k: v for k, v in pa.items() if k in ("kernel_size", "stride", "padding", "dilation")}
    p["out_channels"] = b.params["out_channels"]
    if a.shape[0] != cin:
        p["depth_multiplier"] = a.shape[0] // cin
    if pa.get("padding_mode", "zeros") != "zeros":
        return None
    p["bias"] = pa.get("bias", True)
    return p


def _is_1x1_like(b: Op, pa: dict) -> bool:
    p = dict(b.params)
    bias = p.pop("bias", True)
    return bias == pa.get("bias", True) and _is_1x1(Op(b.key, b.type, p, [], ()))


def _ss_params(a: Op, b: Op, net: Net) -> dict | None:
    if a.type != T.conv2d or b.type != T.conv2d:
        return None
    pa, pb = a.params, b.params

    def pair(p, name, default):
        v = p.get(name, default)
        return v if isinstance(v, list) else [v, v]
    ka, kb = pair(pa, "kernel_size", 3), pair(pb, "kernel_size", 3)
    if ka[1] != 1 or kb[0] != 1 or pa.get("groups", 1) != 1 or pb.get("groups", 1) != 1:
        return None
    if pa.get("bias", True) != pb.get("bias", True) or a.shape[0] != b.shape[0]:
        return None
    p = {"out_channels": b.shape[0], "kernel_size": [ka[0], kb[1]]}
    for name, default in (("stride", 1), ("dilation", 1)):
        va, vb = pair(pa, name, default), pair(pb, name, default)
        if va[1] != 1 or vb[0] != 1:
            return None
        p[name] = [va[0], vb[1]]
    pda, pdb = pa.get("padding", 0), pb.get("padding", 0)
    if isinstance(pda, str) or isinstance(pdb, str):
        if pda != pdb:
            return None
        p["padding"] = pda
    else:
        va, vb = pair(pa, "padding", 0), pair(pb, "padding", 0)
        if va[1] != 0 or vb[0] != 0:
            return None
        p["padding"] = [va[0], vb[1]]
    p["bias"] = pa.get("bias", True)
    return p


def _fold_pairs(net: Net, first: str, second: str, params_of, type_: str) -> None:
    for key in list(net.ops):
        a = net.ops.get(key)
        if a is None or not a.owned or not a.path.endswith("." + first) and a.path != first:
            continue
        cons = net.consumers()
        if len(cons[key]) != 1 or key in net.outputs:
            continue
        b = net.ops[cons[key][0]]
        parent = a.path[:-len(first)].rstrip(".")
        if b.path != (f"{parent}.{second}" if parent else second) or not b.owned:
            continue
        p = params_of(a, b, net)
        if p is None:
            continue
        weights = {f"{first}.{k}": v for k, v in a.weights.items()}
        weights.update({f"{second}.{k}": v for k, v in b.weights.items()})
        owned = _owned(net, parent, {a.key, b.key})
        net.ops[b.key] = Op(b.key, type_, p, list(a.inputs), b.shape,
                            path=parent if owned else b.path, hint=type_.lower(),
                            weights=weights, owned=owned)
        net.mark(b.key, "folded", f"{first} + {second}")
        net.fold([a.key], b.key, f"{first} + {second}")


def _fold_shuffle(net: Net) -> None:
    for key in [k for k, op in net.ops.items() if op.type == "~reshape"]:
        cons = net.consumers()
        r1 = net.ops.get(key)
        if r1 is None or len(r1.shape) != 4 or len(cons[key]) != 1:
            continue
        src = net.ops[r1.inputs[0]].shape
        g, per, h, w = r1.shape
        t = _single(net, cons, cons[key][0], "~transpose")
        if len(src) != 3 or src != (g * per, h, w) or t is None or \
                t.attrs.get("perm") != (0, 2, 1, 3, 4):
            continue
        t_cons = cons[t.key]
        r2 = net.ops[t_cons[0]] if len(t_cons) == 1 else None
        if r2 is None or r2.type not in ("~reshape",) or r2.shape != src:
            continue
        net.ops[r2.key] = Op(r2.key, T.channel_shuffle, {"groups": g}, list(r1.inputs), src,
                             path=r2.path, hint="shuffle")
        net.mark(r2.key, "folded", "view-transpose-view channel shuffle")
        net.fold([r1.key, t.key], r2.key, "view-transpose-view channel shuffle")


def settle(net: Net) -> None:
    """Pending ops left become ``Opaque``; values of ranks 1–4 only reach the graph."""
    for key in list(net.ops):
        op = net.ops.get(key)
        if op is None or not op.pending:
            continue
        what = {"~reshape": "reshape", "~transpose": "transpose",
                "~bmul": "broadcast multiply"}.get(op.type, op.type[1:])
        if 1 <= len(op.shape) <= 4:
            net.ops[key] = Op(key, T.opaque, _opaque_params(what, op), op.inputs, op.shape,
                              path=op.path, hint=op.hint)
            net.mark(key, "opaque", f"{what} that no type expresses")
            continue
        cons = net.consumers()[key]  # merge into its readers
        for c in cons:
            reader = net.ops[c]
            ins = [i for s in reader.inputs for i in (op.inputs if s == key else [s])]
            ins = list(dict.fromkeys(ins))
            label = f"{what} + {reader.params.get('op') or reader.type}"
            wide = not 1 <= len(reader.shape) <= 4  # still no shape: merge on
            net.ops[c] = Op(c, "~" + label if wide else T.opaque,
                            _opaque_params(label, reader), ins, reader.shape,
                            path=reader.path, hint=reader.hint,
                            param_count=reader.param_count)
            net.mark(c, "opaque", f"{label} that no type expresses")
        net.fold([key], cons[0] if cons else "", f"{what} of rank {len(op.shape) + 1}")
        if cons:
            settle(net)
            return


def _opaque_params(what: str, op: Op) -> dict:
    shape = [max(1, int(s)) for s in op.shape] or [1]
    return {"op": what[:200], "shape": shape, "params": int(op.param_count), "macs": 0}
