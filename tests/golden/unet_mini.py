"""PyTorch model exported by ConvCanvas.

Class: ``MiniUNet`` (needs only torch).
Weights written by ``python main.py run GRAPH --save-weights W.pt`` load with
``model.load_state_dict(torch.load("W.pt", weights_only=True))``.
"""

import torch
from torch import nn


class MiniUNet(nn.Module):
    """ConvCanvas graph MiniUNet.

    Inputs (batch first):
        input: [N, 3, 64, 64]

    Outputs:
        seg_head: [N, 2, 64, 64]
    """

    def __init__(self):
        super().__init__()
        self.enc1_conv = nn.Conv2d(3, 16, 3, padding=1)
        self.enc1_bn = nn.BatchNorm2d(16)
        self.enc1_relu = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.enc2_conv = nn.Conv2d(16, 32, 3, padding=1)
        self.enc2_bn = nn.BatchNorm2d(32)
        self.enc2_relu = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.mid_conv = nn.Conv2d(32, 64, 3, padding=1)
        self.mid_bn = nn.BatchNorm2d(64)
        self.mid_relu = nn.ReLU()
        self.up2 = nn.ConvTranspose2d(64, 32, 2, stride=2)
        self.dec2_conv = nn.Conv2d(64, 32, 3, padding=1)
        self.dec2_bn = nn.BatchNorm2d(32)
        self.dec2_relu = nn.ReLU()
        self.up1 = nn.ConvTranspose2d(32, 16, 2, stride=2)
        self.dec1_conv = nn.Conv2d(32, 16, 3, padding=1)
        self.dec1_bn = nn.BatchNorm2d(16)
        self.dec1_relu = nn.ReLU()
        self.seg_head = nn.Conv2d(16, 2, 1)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        # each intermediate is deleted after its last use (frees its memory)
        enc1_conv = self.enc1_conv(input)  # [N, 16, 64, 64]
        enc1_bn = self.enc1_bn(enc1_conv)  # [N, 16, 64, 64]
        del enc1_conv
        enc1_relu = self.enc1_relu(enc1_bn)  # [N, 16, 64, 64]
        del enc1_bn
        pool1 = self.pool1(enc1_relu)  # [N, 16, 32, 32]
        enc2_conv = self.enc2_conv(pool1)  # [N, 32, 32, 32]
        del pool1
        enc2_bn = self.enc2_bn(enc2_conv)  # [N, 32, 32, 32]
        del enc2_conv
        enc2_relu = self.enc2_relu(enc2_bn)  # [N, 32, 32, 32]
        del enc2_bn
        pool2 = self.pool2(enc2_relu)  # [N, 32, 16, 16]
        mid_conv = self.mid_conv(pool2)  # [N, 64, 16, 16]
        del pool2
        mid_bn = self.mid_bn(mid_conv)  # [N, 64, 16, 16]
        del mid_conv
        mid_relu = self.mid_relu(mid_bn)  # [N, 64, 16, 16]
        del mid_bn
        up2 = self.up2(mid_relu)  # [N, 32, 32, 32]
        del mid_relu
        skip2 = torch.cat([up2, enc2_relu], dim=1)  # [N, 64, 32, 32]
        del up2, enc2_relu
        dec2_conv = self.dec2_conv(skip2)  # [N, 32, 32, 32]
        del skip2
        dec2_bn = self.dec2_bn(dec2_conv)  # [N, 32, 32, 32]
        del dec2_conv
        dec2_relu = self.dec2_relu(dec2_bn)  # [N, 32, 32, 32]
        del dec2_bn
        up1 = self.up1(dec2_relu)  # [N, 16, 64, 64]
        del dec2_relu
        skip1 = torch.cat([up1, enc1_relu], dim=1)  # [N, 32, 64, 64]
        del up1, enc1_relu
        dec1_conv = self.dec1_conv(skip1)  # [N, 16, 64, 64]
        del skip1
        dec1_bn = self.dec1_bn(dec1_conv)  # [N, 16, 64, 64]
        del dec1_conv
        dec1_relu = self.dec1_relu(dec1_bn)  # [N, 16, 64, 64]
        del dec1_bn
        seg_head = self.seg_head(dec1_relu)  # [N, 2, 64, 64]
        del dec1_relu
        return seg_head
