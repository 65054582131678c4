"""ASSGAN's trust gate: what D sees of a mask and which predictions pass.

ASSGAN (Sec. 3, Eq. 4) keeps an unlabeled prediction as a pseudo-label when
the discriminator D scores it above ``gamma``. A gate owns everything about
that judgement that must stay consistent between D's training and its use:

* :meth:`DiscriminatorGate.d_input` turns a mask into D's input. Ground truth
  (real) and predictions (fake) go through the same function, so D can only
  tell them apart by their shape and by how they fit the image, never by
  their value range.
* :meth:`DiscriminatorGate.judge` scores a generator's unlabeled predictions
  and returns the accepted flags and hard pseudo-labels (255 = ignore).

Three gates ship:

* :class:`PaperGate`: the paper read literally: D sees the soft sigmoid map,
  the score is the mean of D's patch map, the image passes when it exceeds
  ``gamma``. Measured pitfall: real masks are exactly 0/1 and soft maps
  never are, so D learns "is the background exactly 0?" and rejects almost
  everything (research/assgan-gate.md).
* :class:`PixelGate`: Hung et al.'s confidence map: pixels whose upsampled
  patch score is ``<= gamma`` are ignored; an image passes when any pixel is
  kept.
* :class:`MaskQualityGate` (bus_mm's default): D sees the *thresholded*
  mask (the pseudo-label itself), with a straight-through gradient so L_adv
  still reaches the generator, and optionally the image beside it (s4GAN),
  so its score judges the mask that would be used, not its softness.
"""
from typing import NamedTuple, Optional

import torch
from torch import Tensor
import torch.nn as nn
import torch.nn.functional as F

from mmseg.registry import MODELS

IGNORE_INDEX = 255


class _StraightThrough(torch.autograd.Function):
    """Forward: the 0/1 mask ``prob > threshold`` (exact, so a fake is as
    binary as a real mask); backward: the gradient passes unchanged."""

    @staticmethod
    def forward(ctx, prob: Tensor, threshold: float) -> Tensor:
        return (prob > threshold).to(prob.dtype)

    @staticmethod
    def backward(ctx, grad: Tensor):
        return grad, None


class GateDecision(NamedTuple):
    """A gate's verdict on N unlabeled predictions.

    Attributes:
        scores (Tensor): (N,) image scores in [0, 1].
        accepted (Tensor): (N,) bool, the prediction is used.
        labels (Tensor): (N, 1, H, W) long pseudo-labels, 0/1 and 255 where
            ignored (padding, or low confidence for the pixel gate).
    """
    scores: Tensor
    accepted: Tensor
    labels: Tensor


