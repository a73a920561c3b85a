"""Other names of the layer kinds: the words people search the palette with.

A kind's aliases (``"deconv"`` for a transposed convolution, ``"SE"`` for
squeeze-excitation, ``"DCN"`` for a deformable convolution) are facts about the
kind, kept here so that no other module names a layer type. Parameter sets get
their own names too: a dilation above 1 is an *atrous* conv, a 1×1 kernel a
*pointwise* one. :func:`search_words` gives both, for one preset.
"""

from __future__ import annotations

from typing import Any

__all__ = ["KIND_ALIASES", "kind_aliases", "param_aliases", "search_words", "normalise"]

_TRANSPOSED = ("deconv", "deconvolution", "fractionally strided", "upconv",
               "transpose conv", "up-convolution")

#: type -> other names of the kind (case does not matter)
KIND_ALIASES: dict[str, tuple[str, ...]] = {
    "Input": ("image", "tensor", "data"),
    "Conv2d": ("convolution", "conv", "filter", "kernel"),
    "Conv3d": ("volumetric", "video", "voxel"),
    "ConvTranspose2d": _TRANSPOSED,
    "ConvTranspose3d": _TRANSPOSED,
    "DepthwiseSeparableConv2d": ("depthwise", "separable", "mobilenet", "pointwise", "dw"),
    "SpatiallySeparableConv2d": ("separable", "factorised", "factorized", "asymmetric",
                                 "k×1", "1×k", "inception"),
    "DeformConv2d": ("DCN", "DCNv1", "DCNv2", "deformable", "offsets", "modulated"),
    "SqueezeExcitation": ("SE", "SENet", "squeeze and excitation", "channel attention",
                          "gating"),
    "ChannelShuffle": ("shufflenet", "shuffle"),
    "BatchNorm2d": ("BN", "batchnorm", "normalisation", "normalization"),
    "BatchNorm3d": ("BN", "batchnorm", "normalisation", "normalization"),
    "ReLU": ("rectifier", "activation"),
    "LeakyReLU": ("rectifier", "activation"),
    "ReLU6": ("rectifier", "activation", "mobilenet"),
    "Sigmoid": ("logistic", "activation", "gate"),
    "Tanh": ("activation",),
    "GELU": ("activation", "transformer"),
    "SiLU": ("swish", "activation"),
    "Hardswish": ("h-swish", "hard swish", "activation"),
    "Hardsigmoid": ("h-sigmoid", "hard sigmoid", "activation"),
    "Softmax": ("probabilities", "classifier"),
    "MaxPool2d": ("pooling", "downsample", "subsample"),
    "MaxPool3d": ("pooling", "downsample", "subsample"),
    "AvgPool2d": ("average", "mean", "pooling", "downsample"),
    "AvgPool3d": ("average", "mean", "pooling", "downsample"),
    "AdaptiveAvgPool2d": ("GAP", "global average pooling", "global pool"),
    "AdaptiveAvgPool3d": ("GAP", "global average pooling", "global pool"),
    "MaxUnpool2d": ("unpooling", "unpool", "segnet", "upsample"),
    "Upsample": ("resize", "interpolate", "upsampling", "nearest", "bilinear", "zoom"),
    "Pad2d": ("padding", "pad", "zero padding", "reflect"),
    "Crop2d": ("crop", "center crop", "trim", "u-net"),
    "Dropout": ("regularisation", "regularization"),
    "Flatten": ("reshape", "vector"),
    "Linear": ("fully connected", "FC", "dense", "classifier", "MLP"),
    "Add": ("sum", "residual", "skip", "shortcut", "plus"),
    "Multiply": ("product", "gate", "gating", "mul", "times"),
    "Concat": ("concatenate", "cat", "stack", "join", "u-net", "densenet"),
    "ChannelSlice": ("split", "chunk", "slice", "narrow"),
    "Opaque": ("custom", "imported", "unknown"),
}


def kind_aliases(type_name: str) -> tuple[str, ...]:
    """The other names of the kind ``type_name`` (``()`` for a kind without any)."""
    return KIND_ALIASES.get(type_name, ())


def _above_one(value: Any) -> bool:
    values = value if isinstance(value, (list, tuple)) else (value,)
    return any(isinstance(v, int) and v > 1 for v in values)


def _all_one(value: Any) -> bool:
    values = value if isinstance(value, (list, tuple)) else (value,)
    return bool(values) and all(v == 1 for v in values)


def param_aliases(params: dict[str, Any], depthwise: bool = False) -> tuple[str, ...]:
    """The names a parameter set of a conv goes by: *atrous* / *dilated* for a
    dilation above 1, *1×1* / *pointwise* for a 1×1 kernel, *grouped* for groups
    above 1, *depthwise* when ``depthwise`` (groups = channels)."""
    out: list[str] = []
    if _above_one(params.get("dilation", 1)):
        out += ["atrous", "à trous", "dilated", "hole"]
    if "kernel_size" in params and _all_one(params["kernel_size"]):
        out += ["1×1", "pointwise", "projection", "bottleneck", "network in network"]
    if depthwise:
        out += ["depthwise", "dw", "per channel"]
    elif _above_one(params.get("groups", 1)):
        out += ["grouped", "resnext", "cardinality"]
    return tuple(out)


def normalise(text: str) -> str:
    """``text`` as the palette compares it: lower case, ``×`` read as ``x``, a hyphen
    or underscore read as a space."""
    return (text.lower().replace("×", "x").replace("-", " ").replace("_", " ")
            .replace("à", "a"))


def search_words(type_name: str, params: dict[str, Any] | None = None,
                 depthwise: bool = False) -> tuple[str, ...]:
    """Every alias of a palette entry: its kind's, then its parameters' (normalised)."""
    words = (*kind_aliases(type_name), *param_aliases(params or {}, depthwise))
    return tuple(normalise(w) for w in words)
