from .agreement_gate import AgreementGate, mask_agreement
from .base_gate import (IGNORE_INDEX, GateDecision, ScoreBank, TrustGate,
                        hard_labels)
from .accept_all_gate import AcceptAllGate
from .agreement_discriminator_gate import AgreementDiscriminatorGate
from .discriminator_gate import DiscriminatorGate

__all__ = [
    'AcceptAllGate', 'AgreementDiscriminatorGate', 'AgreementGate',
    'DiscriminatorGate', 'GateDecision', 'IGNORE_INDEX', 'ScoreBank',
    'TrustGate', 'hard_labels', 'mask_agreement'
]
