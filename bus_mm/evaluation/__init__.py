from .bus_metric import BUSMetric  # noqa: F401
