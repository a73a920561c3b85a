"""What the handlers of :mod:`.fx_ops` and :mod:`.fx_modules` work with (imports torch).

:class:`Ctx` holds the traced values and the :class:`~.ir.Net` being built and turns a
handler's answer into ops and report records; :class:`Args` reads a call's arguments
by name, whether the call is a Python function (names from :data:`SIGS`), a tensor
method (``self`` is ``input``) or an ATen operator (names from its schema).
"""

from __future__ import annotations

import math

import torch
import torch.fx as fx

from ..catalogue.interchange import T
from .ir import Net, Op
from .params import compact

__all__ = ["Ctx", "Args", "SIGS", "compact", "ndim_of"]


#: argument names of the Python calls the handlers read, in positional order
SIGS = {k: tuple(v.split()) for k, v in {
    "relu": "input", "relu6": "input", "sigmoid": "input", "tanh": "input", "silu": "input",
    "hardswish": "input", "hardsigmoid": "input", "hardtanh": "input min_val max_val",
    "clamp": "input min max", "leaky_relu": "input negative_slope",
    "gelu": "input approximate", "softmax": "input dim", "add": "input other alpha",
    "mul": "input other", "cat": "tensors dim", "flatten": "input start_dim end_dim",
    "transpose": "input dim0 dim1", "chunk": "input chunks dim", "split": "input split_size dim",
    "split_with_sizes": "input split_sizes dim", "mean": "input dim keepdim",
    "adaptive_avg_pool2d": "input output_size", "adaptive_avg_pool3d": "input output_size",
    "max_pool2d": "input kernel_size stride padding dilation ceil_mode return_indices",
    "max_pool2d_with_indices": "input kernel_size stride padding dilation ceil_mode",
    "avg_pool2d": "input kernel_size stride padding ceil_mode count_include_pad "
                  "divisor_override",
    "interpolate": "input size scale_factor mode align_corners recompute_scale_factor "
                   "antialias",
    "pad": "input pad mode value", "constant_pad_nd": "input pad value",
    "conv2d": "input weight bias stride padding dilation groups",
    "conv_transpose2d": "input weight bias stride padding output_padding groups dilation",
    "linear": "input weight bias",
    "batch_norm": "input running_mean running_var weight bias training momentum eps",
    "dropout": "input p training", "channel_shuffle": "input groups",
    "native_channel_shuffle": "input groups", "getitem": "input index",
    "slice": "input dim start end step",
}.items()}

#: methods whose trailing positional arguments are one shape
VARARGS = {"view": "shape", "reshape": "shape", "permute": "dims", "repeat": "sizes",
           "expand": "size"}
#: ATen argument names spelled otherwise by the Python calls
ATEN_NAMES = {"self": "input", "train": "training", "size": "shape"}


def ndim_of(value) -> int:
    return value.dim() if isinstance(value, torch.Tensor) else 0


class Args:
    """The arguments of one call, by name; values concrete (traced), tensors as op keys."""

    def __init__(self, ctx: Ctx, node: fx.Node, name: str | None):
        self.ctx, self.node = ctx, node
        args, kwargs = list(node.args), dict(node.kwargs)
        self.raw: dict = {}
        if name is None:  # a module call: positional tensors
            names = ("input", "other")
        elif isinstance(node.target, torch._ops.OpOverload):
            names = tuple(ATEN_NAMES.get(a.name, a.name) for a in node.target._schema.arguments)
            kwargs = {ATEN_NAMES.get(k, k): v for k, v in kwargs.items()}
        elif node.op == "call_method" and name in VARARGS:
            rest = args[1:]
            if len(rest) == 1 and isinstance(rest[0], (list, tuple)):
                rest = list(rest[0])
            args = [args[0], rest]
            names = ("input", VARARGS[name])
        else:
            names = SIGS.get(name, ("input",))
            if name == "split" and "split_size_or_sections" in kwargs:
                kwargs["split_size"] = kwargs.pop("split_size_or_sections")
            if name == "cat" and "tensors" not in kwargs and args and not isinstance(
                    args[0], (list, tuple)):
                pass
        for n, a in zip(names, args, strict=False):
            self.raw[n] = a
        self.raw.update(kwargs)
        if "input" not in self.raw and "tensor" in self.raw:
            self.raw["input"] = self.raw["tensor"]

    def has(self, name: str) -> bool:
        return name in self.raw

    def v(self, name: str, default=None):
        """The concrete value of argument ``name`` (traced values of nodes inside)."""
        if name not in self.raw:
            return default
        return self.ctx.value(self.raw[name])

    def t(self, name: str = "input") -> str | None:
        """The op key of the tensor argument ``name`` (None: not a traced tensor)."""
        return self.ctx.key_of(self.raw.get(name))

    def tv(self, name: str = "input"):
        """The traced tensor of argument ``name``."""
        return self.ctx.value(self.raw.get(name))


