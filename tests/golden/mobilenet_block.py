"""PyTorch model exported by ConvCanvas.

Class: ``MobileNetDepthwiseSeparableBlock`` (needs only torch).
Weights written by ``python main.py run GRAPH --save-weights W.pt`` load with
``model.load_state_dict(torch.load("W.pt", weights_only=True))``.
"""

import torch
from torch import nn


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


class MobileNetDepthwiseSeparableBlock(nn.Module):
    """ConvCanvas graph MobileNetDepthwiseSeparableBlock.

    Inputs (batch first):
        input: [N, 32, 56, 56]

    Outputs (a tuple in this order):
        pw_relu: [N, 64, 56, 56]
        sep_relu: [N, 64, 56, 56]
        std_relu: [N, 64, 56, 56]
    """

    def __init__(self):
        super().__init__()
        self.depthwise = nn.Conv2d(32, 32, 3, padding=1, groups=32)
        self.dw_bn = nn.BatchNorm2d(32)
        self.dw_relu = nn.ReLU()
        self.pointwise = nn.Conv2d(32, 64, 1)
        self.pw_bn = nn.BatchNorm2d(64)
        self.pw_relu = nn.ReLU()
        self.separable = DepthwiseSeparableConv2d(
            32, 64, 3, stride=1, padding=1, dilation=1, depth_multiplier=1, bias=True
        )
        self.sep_bn = nn.BatchNorm2d(64)
        self.sep_relu = nn.ReLU()
        self.standard = nn.Conv2d(32, 64, 3, padding=1)
        self.std_bn = nn.BatchNorm2d(64)
        self.std_relu = nn.ReLU()

    def forward(self, input: torch.Tensor) -> tuple[torch.Tensor, ...]:
        # each intermediate is deleted after its last use (frees its memory)
        depthwise = self.depthwise(input)  # [N, 32, 56, 56]
        dw_bn = self.dw_bn(depthwise)  # [N, 32, 56, 56]
        del depthwise
        dw_relu = self.dw_relu(dw_bn)  # [N, 32, 56, 56]
        del dw_bn
        pointwise = self.pointwise(dw_relu)  # [N, 64, 56, 56]
        del dw_relu
        pw_bn = self.pw_bn(pointwise)  # [N, 64, 56, 56]
        del pointwise
        pw_relu = self.pw_relu(pw_bn)  # [N, 64, 56, 56]
        del pw_bn
        separable = self.separable(input)  # [N, 64, 56, 56]
        sep_bn = self.sep_bn(separable)  # [N, 64, 56, 56]
        del separable
        sep_relu = self.sep_relu(sep_bn)  # [N, 64, 56, 56]
        del sep_bn
        standard = self.standard(input)  # [N, 64, 56, 56]
        std_bn = self.std_bn(standard)  # [N, 64, 56, 56]
        del standard
        std_relu = self.std_relu(std_bn)  # [N, 64, 56, 56]
        del std_bn
        return pw_relu, sep_relu, std_relu
