"""No gate: every prediction becomes a pseudo-label (the "1 generator" and
"2 generators" ablations of ASSGAN's Table 9)."""
from typing import Dict, Optional

import torch
from torch import Tensor

from mmseg.registry import MODELS
from .base_gate import GateDecision, TrustGate, hard_labels


@MODELS.register_module()
class AcceptAllGate(TrustGate):
    """No gate: every prediction becomes a pseudo-label (the "1 generator"
    and "2 generators" ablations of the paper's Table 9)."""

    def __init__(self) -> None:
        super().__init__(gamma=0.)

    def extra_repr(self) -> str:
        return ''

    @torch.no_grad()
    def judge(self, probs: Dict[str, Tensor], thresholds: Dict[str, float],
              valid: Tensor,
              d_scores: Optional[Dict[str, Tensor]] = None
              ) -> Dict[str, GateDecision]:
        """Weight 1 for every prediction (see :meth:`TrustGate.judge`)."""
        return {
            name: GateDecision(
                None, torch.ones(len(prob), device=prob.device),
                hard_labels(prob, valid, thresholds[name]))
            for name, prob in probs.items()
        }
