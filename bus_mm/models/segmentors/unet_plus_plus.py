"""U-Net++ with deep supervision: TaiChiNet's curriculum teacher (Sec. IV-C).

U-Net++ (Zhou et al., DLMIA 2018) nests dense skip connections between the
encoder and decoder. With depth ``L = len(channels) - 1`` (4 by default) the
nodes are ``X[i][j]`` (``i`` = resolution level, ``j`` = position along the
skip path)::

    X[i][0] = conv_block(maxpool(X[i-1][0]))                (encoder)
    X[i][j] = conv_block(cat(X[i][0], ..., X[i][j-1], up(X[i+1][j-1])))

``conv_block`` is mmseg's UNet ``BasicConvBlock`` (two 3x3 conv-BN-ReLU) and
``up`` bilinear x2 interpolation, as in the original U-Net++. Deep supervision
puts a 1x1 conv 1-channel logit head on each of ``X[0][1..L]``: level ``k``
is the output of the depth-``k`` sub-U-Net, coarse at level 1, fine at level
4. Each level is trained with Dice + BCE and the levels are averaged
(``loss_level1`` ... ``loss_level4``, each weighted 1/L, so their sum is the
mean).

The paper mines the easy part ``E_p`` and the hard part ``H_p`` of each
lesion once per dataset from this teacher (Eqs. 23-24); see
:func:`curriculum_masks` and :meth:`UNetPlusPlus.predict_levels`.
"""
import copy
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
from torch import Tensor

from mmseg.models.backbones.unet import BasicConvBlock
from mmseg.models.segmentors import BaseSegmentor
from mmseg.models.utils import Upsample
from mmseg.registry import MODELS
from mmseg.utils import (ConfigType, OptConfigType, OptMultiConfig,
                         OptSampleList, SampleList)
from .binary_segmentor import BinarySegmentorMixin, stack_gt

ArrayLike = Union[np.ndarray, Tensor]


def curriculum_masks(level_probs: ArrayLike,
                     gt: ArrayLike,
                     thr: float = 0.5) -> Tuple[ArrayLike, ArrayLike]:
    """Easy and hard lesion parts from U-Net++ level outputs (Eqs. 23-24).

    ``E_p = (Output(1) > thr) AND GT`` and
    ``H_p = ((Output(4) > thr) AND GT) AND NOT E_p``: both lie inside the
    ground truth and are disjoint.

    Args:
        level_probs (np.ndarray | Tensor): Probabilities of the deep
            supervision levels, shape (..., L, H, W) with level 1 first and
            the last (finest, level 4 by default) last; e.g. the output of
            :meth:`UNetPlusPlus.predict_levels`, (B, 4, H, W).
        gt (np.ndarray | Tensor): Ground truth (..., H, W), lesion == 1
            (0/1; 255 and other values count as not-lesion).
        thr (float): Probability threshold. Defaults to 0.5.

    Returns:
        tuple: ``(easy, hard)``, uint8 0/1 arrays/tensors of ``gt``'s shape
        (same library as ``level_probs``).
    """
    if level_probs.shape[-2:] != gt.shape[-2:]:
        raise ValueError(f'curriculum_masks: level_probs {level_probs.shape} '
                         f'and gt {gt.shape} differ in H, W')
    if level_probs.ndim < 3 or level_probs.shape[-3] < 2:
        raise ValueError('curriculum_masks: level_probs must be (..., L, H, W)'
                         f' with L >= 2 levels, got {level_probs.shape}')
    lesion = gt == 1
    easy = (level_probs[..., 0, :, :] > thr) & lesion
    hard = (level_probs[..., -1, :, :] > thr) & lesion & ~easy
    if isinstance(easy, Tensor):
        return easy.to(torch.uint8), hard.to(torch.uint8)
    return easy.astype(np.uint8), hard.astype(np.uint8)