@MODELS.register_module()
class DiscriminatorGate:
    """Base gate: D input encoding, image score and the pseudo-label rule.

    Args:
        gamma (float): Confidence threshold in [0, 1]; a prediction passes
            when its score is ``> gamma``. Defaults to 0.5.
        binarize (bool): D sees masks thresholded at the generator's
            threshold (straight-through gradient for the generator's L_adv)
            instead of probabilities. Defaults to False.
        with_image (bool): D sees ``cat(image, mask)``; its ``in_channels``
            must be the image channels + 1. Defaults to False.
        pixel (bool): Per-pixel gate (Hung et al.) instead of per image.
            Defaults to False.
    """

    #: D is a critic that regresses the error map (:class:`ErrorMapGate`)
    #: instead of telling real masks from fakes.
    regresses_error = False
    #: The gate scores with D (without D, ASSGAN accepts everything) and
    #: does not need the other generator's prediction
    #: (:class:`AgreementGate` turns both around).
    needs_discriminator = True
    uses_partner = False

    def __init__(self,
                 gamma: float = 0.5,
                 binarize: bool = False,
                 with_image: bool = False,
                 pixel: bool = False) -> None:
        gamma = float(gamma)
        if not 0. <= gamma <= 1.:
            raise ValueError(f'{type(self).__name__}: gamma must lie in '
                             f'[0, 1] (a sigmoid score), got {gamma}.')
        self.gamma = gamma
        self.binarize = bool(binarize)
        self.with_image = bool(with_image)
        self.pixel = bool(pixel)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(gamma={self.gamma}, binarize='
                f'{self.binarize}, with_image={self.with_image}, pixel='
                f'{self.pixel})')

    def log_vars(self) -> dict:
        """Scalars the gate adds to the training log (none here)."""
        return {}

    def check_discriminator(self, discriminator: nn.Module,
                            image_channels: Optional[int] = None) -> None:
        """Raise a clear error when D's input channels do not fit the gate.

        Args:
            discriminator (nn.Module): D (its ``in_channels`` is read).
            image_channels (int, optional): Channels of the images, when
                known (checked again at the first batch).
        """
        got = getattr(discriminator, 'in_channels', None)
        if got is None:
            return
        if not self.with_image:
            if got != 1:
                raise ValueError(
                    f'{type(self).__name__}(with_image=False) feeds D a '
                    '1-channel mask; set model.discriminator.in_channels=1, '
                    f'got {got}.')
            return
        if got < 2 or (image_channels is not None
                       and got != image_channels + 1):
            need = ('image channels + 1' if image_channels is None else
                    image_channels + 1)
            raise ValueError(
                f'{type(self).__name__}(with_image=True) feeds D the image '
                f'and the mask; set model.discriminator.in_channels={need} '
                f'(got {got}{"" if image_channels is None else f" for {image_channels}-channel images"}).')

    def d_input(self, mask: Tensor, image: Optional[Tensor],
                threshold: float = 0.5) -> Tensor:
        """D's input for a (N, 1, H, W) mask: a 0/1 ground truth (real) or a
        lesion probability map (fake, gradients flow straight through the
        thresholding when ``binarize``)."""
        if self.binarize:
            mask = _StraightThrough.apply(mask, threshold)
        if not self.with_image:
            return mask
        if image is None:
            raise ValueError(f'{type(self).__name__}(with_image=True) needs '
                             'the images.')
        return torch.cat([image.detach().to(mask.dtype), mask], dim=1)

    @torch.no_grad()
    def patch_scores(self, discriminator: nn.Module, prob: Tensor,
                     image: Optional[Tensor], threshold: float = 0.5,
                     d_logits: Optional[Tensor] = None) -> Tensor:
        """D's sigmoid patch map (N, 1, h, w) for lesion probabilities
        ``prob``; ``d_logits``: D's output on exactly these inputs when
        already computed (saves a D forward)."""
        if d_logits is None:
            d_logits = discriminator(
                self.d_input(prob.detach().float(), image, threshold))
        return d_logits.detach().float().sigmoid()

    def decide(self, patch: Tensor, prob: Tensor, valid: Tensor,
               threshold: float = 0.5) -> GateDecision:
        """Scores, accepted flags and hard pseudo-labels from a patch map.

        Args:
            patch (Tensor): (N, 1, h, w) D's sigmoid patch map.
            prob (Tensor): (N, 1, H, W) lesion probabilities.
            valid (Tensor): (N, 1, H, W) 0 on padding.
            threshold (float): Probability above which a pixel is lesion.
        """
        prob = prob.detach().float()
        scores = patch.mean(dim=(1, 2, 3))
        keep = valid > 0
        if self.pixel:
            conf = F.interpolate(patch, size=prob.shape[-2:],
                                 mode='bilinear', align_corners=False)
            keep = keep & (conf > self.gamma)
            accepted = keep.flatten(1).any(dim=1)
        else:
            accepted = scores > self.gamma
        labels = (prob > threshold).long()
        labels[~keep] = IGNORE_INDEX
        return GateDecision(scores, accepted, labels)

    def judge(self, discriminator: nn.Module, prob: Tensor,
              image: Optional[Tensor], valid: Tensor,
              threshold: float = 0.5,
              d_logits: Optional[Tensor] = None) -> GateDecision:
        """Score unlabeled predictions and make their pseudo-labels
        (:meth:`patch_scores`, then :meth:`decide`)."""
        patch = self.patch_scores(discriminator, prob, image, threshold,
                                  d_logits)
        return self.decide(patch, prob, valid, threshold)


@MODELS.register_module()
class PaperGate(DiscriminatorGate):
    """The paper read literally: soft maps into D, image-level score.

    Args:
        gamma (float): Threshold on the mean patch score. Defaults to 0.5.
    """

    def __init__(self, gamma: float = 0.5) -> None:
        super().__init__(gamma=gamma)


@MODELS.register_module()
class PixelGate(DiscriminatorGate):
    """Hung et al.'s per-pixel confidence gate on soft maps.

    Args:
        gamma (float): Threshold on the upsampled confidence map.
            Defaults to 0.5.
    """

    def __init__(self, gamma: float = 0.5) -> None:
        super().__init__(gamma=gamma, pixel=True)


