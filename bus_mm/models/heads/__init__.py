from .complementary_head import ComplementaryHead  # noqa: F401
