"""Complementary head of TaiChiNet (Sec. III-C, Eqs. 10-12, Fig. 10).

The two decoders give 1-channel logits ``O'_n`` and ``O'_p``. Two small
per-pixel blocks refine them progressively, each reading the complement
``Psi(A) = 1 - A`` (Eq. 12) of the other path's *probability* and adding a
residual to its own logit. The default order of Fig. 10(c),
``O'_p -> O_n -> O_p``::

    O_n = O'_n + MLP_n(1 - sigmoid(O'_p))          (Eq. 10)
    O_p = O'_p + MLP_p(1 - sigmoid(O_n))           (Eq. 11)

An MLP here is a per-pixel perceptron: 1x1 convolutions that first widen
(1 -> ``hidden_channels``) and then narrow (-> 1), with an activation in
between, as the paper describes ("first raises its dimensionality and
subsequently decreases it by linear layers").

Table III variants (``variant``):

* ``'a'``: conv head -- the same widen/narrow blocks with 3x3 convolutions
  instead of 1x1, order ``O'_p -> O_n -> O_p``;
* ``'b'``: MLP head, order ``O'_n -> O_p -> O_n``::

      O_p = O'_p + MLP_p(1 - sigmoid(O'_n))
      O_n = O'_n + MLP_n(1 - sigmoid(O_p))

* ``'c'`` (default, TaiChiNet): MLP head, order ``O'_p -> O_n -> O_p``.

``block_type`` ('mlp' | 'conv') and ``order`` ('p_first' | 'n_first') can be
given instead of ``variant``. ``complement=False`` feeds ``sigmoid(.)`` of the
other path without the complement; TaiChiNet uses it for consistent mutual
learning (Table II), where both paths predict the lesion.
"""
from typing import Optional, Tuple

import torch.nn as nn
from mmcv.cnn import build_activation_layer
from mmengine.model import BaseModule
from torch import Tensor

from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptMultiConfig

HEAD_VARIANTS = {
    'a': dict(block_type='conv', order='p_first'),
    'b': dict(block_type='mlp', order='n_first'),
    'c': dict(block_type='mlp', order='p_first'),
}


def complement(prob: Tensor) -> Tensor:
    """The complement operation ``Psi(A) = 1 - A`` of Eq. (12)."""
    return 1 - prob


@MODELS.register_module()
class ComplementaryHead(BaseModule):
    """Progressive refinement of the two paths' logits (Eqs. 10-12).

    Args:
        variant (str, optional): Table III head: ``'a'`` (conv, O'_p first),
            ``'b'`` (MLP, O'_n first) or ``'c'`` (MLP, O'_p first, default).
            ``None`` requires ``block_type`` and ``order``.
        block_type (str, optional): ``'mlp'`` (1x1 convs) or ``'conv'``
            (3x3 convs); overrides the variant's choice.
        order (str, optional): ``'p_first'`` (``O'_p -> O_n -> O_p``) or
            ``'n_first'`` (``O'_n -> O_p -> O_n``); overrides the variant's
            choice.
        hidden_channels (int): Width of each block's hidden layer. Defaults
            to 16.
        act_cfg (dict): Activation between the widening and narrowing layers.
            Defaults to ``dict(type='GELU')``.
        complement (bool): Apply ``Psi(A) = 1 - A`` to the other path's
            probability (complementary mutual learning); ``False`` for
            consistent mutual learning. Defaults to True.
        init_cfg (dict or list[dict], optional): Initialization config.
    """

    def __init__(self,
                 variant: Optional[str] = 'c',
                 block_type: Optional[str] = None,
                 order: Optional[str] = None,
                 hidden_channels: int = 16,
                 act_cfg: ConfigType = dict(type='GELU'),
                 complement: bool = True,
                 init_cfg: OptMultiConfig = None):
        super().__init__(init_cfg=init_cfg)
        if variant is not None:
            if variant not in HEAD_VARIANTS:
                raise ValueError(
                    "ComplementaryHead: variant must be 'a', 'b', 'c' or None"
                    f' (Table III / Fig. 10), got {variant!r}')
            block_type = block_type or HEAD_VARIANTS[variant]['block_type']
            order = order or HEAD_VARIANTS[variant]['order']
        if block_type not in ('mlp', 'conv'):
            raise ValueError("ComplementaryHead: block_type must be 'mlp' or "
                             f"'conv', got {block_type!r}")
        if order not in ('p_first', 'n_first'):
            raise ValueError("ComplementaryHead: order must be 'p_first' or "
                             f"'n_first', got {order!r}")
        self.variant = variant
        self.block_type = block_type
        self.order = order
        self.complement = complement
        kernel = 1 if block_type == 'mlp' else 3

        def block() -> nn.Sequential:
            return nn.Sequential(
                nn.Conv2d(1, hidden_channels, kernel, padding=kernel // 2),
                build_activation_layer(act_cfg),
                nn.Conv2d(hidden_channels, 1, kernel, padding=kernel // 2))

        self.mlp_n = block()
        self.mlp_p = block()

    def _cue(self, logit: Tensor) -> Tensor:
        """What one path reads from the other: ``Psi(sigmoid(logit))``."""
        prob = logit.sigmoid()
        return complement(prob) if self.complement else prob

    def forward(self, logit_n: Tensor,
                logit_p: Tensor) -> Tuple[Tensor, Tensor]:
        """Refine the decoders' logits.

        Args:
            logit_n (Tensor): ``O'_n``, (B, 1, H, W) logits.
            logit_p (Tensor): ``O'_p``, (B, 1, H, W) logits.

        Returns:
            tuple[Tensor, Tensor]: Refined logits ``(O_n, O_p)``.
        """
        if self.order == 'p_first':
            out_n = logit_n + self.mlp_n(self._cue(logit_p))
            out_p = logit_p + self.mlp_p(self._cue(out_n))
        else:
            out_p = logit_p + self.mlp_p(self._cue(logit_n))
            out_n = logit_n + self.mlp_n(self._cue(out_p))
        return out_n, out_p
