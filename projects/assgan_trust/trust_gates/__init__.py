from .agreement_discriminator_gate import AgreementDiscriminatorGate

__all__ = ['AgreementDiscriminatorGate']
