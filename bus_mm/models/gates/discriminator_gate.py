"""The paper's trust gate: the discriminator D judges each prediction.

ASSGAN (Sec. 3, Eq. 4) keeps an unlabeled prediction when D's score exceeds
``gamma``; the score is the mean of D's sigmoid patch map (ASSGAN reads it
per image). What D sees of a mask (soft map or thresholded mask, with or
without the image) is set by ASSGAN's ``semi_train_cfg.d_input``, the same
for real and fake masks.

Measured pitfall (docs/advanced_guides/assgan.md): a D that sees 0/1 ground
truth as real and soft sigmoid maps as fake learns "is the background exactly
0?" and rejects nearly every prediction at ``gamma = 0.5``; and on busi-dev
no D's score ranked the pseudo-labels by their true IoU better than Spearman
rho 0.4. ``quantile=True`` reads ``gamma`` as the share of recent scores to
reject, which follows D's score scale wherever it drifts.
"""
from typing import Dict, Optional

import torch
from torch import Tensor

from mmseg.registry import MODELS
from .base_gate import GateDecision, ScoreBank, TrustGate, hard_labels


@MODELS.register_module()
class DiscriminatorGate(TrustGate):
    """D's mean patch score judges each prediction.

    Args:
        gamma (float): A prediction passes when its score is ``> gamma``
            (or, with ``quantile``, above the ``gamma``-quantile of the
            recent scores of both generators). Defaults to 0.5.
        quantile (bool): Read ``gamma`` as a share of recent scores.
            Defaults to False.
        bank_size (int): How many recent scores ``quantile`` uses.
            Defaults to 128.
    """

    needs_discriminator = True

    def __init__(self,
                 gamma: float = 0.5,
                 quantile: bool = False,
                 bank_size: int = 128) -> None:
        super().__init__(gamma=gamma)
        self.quantile = bool(quantile)
        self.recent = ScoreBank(bank_size) if self.quantile else None

    def extra_repr(self) -> str:
        return f'gamma={self.gamma}, quantile={self.quantile}'

    def log_vars(self) -> dict:
        """The adaptive threshold (``quantile`` only)."""
        if not self.quantile:
            return {}
        return {'gate_threshold': self.recent.quantile(self.gamma)}

    @torch.no_grad()
    def judge(self, probs: Dict[str, Tensor], thresholds: Dict[str, float],
              valid: Tensor,
              d_scores: Optional[Dict[str, Tensor]] = None
              ) -> Dict[str, GateDecision]:
        """Accept the predictions D scores above the threshold (see
        :meth:`TrustGate.judge`)."""
        if d_scores is None:
            raise ValueError('DiscriminatorGate needs D: set '
                             'model.discriminator.')
        out = {}
        for name, prob in probs.items():
            scores = d_scores[name].detach().float()
            if self.quantile:
                self.recent.remember(scores)
                keep = scores > self.recent.quantile(self.gamma) \
                    if self.gamma > 0 else torch.ones_like(scores, dtype=bool)
            else:
                keep = scores > self.gamma
            out[name] = GateDecision(
                scores, keep.float(),
                hard_labels(prob, valid, thresholds[name]))
        return out

