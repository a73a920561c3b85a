"""PyTorch model exported by ConvCanvas.

Class: ``TransposedConvArithmetic`` (needs only torch).
Weights written by ``python main.py run GRAPH --save-weights W.pt`` load with
``model.load_state_dict(torch.load("W.pt", weights_only=True))``.
"""

import torch
from torch import nn


class TransposedConvArithmetic(nn.Module):
    """ConvCanvas graph TransposedConvArithmetic.

    Inputs (batch first):
        small: [N, 8, 3, 3]
        large: [N, 32, 128, 128]

    Outputs (a tuple in this order):
        tconv_5: [N, 4, 5, 5]
        tconv_6: [N, 4, 6, 6]
        tconv_target6: [N, 4, 6, 6]
        tconv_255: [N, 16, 255, 255]
        tconv_256: [N, 16, 256, 256]
    """

    def __init__(self):
        super().__init__()
        self.tconv_5 = nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1)
        self.tconv_6 = nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1)
        self.tconv_target6 = nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1)
        self.tconv_255 = nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1)
        self.tconv_256 = nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1)

    def forward(self, small: torch.Tensor, large: torch.Tensor) -> tuple[torch.Tensor, ...]:
        tconv_5 = self.tconv_5(small)  # [N, 4, 5, 5]
        tconv_6 = self.tconv_6(small)  # [N, 4, 6, 6]
        tconv_target6 = self.tconv_target6(small)  # [N, 4, 6, 6]
        tconv_255 = self.tconv_255(large)  # [N, 16, 255, 255]
        tconv_256 = self.tconv_256(large)  # [N, 16, 256, 256]
        return tconv_5, tconv_6, tconv_target6, tconv_255, tconv_256
