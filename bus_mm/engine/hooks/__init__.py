from .bus_overlay_hook import BUSOverlayHook  # noqa: F401
from .split_recorder_hook import SplitRecorderHook  # noqa: F401
from .curriculum_hook import CurriculumHook  # noqa: F401
from .assgan_hook import ASSGANHook  # noqa: F401
from .training_curves_hook import TrainingCurvesHook  # noqa: F401
from .nonfinite_guard_hook import NonFiniteGuardHook  # noqa: F401
from .random_state_hook import RandomStateHook  # noqa: F401
from .train_data_check_hook import TrainDataCheckHook  # noqa: F401
