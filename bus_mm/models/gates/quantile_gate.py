"""An adaptive gamma: reject only the lowest-scored share of pseudo-labels.

The gate audit on busi-dev (README, "ASSGAN's trust gate") found that D's
scores on unlabeled predictions sit in a narrow band (mean ~0.50, std
~0.04) and that what D ranks reliably is *failure* (a pseudo-label with true
IoU < 0.1: an empty or misplaced mask; AUROC 0.85), not the quality of the
masks that did not fail (Spearman rho 0.10-0.28 among those). A fixed
``gamma = 0.5`` on such scores throws away about half of the unlabeled
images, including many good ones, and even a perfect gate at IoU 0.5 (the
``oracle_gate`` study) gained less than accepting everything.

:class:`QuantileGate` therefore makes gamma a *share* instead of a score:
it keeps a ring buffer of D's recent scores on unlabeled predictions (both
generators) and rejects a prediction when its score falls in the lowest
``gamma`` fraction of that buffer. With ``gamma`` near the failure rate the
audit measured (13-25% of the pseudo-labels of "2 generators"), it removes
mostly what D can detect and keeps the cross-teaching signal of the rest.
The threshold follows D's score scale wherever it drifts, so it needs no
tuning to D's calibration. The buffer is a registered buffer: it is saved in
checkpoints and an interrupted run resumes with the same threshold.
"""
import torch
from torch import Tensor
import torch.nn as nn

from mmseg.registry import MODELS

from .discriminator_gate import GateDecision, MaskQualityGate


@MODELS.register_module()
class QuantileGate(MaskQualityGate, nn.Module):
    """D judges the hard pseudo-label; the lowest-scored ``gamma`` share of
    recent predictions is rejected (an adaptive gamma).

    Args:
        gamma (float): Share in [0, 1] of recent unlabeled predictions to
            reject: a prediction passes when its score is *above* the
            ``gamma``-quantile of the buffer (0 accepts everything, 0.5 the
            upper half). Scores tied at the threshold are rejected: a D
            that sees only the mask gives every empty mask the same score,
            and when empty masks fill the lowest ``gamma`` of the buffer a
            ``>=`` rule would accept them all (measured on busi-dev: 89-99%
            accepted at gamma = 0.2, and the generators collapsed towards
            empty predictions). Defaults to 0.2.
        with_image (bool): Condition D on the image. Defaults to False.
        bank_size (int): How many recent scores set the threshold (about
            one pass over a small unlabeled set: 88 images x 2 generators
            on a busi-dev fold). Defaults to 128.
    """

    def __init__(self,
                 gamma: float = 0.2,
                 with_image: bool = False,
                 bank_size: int = 128) -> None:
        nn.Module.__init__(self)
        MaskQualityGate.__init__(self, gamma=gamma, with_image=with_image)
        if int(bank_size) < 1:
            raise ValueError('QuantileGate: bank_size must be >= 1, got '
                             f'{bank_size}.')
        self.register_buffer('bank', torch.full((int(bank_size), ),
                                                float('nan')))
        self.register_buffer('bank_ptr', torch.zeros((), dtype=torch.long))

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(gamma={self.gamma}, with_image='
                f'{self.with_image}, bank_size={self.bank.numel()})')

    @torch.no_grad()
    def remember(self, scores: Tensor) -> None:
        """Write ``scores`` into the ring buffer (oldest entries first out)."""
        size = self.bank.numel()
        scores = scores.detach().to(self.bank)[-size:]
        idx = (self.bank_ptr + torch.arange(
            len(scores), device=self.bank.device)) % size
        self.bank[idx] = scores
        self.bank_ptr.copy_((self.bank_ptr + len(scores)) % size)

    def threshold(self) -> float:
        """The current score threshold: the ``gamma``-quantile of the
        buffer (NaN while it is empty)."""
        return float(torch.nanquantile(self.bank, self.gamma))

    def log_vars(self) -> dict:
        """The adaptive threshold, logged as ``gate_threshold``."""
        return {'gate_threshold': self.threshold()}

    def decide(self, patch: Tensor, prob: Tensor, valid: Tensor,
               threshold: float = 0.5) -> GateDecision:
        """As :meth:`DiscriminatorGate.decide`, but an image passes when its
        score is above the ``gamma``-quantile of the recent scores (these
        scores included); ``gamma = 0`` accepts every image."""
        return self.rank(super().decide(patch, prob, valid, threshold))

    def rank(self, decision: GateDecision) -> GateDecision:
        """Remember ``decision.scores`` and accept those above the
        ``gamma``-quantile of the buffer (every one when ``gamma = 0``)."""
        self.remember(decision.scores)
        accepted = decision.scores > self.threshold() if self.gamma > 0 \
            else torch.ones_like(decision.accepted)
        return decision._replace(accepted=accepted)