@MODELS.register_module()
class MaskQualityGate(DiscriminatorGate):
    """bus_mm's default: D judges the hard pseudo-label (and the image).

    Args:
        gamma (float): Threshold on the mean patch score. Defaults to 0.5.
        with_image (bool): Condition D on the image. Defaults to False.
    """

    def __init__(self, gamma: float = 0.5, with_image: bool = False) -> None:
        super().__init__(gamma=gamma, binarize=True, with_image=with_image)


def accept_all(prob: Tensor, valid: Tensor,
               threshold: float = 0.5) -> GateDecision:
    """No gate (the "2 generators" ablation, no D): every prediction becomes
    a hard pseudo-label, padding ignored; ``scores`` is None."""
    labels = (prob.detach() > threshold).long()
    labels[valid <= 0] = IGNORE_INDEX
    return GateDecision(None, torch.ones(len(prob), dtype=torch.bool,
                                         device=prob.device), labels)


def check_gate_setup(gate: DiscriminatorGate,
                     discriminator: Optional[nn.Module], two_generators: bool,
                     lambda_adv: float, pairwise: bool) -> None:
    """Refuse, before training, a gate that cannot work in this ASSGAN:
    D's input channels (:meth:`DiscriminatorGate.check_discriminator`), a
    gate that compares the generators without a second one or under GCT's
    pairwise rule (both get the same score, so the rule would reject
    everything), a critic D with an adversarial loss."""
    name = type(gate).__name__
    if discriminator is not None:
        gate.check_discriminator(discriminator)
    if gate.uses_partner and (not two_generators or pairwise):
        raise ValueError(
            f"ASSGAN: {name} judges a prediction by the other generator's "
            '(one score for both): it needs model.generator_b and '
            'pairwise_gate=False.')
    if gate.regresses_error and lambda_adv > 0:
        raise ValueError(
            f'ASSGAN: {name} trains D as a critic of the error map, which '
            f'has no adversarial loss; set model.lambda_adv=0 (got '
            f'{lambda_adv}).')


def gate_judges(gate: DiscriminatorGate,
                discriminator: Optional[nn.Module]) -> bool:
    """Whether ``gate`` can judge (D exists, or the gate needs none, as
    :class:`AgreementGate`); otherwise every pseudo-label is accepted."""
    return discriminator is not None or not gate.needs_discriminator


def gate_verdict(gate: DiscriminatorGate, discriminator: Optional[nn.Module],
                 prob: Tensor, image: Optional[Tensor], valid: Tensor,
                 threshold: float = 0.5, d_logits: Optional[Tensor] = None,
                 partner: Optional[Tensor] = None,
                 partner_threshold: float = 0.5) -> GateDecision:
    """The verdict on one generator's unlabeled predictions ``prob``:
    ``gate``'s when it can judge (:func:`gate_judges`), else
    :func:`accept_all` (no D: the "2 generators" ablation). ``partner``:
    the other generator's probabilities on the same images (for gates with
    ``uses_partner``)."""
    if not gate_judges(gate, discriminator):
        return accept_all(prob, valid, threshold)
    extra = dict(partner=partner, partner_threshold=partner_threshold) \
        if gate.uses_partner else {}
    return gate.judge(discriminator, prob, image, valid, threshold, d_logits,
                      **extra)


def pairwise_rule(accepted_a: Tensor, accepted_b: Tensor, scores_a: Tensor,
                  scores_b: Tensor):
    """GCT's rule on top of a gate: an accepted prediction teaches the other
    generator only where D scores it above that generator's own prediction
    on the same image. Returns the new ``(accepted_a, accepted_b)``."""
    return accepted_a & (scores_a > scores_b), \
        accepted_b & (scores_b > scores_a)


def build_gate(cfg) -> DiscriminatorGate:
    """A gate from a config dict, a gate, or the legacy strings ``'image'``
    (:class:`PaperGate`) and ``'pixel'`` (:class:`PixelGate`)."""
    if isinstance(cfg, DiscriminatorGate):
        return cfg
    if cfg == 'image':
        return PaperGate()
    if cfg == 'pixel':
        return PixelGate()
    if not isinstance(cfg, dict) or 'type' not in cfg:
        raise ValueError("ASSGAN: gate must be a dict with a 'type' (e.g. "
                         "dict(type='MaskQualityGate')), 'image' or 'pixel'; "
                         f'got {cfg!r}.')
    return MODELS.build(cfg)
