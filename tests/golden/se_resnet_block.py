"""PyTorch model exported by ConvCanvas.

Class: ``SEResNetBlock`` (needs only torch).
Weights written by ``python main.py run GRAPH --save-weights W.pt`` load with
``model.load_state_dict(torch.load("W.pt", weights_only=True))``.
"""

import torch
from torch import nn


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


class SEResNetBlock(nn.Module):
    """ConvCanvas graph SEResNetBlock.

    Inputs (batch first):
        input: [N, 64, 56, 56]

    Outputs:
        out_relu: [N, 64, 56, 56]
    """

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(64, 64, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(64, 64, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.se = SqueezeExcitation(64, reduction=16)
        self.out_relu = nn.ReLU()

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        # each intermediate is deleted after its last use (frees its memory)
        conv1 = self.conv1(input)  # [N, 64, 56, 56]
        bn1 = self.bn1(conv1)  # [N, 64, 56, 56]
        del conv1
        relu1 = self.relu1(bn1)  # [N, 64, 56, 56]
        del bn1
        conv2 = self.conv2(relu1)  # [N, 64, 56, 56]
        del relu1
        bn2 = self.bn2(conv2)  # [N, 64, 56, 56]
        del conv2
        se = self.se(bn2)  # [N, 64, 56, 56]
        del bn2
        residual = se + input  # [N, 64, 56, 56]
        del se
        out_relu = self.out_relu(residual)  # [N, 64, 56, 56]
        del residual
        return out_relu
