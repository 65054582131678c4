"""C2-attention: channel-to-spatial cross attention of TaiChiNet (Sec. III-B).

Between the bottlenecks ``F_n`` (negative / background path) and ``F_p``
(positive / lesion path), each of shape (B, C, H, W), flattened over
``N = H x W``:

* per path, 1x1 projections ``Q_x`` (C channels), ``K_x`` and ``V_x``
  (C/2 channels each, "reduced by half before the cross fusion");
* channel fusion: ``K = cat(K_n, K_p)`` and ``V = cat(V_n, V_p)`` along the
  channel axis (C channels each), Eqs. (6)-(7);
* channel affinity ``Chl_x = softmax(Q_x K^T)``: (B, C, N) x (B, N, C) ->
  (B, C, C), softmax over the last axis;
* spatial attention ``Att_x = Chl_x V`` (B, C, N) reshaped to (B, C, H, W),
  added to the input: ``F'_x = F_x + softmax(Q_x K^T) V``, Eqs. (8)-(9).

Parameter count (C = 512, 1x1 convs with bias): per path
``Q: 512*512 + 512``, ``K: 512*256 + 256``, ``V: 512*256 + 256`` =
525,312; both paths 1,050,624 = 1.05M, the difference between Table I's
18.33M and 17.28M rows.

The paper scales nothing inside the softmax; ``scale`` (default 1.0) lets a
user divide the affinity by e.g. ``sqrt(N)``.
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmseg.registry import MODELS
from mmseg.utils import OptMultiConfig


@MODELS.register_module()
class C2Attention(BaseModule):
    """Channel-to-spatial cross attention between two paths (Eqs. 6-9).

    Args:
        in_channels (int): Channels C of both bottlenecks. Defaults to 512.
        kv_channels (int, optional): Channels of each path's key and value;
            ``None`` means ``in_channels // 2`` (the paper). Defaults to None.
        bias (bool): Whether the 1x1 projections have a bias. Defaults to
            True.
        scale (float): Multiplier of ``Q_x K^T`` before the softmax; the paper
            uses none (1.0). Defaults to 1.0.
        init_cfg (dict or list[dict], optional): Initialization config.
    """

    def __init__(self,
                 in_channels: int = 512,
                 kv_channels: Optional[int] = None,
                 bias: bool = True,
                 scale: float = 1.0,
                 init_cfg: OptMultiConfig = None):
        super().__init__(init_cfg=init_cfg)
        if kv_channels is None:
            if in_channels % 2:
                raise ValueError('C2Attention: in_channels must be even when '
                                 'kv_channels is None (K, V take C/2 '
                                 f'channels per path), got {in_channels}')
            kv_channels = in_channels // 2
        self.in_channels = in_channels
        self.kv_channels = kv_channels
        self.scale = scale

        def proj(out_channels: int) -> nn.Conv2d:
            return nn.Conv2d(in_channels, out_channels, 1, bias=bias)

        # Q_x has C channels and cat(K_n, K_p), cat(V_n, V_p) have
        # 2 * kv_channels (= C in the paper): Q_x K^T is (B, C, 2 kv), and
        # softmax(Q_x K^T) V is (B, C, N) for any kv_channels.
        self.q_n, self.q_p = proj(in_channels), proj(in_channels)
        self.k_n, self.k_p = proj(kv_channels), proj(kv_channels)
        self.v_n, self.v_p = proj(kv_channels), proj(kv_channels)

    def attend(self, query: Tensor, key: Tensor, value: Tensor) -> Tensor:
        """Return ``softmax(Q K^T) V`` for flattened (B, *, N) tensors."""
        affinity = torch.bmm(query, key.transpose(1, 2)) * self.scale
        return torch.bmm(affinity.softmax(dim=-1), value)

    def forward(self, feat_n: Tensor, feat_p: Tensor) -> Tuple[Tensor, Tensor]:
        """Enhance both bottlenecks.

        Args:
            feat_n (Tensor): Negative-path feature ``F_n``, (B, C, H, W).
            feat_p (Tensor): Positive-path feature ``F_p``, (B, C, H, W).

        Returns:
            tuple[Tensor, Tensor]: ``(F'_n, F'_p)``, same shapes as inputs.
        """
        if feat_n.shape != feat_p.shape or feat_n.shape[1] != self.in_channels:
            raise ValueError(
                'C2Attention expects two features of equal shape with '
                f'{self.in_channels} channels, got {tuple(feat_n.shape)} and '
                f'{tuple(feat_p.shape)}')
        b, c, h, w = feat_p.shape
        key = torch.cat([self.k_n(feat_n), self.k_p(feat_p)], dim=1)
        value = torch.cat([self.v_n(feat_n), self.v_p(feat_p)], dim=1)
        key, value = key.flatten(2), value.flatten(2)
        att_n = self.attend(self.q_n(feat_n).flatten(2), key, value)
        att_p = self.attend(self.q_p(feat_p).flatten(2), key, value)
        return (feat_n + att_n.view(b, -1, h, w),
                feat_p + att_p.view(b, -1, h, w))
