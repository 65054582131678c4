"""Fully convolutional patch discriminator (Hung et al., BMVC 2018).

ASSGAN (Sec. 3.2.2) uses "the Markov Discriminator (PatchGAN) proposed in [6]"
where [6] is Hung et al.'s fully convolutional discriminator: a stack of 4x4
stride-2 convolutions with LeakyReLU(0.2) that maps a (lesion probability)
map to a map of patch logits, each judging whether its receptive field looks
like a ground-truth mask (real) or a generator output (fake).
"""
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor

from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptConfigType, OptMultiConfig


@MODELS.register_module()
class PatchDiscriminator(BaseModule):
    """Hung et al.'s fully convolutional patch discriminator.

    ``num_convs`` 4x4 convolutions with stride 2 and padding 1; the first
    ``num_convs - 1`` have ``base_channels * 2**i`` output channels followed
    by ``act_cfg`` (LeakyReLU, slope 0.2) and optional ``norm_cfg`` (none in
    Hung et al.); the last one (the classifier) has one output channel and
    no activation. With the defaults (``num_convs=5``, ``base_channels=64``)
    the channels are 64, 128, 256, 512, 1 and every conv halves the spatial
    size, so an ``H x W`` input gives an ``H/32 x W/32`` map of patch logits.

    Args:
        in_channels (int): Channels of the input map. 1 for a lesion
            probability map (ASSGAN's default). Defaults to 1.
        base_channels (int): Channels of the first conv. Defaults to 64.
        num_convs (int): Number of 4x4 stride-2 convs including the
            classifier. The input must be at least ``2**num_convs`` pixels on
            each side. Defaults to 5.
        norm_cfg (dict, optional): Norm layer after each hidden conv.
            Defaults to None (no normalisation, as in Hung et al.).
        act_cfg (dict): Activation after each hidden conv.
            Defaults to ``dict(type='LeakyReLU', negative_slope=0.2)``.
        init_cfg (dict or list[dict], optional): Initialisation config.
            Defaults to None (PyTorch's default init).
    """

    def __init__(self,
                 in_channels: int = 1,
                 base_channels: int = 64,
                 num_convs: int = 5,
                 norm_cfg: OptConfigType = None,
                 act_cfg: ConfigType = dict(
                     type='LeakyReLU', negative_slope=0.2),
                 init_cfg: OptMultiConfig = None):
        super().__init__(init_cfg=init_cfg)
        if in_channels < 1:
            raise ValueError('PatchDiscriminator: in_channels must be >= 1, '
                             f'got {in_channels}.')
        if base_channels < 1:
            raise ValueError('PatchDiscriminator: base_channels must be >= 1,'
                             f' got {base_channels}.')
        if num_convs < 1:
            raise ValueError('PatchDiscriminator: num_convs must be >= 1, '
                             f'got {num_convs}.')
        self.in_channels = in_channels
        self.base_channels = base_channels
        self.num_convs = num_convs

        layers = []
        channels = in_channels
        for i in range(num_convs - 1):
            out_channels = base_channels * 2**i
            layers.append(
                ConvModule(
                    channels,
                    out_channels,
                    kernel_size=4,
                    stride=2,
                    padding=1,
                    norm_cfg=norm_cfg,
                    act_cfg=act_cfg))
            channels = out_channels
        self.convs = nn.Sequential(*layers)
        self.classifier = nn.Conv2d(
            channels, 1, kernel_size=4, stride=2, padding=1)

    @property
    def min_input_size(self) -> int:
        """int: The smallest input side that gives a non-empty logit map."""
        return 2**self.num_convs

    def forward(self, x: Tensor) -> Tensor:
        """Judge every patch of ``x``.

        Args:
            x (Tensor): Maps of shape (N, in_channels, H, W), e.g. lesion
                probabilities in [0, 1] or ground-truth 0/1 masks.

        Returns:
            Tensor: Patch logits of shape (N, 1, H / 2**num_convs,
            W / 2**num_convs) (floored); ``sigmoid`` gives P(real).
        """
        if x.dim() != 4 or x.size(1) != self.in_channels:
            raise ValueError(
                'PatchDiscriminator expects input of shape (N, '
                f'{self.in_channels}, H, W), got {tuple(x.shape)}; set '
                '`in_channels` to the number of channels of the judged map.')
        if min(x.shape[-2:]) < self.min_input_size:
            raise ValueError(
                f'PatchDiscriminator input {tuple(x.shape[-2:])} is smaller '
                f'than {self.min_input_size} pixels on a side, which '
                f'{self.num_convs} stride-2 convs reduce to nothing; use '
                'larger crops or a smaller `num_convs`.')
        return self.classifier(self.convs(x))

