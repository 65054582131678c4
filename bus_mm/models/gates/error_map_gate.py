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
  targets); a ground-truth mask has no error (target 0), and randomly
  corrupted ground-truth masks (grown, shrunk, shifted, emptied, or with a
  false blob) have known errors.
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
        corrupt_real (bool): D also learns the error maps of randomly
            corrupted ground-truth masks (:func:`corrupt_masks`). Without
            them, measured on busi-dev fold 0, D saw only the generators'
            predictions on the ~15 labeled images, which they soon fit
            almost exactly: D learnt "no error anywhere" (mean absolute
            error 0.006, estimated IoU 0.84 on average on unlabeled
            predictions whose true IoU averaged 0.41). With them it is less
            over-confident (0.68) but, on 15 labeled images, still ranks no
            better than the real/fake D (README, round 4).
            Defaults to True.
        seed (int): Seed of the corruptions. Defaults to 0.
    """

    regresses_error = True

    def __init__(self,
                 gamma: float = 0.2,
                 with_image: bool = True,
                 bank_size: int = 128,
                 corrupt_real: bool = True,
                 seed: int = 0) -> None:
        super().__init__(
            gamma=gamma, with_image=with_image, bank_size=bank_size)
        self.corrupt_real = bool(corrupt_real)
        self.seed = int(seed)
        # counts D steps; seeds the corruptions, so a resumed run repeats
        # them exactly (a buffer: saved in checkpoints)
        self.register_buffer('steps', torch.zeros((), dtype=torch.long))

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(gamma={self.gamma}, with_image='
                f'{self.with_image}, bank_size={self.bank.numel()}, '
                f'corrupt_real={self.corrupt_real})')

    def corrupted(self, real: Tensor) -> Tensor:
        """Corrupted copies of the ground-truth masks for D's next step
        (:func:`corrupt_masks`, drawn from the gate's own generator so the
        networks' random draws are untouched)."""
        gen = torch.Generator().manual_seed(self.seed * 1000003 +
                                            int(self.steps))
        self.steps += 1
        return corrupt_masks(real, gen)

    def decide(self, patch: Tensor, prob: Tensor, valid: Tensor,
               threshold: float = 0.5) -> GateDecision:
        """Pseudo-labels as :class:`MaskQualityGate`; the score is the IoU
        estimated from D's error map ``patch``; the lowest ``gamma`` share
        of recent scores is rejected."""
        decision = MaskQualityGate.decide(self, patch, prob, valid, threshold)
        scores = estimated_iou(patch, prob, valid, threshold)
        return self.rank(decision._replace(scores=scores))


def corrupt_masks(masks: Tensor, generator: torch.Generator) -> Tensor:
    """One random corruption per 0/1 mask (N, 1, H, W): dilation or erosion
    by 2-10% of the side, a shift by up to 15%, an empty mask, or a false
    blob of 6-25% of the side added elsewhere. They give the critic masks
    with known, varied errors on the very images whose ground truth it
    has, which the generators' own (memorised) labeled predictions do not."""
    out = []
    side = min(masks.shape[-2:])

    def rand(lo, hi):  # an integer in [lo, hi]
        return int(torch.randint(lo, hi + 1, (), generator=generator))

    for m in masks.float():
        op = rand(0, 4)
        if op in (0, 1):
            r = rand(max(1, side // 50), max(1, side // 10))
            sign = 1 if op == 0 else -1
            m = sign * F.max_pool2d(sign * m[None], 2 * r + 1, 1, r)[0]
        elif op == 2:
            lim = max(1, int(0.15 * side))
            m = torch.roll(m, (rand(-lim, lim), rand(-lim, lim)), (-2, -1))
        elif op == 3:
            m = torch.zeros_like(m)
        else:
            s = rand(max(1, side * 6 // 100), max(1, side // 4))
            y, x = rand(0, m.shape[-2] - s), rand(0, m.shape[-1] - s)
            m = m.clone()
            m[..., y:y + s, x:x + s] = 1
        out.append(m)
    return torch.stack(out).to(masks.dtype)


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
