"""The facts each catalogue kind declares (engine/catalogue/base.py), checked against an
independent truth: the torch module that the kind's ``ctor`` builds, run on a sample
input, and the rules of graph-format.md.

- ``id_stem``: generated ids are valid (``check_id``) and no two kinds' ids can meet;
- ``captures``: the named submodule exists and its output is what the role says
  (``se_weights``: C channel weights in (0, 1) that scale the input;
  ``offsets``: 2·G·kh·kw (+ G·kh·kw mask) channels in ``deform_conv2d``'s layout);
- ``makes_indices``: the module returns max-pooling indices when asked, and only then;
  a slot whose role is ``"indices"`` accepts exactly those kinds and rebuilds the map;
- ``ends_spatial``: the output leaves the input's grid, or one output element depends
  on the input pixel farthest from it (a global operation); otherwise neither.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402

from engine.catalogue import CATALOGUE, Inputs, LayerError  # noqa: E402
from engine.graph import check_id  # noqa: E402
from engine.runtime.build import ROLE_FIELDS, resolve_class  # noqa: E402

pytestmark = pytest.mark.torch

C = 16
#: candidate inputs, tried in order: a 2D map, a 3D volume, a feature vector
CANDIDATES = ((C, 10, 10), (C, 6, 10, 10), (40,))
KINDS = [k for k in CATALOGUE.values() if k.min_inputs > 0]
MAKERS = [k for k in CATALOGUE.values() if k.makes_indices]
INDEX_SLOTS = [(k, port) for k in CATALOGUE.values() for port in range(k.max_inputs)
               if k.slot_role(port) == "indices"]


def defaults(kind, **extra) -> dict:
    """The kind's normalised parameters: required ones at their defaults."""
    return kind.normalise({**{p.name: p.default for p in kind.params if p.required}, **extra})


def sample(kind, **extra):
    """``(params, Inputs, output shape)`` of ``kind`` on the first candidate it takes.

    A slot whose role is ``"indices"`` is fed by the output of a kind that makes them;
    a kind whose defaults need a second input (a reference) gets one.
    """
    p = defaults(kind, **extra)
    # the fewest inputs first; then one more (Crop2d's default size comes from slot 1)
    counts = dict.fromkeys([max(kind.min_inputs, 1), min(max(kind.min_inputs, 2),
                                                         kind.max_inputs)])
    for n, shape in ((n, shape) for n in counts for shape in CANDIDATES):
        shapes, types, src_in = [shape] * n, ["ReLU"] * n, [(shape,)] * n
        try:
            for port in range(n):
                if kind.slot_role(port) == "indices":
                    maker = MAKERS[0]
                    shapes = [maker.infer(defaults(maker), Inputs((shape,)))] * n
                    types[port] = maker.type
            ins = Inputs(tuple(shapes), tuple(types), tuple(src_in))
            return p, ins, kind.infer(p, ins)
        except LayerError:
            continue
    raise AssertionError(f"no sample input fits {kind.type}")


def module_of(kind, p, ins, out, feeds_unpool=False, seed=0):
    ctor = kind.ctor(p, ins, out, feeds_unpool=feeds_unpool)
    torch.manual_seed(seed)
    return resolve_class(ctor.cls)(*ctor.args, **dict(ctor.kwargs)).eval()


def source_shape(kind, ins) -> tuple:
    """The shape of the tensor ``x`` that :func:`inputs_for` takes: slot 0's, or
    where a slot reads pooling indices, the shape the maker pooled."""
    for port in range(len(ins.shapes)):
        if kind.slot_role(port) == "indices":
            return ins.src_in[port][0]
    return ins.x


def inputs_for(kind, ins, x: torch.Tensor) -> list:
    """The module's arguments: ``x`` on slot 0 (and plain slots); on an ``"indices"``
    slot, the pooling indices of ``x`` made by the first maker (slot 0 gets its values)."""
    args = [x] + [torch.rand_like(x) for _ in ins.shapes[1:]]
    for port in range(len(ins.shapes)):
        if kind.slot_role(port) == "indices":
            maker = MAKERS[0]
            mp = defaults(maker)
            mins = Inputs((tuple(x.shape[1:]),))
            pool = module_of(maker, mp, mins, maker.infer(mp, mins), feeds_unpool=True)
            values, indices = pool(x)
            args = [values] * len(ins.shapes)
            args[port] = indices
    return args


