"""Which operations of other tools each layer type stands for: the importer's tables.

:mod:`engine.interchange` reads PyTorch modules (``torch.fx``, ``torch.export``) and ONNX
files and asks here which type an operation becomes, so that no type name is spelled
outside the catalogue:

- :data:`NN_MODULES`: ``torch.nn`` (and :mod:`engine.nnlib`) module class name → type;
- :data:`FUNCTIONS`: functional, tensor-method or ATen name (as ``torch.fx`` sees the
  call's target) → type, for the element-wise ones that map one to one;
- :data:`ONNX_OPS`: ONNX ``op_type`` → type, for those that map one to one;
- :func:`ranked`: the 2D or 3D type of a family (``ranked("conv", 3)``);
- :data:`ROLE` (and :data:`T`, the same as attributes): the importer's vocabulary for
  the types its handlers and patterns emit under conditions they check (``Clip(0, 6)``
  is ``T.relu6``; the SE pattern folds into ``T.se``; what no type expresses is
  ``T.opaque``);
- :data:`NNLIB_STRUCTURE`: the submodules that mark an :mod:`engine.nnlib` module
  (code ``main.py export`` wrote), which the importer keeps as one node.

:func:`sources_of` gathers, for one type, everything that maps to it. Torch-free.
"""

from __future__ import annotations

from types import MappingProxyType, SimpleNamespace

__all__ = ["NN_MODULES", "FUNCTIONS", "ONNX_OPS", "ROLE", "T", "NNLIB_STRUCTURE", "ranked",
           "module_type", "sources_of"]

#: the importer's name for each type it emits (lower case, its own vocabulary)
ROLE = MappingProxyType({
    "relu": "ReLU", "relu6": "ReLU6", "sigmoid": "Sigmoid", "tanh": "Tanh", "silu": "SiLU",
    "hardswish": "Hardswish", "hardsigmoid": "Hardsigmoid", "leaky_relu": "LeakyReLU",
    "gelu": "GELU", "softmax": "Softmax", "concat": "Concat", "add": "Add",
    "multiply": "Multiply", "flatten": "Flatten", "linear": "Linear", "dropout": "Dropout",
    "channel_shuffle": "ChannelShuffle", "pad": "Pad2d", "crop": "Crop2d",
    "channel_slice": "ChannelSlice", "upsample": "Upsample", "conv2d": "Conv2d",
    "global_pool2d": "AdaptiveAvgPool2d", "se": "SqueezeExcitation",
    "depthwise_separable": "DepthwiseSeparableConv2d",
    "spatially_separable": "SpatiallySeparableConv2d", "deform_conv": "DeformConv2d",
    "opaque": "Opaque",
})
#: :data:`ROLE` as attributes: ``T.relu6``
T = SimpleNamespace(**ROLE)

_RANKED = MappingProxyType({
    "conv": {2: "Conv2d", 3: "Conv3d"},
    "conv_transpose": {2: "ConvTranspose2d", 3: "ConvTranspose3d"},
    "batch_norm": {2: "BatchNorm2d", 3: "BatchNorm3d"},
    "max_pool": {2: "MaxPool2d", 3: "MaxPool3d"},
    "avg_pool": {2: "AvgPool2d", 3: "AvgPool3d"},
    "adaptive_avg_pool": {2: "AdaptiveAvgPool2d", 3: "AdaptiveAvgPool3d"},
})


def ranked(family: str, dims: int) -> str | None:
    """The type of ``family`` (``conv``, ``conv_transpose``, ``batch_norm``,
    ``max_pool``, ``avg_pool``, ``adaptive_avg_pool``) over ``dims`` spatial axes;
    None when there is none (1D)."""
    return _RANKED[family].get(dims)


