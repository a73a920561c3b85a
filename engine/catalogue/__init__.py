"""The layer catalogue: every layer kind ConvCanvas knows, in one registry.

``CATALOGUE[type]`` is the :class:`~engine.catalogue.base.LayerKind` of a type
spelled as in the graph file. ``FAMILIES`` orders the palette; ``PRESETS`` are
named parameter sets of existing kinds (dilated, 1×1, grouped, depthwise conv).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import conv, layers
from .base import Cost, Ctor, Inputs, LayerError, LayerKind, Shape, fmt_shape
from .schema import ParamError

__all__ = ["CATALOGUE", "FAMILIES", "PRESETS", "Preset", "kind_of", "Cost", "Ctor",
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

    def initial_params(self, in_channels: int | None = None) -> dict[str, Any]:
        """The preset's parameters for a new node; a depthwise preset takes ``groups``
        and ``out_channels`` from ``in_channels`` when it is known."""
        params = dict(self.params)
        if self.depthwise and in_channels:
            params["groups"] = params["out_channels"] = in_channels
        return params


def _defaults(kind: LayerKind) -> dict[str, Any]:
    """Initial parameters of a plain palette item: only the required ones."""
    return {p.name: p.default for p in kind.params if p.required}


PRESETS: tuple[Preset, ...] = (
    *(Preset(k.title, k.type, k.family, k.doc, _defaults(k)) for k in CATALOGUE.values()),
    Preset("Dilated conv", "Conv2d", "Convolution",
           "Atrous 3×3 conv with dilation 2: receptive field 5 with 9 weights.",
           {"out_channels": 32, "kernel_size": 3, "dilation": 2, "padding": 2}),
    Preset("1×1 conv", "Conv2d", "Convolution",
           "Pointwise conv: mixes channels at each pixel (bottlenecks, projections).",
           {"out_channels": 32, "kernel_size": 1}),
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