def run(kind, p, ins, out, x, seed=0):
    module = module_of(kind, p, ins, out, seed=seed)
    return module, module(*inputs_for(kind, ins, x), **kind.call_kwargs(p, ins, out))


# -- id stems ------------------------------------------------------------------------------
def test_id_stems_make_valid_ids_that_never_meet():
    stems = {k.type: k.stem() for k in CATALOGUE.values()}
    assert len(set(stems.values())) == len(stems), stems
    for t, stem in stems.items():
        assert stem and check_id(stem + "1") and check_id(stem + "12"), t
        assert not stem[-1].isdigit(), t  # "conv3" + "1" would read as "conv" + "31"
    for a in stems.values():
        for b in stems.values():
            rest = b[len(a):]
            assert a == b or not b.startswith(a) or not rest.isdigit(), (a, b)


def test_glyph_keys_and_slot_roles_are_well_formed():
    for k in CATALOGUE.values():
        assert isinstance(k.glyph_key(), str) and k.glyph_key(), k.type
        if k.slots is not None:
            assert len(k.slots) <= k.max_inputs, k.type
        assert k.slot_role(k.max_inputs) == "x" and k.slot_role(-1) == "x"


# -- captures ------------------------------------------------------------------------------
def check_se_weights(kind, p, ins, out, module, sub):
    x = torch.rand(2, *ins.x)
    got = {}

    def keep(_m, _a, o):
        got["w"] = o
    handle = sub.register_forward_hook(keep)
    y = module(x)
    handle.remove()
    w = got["w"]
    assert tuple(w.shape) == (2, ins.x[0], 1, 1)  # one weight per channel and sample
    assert torch.all((w > 0) & (w < 1))
    assert torch.allclose(y, x * w)  # the weights are what scales the input


def check_offsets(kind, p, ins, out, module, sub):
    kh, kw = p["kernel_size"]
    g = p["offset_groups"]
    x = torch.rand(1, *ins.x)
    o = sub(x if module.pre_pad is None else F.pad(x, module.pre_pad))
    taps = g * kh * kw
    assert tuple(o.shape) == (1, (3 if p["modulated"] else 2) * taps, *out[1:])
    conv = dict(stride=module.stride, padding=module.padding, dilation=module.dilation,
                groups=p["groups"])
    with torch.no_grad():
        # zero offsets: the regular grid (the offset conv is zero-initialised)
        plain = F.conv2d(x, module.weight, module.bias, **conv)
        if not p["modulated"]:
            assert torch.allclose(module(x), plain, atol=1e-5)
        # the captured output read as (dy, dx) pairs per tap: dx = 1 everywhere samples
        # one pixel to the right; a mask logit of 0 halves every tap
        sub.weight.zero_()
        sub.bias.zero_()
        sub.bias[1:2 * taps:2] = 1.0
        shifted = torch.zeros_like(x)
        shifted[..., :-1] = x[..., 1:]
        want = F.conv2d(shifted, module.weight, None, **conv)
        if p["modulated"]:
            want = want * 0.5
        want = want + module.bias.view(1, -1, 1, 1)
        assert torch.allclose(module(x)[..., 1:], want[..., 1:], atol=1e-5)


ROLE_TRUTH = {"se_weights": check_se_weights, "offsets": check_offsets}


def test_every_capture_role_has_a_trace_field_and_a_truth_here():
    roles = {r for k in CATALOGUE.values() for r, _ in k.captures}
    assert roles == set(ROLE_TRUTH) and roles <= set(ROLE_FIELDS)


@pytest.mark.parametrize("kind", [k for k in KINDS if k.captures], ids=lambda k: k.type)
@pytest.mark.parametrize("extra", [{}, {"modulated": True, "offset_groups": 2,
                                        "kernel_size": [3, 1]}], ids=["default", "variant"])