#: torch.nn / engine.nnlib module class name -> type (the handler checks the settings)
NN_MODULES = MappingProxyType({
    "Conv2d": "Conv2d", "Conv3d": "Conv3d", "ConvTranspose2d": "ConvTranspose2d",
    "ConvTranspose3d": "ConvTranspose3d", "BatchNorm2d": "BatchNorm2d",
    "BatchNorm3d": "BatchNorm3d", "Linear": "Linear", "ReLU": "ReLU", "ReLU6": "ReLU6",
    "Hardtanh": "ReLU6", "Sigmoid": "Sigmoid", "Tanh": "Tanh", "SiLU": "SiLU",
    "Hardswish": "Hardswish", "Hardsigmoid": "Hardsigmoid", "LeakyReLU": "LeakyReLU",
    "GELU": "GELU", "Softmax": "Softmax", "MaxPool2d": "MaxPool2d", "MaxPool3d": "MaxPool3d",
    "AvgPool2d": "AvgPool2d", "AvgPool3d": "AvgPool3d",
    "AdaptiveAvgPool2d": "AdaptiveAvgPool2d", "AdaptiveAvgPool3d": "AdaptiveAvgPool3d",
    "Upsample": "Upsample", "UpsamplingNearest2d": "Upsample",
    "UpsamplingBilinear2d": "Upsample", "ZeroPad2d": "Pad2d", "ConstantPad2d": "Pad2d",
    "ReflectionPad2d": "Pad2d", "ReplicationPad2d": "Pad2d", "CircularPad2d": "Pad2d",
    "Dropout": "Dropout", "Dropout2d": "Dropout", "Dropout3d": "Dropout",
    "Flatten": "Flatten", "ChannelShuffle": "ChannelShuffle",
    "SqueezeExcitation": "SqueezeExcitation",
    "DepthwiseSeparableConv2d": "DepthwiseSeparableConv2d",
    "SpatiallySeparableConv2d": "SpatiallySeparableConv2d", "DeformConv2d": "DeformConv2d",
    "Crop2d": "Crop2d", "ChannelSlice": "ChannelSlice",
})

#: element-wise functions (F.relu, torch.sigmoid, x.tanh(), aten.hardswish) -> type
FUNCTIONS = MappingProxyType({
    "relu": "ReLU", "relu6": "ReLU6", "sigmoid": "Sigmoid", "tanh": "Tanh", "silu": "SiLU",
    "hardswish": "Hardswish", "hardsigmoid": "Hardsigmoid",
})

#: ONNX op types that always become one type (the handler checks the attributes);
#: those whose type depends on them (Conv, Clip, MaxPool, Slice, ...) use ROLE / ranked
ONNX_OPS = MappingProxyType({
    "Relu": "ReLU", "Sigmoid": "Sigmoid", "Tanh": "Tanh", "HardSwish": "Hardswish",
    "HardSigmoid": "Hardsigmoid", "LeakyRelu": "LeakyReLU", "Gelu": "GELU",
    "Softmax": "Softmax", "Flatten": "Flatten", "Concat": "Concat", "Add": "Add",
    "Mul": "Multiply", "Dropout": "Dropout", "Gemm": "Linear", "MatMul": "Linear",
    "Pad": "Pad2d", "Resize": "Upsample", "DeformConv": "DeformConv2d",
})

#: engine.nnlib class (a type) -> the attributes its modules have (kept as one node)
NNLIB_STRUCTURE = MappingProxyType({
    "SqueezeExcitation": ("fc1", "fc2", "gate", "act"),
    "DepthwiseSeparableConv2d": ("depthwise", "pointwise"),
    "SpatiallySeparableConv2d": ("conv_h", "conv_w"),
    "DeformConv2d": ("offset_conv", "weight", "offset_groups", "modulated", "pre_pad"),
    "Crop2d": ("size", "offset"),
    "ChannelSlice": ("start", "stop"),
})


def module_type(module) -> str | None:
    """The type a module (or module class) maps to, by its class or the nearest base
    class named in :data:`NN_MODULES`; None when none is."""
    cls = module if isinstance(module, type) else type(module)
    for base in cls.__mro__:
        found = NN_MODULES.get(base.__name__)
        if found is not None:
            return found
    return None


def sources_of(type_name: str) -> dict[str, list[str]]:
    """Everything that maps to ``type_name``: ``modules``, ``functions``, ``onnx`` (the
    one-to-one tables) and ``roles`` (the importer's handlers and patterns)."""
    return {"modules": [k for k, v in NN_MODULES.items() if v == type_name],
            "functions": [k for k, v in FUNCTIONS.items() if v == type_name],
            "onnx": [k for k, v in ONNX_OPS.items() if v == type_name],
            "roles": [k for k, v in ROLE.items() if v == type_name]
            + [f for f, by in _RANKED.items() if type_name in by.values()]}
