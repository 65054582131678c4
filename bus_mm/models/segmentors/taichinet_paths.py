"""The two paths of TaiChiNet: one sub-U-Net each (Fig. 3).

Each path is mmseg's own :class:`mmseg.models.backbones.UNet` (its
``encoder``/``decoder`` ModuleLists, ``BasicConvBlock``, ``UpConvBlock``)
with ``base_channels=32, num_stages=5`` (32-64-128-256-512), two 3x3
conv-BN-ReLU per block, 2x2 max-pool, and an ``InterpConv`` up-sampler with a
**3x3** conv (``upsample_cfg=dict(type='InterpConv', kernel_size=3,
padding=1)``: bilinear x2 then 3x3 conv-BN-ReLU, the "up-sampling + conv" of
Fig. 3), followed by a 1x1 conv to a 1-channel logit. mmseg's ConvModule
drops the conv bias in front of BN. Counting (C_in*C_out*9 weights + 2*C BN
affine parameters):

* encoder, 5 blocks of two convs: 4,714,208
* decoder up-samplers 512->256, 256->128, 128->64, 64->32 (3x3 conv + BN):
  1,567,680
* decoder blocks (2*C -> C, C -> C): 2,352,000
* final 1x1 conv 32->1: 33

= **8,633,921 = 8.63M** per sub-U-Net (Table I: 8.64M, -0.07%); two paths
17,267,842 (17.28M, -0.07%); C2-attention adds 1,050,624 (per path 1x1 Q
512x512, K and V 512x256, with bias) = 18,318,466 (18.33M, -0.07%); the
default MLP head adds 98 parameters (Model 5's 17.28M = Model 3's). The
other readings are off by more: mmseg's default 1x1 ``InterpConv`` gives
7.24M, a 2x2 transposed conv 7.77M, ``DeconvModule`` (4x4) 9.86M. The same
reading with a (redundant) conv bias before BN, as in the common PyTorch
U-Net implementations, gives 8,637,345.
"""
import copy
from typing import List

import torch.nn as nn
from mmengine.registry import DefaultScope
from torch import Tensor

from mmseg.registry import MODELS
from mmseg.utils import ConfigType

__all__ = ['SUB_UNET', 'build_sub_unet', 'size_divisor', 'encode', 'decode']

SUB_UNET = dict(
    type='UNet',
    in_channels=3,
    base_channels=32,
    num_stages=5,
    strides=(1, 1, 1, 1, 1),
    enc_num_convs=(2, 2, 2, 2, 2),
    dec_num_convs=(2, 2, 2, 2),
    downsamples=(True, True, True, True),
    enc_dilations=(1, 1, 1, 1, 1),
    dec_dilations=(1, 1, 1, 1),
    norm_cfg=dict(type='BN', requires_grad=True),
    act_cfg=dict(type='ReLU'),
    upsample_cfg=dict(type='InterpConv', kernel_size=3, padding=1),
    norm_eval=False)
"""The sub-U-Net of Fig. 3 as an mmseg ``UNet`` config (8.63M with the
1-channel logit conv)."""


def build_sub_unet(cfg: ConfigType) -> nn.Module:
    """Build one path's sub-U-Net and check that its encoder and decoder are
    reachable (C2-attention needs the bottleneck).

    Args:
        cfg (dict): An mmseg ``UNet`` config (or any module with ``encoder``
            / ``decoder`` ModuleLists and ``base_channels``).

    Returns:
        nn.Module: The network.
    """
    # mmcv's build_upsample_layer looks 'InterpConv' up in the current
    # default scope; outside an mmseg runner (no scope yet) use mmseg's.
    scope = None if DefaultScope.get_current_instance() else 'mmseg'
    with DefaultScope.overwrite_default_scope(scope):
        net = MODELS.build(copy.deepcopy(cfg))
    if not all(
            isinstance(getattr(net, name, None), nn.ModuleList)
            for name in ('encoder', 'decoder')):
        raise TypeError(
            'TaiChiNet: backbone must build an mmseg UNet-like module '
            'with `encoder` and `decoder` ModuleLists (access to the '
            f'bottleneck is needed for C2-attention), got {cfg["type"]}')
    return net


def size_divisor(net: nn.Module) -> int:
    """The factor the input's height and width must divide by."""
    num_stages = len(net.encoder)
    strides = getattr(net, 'strides', (1, ) * num_stages)
    downsamples = getattr(net, 'downsamples', (True, ) * (num_stages - 1))
    rate = 1
    for i in range(1, num_stages):
        if strides[i] == 2 or downsamples[i - 1]:
            rate *= 2
    return rate


def encode(net: nn.Module, x: Tensor) -> List[Tensor]:
    """The outputs of every encoder stage; the last is the bottleneck."""
    outs = []
    for enc in net.encoder:
        x = enc(x)
        outs.append(x)
    return outs


def decode(net: nn.Module, enc_outs: List[Tensor]) -> Tensor:
    """The decoder's last feature map from the encoder outputs."""
    x = enc_outs[-1]
    for i in reversed(range(len(net.decoder))):
        x = net.decoder[i](enc_outs[i], x)
    return x
