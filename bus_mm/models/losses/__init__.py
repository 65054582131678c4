from .dice_bce_loss import DiceBCELoss  # noqa: F401
from .complementary_loss import ComplementaryLoss  # noqa: F401
