"""PyTorch model exported by ConvCanvas.

Class: ``ShuffleNetUnit`` (needs only torch).
Weights written by ``python main.py run GRAPH --save-weights W.pt`` load with
``model.load_state_dict(torch.load("W.pt", weights_only=True))``.
"""

import torch
from torch import nn


class ShuffleNetUnit(nn.Module):
    """ConvCanvas graph ShuffleNetUnit.

    Inputs (batch first):
        input: [N, 240, 28, 28]

    Outputs:
        out_relu: [N, 240, 28, 28]
    """

    def __init__(self):
        super().__init__()
        self.gconv1 = nn.Conv2d(240, 60, 1, groups=3)
        self.bn1 = nn.BatchNorm2d(60)
        self.relu1 = nn.ReLU()
        self.shuffle = nn.ChannelShuffle(3)
        self.dwconv = nn.Conv2d(60, 60, 3, padding=1, groups=60)
        self.bn2 = nn.BatchNorm2d(60)
        self.gconv2 = nn.Conv2d(60, 240, 1, groups=3)
        self.bn3 = nn.BatchNorm2d(240)
        self.out_relu = nn.ReLU()

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        # each intermediate is deleted after its last use (frees its memory)
        gconv1 = self.gconv1(input)  # [N, 60, 28, 28]
        bn1 = self.bn1(gconv1)  # [N, 60, 28, 28]
        del gconv1
        relu1 = self.relu1(bn1)  # [N, 60, 28, 28]
        del bn1
        shuffle = self.shuffle(relu1)  # [N, 60, 28, 28]
        del relu1
        dwconv = self.dwconv(shuffle)  # [N, 60, 28, 28]
        del shuffle
        bn2 = self.bn2(dwconv)  # [N, 60, 28, 28]
        del dwconv
        gconv2 = self.gconv2(bn2)  # [N, 240, 28, 28]
        del bn2
        bn3 = self.bn3(gconv2)  # [N, 240, 28, 28]
        del gconv2
        residual = bn3 + input  # [N, 240, 28, 28]
        del bn3
        out_relu = self.out_relu(residual)  # [N, 240, 28, 28]
        del residual
        return out_relu
