"""PyTorch model exported by ConvCanvas.

Class: ``MaxUnpoolingDecoder`` (needs only torch).
Weights written by ``python main.py run GRAPH --save-weights W.pt`` load with
``model.load_state_dict(torch.load("W.pt", weights_only=True))``.
"""

import torch
from torch import nn


class MaxUnpoolingDecoder(nn.Module):
    """ConvCanvas graph MaxUnpoolingDecoder.

    Inputs (batch first):
        input: [N, 1, 28, 28]

    Outputs:
        recon: [N, 1, 28, 28]
    """

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2, return_indices=True)
        self.conv2 = nn.Conv2d(16, 16, 3, padding=1)
        self.relu2 = nn.ReLU()
        self.unpool1 = nn.MaxUnpool2d(2)
        self.recon = nn.Conv2d(16, 1, 1)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        # each intermediate is deleted after its last use (frees its memory)
        conv1 = self.conv1(input)  # [N, 16, 28, 28]
        relu1 = self.relu1(conv1)  # [N, 16, 28, 28]
        del conv1
        pool1, pool1_indices = self.pool1(relu1)  # [N, 16, 14, 14] and indices
        del relu1
        conv2 = self.conv2(pool1)  # [N, 16, 14, 14]
        del pool1
        relu2 = self.relu2(conv2)  # [N, 16, 14, 14]
        del conv2
        unpool1 = self.unpool1(relu2, pool1_indices, output_size=[28, 28])  # [N, 16, 28, 28]
        del relu2, pool1_indices
        recon = self.recon(unpool1)  # [N, 1, 28, 28]
        del unpool1
        return recon
