from .c2_attention import C2Attention  # noqa: F401
