"""bus_mm: breast-ultrasound lesion segmentation plugins for mmsegmentation 1.x.

Importing this package registers every bus_mm dataset, transform, model, hook,
optimizer constructor and metric into mmseg's registries, so a config only needs::

    custom_imports = dict(imports=['bus_mm'], allow_failed_imports=False)
"""
from . import datasets, engine, evaluation, models, visualization  # noqa: F401
from . import apis  # noqa: F401  (after engine: apis builds on it)

__version__ = '0.1.0'
