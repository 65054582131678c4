from .multi_optim_constructor import MultiOptimWrapperConstructor  # noqa: F401