def test_captures_name_a_submodule_whose_output_is_the_role(kind, extra):
    extra = {k: v for k, v in extra.items() if any(p.name == k for p in kind.params)}
    p, ins, out = sample(kind, **extra)
    module = module_of(kind, p, ins, out)
    for role, name in kind.captures:
        assert kind.captured(role) == name
        ROLE_TRUTH[role](kind, p, ins, out, module, module.get_submodule(name))
    assert kind.captured("no such role") is None


# -- pooling indices -----------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.type)
def test_only_index_makers_return_indices(kind):
    p, ins, out = sample(kind)
    if kind.ctor(p, ins, out) is None:
        return
    x = torch.rand(1, *source_shape(kind, ins))
    module = module_of(kind, p, ins, out, feeds_unpool=True)
    y = module(*inputs_for(kind, ins, x), **kind.call_kwargs(p, ins, out))
    if not kind.makes_indices:
        assert isinstance(y, torch.Tensor)  # feeds_unpool is ignored
        return
    values, indices = y
    assert indices.dtype == torch.int64 and indices.shape == values.shape
    assert tuple(values.shape[1:]) == out
    flat = x.flatten(2)  # indices address each channel's flattened plane (torch's layout)
    assert torch.equal(flat.gather(2, indices.flatten(2)).view_as(values), values)
    plain = module_of(kind, p, ins, out)(x)
    assert isinstance(plain, torch.Tensor) and torch.equal(plain, values)


@pytest.mark.parametrize("kind,port", INDEX_SLOTS, ids=lambda v: getattr(v, "type", str(v)))
def test_an_indices_slot_takes_exactly_the_index_makers(kind, port):
    assert MAKERS
    p, ins, out = sample(kind)
    for other in CATALOGUE.values():
        types = list(ins.types)
        types[port] = other.type
        candidate = Inputs(ins.shapes, tuple(types), ins.src_in)
        if other.makes_indices:
            assert kind.infer(p, candidate) == out
        else:
            with pytest.raises(LayerError):
                kind.infer(p, candidate)
    # torch: the values go back where the maker found them, zeros elsewhere
    x = torch.rand(1, *source_shape(kind, ins))
    _module, y = run(kind, p, ins, out, x)
    assert tuple(y.shape[1:]) == out
    kept = y != 0
    assert torch.equal(y[kept], x[kept]) and 0 < int(kept.sum()) < x.numel()


# -- ends_spatial --------------------------------------------------------------------------
def depends_far(kind, p, ins, out, seeds=range(4)) -> tuple[bool, bool]:
    """(the output lost the input's grid, the output element farthest from the input's
    first pixel depends on that pixel for the weights of some seed: one seed may leave
    a ReLU dead)."""
    lost = global_ = False
    for seed in seeds:
        x = torch.rand(1, *source_shape(kind, ins), requires_grad=True)
        _module, y = run(kind, p, ins, out, x, seed)
        lost = y.dim() < x.dim()
        far = y[0].reshape(y.shape[1], -1)[:, -1].sum() if y.dim() > 2 else y[0, -1]
        (grad,) = torch.autograd.grad(far, x, allow_unused=True)
        near = (slice(None),) + (0,) * (x.dim() - 2) if x.dim() > 2 else (0,)
        global_ |= grad is not None and bool(grad[0][near].abs().sum() > 0)
    return lost, global_


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.type)
def test_ends_spatial_is_a_lost_grid_or_a_global_dependence(kind):
    p, ins, out = sample(kind)
    if kind.ctor(p, ins, out) is None:
        return
    lost, global_ = depends_far(kind, p, ins, out)
    assert kind.ends_spatial == (lost or global_), (kind.type, lost, global_)
    if kind.ends_spatial:  # graph-format.md: the receptive field becomes global
        ops = kind.rf_ops(p, ins, out)
        assert len(out) == 1 or all(axis and axis[-1] == ("global",) for axis in ops)
