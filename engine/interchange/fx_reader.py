"""Read an ``nn.Module`` into the intermediate form (:class:`~.ir.Net`); imports torch.

The module is traced with ``torch.fx`` symbolic tracing (``torch.nn`` modules, and
modules of the names :mod:`engine.nnlib` defines with the same structure, stay
leaves); a module fx cannot trace is exported with ``torch.export`` instead, whose
ATen calls map through the same handlers (:mod:`.fx_ops`). The traced graph is then
run once on a seeded example of batch 2 (two, so that a reshape that folds the batch
into another axis shows), which gives every value its concrete shape and every
shape arithmetic its number. Each call becomes ops of graph types; a call no handler
takes becomes ``Opaque`` with its traced shape.
"""

from __future__ import annotations

import operator
import warnings

import torch
import torch.fx as fx
import torch.nn as nn

from .fx_ops import FUNCTIONS, METHOD_ALIASES, MODULES, NNLIB_LEAVES, Args, Ctx
from .ir import Net, Op

__all__ = ["read_module", "TraceError", "BATCH"]

#: batch size of the example the trace runs on
BATCH = 2


class TraceError(Exception):
    """Neither torch.fx nor torch.export can trace the module."""


class _Tracer(fx.Tracer):
    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        leaf = NNLIB_LEAVES.get(type(m).__name__)
        if leaf is not None and leaf(m):
            return True
        return super().is_leaf_module(m, qualname)


def _fx_trace(model: nn.Module) -> fx.GraphModule:
    tracer = _Tracer()
    graph = tracer.trace(model)
    return fx.GraphModule(tracer.root, graph, type(model).__name__)


def _export_trace(model: nn.Module, example) -> fx.GraphModule:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ep = torch.export.export(model, tuple(example), strict=False)
    return ep.module()


class _Recorder(fx.Interpreter):
    def __init__(self, gm):
        super().__init__(gm)
        self.values: dict[fx.Node, object] = {}

    def run_node(self, n):
        value = super().run_node(n)
        self.values[n] = value
        return value


def trace(model: nn.Module, example: list) -> tuple[fx.GraphModule, dict, str]:
    """``(graph module, concrete value of every node, "fx" or "export")``."""
    how = "fx"
    try:
        gm = _fx_trace(model)
    except Exception as fx_exc:  # any tracing failure: try torch.export
        how = "export"
        try:
            gm = _export_trace(model, example)
        except Exception as exc:
            raise TraceError(f"torch.fx cannot trace the module ({_first(fx_exc)}) and "
                             f"torch.export cannot either ({_first(exc)})") from None
    if how == "fx":
        gm.eval()  # an exported program is traced in eval mode already
    rec = _Recorder(gm)
    try:
        with torch.no_grad():
            rec.run(*example)
    except Exception as exc:
        raise TraceError(f"the traced module fails on an input of shape "
                         f"{[tuple(x.shape) for x in example]}: {_first(exc)}") from None
    return gm, rec.values, how


def _first(exc: BaseException) -> str:
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return text[:200]


def _canonical(node: fx.Node) -> str:
    """The handler name of a call (``relu`` for F.relu, torch.relu, Tensor.relu, aten)."""
    t = node.target
    if node.op == "call_method":
        name = t
    elif isinstance(t, torch._ops.OpOverload):
        name = t._overloadpacket.__name__
    else:
        name = getattr(t, "__name__", str(t))
    if name in ("iadd", "imul"):
        name = name[1:]
    if name.endswith("_") and not name.startswith("_"):
        name = name[:-1]  # in place
    return METHOD_ALIASES.get(name, name)


def _label(node: fx.Node, modules: dict) -> str:
    """What a call was, for the report: ``Conv2d``, ``F.relu``, ``Tensor.view``."""
    if node.op == "call_module":
        return type(modules[node.target]).__name__
    if node.op == "call_method":
        return f"Tensor.{node.target}"
    t = node.target
    if isinstance(t, torch._ops.OpOverload):
        return f"aten.{t._overloadpacket.__name__}"
    mod = getattr(t, "__module__", "") or ""
    short = {"torch.nn.functional": "F", "torch._C._nn": "F", "_operator": "operator",
             "torch.functional": "torch"}.get(mod, mod.split(".")[0] or "torch")
    return f"{short}.{getattr(t, '__name__', t)}"


