"""The trust gate's interface: one call judges both generators' predictions.

ASSGAN (Sec. 3, Eq. 4) turns an unlabeled prediction of one generator into a
pseudo-label for the other when the prediction is trusted. A gate receives
both generators' lesion probabilities on the same unlabeled images (and,
when the model has a discriminator D, D's score of each prediction) and
returns one :class:`GateDecision` per generator: a score, a weight in
[0, 1] (0 = rejected, 1 = fully trusted, in between = soft trust) and the
hard pseudo-labels. Judging the pair at once lets a gate compare the two
generators (:class:`~bus_mm.models.gates.AgreementGate`) without the host
knowing what the gate looks at.
"""
from typing import Dict, NamedTuple, Optional

import torch
import torch.nn as nn
from torch import Tensor

IGNORE_INDEX = 255


class GateDecision(NamedTuple):
    """A gate's verdict on one generator's N unlabeled predictions.

    Attributes:
        scores (Tensor | None): (N,) image scores (None: the gate scores
            nothing, e.g. :class:`AcceptAllGate`).
        weights (Tensor): (N,) float weights in [0, 1]; 0 = rejected.
        labels (Tensor): (N, 1, H, W) long hard pseudo-labels, 0/1 and 255
            where ignored (padding).
    """
    scores: Optional[Tensor]
    weights: Tensor
    labels: Tensor

    @property
    def accepted(self) -> Tensor:
        """(N,) bool: the prediction teaches the other generator."""
        return self.weights > 0


def hard_labels(prob: Tensor, valid: Tensor, threshold: float) -> Tensor:
    """(N, 1, H, W) long pseudo-labels ``prob > threshold``, 255 on
    padding."""
    labels = (prob.detach() > threshold).long()
    labels[valid <= 0] = IGNORE_INDEX
    return labels


class TrustGate(nn.Module):
    """Base class of ASSGAN's trust gates.

    Subclasses implement :meth:`judge`. A gate is an ``nn.Module`` so that
    any state it keeps (a bank of recent scores) is saved in checkpoints and
    restored on resume.

    Args:
        gamma (float): The gate's threshold in [0, 1]; its meaning is the
            subclass's (a score, or a share of recent scores).
    """

    #: ASSGAN must have a discriminator and pass its scores to :meth:`judge`.
    needs_discriminator = False
    #: The gate compares the two generators (needs ``generator_b``).
    needs_pair = False

    def __init__(self, gamma: float = 0.5) -> None:
        super().__init__()
        self.gamma = gamma

    @property
    def gamma(self) -> float:
        """float: The threshold (assignable, in [0, 1])."""
        return self._gamma

    @gamma.setter
    def gamma(self, value: float) -> None:
        value = float(value)
        if not 0. <= value <= 1.:
            raise ValueError(f'{type(self).__name__}: gamma must lie in '
                             f'[0, 1], got {value}.')
        self._gamma = value

    def extra_repr(self) -> str:
        return f'gamma={self.gamma}'

    def log_vars(self) -> dict:
        """Scalars the gate adds to the training log."""
        return {}

    def judge(self, probs: Dict[str, Tensor], thresholds: Dict[str, float],
              valid: Tensor,
              d_scores: Optional[Dict[str, Tensor]] = None
              ) -> Dict[str, GateDecision]:
        """Judge every generator's unlabeled predictions.

        Args:
            probs (dict[str, Tensor]): Generator name (``generator_a``,
                ``generator_b``) to its (N, 1, H, W) lesion probabilities
                on the unlabeled images, in ASSGAN's generator order.
            thresholds (dict[str, float]): Each generator's lesion
                threshold.
            valid (Tensor): (N, 1, H, W), 0 on padding.
            d_scores (dict[str, Tensor], optional): D's (N,) mean patch
                score of each prediction (given when the model has a D).

        Returns:
            dict[str, GateDecision]: One decision per generator.
        """
        raise NotImplementedError


class ScoreBank(nn.Module):
    """A ring buffer of recent gate scores (NaN = empty slot), saved in
    checkpoints so a resumed run keeps its adaptive threshold.

    Args:
        size (int): How many recent scores it keeps.
    """

    def __init__(self, size: int = 128) -> None:
        super().__init__()
        if int(size) < 1:
            raise ValueError(f'bank_size must be >= 1, got {size}.')
        self.register_buffer('bank', torch.full((int(size), ), float('nan')))
        self.register_buffer('bank_ptr', torch.zeros((), dtype=torch.long))

    def extra_repr(self) -> str:
        return f'size={self.bank.numel()}'

    @torch.no_grad()
    def remember(self, scores: Tensor) -> None:
        """Write ``scores`` in (the oldest entries go first)."""
        size = self.bank.numel()
        scores = scores.detach().to(self.bank)[-size:]
        idx = (self.bank_ptr + torch.arange(
            len(scores), device=self.bank.device)) % size
        self.bank[idx] = scores
        self.bank_ptr.copy_((self.bank_ptr + len(scores)) % size)

    def quantile(self, q: float) -> float:
        """The ``q``-quantile of the remembered scores (NaN when empty)."""
        return float(torch.nanquantile(self.bank, q))

    @torch.no_grad()
    def rank(self, scores: Tensor) -> Tensor:
        """(N,) mid-rank of each score among the remembered ones, in [0, 1]
        (share of the bank below it, ties counted half)."""
        bank = self.bank[~self.bank.isnan()].to(scores)
        if bank.numel() == 0:
            return torch.ones_like(scores)
        below = (bank[None] < scores[:, None]).float().sum(1)
        ties = (bank[None] == scores[:, None]).float().sum(1)
        return (below + 0.5 * ties) / bank.numel()
