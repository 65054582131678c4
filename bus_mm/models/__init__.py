from . import discriminators, heads, losses, necks, segmentors  # noqa: F401
