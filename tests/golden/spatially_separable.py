"""PyTorch model exported by ConvCanvas.

Class: ``SpatiallySeparableVsStandardConv`` (needs only torch).
Weights written by ``python main.py run GRAPH --save-weights W.pt`` load with
``model.load_state_dict(torch.load("W.pt", weights_only=True))``.
"""

import torch
from torch import nn


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


class SpatiallySeparableVsStandardConv(nn.Module):
    """ConvCanvas graph SpatiallySeparableVsStandardConv.

    Inputs (batch first):
        input: [N, 3, 32, 32]

    Outputs (a tuple in this order):
        separable_rgb: [N, 16, 30, 30]
        standard_rgb: [N, 16, 30, 30]
        separable_7: [N, 16, 32, 32]
        standard_7: [N, 16, 32, 32]
    """

    def __init__(self):
        super().__init__()
        self.separable_rgb = SpatiallySeparableConv2d(
            3, 16, 3, stride=1, padding=0, dilation=1, bias=True
        )
        self.standard_rgb = nn.Conv2d(3, 16, 3)
        self.stem = nn.Conv2d(3, 16, 3, padding=1)
        self.stem_relu = nn.ReLU()
        self.separable_7 = SpatiallySeparableConv2d(
            16, 16, 7, stride=1, padding=3, dilation=1, bias=True
        )
        self.standard_7 = nn.Conv2d(16, 16, 7, padding=3)

    def forward(self, input: torch.Tensor) -> tuple[torch.Tensor, ...]:
        # each intermediate is deleted after its last use (frees its memory)
        separable_rgb = self.separable_rgb(input)  # [N, 16, 30, 30]
        standard_rgb = self.standard_rgb(input)  # [N, 16, 30, 30]
        stem = self.stem(input)  # [N, 16, 32, 32]
        stem_relu = self.stem_relu(stem)  # [N, 16, 32, 32]
        del stem
        separable_7 = self.separable_7(stem_relu)  # [N, 16, 32, 32]
        standard_7 = self.standard_7(stem_relu)  # [N, 16, 32, 32]
        del stem_relu
        return separable_rgb, standard_rgb, separable_7, standard_7
