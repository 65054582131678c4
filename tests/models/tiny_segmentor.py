"""A tiny binary segmentor for the semi-supervised segmentors' tests: two
stride-2 convs and FCN heads with 4 channels on 32x32 images (CPU seconds)."""
import torch.nn as nn
from mmengine.model import BaseModule

from mmseg.registry import MODELS

SIZE = 32


@MODELS.register_module(force=True)
class TinyTestBackbone(BaseModule):
    """Two stride-2 convs; returns both feature maps."""

    def __init__(self, in_channels=3, channels=8, init_cfg=None):
        super().__init__(init_cfg)
        self.conv1 = nn.Sequential(
            nn.Conv2d(in_channels, channels, 3, 2, 1), nn.ReLU())
        self.conv2 = nn.Sequential(
            nn.Conv2d(channels, channels, 3, 2, 1), nn.ReLU())

    def forward(self, x):
        a = self.conv1(x)
        return (a, self.conv2(a))


def head_cfg(out_channels=1, in_index=1, loss_weight=1.0, dropout=0.1):
    """An FCN head on the tiny backbone's ``in_index`` feature map."""
    return dict(
        type='FCNHead',
        in_channels=8,
        in_index=in_index,
        channels=4,
        num_convs=1,
        concat_input=False,
        dropout_ratio=dropout,
        num_classes=2,
        out_channels=out_channels,
        threshold=0.5 if out_channels == 1 else None,
        loss_decode=dict(
            type='CrossEntropyLoss',
            use_sigmoid=out_channels == 1,
            loss_weight=loss_weight))


def segmentor_cfg(out_channels=1, aux=False, dropout=0.1):
    """An EncoderDecoder on the tiny backbone (+ an auxiliary head)."""
    cfg = dict(
        type='EncoderDecoder',
        backbone=dict(type='TinyTestBackbone'),
        decode_head=head_cfg(out_channels, dropout=dropout))
    if aux:
        cfg['auxiliary_head'] = head_cfg(out_channels, 0, 0.4, dropout)
    return cfg
