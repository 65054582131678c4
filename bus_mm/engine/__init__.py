from . import hooks, optimizers  # noqa: F401
from .checkpoint_compat import allow_mmengine_checkpoints

allow_mmengine_checkpoints()
