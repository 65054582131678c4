"""Every loss of ASSGAN, built in one place.

* :func:`supervised_losses`: each generator's own decode (+ auxiliary) head
  losses on the labeled images (Eq. 1), from logits computed once;
* :func:`adversarial_loss`: L_adv, "fool D" (Eq. 2);
* :func:`discriminator_loss`: D's real/fake loss (Eq. 3);
* :func:`semi_loss`: L_semi, a generator's head loss on the pseudo-labels of
  the other generator (Eq. 4), weighted per image by the trust gate.
"""
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.structures import PixelData
from torch import Tensor

from mmseg.structures import SegDataSample
from mmseg.utils import SampleList, add_prefix


def sum_losses(losses: Dict[str, Union[Tensor, List[Tensor]]]) -> Tensor:
    """Sum the entries whose key contains ``loss`` (mmengine's rule)."""
    total = 0.
    for key, value in losses.items():
        if 'loss' not in key:
            continue
        if isinstance(value, Tensor):
            total = total + value.mean()
        else:
            total = total + sum(v.mean() for v in value)
    return total


def pseudo_samples(samples: SampleList, labels: Tensor) -> SampleList:
    """SegDataSamples carrying ``labels`` as ``gt_sem_seg``."""
    out = []
    for sample, label in zip(samples, labels):
        pseudo = SegDataSample(metainfo=sample.metainfo)
        pseudo.gt_sem_seg = PixelData(data=label)
        out.append(pseudo)
    return out


def supervised_losses(gen: nn.Module, logits: Tensor,
                      aux_logits: Optional[list],
                      data_samples: SampleList) -> dict:
    """Decode (+ auxiliary) head losses of ``gen`` from logits computed
    once, named as ``EncoderDecoder.loss`` names them."""
    losses = add_prefix(
        gen.decode_head.loss_by_feat(logits, data_samples), 'decode')
    if gen.with_auxiliary_head and aux_logits is not None:
        heads = gen.auxiliary_head
        if isinstance(heads, nn.ModuleList):
            for idx, (head, aux) in enumerate(zip(heads, aux_logits)):
                losses.update(
                    add_prefix(
                        head.loss_by_feat(aux, data_samples), f'aux_{idx}'))
        else:
            losses.update(
                add_prefix(
                    heads.loss_by_feat(aux_logits[0], data_samples), 'aux'))
    return losses


def adversarial_loss(d_logits: Tensor, weight: float) -> Tensor:
    """L_adv: ``weight * BCE(D(G(x)), real)``."""
    return weight * F.binary_cross_entropy_with_logits(
        d_logits, torch.ones_like(d_logits))


def discriminator_loss(d_real: Tensor,
                       d_fake: Tensor) -> Tuple[Tensor, Tensor]:
    """D's losses on real masks (target 1) and generator masks (target
    0)."""
    loss_real = F.binary_cross_entropy_with_logits(
        d_real, torch.full_like(d_real, 1.0))
    loss_fake = F.binary_cross_entropy_with_logits(
        d_fake, torch.zeros_like(d_fake))
    return loss_real, loss_fake


def semi_loss(gen: nn.Module, logits: Tensor, samples: SampleList,
              labels: Tensor, weights: Tensor,
              lambda_semi: float = 1.0) -> Optional[Tensor]:
    """L_semi of a receiving generator.

    With 0/1 weights it is the receiver's decode-head loss on the accepted
    images as one batch; with soft weights, the weighted mean of its
    per-image losses ``sum(w_i * L_i) / sum(w_i)``, so soft trust moves
    emphasis between images without changing the loss scale.

    Args:
        gen (nn.Module): The receiving generator (bare, not DDP-wrapped).
        logits (Tensor): Its decode-head logits on the unlabeled images.
        samples (list[SegDataSample]): The unlabeled samples (metainfo).
        labels (Tensor): (N, 1, H, W) pseudo-labels from the other
            generator (255 = ignore).
        weights (Tensor): (N,) trust weights in [0, 1].
        lambda_semi (float): Weight of L_semi. Defaults to 1.0.

    Returns:
        Tensor | None: The loss, None when every weight is 0.
    """
    idx = (weights > 0).nonzero(as_tuple=True)[0]
    if len(idx) == 0:
        return None
    head = gen.decode_head
    if bool(((weights == 0) | (weights == 1)).all()):
        pseudo = pseudo_samples([samples[i] for i in idx.tolist()],
                                labels[idx])
        return lambda_semi * sum_losses(
            head.loss_by_feat(logits[idx], pseudo))
    total = 0.
    for i in idx.tolist():
        pseudo = pseudo_samples([samples[i]], labels[i:i + 1])
        total = total + weights[i] * sum_losses(
            head.loss_by_feat(logits[i:i + 1], pseudo))
    return lambda_semi * total / weights[idx].sum()
