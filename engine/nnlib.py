"""The custom torch modules that the catalogue's ``Ctor.cls`` names.

Every class here is written so that the code exporter (:mod:`engine.export`)
can copy its source verbatim into a standalone model file: it uses only
``torch``, ``torch.nn as nn`` (``torch.nn.functional as F`` if needed), the top-level
helper :func:`_pair` of this module and ``deform_conv2d`` (whose definition
the exporter copies from :mod:`engine.deform`). The exporter finds these
dependencies by name, so a new helper only has to be a top-level function.

The learnable parameters of every module match the catalogue's
``cost().params`` exactly; ``tests/test_roundtrip.py`` checks it.

``Add``, ``Multiply`` and ``Concat`` are parameterless and only used by the
engine's model (the exporter writes merges inline), so that every node of a
graph maps to one submodule.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from engine.deform import deform_conv2d


def _pair(value):
    """Return ``value`` as a pair of ints.

    Parameters
    ----------
    value : int or sequence of int
        One int (used for both axes) or one value per axis.

    Returns
    -------
    tuple of int
        ``(vertical, horizontal)``.
    """
    if isinstance(value, int):
        return (value, value)
    pair = tuple(value)
    if len(pair) != 2:
        raise ValueError(f"expected an int or a pair of ints, got {value!r}")
    return pair


def _pads(padding, kernel_size, dilation):
    """Resolve ``padding`` as ``nn.Conv2d`` does, to ``(top, bottom, left, right)``.

    Parameters
    ----------
    padding : int, pair of int, "valid" or "same"
        ``"same"`` splits ``dilation * (kernel - 1)`` per axis with the extra
        pixel at the bottom/right, as PyTorch does.
    kernel_size, dilation : int or pair of int
        Of the convolution.

    Returns
    -------
    tuple of int
        Zeros to add on each side.
    """
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding == "same":
        (kh, kw), (dh, dw) = _pair(kernel_size), _pair(dilation)
        th, tw = dh * (kh - 1), dw * (kw - 1)
        return (th // 2, th - th // 2, tw // 2, tw - tw // 2)
    ph, pw = _pair(padding)
    return (ph, ph, pw, pw)


class DeformConv2d(nn.Module):
    """Deformable convolution (DCN v1, or v2 when ``modulated``).

    An ordinary convolution ``offset_conv`` (same kernel, stride, padding and
    dilation as the main one, with bias, zero-initialised) predicts for every
    output position and kernel tap a vertical and horizontal offset (and, when
    ``modulated``, a mask logit); the main kernel then samples the input
    bilinearly at the shifted positions (:func:`deform_conv2d`, torchvision's
    layout).  With zero offsets it equals ``nn.Conv2d``.

    Parameters
    ----------
    in_channels, out_channels : int
        Channels of the input and of the output.
    kernel_size : int or tuple of int
        ``k`` or ``(k_h, k_w)``.
    stride, padding, dilation : int or tuple of int, optional
        As for ``nn.Conv2d``; ``padding`` may also be ``"valid"`` or ``"same"``
        (stride 1; an even effective kernel pads one more at the bottom/right).
    groups : int, optional
        Weight groups of the main convolution.
    offset_groups : int, optional
        Channel groups that share one set of offsets.
    modulated : bool, optional
        Predict a sigmoid mask per sample as well (DCN v2).
    bias : bool, optional
        Whether the main convolution has a bias.

    Attributes
    ----------
    weight : nn.Parameter
        ``[out_channels, in_channels // groups, k_h, k_w]``.
    bias : nn.Parameter or None
        ``[out_channels]``.
    offset_conv : nn.Conv2d
        ``in_channels -> (3 if modulated else 2) * offset_groups * k_h * k_w``:
        the first ``2 * offset_groups * k_h * k_w`` output channels are the
        offsets (``dy, dx`` per tap), the rest the mask logits.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, offset_groups=1, modulated=False, bias=True):
        super().__init__()
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"in_channels {in_channels} and out_channels {out_channels} "
                             f"must be divisible by groups {groups}")
        if in_channels % offset_groups:
            raise ValueError(f"in_channels {in_channels} must be divisible by "
                             f"offset_groups {offset_groups}")
        self.kernel_size = _pair(kernel_size)
        self.stride = _pair(stride)
        self.dilation = _pair(dilation)
        top, bottom, left, right = _pads(padding, kernel_size, dilation)
        # symmetric padding goes to the convolutions; uneven "same" padding is
        # added to the input first (forward), as nn.Conv2d does
        self.padding = (top, left) if (top, left) == (bottom, right) else (0, 0)
        self.pre_pad = None if (top, left) == (bottom, right) else (left, right, top, bottom)
        self.groups = groups
        self.offset_groups = offset_groups
        self.modulated = modulated
        kh, kw = self.kernel_size
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels // groups, kh, kw))
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        taps = offset_groups * kh * kw
        self.offset_conv = nn.Conv2d(in_channels, (3 if modulated else 2) * taps,
                                     self.kernel_size, self.stride, self.padding,
                                     self.dilation, bias=True)
        self.reset_parameters()

    def reset_parameters(self):
        """Initialise like ``nn.Conv2d`` (Kaiming uniform); zero offsets (and masks)."""
        nn.init.kaiming_uniform_(self.weight, a=5 ** 0.5)
        if self.bias is not None:
            fan_in = self.weight[0].numel()
            bound = fan_in ** -0.5
            nn.init.uniform_(self.bias, -bound, bound)
        nn.init.zeros_(self.offset_conv.weight)
        nn.init.zeros_(self.offset_conv.bias)

    def forward(self, x):
        """Deformable convolution of ``x`` ``[N, C_in, H, W]``.

        Parameters
        ----------
        x : Tensor
            The input map.

        Returns
        -------
        Tensor
            ``[N, C_out, H_out, W_out]``.
        """
        if self.pre_pad is not None:
            x = F.pad(x, self.pre_pad)
        out = self.offset_conv(x)
        n_offsets = 2 * self.offset_groups * self.kernel_size[0] * self.kernel_size[1]
        offset = out[:, :n_offsets]
        mask = torch.sigmoid(out[:, n_offsets:]) if self.modulated else None
        return deform_conv2d(x, offset, self.weight, self.bias, stride=self.stride,
                             padding=self.padding, dilation=self.dilation, mask=mask)


