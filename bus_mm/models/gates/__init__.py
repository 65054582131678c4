from .discriminator_gate import (DiscriminatorGate, GateDecision,
                                 MaskQualityGate, PaperGate, PixelGate,
                                 accept_all, build_gate, pairwise_rule)
from .quantile_gate import QuantileGate

__all__ = ['DiscriminatorGate', 'GateDecision', 'MaskQualityGate',
           'PaperGate', 'PixelGate', 'QuantileGate', 'accept_all',
           'build_gate', 'pairwise_rule']
