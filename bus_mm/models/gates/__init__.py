from .discriminator_gate import (DiscriminatorGate, GateDecision,
                                 MaskQualityGate, PaperGate, PixelGate,
                                 accept_all, build_gate, pairwise_rule)
from .error_map_gate import ErrorMapGate, estimated_iou
from .quantile_gate import QuantileGate

__all__ = ['DiscriminatorGate', 'ErrorMapGate', 'GateDecision',
           'MaskQualityGate', 'estimated_iou',
           'PaperGate', 'PixelGate', 'QuantileGate', 'accept_all',
           'build_gate', 'pairwise_rule']
