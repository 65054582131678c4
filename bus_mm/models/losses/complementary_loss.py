"""Complementary loss L_C of TaiChiNet (Eqs. 18-19).

The negative (background) output ``O_n`` and the positive (lesion) output
``O_p`` should agree after the complement operation ``Psi(A) = 1 - A``
(Eq. 12)::

    L_C = 1/2 * MSE(O_n, 1 - O_p) + 1/2 * MSE(O_p, 1 - O_n)

with ``O_n, O_p`` in ``[0, 1]`` (probabilities: we apply the sigmoid to
logits). The paper sums over pixels; we average over (valid) pixels and over
the batch, so the term has the same scale as the BCE term (see
``dice_bce_loss.py``). Both halves are mathematically equal
(``(n - 1 + p) ** 2``); we keep the paper's symmetric form.

``mode='consistent'`` gives the consistency loss used for Table II's
consistent mutual learning (both paths learn the lesion)::

    L_cons = 1/2 * MSE(O_n, O_p) + 1/2 * MSE(O_p, O_n) = MSE(O_n, O_p)
"""
from typing import Optional

import torch.nn as nn
from torch import Tensor

from mmseg.registry import MODELS


@MODELS.register_module()
class ComplementaryLoss(nn.Module):
    """Complementary (or consistency) MSE between the two paths (Eq. 18).

    Args:
        mode (str): ``'complementary'`` (Eq. 18, TaiChiNet) or
            ``'consistent'`` (both paths predict the lesion, Table II).
            Defaults to 'complementary'.
        use_sigmoid (bool): ``True`` if the inputs are logits, ``False`` if
            they are probabilities. Defaults to True.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
        loss_name (str): Name of the loss item. Defaults to 'loss_comp'.
    """

    def __init__(self,
                 mode: str = 'complementary',
                 use_sigmoid: bool = True,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_comp'):
        super().__init__()
        if mode not in ('complementary', 'consistent'):
            raise ValueError("ComplementaryLoss: mode must be 'complementary' "
                             f"or 'consistent', got {mode!r}")
        self.mode = mode
        self.use_sigmoid = use_sigmoid
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self,
                pred_n: Tensor,
                pred_p: Tensor,
                valid_mask: Optional[Tensor] = None,
                **kwargs) -> Tensor:
        """Compute the loss.

        Args:
            pred_n (Tensor): Negative-path output ``O_n`` (logits or
                probabilities), any shape.
            pred_p (Tensor): Positive-path output ``O_p``, same shape.
            valid_mask (Tensor, optional): 0/1 (or bool) mask of the pixels
                that count, broadcastable to the inputs.

        Returns:
            Tensor: Scalar loss.
        """
        if pred_n.shape != pred_p.shape:
            raise ValueError(f'ComplementaryLoss: pred_n {tuple(pred_n.shape)}'
                             f' and pred_p {tuple(pred_p.shape)} differ')
        n = pred_n.sigmoid() if self.use_sigmoid else pred_n
        p = pred_p.sigmoid() if self.use_sigmoid else pred_p
        if self.mode == 'complementary':
            err = 0.5 * (n - (1 - p))**2 + 0.5 * (p - (1 - n))**2
        else:
            err = 0.5 * (n - p)**2 + 0.5 * (p - n)**2
        if valid_mask is None:
            loss = err.mean()
        else:
            valid = valid_mask.to(err.dtype).expand_as(err)
            loss = (err * valid).sum() / valid.sum().clamp(min=1)
        return self.loss_weight * loss

    @property
    def loss_name(self) -> str:
        """Name of the loss item (mmseg convention)."""
        return self._loss_name