@MODELS.register_module()
class UNetPlusPlus(BinarySegmentorMixin, BaseSegmentor):
    """U-Net++ segmentor with deep supervision heads on levels 1-L.

    Args:
        in_channels (int): Input image channels. Defaults to 3.
        channels (Sequence[int]): Widths of the resolution levels. Defaults
            to (32, 64, 128, 256, 512).
        num_convs (int): Convs per node. Defaults to 2.
        conv_cfg (dict, optional): Conv config. Defaults to None.
        norm_cfg (dict, optional): Norm config. Defaults to BN.
        act_cfg (dict): Activation config. Defaults to ReLU.
        upsample_cfg (dict): ``Upsample`` arguments for the x2 up-sampling.
            Defaults to bilinear, ``align_corners=False``.
        loss_decode (dict): Loss of each level. Defaults to
            ``dict(type='DiceBCELoss')``.
        level_weights (Sequence[float], optional): Weight of each level's
            loss; ``None`` means ``1 / L`` each (the mean).
        train_cfg (dict, optional): Unused, kept for the mmseg interface.
        test_cfg (dict, optional): ``mode`` ('whole' | 'slide'),
            ``threshold`` (0.5) and ``level`` (1..L, the level ``predict``
            uses; default L).
        data_preprocessor (dict, optional): A ``SegDataPreProcessor`` config.
        init_cfg (dict or list[dict], optional): Initialization config;
            defaults to Kaiming convs and constant-1 norms as mmseg's UNet.
    """

    def __init__(self,
                 in_channels: int = 3,
                 channels: Sequence[int] = (32, 64, 128, 256, 512),
                 num_convs: int = 2,
                 conv_cfg: OptConfigType = None,
                 norm_cfg: OptConfigType = dict(type='BN', requires_grad=True),
                 act_cfg: ConfigType = dict(type='ReLU'),
                 upsample_cfg: ConfigType = dict(
                     scale_factor=2, mode='bilinear', align_corners=False),
                 loss_decode: ConfigType = dict(type='DiceBCELoss'),
                 level_weights: Optional[Sequence[float]] = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None):
        if init_cfg is None:
            init_cfg = [
                dict(type='Kaiming', layer='Conv2d'),
                dict(
                    type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])
            ]
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        channels = tuple(channels)
        if len(channels) < 2:
            raise ValueError('UNetPlusPlus: channels needs >= 2 levels, got '
                             f'{channels}')
        self.channels = channels
        self.depth = len(channels) - 1
        if level_weights is None:
            level_weights = [1.0 / self.depth] * self.depth
        if len(level_weights) != self.depth:
            raise ValueError(f'UNetPlusPlus: level_weights needs {self.depth} '
                             f'entries (one per level), got {level_weights}')
        self.level_weights = list(level_weights)

        def block(cin: int, cout: int) -> BasicConvBlock:
            return BasicConvBlock(
                cin,
                cout,
                num_convs=num_convs,
                conv_cfg=conv_cfg,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg)

        self.pool = nn.MaxPool2d(kernel_size=2)
        self.up = Upsample(**upsample_cfg)
        self.nodes = nn.ModuleDict()
        for i, c in enumerate(channels):
            self.nodes[f'x{i}_0'] = block(in_channels if i == 0 else
                                          channels[i - 1], c)
        for j in range(1, self.depth + 1):
            for i in range(0, self.depth + 1 - j):
                cin = channels[i] * j + channels[i + 1]
                self.nodes[f'x{i}_{j}'] = block(cin, channels[i])
        self.conv_seg = nn.ModuleList(
            nn.Conv2d(channels[0], 1, kernel_size=1)
            for _ in range(self.depth))
        self.loss_decode = MODELS.build(copy.deepcopy(loss_decode))

        self.size_divisor = 2**self.depth
        self.align_corners = False
        self.num_classes = 2
        self.out_channels = 1
        self.train_cfg = train_cfg
        self.test_cfg = self._build_test_cfg(
            test_cfg, mode='whole', threshold=0.5, level=self.depth)
        if not 1 <= int(self.test_cfg.level) <= self.depth:
            raise ValueError(f'UNetPlusPlus: test_cfg.level must be in 1..'
                             f'{self.depth}, got {self.test_cfg.level}')

    def extract_feat(self, inputs: Tensor) -> List[Tensor]:
        """Top-row nodes ``X[0][1..L]`` (inputs divisible by 2**L)."""
        x = {}
        for i in range(self.depth + 1):
            prev = inputs if i == 0 else self.pool(x[(i - 1, 0)])
            x[(i, 0)] = self.nodes[f'x{i}_0'](prev)
        for j in range(1, self.depth + 1):
            for i in range(0, self.depth + 1 - j):
                cat = [x[(i, k)] for k in range(j)]
                cat.append(self.up(x[(i + 1, j - 1)]))
                x[(i, j)] = self.nodes[f'x{i}_{j}'](torch.cat(cat, dim=1))
        return [x[(0, j)] for j in range(1, self.depth + 1)]

    def forward_levels(self, inputs: Tensor) -> Tensor:
        """Logits of every level, (B, L, H, W), at the input size."""
        x, h, w = self._pad_to_divisor(inputs)
        feats = self.extract_feat(x)
        logits = torch.cat([seg(f) for seg, f in zip(self.conv_seg, feats)],
                           dim=1)
        return logits[..., :h, :w]

    @torch.no_grad()
    def predict_levels(self, inputs: Tensor) -> Tensor:
        """Probabilities of every deep-supervision level (for the curriculum).

        Args:
            inputs (Tensor): Normalised images (B, C, H, W), any size.

        Returns:
            Tensor: (B, L, H, W) sigmoid probabilities, level 1 first.
        """
        return self.forward_levels(inputs).sigmoid()

    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Tensor:
        """Logit of level ``test_cfg.level``, (B, 1, H, W)."""
        level = int(self.test_cfg.level)
        return self.forward_levels(inputs)[:, level - 1:level]

    def _forward(self,
                 inputs: Tensor,
                 data_samples: OptSampleList = None) -> Tensor:
        """Network forward ('tensor' mode): logits of all levels."""
        return self.forward_levels(inputs)

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """Dice + BCE on each level: ``loss_level1`` ... ``loss_levelL``.

        Args:
            inputs (Tensor): Images (B, C, H, W).
            data_samples (list[:obj:`SegDataSample`]): With ``gt_sem_seg``.

        Returns:
            dict[str, Tensor]: One weighted loss per level.
        """
        logits = self.forward_levels(inputs)
        gt = stack_gt(data_samples, 'gt_sem_seg', tuple(logits.shape[-2:]))
        return {
            f'loss_level{k + 1}':
            self.level_weights[k] * self.loss_decode(logits[:, k:k + 1], gt)
            for k in range(self.depth)
        }
