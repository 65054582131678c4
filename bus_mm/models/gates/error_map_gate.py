"""A critic that regresses the error map, used as ASSGAN's trust gate.

The gate audit on busi-dev (README, "ASSGAN's trust gate") found that a
real-vs-fake discriminator ranks *failed* pseudo-labels (empty or misplaced
masks) but hardly the quality of the others (Spearman rho 0.1-0.3 among
them), and that its ranking fades as the generators stop failing. The reason
is its target: "is this a ground-truth mask?" says nothing about *how wrong*
a plausible mask is.

GCT (Ke et al., "Guided Collaborative Training for Pixel-wise
Semi-Supervised Learning", ECCV 2020; research/assgan-gate.md) trains a
"flaw detector" instead: given the image and a prediction, it regresses
where the prediction is wrong. :class:`ErrorMapGate` does that with ASSGAN's
patch network D:

* **Training** (ASSGAN's D step, on the labeled images): D sees the image and
  a generator's thresholded mask and regresses, per output patch, the share
  of pixels where that mask disagrees with the ground truth (soft BCE
  targets); a ground-truth mask has no error (target 0).
* **Judging** an unlabeled prediction: D's patch error map is upsampled to
  the image and split by the predicted mask M into estimated false
  positives (error inside M), true positives (no error inside M) and false
  negatives (error outside M), which gives an estimated IoU
  (:func:`estimated_iou`). That estimate is the gate's score, on the same
  scale as the true IoU the audit measures, and the lowest ``gamma`` share
  of recent estimates is rejected (:class:`QuantileGate`'s adaptive gamma).

The critic has no adversarial role: ASSGAN refuses ``lambda_adv > 0`` with
this gate.
"""
import torch
import torch.nn.functional as F
from torch import Tensor

from mmseg.registry import MODELS

from .discriminator_gate import GateDecision, MaskQualityGate
from .quantile_gate import QuantileGate


def estimated_iou(error: Tensor, prob: Tensor, valid: Tensor,
                  threshold: float = 0.5, smooth: float = 1.0) -> Tensor:
    """IoU of each thresholded mask against its unknown ground truth, as
    estimated from a predicted per-patch error map.

    Args:
        error (Tensor): (N, 1, h, w) predicted probability that a pixel of
            the patch is wrong.
        prob (Tensor): (N, 1, H, W) lesion probabilities.
        valid (Tensor): (N, 1, H, W) 0 on padding.
        threshold (float): Probability above which a pixel is lesion.
        smooth (float): Pixels added to numerator and denominator, so an
            empty mask with no estimated miss scores 1. Defaults to 1.

    Returns:
        Tensor: (N,) estimated IoU in [0, 1].
    """
    error = F.interpolate(error.float(), size=prob.shape[-2:],
                          mode='bilinear', align_corners=False).clamp(0, 1)
    keep = (valid > 0).float()
    mask = (prob.detach().float() > threshold).float() * keep
    tp = ((1 - error) * mask).sum(dim=(1, 2, 3))
    fp = (error * mask).sum(dim=(1, 2, 3))
    fn = (error * (1 - mask) * keep).sum(dim=(1, 2, 3))
    return (tp + smooth) / (tp + fp + fn + smooth)


@MODELS.register_module()
class ErrorMapGate(QuantileGate):
    """GCT-style critic as the gate: D regresses the error map of a mask;
    the estimated IoU is the score, the lowest ``gamma`` share is rejected.

    Args:
        gamma (float): Share in [0, 1] of recent unlabeled predictions to
            reject (see :class:`QuantileGate`). Defaults to 0.2.
        with_image (bool): D sees the image beside the mask. Where a mask is
            wrong depends on the image, so this is on by default; D's
            ``in_channels`` must then be the image channels + 1.
            Defaults to True.
        bank_size (int): How many recent scores set the threshold.
            Defaults to 128.
    """

    regresses_error = True

    def __init__(self,
                 gamma: float = 0.2,
                 with_image: bool = True,
                 bank_size: int = 128) -> None:
        super().__init__(
            gamma=gamma, with_image=with_image, bank_size=bank_size)

    def decide(self, patch: Tensor, prob: Tensor, valid: Tensor,
               threshold: float = 0.5) -> GateDecision:
        """Pseudo-labels as :class:`MaskQualityGate`; the score is the IoU
        estimated from D's error map ``patch``; the lowest ``gamma`` share
        of recent scores is rejected."""
        decision = MaskQualityGate.decide(self, patch, prob, valid, threshold)
        scores = estimated_iou(patch, prob, valid, threshold)
        return self.rank(decision._replace(scores=scores))


def error_targets(mask: Tensor, truth: Tensor, size) -> Tensor:
    """The critic's soft targets: per output patch of ``size`` (h, w), the
    share of pixels where the 0/1 ``mask`` differs from the 0/1 ``truth``
    (both (N, 1, H, W), padding zero in both)."""
    wrong = (mask.detach().float() != truth.float()).float()
    return F.adaptive_avg_pool2d(wrong, size)


@torch.no_grad()
def critic_error(d_logits: Tensor, targets: Tensor) -> float:
    """Mean absolute error of the critic's patch error map (for the log)."""
    return float((d_logits.float().sigmoid() - targets).abs().mean())
