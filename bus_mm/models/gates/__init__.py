from .agreement_gate import AgreementGate, mask_agreement
from .discriminator_gate import (DiscriminatorGate, GateDecision,
                                 MaskQualityGate, PaperGate, PixelGate,
                                 accept_all, build_gate, check_gate_setup,
                                 gate_judges, gate_verdict,
                                 pairwise_rule)
from .error_map_gate import ErrorMapGate, estimated_iou
from .quantile_gate import QuantileGate

__all__ = ['AgreementGate', 'DiscriminatorGate', 'ErrorMapGate',
           'GateDecision', 'MaskQualityGate', 'PaperGate', 'PixelGate',
           'QuantileGate', 'accept_all', 'build_gate', 'check_gate_setup',
           'estimated_iou', 'gate_judges', 'gate_verdict', 'mask_agreement',
           'pairwise_rule']