class Ctx:
    """The state of one read: traced values, aliases, tuples and the net being built."""

    def __init__(self, net: Net, values: dict, modules: dict, gm: fx.GraphModule):
        self.net, self.values, self.modules, self.gm = net, values, modules, gm
        self.alias: dict[fx.Node, str] = {}
        #: tuple-valued nodes: {index: key} or ("split", src key, [(start, stop)]) or
        #: ("opaque", label, input keys)
        self.tuples: dict[fx.Node, object] = {}
        self.node: fx.Node | None = None
        self.label = self.path = ""

    def begin(self, node: fx.Node, label: str, path: str) -> None:
        self.node, self.label, self.path = node, label, path

    # -- reading ------------------------------------------------------------------
    def value(self, arg):
        if isinstance(arg, fx.Node):
            if arg.op == "get_attr":
                return self.attr(arg)
            return self.values.get(arg)
        if isinstance(arg, (list, tuple)):
            return type(arg)(self.value(a) for a in arg)
        if isinstance(arg, slice):
            return slice(self.value(arg.start), self.value(arg.stop), self.value(arg.step))
        return arg

    def attr(self, node: fx.Node):
        obj = self.gm
        for part in str(node.target).split("."):
            obj = getattr(obj, part)
        return obj

    def key_of(self, arg) -> str | None:
        return self.alias.get(arg) if isinstance(arg, fx.Node) else None

    def out(self):
        return self.values.get(self.node)

    def out_shape(self) -> tuple[int, ...]:
        v = self.out()
        return tuple(v.shape[1:]) if isinstance(v, torch.Tensor) else ()

    def param_path(self, arg) -> str | None:
        """``layer1.0.conv1`` for a get_attr of ``layer1.0.conv1.weight``."""
        if isinstance(arg, fx.Node) and arg.op == "get_attr":
            return str(arg.target).rpartition(".")[0]
        return None

    # -- writing ------------------------------------------------------------------
    def emit(self, type_: str, params: dict, inputs: list[str], *, weights=None,
             key: str | None = None, shape=None, path: str | None = None, note: str = "",
             attrs=None, final: bool = True, param_count: int = 0) -> str:
        """Add an op for the current call; ``final`` ops stand for the call's value."""
        node = self.node
        key = key or node.name
        self.net.add(Op(key, type_, params, list(inputs),
                        tuple(shape) if shape is not None else self.out_shape(),
                        path=self.path if path is None else path, hint=node.name,
                        weights=dict(weights or {}), attrs=dict(attrs or {}),
                        param_count=param_count,
                        owned=node.op == "call_module" or path is not None))
        if final:
            self.alias[node] = key
            self.net.record(node.name, self.label, "opaque" if type_ == T.opaque else "mapped",
                            key, note)
        return key

    def same(self, arg, note: str = "identity") -> None:
        """The call returns (a view of) ``arg`` unchanged."""
        key = self.key_of(arg)
        if key is None:
            return
        self.alias[self.node] = key
        self.net.record(self.node.name, self.label, "folded", key, note)

    def opaque_node(self, node: fx.Node, label: str, params: int = 0,
                    inputs: list[str] | None = None, index: int | None = None) -> None:
        if inputs is None:
            inputs = []
            for a in nodes_in((node.args, node.kwargs)):
                k = self.key_of(a)
                if k is not None and k not in inputs:
                    inputs.append(k)
        value = self.values.get(node)
        if isinstance(value, (tuple, list)) and index is None:
            self.tuples[node] = ("opaque", label, inputs, params)
            self.net.record(node.name, label, "opaque", "", "returns several tensors")
            return
        shape = tuple(value.shape[1:]) if isinstance(value, torch.Tensor) else ()
        shape = tuple(max(1, int(s)) for s in shape) or (1,)
        what = label if index is None else f"{label}[{index}]"
        self.node = node
        self.emit(T.opaque, {"op": what[:200], "shape": list(shape), "params": int(params),
                             "macs": 0}, inputs, shape=shape, param_count=params)


def nodes_in(obj):
    if isinstance(obj, fx.Node):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for a in obj:
            yield from nodes_in(a)
    elif isinstance(obj, dict):
        for a in obj.values():
            yield from nodes_in(a)
    elif isinstance(obj, slice):
        yield from nodes_in((obj.start, obj.stop, obj.step))


def is_finite(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)
