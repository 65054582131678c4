from . import transforms  # noqa: F401
from .bus_base_dataset import BUSBaseDataset  # noqa: F401
from .bus_folder import BUSFolderDataset  # noqa: F401
from .busi import BUSIDataset  # noqa: F401
from .labeled_unlabeled_sampler import LabeledUnlabeledSampler  # noqa: F401
from .udiat import UDIATDataset  # noqa: F401
from . import phantom  # noqa: F401
from .sample_seeding import SampleSeededDataset, SampleSeededSampler  # noqa: F401
