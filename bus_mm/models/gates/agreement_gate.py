"""A trust gate that asks the other generator instead of D.

The gate audits on busi-dev (README, "ASSGAN's trust gate") found that no
discriminator we trained ranks pseudo-labels by their quality: the real/fake
D of the paper and bus_mm's round-4 default score unlabeled predictions with
a Spearman rho of 0.0-0.3 against their true IoU, GCT's error-map critic
(:class:`ErrorMapGate`) 0.1-0.4, all from 15 labeled images.
``tools/gate_score_audit.py`` measured label-free alternatives on the last
checkpoints of the paired busi-dev study (3 folds x 2 seeds x 2 generators
= 12 rows per arm; mean rho [min, max], and the mean IoU of the upper half
of the scores minus the lower half):

====================  ==================  ==================  =================
score                 supervised only     D gate (80% pass)   accept-all
====================  ==================  ==================  =================
D (the run's gate)    --                  0.09 [-0.05, 0.31]  --
                                          +2 points
agreement with the    0.64 [0.43, 0.80]   0.47 [0.36, 0.63]   0.23 [-0.24, 0.52]
other generator       +31 points          +23 points          +11 points
certainty |2p - 1|    -0.35, -13 points   0.05, +3 points     -0.25, -12 points
====================  ==================  ==================  =================

ASSGAN's two generators are asymmetric (different architectures): where
their masks agree, the mask is far more likely to be right; this is the
co-training argument (Blum & Mitchell; Qiao et al.'s deep co-training) used
as a filter. The signal is strongest between independently trained
generators (the start of Algorithm 2) and fades when every pseudo-label is
used, because cross teaching makes the generators copies of each other;
a gate that only lets agreed masks through keeps them apart. So
:class:`AgreementGate` scores each unlabeled prediction by the IoU of its
hard mask with the other generator's hard mask on the same image and, as
:class:`QuantileGate`, rejects the lowest ``gamma`` share of recent scores:
the generators still grow alike (their masks overlap by IoU > 0.5 on
91-100% of the images at the end of a run), so a fixed IoU threshold would
end up accepting everything, while the ranking stays informative.

D is optional with this gate: without one (``model.discriminator=None``)
there is no L_adv and no D step; with one, D trains and regularises the
generators as with :class:`MaskQualityGate` (binarised masks), but does not
judge.
"""
from typing import Optional

import torch
from torch import Tensor
import torch.nn as nn

from mmseg.registry import MODELS
from .discriminator_gate import IGNORE_INDEX, GateDecision
from .quantile_gate import QuantileGate


def mask_agreement(mask: Tensor, partner: Tensor, valid: Tensor,
                   empty_score: float = 0.) -> Tensor:
    """Per-image IoU of two (N, 1, H, W) boolean masks over valid pixels.

    Args:
        mask (Tensor): One generator's hard masks.
        partner (Tensor): The other generator's hard masks.
        valid (Tensor): (N, 1, H, W), 0 on padding.
        empty_score (float): Score of a pair of empty masks (no union).

    Returns:
        Tensor: (N,) float scores in [0, 1].
    """
    keep = valid > 0
    a, b = mask & keep, partner & keep
    inter = (a & b).flatten(1).sum(1).float()
    union = (a | b).flatten(1).sum(1).float()
    return torch.where(union > 0, inter / union.clamp(min=1),
                       torch.full_like(union, float(empty_score)))


@MODELS.register_module()
class AgreementGate(QuantileGate):
    """The two generators' agreement judges a pseudo-label; the lowest
    ``gamma`` share of recent agreements is rejected.

    Args:
        gamma (float): Share in [0, 1] of recent unlabeled predictions (both
            generators) to reject; 0 accepts everything. Defaults to 0.5,
            the paper's gamma read as a share: about half of the unlabeled
            images pass, as in the paper's Table 2 (54% and 60%).
        empty_score (float): Score of an image on which both generators
            predict no lesion. Defaults to 0: on lesion datasets an empty
            pseudo-label is always wrong and accepting empty masks made the
            generators collapse towards empty predictions (QuantileGate's
            note); set 1.0 when the unlabeled images include lesion-free
            ones and an agreed empty mask can be right.
        bank_size (int): How many recent scores set the threshold.
            Defaults to 128.
    """

    #: The gate needs the other generator's prediction, not D.
    needs_discriminator = False
    uses_partner = True

    def __init__(self,
                 gamma: float = 0.5,
                 empty_score: float = 0.,
                 bank_size: int = 128) -> None:
        super().__init__(gamma=gamma, bank_size=bank_size)
        empty_score = float(empty_score)
        if not 0. <= empty_score <= 1.:
            raise ValueError('AgreementGate: empty_score must lie in [0, 1], '
                             f'got {empty_score}.')
        self.empty_score = empty_score

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(gamma={self.gamma}, empty_score='
                f'{self.empty_score}, bank_size={self.bank.numel()})')

    @torch.no_grad()
    def judge(self,
              discriminator: Optional[nn.Module],
              prob: Tensor,
              image: Optional[Tensor],
              valid: Tensor,
              threshold: float = 0.5,
              d_logits: Optional[Tensor] = None,
              partner: Optional[Tensor] = None,
              partner_threshold: float = 0.5) -> GateDecision:
        """Score ``prob``'s masks by their IoU with ``partner``'s.

        Args:
            discriminator (nn.Module, optional): Unused (D does not judge).
            prob (Tensor): (N, 1, H, W) this generator's lesion
                probabilities on the unlabeled images.
            image (Tensor, optional): Unused.
            valid (Tensor): (N, 1, H, W), 0 on padding.
            threshold (float): This generator's lesion threshold.
            d_logits (Tensor, optional): Unused.
            partner (Tensor): (N, 1, H, W) the other generator's lesion
                probabilities on the same images.
            partner_threshold (float): The other generator's threshold.
        """
        if partner is None or partner.shape != prob.shape:
            raise ValueError(
                'AgreementGate needs the other generator\'s predictions on '
                'the same images (two generators: set model.generator_b); '
                f'got {None if partner is None else tuple(partner.shape)} '
                f'for {tuple(prob.shape)}.')
        mask = prob.detach() > threshold
        scores = mask_agreement(mask, partner.detach() > partner_threshold,
                                valid, self.empty_score)
        labels = mask.long()
        labels[valid <= 0] = IGNORE_INDEX
        accepted = torch.ones_like(scores, dtype=torch.bool)
        return self.rank(GateDecision(scores, accepted, labels))
