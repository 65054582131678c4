from .discriminator_gate import (DiscriminatorGate, GateDecision,
                                 MaskQualityGate, PaperGate, PixelGate,
                                 build_gate)

__all__ = ['DiscriminatorGate', 'GateDecision', 'MaskQualityGate',
           'PaperGate', 'PixelGate', 'build_gate']
