"""Dice + binary cross-entropy loss of TaiChiNet (Eqs. 14-17).

TaiChiNet (and the U-Net++ curriculum teacher) supervise every 1-channel output
with ``l_d + l_b``:

* Eq. (16), the V-Net style Dice loss with squared denominators, computed per
  image (the sums run over the pixels ``(i, j)`` of one image) and averaged
  over the batch::

      l_d = 1 - (2 * sum(y * y_hat) + s) / (sum(y ** 2) + sum(y_hat ** 2) + s)

  ``s`` (``smooth``, default 1.0) is added to numerator and denominator. The
  paper writes no smoothing term; we need one because curriculum targets
  (the easy part ``E_p`` / hard part ``H_p``) and lesion-free images can be
  empty. With ``s = 1`` an empty target gives
  ``l_d = S / (S + 1)`` where ``S = sum(y_hat ** 2)``: bounded in ``[0, 1)``,
  zero for an all-background prediction, with bounded gradients, i.e. it
  never explodes. A tiny ``s`` (1e-6) would instead make the loss jump to ~1
  as soon as any pixel is predicted positive on an empty target.
* Eq. (17), binary cross-entropy. The paper prints the second term as
  ``y_hat * log(y)`` (prediction and target swapped, a typo: ``log(y)`` of a
  0/1 target is undefined); we implement the standard
  ``-[y * log(y_hat) + (1 - y) * log(1 - y_hat)]``. The paper writes a sum
  over pixels; we take the mean over valid pixels (a sum would grow with the
  image size and swamp the Dice term, which lies in ``[0, 1]``).

Predictions may be logits (``use_sigmoid=True``, default; BCE is then computed
with ``binary_cross_entropy_with_logits`` for numerical stability) or
probabilities in ``[0, 1]`` (``use_sigmoid=False``). Target pixels equal to
``ignore_index`` (mmseg pads ground truth with 255) are excluded from both
terms.
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmseg.registry import MODELS


def _as_b1hw(x: Tensor, name: str) -> Tensor:
    """Bring a (B, H, W) or (B, 1, H, W) tensor to (B, 1, H, W)."""
    if x.dim() == 3:
        x = x.unsqueeze(1)
    if x.dim() != 4 or x.shape[1] != 1:
        raise ValueError(f'{name} must have shape (B, H, W) or (B, 1, H, W) '
                         f'(a 1-channel binary map), got {tuple(x.shape)}')
    return x


def dice_loss_eq16(prob: Tensor,
                   target: Tensor,
                   valid: Optional[Tensor] = None,
                   smooth: float = 1.0) -> Tensor:
    """Per-image Dice loss with squared denominators (Eq. 16).

    Args:
        prob (Tensor): Probabilities, shape (B, 1, H, W).
        target (Tensor): Float 0/1 targets, shape (B, 1, H, W).
        valid (Tensor, optional): Float 0/1 mask of pixels that count.
        smooth (float): Added to numerator and denominator. Defaults to 1.0.

    Returns:
        Tensor: Loss of each image, shape (B, ); 0 where the denominator
        is 0 (only possible with ``smooth=0``).
    """
    if valid is not None:
        prob = prob * valid
        target = target * valid
    inter = (prob * target).flatten(1).sum(1)
    denom = (target * target).flatten(1).sum(1) + \
        (prob * prob).flatten(1).sum(1)
    denom = denom + smooth
    # 0/0 (smooth=0, empty target and empty prediction or no valid pixel):
    # a perfect match, loss 0
    safe = torch.where(denom > 0, denom, torch.ones_like(denom))
    return torch.where(denom > 0, 1 - (2 * inter + smooth) / safe,
                       torch.zeros_like(denom))


def bce_loss_eq17(pred: Tensor,
                  target: Tensor,
                  valid: Optional[Tensor] = None,
                  use_sigmoid: bool = True,
                  eps: float = 1e-7) -> Tensor:
    """Per-image binary cross-entropy (Eq. 17, standard form), pixel mean.

    Args:
        pred (Tensor): Logits (``use_sigmoid=True``) or probabilities,
            shape (B, 1, H, W).
        target (Tensor): Float 0/1 targets, shape (B, 1, H, W).
        valid (Tensor, optional): Float 0/1 mask of pixels that count.
        use_sigmoid (bool): Whether ``pred`` holds logits.
        eps (float): Clamp for probabilities when ``use_sigmoid=False``.

    Returns:
        Tensor: Loss of each image, shape (B, ). An image without valid
        pixels contributes 0.
    """
    if use_sigmoid:
        loss = F.binary_cross_entropy_with_logits(
            pred, target, reduction='none')
    else:
        loss = F.binary_cross_entropy(
            pred.clamp(eps, 1 - eps), target, reduction='none')
    if valid is None:
        return loss.flatten(1).mean(1)
    num = valid.flatten(1).sum(1).clamp(min=1)
    return (loss * valid).flatten(1).sum(1) / num


@MODELS.register_module()
class DiceBCELoss(nn.Module):
    """Dice (Eq. 16, squared denominators) + BCE (Eq. 17) for 1-channel maps.

    ``loss = loss_weight * mean_over_batch(dice_weight * l_d + bce_weight *
    l_b)``, both terms computed per image (see the module docstring for the
    smoothing and BCE-reduction choices).

    Args:
        use_sigmoid (bool): ``True`` if predictions are logits, ``False`` if
            they are probabilities. Defaults to True.
        dice_weight (float): Weight of the Dice term. Defaults to 1.0.
        bce_weight (float): Weight of the BCE term. Defaults to 1.0.
        smooth (float): Dice smoothing added to numerator and denominator;
            keeps the loss bounded for empty targets. Defaults to 1.0.
        ignore_index (int): Target value excluded from the loss. Defaults
            to 255.
        loss_weight (float): Multiplier of the whole loss. Defaults to 1.0.
        loss_name (str): Name of the loss item; must start with ``loss_`` to
            be back-propagated by mmengine. Defaults to 'loss_dice_bce'.
    """

    def __init__(self,
                 use_sigmoid: bool = True,
                 dice_weight: float = 1.0,
                 bce_weight: float = 1.0,
                 smooth: float = 1.0,
                 ignore_index: int = 255,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_dice_bce'):
        super().__init__()
        if smooth < 0:
            raise ValueError(f'DiceBCELoss: smooth must be >= 0, got {smooth}')
        self.use_sigmoid = use_sigmoid
        self.dice_weight = dice_weight
        self.bce_weight = bce_weight
        self.smooth = smooth
        self.ignore_index = ignore_index
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self,
                pred: Tensor,
                target: Tensor,
                valid_mask: Optional[Tensor] = None,
                **kwargs) -> Tensor:
        """Compute the loss.

        Args:
            pred (Tensor): Logits or probabilities, (B, H, W) or
                (B, 1, H, W).
            target (Tensor): 0/1 targets (any dtype), pixels equal to
                ``ignore_index`` are ignored; same spatial size as ``pred``.
            valid_mask (Tensor, optional): Extra 0/1 (or bool) mask of pixels
                that count, combined with the ``ignore_index`` mask.

        Returns:
            Tensor: Scalar loss.
        """
        pred = _as_b1hw(pred, 'DiceBCELoss pred')
        target = _as_b1hw(target, 'DiceBCELoss target')
        if pred.shape != target.shape:
            raise ValueError(f'DiceBCELoss: pred {tuple(pred.shape)} and '
                             f'target {tuple(target.shape)} differ in shape')
        valid = (target != self.ignore_index)
        if valid_mask is not None:
            valid = valid & _as_b1hw(valid_mask, 'valid_mask').bool()
        valid = valid.to(pred.dtype)
        target = torch.where(valid.bool(), target.to(pred.dtype),
                             torch.zeros_like(pred))
        prob = pred.sigmoid() if self.use_sigmoid else pred
        loss = pred.new_zeros(pred.shape[0])
        if self.dice_weight:
            loss = loss + self.dice_weight * dice_loss_eq16(
                prob, target, valid, self.smooth)
        if self.bce_weight:
            loss = loss + self.bce_weight * bce_loss_eq17(
                pred, target, valid, self.use_sigmoid)
        return self.loss_weight * loss.mean()

    @property
    def loss_name(self) -> str:
        """Name of the loss item (mmseg convention)."""
        return self._loss_name
