"""Let torch>=2.6 (``weights_only=True`` by default) load checkpoints mmengine writes.

mmengine 0.10.7 saves, besides tensors, a ``message_hub`` state with
``HistoryBuffer`` objects and numpy arrays/scalars, and a ``meta`` dict. Under
torch's default ``weights_only=True`` unpickler those are refused, so
``--resume`` and ``load_from`` fail on our own checkpoints. Instead of a global
"trust every pickle" switch we allow-list exactly the classes such checkpoints
contain via :func:`torch.serialization.add_safe_globals`; anything else in a
file (arbitrary code) is still refused by torch.
"""
import numpy as np
import torch


def _numpy_globals() -> list:
    from numpy.core.multiarray import _reconstruct, scalar
    dtypes = [type(np.dtype(t)) for t in (
        np.float16, np.float32, np.float64, np.int8, np.int16, np.int32,
        np.int64, np.uint8, np.uint16, np.uint32, np.uint64, np.bool_)]
    return [_reconstruct, scalar, np.ndarray, np.dtype, *dtypes]


def allow_mmengine_checkpoints() -> None:
    """Register the classes of mmengine/bus_mm checkpoints as safe to unpickle."""
    if not hasattr(torch.serialization, 'add_safe_globals'):
        return
    from mmengine.logging.history_buffer import HistoryBuffer
    from mmengine.config import ConfigDict
    torch.serialization.add_safe_globals(
        [HistoryBuffer, ConfigDict, *_numpy_globals()])
