from .dice_bce_loss import DiceBCELoss  # noqa: F401
from .complementary_loss import ComplementaryLoss  # noqa: F401
from .curriculum_part_target import (PART_TARGETS,  # noqa: F401
                                     curriculum_part_target)
