"""The layer-kind protocol and the arithmetic shared by all kinds.

A :class:`LayerKind` holds everything ConvCanvas knows about one layer type:
its parameter schema, shape rule, receptive-field rule (as per-axis
:data:`Op` tuples), parameter and MAC counts, a short summary for the canvas,
and how it is built in torch and written as code (:class:`Ctor` and
:meth:`LayerKind.call_code`). Nothing outside ``engine.catalogue`` knows
layer-specific facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from math import prod
from typing import Any, ClassVar, NamedTuple

from .memory import Memory
from .schema import Param, ParamError

Shape = tuple[int, ...]

#: Receptive-field operations along one spatial axis:
#: ``("conv", k, s, p_left, d, p_right)``, ``("tconv", k, s, p, d)``,
#: ``("up", num, den, mode)`` (scale num/den; a fifth item True: align_corners, output
#: ``r`` samples input ``r · den / num``), ``("global",)``.
Op = tuple

AXES = {2: ("H", "W"), 3: ("D", "H", "W")}


class LayerError(ParamError):
    """A parameter combination that cannot work with the incoming tensors."""


def fmt_shape(shape: Shape | None) -> str:
    """``(32, 62, 62)`` -> ``"32×62×62"``."""
    if shape is None:
        return "?"
    return "×".join(str(v) for v in shape)


def fmt_tuple(values) -> str:
    """``(3, 3)`` -> ``"3×3"``; equal entries stay explicit."""
    return "×".join(str(v) for v in values)


@dataclass(frozen=True)
class Inputs:
    """What arrives at a node: one entry per input slot.

    ``shapes[i]`` is the tensor shape on slot ``i``, ``types[i]`` the type of
    the node it comes from and ``src_in[i]`` the input shapes of that node
    (``MaxUnpool2d`` needs the size its ``MaxPool2d`` started from).
    """

    shapes: tuple[Shape, ...]
    types: tuple[str, ...] = ()
    src_in: tuple[tuple[Shape, ...], ...] = ()

    @property
    def x(self) -> Shape:
        """The shape on slot 0."""
        return self.shapes[0]


@dataclass(frozen=True)
class Ctor:
    """How to construct the torch module of a node.

    ``cls`` is ``"nn.<Name>"`` for a ``torch.nn`` class or the bare name of a
    class of :mod:`engine.nnlib`. The runtime calls it; the exporter writes the
    very same call, so the two cannot drift apart.
    """

    cls: str
    args: tuple = ()
    kwargs: tuple[tuple[str, Any], ...] = ()


class Cost(NamedTuple):
    """Learnable parameters and multiply-accumulates of one node (an immutable pair)."""

    params: int
    macs: int


def spatial(shape: Shape, dims: int, what: str) -> Shape:
    """Check that ``shape`` is ``[C, *spatial]`` with ``dims`` spatial axes."""
    if len(shape) != dims + 1:
        want = "C×H×W" if dims == 2 else "C×D×H×W"
        got = fmt_shape(shape)
        raise LayerError(None, f"{what} expects a {want} input, got {got}"
                         + (": add a 3D Input (depth) or use the 2D layer" if dims == 3
                            and len(shape) == 3 else "")
                         + (": use the 3D layer" if dims == 2 and len(shape) == 4 else ""))
    return shape[1:]


@lru_cache(maxsize=4096)
def resolve_padding(padding, kernel, stride, dilation, dims):
    """Return ``((left, right), ...)`` per axis for a ``padding`` value.

    ``"same"`` follows PyTorch: the total ``d·(k−1)`` is split with the extra
    pixel on the bottom/right; it needs stride 1. Arguments are normalised
    parameters (ints, tuples, strings); results are memoised.
    """
    if padding == "valid":
        return tuple((0, 0) for _ in range(dims))
    if padding == "same":
        if any(s != 1 for s in stride):
            raise LayerError("padding", 'padding "same" needs stride 1 '
                             f"(stride is {fmt_tuple(stride)})")
        out = []
        for k, d in zip(kernel, dilation, strict=True):
            total = d * (k - 1)
            out.append((total // 2, total - total // 2))
        return tuple(out)
    return tuple((p, p) for p in padding)


def conv_out(size: int, k: int, s: int, pads: tuple[int, int], d: int, axis: str,
             ceil: bool = False, what: str = "kernel") -> int:
    """Output length of a convolution/pooling window along one axis."""
    eff = d * (k - 1) + 1
    padded = size + pads[0] + pads[1]
    span = padded - eff
    if ceil:  # as PyTorch: the last window may overhang the padded input
        out = -(-span // s) + 1
        # the last window must start inside the input or the left padding
        if (out - 1) * s >= size + pads[0]:
            out -= 1
    else:
        out = span // s + 1
    if out < 1:
        name = f"dilated {what} {eff}" if d > 1 else f"{what} {k}"
        raise LayerError("kernel_size", f"{name} exceeds padded input {padded} along {axis}")
    return out


def tconv_out(size: int, k: int, s: int, p: int, d: int, op: int) -> int:
    """Output length of a transposed convolution along one axis."""
    return (size - 1) * s - 2 * p + d * (k - 1) + op + 1


_NORMALISED: dict = {}


class LayerKind:
    """Base class: one subclass instance per layer type in the catalogue."""

    type: ClassVar[str] = ""
    family: ClassVar[str] = ""
    title: ClassVar[str] = ""
    doc: ClassVar[str] = ""
    params: ClassVar[tuple[Param, ...]] = ()
    min_inputs: ClassVar[int] = 1
    max_inputs: ClassVar[int] = 1
    #: slot names shown on the canvas (None: numbered)
    slots: ClassVar[tuple[str, ...] | None] = None
    #: output channel c reads channel c of every input only (activations, norms, pools)
    channelwise: ClassVar[bool] = False

    # -- schema -----------------------------------------------------------
    def param(self, name: str) -> Param:
        """The declaration of parameter ``name``.

        Raises
        ------
        KeyError
            The kind has no such parameter.
        """
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def normalise(self, raw: dict[str, Any]) -> dict[str, Any]:
        """Validate ``raw`` and return every parameter, defaults filled in.

        Raises :class:`ParamError` for an unknown parameter, a wrong type or a
        value out of range on its own; limits between parameters are
        :meth:`check`'s, run by the analysis. Results are memoised (graphs
        repeat parameter sets); the returned dict must not be modified.
        """
        try:
            key = (self.type, repr(tuple(raw.items())))  # repr: 1, 1.0, True differ
            hit = _NORMALISED.get(key)
        except TypeError:  # unhashable values: validate without the memo
            key = hit = None
        if hit is not None:
            return hit
        out = self._normalise(raw)
        if key is not None:
            if len(_NORMALISED) > 8192:
                _NORMALISED.clear()
            _NORMALISED[key] = out
        return out

    def _normalise(self, raw: dict[str, Any]) -> dict[str, Any]:
        known = {p.name for p in self.params}
        for name in raw:
            if name not in known:
                hint = ("; it is inferred from the incoming edge" if name in
                        ("in_channels", "num_features", "in_features") else "")
                allowed = ", ".join(sorted(known)) or "none"
                raise ParamError(name, f"unknown parameter {name!r} for {self.type}"
                                 f"{hint} (allowed: {allowed})")
        out = {}
        for p in self.params:
            if p.name in raw:
                out[p.name] = p.validate(raw[p.name])
            elif p.required:
                raise ParamError(p.name, f"{p.name} is required for {self.type}")
            else:
                out[p.name] = p.default
        return out

    def check(self, p: dict[str, Any]) -> None:
        """Limits between parameters (raise :class:`LayerError`).

        Not part of :meth:`normalise`: a value that another parameter makes
        impossible is an analysis error at the node (graph-format.md), so a file
        holding one opens and the node shows the error until it is mended. The
        analysis calls this before :meth:`infer`.
        """

    # -- rules (override) -------------------------------------------------
    def infer(self, p: dict[str, Any], ins: Inputs) -> Shape:
        """Output shape; raise :class:`LayerError` when impossible."""
        return ins.x

    def cost(self, p: dict[str, Any], ins: Inputs, out: Shape) -> Cost:
        """Learnable parameters and MACs of one forward pass (bias excluded)."""
        return Cost(0, 0)

    def rf_ops(self, p: dict[str, Any], ins: Inputs, out: Shape) -> tuple[tuple[Op, ...], ...]:
        """Per spatial axis, the receptive-field operations (empty: identity)."""
        n = max(0, len(ins.x) - 1) if ins.shapes else 0
        return ((),) * n

    def channel_sources(self, p: dict[str, Any], ins: Inputs,
                        channel: int) -> tuple[tuple[int, int], ...] | None:
        """The ``(slot, channel)`` of the inputs that output ``channel`` reads.

        None: every channel of every input (a convolution mixes them). The exact
        footprint of one element follows these through the graph.
        """
        if not self.channelwise:
            return None
        return tuple((slot, min(channel, shape[0] - 1))  # a 1-channel input broadcasts
                     for slot, shape in enumerate(ins.shapes) if shape)

    def summary(self, p: dict[str, Any]) -> str:
        """Key parameters for the canvas, e.g. ``3×3 · d2 · s1``."""
        return ""

    def ctor(self, p: dict[str, Any], ins: Inputs, out: Shape, *,
             feeds_unpool: bool = False) -> Ctor | None:
        """Module construction; None for nodes without a module (Input)."""
        return None

    def call_code(self, attr: str, args: list[str], p: dict[str, Any], ins: Inputs,
                  out: Shape) -> str:
        """Python expression of the forward step in exported code."""
        return f"self.{attr}({', '.join(args)})"

    def memory(self, p: dict[str, Any], ins: Inputs, out: Shape) -> Memory:
        """Bytes per sample beyond the inputs and the output (:mod:`.memory`); none here."""
        return Memory()

    def call_kwargs(self, p: dict[str, Any], ins: Inputs, out: Shape) -> dict[str, Any]:
        """Extra keyword arguments of the module call at run time."""
        return {}

    #: whether the exported code builds a submodule for this kind
    has_module: ClassVar[bool] = True
    #: whether sampling positions are learned (the receptive field is nominal)
    deformable: ClassVar[bool] = False

    # -- facts other layers of the program ask for (never by type name) ------
    #: stem of generated ids (``conv`` gives conv1, conv2, ...); "" means the
    #: type in lower case (see :meth:`stem`)
    id_stem: ClassVar[str] = ""
    #: the output leaves the spatial grid (global pooling, flattening, SE's
    #: global gate): a path's receptive-field holes are warned just before it
    ends_spatial: ClassVar[bool] = False
    #: the module returns pooling indices that a consumer on an ``"indices"``
    #: slot reads (MaxPool2d feeding a MaxUnpool2d)
    makes_indices: ClassVar[bool] = False
    #: what the runtime captures from the built module: ``(role, submodule)``
    #: pairs; the role names the data (``"se_weights"``: the output of that
    #: submodule, per channel; ``"offsets"``: the output of the offset conv)
    captures: ClassVar[tuple[tuple[str, str], ...]] = ()
    #: glyph key the designer draws on the card and palette ("" : the family's)
    glyph: ClassVar[str] = ""
    #: slot roles whose tensor gives only its size (Crop2d's ``"reference"``): no value
    #: flows from it, so neither its receptive field nor its footprint reaches the output
    size_roles: ClassVar[tuple[str, ...]] = ()
    #: the receptive field is unknown here (an imported operation of unknown geometry):
    #: the node's ``rf`` and every ``rf`` downstream are null, with a warning
    rf_unknown: ClassVar[bool] = False

    def stem(self) -> str:
        """The stem of generated ids of this kind."""
        return self.id_stem or self.type.lower()

    def glyph_key(self) -> str:
        """The glyph key of this kind (its own, else its family's)."""
        return self.glyph or self.family

    def slot_role(self, port: int) -> str:
        """The role of input slot ``port`` (``slots`` names it; else ``"x"``)."""
        if self.slots is not None and 0 <= port < len(self.slots):
            return self.slots[port]
        return "x"

    def reads_values(self, port: int) -> bool:
        """Whether the values of the tensor on slot ``port`` reach the output (not only
        its size: see ``size_roles``)."""
        return self.slot_role(port) not in self.size_roles

    def refusal(self, p: dict[str, Any]) -> str | None:
        """Why a graph holding this node cannot be built, run or exported; None if it can.

        The runtime and the exporter refuse such a graph with this message after the
        node id.
        """
        return None

    def captured(self, role: str) -> str | None:
        """The submodule whose output the runtime captures for ``role``, or None."""
        return dict(self.captures).get(role)

    def linked_changes(self, name: str, value: Any,
                       explicit: dict[str, Any]) -> dict[str, Any]:
        """Other parameters an edit of ``name`` to ``value`` resets, as changes.

        ``explicit`` holds the node's explicit parameters. Default: none.
        """
        return {}


def numel(shape: Shape) -> int:
    """Number of elements of a tensor of ``shape`` (1 for ``()``)."""
    return prod(shape)


def kw(**items) -> tuple[tuple[str, Any], ...]:
    """Keyword arguments for a :class:`Ctor`, in the given order."""
    return tuple(items.items())