class SqueezeExcitation(nn.Module):
    """Squeeze-and-Excitation channel weighting (Hu et al., 2018).

    Global average pool, 1x1 conv ``C -> max(1, C // reduction)`` with bias,
    ReLU, 1x1 conv back to ``C`` with bias, sigmoid; every channel of the
    input is scaled by its weight.

    Parameters
    ----------
    channels : int
        Channels ``C`` of the input (and output).
    reduction : int, optional
        Reduction ratio ``r``.

    Attributes
    ----------
    fc1, fc2 : nn.Conv2d
        The two 1x1 convolutions.
    act : nn.ReLU
        Between them.
    gate : nn.Sigmoid
        Its output ``[N, C, 1, 1]`` are the channel weights.
    """

    def __init__(self, channels, reduction=16):
        super().__init__()
        hidden = max(1, channels // reduction)
        self.fc1 = nn.Conv2d(channels, hidden, 1)
        self.act = nn.ReLU()
        self.fc2 = nn.Conv2d(hidden, channels, 1)
        self.gate = nn.Sigmoid()

    def forward(self, x):
        """Scale the channels of ``x`` ``[N, C, H, W]`` by their learned weights.

        Parameters
        ----------
        x : Tensor
            The input map.

        Returns
        -------
        Tensor
            Same shape as ``x``.
        """
        s = x.mean(dim=(2, 3), keepdim=True)
        return x * self.gate(self.fc2(self.act(self.fc1(s))))


class DepthwiseSeparableConv2d(nn.Module):
    """Depthwise k x k convolution followed by a pointwise 1 x 1 convolution.

    Parameters
    ----------
    in_channels, out_channels : int
        Channels of the input and of the output.
    kernel_size : int or tuple of int
        Kernel of the depthwise convolution.
    stride, padding, dilation : int or tuple of int, optional
        Of the depthwise convolution (``padding`` may be ``"valid"`` or ``"same"``).
    depth_multiplier : int, optional
        Depthwise filters per input channel (``in_channels * depth_multiplier``
        intermediate channels).
    bias : bool, optional
        Whether both convolutions have a bias.

    Attributes
    ----------
    depthwise : nn.Conv2d
        ``groups = in_channels``.
    pointwise : nn.Conv2d
        1 x 1, mixes the channels.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, depth_multiplier=1, bias=True):
        super().__init__()
        mid = in_channels * depth_multiplier
        self.depthwise = nn.Conv2d(in_channels, mid, kernel_size, stride, padding, dilation,
                                   groups=in_channels, bias=bias)
        self.pointwise = nn.Conv2d(mid, out_channels, 1, bias=bias)

    def forward(self, x):
        """Depthwise then pointwise convolution of ``x`` ``[N, C_in, H, W]``.

        Parameters
        ----------
        x : Tensor
            The input map.

        Returns
        -------
        Tensor
            ``[N, C_out, H_out, W_out]``.
        """
        return self.pointwise(self.depthwise(x))


class SpatiallySeparableConv2d(nn.Module):
    """A k_h x 1 convolution (in -> out) followed by a 1 x k_w convolution (out -> out).

    Stride, padding and dilation apply to the matching axis of each: the
    first convolution works along H only, the second along W only.

    Parameters
    ----------
    in_channels, out_channels : int
        Channels of the input and of the output.
    kernel_size : int or tuple of int
        ``k`` or ``(k_h, k_w)``.
    stride, padding, dilation : int or tuple of int, optional
        ``(vertical, horizontal)`` values; ``padding`` may also be ``"valid"``
        or ``"same"`` (as for ``nn.Conv2d``).
    bias : bool, optional
        Whether both convolutions have a bias.

    Attributes
    ----------
    conv_h : nn.Conv2d
        ``(k_h, 1)`` kernel.
    conv_w : nn.Conv2d
        ``(1, k_w)`` kernel.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, bias=True):
        super().__init__()
        kh, kw = _pair(kernel_size)
        sh, sw = _pair(stride)
        dh, dw = _pair(dilation)
        if isinstance(padding, str):  # "same" / "valid" mean the same for each part
            pad_h = pad_w = padding
        else:
            ph, pw = _pair(padding)
            pad_h, pad_w = (ph, 0), (0, pw)
        self.conv_h = nn.Conv2d(in_channels, out_channels, (kh, 1), (sh, 1), pad_h,
                                (dh, 1), bias=bias)
        self.conv_w = nn.Conv2d(out_channels, out_channels, (1, kw), (1, sw), pad_w,
                                (1, dw), bias=bias)

    def forward(self, x):
        """The two one-dimensional convolutions of ``x`` ``[N, C_in, H, W]``.

        Parameters
        ----------
        x : Tensor
            The input map.

        Returns
        -------
        Tensor
            ``[N, C_out, H_out, W_out]``.
        """
        return self.conv_w(self.conv_h(x))


