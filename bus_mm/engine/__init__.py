from . import hooks, optimizers  # noqa: F401
from .atomic_checkpoint import install_atomic_checkpoint_saving
from .checkpoint_compat import allow_mmengine_checkpoints

allow_mmengine_checkpoints()
install_atomic_checkpoint_saving()
