"""engine.deform.deform_conv2d's argument checks, the self-containment the exporter
relies on, and nnlib.DeformConv2d's "same" padding."""

import ast
import math
import time
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

import engine.deform as deform
from engine.deform import deform_conv2d

from .deform_reference import make_args

DEFORM_SOURCE = Path(deform.__file__)

pytestmark = pytest.mark.usefixtures("torch_one_thread")

# --------------------------------------------------------------------------- validation


def _bad(**changes):
    args = make_args(n=1, c_in=4, c_out=4, h=5, w=5, mask=True)
    args.update(changes)
    return args


@pytest.mark.parametrize(
    "changes, match",
    [
        (dict(input=torch.zeros(4, 5, 5, dtype=torch.float64)), "input must be 4-D"),
        (dict(weight=torch.zeros(4, 4, 3, dtype=torch.float64)), "weight must be 4-D"),
        (dict(offset=torch.zeros(18, 5, 5, dtype=torch.float64)), "offset must be 4-D"),
        (dict(bias=torch.zeros(4, 1, dtype=torch.float64)), "bias must be 1-D"),
        (dict(bias=torch.zeros(5, dtype=torch.float64)), "bias has 5 elements"),
        (dict(weight=torch.zeros(4, 3, 3, 3, dtype=torch.float64)), "multiple of weight.shape"),
        (dict(weight=torch.zeros(3, 2, 3, 3, dtype=torch.float64)), "output channels"),
        (dict(offset=torch.zeros(1, 17, 5, 5, dtype=torch.float64)), "multiple of 2 \\* kh \\* kw"),
        (dict(offset=torch.zeros(1, 0, 5, 5, dtype=torch.float64)), "positive multiple"),
        (dict(offset=torch.zeros(1, 54, 5, 5, dtype=torch.float64), mask=None), "offset groups"),
        (dict(offset=torch.zeros(1, 18, 4, 5, dtype=torch.float64)), "offset must have shape"),
        (dict(offset=torch.zeros(2, 18, 5, 5, dtype=torch.float64)), "offset must have shape"),
        (dict(mask=torch.zeros(1, 18, 5, 5, dtype=torch.float64)), "mask must have shape"),
        (dict(mask=torch.zeros(1, 9, 5, 5)), "mask has dtype"),
        (dict(weight=torch.zeros(4, 4, 3, 3)), "weight has dtype"),
        (dict(input=torch.zeros(1, 4, 5, 5, dtype=torch.int64)), "floating-point"),
        (dict(stride=0), "stride must be >= 1"),
        (dict(stride=(1, 2, 3)), "stride must be an int or a pair"),
        (dict(stride=1.5), "stride must be an int or a pair"),
        (dict(stride=(1, True)), "stride must be an int or a pair"),
        (dict(padding="ab"), "padding must be an int or a pair"),
        (dict(padding=-1), "padding must be >= 0"),
        (dict(dilation=(1, 0)), "dilation must be >= 1"),
        (
            dict(padding=0, input=torch.zeros(1, 4, 2, 5, dtype=torch.float64)),
            "output would be empty",
        ),
        (
            dict(input=torch.zeros(1, 0, 5, 5, dtype=torch.float64)),
            "at least one channel",
        ),
    ],
)
def test_validation(changes, match):
    with pytest.raises(ValueError, match=match):
        deform_conv2d(**_bad(**changes))


def test_a_non_tensor_is_a_type_error():
    with pytest.raises(TypeError, match="offset must be a torch.Tensor, got list"):
        deform_conv2d(**_bad(offset=[0.0]))


# --------------------------------------------------------------------------- self-containment


def test_module_is_self_contained():
    """The exporter copies the function definitions of deform_mm.py, deform_sampling.py and
    deform.py verbatim: only math, time, torch and torch.nn.functional as F may be used
    (and deform.py's imports of the other two's _deform* functions), helpers are top-level
    _deform* functions."""
    functions, sources = [], []
    for path in (DEFORM_SOURCE.with_name("deform_mm.py"),
                 DEFORM_SOURCE.with_name("deform_sampling.py"), DEFORM_SOURCE):
        source = path.read_text()
        tree = ast.parse(source)
        for node in tree.body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert (alias.name, alias.asname) in {
                        ("math", None), ("time", None), ("torch", None),
                        ("torch.nn.functional", "F")
                    }, alias.name
            elif isinstance(node, ast.ImportFrom):
                assert node.module in ("__future__", "engine.deform_mm",
                                       "engine.deform_sampling"), node.module
                assert node.module == "__future__" or all(
                    a.name.startswith("_deform") for a in node.names)
            elif isinstance(node, ast.FunctionDef):
                assert node.name == "deform_conv2d" or node.name.startswith("_deform"), \
                    node.name
                functions.append(node)
                sources.append(source)
            elif isinstance(node, ast.Assign):
                assert [t.id for t in node.targets] == ["__all__"]
            else:
                assert isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    assert deform.__all__ == ["deform_conv2d"]

    # Simulate the exporter: the function sources alone, in a namespace with math, time,
    # torch and F.
    namespace = {"math": math, "time": time, "torch": torch, "F": F}
    exec("\n\n".join(ast.get_source_segment(s, f) for s, f in zip(sources, functions, strict=True)),
         namespace)
    args = make_args(mask=True, groups=2, offset_groups=2, c_out=4)
    torch.testing.assert_close(namespace["deform_conv2d"](**args), deform_conv2d(**args))


@pytest.mark.parametrize("kernel, dilation", [(2, 1), ((2, 3), 1), (4, (1, 2)), ((3, 2), (2, 3))])
def test_module_same_padding_even_kernel_equals_conv2d(kernel, dilation):
    """nnlib.DeformConv2d with padding "same" pads like nn.Conv2d (the extra pixel
    bottom/right when d·(k−1) is odd); with its zero-initialised offsets it is that conv."""
    from engine.nnlib import DeformConv2d

    torch.manual_seed(3)
    x = torch.randn(1, 4, 7, 8)
    mod = DeformConv2d(4, 6, kernel, padding="same", dilation=dilation, modulated=True)
    ref = torch.nn.Conv2d(4, 6, kernel, padding="same", dilation=dilation)
    ref.weight.data.copy_(mod.weight.data)
    ref.bias.data.copy_(mod.bias.data)
    with torch.no_grad():
        got = mod(x)
        want = ref(x)
    assert got.shape == want.shape == (1, 6, 7, 8)
    # the modulated mask is sigmoid(0) = 0.5 everywhere at initialisation
    torch.testing.assert_close(got - mod.bias.view(1, -1, 1, 1),
                               0.5 * (want - ref.bias.view(1, -1, 1, 1)), atol=1e-5, rtol=1e-5)