class Crop2d(nn.Module):
    """Crop H and W to ``size``, or to the H and W of a reference tensor.

    Parameters
    ----------
    size : int or pair of int, optional
        ``(h, w)``; None: the size of the ``reference`` given to :meth:`forward`.
    offset : int or pair of int, optional
        ``(top, left)`` of the crop; None: centred, ``top = (H - h) // 2``.
    """

    def __init__(self, size=None, offset=None):
        super().__init__()
        self.size = None if size is None else _pair(size)
        self.offset = None if offset is None else _pair(offset)

    def forward(self, x, reference=None):
        """Crop ``x`` ``[N, C, H, W]``; only the last two sizes of ``reference`` are read.

        Parameters
        ----------
        x : Tensor
            The map to crop.
        reference : Tensor, optional
            Gives ``(h, w)`` when the module has no ``size``.

        Returns
        -------
        Tensor
            ``[N, C, h, w]``.
        """
        if self.size is not None:
            h, w = self.size
        elif reference is not None:
            h, w = reference.shape[-2:]
        else:
            raise ValueError("Crop2d has no size: pass a reference tensor")
        height, width = x.shape[-2:]
        if h > height or w > width:
            raise ValueError(f"cannot crop {height}x{width} to {h}x{w}")
        if self.offset is None:
            top, left = (height - h) // 2, (width - w) // 2
        else:
            top, left = self.offset
        return x[..., top:top + h, left:left + w]


class ChannelSlice(nn.Module):
    """Channels ``[start, stop)`` of a tensor ``[N, C, ...]`` (or features of ``[N, F]``).

    Parameters
    ----------
    start : int
        First channel kept.
    stop : int, optional
        Channel after the last one kept; None: to the end.
    """

    def __init__(self, start, stop=None):
        super().__init__()
        self.start = start
        self.stop = stop

    def forward(self, x):
        """Return ``x[:, start:stop]``.

        Parameters
        ----------
        x : Tensor
            At least two dimensions, the batch first.

        Returns
        -------
        Tensor
            The channels kept.
        """
        return x[:, self.start:self.stop]


class Add(nn.Module):
    """Element-wise sum of two or more tensors of equal shape, left to right."""

    def forward(self, *xs):
        """Return ``xs[0] + xs[1] + ...``.

        Parameters
        ----------
        *xs : Tensor
            Two or more tensors of equal shape.

        Returns
        -------
        Tensor
            Their sum.
        """
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


class Multiply(nn.Module):
    """Element-wise product of two or more tensors of equal shape, left to right."""

    def forward(self, *xs):
        """Return ``xs[0] * xs[1] * ...``.

        Parameters
        ----------
        *xs : Tensor
            Two or more tensors of equal shape.

        Returns
        -------
        Tensor
            Their product.
        """
        out = xs[0]
        for x in xs[1:]:
            out = out * x
        return out


class Concat(nn.Module):
    """Concatenation of two or more tensors along the channel axis (dim 1)."""

    def forward(self, *xs):
        """Return ``torch.cat(xs, dim=1)``.

        Parameters
        ----------
        *xs : Tensor
            Two or more tensors that agree in every dimension but 1.

        Returns
        -------
        Tensor
            The channels of all inputs, in order.
        """
        return torch.cat(xs, dim=1)


#: Every module class defined above, in order: the bare names a catalogue
#: ``Ctor.cls`` may use (computed, so that no list here repeats them).
__all__ = [name for name, value in list(globals().items())
           if isinstance(value, type) and issubclass(value, nn.Module)
           and value.__module__ == __name__]
