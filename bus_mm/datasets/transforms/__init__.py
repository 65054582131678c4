from .formatting import PackBUSInputs  # noqa: F401
from .loading import LoadBUSAnnotations, LoadBUSImageFromFile  # noqa: F401
from .random_gamma import RandomGamma  # noqa: F401
from .random_shear import RandomShear  # noqa: F401
from .random_rot90 import RandomRot90  # noqa: F401
from .load_curriculum_masks import LoadCurriculumMasks  # noqa: F401
