from . import discriminators, gates, heads, losses, necks, segmentors  # noqa: F401
