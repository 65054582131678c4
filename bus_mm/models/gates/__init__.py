from .discriminator_gate import (DiscriminatorGate, GateDecision,
                                 MaskQualityGate, PaperGate, PixelGate,
                                 accept_all, build_gate, pairwise_rule)

__all__ = ['DiscriminatorGate', 'GateDecision', 'MaskQualityGate',
           'PaperGate', 'PixelGate', 'accept_all', 'build_gate',
           'pairwise_rule']
