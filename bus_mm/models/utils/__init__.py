from .strong_perturbation import StrongPerturbation

__all__ = ['StrongPerturbation']
