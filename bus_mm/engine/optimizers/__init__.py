from .multi_optim_constructor import MultiOptimWrapperConstructor  # noqa: F401
from .autocast_optim_wrapper import AutocastOptimWrapper  # noqa: F401
