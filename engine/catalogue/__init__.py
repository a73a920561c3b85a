"""The layer catalogue: every layer kind ConvCanvas knows, in one registry.

``CATALOGUE[type]`` is the :class:`~engine.catalogue.base.LayerKind` of a type
spelled as in the graph file. ``FAMILIES`` orders the palette; ``PRESETS`` are
named parameter sets of existing kinds (dilated, 1×1, grouped, depthwise conv): every
conv preset that slides a window keeps H×W at stride 1, and ``Preset.sets`` says
what each sets (the palette's tooltip).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import conv, layers
from .base import Cost, Ctor, Inputs, LayerError, LayerKind, Shape, fmt_shape
from .schema import ParamError

__all__ = ["CATALOGUE", "FAMILIES", "PRESETS", "Preset", "kind_of", "keeps_size", "Cost", "Ctor",
           "Inputs", "LayerError", "LayerKind", "ParamError", "Shape", "fmt_shape"]

CATALOGUE: dict[str, LayerKind] = {k.type: k for k in (*layers.KINDS, *conv.KINDS)}

FAMILIES: tuple[str, ...] = ("Input", "Convolution", "Separable", "Transposed", "Deformable",
                             "3D", "Attention", "Pooling", "Norm & activation", "Merge",
                             "Dense")


@dataclass(frozen=True)
class Preset:
    """A named parameter set of a kind, shown in the palette.

    ``params`` are the initial parameters; ``depthwise`` presets set
    ``groups`` and ``out_channels`` to the incoming channel count when known.
    """

    name: str
    type: str
    family: str
    doc: str
    params: dict[str, Any] = field(default_factory=dict)
    depthwise: bool = False

    @property
    def sets(self) -> str:
        """What the preset sets, for the palette's tooltip, e.g. ``out_channels 32 ·
        kernel_size 3 · padding 1 · dilation 2 · keeps H×W at stride 1``; the file
        format's defaults hold for everything else."""
        parts = [f"{k} {_text(v)}" for k, v in self.params.items()]
        if self.depthwise:
            parts.append("groups = out_channels = the input's channels")
        if keeps_size(self.type, self.params):
            parts.append("keeps H×W at stride 1")
        return " · ".join(parts) if parts else "the defaults of graph-format.md"

    def initial_params(self, in_channels: int | None = None) -> dict[str, Any]:
        """The preset's parameters for a new node; a depthwise preset takes ``groups``
        and ``out_channels`` from ``in_channels`` when it is known."""
        params = dict(self.params)
        if self.depthwise and in_channels:
            params["groups"] = params["out_channels"] = in_channels
        return params


def _text(v: Any) -> str:
    if isinstance(v, (tuple, list)):
        return "×".join(map(str, v))
    return str(v).lower() if isinstance(v, bool) else str(v)


def _sliding(kind: LayerKind) -> bool:
    """A conv that slides a window (not transposed): its presets keep H×W."""
    names = {p.name for p in kind.params}
    return ({"out_channels", "kernel_size", "stride", "padding", "dilation"} <= names
            and "output_padding" not in names)


def keeps_size(type_name: str, params: dict[str, Any]) -> bool:
    """Whether a sliding conv with these explicit ``params`` keeps H×W at stride 1
    (padding ``d(k−1)/2`` on each side)."""
    kind = CATALOGUE[type_name]
    if not _sliding(kind):
        return False
    p = kind.normalise(dict(params))
    if isinstance(p["padding"], str):
        return p["padding"] == "same"
    return all(d * (k - 1) == 2 * q for k, d, q in
               zip(p["kernel_size"], p["dilation"], p["padding"], strict=True))


def _defaults(kind: LayerKind) -> dict[str, Any]:
    """Initial parameters of a plain palette item: the required ones; a sliding conv
    also gets a 3×3 kernel and padding 1, so that every conv preset keeps H×W at
    stride 1 (written as a number, not "same", which a later stride edit would break)."""
    params = {p.name: p.default for p in kind.params if p.required}
    if _sliding(kind):
        params.update(kernel_size=3, padding=1)
    return params


#: Rule of the presets (shown by the palette's tooltip through :attr:`Preset.sets`):
#: every convolution preset that slides a window keeps H×W at stride 1, with its padding
#: written as a number ``d(k−1)/2``; other kinds start from the file format's defaults.
PRESETS: tuple[Preset, ...] = (
    *(Preset(k.title, k.type, k.family, k.doc, _defaults(k)) for k in CATALOGUE.values()),
    Preset("Dilated conv", "Conv2d", "Convolution",
           "Atrous 3×3 conv with dilation 2: receptive field 5 with 9 weights.",
           {"out_channels": 32, "kernel_size": 3, "padding": 2, "dilation": 2}),
    Preset("1×1 conv", "Conv2d", "Convolution",
           "Pointwise conv: mixes channels at each pixel (bottlenecks, projections).",
           {"out_channels": 32, "kernel_size": 1, "padding": 0}),
    Preset("Grouped conv", "Conv2d", "Convolution",
           "Conv with 4 channel groups: each filter sees 1/4 of the input channels.",
           {"out_channels": 32, "kernel_size": 3, "padding": 1, "groups": 4}),
    Preset("Depthwise conv", "Conv2d", "Convolution",
           "One 3×3 filter per channel (groups = in channels = out channels).",
           {"out_channels": 32, "kernel_size": 3, "padding": 1, "groups": 32},
           depthwise=True),
)


def kind_of(type_name: str) -> LayerKind:
    """The kind of ``type_name``; ``KeyError`` with a helpful message if unknown."""
    try:
        return CATALOGUE[type_name]
    except KeyError:
        raise KeyError(f"unknown layer type {type_name!r}") from None
