from .taichinet import TaiChiNet  # noqa: F401
from .unet_plus_plus import UNetPlusPlus  # noqa: F401
from .assgan import ASSGAN  # noqa: F401
from .unimatch import UniMatch  # noqa: F401
