"""A trust gate that asks the other generator: where two asymmetric
generators agree, the mask is more likely right (co-training).

The score of an unlabeled prediction is the IoU of its hard mask with the
other generator's hard mask on the same image (the same score for both).
Audited on busi-dev (docs/studies/assgan_trust_gate_busi-dev.md), that
agreement tracked the pseudo-labels' true IoU with Spearman rho 0.64 (0.43
to 0.80) between independently trained generators, where every
discriminator bus_mm trained reached 0.0-0.4. Cross teaching makes the
generators alike over time, so a fixed IoU threshold would end up accepting
everything; the gate therefore works on the *rank* of a score among the
recent ones (a :class:`ScoreBank`):

* ``weighting='cut'``: reject the lowest ``gamma`` share, weight 1 for the
  rest;
* ``weighting='rank'``: reject the lowest ``gamma`` share and weight the
  rest by their rank in [0, 1] (soft trust: every pseudo-label above the cut
  teaches, the better-agreed ones more).
"""
from typing import Dict, Optional

import torch
from torch import Tensor

from mmseg.registry import MODELS
from .base_gate import GateDecision, ScoreBank, TrustGate, hard_labels

WEIGHTINGS = ('cut', 'rank')


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
class AgreementGate(TrustGate):
    """The two generators' agreement judges a pseudo-label.

    Args:
        gamma (float): Share in [0, 1] of recent unlabeled predictions (both
            generators) to reject; 0 rejects nothing. Defaults to 0.5.
        weighting (str): ``'cut'`` (weight 1 above the cut) or ``'rank'``
            (weight = the score's rank among recent scores). Defaults to
            ``'cut'``.
        empty_score (float): Score of an image on which both generators
            predict no lesion. Defaults to 0: on lesion datasets an agreed
            empty mask is always wrong; set 1.0 when the unlabeled images
            include lesion-free ones.
        bank_size (int): How many recent scores set the rank. Defaults to
            128 (about one pass over a busi-dev fold's unlabeled images by
            both generators).
    """

    needs_pair = True

    def __init__(self,
                 gamma: float = 0.5,
                 weighting: str = 'cut',
                 empty_score: float = 0.,
                 bank_size: int = 128) -> None:
        super().__init__(gamma=gamma)
        if weighting not in WEIGHTINGS:
            raise ValueError(f'AgreementGate: weighting must be one of '
                             f'{WEIGHTINGS}, got {weighting!r}.')
        empty_score = float(empty_score)
        if not 0. <= empty_score <= 1.:
            raise ValueError('AgreementGate: empty_score must lie in [0, 1], '
                             f'got {empty_score}.')
        self.weighting = weighting
        self.empty_score = empty_score
        self.recent = ScoreBank(bank_size)

    def extra_repr(self) -> str:
        return (f'gamma={self.gamma}, weighting={self.weighting!r}, '
                f'empty_score={self.empty_score}')

    def log_vars(self) -> dict:
        """The score threshold of the cut, logged as ``gate_threshold``."""
        return {'gate_threshold': self.recent.quantile(self.gamma)}

    def weigh(self, scores: Tensor, bank: ScoreBank) -> Tensor:
        """(N,) weights of ``scores`` after remembering them in ``bank``:
        0 at or below the ``gamma``-quantile of the bank, else 1 (``cut``)
        or the score's rank (``rank``)."""
        bank.remember(scores)
        keep = scores > bank.quantile(self.gamma) if self.gamma > 0 \
            else torch.ones_like(scores, dtype=torch.bool)
        value = bank.rank(scores) if self.weighting == 'rank' \
            else torch.ones_like(scores)
        return torch.where(keep, value, torch.zeros_like(value))

    @torch.no_grad()
    def judge(self, probs: Dict[str, Tensor], thresholds: Dict[str, float],
              valid: Tensor,
              d_scores: Optional[Dict[str, Tensor]] = None
              ) -> Dict[str, GateDecision]:
        """Score each generator's masks by their IoU with the other's.

        The generators are ranked one after the other (A's scores enter the
        bank before B's are ranked). See :meth:`TrustGate.judge` for the
        arguments.
        """
        if len(probs) != 2:
            raise ValueError('AgreementGate compares two generators; set '
                             'model.generator_b.')
        masks = {n: p.detach() > thresholds[n] for n, p in probs.items()}
        names = list(probs)
        out = {}
        for name, other in (names, names[::-1]):
            scores = mask_agreement(masks[name], masks[other], valid,
                                    self.empty_score)
            out[name] = GateDecision(
                scores, self.weigh(scores, self.recent),
                hard_labels(probs[name], valid, thresholds[name]))
        return out
