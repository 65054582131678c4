from . import (discriminators, gates, heads, losses, necks,  # noqa: F401
               segmentors, utils)