def _path(node: fx.Node) -> str:
    """The module path a call belongs to (innermost module of its stack)."""
    if node.op == "call_module":
        return str(node.target)
    stack = node.meta.get("nn_module_stack") or {}
    if not stack:
        return ""
    path = list(stack.values())[-1][0]
    return _clean_path(str(path))


def _clean_path(path: str) -> str:
    """``L['self'].layer1[0]`` (export's spelling) -> ``layer1.0``."""
    for a, b in (("L['self'].", ""), ("L['self']", ""), ("['", "."), ("']", ""), ("[", "."),
                 ("]", "")):
        path = path.replace(a, b)
    return path.strip(".")


def read_module(model: nn.Module, example: list, name: str = "") -> tuple[Net, str]:
    """The :class:`Net` of ``model`` traced on ``example`` (one tensor per input, batch
    :data:`BATCH`), and how it was traced (``"fx"`` or ``"export"``)."""
    gm, values, how = trace(model, example)
    net = Net(name or type(model).__name__)
    ctx = Ctx(net, values, dict(gm.named_modules()), gm)
    for node in gm.graph.nodes:
        _convert(ctx, node)
    net.prune()
    return net, how


def _convert(ctx: Ctx, node: fx.Node) -> None:
    value = ctx.values.get(node)
    if node.op == "placeholder":
        if not isinstance(value, torch.Tensor):
            return
        shape = tuple(value.shape[1:])
        params = {"channels": shape[0], "height": shape[-2], "width": shape[-1]}
        if len(shape) == 4:
            params["depth"] = shape[1]
        ctx.net.add(Op(node.name, "Input", params, [], shape, hint=str(node.target)))
        ctx.net.record(node.name, "input", "mapped", node.name)
        ctx.alias[node] = node.name
        return
    if node.op == "get_attr" or node.op == "call_module" and str(node.target).startswith(
            "_guards"):
        return  # parameters; torch.export's own guard checks
    if node.op == "output":
        flat = []
        _flatten_out(node.args[0], flat)
        ctx.net.outputs = [k for k in (ctx.key_of(a) for a in flat) if k is not None]
        return
    label = _label(node, ctx.modules)
    ctx.begin(node, label, _path(node))
    if node.op == "call_module":
        mod = ctx.modules[node.target]
        for cls, handler in MODULES:
            if (type(mod).__name__ == cls) if isinstance(cls, str) else isinstance(mod, cls):
                if _try(handler, ctx, mod, Args(ctx, node, None)):
                    return
                break
        if node not in ctx.alias:
            ctx.opaque_node(node, label, params=sum(p.numel() for p in mod.parameters()))
        return
    name = _canonical(node)
    if name in ("getattr", "size", "sym_size", "dim", "numel") or node.target in (
            operator.floordiv, operator.sub, operator.mul, operator.add) and \
            not isinstance(value, torch.Tensor):
        return  # shape arithmetic: no tensor
    handler = FUNCTIONS.get(name)
    if handler is not None and _try(handler, ctx, Args(ctx, node, name)):
        return
    if node in ctx.alias or node in ctx.tuples:
        return
    if isinstance(value, torch.Tensor) or isinstance(value, (tuple, list)) and any(
            isinstance(v, torch.Tensor) for v in value):
        ctx.opaque_node(node, label)


def _try(handler, *args) -> bool:
    """Whether the handler took the call (a handler that trips over an unusual call,
    one it was not written for, leaves it to Opaque)."""
    try:
        return handler(*args) is not False
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, RuntimeError):
        return False


def _flatten_out(arg, out: list) -> None:
    if isinstance(arg, (tuple, list)):
        for a in arg:
            _flatten_out(a, out)
    elif isinstance(arg, dict):
        for a in arg.values():
            _flatten_out(a, out)
    elif isinstance(arg, fx.Node):
        out.append(arg)
