from .bus_overlay_hook import BUSOverlayHook  # noqa: F401
from .split_recorder_hook import SplitRecorderHook  # noqa: F401
from .curriculum_hook import CurriculumHook  # noqa: F401
from .assgan_hook import ASSGANHook  # noqa: F401
from .training_curves_hook import TrainingCurvesHook  # noqa: F401
from .channels_last_hook import ChannelsLastHook  # noqa: F401
